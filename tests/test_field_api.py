"""The field write API on real PostGIS: idempotent creates, locked updates, status rules,
scope, Vietnam, geometry checks, relapse candidates, openings, checks, nearby and today.

The module writes into its own copy of the demo database, so the other tests' demo data stays
as loaded.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from _databases import copy_of
from conftest import app_role_url, log_in, make_settings
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from geo_app.demo.accounts import DEMO_PASSWORD
from geo_app.services.accounts.users import create_user
from geo_app.services.field.edit import create
from geo_app.services.field.inputs import Writer

OFFICER = "canbo.hoaminh"
SCOPE = "29410"
STAFF = "tham.muu"


@pytest.fixture(scope="module")
def field_db(app: Flask, demo_db: str) -> Iterator[str]:
    """A copy of the demo database for this module's writes."""
    for key in ("geo_app.engine", "geo_app.bare_engine"):
        if key in app.extensions:
            app.extensions[key].dispose()
    with copy_of(demo_db, "geo_app_test_field") as url:
        yield url


@pytest.fixture(scope="module")
def db(field_db: str) -> Iterator[Engine]:
    """The owner's engine on the copy, for reading what the API wrote."""
    engine = sa.create_engine(field_db, poolclass=sa.NullPool)
    with Session(engine) as session, session.begin():
        create_user(
            session, login=STAFF, password=DEMO_PASSWORD, role="staff", scope_code="86", actor="t"
        )
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def field_app(field_db: str, db: Engine) -> Iterator[Flask]:
    from geo_app import create_app

    made = create_app(make_settings(), database_url=app_role_url(field_db) or field_db)
    made.config["TESTING"] = True
    yield made
    made.extensions["geo_app.engine"].dispose()


@pytest.fixture(scope="module")
def places(db: Engine) -> dict[str, tuple[float, float]]:
    """Points: A inside 29410 and over 1 km from any hotspot, B 150 m and C 400 m north of it
    (both inside 29410), another commune's point, the sea, and Bangkok."""
    with db.connect() as conn:
        a = conn.execute(
            sa.text(
                """
                WITH c AS (SELECT geom FROM admin_unit WHERE code = :scope AND valid_to IS NULL),
                pts AS (SELECT (ST_Dump(ST_GeneratePoints(c.geom, 400, 7))).geom AS p FROM c)
                SELECT ST_X(p), ST_Y(p) FROM pts, c
                WHERE NOT EXISTS (SELECT 1 FROM hotspot h
                                  WHERE ST_DWithin(h.geom::geography, p::geography, 1000))
                  AND ST_Covers(c.geom, ST_Project(p::geography, 450, 0)::geometry)
                LIMIT 1
                """
            ),
            {"scope": SCOPE},
        ).one()
        north = {
            key: conn.execute(
                sa.text(
                    "SELECT ST_X(g), ST_Y(g) FROM (SELECT ST_Project("
                    "ST_SetSRID(ST_MakePoint(:x, :y), 4326)::geography, :m, 0)::geometry AS g) q"
                ),
                {"x": a[0], "y": a[1], "m": metres},
            ).one()
            for key, metres in (("B", 150), ("C", 400))
        }
        other = conn.execute(
            sa.text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM admin_unit "
                "WHERE level = 'commune' AND valid_to IS NULL AND code <> :scope "
                "AND layout = '2025' ORDER BY code LIMIT 1) q"
            ),
            {"scope": SCOPE},
        ).one()
    return {
        "A": (a[0], a[1]),
        "B": tuple(north["B"]),
        "C": tuple(north["C"]),
        "other": (other[0], other[1]),
        "sea": (109.9, 11.0),
        "bangkok": (100.5, 13.75),
    }  # type: ignore[return-value]


def _point(where: tuple[float, float], offset: float = 0.0) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [where[0] + offset, where[1]]}


