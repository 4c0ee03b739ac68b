"""Finding a campaign, its targets and its phases (shared by every campaign service)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app.errors import NotFound
from geo_app.models import AdminUnit, Campaign, CampaignTarget, Phase


def campaign_by_id(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or campaign.deleted_at is not None:
        raise NotFound(f"no campaign with id {campaign_id}")
    return campaign


def campaign_by_code(session: Session, code: str) -> Campaign:
    campaign = session.execute(
        sa.select(Campaign).where(Campaign.code == code, Campaign.deleted_at.is_(None))
    ).scalar_one_or_none()
    if campaign is None:
        raise NotFound(f"no campaign with code {code!r}")
    return campaign


@dataclass(frozen=True)
class Target:
    """A target unit of a campaign, as named on the campaign's own layout."""

    unit_id: int
    code: str
    name: str
    layout: str
    level: str


def targets_of(session: Session, campaign_id: int) -> list[Target]:
    """The campaign's targets ordered by code."""
    rows = session.execute(
        sa.select(AdminUnit.id, AdminUnit.code, AdminUnit.name, AdminUnit.layout, AdminUnit.level)
        .join(CampaignTarget, CampaignTarget.admin_unit_id == AdminUnit.id)
        .where(CampaignTarget.campaign_id == campaign_id)
        .order_by(AdminUnit.code, AdminUnit.id)
    ).all()
    return [Target(r.id, r.code, r.name, r.layout, r.level.value) for r in rows]


def phases_of(session: Session, campaign_id: int) -> list[Phase]:
    return list(
        session.execute(
            sa.select(Phase).where(Phase.campaign_id == campaign_id).order_by(Phase.ordinal)
        ).scalars()
    )


@dataclass(frozen=True)
class PhaseOn:
    """Where a date falls in a campaign's phases: inside one, before, between or after them."""

    position: str
    """``in``, ``before``, ``between`` or ``after``."""
    ordinal: int | None = None
    name_vi: str | None = None
    name_en: str | None = None

    def label(self) -> str:
        """Bilingual text for a table cell or a popup."""
        if self.position == "in":
            return (
                f"giai đoạn {self.ordinal} / phase {self.ordinal}: {self.name_en or self.name_vi}"
            )
        return {
            "before": "trước các giai đoạn / before the phases",
            "between": "giữa hai giai đoạn / between phases",
        }.get(self.position, "sau các giai đoạn / after the phases")


def phase_on(phases: list[Phase], on: date) -> PhaseOn:
    """The phase containing ``on`` (phases never overlap, so there is at most one)."""
    for phase in phases:
        if phase.starts_on <= on and (phase.ends_on is None or on <= phase.ends_on):
            return PhaseOn("in", phase.ordinal, phase.name_vi, phase.name_en)
    if not phases or on < min(p.starts_on for p in phases):
        return PhaseOn("before")
    if any(p.starts_on > on for p in phases):
        return PhaseOn("between")
    return PhaseOn("after")
