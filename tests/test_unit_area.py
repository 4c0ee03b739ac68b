"""A unit's area is stored with it (migration 0012): geodesic km², kept by a trigger whenever
its geometry is written, and what the unit layers show."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app import features
from geo_app.layers.base import LayerQuery

GEODESIC = "round(CAST(ST_Area(CAST(geom AS geography)) / 1e6 AS numeric), 2)"


def test_every_unit_has_its_geodesic_area(demo_session: Session) -> None:
    wrong = demo_session.scalar(
        sa.text(f"SELECT count(*) FROM admin_unit WHERE area_km2 IS DISTINCT FROM {GEODESIC}")
    )
    assert wrong == 0
    assert demo_session.scalar(sa.text("SELECT count(*) FROM admin_unit")) > 3000


def test_a_new_geometry_gets_its_new_area(demo_session: Session) -> None:
    before = demo_session.execute(
        sa.text("SELECT id, area_km2 FROM admin_unit WHERE code = '29410' AND valid_to IS NULL")
    ).one()
    demo_session.execute(
        sa.text("UPDATE admin_unit SET geom = ST_Multi(ST_Buffer(geom, 0.01)) WHERE id = :id"),
        {"id": before.id},
    )
    after = demo_session.execute(
        sa.text(f"SELECT area_km2, {GEODESIC} AS geodesic FROM admin_unit WHERE id = :id"),
        {"id": before.id},
    ).one()
    assert after.area_km2 == after.geodesic > before.area_km2
    demo_session.rollback()


def test_the_commune_layer_shows_the_stored_area(demo_session: Session) -> None:
    query = features.FeatureQuery("communes", filters=LayerQuery(area_code="29410"))
    [feature] = [f for f in features.page(demo_session, query) if f["code"] == "29410"]
    stored = demo_session.scalar(
        sa.text("SELECT area_km2 FROM admin_unit WHERE code = '29410' AND valid_to IS NULL")
    )
    assert feature["area_km2"] == stored > 0
