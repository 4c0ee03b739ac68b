"""Draw a page's data (``geo_app.pages``) onto a folium map: the same data a briefing prints.

Each function takes the page's frozen data, the configured basemap and the URL of the app's
``js/vector_tiles.js``; the view renders the map it returns.
"""

from __future__ import annotations

from typing import Any

import folium
from flask_babel import gettext

from geo_app.features import bounds
from geo_app.i18n import language
from geo_app.layers import get_layer
from geo_app.layers.base import Lang, Style
from geo_app.layers.campaign_progress import CAMPAIGN_PROGRESS, PROGRESS_COLOURS
from geo_app.layers.facilities import AGEING_COLOURS
from geo_app.layers.hotspots import STATUS_COLOURS
from geo_app.layers.vocab import LABELS, label
from geo_app.maps import builder, legend
from geo_app.maps.tile_styles import tile_config
from geo_app.pages import legend as page_legend
from geo_app.pages.campaign import MONTH_TOKEN, CampaignPage
from geo_app.pages.commune import CommunePage
from geo_app.pages.coverage import GAP_OUTLINE
from geo_app.pages.layers import TileLayer
from geo_app.pages.national import NationalPage
from geo_app.pages.province import ProvincePage
from geo_app.pages.relapse import RELAPSE_COLOUR
from geo_app.services.tiles import render as tile_sets

OUTLINE = Style(color="#1f3b57", weight=2.5, fill_opacity=0.0)
SUBUNIT_OUTLINE = Style(color="#3b3b3b", weight=1.0, fill_opacity=0.0)
CAMPAIGN_OUTLINE = {"color": "#1f3b57", "weight": 2.5, "opacity": 0.9, "fill": False}
"""A sub-unit lacking a board or a box: a dashed line only, so the class below stays readable
and a click inside it still reaches the class's popup."""
RELAPSE_RING = {"color": RELAPSE_COLOUR, "weight": 3, "fill": False}
"""A relapse candidate: a ring around its pin, which stays clickable inside it."""
RELAPSE_RING_RADIUS = 16


def _pin_hotspot(props: dict[str, Any]) -> tuple[str, str, str]:
    glyph = page_legend.HOTSPOT_GLYPHS.get(str(props.get("kind")), "?")
    return glyph, STATUS_COLOURS.get(str(props.get("status")), "#777777"), "circle"


def _pin_board(props: dict[str, Any]) -> tuple[str, str, str]:
    return (
        page_legend.BOARD_GLYPH,
        AGEING_COLOURS.get(str(props.get("ageing")), "#999999"),
        "square",
    )


def _pin_box(props: dict[str, Any]) -> tuple[str, str, str]:
    return page_legend.BOX_GLYPH, AGEING_COLOURS.get(str(props.get("ageing")), "#999999"), "square"


PINS = {"hotspots": _pin_hotspot, "hotline_boards": _pin_board, "tipoff_boxes": _pin_box}


def draw_national(page: NationalPage, basemap: str, script_url: str) -> folium.Map:
    """The country from tiles: administrative units, then the points."""
    fmap = builder.new_map(basemap, lang=page.lang)
    builder.fit(fmap, None, tiles=True)  # before the tiles, so they load at the final zoom only
    for tiles, skip in shared_tiles(page.tiles):
        _add_tiles(fmap, tiles, {**tile_config(tiles.name, page.lang), "skip": skip}, script_url)
    return fmap


def draw_province(page: ProvincePage, basemap: str, script_url: str) -> folium.Map:
    """The province outline as a mask, its classes and points from tiles, fields and routes
    over them for context, and the legend with the class counts."""
    fmap = builder.new_map(basemap, prefer_canvas=False, lang=page.lang)
    builder.add_panes(fmap)
    builder.add_mask(fmap, page.outline, name=page.unit.name)
    builder.fit(fmap, bounds(page.outline), tiles=True)  # before the tiles: one load
    for tiles, skip in shared_tiles(page.tiles):
        config = tile_config(tiles.name, page.lang, page.shown.link_query)
        _add_tiles(fmap, tiles, {**config, "skip": skip}, script_url)
    for name, collection in page.points.items():
        if collection["features"]:
            # Drawn over the classes for context only: a click anywhere in a commune (often
            # crossed by a key route) opens the commune; their details are on commune pages.
            builder.add_layer(
                fmap,
                get_layer(name),
                collection,
                page.lang,
                interactive=False,
                pane=builder.OVER_PANE,
            )
    legend.add_legend(fmap, page.legend, page.lang)
    return fmap


