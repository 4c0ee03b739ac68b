"""Derived inputs of units on a date, computed in PostGIS (docs/ENGINE.md, "Checklist inputs").

Nothing here is typed by a user: counts come from the map features' geometry and dates, read
"as of" the date, so a briefing about last October shows last October.

- **Which unit owns a feature** — the boundary rule, once, in the SQL function
  ``unit_at_point`` (migration 0002): among the units of the same level in force that cover the
  point, interior containment wins, else the smallest code. A field (polygon) is owned through
  its ``ST_PointOnSurface``. A unit asked about a date outside its validity is compared with the
  units in force on its nearest valid day (so a pre-2025 commune can be asked about late 2025).
- **Hotspots** — a hotspot detected after the date does not exist yet; its status is the one
  rule of the map and the summary, ``hotspot_status_on`` (migration 0006: the latest
  ``hotspot_status_change`` on or before the date, else its dated columns). Active is
  ``hotspot_is_active`` (active, under_attack or relapsed); ``active_hotspots`` counts kinds
  den, retail, complex_point.
- **Cultivation** — active on the date: detected by then, not eradicated by then (a replanted
  site counts from detection, its replanting date being unknown). Area is geodesic (m²).
- **Key route** — a key route's line meets the unit's interior, not only its border.
- **Sub-units** — hamlets and residential groups in force on the date whose
  ``ST_PointOnSurface`` lies in the unit. A board counts when in good condition and installed by
  the date; a box when installed by the date and not missing (the rule once, per sub-unit, in
  ``sql/subunit_coverage.sql``, which ``services/coverage.py`` reads too). A unit with no
  sub-unit mapped on the date gets ``None`` (unknown) for every sub-unit figure: "0 of 0
  hamlets" is no evidence.
- Soft-deleted rows never count.

Set-based: ``inputs_for_units`` runs a fixed number of queries for any number of units.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import TypeAlias

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app.domain.checklist import FLAG_INPUTS, MAP_COUNTS, SUBUNIT_COUNTS
from geo_app.errors import InvalidInput, NotFound

DerivedValue: TypeAlias = int | Decimal | bool | None
DerivedInputs: TypeAlias = dict[str, DerivedValue]

SUBUNIT_NAMES = SUBUNIT_COUNTS
DERIVED_NAMES: tuple[str, ...] = (*MAP_COUNTS, *FLAG_INPUTS, *SUBUNIT_COUNTS)
"""Every derived input name, as docs/ENGINE.md lists them."""

SQL_DIR = Path(__file__).with_name("sql")
_QUERIES = ("hotspots", "cultivation", "key_route", "subunits")
_INCLUDE = re.compile(r"^-- include (\w+)\.sql$", re.MULTILINE)


@cache
def sql(name: str) -> sa.TextClause:
    """The hand-written query ``sql/<name>.sql`` (bound parameters only)."""
    return sa.text(sql_source(name))


def sql_source(name: str) -> str:
    """The text of ``sql/<name>.sql`` with each ``-- include <other>.sql`` line replaced by that
    file: a rule written once in SQL (e.g. the sub-unit coverage) is read by several queries."""
    text = (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")
    return _INCLUDE.sub(lambda found: sql_source(found.group(1)), text).rstrip()


def inputs_for_units(
    session: Session, unit_ids: list[int], on: date, *, period_start: date | None = None
) -> dict[int, DerivedInputs]:
    """Every derived input of each unit on ``on``, keyed by unit id, in one round of queries.

    ``period_start`` bounds ``hotspots_relapsed_in_period`` (``None`` without it). Raises
    NotFound naming unknown unit ids, InvalidInput when the period starts after ``on``.
    """
    ids = sorted(set(unit_ids))
    if not ids:
        return {}
    if period_start is not None and period_start > on:
        raise InvalidInput(f"period start {period_start} is after the date {on}")
    params = {"ids": ids, "on": on, "period_start": period_start}
    found: dict[int, DerivedInputs] = {}
    for name in _QUERIES:
        for row in session.execute(sql(name), params).mappings():
            values = found.setdefault(int(row["unit_id"]), {})
            values.update({key: value for key, value in row.items() if key != "unit_id"})
        missing = [unit_id for unit_id in ids if unit_id not in found]
        if missing:
            raise NotFound(f"no administrative unit with id {', '.join(map(str, missing))}")
    return {unit_id: _finish(found[unit_id]) for unit_id in ids}


def unit_inputs(
    session: Session, unit_id: int, on: date, *, period_start: date | None = None
) -> DerivedInputs:
    """Every derived input of one unit on ``on`` (see ``inputs_for_units``)."""
    return inputs_for_units(session, [unit_id], on, period_start=period_start)[unit_id]


def _finish(raw: DerivedInputs) -> DerivedInputs:
    """Plain Python values in contract order; sub-unit figures unknown when none is mapped."""
    values: DerivedInputs = {name: _plain(raw[name]) for name in DERIVED_NAMES}
    if values["subunits_total"] == 0:
        values.update(dict.fromkeys(SUBUNIT_NAMES))
    return values


def _plain(value: DerivedValue) -> DerivedValue:
    """Counts as int, areas as Decimal, flags as bool (drivers may return other numerics)."""
    if value is None or isinstance(value, bool | Decimal):
        return value
    return int(value)
