"""Login sessions kept on the server, and failed-login counters (migration 0007).

Why on the server: a signed cookie alone cannot be taken back, so logout and a password change
could not end a copied cookie. The cookie now carries only a random id; the row (found by the
id's sha256) says whether it still opens anything.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from geo_app.models.base import Base

ACCOUNT = "account"
ADDRESS = "address"
FAILURE_KINDS = (ACCOUNT, ADDRESS)
"""What a failed-login counter is kept for: a (hashed) login, or a client address."""


class AppSession(Base):
    """A logged-in browser: expired by ``last_seen_at`` (idle) and ``created_at`` (absolute)."""

    __tablename__ = "app_session"
    __table_args__ = (
        CheckConstraint("token_hash ~ '^[0-9a-f]{64}$'", name="token_hash_sha256"),
        Index("ix_app_session_user_id", "user_id"),
    )

    token_hash: Mapped[str] = mapped_column(Text, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("app_user.id", ondelete="CASCADE"))
    csrf_token: Mapped[str]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    last_seen_at: Mapped[datetime] = mapped_column(server_default=func.now())


class LoginFailure(Base):
    """Failed logins in a row for one account or one address, and when the next may come."""

    __tablename__ = "login_failure"
    __table_args__ = (
        CheckConstraint(f"kind IN ({', '.join(map(repr, FAILURE_KINDS))})", name="kind_known"),
        CheckConstraint("failures > 0", name="failures_positive"),
    )

    kind: Mapped[str] = mapped_column(Text, primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failed_at: Mapped[datetime] = mapped_column(server_default=func.now())
    retry_after: Mapped[datetime | None]
