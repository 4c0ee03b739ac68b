"""Build folium maps from registered layers, with every asset served by the app itself.

Views fetch the data (through services) and hand it here; this module only draws.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, cast

import folium
from branca.element import Figure, JavascriptLink, MacroElement
from flask_babel import gettext
from folium.map import CustomPane
from folium.plugins import MarkerCluster, VectorGridProtobuf
from folium.utilities import JsCode
from jinja2 import Template
from markupsafe import Markup

from geo_app.i18n import language
from geo_app.layers.base import Lang, LayerSpec, Style
from geo_app.maps.assets import drop_unused_assets, localize
from geo_app.services.history import FEATURE_LAYERS
from geo_app.urls import history_url

VIETNAM_BOUNDS = ((8.2, 102.1), (23.4, 109.5))
TILE_BOUNDS = ((7.0, 101.8), (23.6, 118.0))
"""Where tiles are asked: Vietnam with its islands (no request for the seas and lands around)."""
NO_BASEMAP_BACKGROUND = "#f2efe9"
POINT_RADIUS = 6
PIN_SIZE = 22
MAX_ZOOM = 19
MASK_PANE = "geoAppMask"
OVER_PANE = "geoAppOver"
WORLD_RING = [[-180.0, -85.0], [180.0, -85.0], [180.0, 85.0], [-180.0, 85.0], [-180.0, -85.0]]
MASK_STYLE = {
    "color": "#1f3b57",
    "weight": 3,
    "opacity": 0.95,
    "fillColor": "#1d2733",
    "fillOpacity": 0.35,
    "fillRule": "evenodd",
}
CLUSTER_OPTIONS = {
    "maxClusterRadius": 40,
    "disableClusteringAtZoom": 17,
    "showCoverageOnHover": False,
    "spiderfyOnMaxZoom": True,
}
BIND_POPUP = """function (feature, layer) {
    layer.bindPopup(feature.properties.popup_html, {maxWidth: 320});
    layer.bindTooltip(feature.properties.tooltip_html, {direction: "top"});
}"""
CLUSTER_ICON = """function (cluster) {
    return L.divIcon({
        html: "<span>" + cluster.getChildCount() + "</span>",
        className: "geo-app-cluster geo-app-cluster-%s",
        iconSize: L.point(32, 32)
    });
}"""


@dataclass(frozen=True)
class MapComponents:
    """The three pieces a page template places: head tags, the map div, and its script."""

    header: Markup
    html: Markup
    script: Markup


def new_map(basemap: str, *, prefer_canvas: bool = True, lang: Lang | None = None) -> folium.Map:
    """An empty map with the configured basemap (``none``, ``osm`` or a tile URL template).

    Pages that embed few paths draw them as SVG (``prefer_canvas=False``): SVG paths can be
    filled with the legend's hatch pattern and let clicks through where nothing is painted.
    The basemap's name in the layer control is in ``lang`` (None: the request's language).
    """
    fmap = folium.Map(
        location=(16.0, 106.0),
        zoom_start=6,
        tiles=None,
        control_scale=True,
        prefer_canvas=prefer_canvas,
        zoom_snap=0.25,
        zoom_delta=0.5,
        width="100%",
        height="100%",
    )
    fmap.options["maxZoom"] = MAX_ZOOM  # clustering needs the map's own (maybe no basemap)
    # No tile fade: each tile would be its own compositing layer (will-change: opacity), and
    # every frame of the fade restyles every tile; on a phone that is most of a page's draw.
    fmap.options["fadeAnimation"] = False
    drop_unused_assets(fmap)
    if basemap == "osm":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=True).add_to(fmap)
    elif basemap != "none":
        with language(lang) if lang is not None else nullcontext():
            attribution, name = gettext("Internal basemap"), gettext("Basemap")
        folium.TileLayer(tiles=basemap, attr=attribution, name=name).add_to(fmap)
    return fmap


def for_html(collection: dict[str, Any]) -> dict[str, Any]:
    """A copy of a collection whose text properties are HTML-escaped: popups and tooltips put
    them into the page as HTML, and the feature service returns them as stored."""
    return {
        **collection,
        "features": [
            {**item, "properties": _escaped(item.get("properties") or {})}
            for item in collection["features"]
        ],
    }


def _escaped(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        key: html.escape(value, quote=True) if isinstance(value, str) else value
        for key, value in properties.items()
    }


def _prepare_popups(
    spec: LayerSpec, collection: dict[str, Any], lang: Lang, link_suffix: str
) -> folium.GeoJsonPopup:
    """Fill every popup field (a dash when empty), add the drill-down and history links, make
    the popup.

    ``collection`` is an escaped copy (:func:`for_html`); coded fields show their label."""
    popup_names = [f.shown_column for f in spec.popup_fields]
    linked = spec.link_field is not None or spec.name in FEATURE_LAYERS
    for item in collection["features"]:
        props = item["properties"]
        if linked:
            props["link_html"] = _links(spec, props, lang, link_suffix)
        for name in popup_names:
            if props.get(name) is None:
                props[name] = "—"
    popup_labels = [f.label(lang) for f in spec.popup_fields]
    if linked:
        popup_names.append("link_html")
        popup_labels.append("")
    return folium.GeoJsonPopup(fields=popup_names, aliases=popup_labels, localize=True)


def _links(spec: LayerSpec, props: dict[str, Any], lang: Lang, link_suffix: str) -> str:
    """A popup's links: the drill-down page, and the history of a feature that has one."""
    with language(lang):
        open_label, history_label = gettext("Open →"), gettext("History")
    links = []
    if spec.link_field and props.get(spec.link_field):
        href = html.escape(str(props[spec.link_field]) + link_suffix, quote=True)
        links.append(f'<a href="{href}">{open_label}</a>')
    feature_id = props.get(spec.id_field)
    if spec.name in FEATURE_LAYERS and isinstance(feature_id, int):
        href = html.escape(history_url(spec.name, feature_id, lang), quote=True)
        links.append(f'<a class="history-link" href="{href}">{history_label}</a>')
    return " · ".join(links)


