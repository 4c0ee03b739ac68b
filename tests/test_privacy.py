"""Privacy: map pages, tiles and layer APIs need a login, and show a user only their scope.

Checked on the server with real PostGIS: the demo commander of Vĩnh Long (86) must not get
one hotspot, board or box outside the province, whether through tiles, counts or GeoJSON.
"""

from __future__ import annotations

import gzip
import math
from typing import Any

import mapbox_vector_tile
import pytest
import sqlalchemy as sa
from conftest import log_in
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

IN_86 = """
    SELECT ST_X(h.geom), ST_Y(h.geom) FROM hotspot h, admin_unit p
    WHERE p.code = '86' AND p.valid_to IS NULL AND ST_Covers(p.geom, h.geom)
      AND h.deleted_at IS NULL ORDER BY h.id LIMIT 1
"""
OUTSIDE_86 = """
    SELECT ST_X(h.geom), ST_Y(h.geom) FROM hotspot h, admin_unit p
    WHERE p.code = '86' AND p.valid_to IS NULL
      AND NOT ST_DWithin(p.geom, h.geom, 0.5) AND h.deleted_at IS NULL ORDER BY h.id LIMIT 1
"""


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def tile_layers(client: FlaskClient, path: str) -> dict[str, Any]:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.data
    if response.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return dict(mapbox_vector_tile.decode(body))


def features_in(layers: dict[str, Any], name: str) -> int:
    return len(layers.get(name, {}).get("features", []))


@pytest.mark.parametrize("path", ["/", "/map/province/86", "/map/commune/29242"])
def test_pages_send_an_anonymous_visitor_to_the_login_form(app: Flask, path: str) -> None:
    response = app.test_client().get(path)
    assert response.status_code == 302
    assert "/login?next=" in response.headers["Location"]


@pytest.mark.parametrize(
    "path",
    [
        "/tiles/points/10/817/488.mvt",
        "/tiles/admin/5/25/15.mvt",
        "/api/layers",
        "/api/layers/hotspots/features?area=86",
    ],
)
def test_tiles_and_apis_answer_401_without_a_login(app: Flask, path: str) -> None:
    response = app.test_client().get(path)
    assert response.status_code == 401
    assert "log in" in response.get_json()["error"]
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_a_scoped_user_starts_on_their_own_province(province_client: FlaskClient) -> None:
    response = province_client.get("/?lang=en")
    assert response.status_code == 302
    assert response.headers["Location"] == "/map/province/86?lang=en"


def test_hotspot_features_stay_inside_the_scope(
    national_client: FlaskClient, province_client: FlaskClient, demo_session: Session
) -> None:
    everything = national_client.get("/api/layers/hotspots/features").get_json()["features"]
    mine = province_client.get("/api/layers/hotspots/features").get_json()["features"]
    inside = demo_session.scalar(
        sa.text(
            "SELECT count(*) FROM hotspot h, admin_unit p WHERE p.code = '86' "
            "AND p.valid_to IS NULL AND ST_Intersects(p.geom, h.geom) AND h.deleted_at IS NULL"
        )
    )
    assert 0 < len(mine) == inside < len(everything)
    outside = {f["properties"]["id"] for f in everything} - {f["properties"]["id"] for f in mine}
    assert outside, "the national list must hold hotspots the province may not see"
    # Asking for another province's area explicitly gives nothing either.
    other = province_client.get("/api/layers/hotspots/features?area=01").get_json()
    assert other["features"] == []


@pytest.mark.parametrize(
    ("layer", "query"),
    [("hotline_boards", ""), ("tipoff_boxes", ""), ("cultivation_sites", "?area=20")],
)
def test_other_sensitive_layers_stay_inside_the_scope(
    national_client: FlaskClient, province_client: FlaskClient, layer: str, query: str
) -> None:
    answer = national_client.get(f"/api/layers/{layer}/features{query}").get_json()
    assert "features" in answer, answer
    everything = answer["features"]
    mine = province_client.get(f"/api/layers/{layer}/features{query}").get_json()["features"]
    assert len(mine) < len(everything)
    assert {f["properties"]["id"] for f in mine} <= {f["properties"]["id"] for f in everything}


def test_point_tiles_outside_the_scope_are_empty_for_a_scoped_user(
    national_client: FlaskClient, province_client: FlaskClient, demo_session: Session
) -> None:
    lon, lat = demo_session.execute(sa.text(OUTSIDE_86)).one()
    x, y = tile_of(lon, lat, 12)
    path = f"/tiles/points/12/{x}/{y}.mvt"
    assert features_in(tile_layers(national_client, path), "hotspots") >= 1
    assert features_in(tile_layers(province_client, path), "hotspots") == 0
    # Counts below zoom 10 are made from the same scoped rows: none out there either.
    x, y = tile_of(lon, lat, 7)
    counts = f"/tiles/points/7/{x}/{y}.mvt"
    assert features_in(tile_layers(national_client, counts), "hotspots_count") >= 1
    assert features_in(tile_layers(province_client, counts), "hotspots_count") == 0


