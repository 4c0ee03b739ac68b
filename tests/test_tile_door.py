"""The tiles' fast door (``web/tile_door.py``): a logged-in browser's tile is answered there,
byte for byte and header for header as the Flask view answers it; every other request passes
to Flask and gets the answer it always got."""

from __future__ import annotations

import gzip
from typing import Any

import pytest
from conftest import NATIONAL_LOGIN, log_in
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import Client, TestResponse

from geo_app.web.tile_door import TileDoor

TILE = "/tiles/country/9/407/241.mvt"  # Trà Vinh at zoom 9: areas and hotspot counts
COMMUNE_TILE = "/tiles/classification/12/3257/1934.mvt"


@pytest.fixture
def door(app: Flask) -> TileDoor:
    found = app.wsgi_app
    assert isinstance(found, TileDoor)
    return found


Cookie = tuple[str, str]


@pytest.fixture
def cookie(app: Flask) -> Cookie:
    """The session cookie of a national admin logged in through the form."""
    client: FlaskClient = log_in(app.test_client(), NATIONAL_LOGIN)
    found = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert found is not None
    return found.key, found.value


def _with(app: Any, cookie: Cookie | None) -> Client:
    """A client of ``app`` carrying ``cookie`` (werkzeug's client keeps its own cookie jar)."""
    client = Client(app)
    if cookie is not None:
        client.set_cookie(*cookie)
    return client


def _both(
    door: TileDoor, path: str, cookie: Cookie, **headers: str
) -> tuple[TestResponse, TestResponse]:
    """The same request through the door and straight to Flask; the door must have served
    the first itself."""
    served = door.served
    fast = _with(door, cookie).get(path, headers=headers)
    assert door.served == served + 1, "the door passed a plain tile request on to Flask"
    slow = _with(door.inner, cookie).get(path, headers=headers)
    return fast, slow


def _same(fast: TestResponse, slow: TestResponse) -> None:
    assert fast.status_code == slow.status_code
    assert fast.get_data() == slow.get_data()
    assert dict(fast.headers) == dict(slow.headers)


@pytest.mark.parametrize(
    "path",
    [
        TILE,
        COMMUNE_TILE,
        TILE + "?month=2025-11",
        TILE + "?v=0",
        "/tiles/hotspots/14/13031/7737.mvt",
    ],
)
def test_a_plain_tile_is_answered_as_the_view_answers_it(
    door: TileDoor, cookie: Cookie, path: str
) -> None:
    fast, slow = _both(door, path, cookie, **{"Accept-Encoding": "gzip"})
    _same(fast, slow)
    assert fast.status_code == 200
    assert fast.headers["Content-Encoding"] == "gzip"
    assert fast.headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert fast.headers["X-Content-Type-Options"] == "nosniff"
    assert fast.headers["Cache-Control"] in ("private, no-cache", "private, max-age=3600")
    assert gzip.decompress(fast.get_data())  # a real tile, not an empty answer


def test_revalidation_and_plain_bodies_are_answered_alike(door: TileDoor, cookie: Cookie) -> None:
    first, _ = _both(door, TILE, cookie)
    assert "Content-Encoding" not in first.headers  # no gzip asked: the MVT as it is
    etag = first.headers["ETag"]
    fast, slow = _both(door, TILE, cookie, **{"If-None-Match": etag})
    _same(fast, slow)
    assert fast.status_code == 304 and fast.get_data() == b""


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        (TILE + "?month=2024-13", 400, "2024-13"),
        ("/tiles/nothing/9/407/241.mvt", 404, "nothing"),
        ("/tiles/country/9/999/241.mvt", 400, "does not exist"),
        (TILE + "?month=2024-06%00", 400, "NUL"),
    ],
)
def test_a_bad_request_is_passed_to_flask_and_answered_with_its_message(
    door: TileDoor, cookie: Cookie, path: str, status: int, words: str
) -> None:
    served = door.served
    response = _with(door, cookie).get(path, headers={"Accept-Language": "en"})
    assert door.served == served
    assert response.status_code == status
    assert words in response.get_data(as_text=True)


def test_without_a_live_session_flask_answers(door: TileDoor, app: Flask) -> None:
    served = door.served
    assert Client(door).get(TILE).status_code == 401  # no cookie
    assert _with(door, ("session", "forged")).get(TILE).status_code == 401
    basic = Client(door).get(TILE, auth=(NATIONAL_LOGIN, "wrong password"))
    assert basic.status_code == 401
    assert door.served == served
    logged_in = log_in(app.test_client(), NATIONAL_LOGIN)
    kept = logged_in.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert kept is not None
    token = logged_in.get("/field/token").get_json()["csrf"]
    assert logged_in.post("/logout", data={"csrf_token": token}).status_code == 302
    after = _with(door, (kept.key, kept.value)).get(TILE)
    assert after.status_code == 401  # a cookie kept from before the logout opens nothing
    assert door.served == served
