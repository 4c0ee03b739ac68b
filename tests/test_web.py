"""The first map pages and /healthz, on the real boundaries in PostGIS."""

from __future__ import annotations

import re

import pytest
from conftest import log_in, make_settings
from flask import Flask
from flask.testing import FlaskClient

from geo_app import create_app
from geo_app.maps.assets import assert_no_external_assets


@pytest.fixture
def client(national_client: FlaskClient) -> FlaskClient:
    """These pages and APIs need a login: the demo admin (national scope) sees everything."""
    return national_client


LOCAL_ASSET = re.compile(r'(?:src|href)="(/static/[^"]+)"')


def test_healthz_reports_postgis_version_to_an_admin(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["database"] == "up"
    assert re.match(r"^3\.\d+", body["postgis"])
    assert body["geos"] and body["proj"] and body["postgres"]
    assert body["demo_data"] is True
    assert body["schema_revision"]


def test_healthz_says_only_ok_to_anyone_else(app: Flask) -> None:
    anonymous = app.test_client().get("/healthz")
    assert anonymous.status_code == 200
    assert anonymous.get_json() == {"status": "ok"}
    assert not re.search(r"\d", anonymous.get_data(as_text=True)), "no version text"
    viewer = log_in(app.test_client(), "xem.vinhlong").get("/healthz")
    assert viewer.get_json() == {"status": "ok"}


def test_healthz_is_503_when_the_database_is_down() -> None:
    app = create_app(
        make_settings(), database_url="postgresql+psycopg2://nobody:x@127.0.0.1:9/none"
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable"}


def _assert_offline(client: FlaskClient, html: str) -> None:
    """No asset from outside the app, and every local asset the page names is served."""
    assert_no_external_assets(html)
    assert not re.search(r'(?:src|href)="https?://', html)
    assets = set(LOCAL_ASSET.findall(html))
    assert assets, "the page should load the app's own JS/CSS"
    for path in assets:
        response = client.get(path)
        response.close()
        assert response.status_code == 200, path


def test_national_map_shows_the_34_provinces(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('class="unit-code"') == 34
    for name in ("Thành phố Hà Nội", "Tỉnh Vĩnh Long", "Tỉnh Lạng Sơn", "Thành phố Huế"):
        assert name in html
    assert 'href="/map/province/86"' in html
    assert "DỮ LIỆU MẪU" in html
    _assert_offline(client, html)


def test_province_page_lists_its_2025_communes(client: FlaskClient) -> None:
    response = client.get("/map/province/86")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('class="unit-code"') == 124
    # Units of the former Trà Vinh province are among them (full-resolution seed area).
    for name in ("Phường Trà Vinh", "Xã Càng Long", "Xã Long Hữu"):
        assert name in html
    # communes drawn by class, as tiles of the "province" set (classification + hotspots),
    # every tile layer drawn within the province alone
    assert "/tiles/province/{z}/{x}/{y}.mvt" in html
    tile_urls = re.findall(r"'(/tiles/[^']+)'", html)
    assert len(tile_urls) >= 4
    within = {re.search(r"[?&]within=(\d+)", url) for url in tile_urls}
    assert None not in within and len({found[1] for found in within if found}) == 1
    _assert_offline(client, html)


def test_province_page_in_english(client: FlaskClient) -> None:
    html = client.get("/map/province/86?lang=en").get_data(as_text=True)
    assert "DEMO DATA" in html
    assert "Communes and wards" in html


def test_unknown_province_is_404(client: FlaskClient) -> None:
    response = client.get("/map/province/99")
    assert response.status_code == 404
    assert "không có tỉnh, thành phố nào mã" in response.get_data(as_text=True)
    english = client.get("/map/province/99?lang=en")
    assert english.status_code == 404
    assert "no province with code" in english.get_data(as_text=True)


def test_commune_page_shows_its_hamlets(client: FlaskClient) -> None:
    response = client.get("/map/commune/29242")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Phường Trà Vinh" in html
    assert html.count('class="unit-code"') >= 2  # synthetic hamlets of the ward
    _assert_offline(client, html)