def test_point_tiles_inside_the_scope_are_drawn_for_the_scoped_user(
    national_client: FlaskClient, province_client: FlaskClient, demo_session: Session
) -> None:
    lon, lat = demo_session.execute(sa.text(IN_86)).one()
    x, y = tile_of(lon, lat, 14)
    path = f"/tiles/points/14/{x}/{y}.mvt"
    mine = tile_layers(province_client, path)
    assert features_in(mine, "hotspots") >= 1
    # Same tile, same user: served from the cache with the same scope; national sees as much.
    assert features_in(tile_layers(national_client, path), "hotspots") >= features_in(
        mine, "hotspots"
    )


def test_an_officer_of_one_commune_sees_only_that_commune(
    app: Flask, demo_session: Session
) -> None:
    officer = log_in(app.test_client(), "canbo.hoaminh")
    mine = officer.get("/api/layers/hotspots/features").get_json()["features"]
    inside = demo_session.scalar(
        sa.text(
            "SELECT count(*) FROM hotspot h, admin_unit c WHERE c.code = '29410' "
            "AND c.valid_to IS NULL AND ST_Intersects(c.geom, h.geom) AND h.deleted_at IS NULL"
        )
    )
    assert len(mine) == inside
    province = log_in(app.test_client(), "vinhlong")
    assert len(mine) < len(province.get("/api/layers/hotspots/features").get_json()["features"])


VIEWER_LOGIN = "xem.vinhlong"
SENSITIVE = ("notes", "case_ref")


def _sensitive_values(session: Session) -> list[str]:
    """The notes and case references of the hotspots in province 86 (the viewer's scope)."""
    rows = session.execute(
        sa.text(
            "SELECT h.notes, h.case_ref FROM hotspot h, admin_unit p WHERE p.code = '86' "
            "AND p.valid_to IS NULL AND ST_Covers(p.geom, h.geom) AND h.deleted_at IS NULL"
        )
    ).all()
    return sorted({value for row in rows for value in row if value})


def test_a_viewer_never_gets_notes_or_case_references(app: Flask, demo_session: Session) -> None:
    values = _sensitive_values(demo_session)
    assert values, "the demo hotspots of 86 have notes to hide"
    viewer = log_in(app.test_client(), VIEWER_LOGIN)
    collection = viewer.get("/api/layers/hotspots/features?limit=1000").get_json()
    assert collection["features"]
    for item in collection["features"]:
        assert not set(SENSITIVE) & set(item["properties"])
    one = viewer.get(
        f"/api/layers/hotspots/features/{collection['features'][0]['properties']['id']}"
    )
    assert one.status_code == 200 and not set(SENSITIVE) & set(one.get_json()["properties"])
    for path in ["/map/province/86", "/map/commune/29410", "/api/summary?area=86"]:
        text = viewer.get(path).get_data(as_text=True)
        assert not [v for v in values if v in text], path


def test_tiles_never_carry_notes_or_case_references(
    app: Flask, national_client: FlaskClient, demo_session: Session
) -> None:
    lon, lat = demo_session.execute(sa.text(IN_86)).one()
    x, y = tile_of(lon, lat, 14)
    viewer = log_in(app.test_client(), VIEWER_LOGIN)
    for client in (viewer, national_client):
        layers = tile_layers(client, f"/tiles/points/14/{x}/{y}.mvt")
        assert features_in(layers, "hotspots") >= 1
        for feature in layers["hotspots"]["features"]:
            assert not set(SENSITIVE) & set(feature["properties"])


def test_the_notes_field_is_short_and_warns_against_identity_data(app: Flask) -> None:
    viewer = log_in(app.test_client(), VIEWER_LOGIN)
    layers = viewer.get("/api/layers").get_json()
    hotspots = next(layer for layer in layers["layers"] if layer["name"] == "hotspots")
    notes = next(f for f in hotspots["fields"] if f["name"] == "notes")
    assert notes["sensitive"] is True and notes["max_length"] == 500
    assert "họ tên" in notes["help"]["vi"] and "names" in notes["help"]["en"]


def test_the_database_refuses_notes_over_500_characters(demo_session: Session) -> None:
    hotspot = demo_session.scalar(sa.text("SELECT min(id) FROM hotspot"))
    demo_session.execute(
        sa.text("UPDATE hotspot SET notes = :n WHERE id = :id"), {"n": "x" * 500, "id": hotspot}
    )
    with pytest.raises(sa.exc.IntegrityError, match="ck_hotspot_notes_short"):
        demo_session.execute(
            sa.text("UPDATE hotspot SET notes = :n WHERE id = :id"),
            {"n": "x" * 501, "id": hotspot},
        )
