"""The province page: its communes coloured by class as of a month (drawn from vector tiles),
the province outline, fields and routes for context, the legend with the class counts, the
panel's commune list, the summary and the campaigns touching it — all inside the reader's scope.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from geo_app import features, urls
from geo_app.features import FeatureQuery
from geo_app.layers.base import Lang, LayerQuery
from geo_app.pages import legend
from geo_app.pages.common import (
    CampaignItem,
    Crumb,
    MonthOptions,
    Note,
    PageMonth,
    PanelItem,
    Shown,
    Viewer,
    campaign_items,
    class_items,
    crumbs,
    month_label,
    month_options,
    shown,
    unit_for_page,
)
from geo_app.pages.layers import TileLayer, collections, month_tiles
from geo_app.pages.legend import LegendSection
from geo_app.services.boundaries import areas
from geo_app.services.boundaries.versions import UnitVersion
from geo_app.services.summary import Summary, summary

PROVINCE_SIMPLIFY = 0.0002
"""Display simplification of the embedded province outline (degrees)."""
CLASS_COLUMNS = ("code", "name", "level", "link", "class", "class_label")
TILES = (
    ("classification", True),
    ("hamlets", False),
    ("hotspots", True),
    ("hotline_boards", False),
    ("tipoff_boxes", False),
)
"""Tile layers (name, shown at first): boards, boxes and hamlets wait in the layer control.
All are drawn inside the province alone, like the rest of the page: the neighbours' communes
and hotspots, under the dark mask, cost a phone a third of its drawing and told it nothing."""
POINT_LAYERS = ("cultivation_sites", "routes")
"""Embedded for context (few): hotspots, boards and boxes come as tiles."""


@dataclass(frozen=True)
class ProvincePage:
    unit: UnitVersion
    shown: Shown
    lang: Lang
    crumbs: tuple[Crumb, ...]
    months: MonthOptions
    summary: Summary
    campaigns: tuple[CampaignItem, ...]
    communes: tuple[PanelItem, ...]
    """The panel: the communes in scope, by name, coloured by class."""
    class_counts: dict[str, int]
    legend: tuple[LegendSection, ...]
    outline: dict[str, Any]
    points: dict[str, dict[str, Any]]
    tiles: tuple[TileLayer, ...]
    demo: bool
    count_label: str

    @property
    def title(self) -> str:
        return self.unit.name

    @property
    def panel(self) -> tuple[PanelItem, ...]:
        return self.communes

    @property
    def notes(self) -> tuple[Note, ...]:
        return self.shown.notes

    @property
    def link_suffix(self) -> str:
        """What the panel's and popups' links to communes carry: the month and the language."""
        return urls.query(self.shown.link_month, self.lang)


def province_page(session: Session, code: str, month: PageMonth, viewer: Viewer) -> ProvincePage:
    """The province ``code`` as of the month, for the reader (403/404 as ``unit_for_page``)."""
    scope = viewer.scope_unit_id
    unit = unit_for_page(session, code, "province", month, viewer)
    at = shown(session, unit, month, viewer)
    classes = LayerQuery(area_code=code, as_of=at.on, lang=viewer.lang, scope_unit_id=scope)
    rows = features.page(session, FeatureQuery("classification", classes, properties=CLASS_COLUMNS))
    communes = class_items(row for row in rows if row["level"] == "commune")
    counts = dict(Counter(str(item.klass) for item in communes))
    area = LayerQuery(area_code=code, as_of=at.on, simplify_degrees=PROVINCE_SIMPLIFY)
    outline = features.collection(session, FeatureQuery("provinces", area, decimals=5)).geojson
    return ProvincePage(
        unit=unit,
        shown=at,
        lang=viewer.lang,
        crumbs=crumbs(session, unit, at, viewer),
        months=month_options(session, unit, scope, at),
        summary=summary(session, area_code=unit.code, on=at.on, scope_unit_id=scope),
        campaigns=campaign_items(session, unit.id, unit.code, viewer),
        communes=communes,
        class_counts=counts,
        legend=(
            legend.classification_section(
                viewer.lang, viewer.gettext, month=month_label(at.on), counts=counts
            ),
            legend.hotspot_sections(viewer.lang, viewer.gettext, counted=True)[0],
            legend.facility_section(viewer.lang, viewer.gettext),
        ),
        outline=outline,
        points=collections(session, POINT_LAYERS, code, at.on, viewer),
        tiles=month_tiles(session, TILES, at.tile_month, viewer.lang, within=unit.id),
        demo=areas.demo_loaded(session),
        count_label=viewer.gettext("communes and wards"),
    )