def _hotspot(where: dict[str, Any], **props: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": where,
        "properties": {
            "client_id": str(uuid.uuid4()),
            "kind": "retail",
            "source": "patrol",
            "placed_by": "gps",
            "accuracy_m": 8.5,
            **props,
        },
    }


def _as(user: str) -> tuple[str, str]:
    return (user, DEMO_PASSWORD)


def _post(client: FlaskClient, path: str, body: Any, user: str = OFFICER, **kwargs: Any) -> Any:
    return client.post(path, json=body, auth=_as(user), **kwargs)


def _patch(
    client: FlaskClient, path: str, body: Any, version: int | None, user: str = OFFICER
) -> Any:
    headers = {} if version is None else {"If-Match": f'"{version}"'}
    return client.patch(path, json=body, auth=_as(user), headers=headers)


def _scalar(db: Engine, sql: str, **params: Any) -> Any:
    with db.connect() as conn:
        return conn.scalar(sa.text(sql), params)


@pytest.fixture
def client(field_app: Flask) -> FlaskClient:
    return field_app.test_client()


# -- create and replay ---------------------------------------------------------------------------


def test_create_writes_the_row_its_receipt_and_an_audit_row(
    client: FlaskClient, db: Engine, places: dict[str, Any]
) -> None:
    version_before = _scalar(db, "SELECT version FROM layer_version WHERE layer = 'hotspots'")
    body = _hotspot(_point(places["A"], 0.002), notes="Quán nước đầu ngõ")
    response = _post(client, "/api/hotspots", body)
    assert response.status_code == 201, response.get_json()
    feature = response.get_json()
    key = body["properties"]["client_id"]
    props = feature["properties"]
    assert feature["type"] == "Feature" and isinstance(feature["id"], int)
    assert response.headers["ETag"] == '"1"'
    assert props["version"] == 1 and props["client_id"] == key
    assert props["status"] == "active" and props["kind"] == "retail"
    assert props["detected_on"] == "2025-12-31"
    assert props["placed_by"] == "gps" and props["accuracy_m"] == 8.5
    assert props["commune_code"] == SCOPE and props["notes"] == "Quán nước đầu ngõ"
    assert feature["flags"] == {"relapse_candidate": None}
    row_id = feature["id"]
    assert _scalar(db, "SELECT count(*) FROM hotspot WHERE client_id = :k", k=key) == 1
    assert _scalar(db, "SELECT row_id FROM write_receipt WHERE client_id = :k", k=key) == row_id
    audits = "SELECT count(*) FROM audit_log WHERE action = 'field_create' AND row_id = :r"
    assert _scalar(db, audits, r=str(row_id)) == 1
    version_after = _scalar(db, "SELECT version FROM layer_version WHERE layer = 'hotspots'")
    assert version_after > (version_before or 0)  # the touched tiles are invalidated

    again = _post(client, "/api/hotspots", body)
    assert again.status_code == 200
    assert again.get_json()["id"] == row_id
    assert _scalar(db, "SELECT count(*) FROM hotspot WHERE client_id = :k", k=key) == 1
    assert _scalar(db, audits, r=str(row_id)) == 1


def test_two_racing_twins_make_one_row(
    field_app: Flask, db: Engine, places: dict[str, Any]
) -> None:
    body = _hotspot(_point(places["A"], 0.003))
    answers: list[Any] = []

    def send() -> None:
        answers.append(_post(field_app.test_client(), "/api/hotspots", body))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 201]
    assert len({a.get_json()["id"] for a in answers}) == 1
    key = body["properties"]["client_id"]
    assert _scalar(db, "SELECT count(*) FROM hotspot WHERE client_id = :k", k=key) == 1


def test_a_uuid_of_another_user_is_a_conflict_not_their_row(
    client: FlaskClient, places: dict[str, Any]
) -> None:
    body = _hotspot(_point(places["A"], 0.004))
    assert _post(client, "/api/hotspots", body).status_code == 201
    response = _post(client, "/api/hotspots", body, user="quantri")
    assert response.status_code == 409
    assert "id" not in response.get_json() and "client_id" in response.get_json()["error"]


