"""Web Mercator boundaries per zoom band, simplified so that neighbours keep one shared border.

Why at import: simplifying each polygon on its own (``ST_Simplify`` per tile) moves the two
copies of a shared border differently, leaving slivers of gap and overlap between neighbours,
and costs time on every tile. PostGIS here (3.3) has no coverage simplifier, so the boundaries
of one level and layout are simplified together in Python with GEOS's coverage simplifier
(``shapely.coverage_simplify``, about a second per band for the whole country) and stored in
``admin_unit_tile``: band 0 is the full-detail EPSG:3857 copy, bands 1-3 the simplified ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import shapely
import sqlalchemy as sa
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from geo_app import clock
from geo_app.domain.vocabulary import LAYOUTS

FULL_DETAIL = 0


@dataclass(frozen=True)
class Band:
    """A simplified copy used up to ``max_zoom``; ``tolerance_m`` in EPSG:3857 metres."""

    number: int
    max_zoom: int
    tolerance_m: float


# A pixel at zoom z is about 156,543 / 2^z metres: 4.9 km at z5, 1.2 km at z7, 306 m at z9,
# 153 m at z10. Each tolerance stays below half a pixel at the band's most detailed zoom.
BANDS = (Band(1, 5, 2000.0), Band(2, 7, 500.0), Band(3, 9, 120.0), Band(4, 10, 50.0))


def band_for_zoom(zoom: int) -> int:
    """The band drawn at ``zoom``: the coarsest whose detail is still below a pixel."""
    for band in BANDS:
        if zoom <= band.max_zoom:
            return band.number
    return FULL_DETAIL


def bands_for_zooms(min_zoom: int, max_zoom: int) -> tuple[int, ...]:
    """The simplified bands a layer shown from ``min_zoom`` to ``max_zoom`` needs."""
    return tuple(sorted({band_for_zoom(z) for z in range(min_zoom, max_zoom + 1)} - {FULL_DETAIL}))


def level_bands(level: str) -> tuple[int, ...]:
    """Simplified bands of an admin level, from the zoom gates its layer declares."""
    from geo_app.layers import REGISTRY

    for spec in REGISTRY.values():
        tiles = spec.tiles
        if spec.table == "admin_unit" and tiles and dict(tiles.params).get("level") == level:
            return bands_for_zooms(tiles.min_zoom, tiles.max_zoom)
    return ()


_IN_FORCE = sa.text(
    """
    SELECT id FROM admin_unit
    WHERE CAST(level AS text) = :level AND layout = :layout
      AND valid_from <= :on AND (valid_to IS NULL OR valid_to > :on)
    ORDER BY id
    """
)
_DELETE = sa.text("DELETE FROM admin_unit_tile WHERE admin_unit_id = ANY(CAST(:ids AS bigint[]))")
_FULL = sa.text(
    """
    INSERT INTO admin_unit_tile (admin_unit_id, band, geom)
    SELECT id, 0, ST_Multi(ST_Transform(geom, 3857)) FROM admin_unit
    WHERE id = ANY(CAST(:ids AS bigint[]))
    """
)
_READ = sa.text(
    """
    SELECT admin_unit_id, ST_AsBinary(geom) AS wkb FROM admin_unit_tile
    WHERE band = 0 AND admin_unit_id = ANY(CAST(:ids AS bigint[]))
    ORDER BY admin_unit_id
    """
)
_WRITE = sa.text(
    """
    INSERT INTO admin_unit_tile (admin_unit_id, band, geom)
    SELECT t.id, :band, ST_Multi(ST_GeomFromWKB(t.wkb, 3857))
    FROM unnest(CAST(:ids AS bigint[]), CAST(:wkbs AS bytea[])) AS t(id, wkb)
    """
)


def rebuild_bands(session: Session, *, level: str, layout: str, on: date | None = None) -> int:
    """Recompute the stored bands of every unit of ``level``/``layout`` in force on ``on``.

    ``on`` defaults to today, kept inside the layout's period. Runs in the caller's transaction;
    returns how many units were processed.
    """
    day = on or _day_in_layout(layout)
    params = {"level": level, "layout": layout, "on": day}
    ids = list(session.execute(_IN_FORCE, params).scalars())
    if not ids:
        return 0
    session.execute(_DELETE, {"ids": ids})
    session.execute(_FULL, {"ids": ids})
    bands = level_bands(level)
    if not bands:
        return len(ids)
    rows = session.execute(_READ, {"ids": ids}).all()
    unit_ids = [row.admin_unit_id for row in rows]
    full = shapely.from_wkb([bytes(row.wkb) for row in rows])
    for band in (b for b in BANDS if b.number in bands):
        simplified = shapely.coverage_simplify(full, band.tolerance_m)
        wkbs = [shapely.to_wkb(_polygonal(s, f)) for s, f in zip(simplified, full, strict=True)]
        session.execute(_WRITE, {"band": band.number, "ids": unit_ids, "wkbs": wkbs})
    return len(ids)


def _polygonal(simplified: BaseGeometry, full: BaseGeometry) -> MultiPolygon:
    """A valid MultiPolygon of the simplified shape; the full-detail one if nothing is left."""
    geom = simplified if simplified.is_valid else shapely.make_valid(simplified)
    parts = [p for p in _parts(geom) if not p.is_empty]
    if not parts:
        parts = list(_parts(full))
    return MultiPolygon(parts)


def _parts(geom: BaseGeometry) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [geom]
    found: list[Polygon] = []
    for part in getattr(geom, "geoms", ()):
        found.extend(_parts(part))
    return found


def _day_in_layout(layout: str) -> date:
    """Today, or the layout's first or last day when today lies outside its period."""
    period = LAYOUTS[layout]
    today = clock.today()
    if today < period.starts_on:
        return period.starts_on
    if period.ends_on is not None and today >= period.ends_on:
        return period.ends_on - timedelta(days=1)
    return today
