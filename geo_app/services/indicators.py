"""Store monthly indicators from a CSV file, the JSON API or the form: all rows or none.

A row names its unit by the code in force in that month, so figures for a month before the 2025
merger land on the pre-2025 unit. Rows are checked in stages (values, units, scope, versions)
and the first stage with problems raises, listing every problem of that stage by row and column.
Every insert and update is audited with its before and after; an edit of a row someone else has
changed since it was read is refused (409), never merged silently.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from geo_app import clock
from geo_app.domain.indicators import (
    ALLOWED,
    COLUMNS,
    FieldError,
    ParsedRow,
    check_parts,
    month_text,
    parse_row,
)
from geo_app.errors import Conflict, GeoAppError, InvalidInput, NotFound
from geo_app.models import AdminUnit, Indicator
from geo_app.services import audit
from geo_app.services.accounts.scope import OutOfScope, units_in_scope

MAX_ROWS = 20_000
"""More rows than the communes of the country in one batch is a mistake, not a report."""

NumberedRow = tuple[int, object]
"""(row number used in messages, the row as read: a mapping of field → value)."""


class RowErrors(GeoAppError):
    """Problems found in some rows; ``errors`` keeps them structured for forms and the API."""

    def __init__(self, message: str, errors: Sequence[FieldError]) -> None:
        super().__init__(message, details=[str(e) for e in errors])
        self.errors = list(errors)

    def as_dict(self) -> dict[str, object]:
        body = super().as_dict()
        body["fields"] = [e.as_dict() for e in self.errors]
        return body


class RowsInvalid(RowErrors, InvalidInput):
    pass


class RowsOutOfScope(RowErrors, OutOfScope):
    pass


class RowsConflict(RowErrors, Conflict):
    pass


@dataclass(frozen=True)
class UnitRef:
    id: int
    code: str
    name: str
    level: str


@dataclass(frozen=True)
class IndicatorRecord:
    """A unit's figures for a month; ``version`` is None when nothing has been reported."""

    unit: UnitRef
    month: date
    version: int | None
    values: dict[str, int | None]

    def as_row(self) -> dict[str, object]:
        """The same shape a client posts back: code, month, version and every column."""
        return {
            "code": self.unit.code,
            "month": month_text(self.month),
            "version": self.version,
            **self.values,
        }


@dataclass(frozen=True)
class Saved:
    row: int
    code: str
    month: str
    version: int
    action: str  # inserted | updated | unchanged


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def units_for_months(
    session: Session, keys: set[tuple[str, date]]
) -> dict[tuple[str, date], UnitRef]:
    """For each (code, month) the unit version in force in that month (the latest one to start
    if the boundary changed during the month); unknown pairs are left out.
    """
    codes = sorted({code for code, _ in keys})
    versions = session.execute(
        sa.select(
            AdminUnit.id,
            AdminUnit.code,
            AdminUnit.name,
            sa.cast(AdminUnit.level, sa.String).label("level"),
            AdminUnit.valid_from,
            AdminUnit.valid_to,
        )
        .where(AdminUnit.code.in_(codes))
        .order_by(AdminUnit.valid_from)
    ).all()
    by_code: dict[str, list[Any]] = {}
    for v in versions:
        by_code.setdefault(v.code, []).append(v)
    found: dict[tuple[str, date], UnitRef] = {}
    for code, month in keys:
        for v in by_code.get(code, []):  # by valid_from, so the latest overlapping one wins
            if v.valid_from < _next_month(month) and (v.valid_to is None or v.valid_to > month):
                found[(code, month)] = UnitRef(v.id, v.code, v.name, v.level)
    return found


def read_indicator(
    session: Session, code: str, month: date, *, scope_unit_id: int | None
) -> IndicatorRecord:
    """The figures of ``code`` for ``month``; NotFound for an unknown unit, OutOfScope outside."""
    unit = units_for_months(session, {(code, month)}).get((code, month))
    if unit is None:
        raise NotFound(f"no unit with code {code!r} in force in {month_text(month)}")
    if not units_in_scope(session, scope_unit_id, {unit.id}):
        raise OutOfScope(f"unit {code} is outside your scope")
    row = session.scalars(
        sa.select(Indicator).where(Indicator.admin_unit_id == unit.id, Indicator.month == month)
    ).one_or_none()
    values = {c: (getattr(row, c) if row else None) for c in COLUMNS}
    return IndicatorRecord(unit, month, row.version if row else None, values)