def test_the_cookie_session_needs_the_csrf_header(field_app: Flask, places: dict[str, Any]) -> None:
    browser = log_in(field_app.test_client(), OFFICER)
    token = browser.get("/api/field/today").headers["X-CSRF-Token"]
    body = _hotspot(_point(places["A"], 0.005))
    assert browser.post("/api/hotspots", json=body).status_code == 400
    assert (
        browser.post("/api/hotspots", json=body, headers={"X-CSRF-Token": token}).status_code == 201
    )


# -- who and where -------------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["vinhlong", "xem.vinhlong"])
def test_commanders_and_viewers_cannot_write(
    client: FlaskClient, db: Engine, places: dict[str, Any], user: str
) -> None:
    body = _hotspot(_point(places["A"], 0.006))
    response = _post(client, "/api/hotspots", body, user=user)
    assert response.status_code == 403
    assert response.get_json() == {"error": "Vai trò của bạn không được làm việc này"}
    key = body["properties"]["client_id"]
    assert _scalar(db, "SELECT count(*) FROM write_receipt WHERE client_id = :k", k=key) == 0


def test_outside_the_officers_commune_is_refused_and_nothing_written(
    client: FlaskClient, db: Engine, places: dict[str, Any]
) -> None:
    before = _scalar(db, "SELECT count(*) FROM hotspot")
    response = _post(client, "/api/hotspots", _hotspot(_point(places["other"])))
    assert response.status_code == 403
    assert response.get_json()["error"] == "Vị trí nằm ngoài địa bàn của bạn"
    assert _scalar(db, "SELECT count(*) FROM hotspot") == before


@pytest.mark.parametrize("where", ["sea", "bangkok"])
def test_outside_vietnam_is_a_400(
    client: FlaskClient, db: Engine, places: dict[str, Any], where: str
) -> None:
    before = _scalar(db, "SELECT count(*) FROM hotspot")
    response = _post(client, "/api/hotspots", _hotspot(_point(places[where])), user="quantri")
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "Vị trí nằm ngoài lãnh thổ Việt Nam",
        "field": "geometry",
    }
    english = _post(client, "/api/hotspots?lang=en", _hotspot(_point(places[where])))
    assert english.get_json()["error"] == "The place is outside Vietnam"
    assert _scalar(db, "SELECT count(*) FROM hotspot") == before


@pytest.mark.parametrize(
    "coordinates",
    [[float("nan"), 10.0], [106.0, float("inf")], [1e10, 10.0], [106.0], ["106", "10"], None],
)
def test_bad_coordinates_are_a_400(client: FlaskClient, coordinates: Any) -> None:
    body = _hotspot({"type": "Point", "coordinates": coordinates})
    response = _post(client, "/api/hotspots", body)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.get_json()["field"] == "geometry"


def test_bad_properties_name_the_field(client: FlaskClient, places: dict[str, Any]) -> None:
    cases = {
        "kind": {"kind": "palace"},
        "detected_on": {"detected_on": "2026-02-01"},
        "notes": {"notes": "x" * 501},
        "client_id": {"client_id": "not-a-uuid"},
        "placed_by": {"placed_by": "guess"},
        "accuracy_m": {"accuracy_m": -1},
        "source": {"source": None},
    }
    for field, props in cases.items():
        response = _post(client, "/api/hotspots", _hotspot(_point(places["A"], 0.007), **props))
        assert response.status_code == 400, field
        assert response.get_json()["field"] == field


# -- updates -------------------------------------------------------------------------------------


def _new(client: FlaskClient, where: dict[str, Any], **props: Any) -> dict[str, Any]:
    response = _post(client, "/api/hotspots", _hotspot(where, **props))
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def _change(**props: Any) -> dict[str, Any]:
    return {"client_id": str(uuid.uuid4()), "properties": props}


