"""The baseline: each target's indicator row of the baseline month, copied once and kept.

A snapshot, not a link: a later correction of that month's indicators does not move the
baseline the campaign's checklist compares against ("not above the baseline").
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app.errors import InvalidInput
from geo_app.models import COUNT_COLUMNS, CampaignBaseline, Indicator
from geo_app.services import audit
from geo_app.services.campaigns.lookup import campaign_by_id, targets_of


@dataclass
class BaselineResult:
    """Codes of the targets whose baseline was taken now, was already there, or has no row."""

    taken: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [
            f"baseline: {len(self.taken)} taken, {len(self.kept)} already there, "
            f"{len(self.missing)} without indicators for the baseline month"
        ]
        if self.missing:
            lines.append("  no indicator row: " + ", ".join(self.missing))
        return "\n".join(lines)


def take_baseline(session: Session, campaign_id: int, *, actor: str) -> BaselineResult:
    """Snapshot the targets' indicators of the baseline month; a second run adds nothing."""
    campaign = campaign_by_id(session, campaign_id)
    if campaign.baseline_date is None:
        raise InvalidInput(f"campaign {campaign.code!r} has no baseline_date")
    month = campaign.baseline_date.replace(day=1)
    have = set(
        session.execute(
            sa.select(CampaignBaseline.admin_unit_id).where(
                CampaignBaseline.campaign_id == campaign_id
            )
        ).scalars()
    )
    targets = targets_of(session, campaign_id)
    wanted = sa.select(Indicator).where(
        Indicator.month == month, Indicator.admin_unit_id.in_([t.unit_id for t in targets])
    )
    rows = {row.admin_unit_id: row for row in session.execute(wanted).scalars()}
    result = BaselineResult()
    for target in targets:
        if target.unit_id in have:
            result.kept.append(target.code)
        elif target.unit_id in rows:
            counts = {c: getattr(rows[target.unit_id], c) for c in COUNT_COLUMNS}
            session.add(
                CampaignBaseline(
                    campaign_id=campaign_id,
                    admin_unit_id=target.unit_id,
                    taken_on=campaign.baseline_date,
                    indicators=counts,
                    created_by=actor,
                )
            )
            result.taken.append(target.code)
        else:
            result.missing.append(target.code)
    if result.taken:
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="insert",
            table="campaign_baseline",
            row_id=campaign_id,
            before=None,
            after={"campaign": campaign.code, "month": month, "units": result.taken},
            reason="campaign baseline",
        )
    return result