def _tooltip_column(spec: LayerSpec) -> str:
    return spec.field(spec.tooltip_field).shown_column


def add_layer(
    fmap: folium.Map,
    spec: LayerSpec,
    collection: dict[str, Any],
    lang: Lang,
    *,
    show: bool = True,
    link_suffix: str = "",
    pane: str | None = None,
    interactive: bool = True,
    name: str | None = None,
    style: Style | None = None,
) -> folium.GeoJson:
    """Draw one layer: declared style, tooltip, popup fields and the drill-down link.

    ``link_suffix`` (e.g. ``?month=2025-10``) is added to drill-down links; ``pane`` names a
    pane made by :func:`add_panes`; a layer that is not ``interactive`` has no popup and lets
    clicks through to what lies below; ``style`` replaces the layer's declared one.
    """
    drawn = style or spec.style

    def style_function(feature: dict[str, Any]) -> dict[str, object]:
        return drawn.for_properties(feature.get("properties", {}))

    marker = None
    if spec.geometry_type == "Point":
        marker = folium.CircleMarker(radius=POINT_RADIUS, weight=1, fill=True, fill_opacity=0.9)
    extra: dict[str, Any] = {}
    if pane is not None:
        extra["pane"] = pane
    collection = for_html(collection)
    if interactive:
        popup = _prepare_popups(spec, collection, lang, link_suffix)
        tooltip = folium.GeoJsonTooltip(fields=[_tooltip_column(spec)], labels=False, sticky=False)
        layer = folium.GeoJson(
            collection,
            name=name or spec.title(lang),
            marker=marker,
            style_function=style_function,
            highlight_function=lambda _f: {"weight": 3, "color": "#000000"},
            tooltip=tooltip,
            popup=popup,
            show=show,
            embed=True,
            **extra,
        )
    else:
        layer = folium.GeoJson(
            collection,
            name=name or spec.title(lang),
            marker=marker,
            style_function=style_function,
            show=show,
            embed=True,
            interactive=False,
            **extra,
        )
    layer.add_to(fmap)
    return layer