def test_update_needs_the_current_version(
    client: FlaskClient, db: Engine, places: dict[str, Any]
) -> None:
    made = _new(client, _point(places["A"], 0.008))
    path = f"/api/hotspots/{made['id']}"
    assert _patch(client, path, _change(kind="den"), None).status_code == 428
    stale = _patch(client, path, _change(kind="den"), 7)
    assert stale.status_code == 409
    assert stale.get_json()["current"]["properties"]["version"] == 1
    assert _scalar(db, "SELECT kind::text FROM hotspot WHERE id = :i", i=made["id"]) == "retail"
    body = _change(kind="den")
    done = _patch(client, path, body, 1)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["properties"]["kind"] == "den"
    assert done.get_json()["properties"]["version"] == 2
    assert _patch(client, path, body, 1).status_code == 200  # a resend: nothing more
    assert _scalar(db, "SELECT version FROM hotspot WHERE id = :i", i=made["id"]) == 2
    by_field = _patch(client, path, {**_change(kind="use_site", version=2)}, None)
    assert by_field.status_code == 200 and by_field.get_json()["properties"]["version"] == 3


def test_status_follows_the_domain_transitions(
    client: FlaskClient, db: Engine, places: dict[str, Any]
) -> None:
    made = _new(client, _point(places["A"], 0.009))
    path = f"/api/hotspots/{made['id']}"
    no_reason = _patch(client, path, _change(status="cleared"), 1)
    assert no_reason.status_code == 400 and no_reason.get_json()["field"] == "reason"
    cleared = _patch(client, path, {**_change(status="cleared"), "reason": "Đã triệt phá"}, 1)
    assert cleared.status_code == 200, cleared.get_json()
    assert cleared.get_json()["properties"]["status"] == "cleared"
    assert cleared.get_json()["properties"]["cleared_on"] == "2025-12-31"
    back = _patch(client, path, {**_change(status="active"), "reason": "x"}, 2)
    assert back.status_code == 400
    assert back.get_json() == {
        "error": "Không được chuyển tình trạng từ «Đã triệt xóa» sang «Đang hoạt động»",
        "field": "status",
    }
    history = "SELECT count(*) FROM hotspot_status_change WHERE hotspot_id = :i"
    assert _scalar(db, history, i=made["id"]) == 1
    relapsed = _patch(client, path, {**_change(status="relapsed"), "reason": "Tái diễn"}, 2)
    assert relapsed.status_code == 200
    assert relapsed.get_json()["properties"]["status"] == "relapsed"


def test_a_move_needs_a_reason(client: FlaskClient, db: Engine, places: dict[str, Any]) -> None:
    made = _new(client, _point(places["A"], 0.010))
    path = f"/api/hotspots/{made['id']}"
    to = _point(places["A"], 0.011)
    response = _patch(client, path, {**_change(), "geometry": to}, 1)
    assert response.status_code == 400 and response.get_json()["field"] == "reason"
    moved_body = {**_change(placed_by="tap", accuracy_m=None), "geometry": to, "reason": "Đo lại"}
    moved = _patch(client, path, moved_body, 1)
    assert moved.status_code == 200
    assert moved.get_json()["properties"]["placed_by"] == "tap"
    assert moved.get_json()["properties"]["accuracy_m"] is None
    assert moved.get_json()["geometry"]["coordinates"] == pytest.approx(to["coordinates"])
    away = _patch(
        client, path, {**_change(), "geometry": _point(places["other"]), "reason": "x"}, 2
    )
    assert away.status_code == 403


