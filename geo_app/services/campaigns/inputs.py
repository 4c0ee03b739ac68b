"""The checklist inputs of a campaign's targets on one date, named as in docs/ENGINE.md.

- Indicators: the latest month ≤ the date that has a row ("the evaluation month").
- ``period_<column>``: the sum over the campaign's months, from its first month to the
  evaluation month (or the campaign's last month if earlier). A month not reported yet does not
  make every period figure unknown; a gap inside the range does (``None``), as does no month.
- ``baseline_<column>``: the campaign's snapshot of the unit (``None`` without one).
- Derived on the date: ``services/derived.py``, with the period starting at the campaign's start.

Set-based: a fixed number of queries for any number of targets.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app.models import COUNT_COLUMNS, Campaign, CampaignBaseline, Indicator
from geo_app.services.classification import derived

Inputs = dict[str, Any]


@dataclass(frozen=True)
class TargetInputs:
    """A target's inputs and the month its indicator values come from (``None``: no row)."""

    values: Inputs
    indicator_month: date | None


def checklist_inputs(
    session: Session, campaign: Campaign, unit_ids: Sequence[int], on: date
) -> dict[int, TargetInputs]:
    """Every input the campaign's checklist may name, for each unit on ``on``."""
    rows = _indicator_rows(session, unit_ids, on)
    baselines = _baselines(session, campaign.id, unit_ids)
    start = min(campaign.starts_on, on)
    found = derived.inputs_for_units(session, list(unit_ids), on, period_start=start)
    out: dict[int, TargetInputs] = {}
    for unit_id in unit_ids:
        months = rows.get(unit_id, [])
        latest = months[-1] if months else None
        values: Inputs = {c: None if latest is None else getattr(latest, c) for c in COUNT_COLUMNS}
        values.update(_period(months, campaign, latest.month if latest else None))
        values.update(baselines.get(unit_id) or dict.fromkeys(_BASELINE_NAMES))
        values.update(found[unit_id])
        out[unit_id] = TargetInputs(values, latest.month if latest else None)
    return out


_BASELINE_NAMES = tuple(f"baseline_{c}" for c in COUNT_COLUMNS)


def _indicator_rows(
    session: Session, unit_ids: Sequence[int], on: date
) -> dict[int, list[Indicator]]:
    """Each unit's rows up to the date, oldest first."""
    stmt = (
        sa.select(Indicator)
        .where(Indicator.admin_unit_id.in_(list(unit_ids)), Indicator.month <= on)
        .order_by(Indicator.admin_unit_id, Indicator.month)
    )
    rows: dict[int, list[Indicator]] = defaultdict(list)
    for row in session.execute(stmt).scalars():
        rows[row.admin_unit_id].append(row)
    return rows


def month_range(first: date, last: date) -> list[date]:
    """First days of the months from ``first``'s to ``last``'s, inclusive."""
    months = []
    y, m = first.year, first.month
    while date(y, m, 1) <= last:
        months.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return months


def _period(rows: list[Indicator], campaign: Campaign, last: date | None) -> Inputs:
    """``period_<column>``: sums over the campaign's months up to the evaluation month."""
    if last is not None and campaign.ends_on is not None:
        last = min(last, campaign.ends_on)
    wanted = month_range(campaign.starts_on, last) if last is not None else []
    by_month = {row.month: row for row in rows}
    complete = bool(wanted) and all(m in by_month for m in wanted)
    out: Inputs = {}
    for column in COUNT_COLUMNS:
        values = [getattr(by_month[m], column) for m in wanted] if complete else [None]
        out[f"period_{column}"] = None if None in values else sum(values)
    return out


def _baselines(session: Session, campaign_id: int, unit_ids: Sequence[int]) -> dict[int, Inputs]:
    """``baseline_<column>`` of each unit that has a snapshot."""
    stmt = sa.select(CampaignBaseline.admin_unit_id, CampaignBaseline.indicators).where(
        CampaignBaseline.campaign_id == campaign_id,
        CampaignBaseline.admin_unit_id.in_(list(unit_ids)),
    )
    return {
        unit_id: {f"baseline_{c}": _as_count(counts.get(c)) for c in COUNT_COLUMNS}
        for unit_id, counts in session.execute(stmt).all()
    }


def _as_count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
