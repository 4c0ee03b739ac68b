"""Build folium maps from registered layers, with every asset served by the app itself.

Views fetch the data (through services) and hand it here; this module only draws.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import folium
from branca.element import Figure, JavascriptLink
from folium.plugins import VectorGridProtobuf
from markupsafe import Markup

from geo_app.layers.base import Lang, LayerSpec
from geo_app.web.assets import localize

VIETNAM_BOUNDS = ((8.2, 102.1), (23.4, 109.5))
NO_BASEMAP_BACKGROUND = "#f2efe9"
POINT_RADIUS = 6


@dataclass(frozen=True)
class MapComponents:
    """The three pieces a page template places: head tags, the map div, and its script."""

    header: Markup
    html: Markup
    script: Markup


def new_map(basemap: str) -> folium.Map:
    """An empty map with the configured basemap (``none``, ``osm`` or a tile URL template)."""
    fmap = folium.Map(
        location=(16.0, 106.0),
        zoom_start=6,
        tiles=None,
        control_scale=True,
        prefer_canvas=True,
        zoom_snap=0.25,
        zoom_delta=0.5,
        width="100%",
        height="100%",
    )
    if basemap == "osm":
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap", control=True).add_to(fmap)
    elif basemap != "none":
        folium.TileLayer(
            tiles=basemap, attr="Bản đồ nền nội bộ / internal basemap", name="Bản đồ nền"
        ).add_to(fmap)
    return fmap


def add_layer(
    fmap: folium.Map,
    spec: LayerSpec,
    collection: dict[str, Any],
    lang: Lang,
    *,
    show: bool = True,
) -> folium.GeoJson:
    """Draw one layer: declared style, tooltip, popup fields and the drill-down link."""
    link_label = "Xem chi tiết →" if lang == "vi" else "Open →"
    fields = [f for f in spec.popup_fields]
    for item in collection["features"]:
        props = item["properties"]
        if spec.link_field and props.get(spec.link_field):
            props["link_html"] = f'<a href="{props[spec.link_field]}">{link_label}</a>'
        for f in fields:
            props.setdefault(f.name, None)
            if props[f.name] is None:
                props[f.name] = "—"
    popup_names = [f.name for f in fields]
    popup_labels = [f.label(lang) for f in fields]
    if spec.link_field:
        popup_names.append("link_html")
        popup_labels.append("")
    style = spec.style

    def style_function(feature: dict[str, Any]) -> dict[str, object]:
        return style.for_properties(feature.get("properties", {}))

    marker = None
    if spec.geometry_type == "Point":
        marker = folium.CircleMarker(radius=POINT_RADIUS, weight=1, fill=True, fill_opacity=0.9)
    layer = folium.GeoJson(
        collection,
        name=spec.title(lang),
        marker=marker,
        style_function=style_function,
        highlight_function=lambda _f: {"weight": 3, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(fields=[spec.tooltip_field], labels=False, sticky=False),
        popup=folium.GeoJsonPopup(fields=popup_names, aliases=popup_labels, localize=True),
        show=show,
        embed=True,
    )
    layer.add_to(fmap)
    return layer


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
    encoded = json.dumps(config, ensure_ascii=False).replace("</", "<\\/")
    options = f"geoAppVectorTiles.options({encoded})"
    grid = VectorGridProtobuf(url_template, name=name, options=options, show=show)
    grid.add_to(fmap)
    return grid


def fit(fmap: folium.Map, south_west_north_east: tuple[float, float, float, float] | None) -> None:
    """Zoom to the data, or to Vietnam when there is none."""
    if south_west_north_east is None:
        south_west_north_east = (*VIETNAM_BOUNDS[0], *VIETNAM_BOUNDS[1])
    south, west, north, east = south_west_north_east
    bounds = folium.map.FitBounds(((south, west), (north, east)))
    bounds.options["animate"] = False  # jump there: tile layers load at the final zoom only
    bounds.add_to(fmap)


def components(fmap: folium.Map, static_url: Callable[[str], str], lang: Lang) -> MapComponents:
    """Render to page components with local JS/CSS (no CDN), plus the layer control."""
    folium.LayerControl(collapsed=True).add_to(fmap)
    root = cast(Figure, fmap.get_root())
    localize(root, static_url)
    root.render()
    return MapComponents(
        header=Markup(root.header.render()),
        html=Markup(root.html.render()),
        script=Markup(root.script.render()),
    )