def test_delete_is_soft_and_only_for_the_office(
    client: FlaskClient, db: Engine, places: dict[str, Any]
) -> None:
    made = _new(client, _point(places["A"], 0.012))
    path = f"/api/hotspots/{made['id']}"
    body = {"client_id": str(uuid.uuid4()), "reason": "Nhập trùng"}
    headers = {"If-Match": '"1"'}
    assert client.delete(path, json=body, auth=_as(OFFICER), headers=headers).status_code == 403
    for user in ("quantri", STAFF):
        item = _new(client, _point(places["A"], 0.013))
        done = client.delete(
            f"/api/hotspots/{item['id']}",
            json={**body, "client_id": str(uuid.uuid4())},
            auth=_as(user),
            headers=headers,
        )
        assert done.status_code == 200, done.get_json()
        assert done.get_json()["deleted"] is True
        deleted = "SELECT deleted_at IS NOT NULL FROM hotspot WHERE id = :i"
        assert _scalar(db, deleted, i=item["id"]) is True
        assert client.get(f"/api/hotspots/{item['id']}", auth=_as(user)).status_code == 404


def test_viewers_read_without_notes_or_case_reference(
    client: FlaskClient, places: dict[str, Any]
) -> None:
    made = _new(client, _point(places["A"], 0.014), notes="Sau chợ", case_ref="VV-1")
    path = f"/api/hotspots/{made['id']}"
    officer = client.get(path, auth=_as(OFFICER)).get_json()["properties"]
    assert officer["notes"] == "Sau chợ" and officer["case_ref"] == "VV-1"
    viewer = client.get(path, auth=_as("xem.vinhlong"))
    assert viewer.status_code == 200 and viewer.headers["ETag"] == '"1"'
    assert "notes" not in viewer.get_json()["properties"]
    assert "case_ref" not in viewer.get_json()["properties"]


# -- relapse candidates --------------------------------------------------------------------------


def test_a_new_hotspot_near_a_cleared_one_is_a_relapse_candidate(
    client: FlaskClient, db: Engine, places: dict[str, Any]
) -> None:
    cleared = _new(client, _point(places["A"]), kind="den")
    path = f"/api/hotspots/{cleared['id']}"
    body = {**_change(status="cleared"), "reason": "Đã triệt xóa"}
    assert _patch(client, path, body, 1).status_code == 200
    near = _new(client, _point(places["B"]))
    flag = near["flags"]["relapse_candidate"]
    assert flag["id"] == cleared["id"]
    assert flag["distance_m"] == pytest.approx(150, abs=2)
    assert flag["message"] == f"Gần điểm đã triệt xóa #{cleared['id']} (150 m)"
    assert near["properties"]["relapse_of_id"] == cleared["id"]
    far = _new(client, _point(places["C"]))
    assert far["flags"]["relapse_candidate"] is None
    writer = Writer(OFFICER, "officer", _scope_id(db), "vi")
    with Session(db) as session:  # the radius is a setting: 100 m leaves B unflagged
        smaller = create(
            session, writer, "hotspots", _hotspot(_point(places["B"])), relapse_radius_m=100
        )
        session.rollback()
    assert smaller.created and smaller.body["flags"]["relapse_candidate"] is None


def _across_the_border(db: Engine) -> tuple[tuple[float, float], tuple[float, float]]:
    """A point inside 29410 and one ~50-120 m away outside it (in a neighbouring commune),
    both over 1 km from any hotspot."""
    row = _scalar(
        db,
        """
        WITH c AS (SELECT geom FROM admin_unit WHERE code = :scope AND valid_to IS NULL),
        edge AS (SELECT ST_LineInterpolatePoint(ST_ExteriorRing((ST_Dump(c.geom)).geom), f)
                        AS b FROM c, generate_series(0.05, 0.95, 0.05) f),
        pairs AS (
          SELECT ST_Project(b::geography, 40, radians(a))::geometry AS p,
                 ST_Project(b::geography, 40, radians(a + 180))::geometry AS q
          FROM edge, generate_series(0, 350, 10) a
          WHERE NOT EXISTS (SELECT 1 FROM hotspot h
                            WHERE ST_DWithin(h.geom::geography, b::geography, 1000)))
        SELECT json_build_array(ST_X(p), ST_Y(p), ST_X(q), ST_Y(q))
        FROM pairs, c
        WHERE ST_Covers(c.geom, p) AND NOT ST_Intersects(c.geom, q)
          AND EXISTS (SELECT 1 FROM admin_unit o WHERE o.level = 'commune'
                      AND o.valid_to IS NULL AND ST_Covers(o.geom, q))
        LIMIT 1
        """,
        scope=SCOPE,
    )
    return (row[0], row[1]), (row[2], row[3])


