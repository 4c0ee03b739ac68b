"""The history of a feature, an indicator row and an evaluation, read from the audit log.

Writes go through the real field API, the indicators API and the campaign services on a copy of
the demo database (``test_field_api``'s fixtures), then are read back from the history API and
page: in order, with the actor, the reason and each field's change in the reader's words, inside
the reader's scope, sensitive values only for those who may see them.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import sqlalchemy as sa
import test_field_api as field_api
from conftest import log_in
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from test_field_api import OFFICER, STAFF, _as, _hotspot, _patch, _point, _post

from geo_app.layers.vocab import label
from geo_app.services.campaigns.override import override_verdict

VIEWER = "xem.vinhlong"
field_db, db, field_app, places = (
    field_api.field_db,
    field_api.db,
    field_api.field_app,
    field_api.places,
)
"""The field API tests' fixtures: a copy of the demo database, its app and places in 29410."""


def _client(field_app: Any) -> FlaskClient:
    return field_app.test_client()


def _page(field_app: Any, path: str, user: str) -> Any:
    """A page as ``user`` sees it (pages take the login form's session, not HTTP Basic)."""
    return log_in(field_app.test_client(), user).get(path)


def _history(client: FlaskClient, layer: str, row_id: int, user: str, **args: str) -> Any:
    return client.get(
        f"/api/layers/{layer}/features/{row_id}/history", query_string=args, auth=_as(user)
    )


def write_hotspot_life(client: FlaskClient, where: dict[str, Any]) -> int:
    """Create, edit, clear, move and delete one hotspot, as the officer and the staff do."""
    made = _post(client, "/api/hotspots", _hotspot(where, notes="Sau chợ cá", case_ref="VV-9"))
    assert made.status_code == 201, made.get_json()
    path = f"/api/hotspots/{made.get_json()['id']}"

    def change(version: int, reason: str | None = None, **extra: Any) -> None:
        body = {"client_id": str(uuid.uuid4()), "reason": reason, **extra}
        done = _patch(client, path, body, version)
        assert done.status_code == 200, done.get_json()

    change(1, properties={"kind": "den", "notes": "Quán nước cạnh chợ"})
    change(2, "Đã triệt phá", properties={"status": "cleared"})
    moved = {
        "type": "Point",
        "coordinates": [where["coordinates"][0] + 0.0005, where["coordinates"][1]],
    }
    change(3, "Đo lại bằng GPS", geometry=moved, properties={"placed_by": "tap"})
    gone = client.delete(
        path,
        json={"client_id": str(uuid.uuid4()), "reason": "Nhập trùng"},
        auth=_as(STAFF),
        headers={"If-Match": '"4"'},
    )
    assert gone.status_code == 200, gone.get_json()
    return int(made.get_json()["id"])


def _change(entry: dict[str, Any], field: str) -> dict[str, Any]:
    return next(c for c in entry["changes"] if c["field"] == field)


def test_a_hotspots_writes_read_back_newest_first_with_actor_reason_and_changes(
    field_app: Any, places: dict[str, Any]
) -> None:
    client = _client(field_app)
    row_id = write_hotspot_life(client, _point(places["A"], 0.020))
    response = _history(client, "hotspots", row_id, STAFF)
    assert response.status_code == 200, response.get_json()
    found = response.get_json()
    entries = found["entries"]
    assert found["numberMatched"] == found["numberReturned"] == 5
    assert found["page"] == f"/history/hotspots/{row_id}"
    assert [e["action"] for e in entries] == [
        "field_delete",
        "field_update",
        "field_update",
        "field_update",
        "field_create",
    ]
    assert [e["action_label"] for e in entries] == [
        "Xóa",
        "Di chuyển vị trí",
        "Đổi tình trạng",
        "Sửa",
        "Tạo mới",
    ]
    assert [e["actor"] for e in entries] == [f"web:{STAFF}"] + [f"web:{OFFICER}"] * 4
    assert [e["reason"] for e in entries] == [
        "Nhập trùng",
        "Đo lại bằng GPS",
        "Đã triệt phá",
        None,
        None,
    ]
    assert [e["id"] for e in entries] == sorted((e["id"] for e in entries), reverse=True)
    deleted, moved, cleared, edited, created = entries
    assert deleted["changes"] == []
    assert _change(moved, "geom")["label"] == "Vị trí"
    assert re.fullmatch(r"\d+\.\d{5}, \d+\.\d{5}", _change(moved, "geom")["after"])
    assert _change(moved, "placed_by")["after"] == label("location_method", "tap", "vi")
    status = _change(cleared, "status")
    assert status["label"] == "Tình trạng"
    assert (status["before"], status["after"]) == ("Đang hoạt động", "Đã triệt xóa")
    assert _change(cleared, "cleared_on")["after"] == "31/12/2025"
    kind = _change(edited, "kind")
    assert (kind["label"], kind["before"], kind["after"]) == (
        "Loại",
        label("hotspot_kind", "retail", "vi"),
        label("hotspot_kind", "den", "vi"),
    )
    notes = _change(edited, "notes")
    assert (notes["before"], notes["after"], notes["hidden"]) == (
        "Sau chợ cá",
        "Quán nước cạnh chợ",
        False,
    )
    assert {"kind", "status", "notes", "case_ref", "geom"} <= {
        c["field"] for c in created["changes"]
    }
    assert "version" not in {c["field"] for e in entries for c in e["changes"]}

    english = _history(client, "hotspots", row_id, OFFICER, lang="en").get_json()["entries"]
    assert english[2]["action_label"] == "Status changed"
    assert _change(english[2], "status")["label"] == "Status"
    assert _change(english[2], "status")["after"] == label("hotspot_status", "cleared", "en")