def draw_commune(page: CommunePage, basemap: str) -> folium.Map:
    """The commune's areas (its former parts under its outline, or itself over its hamlets),
    fields and routes as shapes, the rest as clustered pins, and the legend."""
    lang, suffix = page.lang, page.link_suffix
    classification = get_layer("classification")
    fmap = builder.new_map(basemap, prefer_canvas=False, lang=lang)
    builder.add_panes(fmap)
    if page.parts["features"]:
        builder.add_layer(fmap, classification, page.parts, lang, link_suffix=suffix)
        builder.add_layer(
            fmap,
            classification,
            page.own,
            lang,
            interactive=False,
            style=OUTLINE,
            pane=builder.MASK_PANE,
            name=page.unit.name,
        )
    else:
        builder.add_layer(fmap, classification, page.own, lang, link_suffix=suffix)
        if page.hamlets["features"]:
            builder.add_layer(
                fmap,
                get_layer("hamlets"),
                page.hamlets,
                lang,
                interactive=False,
                style=SUBUNIT_OUTLINE,
                pane=builder.MASK_PANE,
            )
    for name, collection in page.shapes.items():
        if collection["features"]:
            builder.add_layer(
                fmap, get_layer(name), collection, lang, link_suffix=suffix, pane=builder.OVER_PANE
            )
    _add_gaps(fmap, page)
    _add_relapse(fmap, page)
    for name, collection in page.pins.items():
        if collection["features"]:
            builder.add_points(
                fmap, get_layer(name), collection, lang, PINS[name], link_suffix=suffix
            )
    builder.fit(fmap, page.bounds)
    legend.add_legend(fmap, page.legend, lang)
    return fmap


def _add_gaps(fmap: folium.Map, page: CommunePage) -> None:
    """The outlines of the sub-units lacking a board or a box, named on hover."""
    if not page.coverage.collection["features"]:
        return
    folium.GeoJson(
        builder.for_html(page.coverage.collection),
        name=page.coverage.title,
        style_function=lambda _feature: GAP_OUTLINE,
        tooltip=folium.GeoJsonTooltip(fields=["lacks_label"], labels=False, sticky=True),
        pane=builder.OVER_PANE,
        embed=True,
    ).add_to(fmap)


def _add_relapse(fmap: folium.Map, page: CommunePage) -> None:
    """A ring around each relapse candidate, saying which cleared point it lies near."""
    if not page.relapse.collection["features"]:
        return
    folium.GeoJson(
        builder.for_html(page.relapse.collection),
        name=page.relapse.title,
        marker=folium.CircleMarker(radius=RELAPSE_RING_RADIUS),
        style_function=lambda _feature: RELAPSE_RING,
        tooltip=folium.GeoJsonTooltip(fields=["text"], labels=False, sticky=True),
        pane=builder.OVER_PANE,
        embed=True,
    ).add_to(fmap)


def draw_campaign(
    page: CampaignPage, basemap: str, script_url: str
) -> tuple[folium.Map, dict[str, str]]:
    """The province outline (a line only: the targets' colours stay readable under it), then
    the progress and point tiles dated as the report.

    Returns the map and each grid's JS variable name with its URL template (``MONTH_TOKEN``
    for the date), the progress grid first, for ``campaign.js`` to re-date them.
    """
    fmap = builder.new_map(basemap, lang=page.lang)
    if page.outline["features"]:
        folium.GeoJson(
            page.outline,
            name=page.outline_title,
            style_function=lambda _feature: CAMPAIGN_OUTLINE,
            interactive=False,
        ).add_to(fmap)
    builder.fit(fmap, page.bounds, tiles=True)  # before the tiles: they load once
    as_of = str(page.report["as_of"])
    templates: dict[str, str] = {}
    for tiles, skip in shared_tiles(page.tiles):
        if tiles.name == CAMPAIGN_PROGRESS.name:
            config = progress_tile_config(page.lang, page.timeline["phases"])
        else:
            config = tile_config(tiles.name, page.lang)
        dated = TileLayer(
            tiles.name, tiles.url.replace(MONTH_TOKEN, as_of), tiles.title, tiles.show
        )
        grid = _add_tiles(fmap, dated, {**config, "skip": skip}, script_url)
        templates[grid.get_name()] = tiles.url
    return fmap, templates