def test_a_cleared_hotspot_outside_the_scope_is_named_by_neither_id_nor_distance(
    client: FlaskClient, db: Engine
) -> None:
    inside, outside = _across_the_border(db)
    made = _post(client, "/api/hotspots", _hotspot(_point(outside)), user="quantri")
    assert made.status_code == 201, made.get_json()
    cleared = made.get_json()
    body = {**_change(status="cleared"), "reason": "Đã triệt xóa"}
    assert _patch(client, f"/api/hotspots/{cleared['id']}", body, 1, "quantri").status_code == 200
    near = _new(client, _point(inside))
    flag = near["flags"]["relapse_candidate"]
    assert flag == {
        "id": None,
        "distance_m": None,
        "message": "Gần một điểm đã triệt xóa ở ngoài địa bàn của bạn",
    }
    assert near["properties"]["relapse_of_id"] is None
    assert near["properties"]["relapse_distance_m"] is None
    assert str(cleared["id"]) not in json.dumps(near)
    # The link is kept: a national reader sees it, with the distance.
    seen = client.get(f"/api/hotspots/{near['id']}", auth=_as("quantri")).get_json()
    assert seen["properties"]["relapse_of_id"] == cleared["id"]
    assert seen["flags"]["relapse_candidate"]["distance_m"] == pytest.approx(80, abs=2)


def _scope_id(db: Engine) -> int:
    return int(_scalar(db, "SELECT scope_unit_id FROM app_user WHERE login = :l", l=OFFICER))


def test_the_relapse_radius_is_a_setting() -> None:
    assert make_settings().relapse_radius_m == 300
    assert make_settings(GEO_APP_RELAPSE_RADIUS_M="120").relapse_radius_m == 120
    with pytest.raises(ValueError, match="GEO_APP_RELAPSE_RADIUS_M"):
        make_settings(GEO_APP_RELAPSE_RADIUS_M="-5")


# -- cultivation, boards, boxes ------------------------------------------------------------------


