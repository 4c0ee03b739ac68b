"""Security and cache headers (``geo_app/web/headers.py``), as ``curl -sD-`` would see them."""

from __future__ import annotations

import re

import pytest
from conftest import make_settings
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from geo_app import create_app
from geo_app.config import Settings, cookie_secure
from geo_app.web.headers import basemap_source

FIXED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
PAGES_AND_JSON = [
    "/",
    "/map/province/86",
    "/map/commune/29242?lang=en",
    "/api/layers",
    "/api/layers/hotspots/features?area=86&limit=5",
    "/api/summary?area=86",
    "/api/campaigns/1/progress",
    "/indicators/29410/2025-10",
    "/map/province/99",  # an error page is per user too
]
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)


def directives(response: TestResponse) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    parts = (part.strip().split(" ", 1) for part in header.split(";"))
    return {name: (rest[0] if rest else "") for name, *rest in parts}


def assert_security_headers(response: TestResponse) -> dict[str, str]:
    headers = response.headers
    for name, value in FIXED.items():
        assert headers[name] == value, name
    csp = directives(response)
    assert csp["default-src"] == "'self'"
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]
    assert csp["script-src"].startswith("'self'")
    assert csp["frame-ancestors"] == "'none'"
    assert csp["base-uri"] == "'self'" and csp["form-action"] == "'self'"
    assert csp["img-src"] == "'self' data: blob:"
    assert "Strict-Transport-Security" not in headers  # the tests' app is not Secure
    return csp


@pytest.mark.parametrize("path", PAGES_AND_JSON)
def test_pages_and_json_have_the_headers_and_are_not_stored(
    national_client: FlaskClient, path: str
) -> None:
    response = national_client.get(path)
    assert response.status_code in {200, 302, 404}, path
    assert_security_headers(response)
    assert response.headers["Cache-Control"] == "private, no-store"


def test_the_login_page_has_the_headers(app: Flask) -> None:
    response = app.test_client().get("/login")
    assert response.status_code == 200
    assert_security_headers(response)
    assert response.headers["Cache-Control"] == "private, no-store"


def test_tiles_keep_their_private_caching(national_client: FlaskClient) -> None:
    response = national_client.get("/tiles/admin/5/25/15.mvt")
    assert response.status_code == 200
    assert_security_headers(response)
    assert response.headers["Cache-Control"].startswith("private, ")
    assert "no-store" not in response.headers["Cache-Control"]
    assert response.headers["ETag"]
    bad = national_client.get("/tiles/admin/z/25/15.mvt")
    assert bad.status_code == 400 and bad.headers["Cache-Control"] == "private, no-store"


def test_static_files_keep_their_caching(app: Flask) -> None:
    response = app.test_client().get("/static/app.css")
    assert response.status_code == 200
    assert_security_headers(response)
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert response.headers["ETag"] or response.headers["Last-Modified"]
    response.close()


def test_every_inline_script_carries_this_responses_nonce(national_client: FlaskClient) -> None:
    nonces = []
    for path in ["/map/province/86", "/map/province/86", "/map/commune/29242", "/"]:
        response = national_client.get(path)
        assert response.status_code == 200
        script_src = directives(response)["script-src"]
        nonce = re.fullmatch(r"'self' 'nonce-([A-Za-z0-9_-]{20,})'", script_src)
        assert nonce, script_src
        html = response.get_data(as_text=True)
        tags = SCRIPT_TAG.findall(html)
        inline = [t for t in tags if "src=" not in t and "application/json" not in t]
        assert inline, path
        assert all(f'nonce="{nonce[1]}"' in t for t in inline), inline
        # No inline event handler nor javascript: URL, which the policy would block.
        assert not re.search(r"\son[a-z]+\s*=", html), path
        assert "javascript:" not in html
        nonces.append(nonce[1])
    assert len(set(nonces)) == len(nonces), "a new nonce for every response"


def test_json_has_no_nonce(national_client: FlaskClient) -> None:
    response = national_client.get("/api/layers")
    assert directives(response)["script-src"] == "'self'"


def test_a_basemap_host_may_send_images(demo_db: str) -> None:
    settings = make_settings(GEO_APP_BASEMAP="https://{s}.tiles.example.vn/{z}/{x}/{y}.png")
    response = create_app(settings, database_url=demo_db).test_client().get("/login")
    assert directives(response)["img-src"] == "'self' data: blob: https://*.tiles.example.vn"
    assert basemap_source("none") is None
    assert basemap_source("/basemap/{z}/{x}/{y}.png") is None
    assert (basemap_source("osm") or "").startswith("https://")


def test_a_secure_cookie_comes_with_hsts(demo_db: str) -> None:
    app = create_app(make_settings(GEO_APP_COOKIE_SECURE="on"), database_url=demo_db)
    response = app.test_client().get("/login")  # the login form sets the CSRF cookie
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_the_cookie_is_secure_unless_served_on_loopback() -> None:
    assert cookie_secure(None, "0.0.0.0") is True
    assert cookie_secure(None, "10.1.2.3") is True
    assert cookie_secure(None, "127.0.0.1") is False
    assert cookie_secure(None, "::1") is False
    assert cookie_secure(None, "localhost") is False
    assert cookie_secure(True, "127.0.0.1") is True
    assert cookie_secure(False, "0.0.0.0") is False
    assert Settings.from_env({"GEO_APP_COOKIE_SECURE": "off"}).cookie_secure is False
    assert Settings.from_env({"GEO_APP_COOKIE_SECURE": "1"}).cookie_secure is True
    assert Settings.from_env({}).cookie_secure is None
    with pytest.raises(ValueError, match="GEO_APP_COOKIE_SECURE"):
        Settings.from_env({"GEO_APP_COOKIE_SECURE": "maybe"})