def rows_from_csv(text: str) -> list[NumberedRow]:
    """Rows of a CSV text (header ``code,month`` + indicator columns), numbered as a spreadsheet
    shows them (the header is row 1). Comma, semicolon (Excel in Vietnamese) or tab separated.
    Raises RowsInvalid for a bad header or a row with the wrong number of cells.
    """
    first = text.lstrip("\ufeff").partition("\n")[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter)
    header = [h.strip().lower() or f"#{i + 1}" for i, h in enumerate(next(reader, []))]
    errors = [FieldError(1, h, "repeated_column") for i, h in enumerate(header) if h in header[:i]]
    errors += [FieldError(1, h, "unknown_column") for h in header if h not in ALLOWED]
    errors += [FieldError(1, k, "missing") for k in ("code", "month") if k not in header]
    rows: list[NumberedRow] = []
    for cells in reader:
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            count = str(len(cells))
            errors.append(FieldError(reader.line_num, "-", "cell_count", count, limit=len(header)))
        rows.append((reader.line_num, dict(zip(header, cells, strict=False))))
    if errors:
        raise RowsInvalid(f"{len(errors)} problems in the file; nothing was saved", errors)
    return rows


def save_indicators(
    session: Session,
    rows: Sequence[NumberedRow],
    *,
    actor: str,
    scope_unit_id: int | None,
    source: str,
    overwrite: bool = False,
    today: date | None = None,
) -> list[Saved]:
    """Insert or update every row, or none: every check runs before the first write, and a
    writer racing this one is a RowsConflict that the caller's rollback undoes.

    A row that changes existing figures must carry the ``version`` it was read at (409 when it
    is stale or missing), unless ``overwrite`` (a CSV re-import by staff, still audited).
    Runs in the caller's transaction and never commits.
    """
    if not rows:
        raise InvalidInput("there are no rows; nothing was saved")
    if len(rows) > MAX_ROWS:
        raise InvalidInput(f"{len(rows)} rows is more than {MAX_ROWS} in one batch; split it")
    parsed = _parse_all(rows, today or clock.today())
    units = _resolve_units(session, parsed)
    _check_scope(session, scope_unit_id, parsed, units)
    existing = _lock_existing(session, parsed, units)
    _check_versions_and_parts(parsed, units, existing, overwrite)
    return [_write(session, p, units[p.row], existing.get(p.row), actor, source) for p in parsed]


def _fail(cls: type[RowErrors], errors: list[FieldError], what: str) -> None:
    if errors:
        raise cls(f"{len(errors)} problems {what}; nothing was saved", errors)


def _parse_all(rows: Sequence[NumberedRow], today: date) -> list[ParsedRow]:
    errors: list[FieldError] = []
    parsed: list[ParsedRow] = []
    first_row: dict[tuple[str, date], int] = {}
    for number, fields in rows:
        result = parse_row(fields, row=number, latest=today)
        if isinstance(result, list):
            errors += result
            continue
        key = (result.code, result.month)
        if key in first_row:
            errors.append(FieldError(number, "month", "duplicate", limit=first_row[key]))
        first_row.setdefault(key, number)
        parsed.append(result)
    _fail(RowsInvalid, errors, "in the rows")
    return parsed


def _resolve_units(session: Session, parsed: list[ParsedRow]) -> dict[int, UnitRef]:
    found = units_for_months(session, {(p.code, p.month) for p in parsed})
    errors = [
        FieldError(p.row, "code", "unknown_unit", repr(p.code))
        for p in parsed
        if (p.code, p.month) not in found
    ]
    _fail(RowsInvalid, errors, "with unit codes")
    return {p.row: found[(p.code, p.month)] for p in parsed}


