"""The commune page: the commune (or its former parts) coloured by class as of a month, its
hamlets, fields, routes and pins embedded, the legend, the commune's own class and why, the
panel's hamlet (or part) list, the summary and the campaigns with a target in it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from geo_app import features, urls
from geo_app.features import FeatureQuery, bounds
from geo_app.layers.base import Lang, LayerQuery
from geo_app.layers.classification import CLASS_COLOURS, INSUFFICIENT
from geo_app.layers.vocab import label
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
from geo_app.pages.coverage import CoveragePanel, coverage_panel
from geo_app.pages.coverage import legend_item as gap_legend_item
from geo_app.pages.layers import collections
from geo_app.pages.legend import LegendSection
from geo_app.pages.relapse import RelapsePanel, relapse_panel
from geo_app.pages.relapse import legend_item as relapse_legend_item
from geo_app.services.boundaries import areas
from geo_app.services.boundaries.versions import UnitVersion
from geo_app.services.summary import Summary, summary

SHAPE_LAYERS = ("cultivation_sites", "routes")
"""Embedded over the commune's areas as shapes."""
PIN_LAYERS = ("hotline_boards", "tipoff_boxes", "hotspots")
"""Embedded as clustered pins."""
BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class UnitClass:
    """The commune's own class, the criteria that fired and the month of its data."""

    heading: str
    klass: str
    label: str
    colour: str
    hatch: bool
    why_label: str
    why: str | None
    month_label: str
    month: str | None


@dataclass(frozen=True)
class CommunePage:
    unit: UnitVersion
    shown: Shown
    lang: Lang
    crumbs: tuple[Crumb, ...]
    months: MonthOptions
    summary: Summary
    campaigns: tuple[CampaignItem, ...]
    own: dict[str, Any]
    """The commune itself (no link: this page)."""
    parts: dict[str, Any]
    """Its former communes (pre-2025 parts) when it has any; drawn under its outline."""
    hamlets: dict[str, Any]
    shapes: dict[str, dict[str, Any]]
    pins: dict[str, dict[str, Any]]
    bounds: BBox | None
    unit_class: UnitClass | None
    panel: tuple[PanelItem, ...]
    legend: tuple[LegendSection, ...]
    demo: bool
    count_label: str
    coverage: CoveragePanel
    """The hamlets and groups lacking a working board or a box, listed and outlined."""
    relapse: RelapsePanel
    """The hotspots marked near a cleared one, listed and ringed."""

    @property
    def title(self) -> str:
        return self.unit.name

    @property
    def notes(self) -> tuple[Note, ...]:
        return self.shown.notes

    @property
    def link_suffix(self) -> str:
        return urls.query(self.shown.link_month, self.lang)


def commune_page(session: Session, code: str, month: PageMonth, viewer: Viewer) -> CommunePage:
    """The commune ``code`` as of the month, for the reader (403/404 as ``unit_for_page``)."""
    scope = viewer.scope_unit_id
    unit = unit_for_page(session, code, "commune", month, viewer)
    at = shown(session, unit, month, viewer)
    classes = LayerQuery(area_code=code, as_of=at.on, lang=viewer.lang, scope_unit_id=scope)
    classified = features.collection(session, FeatureQuery("classification", classes)).geojson
    hamlets = features.collection(
        session, FeatureQuery("hamlets", LayerQuery(area_code=code, as_of=at.on))
    ).geojson
    own = [f for f in classified["features"] if f["properties"].get("level") == "commune"]
    parts = [f for f in classified["features"] if f["properties"].get("level") != "commune"]
    for item in own:
        item["properties"]["link"] = None  # this page: no link to itself
    own_collection = {"type": "FeatureCollection", "features": own}
    listed = parts if parts else hamlets["features"]
    return CommunePage(
        unit=unit,
        shown=at,
        lang=viewer.lang,
        crumbs=crumbs(session, unit, at, viewer),
        months=month_options(session, unit, scope, at),
        summary=summary(session, area_code=unit.code, on=at.on, scope_unit_id=scope),
        campaigns=campaign_items(session, unit.id, None, viewer),
        own=own_collection,
        parts={"type": "FeatureCollection", "features": parts},
        hamlets=hamlets,
        shapes=collections(session, SHAPE_LAYERS, code, at.on, viewer),
        pins=collections(session, PIN_LAYERS, code, at.on, viewer),
        bounds=bounds(own_collection) or bounds(classified) or bounds(hamlets),
        unit_class=_unit_class(own, viewer),
        panel=class_items({**f["properties"], "link": None} for f in listed),
        legend=(
            legend.classification_section(viewer.lang, viewer.gettext, month=month_label(at.on)),
            *legend.hotspot_sections(viewer.lang, viewer.gettext),
            legend.facility_section(viewer.lang, viewer.gettext),
            _to_act_on(viewer),
        ),
        demo=areas.demo_loaded(session),
        count_label=viewer.gettext("hamlets and residential groups"),
        coverage=coverage_panel(session, unit.id, at.on, viewer),
        relapse=relapse_panel(session, unit.id, at.on, viewer),
    )


def _to_act_on(viewer: Viewer) -> LegendSection:
    """The legend lines of what the page marks for action: gaps and relapse candidates."""
    _ = viewer.gettext
    return LegendSection(_("To act on"), (gap_legend_item(_), relapse_legend_item(_)))


def _unit_class(own: list[dict[str, Any]], viewer: Viewer) -> UnitClass | None:
    """The commune's own class, why, and the month of the data, for the panel."""
    if not own:
        return None
    _ = viewer.gettext
    props = own[0]["properties"]
    klass = str(props.get("class"))
    return UnitClass(
        heading=_("Classification"),
        klass=klass,
        label=label("classification_class", klass, viewer.lang),
        colour=CLASS_COLOURS.get(klass, CLASS_COLOURS["no_data"]),
        hatch=klass == INSUFFICIENT,
        why_label=_("Criteria that fired"),
        why=props.get("criteria") if props.get("criteria") not in (None, "—") else None,
        month_label=_("Data month"),
        month=props.get("month") if props.get("month") not in (None, "—") else None,
    )
