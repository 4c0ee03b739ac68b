"""Which campaign and which of its targets a user may see, and the evaluation lookups the
campaign page reads (``geo_app.pages.campaign`` builds the page itself: headline, phase,
timeline, months and the month's report).

A national user sees every campaign; others those with a target in their scope or whose
province contains their scope or lies inside it. Read-only.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app.errors import NotFound
from geo_app.layers.filters import scope_filter
from geo_app.models import AdminUnit, Campaign, CampaignTarget, Evaluation
from geo_app.services.accounts.scope import OutOfScope, unit_in_scope
from geo_app.services.boundaries import areas
from geo_app.services.campaigns.lookup import campaign_by_id

# --- which campaign, which targets ---------------------------------------------------------


def visible_campaign(session: Session, campaign_id: int, scope_unit_id: int | None) -> Campaign:
    """The campaign, if the user may see it: national users see every campaign; others those
    with a target in their scope or whose province contains their scope or lies inside it.

    NotFound for an unknown (or deleted) id, OutOfScope (403) for one outside the scope.
    """
    campaign = campaign_by_id(session, campaign_id)
    if scope_unit_id is None or targets_in_scope(session, campaign.id, scope_unit_id):
        return campaign
    province = _province_id(session, campaign)
    if province is not None and (
        unit_in_scope(session, scope_unit_id, province)
        or unit_in_scope(session, province, scope_unit_id)
    ):
        return campaign
    raise OutOfScope("this campaign is outside your scope")


def _province_id(session: Session, campaign: Campaign) -> int | None:
    if not campaign.province_code:
        return None
    try:
        return areas.unit_in_force(session, campaign.province_code, "province").id
    except NotFound:
        return None


def targets_in_scope(session: Session, campaign_id: int, scope_unit_id: int | None) -> set[int]:
    """Unit ids of the campaign's targets inside the scope (the rule of services.scope)."""
    rows = session.scalars(
        sa.select(CampaignTarget.admin_unit_id)
        .join(AdminUnit, AdminUnit.id == CampaignTarget.admin_unit_id)
        .where(CampaignTarget.campaign_id == campaign_id, scope_filter(scope_unit_id))
    )
    return set(rows)


def targets_bounds(
    session: Session, unit_ids: set[int]
) -> tuple[float, float, float, float] | None:
    """(south, west, north, east) around the given targets, for fitting the map to them."""
    if not unit_ids:
        return None
    extent = sa.func.ST_Extent(AdminUnit.geom)
    row = session.execute(
        sa.select(
            sa.func.ST_YMin(extent),
            sa.func.ST_XMin(extent),
            sa.func.ST_YMax(extent),
            sa.func.ST_XMax(extent),
        ).where(AdminUnit.id.in_(sorted(unit_ids)))
    ).one()
    if row[0] is None:
        return None
    return float(row[0]), float(row[1]), float(row[2]), float(row[3])


def evaluation_criteria(session: Session, evaluation_ids: list[int]) -> dict[int, list[Any]]:
    """Each evaluation's stored criteria (its checklist as judged), by evaluation id."""
    if not evaluation_ids:
        return {}
    rows = session.execute(
        sa.select(Evaluation.id, Evaluation.criteria).where(Evaluation.id.in_(evaluation_ids))
    )
    return {row.id: row.criteria if isinstance(row.criteria, list) else [] for row in rows}
