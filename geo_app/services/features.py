"""Run a layer's query and let PostGIS write the GeoJSON (faster and exact, no Python geometry).

Property strings are HTML-escaped here, once, because popups and tooltips insert them as HTML.
"""

from __future__ import annotations

import html
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app.layers.base import LayerQuery, LayerSpec


def feature_collection(
    session: Session,
    spec: LayerSpec,
    request: LayerQuery,
    *,
    decimals: int = 6,
    limit: int | None = None,
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the layer under ``request``'s filters (``limit`` first)."""
    inner = spec.build_query(request).limit(limit).subquery("t")
    feature = sa.func.ST_AsGeoJSON(sa.literal_column(inner.name), "geom", decimals)
    stmt = sa.select(
        sa.func.coalesce(sa.func.json_agg(sa.cast(feature, sa.JSON)), sa.text("'[]'::json"))
    ).select_from(inner)
    features = session.execute(stmt).scalar_one()
    for item in features:
        item["properties"] = _escaped(item.get("properties") or {})
    return {"type": "FeatureCollection", "features": features}


def listing(
    session: Session, spec: LayerSpec, request: LayerQuery, columns: tuple[str, ...]
) -> list[dict[str, Any]]:
    """Some properties of the layer's features without geometry (e.g. a page's unit list)."""
    inner = spec.build_query(request).subquery("t")
    rows = session.execute(sa.select(*(inner.c[name] for name in columns))).mappings()
    return [_escaped(dict(row)) for row in rows]


def _escaped(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        key: html.escape(value, quote=True) if isinstance(value, str) else value
        for key, value in properties.items()
    }


def bounds(collection: dict[str, Any]) -> tuple[float, float, float, float] | None:
    """(south, west, north, east) of a collection's coordinates, for fitting a map to them."""
    xs: list[float] = []
    ys: list[float] = []

    def walk(coords: Any) -> None:
        if coords and isinstance(coords[0], (int, float)):
            xs.append(float(coords[0]))
            ys.append(float(coords[1]))
            return
        for part in coords:
            walk(part)

    for item in collection["features"]:
        geometry = item.get("geometry")
        if geometry:
            walk(geometry["coordinates"])
    if not xs:
        return None
    return min(ys), min(xs), max(ys), max(xs)
