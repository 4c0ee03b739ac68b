"""Stored Web Mercator boundaries per zoom band: complete, and shared borders stay shared."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import geopandas as gpd
import shapely
import sqlalchemy as sa
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from geo_app.services.boundaries.importer import FieldMap, import_frame
from geo_app.services.tiles.bands import BANDS, band_for_zoom, bands_for_zooms, rebuild_bands

BANDS_OF_LEVEL = """
    SELECT CAST(u.level AS text) AS level, array_agg(DISTINCT b.band ORDER BY b.band) AS bands,
           count(DISTINCT u.id) AS units,
           count(DISTINCT u.id) FILTER (WHERE b.band IS NULL) AS without
    FROM admin_unit u LEFT JOIN admin_unit_tile b ON b.admin_unit_id = u.id
    WHERE u.layout = '2025' AND u.valid_to IS NULL
    GROUP BY 1
"""


def test_zoom_bands() -> None:
    assert [band_for_zoom(z) for z in (0, 5, 6, 7, 8, 9, 10, 11, 18)] == [1, 1, 2, 2, 3, 3, 4, 0, 0]
    assert bands_for_zooms(0, 8) == (1, 2, 3)
    assert bands_for_zooms(7, 22) == (2, 3, 4)
    assert bands_for_zooms(11, 22) == ()
    tolerances = [band.tolerance_m for band in BANDS]
    assert tolerances == sorted(tolerances, reverse=True)


def test_every_unit_of_the_demo_has_its_bands(demo_session: Session) -> None:
    rows = {row.level: row for row in demo_session.execute(sa.text(BANDS_OF_LEVEL))}
    assert rows["province"].bands == [0, 1, 2, 3] and rows["province"].units == 34
    assert rows["commune"].bands == [0, 2, 3, 4] and rows["commune"].units == 3321
    assert rows["hamlet"].bands == [0]
    assert all(row.without == 0 for row in rows.values())
    full, coarse = demo_session.execute(
        sa.text(
            "SELECT sum(ST_NPoints(geom)) FILTER (WHERE band = 0), "
            "sum(ST_NPoints(geom)) FILTER (WHERE band = 2) FROM admin_unit_tile"
        )
    ).one()
    assert coarse < full / 5


def _pair(session: Session, band: int) -> tuple[BaseGeometry, ...]:
    """Phường Trà Vinh and its neighbour with the longest shared border: full and band ``band``."""
    row = session.execute(
        sa.text(
            """
            WITH a AS (SELECT id, geom FROM admin_unit WHERE code = '29242' AND valid_to IS NULL),
            b AS (
                SELECT u.id FROM admin_unit u, a
                WHERE u.level = 'commune' AND u.valid_to IS NULL AND u.id <> a.id
                  AND ST_Intersects(u.geom, a.geom)
                ORDER BY ST_Length(ST_Intersection(ST_Boundary(u.geom), ST_Boundary(a.geom))) DESC
                LIMIT 1)
            SELECT ST_AsBinary(fa.geom) AS fa, ST_AsBinary(fb.geom) AS fb,
                   ST_AsBinary(sa.geom) AS sa, ST_AsBinary(sb.geom) AS sb
            FROM a, b
            JOIN admin_unit_tile fa ON fa.band = 0
            JOIN admin_unit_tile fb ON fb.band = 0 AND fb.admin_unit_id = b.id
            JOIN admin_unit_tile sa ON sa.band = :band
            JOIN admin_unit_tile sb ON sb.band = :band AND sb.admin_unit_id = b.id
            WHERE fa.admin_unit_id = a.id AND sa.admin_unit_id = a.id
            """
        ),
        {"band": band},
    ).one()
    return tuple(shapely.from_wkb(bytes(value)) for value in row)


def _gap_and_overlap(
    full_a: BaseGeometry, full_b: BaseGeometry, a: BaseGeometry, b: BaseGeometry, margin: float
) -> tuple[float, float]:
    """Areas (m², EPSG:3857) of overlap, and of gap along the shared border (outer edges apart)."""
    border = shapely.line_merge(shapely.intersection(full_a.boundary, full_b.boundary))
    union = full_a | full_b
    zone = shapely.difference(
        shapely.buffer(border, margin), shapely.buffer(union.boundary, 2 * margin)
    )
    gap = shapely.difference(zone & union, a | b)
    return float(shapely.area(a & b)), float(shapely.area(gap))


def test_neighbours_keep_one_shared_border(demo_session: Session) -> None:
    band = next(b for b in BANDS if b.number == 2)
    full_a, full_b, a, b = _pair(demo_session, band.number)
    assert full_a.intersection(full_b.boundary).length > 5_000  # they do share a border
    overlap, gap = _gap_and_overlap(full_a, full_b, a, b, band.tolerance_m)
    # Simplified each on its own (Douglas-Peucker, as ST_Simplify per tile would), even at half
    # the tolerance and keeping more vertices, the two copies of the border drift apart.
    alone_a, alone_b = (shapely.simplify(g, band.tolerance_m / 2) for g in (full_a, full_b))
    alone_overlap, alone_gap = _gap_and_overlap(full_a, full_b, alone_a, alone_b, band.tolerance_m)
    assert alone_overlap > 10_000 and alone_gap > 10_000
    assert overlap < 1.0 and gap < 1.0
    assert a.is_valid and b.is_valid
    assert shapely.get_num_coordinates(a) <= shapely.get_num_coordinates(alone_a)
    assert shapely.get_num_coordinates(a) < shapely.get_num_coordinates(full_a) / 3


def _wiggly_pair() -> gpd.GeoDataFrame:
    """Two communes whose shared border zigzags, so simplifying really changes it."""
    zigzag = [(106.60 + (0.002 if i % 2 else 0.0), 10.80 + i * 0.001) for i in range(101)]
    west = Polygon([(106.50, 10.80), *zigzag, (106.50, 10.90)])
    east = Polygon([(106.70, 10.80), (106.70, 10.90), *reversed(zigzag)])
    return gpd.GeoDataFrame(
        {"code": ["26001", "26002"], "name": ["Xã Một", "Xã Hai"]},
        geometry=[west, east],
        crs=4326,
    )


def test_import_builds_the_bands(empty_db: str, engine_for: Callable[[str], Engine]) -> None:
    fields = FieldMap(code="code", name="name")
    with Session(engine_for(empty_db)) as session, session.begin():
        import_frame(
            session,
            _wiggly_pair(),
            level="commune",
            layout="2025",
            fields=fields,
            actor="test",
            source="test",
        )
        rows = session.execute(
            sa.text(
                "SELECT a.band, ST_Area(ST_Intersection(a.geom, b.geom)) AS overlap, "
                "ST_Area(ST_Union(a.geom, b.geom)) AS area, "
                "ST_NPoints(a.geom) + ST_NPoints(b.geom) AS points "
                "FROM admin_unit_tile a JOIN admin_unit_tile b "
                "ON b.band = a.band AND b.admin_unit_id > a.admin_unit_id ORDER BY a.band"
            )
        ).all()
        assert [r.band for r in rows] == [0, 2, 3, 4]
        assert all(r.overlap < 1.0 for r in rows)
        assert rows[1].points < rows[0].points  # band 2 dropped the zigzag
        assert abs(rows[1].area - rows[0].area) / rows[0].area < 0.01
        # A unit's rows go with it; a rebuild replaces them rather than adding more.
        assert rebuild_bands(session, level="commune", layout="2025", on=date(2025, 7, 1)) == 2
        count = "SELECT count(*) FROM admin_unit_tile"
        assert session.execute(sa.text(count)).scalar_one() == 8
        session.execute(sa.text("DELETE FROM admin_unit WHERE code = '26002'"))
        assert session.execute(sa.text(count)).scalar_one() == 4
