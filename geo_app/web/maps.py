"""Map pages: the national overview, a province's communes, a commune's hamlets.

The overview and the province pages draw units and points from vector tiles (``/tiles/``), so
they embed at most one province outline; only the commune page embeds its own polygons.

The province and commune pages show the classification as of a month (``?month=YYYY-MM``,
default today): the tile URLs carry it and the embedded layers are read as of its last day. A
code names the version of the unit in force then (else today, else its last one); a closed
version (a commune merged on 1 July 2025) is shown as on its last day, with its successors.
Every layer is read inside the user's scope, and a page outside it is a 403.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from geo_app import clock
from geo_app.domain.month import Month
from geo_app.layers import get_layer
from geo_app.layers.base import Lang, LayerQuery, Style
from geo_app.layers.classification import CLASS_COLOURS, INSUFFICIENT, months_query
from geo_app.layers.facilities import AGEING_COLOURS
from geo_app.layers.hotspots import STATUS_COLOURS
from geo_app.layers.vocab import label
from geo_app.maps import builder, legend
from geo_app.maps.tile_styles import tile_config
from geo_app.services import areas, unit_versions
from geo_app.services.campaigns.listing import CampaignLink, campaigns_touching
from geo_app.services.features import bounds, feature_collection, listing
from geo_app.services.layer_api import layer_versions, tile_url
from geo_app.services.summary import Summary, summary
from geo_app.services.unit_versions import UnitVersion
from geo_app.web.access import check_unit, home_path, require_login, scope_unit_id
from geo_app.web.context import lang, read_session, settings

bp = Blueprint("maps", __name__)
require_login(bp)

# Display simplification of the embedded province outline (degrees).
PROVINCE_SIMPLIFY = 0.0002
PANEL_COLUMNS = ("code", "name", "kind", "link")
CLASS_COLUMNS = ("code", "name", "level", "link", "class", "class_label")
TILE_SETS = ("admin", "points")
# Province page tiles: (tile layer, shown at first). Boards and boxes wait in the layer control.
PROVINCE_TILES = (
    ("classification", True),
    ("hamlets", False),
    ("hotspots", True),
    ("hotline_boards", False),
    ("tipoff_boxes", False),
)
# Hotspots, boards and boxes come as tiles on the province page; fields and routes are few.
PROVINCE_POINT_LAYERS = ("cultivation_sites", "routes")
# Embedded over a commune's areas: fields and routes as shapes, the rest as clustered pins.
COMMUNE_SHAPE_LAYERS = ("cultivation_sites", "routes")
COMMUNE_PIN_LAYERS = ("hotline_boards", "tipoff_boxes", "hotspots")
OUTLINE = Style(color="#1f3b57", weight=2.5, fill_opacity=0.0)
SUBUNIT_OUTLINE = Style(color="#3b3b3b", weight=1.0, fill_opacity=0.0)


def _day(value: date) -> str:
    return value.strftime("%d/%m/%Y")


def _month_label(value: date) -> str:
    return value.strftime("%m/%Y")


@dataclass(frozen=True)
class PageMonth:
    """The month a page was asked for (``YYYY-MM``, None = now) and its as-of date."""

    asked: str | None
    on: date


def page_month(text: str | None, today: date | None = None) -> PageMonth:
    """``?month=YYYY-MM`` as the month's last day (today for the current month or none);
    a MonthError (400) for anything else or a month still to come."""
    today = today or clock.today()
    if not text:
        return PageMonth(None, today)
    month = Month.parse(text, today=today)
    return PageMonth(str(month), min(month.last_day, today))


@dataclass(frozen=True)
class Shown:
    """What a unit page draws: the version, the as-of date inside its validity, the query for
    its links and tiles, and notes explaining any difference from what was asked."""

    unit: UnitVersion
    on: date
    link_query: dict[str, str]
    tile_month: str | None
    notes: list[dict[str, Any]]


def _shown(session: Session, unit: UnitVersion, month: PageMonth, language: Lang) -> Shown:
    on = unit.clamp(month.on)
    notes: list[dict[str, Any]] = []
    if unit.closed and unit.valid_to is not None:
        found = unit_versions.successors(session, unit)
        notes.append(
            {
                "text": _(
                    "%(name)s (code %(code)s) ceased on %(date)s: merged into",
                    name=unit.name,
                    code=unit.code,
                    date=_day(unit.valid_to),
                ),
                "links": [_successor_link(unit, s, language, len(found) > 1) for s in found],
                "after": _(
                    "The map shows the former unit's boundary and data as of %(date)s.",
                    date=_day(on),
                ),
                "kind": "merged",
            }
        )
    elif on > month.on:
        notes.append(
            {
                "text": _(
                    "%(name)s exists from %(date)s; the map shows that day.",
                    name=unit.name,
                    date=_day(on),
                ),
                "kind": "starts",
            }
        )
    if not unit.closed:
        before = unit_versions.previous_version(session, unit)
        if before is not None and before.valid_to is not None:
            last = before.clamp(before.valid_to)
            notes.append(
                {
                    "text": _(
                        "Before %(date)s, code %(code)s was %(name)s:",
                        date=_day(unit.valid_from),
                        code=unit.code,
                        name=before.name,
                    ),
                    "links": [
                        {
                            "href": _page_link(
                                unit.level, unit.code, last.strftime("%Y-%m"), language
                            ),
                            "text": _("see the map of %(month)s", month=_month_label(last)),
                        }
                    ],
                    "kind": "previous",
                }
            )
    asked = month.asked
    if on != month.on:
        asked = on.strftime("%Y-%m")
    link_query = {"month": asked} if asked else {}
    tile_month = on.isoformat() if on != month.on or month.asked else None
    return Shown(unit, on, link_query, tile_month, notes)


def _page_link(level: str, code: str, month: str | None, language: Lang) -> str:
    query: dict[str, str] = {}
    if month:
        query["month"] = month
    if language == "en":
        query["lang"] = "en"
    path = f"/map/{level}/{code}"
    return path + ("?" + urlencode(query) if query else "")


def _successor_link(
    unit: UnitVersion, successor: unit_versions.Successor, language: Lang, with_share: bool
) -> dict[str, str]:
    text = f"{successor.name} ({successor.code})"
    if with_share and successor.share_of_old is not None:
        text += f" — {successor.share_of_old * 100:.0f} %"
    return {"href": _page_link(unit.level, successor.code, None, language), "text": text}


def _query_suffix(query: dict[str, str], language: Lang) -> str:
    full = dict(query)
    if language == "en":
        full["lang"] = "en"
    return "?" + urlencode(full) if full else ""


def _with_month(url: str, tile_month: str | None) -> str:
    return url + (f"&month={tile_month}" if tile_month else "")


def _month_options(
    session: Session, unit: UnitVersion, scope: int | None, shown: Shown
) -> dict[str, Any]:
    """The month selector: the months with stored classifications in the area, newest first."""
    months = session.scalars(months_query(unit.code, (unit.valid_from, unit.valid_to), scope))
    options = [(m.strftime("%Y-%m"), _month_label(m)) for m in months]
    selected = shown.link_query.get("month", "")
    if selected and selected not in {value for value, _ in options}:
        options.insert(0, (selected, _month_label(shown.on)))
    return {"options": options, "selected": selected}


def _static(path: str) -> str:
    return url_for("static", filename=path)


def _page(title: str, fmap: Any, panel: list[dict[str, Any]], **context: Any) -> str:
    language = lang()
    parts = builder.components(fmap, _static, language)
    return render_template(
        "map_page.html", title=title, map=parts, panel=panel, lang=language, **context
    )


def _summary(session: Session, unit: UnitVersion, on: date, scope: int | None) -> Summary:
    """The summary panel of a unit page: the unit as of the page's date, inside the scope."""
    return summary(session, area_code=unit.code, on=on, scope_unit_id=scope)


