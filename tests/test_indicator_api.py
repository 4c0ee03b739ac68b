"""The indicator form and JSON API: login, roles, scope, CSRF, locking, and no personal data."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from test_auth import PASSWORD, World, build_world, csrf_of, log_in

from geo_app.domain.indicators import COLUMNS

FORM = "/indicators/29500/2025-11"
API = "/api/indicators"
READ = f"{API}?unit=29500&month=2025-11"
ROW_KEYS = {"code", "month", "version", *COLUMNS}
SAVED_KEYS = {"row", "code", "month", "version", "action"}


@pytest.fixture
def world(empty_db: str, engine_for: Callable[[str], Engine]) -> Iterator[World]:
    made = build_world(empty_db, engine_for(empty_db))
    yield made
    made.app.extensions["geo_app.engine"].dispose()


def _table(engine: Engine) -> tuple[list[Any], int]:
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.text("SELECT * FROM indicator ORDER BY id"))]
        audits = int(conn.scalar(sa.text("SELECT count(*) FROM audit_log")))
    return rows, audits


def _post(client: FlaskClient, rows: Any, user: str = "staff86") -> Any:
    return client.post(API, json=rows, auth=(user, PASSWORD))


def _walk_keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in _walk_keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in _walk_keys(v)}
    return set()


# -- JSON API ------------------------------------------------------------------------------------


def test_api_needs_a_login(world: World) -> None:
    client = world.app.test_client()
    assert client.get(READ).status_code == 401
    response = client.post(API, json=[{"code": "29500", "month": "2025-11"}])
    assert response.status_code == 401
    assert response.get_json() == {
        "error": "log in first (session cookie or HTTP Basic credentials)"
    }
    assert _table(world.engine)[0] == []


def test_api_round_trip_with_basic_credentials(world: World) -> None:
    client = world.app.test_client()
    empty = client.get(READ, auth=("viewer86", PASSWORD)).get_json()
    assert empty == {"code": "29500", "month": "2025-11", "version": None, **dict.fromkeys(COLUMNS)}
    saved = _post(client, [{"code": "29500", "month": "2025-11", "drug_users": 7}])
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json() == {
        "saved": [
            {"row": 1, "code": "29500", "month": "2025-11", "version": 1, "action": "inserted"}
        ]
    }
    read = client.get(READ, auth=("commander86", PASSWORD))
    assert read.headers["Cache-Control"] == "private, no-store"
    row = read.get_json()
    assert row["version"] == 1 and row["drug_users"] == 7 and row["households_total"] is None
    row["households_total"] = 300
    updated = _post(client, [row], user="officer29500")
    assert updated.get_json()["saved"][0]["version"] == 2


def test_api_refuses_other_units_and_read_only_roles(world: World) -> None:
    client = world.app.test_client()
    before = _table(world.engine)
    outside = _post(client, [{"code": "26734", "month": "2025-11", "drug_users": 1}])
    assert outside.status_code == 403
    assert outside.get_json()["details"] == ["row 1, column code: unit 26734 is outside your scope"]
    read_outside = client.get(f"{API}?unit=26734&month=2025-11", auth=("staff86", PASSWORD))
    assert read_outside.status_code == 403
    sibling = _post(client, [{"code": "29501", "month": "2025-11"}], user="officer29500")
    assert sibling.status_code == 403
    for role_user in ("viewer86", "commander86"):
        refused = _post(client, [{"code": "29500", "month": "2025-11"}], user=role_user)
        assert refused.status_code == 403, role_user
    assert _table(world.engine) == before


def test_pre_2025_unit_inside_the_2025_province_is_in_scope(world: World) -> None:
    client = world.app.test_client()
    saved = _post(client, [{"code": "28000", "month": "2025-03", "addicts_registered": 2}])
    assert saved.status_code == 200, saved.get_json()
    read = client.get(f"{API}?unit=28000&month=2025-03", auth=("staff86", PASSWORD))
    assert read.get_json()["addicts_registered"] == 2
    other = _post(client, [{"code": "28000", "month": "2025-04"}], user="staff79")
    assert other.status_code == 403


def test_api_bad_input_is_400_with_row_and_column_and_changes_nothing(world: World) -> None:
    client = world.app.test_client()
    _post(client, [{"code": "29500", "month": "2025-11", "households_total": 10}])
    before = _table(world.engine)
    rows = [
        {"code": "29501", "month": "2025-11", "drug_users": 1},
        {"code": "29501", "month": "2025-12", "drug_users": -1, "tipoffs_received": "many"},
        "not a row",
    ]
    response = _post(client, rows)
    assert response.status_code == 400
    body = response.get_json()
    assert body["details"] == [
        "row 2, column drug_users: -1 is negative",
        "row 2, column tipoffs_received: 'many' is not a whole number",
        "row 3, column -: must be a JSON object",
    ]
    assert body["fields"][0] == {
        "row": 2,
        "column": "drug_users",
        "message": "-1 is negative",
    }
    merged = _post(
        client, [{"code": "29500", "month": "2025-11", "version": 1, "households_informed": 11}]
    )
    assert merged.status_code == 400
    assert "households_informed: 11 is more than households_total (10)" in merged.get_data(
        as_text=True
    )
    assert _post(client, {"code": "29500"}).status_code == 400
    assert _post(client, []).status_code == 400
    plain = client.post(API, data="[]", auth=("staff86", PASSWORD), content_type="text/plain")
    assert plain.status_code == 415
    assert client.get(f"{API}?unit=29500", auth=("staff86", PASSWORD)).status_code == 400
    assert client.get(f"{API}?month=2025-11", auth=("staff86", PASSWORD)).status_code == 400
    assert _table(world.engine) == before


def test_api_stale_version_is_409(world: World) -> None:
    client = world.app.test_client()
    _post(client, [{"code": "29500", "month": "2025-11", "drug_users": 1}])
    seen = client.get(READ, auth=("staff86", PASSWORD)).get_json()
    assert _post(client, [{**seen, "drug_users": 2}]).status_code == 200
    before = _table(world.engine)
    stale = _post(client, [{**seen, "drug_users": 3}], user="officer29500")
    assert stale.status_code == 409
    assert stale.get_json()["details"] == [
        "row 1, column version: was changed by someone else (now version 2)"
    ]
    no_version = _post(client, [{"code": "29500", "month": "2025-11", "drug_users": 3}])
    assert no_version.status_code == 409
    assert _table(world.engine) == before


def test_api_with_the_session_cookie_needs_the_csrf_header(world: World) -> None:
    client = world.app.test_client()
    assert log_in(client, "staff86") == 302
    read = client.get(READ)
    token = read.headers["X-CSRF-Token"]
    row = [{"code": "29500", "month": "2025-11", "drug_users": 1}]
    assert client.post(API, json=row).status_code == 400
    assert client.post(API, json=row, headers={"X-CSRF-Token": "forged"}).status_code == 400
    assert _table(world.engine)[0] == []
    assert client.post(API, json=row, headers={"X-CSRF-Token": token}).status_code == 200


def test_no_person_identifying_field_in_any_payload(world: World) -> None:
    client = world.app.test_client()
    saved = _post(client, [{"code": "29500", "month": "2025-11", "drug_users": 1}]).get_json()
    read = client.get(READ, auth=("staff86", PASSWORD)).get_json()
    assert set(read) == ROW_KEYS
    assert _walk_keys(saved) == {"saved", *SAVED_KEYS}
    for payload in (saved, read):
        assert "staff86" not in str(payload)  # not even the login of who wrote it
    before = _table(world.engine)
    named = _post(
        client,
        [{"code": "29500", "month": "2025-12", "ho_ten": "Nguyễn Văn A", "cccd": "001099000001"}],
    )
    assert named.status_code == 400
    assert sorted(named.get_json()["details"]) == [
        "row 1, column cccd: is not an indicator column",
        "row 1, column ho_ten: is not an indicator column",
    ]
    assert _table(world.engine) == before
    with world.engine.connect() as conn:
        stored = conn.scalar(
            sa.text("SELECT count(*) FROM audit_log WHERE after::text LIKE '%Văn%'")
        )
    assert stored == 0


# -- the form ------------------------------------------------------------------------------------


def _form(client: FlaskClient, path: str = FORM) -> tuple[str, str]:
    html = client.get(path).get_data(as_text=True)
    version = re.search(r'name="version" value="([^"]*)"', html)
    assert version, html
    return csrf_of(client, path), version.group(1)


def _values(**counts: int | str) -> dict[str, str]:
    return {c: str(counts.get(c, "")) for c in COLUMNS}


def test_form_needs_a_login_and_redirects_to_it(world: World) -> None:
    response = world.app.test_client().get(FORM)
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/indicators/29500/2025-11"


def test_form_round_trip(world: World) -> None:
    client = world.app.test_client()
    assert log_in(client, "officer29500") == 302
    page = client.get(FORM).get_data(as_text=True)
    assert "Người nghiện có hồ sơ quản lý" in page and "Chưa có số liệu" in page
    assert 'inputmode="numeric"' in page and "forms.css" in page
    token, version = _form(client)
    assert version == ""
    data = {
        "csrf_token": token,
        "version": version,
        **_values(addicts_registered=12, households_total=500, households_committed=480),
    }
    saved = client.post(FORM, data=data)
    assert saved.status_code == 302
    assert saved.headers["Location"] == "/indicators/29500/2025-11?saved=1"
    shown = client.get(saved.headers["Location"]).get_data(as_text=True)
    assert "Đã lưu, phiên bản 1" in shown
    assert re.search(r'name="households_committed" value="480"', shown)
    assert re.search(r'name="drug_users" value=""', shown)
    english = client.get(FORM + "?lang=en").get_data(as_text=True)
    assert "Registered addicts" in english and "Version 1" in english
    api = client.get(READ).get_json()
    assert api["households_total"] == 500 and api["version"] == 1


def test_form_errors_show_beside_the_fields_and_change_nothing(world: World) -> None:
    client = world.app.test_client()
    assert log_in(client, "staff86") == 302
    token, version = _form(client)
    before = _table(world.engine)
    data = {
        "csrf_token": token,
        "version": version,
        **_values(households_total=100, households_committed=120, drug_users="-2"),
    }
    response = client.post(FORM, data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "2 lỗi ở các ô tô đỏ bên dưới; chưa lưu gì." in html
    committed = html.split('name="households_committed"')[1].split("</div>")[0]
    assert "120 lớn hơn Tổng số hộ (100)" in committed and 'value="120"' in html
    users = html.split('name="drug_users"')[1].split("</div>")[0]
    assert "-2 là số âm" in users
    assert _table(world.engine) == before
    assert client.post(FORM, data={**data, "csrf_token": "x"}).status_code == 400


def test_form_stale_version_is_409_and_shows_both_figures(world: World) -> None:
    first, second = world.app.test_client(), world.app.test_client()
    assert log_in(first, "staff86") == 302 and log_in(second, "officer29500") == 302
    token1, version1 = _form(first)
    token2, version2 = _form(second)
    ok = first.post(FORM, data={"csrf_token": token1, "version": version1, **_values(drug_users=4)})
    assert ok.status_code == 302
    before = _table(world.engine)
    late = second.post(
        FORM, data={"csrf_token": token2, "version": version2, **_values(drug_users=9)}
    )
    assert late.status_code == 409
    html = late.get_data(as_text=True)
    assert "vừa được người khác lưu (nay là phiên bản 1)" in html
    assert re.search(r'name="drug_users" value="4"', html) and "Bạn đã nhập: 9" in html
    assert _table(world.engine) == before


def test_form_scope_and_roles(world: World) -> None:
    officer = world.app.test_client()
    assert log_in(officer, "officer29500") == 302
    assert officer.get("/indicators/29501/2025-11").status_code == 403
    assert officer.get("/indicators/99999/2025-11").status_code == 404
    assert officer.get("/indicators/29500/2026-1").status_code == 400
    viewer = world.app.test_client()
    assert log_in(viewer, "viewer86") == 302
    page = viewer.get(FORM).get_data(as_text=True)
    assert "Bạn chỉ có quyền xem" in page and "readonly" in page
    assert '<button type="submit">Lưu</button>' not in page
    token = csrf_of(viewer, FORM)
    refused = viewer.post(FORM, data={"csrf_token": token, **_values(drug_users=1)})
    assert refused.status_code == 403
    old = viewer.get("/indicators/28000/2025-03")
    assert old.status_code == 200 and "Xã Cũ" in old.get_data(as_text=True)
    assert _table(world.engine)[0] == []
