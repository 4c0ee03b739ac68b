"""Receipts of field writes: what makes a resent action harmless (migration 0009).

A phone may send the same action twice (a lost response, a retried queue). Each action carries
a UUID made on the phone; its receipt is written in the same transaction as the row it made or
changed, so a second sending finds the receipt and changes nothing.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Index, func
from sqlalchemy.orm import Mapped, mapped_column

from geo_app.models.base import Base


class WriteReceipt(Base):
    """One field write: who, which layer, what was done to which row, on which day."""

    __tablename__ = "write_receipt"
    __table_args__ = (Index("ix_write_receipt_actor", "actor", "day"),)

    client_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    actor: Mapped[str]
    layer: Mapped[str]
    action: Mapped[str]
    row_id: Mapped[int] = mapped_column(BigInteger)
    day: Mapped[date]
    """``clock.today()`` at the write (the app's day, which tests and the demo pin)."""
    at: Mapped[datetime] = mapped_column(server_default=func.now())