def _square(x: float, y: float, d: float = 0.0005) -> list[list[float]]:
    return [[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]


def test_cultivation_sites_take_valid_polygons_only(
    client: FlaskClient, places: dict[str, Any]
) -> None:
    x, y = places["A"]
    bow_tie = {
        "type": "Polygon",
        "coordinates": [[[x, y], [x + 0.001, y + 0.001], [x + 0.001, y], [x, y + 0.001], [x, y]]],
    }
    feature = {
        "type": "Feature",
        "geometry": bow_tie,
        "properties": {"client_id": str(uuid.uuid4()), "plant_count": 40},
    }
    response = _post(client, "/api/cultivation_sites", feature)
    assert response.status_code == 400 and response.get_json()["field"] == "geometry"
    feature["geometry"] = {"type": "Polygon", "coordinates": [_square(x, y)]}
    made = _post(client, "/api/cultivation_sites", feature)
    assert made.status_code == 201, made.get_json()
    props = made.get_json()["properties"]
    assert props["plant_count"] == 40 and props["status"] == "active"
    assert 2500 < props["area_m2"] < 3500  # about 55 m × 55 m, on the spheroid


def test_a_box_opening_moves_its_last_opening_once(
    client: FlaskClient, db: Engine, places: dict[str, Any]
) -> None:
    box = {
        "type": "Feature",
        "geometry": _point(places["A"], -0.002),
        "properties": {
            "client_id": str(uuid.uuid4()),
            "site": "police_hq",
            "installed_on": "2025-01-10",
        },
    }
    no_site = {**box, "properties": {"client_id": str(uuid.uuid4())}}
    refused = _post(client, "/api/tipoff_boxes", no_site)
    assert refused.status_code == 400 and refused.get_json()["field"] == "site"
    made = _post(client, "/api/tipoff_boxes", box)
    assert made.status_code == 201, made.get_json()
    box_id = made.get_json()["id"]
    opening = {
        "client_id": str(uuid.uuid4()),
        "inspected_on": "2025-12-30",
        "letters_received": 3,
        "letters_forwarded": 2,
    }
    path = f"/api/tipoff_boxes/{box_id}/inspections"
    first = _post(client, path, opening)
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["inspection"]["letters_received"] == 3
    assert first.get_json()["feature"]["properties"]["last_opened_on"] == "2025-12-30"
    assert _post(client, path, opening).status_code == 200
    count = "SELECT count(*) FROM tipoff_inspection WHERE box_id = :b"
    assert _scalar(db, count, b=box_id) == 1
    last = "SELECT last_opened_on::text FROM tipoff_box WHERE id = :b"
    assert _scalar(db, last, b=box_id) == "2025-12-30"
    worse = _post(client, path, {**opening, "client_id": str(uuid.uuid4()), "letters_forwarded": 9})
    assert worse.status_code == 400 and worse.get_json()["field"] == "letters_forwarded"


def test_a_board_check_sets_its_condition(
    client: FlaskClient, db: Engine, places: dict[str, Any]
) -> None:
    board = {
        "type": "Feature",
        "geometry": _point(places["A"], -0.003),
        "properties": {
            "client_id": str(uuid.uuid4()),
            "site": "cultural_house",
            "phones": ["0270 3822 000"],
            "placed_by": "tap",
        },
    }
    made = _post(client, "/api/hotline_boards", board)
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["properties"]["phones"] == "0270 3822 000"
    board_id = made.get_json()["id"]
    check = {"client_id": str(uuid.uuid4()), "checked_on": "2025-12-31", "condition": "damaged"}
    done = _post(client, f"/api/hotline_boards/{board_id}/checks", check)
    assert done.status_code == 201, done.get_json()
    assert done.get_json()["check"]["condition"] == "damaged"
    props = done.get_json()["feature"]["properties"]
    assert props["status"] == "damaged" and props["last_checked_on"] == "2025-12-31"
    assert _post(client, f"/api/hotline_boards/{board_id}/checks", check).status_code == 200
    count = "SELECT count(*) FROM hotline_board_check WHERE board_id = :b"
    assert _scalar(db, count, b=board_id) == 1


# -- nearby and today ----------------------------------------------------------------------------


def test_nearby_lists_nearest_first_inside_the_scope(
    client: FlaskClient, places: dict[str, Any]
) -> None:
    made = _new(client, _point(places["A"], 0.015))
    x, y = made["geometry"]["coordinates"]
    found = client.get(f"/api/field/nearby?lon={x}&lat={y}&radius=800", auth=_as(OFFICER))
    assert found.status_code == 200
    items = found.get_json()["items"]
    assert items[0]["layer"] == "hotspots" and items[0]["id"] == made["id"]
    assert items[0]["distance_m"] < 1 and items[0]["version"] == 1
    assert items[0]["status"] == "active" and items[0]["status_label"] == "Đang hoạt động"
    distances = [i["distance_m"] for i in items]
    assert distances == sorted(distances) and max(distances) <= 800
    ox, oy = places["other"]
    assert (
        _post(
            client, "/api/hotspots", _hotspot(_point(places["other"])), user="quantri"
        ).status_code
        == 201
    )
    outside = client.get(f"/api/field/nearby?lon={ox}&lat={oy}&radius=100", auth=_as(OFFICER))
    assert outside.get_json()["items"] == []
    admin = client.get(f"/api/field/nearby?lon={ox}&lat={oy}&radius=100", auth=_as("quantri"))
    assert len(admin.get_json()["items"]) >= 1
    assert client.get("/api/field/nearby?lon=nan&lat=10", auth=_as(OFFICER)).status_code == 400
    assert (
        client.get(f"/api/field/nearby?lon={x}&lat={y}&radius=5000", auth=_as(OFFICER)).status_code
        == 400
    )


def test_today_lists_the_users_own_writes(client: FlaskClient, places: dict[str, Any]) -> None:
    body = _hotspot(_point(places["A"], 0.016))
    made = _post(client, "/api/hotspots", body).get_json()
    mine = client.get("/api/field/today", auth=_as(OFFICER)).get_json()["items"]
    entry = next(i for i in mine if i["client_id"] == body["properties"]["client_id"])
    assert entry["layer"] == "hotspots" and entry["action"] == "create"
    assert entry["row_id"] == made["id"]
    theirs = client.get("/api/field/today", auth=_as("quantri")).get_json()["items"]
    assert body["properties"]["client_id"] not in {i["client_id"] for i in theirs}


def test_rows_outside_the_scope_and_bad_requests_are_refused(
    client: FlaskClient, db: Engine, places: dict[str, Any]
) -> None:
    theirs = _post(
        client, "/api/hotspots", _hotspot(_point(places["other"], 0.001)), user="quantri"
    )
    assert theirs.status_code == 201
    path = f"/api/hotspots/{theirs.get_json()['id']}"
    refused = _patch(client, path, _change(kind="den"), 1)
    assert refused.status_code == 403
    assert refused.get_json()["error"] == "Vị trí nằm ngoài địa bàn của bạn"
    assert (
        _scalar(db, "SELECT kind::text FROM hotspot WHERE id = :i", i=theirs.get_json()["id"])
        == "retail"
    )
    bad_version = client.patch(
        path, json=_change(kind="den"), auth=_as("quantri"), headers={"If-Match": "latest"}
    )
    assert bad_version.status_code == 400
    assert client.post("/api/routes", json={}, auth=_as("quantri")).status_code == 404
    not_json = client.post("/api/hotspots", data="x", auth=_as(OFFICER))
    assert not_json.status_code == 415
    english = _patch(client, path + "?lang=en", _change(kind="den"), 9, user="quantri")
    assert english.status_code == 409
    assert english.get_json()["error"].startswith("Someone changed this")


def test_a_resent_delete_changes_nothing_more(
    client: FlaskClient, db: Engine, places: dict[str, Any]
) -> None:
    made = _new(client, _point(places["A"], 0.017))
    body = {"client_id": str(uuid.uuid4()), "reason": "Nhập nhầm"}
    path = f"/api/hotspots/{made['id']}"
    headers = {"If-Match": '"1"'}
    assert (
        client.delete(
            path, json={**body, "reason": ""}, auth=_as("quantri"), headers=headers
        ).status_code
        == 400
    )
    first = client.delete(path, json=body, auth=_as("quantri"), headers=headers)
    again = client.delete(path, json=body, auth=_as("quantri"), headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.get_json() == again.get_json()
    audits = "SELECT count(*) FROM audit_log WHERE action = 'field_delete' AND row_id = :r"
    assert _scalar(db, audits, r=str(made["id"])) == 1


def test_racing_twins_of_an_update_change_the_row_once(
    field_app: Flask, db: Engine, places: dict[str, Any]
) -> None:
    made = _new(field_app.test_client(), _point(places["A"], 0.018))
    body = _change(kind="den")
    answers: list[Any] = []

    def send() -> None:
        answers.append(_patch(field_app.test_client(), f"/api/hotspots/{made['id']}", body, 1))

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [200, 200]
    assert {a.get_json()["properties"]["version"] for a in answers} == {2}
    audits = "SELECT count(*) FROM audit_log WHERE action = 'field_update' AND row_id = :r"
    assert _scalar(db, audits, r=str(made["id"])) == 1
