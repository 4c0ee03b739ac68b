"""Application users; a user sees and edits only the subtree of their scope unit."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from geo_app.models.base import Base, id_column, pg_enum


class Role(enum.StrEnum):
    admin = "admin"
    commander = "commander"
    staff = "staff"
    officer = "officer"
    viewer = "viewer"


class User(Base):
    """A login; ``scope_unit_id`` NULL means national scope (administrators, national staff)."""

    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint("login = lower(login)", name="login_lower_case"),
        CheckConstraint("length(btrim(login)) > 0", name="login_not_blank"),
        CheckConstraint("version > 0", name="version_positive"),
    )

    id: Mapped[int] = id_column()
    login: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str]
    role: Mapped[Role] = mapped_column(pg_enum(Role, "user_role"))
    scope_unit_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("admin_unit.id"))
    is_active: Mapped[bool] = mapped_column(server_default=text("true"))
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_login_at: Mapped[datetime | None]
    must_change_password: Mapped[bool] = mapped_column(server_default=text("false"))
    """Set by a password reset: the user's logins open only the password change page."""
    version: Mapped[int] = mapped_column(server_default=text("1"))
    """Raised by every change to the account (optimistic locking of the admin forms)."""
