"""gzip of pages, JSON and static files when asked for, and never of tiles (already gzip)."""

from __future__ import annotations

import gzip

from flask.testing import FlaskClient

GZIP = {"Accept-Encoding": "gzip, deflate"}
PLAIN = {"Accept-Encoding": "identity"}


def test_a_page_is_gzipped_when_asked_and_plain_otherwise(national_client: FlaskClient) -> None:
    plain = national_client.get("/map/province/86", headers=PLAIN)
    packed = national_client.get("/map/province/86", headers=GZIP)
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert all("Accept-Encoding" in r.headers["Vary"] for r in (plain, packed))
    assert int(packed.headers["Content-Length"]) == len(packed.data)
    assert len(packed.data) * 3 < len(plain.data)
    page = gzip.decompress(packed.data).decode()
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")


def test_json_is_gzipped(national_client: FlaskClient) -> None:
    response = national_client.get("/api/layers", headers=GZIP)
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert b'"layers"' in gzip.decompress(response.data)


def test_static_files_are_gzipped_once_and_revalidate(client: FlaskClient) -> None:
    path = "/static/vendor/leaflet/leaflet.js"
    plain = client.get(path, headers=PLAIN)
    first = client.get(path, headers=GZIP)
    second = client.get(path, headers=GZIP)
    assert "Content-Encoding" not in plain.headers
    assert first.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(first.data) == plain.data
    assert first.data == second.data
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    again = client.get(path, headers={**GZIP, "If-None-Match": etag})
    assert again.status_code == 304
    for response in (plain, first, second, again):
        response.close()  # the files they were sent from


def test_tiles_are_not_compressed_twice(national_client: FlaskClient) -> None:
    response = national_client.get("/tiles/country/6/50/28.mvt", headers=GZIP)
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    body = gzip.decompress(response.data)
    assert body[:2] != b"\x1f\x8b"  # one gzip layer: the MVT itself underneath
    assert body


def test_small_answers_stay_plain(client: FlaskClient) -> None:
    response = client.get("/healthz", headers=GZIP)
    assert "Content-Encoding" not in response.headers
