"""Briefing maps: the province, commune and campaign pages printed on one A4 or A3 sheet.

A sheet is built from the page module of its view (``geo_app.pages``), so it shows what the page
shows, inside the same scope and for the same month: the page's areas and points, its legend
sections, its title. The page draws some layers from vector tiles; here those layers are read
through the feature service instead (the same layer, filters and scope). The sheet adds what
paper needs: the date printed, the data month, a scale bar, a north arrow, the source line and
the demo flag. Fixed words go through the reader's ``gettext`` (Vietnamese by default).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

import matplotlib
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextPath
from sqlalchemy.orm import Session

from geo_app import features
from geo_app.features import FeatureQuery
from geo_app.layers.base import LayerQuery
from geo_app.pages import campaign as campaign_pages
from geo_app.pages.common import PageMonth, Viewer, day_text, month_label
from geo_app.pages.commune import CommunePage, commune_page
from geo_app.pages.layers import layer_query
from geo_app.pages.legend import LegendItem, LegendSection
from geo_app.pages.province import ProvincePage, province_page
from geo_app.printing.cartography import (
    BBox,
    MapLayer,
    draw_layer,
    draw_legend,
    frame,
    from_page_bounds,
    layers_bounds,
    north_arrow,
    scale_bar,
)
from geo_app.printing.kit import Paper, new_page, pdf_bytes, png_bytes

Kind = Literal["province", "commune", "campaign"]
KINDS: tuple[Kind, ...] = ("province", "commune", "campaign")
Format = Literal["pdf", "png"]
FORMATS: tuple[Format, ...] = ("pdf", "png")
PRINT_SIMPLIFY = 0.0002
"""Simplification of the province's communes on paper (degrees; ~20 m, below a line's width)."""
DEMO_RED = "#b2182b"


@dataclass(frozen=True)
class Words:
    """The sheet's fixed words in the reader's language."""

    kicker: str
    printed: str
    data_month: str
    source: str
    demo: str
    north: str
    km: str

    @classmethod
    def for_viewer(cls, viewer: Viewer, data_month: str) -> Words:
        _ = viewer.gettext
        return cls(
            kicker=_("Briefing map"),
            printed=_("Printed on %(date)s", date=day_text(viewer.today)),
            data_month=_("Data month: %(month)s", month=data_month),
            source=_(
                "Source: %(source)s",
                source=_(
                    "Boundaries: Vietnam administrative reference map (NRE & Cartography "
                    "Publishing House); population: 2009 census, area-weighted estimate for "
                    "2025 units."
                ),
            ),
            demo=_("DEMO DATA — for demonstration only, not real figures"),
            north=_("N"),
            km="km",
        )


@dataclass(frozen=True)
class BriefingSheet:
    """Everything one printed map shows."""

    kind: Kind
    title: str
    subtitle: str
    layers: tuple[MapLayer, ...]
    bounds: BBox | None
    legend: tuple[LegendSection, ...]
    words: Words
    demo: bool


def _points(session: Session, name: str, area: str, on: date, viewer: Viewer) -> MapLayer:
    """A point layer the page draws from tiles, read through the feature service instead."""
    query = FeatureQuery(name, layer_query(name, area, on, viewer), properties=("status",))
    return MapLayer(features.collection(session, query).features, name)


def province_sheet(session: Session, code: str, month: PageMonth, viewer: Viewer) -> BriefingSheet:
    """The province page on paper: its communes by class, the outline, fields, routes and the
    hotspots (what the page shows at first)."""
    page: ProvincePage = province_page(session, code, month, viewer)
    on = page.shown.on
    query = LayerQuery(
        area_code=code,
        as_of=on,
        lang=viewer.lang,
        scope_unit_id=viewer.scope_unit_id,
        simplify_degrees=PRINT_SIMPLIFY,
    )
    classes = features.collection(
        session, FeatureQuery("classification", query, properties=("class", "level"), decimals=5)
    ).features
    communes = [f for f in classes if f["properties"].get("level") == "commune"]
    layers = (
        MapLayer(communes, "classification"),
        MapLayer(page.outline["features"], "provinces", outline_only=True, line_width=1.4),
        *(MapLayer(c["features"], name) for name, c in page.points.items()),
        _points(session, "hotspots", code, on, viewer),
    )
    return BriefingSheet(
        kind="province",
        title=page.title,
        subtitle=f"{len(page.communes)} {page.count_label}",
        layers=layers,
        bounds=layers_bounds(layers[1:2]) or layers_bounds(layers),
        legend=page.legend[:2],
        words=Words.for_viewer(viewer, month_label(on)),
        demo=page.demo,
    )


def commune_sheet(session: Session, code: str, month: PageMonth, viewer: Viewer) -> BriefingSheet:
    """The commune page on paper: its areas by class, hamlets, fields, routes and pins."""
    page = commune_page(session, code, month, viewer)
    return BriefingSheet(
        kind="commune",
        title=page.title,
        subtitle=_class_line(page),
        layers=commune_layers(page),
        bounds=from_page_bounds(page.bounds),
        legend=page.legend[:3],
        words=Words.for_viewer(viewer, data_month(page)),
        demo=page.demo,
    )


def commune_layers(page: CommunePage) -> tuple[MapLayer, ...]:
    """The commune page's layers in its drawing order."""
    areas = (
        (MapLayer(page.parts["features"], "classification"),)
        if page.parts["features"]
        else (MapLayer(page.hamlets["features"], "hamlets", outline_only=True),)
    )
    own = MapLayer(
        page.own["features"], "classification", bool(page.parts["features"]), line_width=1.6
    )
    return (
        *((own, *areas) if not page.parts["features"] else (*areas, own)),
        *(MapLayer(c["features"], name) for name, c in page.shapes.items()),
        *(MapLayer(c["features"], name) for name, c in page.pins.items()),
    )


