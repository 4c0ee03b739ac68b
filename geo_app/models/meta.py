"""Bookkeeping of bulk loads (demo data, boundary imports) so reloads are idempotent."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, func, text
from sqlalchemy.orm import Mapped, mapped_column

from geo_app.models.base import Base, DemoMixin, id_column


class DataLoad(DemoMixin, Base):
    """One named load and the version of it present in this database."""

    __tablename__ = "data_load"

    id: Mapped[int] = id_column()
    name: Mapped[str] = mapped_column(unique=True)
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    loaded_at: Mapped[datetime] = mapped_column(server_default=func.now())
    summary: Mapped[dict[str, Any] | None]
