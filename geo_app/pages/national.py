"""The national page: the 34 provinces (units and points drawn from vector tiles), the panel's
province list, the summary of the reader's scope today and every campaign they may see."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from geo_app import features
from geo_app.features import FeatureQuery
from geo_app.layers.base import Lang, LayerQuery
from geo_app.pages.common import CampaignItem, Crumb, PanelItem, Viewer, campaign_items, class_items
from geo_app.pages.layers import TileLayer
from geo_app.pages.reports import NationalGoal, national_goals
from geo_app.services.boundaries import areas
from geo_app.services.layer_api import layer_versions, tile_url
from geo_app.services.summary import Summary, summary

PANEL_COLUMNS = ("code", "name", "kind", "link")


@dataclass(frozen=True)
class NationalPage:
    title: str
    lang: Lang
    provinces: tuple[PanelItem, ...]
    summary: Summary
    campaigns: tuple[CampaignItem, ...]
    tiles: tuple[TileLayer, ...]
    demo: bool
    crumbs: tuple[Crumb, ...] = ()
    """None: the country is the top."""
    goals: tuple[NationalGoal, ...] = ()
    """Provinces' goals (planned vs achieved today), for the panel."""

    @property
    def panel(self) -> tuple[PanelItem, ...]:
        return self.provinces


def national_page(session: Session, viewer: Viewer) -> NationalPage:
    """The country today, as the reader's scope sees it."""
    _ = viewer.gettext
    provinces = features.page(
        session, FeatureQuery("provinces", LayerQuery(), properties=PANEL_COLUMNS)
    )
    versions = layer_versions(session)
    tiles = (
        TileLayer("admin", tile_url("admin", versions), _("Administrative units")),
        TileLayer("points", tile_url("points", versions), _("Hotspots, boards and boxes")),
    )
    scope = viewer.scope_unit_id
    return NationalPage(
        title=_("Viet Nam — 34 provinces"),
        lang=viewer.lang,
        provinces=class_items(provinces),
        summary=summary(session, area_code=None, on=viewer.today, scope_unit_id=scope),
        campaigns=campaign_items(session, None, None, viewer),
        tiles=tiles,
        demo=areas.demo_loaded(session),
        goals=national_goals(session, viewer),
    )
