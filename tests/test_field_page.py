"""The field page's views: who may open it, what it carries for its script, its worker and
the token the offline queue reads before sending."""

from __future__ import annotations

import json
import re

from conftest import log_in
from flask import Flask, render_template
from sqlalchemy.orm import Session
from test_coverage import HAMLET, HOA_MINH, _damage_the_board
from test_pages import unit_id

from geo_app import clock
from geo_app.i18n import translator
from geo_app.pages.common import Viewer
from geo_app.pages.field import (
    FIELD_ZOOMS,
    MAX_OFFLINE_TILES,
    TILE_CACHE,
    FieldPage,
    field_page,
    script_config,
)

OFFICER = "canbo.hoaminh"


def _config(html: str) -> dict[str, object]:
    found = re.search(
        r'<script type="application/json" id="field-config">(.*?)</script>', html, re.S
    )
    assert found, "no config in the page"
    return json.loads(found[1])


def test_the_officer_gets_the_page_in_vietnamese_with_the_area_and_the_form(app: Flask) -> None:
    response = log_in(app.test_client(), OFFICER).get("/field/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for words in (
        "Vị trí của tôi",
        "Tải bản đồ khu vực",
        "Gửi ngay",
        "Đã gửi hôm nay",
        "Đánh dấu theo GPS",
        "Chọn trên bản đồ",
        "Không ghi họ tên",
    ):
        assert words in html, words
    config = _config(html)
    area = config["area"]
    assert isinstance(area, dict) and area["code"] == "29410"
    south, west, north, east = area["bounds"]
    assert 8 < south < north < 24 and 102 < west < east < 110
    assert area["outline"]["type"] in {"Polygon", "MultiPolygon"}
    assert config["transitions"]["cleared"] == ["relapsed"]  # type: ignore[index]
    kinds = config["vocabularies"]["hotspot_kind"]  # type: ignore[index]
    assert {"code": "den", "label": "Tụ điểm"} in kinds
    tiles = config["tiles"]
    assert tiles["zooms"] == list(FIELD_ZOOMS) and tiles["maxTiles"] == MAX_OFFLINE_TILES  # type: ignore[index]
    assert [g["url"].split("?")[0] for g in config["grids"]] == [
        "/tiles/country/{z}/{x}/{y}.mvt"
    ] * 2  # type: ignore[index,union-attr]
    assert config["urls"]["login"] == "/login?next=%2Ffield%2F"  # type: ignore[index]


def test_the_page_speaks_english_when_asked(app: Flask) -> None:
    html = log_in(app.test_client(), OFFICER).get("/field/?lang=en").get_data(as_text=True)
    assert "My location" in html and "Download the area map" in html
    assert _config(html)["labels"]["pending"] == "Waiting to send"  # type: ignore[index]


def test_a_viewer_or_commander_gets_a_403_page_saying_why(app: Flask) -> None:
    for login in ("xem.vinhlong", "vinhlong"):
        response = log_in(app.test_client(), login).get("/field/")
        assert response.status_code == 403, login
        assert "dành cho cán bộ địa bàn" in response.get_data(as_text=True)


def test_without_a_login_the_page_sends_to_the_login_form_and_the_token_is_401(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/field/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    token = client.get("/field/token")
    assert token.status_code == 401 and token.is_json


def test_the_token_is_the_sessions_csrf_token_and_never_stored(app: Flask) -> None:
    client = log_in(app.test_client(), OFFICER)
    response = client.get("/field/token")
    assert response.status_code == 200
    assert response.json is not None and response.json["login"] == OFFICER
    assert len(response.json["csrf"]) > 20
    assert "no-store" in response.headers["Cache-Control"]


def test_the_worker_is_served_uncached_and_names_files_that_exist(app: Flask) -> None:
    client = app.test_client()  # no login: the worker names only static files
    response = client.get("/field/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    text = response.get_data(as_text=True)
    head = json.loads(text.split("\n", 1)[0].removeprefix("self.FIELD = ").rstrip(";"))
    assert re.fullmatch(r"[0-9a-f]{12}", head["version"])
    assert head["page"] == "/field/" and head["tileCache"] == TILE_CACHE
    assert "/static/vendor/idb/idb.umd.js" in head["assets"]
    for asset in head["assets"]:
        found = client.get(asset)
        found.close()
        assert found.status_code == 200, asset
    assert 'addEventListener("fetch"' in text


def test_a_scripts_401_has_no_basic_challenge_that_would_open_the_password_dialog(
    app: Flask,
) -> None:
    client = app.test_client()
    plain = client.get("/api/field/today")
    assert plain.status_code == 401 and plain.headers["WWW-Authenticate"].startswith("Basic")
    script = client.get("/api/field/today", headers={"X-Requested-With": "XMLHttpRequest"})
    assert script.status_code == 401 and "WWW-Authenticate" not in script.headers


def test_the_officer_sees_the_hamlets_lacking_a_board_or_a_box(
    app: Flask, demo_session: Session
) -> None:
    """Coverage made visible: the commune page's rule, listed and outlined on the field page."""
    html = log_in(app.test_client(), OFFICER).get("/field/").get_data(as_text=True)
    assert 'id="field-gaps"' in html  # every demo hamlet of 29410 is covered: the section says so
    assert _config(html)["gaps"]["collection"]["features"] == []  # type: ignore[index]
    commune = unit_id(demo_session, HOA_MINH)
    _damage_the_board(demo_session)  # rolled back after the test
    viewer = Viewer("vi", commune, clock.today(), translator("vi"))
    page = field_page(demo_session, viewer)
    assert page.coverage is not None
    [item] = page.coverage.items
    assert item.code == HAMLET and "bảng tin" in item.lacks_label
    gaps = script_config(page)["gaps"]
    assert [f["properties"]["code"] for f in gaps["collection"]["features"]] == [HAMLET]
    assert gaps["style"]["dashArray"]
    rendered = render_template_string_for(app, page)
    assert item.name in rendered and item.lacks_label in rendered


def render_template_string_for(app: Flask, page: FieldPage) -> str:
    """The page's template around ``page`` (as the view renders it), in a request of the app."""
    with app.test_request_context("/field/"):
        return render_template(
            "field.html", page=page, title="", lang="vi", config=script_config(page), crumbs=[]
        )


def test_a_province_login_gets_no_coverage_list(app: Flask) -> None:
    """A province's hamlets would be thousands: the list is a commune officer's."""
    html = log_in(app.test_client(), "quantri").get("/field/").get_data(as_text=True)
    assert 'id="field-gaps"' not in html and _config(html)["gaps"] is None
