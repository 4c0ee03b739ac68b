"""How far a campaign is on a date: each target's phase, checklist share met and last verdict,
and the campaign's figure ("7 of 21 targets recognised; goal 21 (20 % of 104)").

Read-only; the map views read these. A verdict counts as of the last evaluation on or before the
date, with a human override applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import Session

from geo_app.domain.checklist import MET, RECOGNISED
from geo_app.models import Campaign, Evaluation
from geo_app.services.campaigns.lookup import (
    PhaseOn,
    campaign_by_id,
    phase_on,
    phases_of,
    targets_of,
)


@dataclass(frozen=True)
class TargetProgress:
    unit_id: int
    code: str
    name: str
    phase: PhaseOn
    evaluation_id: int | None
    evaluated_on: date | None
    criteria_met: int | None
    criteria_total: int | None
    verdict: str | None
    """The verdict that counts (override applied); ``None`` before any evaluation."""
    computed_verdict: str | None
    override_reason: str | None

    @property
    def share_met(self) -> Fraction | None:
        """Share of the checklist's criteria met in the last evaluation."""
        if not self.criteria_total or self.criteria_met is None:
            return None
        return Fraction(self.criteria_met, self.criteria_total)

    @property
    def overridden(self) -> bool:
        return self.override_reason is not None


@dataclass(frozen=True)
class CampaignProgress:
    campaign_id: int
    code: str
    on: date
    targets: int
    evaluated: int
    recognised: int
    goal_count: int | None
    goal_share: Decimal | None
    goal_base_count: int | None

    def text(self) -> str:
        """ "N of M targets recognised; goal G (share of base)"."""
        return f"{self.recognised} of {self.targets} targets recognised; {goal_text(self)}"


def goal_text(progress: CampaignProgress | Campaign) -> str:
    """The goal as text: "goal 21 (20 % of 104)", "goal 1 (of 1)" or "no goal set"."""
    count, share, base = progress.goal_count, progress.goal_share, progress.goal_base_count
    if count is None and share is None:
        return "no goal set"
    if share is not None:
        of = f" ({percent(share)} % of {base})"
    else:
        of = f" (of {base})" if base is not None else ""
    return f"goal {count if count is not None else '?'}{of}"


def percent(share: Decimal) -> str:
    """0.2 → "20", 0.125 → "12.5" (exact: the share is a Decimal)."""
    value = share * 100
    return str(int(value)) if value == value.to_integral_value() else f"{value.normalize():f}"


def _last_evaluations(session: Session, campaign_id: int, on: date) -> dict[int, Evaluation]:
    stmt = (
        sa.select(Evaluation)
        .where(Evaluation.campaign_id == campaign_id, Evaluation.evaluated_on <= on)
        .order_by(Evaluation.admin_unit_id, Evaluation.evaluated_on.desc())
        .ext(distinct_on(Evaluation.admin_unit_id))
    )
    return {row.admin_unit_id: row for row in session.execute(stmt).scalars()}


def _met(criteria: Any) -> tuple[int, int]:
    items = criteria if isinstance(criteria, list) else []
    return sum(1 for c in items if isinstance(c, dict) and c.get("verdict") == MET), len(items)


def target_progress(session: Session, campaign_id: int, on: date) -> list[TargetProgress]:
    """Each target's phase on ``on`` and its last evaluation on or before it."""
    campaign_by_id(session, campaign_id)
    phase = phase_on(phases_of(session, campaign_id), on)
    last = _last_evaluations(session, campaign_id, on)
    out = []
    for target in targets_of(session, campaign_id):
        row = last.get(target.unit_id)
        met, total = _met(row.criteria) if row else (None, None)
        out.append(
            TargetProgress(
                unit_id=target.unit_id,
                code=target.code,
                name=target.name,
                phase=phase,
                evaluation_id=row.id if row else None,
                evaluated_on=row.evaluated_on if row else None,
                criteria_met=met,
                criteria_total=total,
                verdict=(row.override_verdict or row.verdict) if row else None,
                computed_verdict=row.verdict if row else None,
                override_reason=row.override_reason if row else None,
            )
        )
    return out


def campaign_progress(session: Session, campaign_id: int, on: date) -> CampaignProgress:
    """Recognised targets against the goal, as of ``on``."""
    campaign = campaign_by_id(session, campaign_id)
    targets = target_progress(session, campaign_id, on)
    return CampaignProgress(
        campaign_id=campaign.id,
        code=campaign.code,
        on=on,
        targets=len(targets),
        evaluated=sum(1 for t in targets if t.evaluation_id is not None),
        recognised=sum(1 for t in targets if t.verdict == RECOGNISED),
        goal_count=campaign.goal_count,
        goal_share=campaign.goal_share,
        goal_base_count=campaign.goal_base_count,
    )