def shared_tiles(tiles: tuple[TileLayer, ...]) -> tuple[tuple[TileLayer, list[str]], ...]:
    """The page's tile layers, those shown at first asking one tile set's URL together.

    Why: one request per z/x/y instead of one per layer (a phone on a slow line waits for each),
    and the grids share its fetch (``vector_tiles.js``). Each also gets the MVT layers of the
    shared tile that another grid draws (``skip``). Layers hidden at first keep their own URL:
    they are asked only when chosen in the layer control.
    """
    shown = [t for t in tiles if t.show]
    together = tile_sets.set_of(t.name for t in shown) if len(shown) > 1 else None
    if together is None:
        return tuple((t, []) for t in tiles)
    url = _set_url(together, [t.url for t in shown])
    found: list[tuple[TileLayer, list[str]]] = []
    for t in tiles:
        if not t.show:
            found.append((t, []))
            continue
        own = set(tile_sets.mvt_layers(t.name))
        skip = [name for name in tile_sets.mvt_layers(together) if name not in own]
        found.append((TileLayer(t.name, url, t.title, t.show), skip))
    return tuple(found)


def _set_url(name: str, urls: list[str]) -> str:
    """The URL template of set ``name`` from its layers' templates: the same parameters, and
    as data version the sum of theirs (the set's version is the sum of its layers')."""
    version, params = 0, dict[str, str]()
    for url in urls:
        path, _, query = url.partition("?")
        for key, _, value in (part.partition("=") for part in query.split("&") if part):
            if key == "v":
                version += int(value)
            else:
                params[key] = value
    parts = path.split("/")  # "", "tiles", the name, "{z}", "{x}", "{y}.mvt"
    path = "/".join([*parts[:2], name, *parts[3:]])
    rest = "".join(f"&{key}={value}" for key, value in params.items())
    return f"{path}?v={version}{rest}"


def _add_tiles(fmap: folium.Map, tiles: TileLayer, config: dict[str, Any], script_url: str) -> Any:
    return builder.add_vector_tiles(
        fmap, tiles.url, config, name=tiles.title, script_url=script_url, show=tiles.show
    )


def _labels(vocabulary: str, lang: Lang) -> dict[str, str]:
    return {code: label(vocabulary, code, lang) for code in LABELS[vocabulary]}


def _popup_labels(lang: Lang) -> dict[str, str]:
    """Labels of the progress tiles' popup fields, in order, in ``lang``."""
    with language(lang):
        return {
            "name": gettext("Name"),
            "code": gettext("Code"),
            "progress": gettext("Progress"),
            "verdict": gettext("Verdict"),
            "met": gettext("Criteria met"),
            "total": gettext("Criteria"),
            "phase": gettext("Phase"),
            "evaluated_on": gettext("Evaluated on"),
            "overridden": gettext("Verdict overridden"),
        }


def progress_tile_config(lang: Lang, phases: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``vector_tiles.js`` config of the ``campaign_progress`` tiles: colours by progress
    and a popup with the target's progress, verdict, criteria met and phase."""
    style = CAMPAIGN_PROGRESS.style
    with language(lang):
        yes, no, open_label = gettext("Yes"), gettext("No"), gettext("Open →")
    return {
        "layers": {
            CAMPAIGN_PROGRESS.name: {
                "kind": "area",
                "title": CAMPAIGN_PROGRESS.title(lang),
                "style": {
                    "color": style.color,
                    "weight": style.weight,
                    "fillColor": style.fill_color,
                    "fillOpacity": style.fill_opacity,
                },
                "fillBy": ["progress", PROGRESS_COLOURS],
                "fields": [[field, text] for field, text in _popup_labels(lang).items()],
                "values": {
                    "progress": _labels("campaign_progress", lang),
                    "verdict": _labels("evaluation_verdict", lang),
                    "phase": {str(p["ordinal"]): f"{p['ordinal']}. {p['name']}" for p in phases},
                    "overridden": {"true": yes, "false": no},
                },
            }
        },
        "linkLabel": open_label,
        "linkSuffix": "?lang=en" if lang == "en" else "",
    }