def add_panes(fmap: folium.Map) -> None:
    """Panes above the vector tiles: the area mask, then embedded lines and fields.

    Neither takes pointer events itself, so a click where nothing of theirs is painted reaches
    the tiles below; their interactive SVG paths still take clicks (Leaflet's CSS).
    """
    CustomPane(MASK_PANE, z_index=450, pointer_events=False).add_to(fmap)
    CustomPane(OVER_PANE, z_index=460, pointer_events=False).add_to(fmap)


def add_mask(fmap: folium.Map, outline: dict[str, Any], *, name: str) -> folium.GeoJson | None:
    """Dim everything outside the outline's polygons and draw their edge thick.

    One polygon: the world with the outline's rings as holes (even-odd fill), so the outline's
    coordinates are embedded once. Not interactive and not in the layer control.
    """
    holes: list[Any] = []
    for item in outline["features"]:
        geometry = item.get("geometry") or {}
        if geometry.get("type") == "Polygon":
            holes.append(geometry["coordinates"][0])
        elif geometry.get("type") == "MultiPolygon":
            holes.extend(part[0] for part in geometry["coordinates"])
    if not holes:
        return None
    mask = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Polygon", "coordinates": [WORLD_RING, *holes]},
    }
    layer = folium.GeoJson(
        mask,
        name=name,
        style_function=lambda _f: MASK_STYLE,
        interactive=False,
        control=False,
        pane=MASK_PANE,
        embed=True,
    )
    layer.add_to(fmap)
    return layer


PinStyle = Callable[[dict[str, Any]], tuple[str, str, str]]
"""A feature's properties -> (glyph, fill colour, shape "circle" or "square")."""