def _class_line(page: CommunePage) -> str:
    found = page.unit_class
    return f"{found.heading}: {found.label}" if found is not None else ""


def data_month(page: CommunePage) -> str:
    """The month of the commune's stored class (``MM/YYYY``), else the month shown."""
    found = page.unit_class
    if found is not None and found.month:
        year, _, month = str(found.month).partition("-")
        return f"{month}/{year}" if month else year
    return month_label(page.shown.on)


def campaign_sheet(session: Session, campaign_id: int, on: date, viewer: Viewer) -> BriefingSheet:
    """The campaign page on paper: its targets by progress over the province outline, the
    hotspots, the headline and the phase."""
    page = campaign_pages.campaign_page(session, campaign_id, on, viewer)
    query = LayerQuery(
        as_of=on,
        lang=viewer.lang,
        scope_unit_id=viewer.scope_unit_id,
        campaign_id=campaign_id,
        simplify_degrees=PRINT_SIMPLIFY,
    )
    targets = features.collection(
        session, FeatureQuery("campaign_progress", query, properties=("progress",), decimals=5)
    ).features
    layers = [
        MapLayer(targets, "campaign_progress", line_width=0.6),
        MapLayer(page.outline["features"], "provinces", outline_only=True, line_width=1.4),
    ]
    area = page.report["campaign"].get("province_code")
    if area:
        layers.append(_points(session, "hotspots", str(area), on, viewer))
    return BriefingSheet(
        kind="campaign",
        title=page.title,
        subtitle=f"{page.report['headline']} · {page.report['phase']['text']}",
        layers=tuple(layers),
        bounds=from_page_bounds(page.bounds) or layers_bounds(layers),
        legend=campaign_legend(page),
        words=Words.for_viewer(viewer, month_label(on)),
        demo=page.demo,
    )


def campaign_legend(page: campaign_pages.CampaignPage) -> tuple[LegendSection, ...]:
    """The campaign page's two legends (progress, hotspots) as legend sections."""
    progress = tuple(LegendItem(i["label"], i["colour"]) for i in page.legend)
    points = tuple(
        LegendItem(i["label"], i["colour"], shape="circle") for i in page.point_legend["items"]
    )
    return (
        LegendSection(page.legend_title, progress),
        LegendSection(str(page.point_legend["title"]), points),
    )


