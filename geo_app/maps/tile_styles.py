"""What the browser needs to draw a tile set: per MVT layer its style, labels and popup fields.

Everything comes from the layer specs (style, titles, fields, tile properties) and the named
vocabularies, so the vector tiles look and read like the embedded GeoJSON layers. A tile popup
shows, in field order, the tile properties that are popup fields or the style's colour
attribute; a property ending in ``_vi`` or ``_en`` is that field in one language, shown only on
pages in that language (the tiles carry both, so one cached tile serves both languages).
``static/js/vector_tiles.js`` turns this config into VectorGrid styles and click popups.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from flask_babel import gettext, lazy_gettext
from flask_babel.speaklater import LazyString

from geo_app.i18n import language
from geo_app.layers.base import Lang, LayerSpec
from geo_app.layers.fields import Field
from geo_app.layers.hotspots import COUNT_COLOUR
from geo_app.layers.vocab import LABELS
from geo_app.services.tiles.render import COUNT_SUFFIX, tiled_layers

FLAG_LABELS: dict[str, LazyString] = {"active": lazy_gettext("active")}
KINDS = {"MultiPolygon": "area", "Point": "point", "MultiLineString": "line"}


def _pick(pair: tuple[str, str], lang: Lang) -> str:
    """A vocabulary label (a (Vietnamese, English) pair: it travels with the data)."""
    return pair[0] if lang == "vi" else pair[1]


def tile_config(
    name: str, lang: Lang, link_query: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The config of tile set (or layer) ``name`` for ``vector_tiles.js``.

    ``link_query`` (e.g. the page's month) is added to the drill-down links, with ``lang``.
    """
    with language(lang):
        return _tile_config(name, lang, link_query)


def _tile_config(name: str, lang: Lang, link_query: Mapping[str, str] | None) -> dict[str, Any]:
    query = dict(link_query or {})
    if lang == "en":
        query["lang"] = "en"
    layers: dict[str, Any] = {}
    for spec in tiled_layers(name):
        layers[spec.name] = _features(spec, lang)
        tiles = spec.tiles
        if tiles is not None and tiles.counts_below:
            layers[spec.name + COUNT_SUFFIX] = _counts(spec, lang)
    return {
        "layers": layers,
        "linkLabel": gettext("Open →"),
        "linkSuffix": "?" + urlencode(query) if query else "",
    }


def _style(spec: LayerSpec) -> dict[str, Any]:
    style = spec.style
    return {
        "color": style.color,
        "weight": style.weight,
        "fillColor": style.fill_color,
        "fillOpacity": style.fill_opacity,
    }


def _features(spec: LayerSpec, lang: Lang) -> dict[str, Any]:
    tiles = spec.tiles
    assert tiles is not None
    carried = {f.name: f for f in spec.fields if f.name in tiles.properties}
    coloured_by = spec.style.fill_by[0] if spec.style.fill_by else None
    return {
        "kind": KINDS[spec.geometry_type],
        "title": spec.title(lang),
        "style": _style(spec),
        "fillBy": list(spec.style.fill_by) if spec.style.fill_by else None,
        "fields": [
            [prop, f.label(lang)]
            for f in spec.fields
            if (f.popup or f.name == coloured_by) and not f.sensitive
            for prop in _tile_properties(f, tiles.properties, lang)
        ],
        "values": {
            name: {code: _pick(pair, lang) for code, pair in LABELS[f.vocabulary].items()}
            for name, f in carried.items()
            if f.vocabulary is not None
        },
    }


def _tile_properties(f: Field, carried: tuple[str, ...], lang: Lang) -> list[str]:
    """The tile properties holding field ``f`` on a page in ``lang`` (its own name, or its
    variant in that language)."""
    return [prop for prop in (f.name, f"{f.name}_{lang}") if prop in carried]


def _counts(spec: LayerSpec, lang: Lang) -> dict[str, Any]:
    tiles = spec.tiles
    assert tiles is not None
    style = {**_style(spec), "fillColor": spec.style.color, "fillOpacity": 0.55}
    if spec.name == "hotspots":
        style["fillColor"] = COUNT_COLOUR
    return {
        "kind": "count",
        "title": spec.title(lang),
        "style": style,
        "fillBy": None,
        "flags": [[flag, str(FLAG_LABELS[flag])] for flag in tiles.count_flags],
        "hint": gettext("Zoom in to see each one"),
    }
