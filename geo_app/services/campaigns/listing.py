"""The campaigns a map page links to: those touching an area, kept inside the user's scope.

A campaign touches a province when it is the campaign's own province (``province_code``) or
one of its targets lies inside the province (by the parent chain or by territory, the rule of
``services.scope``, so pre-2025 targets count in their 2025 province). Without an area, every
campaign. A user then sees only the campaigns ``progress_report.visible_campaign`` lets them
open, so no link leads to a 403 and nothing outside the scope is named.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from geo_app.layers.filters import scope_filter
from geo_app.models import AdminUnit, Campaign, CampaignTarget
from geo_app.services.accounts.scope import OutOfScope
from geo_app.services.campaigns.progress_report import visible_campaign

# Aliases of the unit table are made once: making one (its geometry and key columns proxied)
# costs milliseconds, which every page paid several times over when each query made its own.
_TARGET_UNIT = aliased(AdminUnit, name="target_unit")


@dataclass(frozen=True)
class CampaignLink:
    """A campaign as a map page lists it."""

    id: int
    code: str
    title: str
    starts_on: date
    ends_on: date | None
    province_code: str | None


def campaigns_touching(
    session: Session, area_id: int | None, province_code: str | None, scope_unit_id: int | None
) -> list[CampaignLink]:
    """Campaigns touching the area (``area_id``, the unit version shown: a province, whose
    ``province_code`` also names campaigns by their own province, or a commune, None), or every
    campaign without an area; only those visible in the scope; newest first."""
    query = sa.select(Campaign).where(Campaign.deleted_at.is_(None))
    if area_id is not None:
        target_unit = _TARGET_UNIT
        has_target = (
            sa.exists()
            .where(
                CampaignTarget.campaign_id == Campaign.id,
                target_unit.id == CampaignTarget.admin_unit_id,
                scope_filter(area_id, target_unit),
            )
            .correlate(Campaign)
        )
        own = Campaign.province_code == province_code if province_code else sa.false()
        query = query.where(sa.or_(own, has_target))
    campaigns = session.scalars(query.order_by(Campaign.starts_on.desc(), Campaign.code)).all()
    found: list[CampaignLink] = []
    for campaign in campaigns:
        try:
            visible_campaign(session, campaign.id, scope_unit_id)
        except OutOfScope:
            continue
        found.append(
            CampaignLink(
                campaign.id,
                campaign.code,
                campaign.title,
                campaign.starts_on,
                campaign.ends_on,
                campaign.province_code,
            )
        )
    return found
