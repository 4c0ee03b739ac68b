"""The layer registry as JSON, and one layer's features as GeoJSON for a small area.

Why the limits: a browser needs about a second and 150 MB for 3,000 full-resolution polygons
embedded as GeoJSON, so this API answers for about a province at most at high detail (bigger
areas at low zoom, simplified) and caps the features; larger views use the vector tiles.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app import features
from geo_app.errors import InvalidInput
from geo_app.layers import REGISTRY
from geo_app.layers.base import Lang, LayerQuery, LayerSpec
from geo_app.services.tiles.render import SETS, tiled_layers

MAX_SPAN_DEGREES = 2.5  # a large province (Lạng Sơn, Nghệ An) is about 2° across
DETAIL_ZOOM = 9  # from here on features keep full detail, so the span limit is strict
MAX_FEATURES = 5000
"""The most features one answer holds (and its default ``limit``); ask further pages by
``offset``."""
BOUNDING_FILTERS = ("bbox", "area", "campaign")
TILE_PATH = "/tiles/{name}/{{z}}/{{x}}/{{y}}.mvt?v={version}"

BBox = tuple[float, float, float, float]


def layer_versions(session: Session) -> dict[str, int]:
    """Every layer's data version (0 for a layer never edited)."""
    rows = session.execute(sa.text("SELECT layer, version FROM layer_version")).all()
    found = {row.layer: int(row.version) for row in rows}
    return {name: found.get(name, 0) for name in REGISTRY}


def tile_url(name: str, versions: dict[str, int]) -> str:
    """The URL template of a tile layer or set, carrying its current data version."""
    version = sum(versions.get(spec.name, 0) for spec in tiled_layers(name))
    return TILE_PATH.format(name=name, version=version)


def registry(session: Session) -> dict[str, Any]:
    """What ``GET /api/layers`` answers: every layer, and the tile sets."""
    versions = layer_versions(session)
    layers = [_describe(spec, versions) for spec in REGISTRY.values()]
    sets = [
        {"name": name, "layers": list(names), "tiles": tile_url(name, versions)}
        for name, names in SETS.items()
    ]
    return {"layers": layers, "sets": sets}


def _describe(spec: LayerSpec, versions: dict[str, int]) -> dict[str, Any]:
    tiles = spec.tiles
    return {
        "name": spec.name,
        "title": {"vi": spec.title_vi, "en": spec.title_en},
        "geometry_type": spec.geometry_type,
        "srid": spec.srid,
        "filters": list(spec.filters),
        "id_field": spec.id_field,
        "tooltip_field": spec.tooltip_field,
        "fields": [f.describe() for f in spec.fields],
        "features": f"/api/layers/{spec.name}/features",
        "version": versions.get(spec.name, 0),
        "tiles": None
        if tiles is None
        else {
            "url": tile_url(spec.name, versions),
            "min_zoom": tiles.min_zoom,
            "max_zoom": tiles.max_zoom,
            "properties": list(tiles.properties),
            "counts_below_min_zoom": tiles.counts_below,
        },
    }


@dataclass(frozen=True)
class FeatureRequest:
    """A features request, parsed; every part optional."""

    bbox: BBox | None = None
    zoom: int | None = None
    as_of: date | None = None
    area: str | None = None
    status: tuple[str, ...] = ()
    lang: Lang = "vi"
    scope_unit_id: int | None = None
    """The asking user's scope; sensitive layers answer only inside it."""
    sensitive: bool = False
    """Whether the asker may see sensitive fields (see ``features.may_see_sensitive``)."""
    campaign: int | None = None
    """One campaign, for the layers about campaigns (``campaign_progress``)."""
    limit: int | None = None
    """At most this many features (None: ``MAX_FEATURES``)."""
    offset: int = 0


def features_of(session: Session, name: str, asked: FeatureRequest) -> features.Collection:
    """One page of layer ``name`` under ``asked``; InvalidInput when the area is too big."""
    spec = features.layer(name, asked.lang)
    _check_bounded(spec, asked)
    if asked.bbox is not None:
        check_span(asked.bbox, asked.zoom)
    return features.collection(session, _query(spec, asked))


def feature(session: Session, name: str, feature_id: str, asked: FeatureRequest) -> dict[str, Any]:
    """One feature of layer ``name`` by its id field (404 when absent or outside the scope)."""
    spec = features.layer(name, asked.lang)
    return features.get(session, _query(spec, asked), feature_id)


def _query(spec: LayerSpec, asked: FeatureRequest) -> features.FeatureQuery:
    return features.FeatureQuery(
        layer=spec.name,
        filters=LayerQuery(
            area_code=asked.area,
            as_of=asked.as_of if "date" in spec.filters else None,
            bbox=asked.bbox,
            status=asked.status,
            simplify_degrees=_simplify(asked.zoom),
            lang=asked.lang,
            scope_unit_id=asked.scope_unit_id,
            campaign_id=asked.campaign,
        ),
        sensitive=asked.sensitive,
        limit=MAX_FEATURES if asked.limit is None else asked.limit,
        offset=asked.offset,
        decimals=6 if asked.zoom is None or asked.zoom >= 12 else 5,
    )


def _check_bounded(spec: LayerSpec, asked: FeatureRequest) -> None:
    """Areas (not points) need a filter the layer really honours that bounds them."""
    if spec.geometry_type == "Point":
        return
    given = {
        "bbox": asked.bbox is not None,
        "area": asked.area is not None,
        "campaign": asked.campaign is not None,
    }
    honoured = [name for name in BOUNDING_FILTERS if name in spec.filters]
    if any(given[name] for name in honoured):
        return
    vi = {"bbox": "một bbox", "area": "một địa bàn (area)", "campaign": "một kế hoạch (campaign)"}
    en = {"bbox": "a bbox", "area": "an area", "campaign": "a campaign"}
    if asked.lang == "vi":
        choices = _either([vi[name] for name in honoured], "hoặc")
        raise InvalidInput(f"lớp {spec.name}: hãy chọn {choices} (cả nước là quá lớn)")
    choices = _either([en[name] for name in honoured], "or")
    raise InvalidInput(f"layer {spec.name}: give {choices} (the whole country is too big)")


def _either(items: list[str], word: str) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} {word} {items[-1]}"


def check_span(bbox: BBox, zoom: int | None) -> None:
    """At high detail a bbox may span about a province; each zoom level below doubles that."""
    west, south, east, north = bbox
    detail = DETAIL_ZOOM if zoom is None else min(max(zoom, 0), DETAIL_ZOOM)
    allowed = MAX_SPAN_DEGREES * 2 ** (DETAIL_ZOOM - detail)
    if east - west > allowed or north - south > allowed:
        raise InvalidInput(
            f"bbox spans {east - west:.2f}° × {north - south:.2f}°; at zoom "
            f"{zoom if zoom is not None else 'full detail'} at most {allowed:g}° per side — "
            "use the vector tiles (/tiles/...) for larger areas"
        )


def _simplify(zoom: int | None) -> float | None:
    """Half a screen pixel in degrees at ``zoom``; none at high detail."""
    if zoom is None or zoom >= 12:
        return None
    return 360 / 256 / 2**zoom / 2