def _check_scope(
    session: Session, scope_unit_id: int | None, parsed: list[ParsedRow], units: dict[int, UnitRef]
) -> None:
    inside = units_in_scope(session, scope_unit_id, {u.id for u in units.values()})
    errors = [
        FieldError(p.row, "code", "out_of_scope", p.code)
        for p in parsed
        if units[p.row].id not in inside
    ]
    _fail(RowsOutOfScope, errors, "with your scope")


def _lock_existing(
    session: Session, parsed: list[ParsedRow], units: dict[int, UnitRef]
) -> dict[int, Indicator]:
    """The stored rows the batch touches, locked (in id order, so writers never deadlock)."""
    pairs = [(units[p.row].id, p.month) for p in parsed]
    stored = session.scalars(
        sa.select(Indicator)
        .where(sa.tuple_(Indicator.admin_unit_id, Indicator.month).in_(pairs))
        .order_by(Indicator.id)
        .with_for_update()
    ).all()
    by_key = {(s.admin_unit_id, s.month): s for s in stored}
    return {
        p.row: by_key[(units[p.row].id, p.month)]
        for p in parsed
        if (units[p.row].id, p.month) in by_key
    }


def _check_versions_and_parts(
    parsed: list[ParsedRow],
    units: dict[int, UnitRef],
    existing: dict[int, Indicator],
    overwrite: bool,
) -> None:
    """Parts within wholes once merged with what is stored; then the versions (409)."""
    invalid: list[FieldError] = []
    stale: list[FieldError] = []
    for p in parsed:
        old = existing.get(p.row)
        merged = {c: getattr(old, c) for c in COLUMNS} if old else {}
        merged.update(p.values)
        invalid += check_parts(merged, row=p.row)
        if old is None and p.version is not None:
            stale.append(FieldError(p.row, "version", "no_row"))
        elif old is not None and p.version is None and not overwrite:
            stale.append(FieldError(p.row, "version", "exists", limit=old.version))
        elif old is not None and p.version is not None and p.version != old.version:
            stale.append(FieldError(p.row, "version", "stale", limit=old.version))
    _fail(RowsInvalid, invalid, "with the stored figures")
    _fail(RowsConflict, stale, "with versions")


def _doc(row: Indicator, code: str) -> dict[str, Any]:
    """What the audit keeps of a row: its unit, month, version and every count."""
    return {
        "unit_code": code,
        "admin_unit_id": row.admin_unit_id,
        "month": month_text(row.month),
        "version": row.version,
        **{c: getattr(row, c) for c in COLUMNS},
    }


def _write(
    session: Session, p: ParsedRow, unit: UnitRef, old: Indicator | None, actor: str, source: str
) -> Saved:
    """Insert, update or leave one row; every change lands in the audit log."""
    reason = f"monthly indicators ({source})"
    if old is None:
        row = Indicator(admin_unit_id=unit.id, month=p.month, created_by=actor, **p.values)
        session.add(row)
        _flush(session, p)
        _audit(session, actor, "insert", row, None, _doc(row, unit.code), reason)
        return Saved(p.row, unit.code, month_text(p.month), row.version, "inserted")
    if all(getattr(old, c) == v for c, v in p.values.items()):
        return Saved(p.row, unit.code, month_text(p.month), old.version, "unchanged")
    before = _doc(old, unit.code)
    for column, value in p.values.items():
        setattr(old, column, value)
    old.updated_by = actor
    _flush(session, p)
    _audit(session, actor, "update", old, before, _doc(old, unit.code), reason)
    return Saved(p.row, unit.code, month_text(p.month), old.version, "updated")


def _audit(
    session: Session,
    actor: str,
    action: str,
    row: Indicator,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    reason: str,
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        table="indicator",
        row_id=row.id,
        before=before,
        after=after,
        reason=reason,
    )


def _flush(session: Session, p: ParsedRow) -> None:
    """Flush one row; a concurrent writer that got there first is a conflict, not a crash."""
    try:
        session.flush()
    except StaleDataError:
        changed = FieldError(p.row, "version", "changed")
    except IntegrityError as error:
        if getattr(error.orig, "pgcode", None) != "23505":  # unique_violation
            raise
        changed = FieldError(p.row, "month", "changed")
    else:
        return
    raise RowsConflict("the figures changed meanwhile; nothing was saved", [changed])