def add_points(
    fmap: folium.Map,
    spec: LayerSpec,
    collection: dict[str, Any],
    lang: Lang,
    pin: PinStyle,
    *,
    show: bool = True,
    link_suffix: str = "",
) -> MarkerCluster:
    """Point features as glyph markers (by ``pin``), clustered where they crowd, with popups.

    Each marker gets its own popup and tooltip: a cluster takes the markers out of their
    GeoJSON group, whose own popup binding would then never open.
    """
    collection = for_html(collection)
    _prepare_popups(spec, collection, lang, link_suffix)
    for item in collection["features"]:
        props = item["properties"]
        props["popup_html"] = _popup_table(spec, props, lang)
        props["tooltip_html"] = str(props.get(_tooltip_column(spec)) or "")

    def style_function(feature: dict[str, Any]) -> dict[str, object]:
        glyph, colour, shape = pin(feature.get("properties", {}))
        return {
            "html": (
                f'<span class="pin pin-{shape}" style="background-color:{html.escape(colour)}">'
                f"{html.escape(glyph)}</span>"
            ),
        }

    cluster = MarkerCluster(
        name=spec.title(lang),
        show=show,
        icon_create_function=CLUSTER_ICON % spec.name.replace("_", "-"),
        options=CLUSTER_OPTIONS,
    )
    cluster.add_to(fmap)
    marker = folium.Marker(
        icon=folium.DivIcon(
            icon_size=(PIN_SIZE, PIN_SIZE),
            icon_anchor=(PIN_SIZE // 2, PIN_SIZE // 2),
            popup_anchor=(0, -PIN_SIZE // 2),
            class_name="geo-app-pin",
        )
    )
    folium.GeoJson(
        collection,
        name=spec.title(lang),
        marker=marker,
        style_function=style_function,
        on_each_feature=JsCode(BIND_POPUP),
        control=False,
        embed=True,
    ).add_to(cluster)
    return cluster


def _popup_table(spec: LayerSpec, props: dict[str, Any], lang: Lang) -> str:
    """A popup as HTML: the layer's title, then its popup fields (values are escaped already,
    by :func:`for_html`; labels are escaped here)."""
    rows = "".join(
        f"<tr><th>{html.escape(f.label(lang))}</th><td>{props.get(f.shown_column, '—')}</td></tr>"
        for f in spec.popup_fields
    )
    link = props.get("link_html", "")
    return f"<p><b>{html.escape(spec.title(lang))}</b></p><table>{rows}</table>{link}"


def add_vector_tiles(
    fmap: folium.Map,
    url_template: str,
    config: dict[str, Any],
    *,
    name: str,
    script_url: str,
    show: bool = True,
) -> VectorGridProtobuf:
    """Draw a vector-tile layer or set (``/tiles/<name>/{z}/{x}/{y}.mvt?v=``) with popups.

    ``config`` comes from ``geo_app.maps.tile_styles.tile_config``; ``script_url`` is the app's
    ``js/vector_tiles.js``, which turns it into VectorGrid styles and click popups.
    """
    root = cast(Figure, fmap.get_root())
    root.header.add_child(JavascriptLink(script_url), name="geo_app_vector_tiles")
    config = {**config, "bounds": TILE_BOUNDS}
    encoded = json.dumps(config, ensure_ascii=False).replace("</", "<\\/")
    options = f"geoAppVectorTiles.options({encoded})"
    grid = VectorGridProtobuf(url_template, name=name, options=options, show=show)
    grid.add_to(fmap)
    return grid


def fit(
    fmap: folium.Map,
    south_west_north_east: tuple[float, float, float, float] | None,
    *,
    tiles: bool = False,
) -> None:
    """Zoom to the data, or to Vietnam when there is none.

    A page with vector ``tiles`` gets no view before this fit (call it before adding the tiles)
    and opens at a zoom whose tiles are the lower zoom's: Leaflet rounds a fractional zoom to
    the nearest tile zoom, so at x.5 or x.75 it would ask about twice as many smaller tiles as
    at x.25, each a container to create and draw on a phone.
    """
    if south_west_north_east is None:
        south_west_north_east = (*VIETNAM_BOUNDS[0], *VIETNAM_BOUNDS[1])
    south, west, north, east = south_west_north_east
    if tiles:
        # No view until this fit: the map would otherwise open at zoom 6 first and lay out,
        # project and draw what was added before the fit (a province's mask) twice.
        fmap.location = None  # type: ignore[assignment]  # folium writes it as center: null
        TileFit(((south, west), (north, east))).add_to(fmap)
        return
    bounds = folium.map.FitBounds(((south, west), (north, east)))
    bounds.options["animate"] = False  # jump there: tile layers load at the final zoom only
    bounds.add_to(fmap)


class TileFit(MacroElement):
    """Fit the bounds at once (no animation), snapping the zoom down when its tiles would be
    the next zoom's (see :func:`fit`)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map, bounds) {
            var zoom = map.getBoundsZoom(bounds);
            if (zoom - Math.floor(zoom) < 0.5) {
                map.fitBounds(bounds, {animate: false});
                return;
            }
            zoom = Math.floor(zoom) + map.options.zoomSnap;
            var middle = map.project(bounds.getSouthWest(), zoom)
                .add(map.project(bounds.getNorthEast(), zoom)).divideBy(2);
            map.setView(map.unproject(middle, zoom), zoom, {animate: false});
        }({{ this._parent.get_name() }}, L.latLngBounds({{ this.bounds|tojson }})));
        {% endmacro %}
        """
    )

    def __init__(self, bounds: tuple[tuple[float, float], tuple[float, float]]) -> None:
        super().__init__()
        self._name = "TileFit"
        self.bounds = [list(bounds[0]), list(bounds[1])]


def components(
    fmap: folium.Map, static_url: Callable[[str], str], lang: Lang, *, nonce: str = ""
) -> MapComponents:
    """Render to page components with local JS/CSS (no CDN), plus the layer control.

    ``nonce`` (the response's Content-Security-Policy nonce) goes onto every ``<script>`` tag
    folium writes into the head and the map's HTML; the template puts it on the tag around
    ``script``.
    """
    folium.LayerControl(collapsed=True).add_to(fmap)
    root = cast(Figure, fmap.get_root())
    localize(root, static_url)
    root.render()
    return MapComponents(
        header=_with_nonce(root.header.render(), nonce),
        html=_with_nonce(root.html.render(), nonce),
        script=Markup(root.script.render()),
    )


_SCRIPT_TAG = re.compile(r"<script(?=[\s>])", re.IGNORECASE)


def _with_nonce(rendered: str, nonce: str) -> Markup:
    """``rendered`` (folium's own HTML) with ``nonce`` on its script tags."""
    if not nonce:
        return Markup(rendered)
    return Markup(_SCRIPT_TAG.sub(f'<script nonce="{html.escape(nonce, quote=True)}"', rendered))