def _campaign_items(campaigns: list[CampaignLink], language: Lang) -> list[dict[str, Any]]:
    """The panel's campaign links (the page's language kept)."""
    suffix = "?lang=en" if language == "en" else ""
    return [
        {
            "title": c.title,
            "link": f"/map/campaign/{c.id}{suffix}",
            "years": f"{c.starts_on.year}–{c.ends_on.year}"
            if c.ends_on and c.ends_on.year != c.starts_on.year
            else str(c.starts_on.year),
        }
        for c in campaigns
    ]


def _with_class_colours(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for item in items:
        klass = item.get("class")
        if klass:
            item["colour"] = CLASS_COLOURS.get(klass, CLASS_COLOURS["no_data"])
            item["hatch"] = klass == INSUFFICIENT
    return items


def _units(session: Session, layer: str, request: LayerQuery) -> list[dict[str, Any]]:
    """The panel's unit list, read without geometry."""
    items = listing(session, get_layer(layer), request, PANEL_COLUMNS)
    return sorted(items, key=lambda item: str(item["name"]))


def _add_tiles(fmap: Any, versions: dict[str, int], language: Lang) -> None:
    titles = {"admin": _("Administrative units"), "points": _("Hotspots, boards and boxes")}
    for name in TILE_SETS:
        builder.add_vector_tiles(
            fmap,
            tile_url(name, versions),
            tile_config(name, language),
            name=titles[name],
            script_url=_static("js/vector_tiles.js"),
        )


def _layer_query(name: str, area: str, on: date, language: Lang, scope: int | None) -> LayerQuery:
    as_of = on if "date" in get_layer(name).filters else None
    return LayerQuery(area_code=area, as_of=as_of, lang=language, scope_unit_id=scope)


def _collections(
    session: Session, names: tuple[str, ...], area: str, on: date, language: Lang, scope: int | None
) -> dict[str, dict[str, Any]]:
    return {
        name: feature_collection(
            session, get_layer(name), _layer_query(name, area, on, language, scope)
        )
        for name in names
    }


def _crumbs(unit: UnitVersion, language: Lang, month: str | None) -> list[dict[str, str | None]]:
    crumbs: list[dict[str, str | None]] = [
        {"name": _("Viet Nam"), "link": "/" + ("?lang=en" if language == "en" else "")}
    ]
    if unit.level != "province" and unit.province_code:
        crumbs.append(
            {
                "name": unit.province_name,
                "link": _page_link("province", unit.province_code, month, language),
            }
        )
    return crumbs


@bp.get("/")
def national() -> str | BaseResponse:
    """The whole country for national scope; a scoped user is taken to their own area."""
    language = lang()
    with read_session() as session:
        home = home_path(session)
        if home is not None:
            return redirect(home + ("?lang=en" if language == "en" else ""))
        provinces = _units(session, "provinces", LayerQuery())
        versions = layer_versions(session)
        demo = areas.demo_loaded(session)
        scope = scope_unit_id()
        figures = summary(session, area_code=None, on=clock.today(), scope_unit_id=scope)
        campaigns = campaigns_touching(session, None, None, scope)
    fmap = builder.new_map(settings().basemap)
    builder.fit(fmap, None)  # before the tiles, so they load at the final zoom only
    _add_tiles(fmap, versions, language)
    title = _("Viet Nam — 34 provinces")
    return _page(
        title,
        fmap,
        provinces,
        demo=demo,
        crumbs=[],
        count=len(provinces),
        summary_panel=figures,
        campaigns=_campaign_items(campaigns, language),
    )


@bp.get("/map/province/<code>")
def province(code: str) -> str:
    language = lang()
    month = page_month(request.args.get("month"))
    scope = scope_unit_id()
    with read_session() as session:
        unit = unit_versions.version_for_page(session, code, "province", month.on)
        check_unit(session, unit.id)
        shown = _shown(session, unit, month, language)
        communes = [
            item
            for item in listing(
                session,
                get_layer("classification"),
                LayerQuery(area_code=code, as_of=shown.on, lang=language, scope_unit_id=scope),
                CLASS_COLUMNS,
            )
            if item["level"] == "commune"
        ]
        outline = feature_collection(
            session,
            get_layer("provinces"),
            LayerQuery(area_code=code, as_of=shown.on, simplify_degrees=PROVINCE_SIMPLIFY),
            decimals=5,
        )
        points = _collections(session, PROVINCE_POINT_LAYERS, code, shown.on, language, scope)
        months = _month_options(session, unit, scope, shown)
        versions = layer_versions(session)
        demo = areas.demo_loaded(session)
        figures = _summary(session, unit, shown.on, scope)
        campaigns = campaigns_touching(session, unit.id, unit.code, scope)
    suffix = _query_suffix(shown.link_query, language)
    fmap = builder.new_map(settings().basemap, prefer_canvas=False)
    builder.add_panes(fmap)
    builder.add_mask(fmap, outline, name=unit.name)
    builder.fit(fmap, bounds(outline))  # before the tiles, so they load at the final zoom only
    for name, show in PROVINCE_TILES:
        builder.add_vector_tiles(
            fmap,
            _with_month(tile_url(name, versions), shown.tile_month),
            tile_config(name, language, shown.link_query),
            name=get_layer(name).title(language),
            script_url=_static("js/vector_tiles.js"),
            show=show,
        )
    for name, collection in points.items():
        if collection["features"]:
            # Drawn over the classes for context only: a click anywhere in a commune (often
            # crossed by a key route) opens the commune; their details are on commune pages.
            builder.add_layer(
                fmap,
                get_layer(name),
                collection,
                language,
                interactive=False,
                pane=builder.OVER_PANE,
            )
    counts = Counter(str(item["class"]) for item in communes)
    legend.add_legend(
        fmap,
        (
            legend.classification_section(language, month=_month_label(shown.on), counts=counts),
            legend.hotspot_sections(language)[0],
            legend.facility_section(language),
        ),
        language,
    )
    panel = _with_class_colours(sorted(communes, key=lambda item: str(item["name"])))
    return _page(
        unit.name,
        fmap,
        panel,
        demo=demo,
        crumbs=_crumbs(unit, language, shown.link_query.get("month")),
        count=len(panel),
        count_label=_("communes and wards"),
        notes=shown.notes,
        months=months,
        link_suffix=suffix,
        summary_panel=figures,
        campaigns=_campaign_items(campaigns, language),
    )


def _pin_hotspot(props: dict[str, Any]) -> tuple[str, str, str]:
    glyph = legend.HOTSPOT_GLYPHS.get(str(props.get("kind")), "?")
    return glyph, STATUS_COLOURS.get(str(props.get("status")), "#777777"), "circle"


def _pin_board(props: dict[str, Any]) -> tuple[str, str, str]:
    return legend.BOARD_GLYPH, AGEING_COLOURS.get(str(props.get("ageing")), "#999999"), "square"


def _pin_box(props: dict[str, Any]) -> tuple[str, str, str]:
    return legend.BOX_GLYPH, AGEING_COLOURS.get(str(props.get("ageing")), "#999999"), "square"


PINS = {"hotspots": _pin_hotspot, "hotline_boards": _pin_board, "tipoff_boxes": _pin_box}


@bp.get("/map/commune/<code>")
def commune(code: str) -> str:
    language = lang()
    month = page_month(request.args.get("month"))
    scope = scope_unit_id()
    with read_session() as session:
        unit = unit_versions.version_for_page(session, code, "commune", month.on)
        check_unit(session, unit.id)
        shown = _shown(session, unit, month, language)
        classified = feature_collection(
            session,
            get_layer("classification"),
            LayerQuery(area_code=code, as_of=shown.on, lang=language, scope_unit_id=scope),
        )
        hamlets = feature_collection(
            session, get_layer("hamlets"), LayerQuery(area_code=code, as_of=shown.on)
        )
        shapes = _collections(session, COMMUNE_SHAPE_LAYERS, code, shown.on, language, scope)
        pins = _collections(session, COMMUNE_PIN_LAYERS, code, shown.on, language, scope)
        months = _month_options(session, unit, scope, shown)
        demo = areas.demo_loaded(session)
        figures = _summary(session, unit, shown.on, scope)
        campaigns = campaigns_touching(session, unit.id, None, scope)
    suffix = _query_suffix(shown.link_query, language)
    own = [f for f in classified["features"] if f["properties"].get("level") == "commune"]
    subunits = [f for f in classified["features"] if f["properties"].get("level") != "commune"]
    for item in own:
        item["properties"]["link"] = None  # this page: no link to itself
    own_collection = {"type": "FeatureCollection", "features": own}
    classification = get_layer("classification")
    fmap = builder.new_map(settings().basemap, prefer_canvas=False)
    builder.add_panes(fmap)
    if subunits:
        builder.add_layer(
            fmap,
            classification,
            {"type": "FeatureCollection", "features": subunits},
            language,
            link_suffix=suffix,
        )
        builder.add_layer(
            fmap,
            classification,
            own_collection,
            language,
            interactive=False,
            style=OUTLINE,
            pane=builder.MASK_PANE,
            name=unit.name,
        )
    else:
        builder.add_layer(fmap, classification, own_collection, language, link_suffix=suffix)
        if hamlets["features"]:
            builder.add_layer(
                fmap,
                get_layer("hamlets"),
                hamlets,
                language,
                interactive=False,
                style=SUBUNIT_OUTLINE,
                pane=builder.MASK_PANE,
            )
    for name, collection in shapes.items():
        if collection["features"]:
            builder.add_layer(
                fmap,
                get_layer(name),
                collection,
                language,
                link_suffix=suffix,
                pane=builder.OVER_PANE,
            )
    for name, collection in pins.items():
        if collection["features"]:
            builder.add_points(
                fmap, get_layer(name), collection, language, PINS[name], link_suffix=suffix
            )
    builder.fit(fmap, bounds(own_collection) or bounds(classified) or bounds(hamlets))
    legend.add_legend(
        fmap,
        (
            legend.classification_section(language, month=_month_label(shown.on)),
            *legend.hotspot_sections(language),
            legend.facility_section(language),
        ),
        language,
    )
    unit_class = _class_summary(own, language)
    panel_items = subunits if subunits else hamlets["features"]
    panel = _with_class_colours(
        sorted(
            (
                {
                    "code": f["properties"].get("code"),
                    "name": f["properties"].get("name"),
                    "class": f["properties"].get("class"),
                    "class_label": f["properties"].get("class_label"),
                    "link": None,
                }
                for f in panel_items
            ),
            key=lambda item: str(item["name"]),
        )
    )
    return _page(
        unit.name,
        fmap,
        panel,
        demo=demo,
        crumbs=_crumbs(unit, language, shown.link_query.get("month")),
        count=len(panel),
        count_label=_("hamlets and residential groups"),
        notes=shown.notes,
        months=months,
        unit_class=unit_class,
        link_suffix=suffix,
        summary_panel=figures,
        campaigns=_campaign_items(campaigns, language),
    )


def _class_summary(own: list[dict[str, Any]], language: Lang) -> dict[str, Any] | None:
    """The commune's own class, why, and the month of the data, for the panel."""
    if not own:
        return None
    props = own[0]["properties"]
    klass = str(props.get("class"))
    return {
        "heading": _("Classification"),
        "class": klass,
        "label": label("classification_class", klass, language),
        "colour": CLASS_COLOURS.get(klass, CLASS_COLOURS["no_data"]),
        "hatch": klass == INSUFFICIENT,
        "why_label": _("Criteria that fired"),
        "why": props.get("criteria") if props.get("criteria") not in (None, "—") else None,
        "month_label": _("Data month"),
        "month": props.get("month") if props.get("month") not in (None, "—") else None,
    }