# --- drawing -----------------------------------------------------------------------------------


def draw_sheet(sheet: BriefingSheet, paper: Paper) -> Figure:
    """The sheet on one page: heading, map with scale bar and north arrow, legend beside
    (landscape) or below (portrait) it, and the footer with the source and the demo flag."""
    figure = new_page(paper)
    _heading(figure, sheet)
    landscape = paper.orientation == "landscape"
    map_box = (0.03, 0.09, 0.70, 0.78) if landscape else (0.04, 0.27, 0.92, 0.61)
    legend_box = (0.76, 0.09, 0.22, 0.78) if landscape else (0.06, 0.07, 0.88, 0.19)
    draw_map(figure.add_axes(map_box), sheet)
    legend_ax = figure.add_axes(legend_box)
    draw_legend(legend_ax, sheet.legend, columns=1 if landscape else len(sheet.legend))
    _footer(figure, sheet)
    return figure


def draw_map(ax: Any, sheet: BriefingSheet) -> None:
    """The map of a sheet in ``ax``: its layers, framed, with the scale bar and north arrow."""
    for layer in sheet.layers:
        if layer.features:
            draw_layer(ax, layer)
    frame(ax, sheet.bounds or (102.0, 8.0, 110.0, 23.5))
    scale_bar(ax, sheet.words.km)
    north_arrow(ax, sheet.words.north)


TITLE_SIZE, SMALLEST_TITLE = 18.0, 11.0
TITLE_WIDTH = 0.72
"""Of the sheet's width, what the title may take: the date and data month stand to its right."""


def title_fit(title: str, figure: Figure) -> tuple[str, float]:
    """The title and its size in points: 18 pt bold when it fits beside the date block, else
    smaller, and past 11 pt on two lines, so a long campaign name never runs under the date or
    off the sheet (measured with the print font's own outlines)."""
    room = figure.get_figwidth() * 72 * TITLE_WIDTH
    font = FontProperties(family=matplotlib.rcParams["font.family"], weight="bold")
    width = TextPath((0, 0), title, size=TITLE_SIZE, prop=font).get_extents().width
    size = TITLE_SIZE if width <= room else TITLE_SIZE * room / width
    if size >= SMALLEST_TITLE:
        return title, size
    chars = max(20, int(len(title) * room / (width * SMALLEST_TITLE / TITLE_SIZE)))
    return "\n".join(textwrap.wrap(title, chars)[:2]), SMALLEST_TITLE


def _heading(figure: Figure, sheet: BriefingSheet) -> None:
    words = sheet.words
    figure.text(0.03, 0.965, words.kicker.upper(), fontsize=9, color="#555555", va="top")
    title, size = title_fit(sheet.title, figure)
    figure.text(0.03, 0.945, title, fontsize=size, fontweight="bold", va="top")
    drop = (title.count("\n") + 1) * size * 1.3 / (figure.get_figheight() * 72)
    figure.text(0.03, 0.937 - drop, sheet.subtitle, fontsize=10, va="top", wrap=True)
    figure.text(0.97, 0.965, words.printed, fontsize=9, ha="right", va="top")
    figure.text(0.97, 0.94, words.data_month, fontsize=9, ha="right", va="top")


def _footer(figure: Figure, sheet: BriefingSheet) -> None:
    figure.text(0.03, 0.025, sheet.words.source, fontsize=6.5, color="#444444", wrap=True)
    if sheet.demo:
        figure.text(
            0.97,
            0.045,
            sheet.words.demo,
            fontsize=9,
            fontweight="bold",
            color=DEMO_RED,
            ha="right",
        )


def render(sheet: BriefingSheet, paper: Paper, fmt: Format, author: str) -> bytes:
    """The sheet as PDF or PNG bytes."""
    figure = draw_sheet(sheet, paper)
    if fmt == "png":
        return png_bytes(figure)
    return pdf_bytes([figure], title=f"{sheet.words.kicker}: {sheet.title}", author=author)
