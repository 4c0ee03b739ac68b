"""The append-only, hash-chained audit log.

Rows are written only by ``geo_app.services.audit.record``; database triggers (made by the
migration) refuse UPDATE, DELETE and TRUNCATE, and the hash chain exposes any rewrite that
bypasses them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CHAR, CheckConstraint, Index, func
from sqlalchemy.orm import Mapped, mapped_column

from geo_app.models.base import JSON_DOC, Base, id_column

GENESIS_HASH = "0" * 64
"""``prev_hash`` of the first row."""


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        CheckConstraint("hash ~ '^[0-9a-f]{64}$'", name="hash_hex"),
        CheckConstraint("prev_hash ~ '^[0-9a-f]{64}$'", name="prev_hash_hex"),
        Index("ix_audit_log_table_name_row_id", "table_name", "row_id"),
        Index("ix_audit_log_at", "at"),
    )

    id: Mapped[int] = id_column()
    at: Mapped[datetime] = mapped_column(server_default=func.now())
    actor: Mapped[str]
    action: Mapped[str]
    table_name: Mapped[str]
    row_id: Mapped[str | None]
    before: Mapped[Any] = mapped_column(JSON_DOC, nullable=True)
    after: Mapped[Any] = mapped_column(JSON_DOC, nullable=True)
    reason: Mapped[str | None]
    prev_hash: Mapped[str] = mapped_column(CHAR(64))
    hash: Mapped[str] = mapped_column(CHAR(64), unique=True)
