"""A campaign's monthly report (the seed plans: Hóc Môn every month before the 15th, Trà Vinh
per phase): per target, its phase, the checklist criteria met, what changed since the previous
month's end, and the hotspots cleared and the relapse candidates of the month.

- Phase and evaluation as ``services/campaigns/progress.py`` reads them on a date (the month's
  last day, and the previous month's last day for the changes).
- Cleared: hotspots inside the target whose status (``hotspot_status_on``, the one SQL rule) is
  ``cleared`` at the month's end and was not at the previous month's end.
- Relapsed: relapse candidates by ``services/relapse.py``'s rule (``candidate_on``) on the
  month's end that were not candidates on the previous month's end.
- A user with a scope sees the targets inside it only (``targets_in_scope``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from geo_app.domain.checklist import RECOGNISED
from geo_app.layers.filters import within_scope
from geo_app.models import AdminUnit, Campaign, Hotspot
from geo_app.parsing import whole_number
from geo_app.services.campaigns.lookup import PhaseOn, campaign_by_code
from geo_app.services.campaigns.progress import TargetProgress, target_progress
from geo_app.services.campaigns.progress_report import targets_in_scope, visible_campaign
from geo_app.services.classification.province import month_end
from geo_app.services.relapse import candidate_on

CLEARED = "cleared"


@dataclass(frozen=True)
class TargetMonth:
    """One target in the month, beside the previous month's end."""

    unit_id: int
    code: str
    name: str
    phase: PhaseOn
    criteria_met: int | None
    criteria_total: int | None
    verdict: str | None
    previous_phase: PhaseOn
    previous_met: int | None
    previous_verdict: str | None
    cleared: int
    relapsed: int

    @property
    def met_change(self) -> int | None:
        """Criteria met now minus a month before (None when either is unknown)."""
        if self.criteria_met is None or self.previous_met is None:
            return None
        return self.criteria_met - self.previous_met

    @property
    def phase_changed(self) -> bool:
        return self.phase != self.previous_phase

    @property
    def verdict_changed(self) -> bool:
        return self.verdict != self.previous_verdict


@dataclass(frozen=True)
class MonthlyReport:
    campaign_id: int
    code: str
    title: str
    month: date
    on: date
    previous_on: date
    targets: tuple[TargetMonth, ...]

    @property
    def recognised(self) -> int:
        return sum(1 for t in self.targets if t.verdict == RECOGNISED)

    @property
    def cleared(self) -> int:
        return sum(t.cleared for t in self.targets)

    @property
    def relapsed(self) -> int:
        return sum(t.relapsed for t in self.targets)


def campaign_for_report(session: Session, key: str, scope_unit_id: int | None) -> Campaign:
    """The campaign named by its id or its code (slug), if the user may see it (404/403)."""
    number = whole_number(key)
    campaign_id = number if number is not None else campaign_by_code(session, key).id
    return visible_campaign(session, campaign_id, scope_unit_id)


def monthly_report(
    session: Session, campaign: Campaign, month: date, scope_unit_id: int | None
) -> MonthlyReport:
    """The report of ``month`` (its first day) for the targets in the user's scope."""
    on = month_end(month)
    previous_on = month - timedelta(days=1)
    now = target_progress(session, campaign.id, on)
    before = {t.unit_id: t for t in target_progress(session, campaign.id, previous_on)}
    if scope_unit_id is not None:
        visible = targets_in_scope(session, campaign.id, scope_unit_id)
        now = [t for t in now if t.unit_id in visible]
    ids = [t.unit_id for t in now]
    cleared = _cleared(session, ids, previous_on, on, scope_unit_id)
    relapsed = _relapsed(session, ids, previous_on, on, scope_unit_id)
    rows = tuple(
        _row(t, before[t.unit_id], cleared.get(t.unit_id, 0), relapsed.get(t.unit_id, 0))
        for t in now
    )
    return MonthlyReport(campaign.id, campaign.code, campaign.title, month, on, previous_on, rows)


def _row(now: TargetProgress, before: TargetProgress, cleared: int, relapsed: int) -> TargetMonth:
    return TargetMonth(
        unit_id=now.unit_id,
        code=now.code,
        name=now.name,
        phase=now.phase,
        criteria_met=now.criteria_met,
        criteria_total=now.criteria_total,
        verdict=now.verdict,
        previous_phase=before.phase,
        previous_met=before.criteria_met,
        previous_verdict=before.verdict,
        cleared=cleared,
        relapsed=relapsed,
    )


def _spots_in(unit_ids: list[int], scope_unit_id: int | None, *where: Any) -> sa.Subquery:
    """Hotspots (not deleted) inside each of the units and the scope: (unit_id, hotspot)."""
    unit = aliased(AdminUnit)
    return (
        sa.select(
            unit.id.label("unit_id"),
            Hotspot.id,
            Hotspot.status,
            Hotspot.cleared_on,
            Hotspot.relapsed_on,
            Hotspot.detected_on,
        )
        .join(unit, sa.func.ST_Intersects(unit.geom, Hotspot.geom))
        .where(
            unit.id.in_(unit_ids),
            Hotspot.deleted_at.is_(None),
            within_scope(Hotspot.geom, scope_unit_id),
            *where,
        )
        .subquery("spots")
    )


def _status_on(spots: sa.Subquery, on: date, name: str) -> Any:
    return (
        sa.func.hotspot_status_on(
            spots.c.id, spots.c.status, spots.c.cleared_on, spots.c.relapsed_on, on
        )
        .table_valued(sa.column("status", sa.String))
        .lateral(name)
    )


def _cleared(
    session: Session, unit_ids: list[int], before: date, on: date, scope_unit_id: int | None
) -> dict[int, int]:
    """Per unit: hotspots cleared at ``on`` that were not at ``before`` (nor detected yet)."""
    spots = _spots_in(unit_ids, scope_unit_id, Hotspot.detected_on <= on)
    now, then = _status_on(spots, on, "now"), _status_on(spots, before, "then")
    newly = sa.and_(
        now.c.status == CLEARED,
        sa.or_(spots.c.detected_on > before, then.c.status != CLEARED),
    )
    stmt = (
        sa.select(spots.c.unit_id, sa.func.count())
        .select_from(spots.join(now, sa.true()).join(then, sa.true()))
        .where(newly)
        .group_by(spots.c.unit_id)
    )
    return {int(unit_id): int(count) for unit_id, count in session.execute(stmt)}


def _relapsed(
    session: Session, unit_ids: list[int], before: date, on: date, scope_unit_id: int | None
) -> dict[int, int]:
    """Per unit: relapse candidates at ``on`` (the rule of ``services/relapse.py``) that were
    not candidates at ``before``."""
    spots = _spots_in(unit_ids, scope_unit_id, candidate_on(on), sa.not_(candidate_on(before)))
    stmt = sa.select(spots.c.unit_id, sa.func.count()).group_by(spots.c.unit_id)
    return {int(unit_id): int(count) for unit_id, count in session.execute(stmt)}