def test_the_history_page_shows_the_timeline_in_order(
    field_app: Any, places: dict[str, Any]
) -> None:
    client = _client(field_app)
    row_id = write_hotspot_life(client, _point(places["A"], 0.022))
    page = _page(field_app, f"/history/hotspots/{row_id}", OFFICER)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="vi">' in html and "Lịch sử" in html
    assert "5 lần thay đổi đã ghi nhận" in html
    order = ["Nhập trùng", "Đo lại bằng GPS", "Đã triệt phá", "Sau chợ cá", "Quán nước cạnh chợ"]
    at = [html.index(text) for text in order]
    assert at == sorted(at)
    assert html.count("Sau chợ cá") == 2  # before the edit, and when created
    assert html.count('class="history-entry"') == 5
    assert f"web:{STAFF}" in html and f"web:{OFFICER}" in html
    english = _page(field_app, f"/history/hotspots/{row_id}?lang=en", OFFICER)
    assert "5 changes recorded" in english.get_data(as_text=True)
    assert "Status changed" in english.get_data(as_text=True)


def test_a_viewer_reads_that_notes_changed_but_not_what_they_say(
    field_app: Any, places: dict[str, Any]
) -> None:
    client = _client(field_app)
    row_id = write_hotspot_life(client, _point(places["A"], 0.024))
    response = _history(client, "hotspots", row_id, VIEWER)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    for secret in ("Sau chợ cá", "Quán nước cạnh chợ", "VV-9", "Nhập trùng"):
        assert secret not in text  # free text, the reasons too
    assert {entry["reason"] for entry in response.get_json()["entries"]} == {None}
    edited = response.get_json()["entries"][3]
    assert _change(edited, "notes") == {
        "field": "notes",
        "label": "Ghi chú",
        "hidden": True,
        "before": None,
        "after": None,
        "note": "đã thay đổi",
    }
    assert _change(edited, "kind")["hidden"] is False  # the rest is readable
    page = _page(field_app, f"/history/hotspots/{row_id}", VIEWER).get_data(as_text=True)
    assert "Sau chợ cá" not in page and "Quán nước cạnh chợ" not in page
    assert "Nhập trùng" not in page
    assert "đã thay đổi" in page


def _outside_hoa_minh(db: Engine) -> int:
    with db.connect() as conn:
        return int(
            conn.scalar(
                sa.text(
                    "SELECT h.id FROM hotspot h WHERE h.deleted_at IS NULL AND NOT ST_Intersects("
                    "(SELECT geom FROM admin_unit WHERE code = '29410' AND valid_to IS NULL), "
                    "h.geom) ORDER BY h.id LIMIT 1"
                )
            )
        )


def test_a_feature_outside_the_scope_is_a_404_like_an_unknown_one(
    field_app: Any, db: Engine
) -> None:
    client = _client(field_app)
    other = _outside_hoa_minh(db)
    assert _history(client, "hotspots", other, "quantri").status_code == 200
    outside = _history(client, "hotspots", other, OFFICER)
    unknown = _history(client, "hotspots", 987_654_321, OFFICER)
    assert outside.status_code == unknown.status_code == 404
    assert outside.get_json() == {"error": f"không có #{other} trong «hotspots»"}
    assert _page(field_app, f"/history/hotspots/{other}", OFFICER).status_code == 404


def test_bad_requests_are_clear_4xx(field_app: Any, places: dict[str, Any]) -> None:
    client = _client(field_app)
    assert client.get("/api/layers/hotspots/features/1/history").status_code == 401
    provinces = _history(client, "provinces", 1, "quantri")
    assert provinces.status_code == 404
    assert "không có lịch sử" in provinces.get_json()["error"]
    english = _history(client, "provinces", 1, "quantri", lang="en").get_json()
    assert english["error"].startswith("layer «provinces» has no history")
    zero = _history(client, "hotspots", 1, "quantri", limit="0")
    assert zero.status_code == 400 and "limit" in zero.get_json()["error"]
    assert _page(field_app, "/history/nothing/1", "quantri").status_code == 404


