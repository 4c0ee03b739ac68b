"""The export log, read from the audit trail (the rows ``exports.layers`` writes), for the
admin page: one source of truth, nothing copied into a table of its own."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app.exports.layers import ACTION
from geo_app.models import AuditLog

PER_PAGE = 50


@dataclass(frozen=True)
class LoggedExport:
    """One export as the log page shows it."""

    id: int
    at: datetime
    actor: str
    layers: str
    format: str
    rows: int
    generalised: bool
    filters: str


@dataclass(frozen=True)
class ExportLog:
    """One page of the log, newest first."""

    entries: tuple[LoggedExport, ...]
    page: int
    has_next: bool


def _filters(found: dict[str, object]) -> str:
    """The filters that were set, as ``area=86 month=2025-12``."""
    return " ".join(f"{k}={v}" for k, v in found.items() if v not in (None, "", []))


def export_log(session: Session, page: int, per_page: int = PER_PAGE) -> ExportLog:
    """Page ``page`` (from 1) of the exports, newest first."""
    rows = session.scalars(
        sa.select(AuditLog)
        .where(AuditLog.action == ACTION)
        .order_by(AuditLog.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page + 1)
    ).all()
    entries = tuple(
        LoggedExport(
            id=row.id,
            at=row.at,
            actor=row.actor,
            layers=", ".join(row.after.get("layers", [])),
            format=str(row.after.get("format", "")),
            rows=sum(int(n) for n in row.after.get("rows", {}).values()),
            generalised=bool(row.after.get("generalised")),
            filters=_filters(row.after.get("filters", {})),
        )
        for row in rows[:per_page]
    )
    return ExportLog(entries, page, len(rows) > per_page)