def test_history_pages_with_limit_and_offset(field_app: Any, places: dict[str, Any]) -> None:
    client = _client(field_app)
    row_id = write_hotspot_life(client, _point(places["A"], 0.026))
    first = _history(client, "hotspots", row_id, STAFF, limit="2").get_json()
    assert [e["action_label"] for e in first["entries"]] == ["Xóa", "Di chuyển vị trí"]
    assert first["numberMatched"] == 5
    (following,) = [link["href"] for link in first["links"] if link["rel"] == "next"]
    second = client.get(following, auth=_as(STAFF)).get_json()
    assert [e["action_label"] for e in second["entries"]] == ["Đổi tình trạng", "Sửa"]
    assert {link["rel"] for link in second["links"]} == {"next", "prev"}


def test_a_board_check_is_in_the_boards_history(field_app: Any, places: dict[str, Any]) -> None:
    client = _client(field_app)
    board = {
        "type": "Feature",
        "geometry": _point(places["A"], -0.006),
        "properties": {"client_id": str(uuid.uuid4()), "site": "public_place", "phones": ["113"]},
    }
    made = _post(client, "/api/hotline_boards", board)
    assert made.status_code == 201, made.get_json()
    board_id = made.get_json()["id"]
    check = {"client_id": str(uuid.uuid4()), "checked_on": "2025-12-30", "condition": "damaged"}
    assert _post(client, f"/api/hotline_boards/{board_id}/checks", check).status_code == 201
    entries = _history(client, "hotline_boards", board_id, OFFICER).get_json()["entries"]
    assert [e["action"] for e in entries] == ["field_check", "field_create"]
    checked = entries[0]
    assert checked["action_label"] == "Kiểm tra bảng" and checked["actor"] == f"web:{OFFICER}"
    assert checked["table"] == "hotline_board_check"
    assert _change(checked, "status")["label"] == "Tình trạng"
    assert _change(checked, "status")["after"] == label("facility_condition", "damaged", "vi")
    assert _change(checked, "checked_on")["after"] == "30/12/2025"
    assert _change(entries[1], "phones")["after"] == "113"


def test_an_indicator_edit_is_in_the_rows_history(field_app: Any) -> None:
    client = _client(field_app)
    asked = {"unit": "29410", "month": "2025-10"}
    row = client.get("/api/indicators", query_string=asked, auth=_as(OFFICER)).get_json()
    before = row["drug_users"]
    saved = client.post(
        "/api/indicators",
        json=[{"code": "29410", "month": "2025-10", "version": row["version"], "drug_users": 41}],
        auth=_as(OFFICER),
    )
    assert saved.status_code == 200, saved.get_json()
    response = client.get("/api/indicators/history", query_string=asked, auth=_as(OFFICER))
    assert response.status_code == 200, response.get_json()
    newest = response.get_json()["entries"][0]
    assert newest["action"] == "update" and newest["action_label"] == "Sửa"
    assert newest["actor"] == f"web:{OFFICER}" and newest["reason"] == "monthly indicators (api)"
    users = _change(newest, "drug_users")
    assert (users["before"], users["after"]) == (None if before is None else str(before), "41")
    assert [c["field"] for c in newest["changes"]] == ["drug_users"]
    row_page = response.get_json()["page"]
    assert _page(field_app, row_page, OFFICER).status_code == 200
    missing = {"unit": "29410", "month": "2019-01"}
    gone = client.get("/api/indicators/history", query_string=missing, auth=_as(OFFICER))
    assert gone.status_code == 404
    elsewhere = client.get("/api/indicators/history", query_string=asked, auth=_as("vinhlong"))
    assert elsewhere.status_code == 200  # the province's commander sees the commune's rows


def test_an_overridden_evaluation_has_its_history(field_app: Any, db: Engine) -> None:
    with Session(db) as session, session.begin():
        campaign_id, evaluation_id = session.execute(
            sa.text("SELECT campaign_id, id FROM evaluation ORDER BY id LIMIT 1")
        ).one()
        override_verdict(
            session, evaluation_id, verdict="recognised", reason="Hội đồng xét lại", actor="test"
        )
    client = _client(field_app)
    path = f"/api/campaigns/{campaign_id}/evaluations/{evaluation_id}/history"
    entries = client.get(path, auth=_as("quantri")).get_json()["entries"]
    assert entries[0]["action"] == "override_verdict"
    assert entries[0]["reason"] == "Hội đồng xét lại" and entries[0]["actor"] == "test"
    assert _change(entries[0], "override_verdict")["after"] == "Đủ điều kiện công nhận"
    assert entries[-1]["action"] == "evaluate"
    wrong = f"/api/campaigns/{campaign_id + 1000}/evaluations/{evaluation_id}/history"
    assert client.get(wrong, auth=_as("quantri")).status_code == 404


def test_the_commune_map_popups_link_to_the_history(field_app: Any) -> None:
    page = _page(field_app, "/map/commune/29410", OFFICER).get_data(as_text=True)
    # the popups' HTML is embedded in the map's JSON, its quotes and "<" escaped
    link = r'\\u003ca class=\\"history-link\\" href=\\"/history/hotspots/\d+\\"\\u003eL\\u1ecbch'
    assert re.search(link, page)
