"""The OGC API – Features at /ogc: document shapes, paging, filters, scope, formats, errors.

Counts are checked against the layers API (``/api/layers/<layer>/features``) for the same user:
both go through the feature service, so they must agree.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import log_in
from flask import Flask
from flask.testing import FlaskClient

from geo_app.layers import REGISTRY
from geo_app.pages.ogc import CONFORMANCE, CRS84, MAX_LIMIT

OFFICER = "canbo.hoaminh"  # commune 29410
VIEWER = "xem.vinhlong"  # viewer, province 86
CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"


@pytest.fixture
def officer(app: Flask) -> FlaskClient:
    return log_in(app.test_client(), OFFICER)


def _json(client: FlaskClient, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_json()


def _path(href: str) -> str:
    """A link's path and query, for the test client."""
    parts = urlsplit(href)
    return f"{parts.path}?{parts.query}"


def _rels(document: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {link["rel"]: link for link in document["links"]}


def test_the_conformance_classes_are_part_one_core_geojson_html_and_oas30(
    national_client: FlaskClient,
) -> None:
    found = _json(national_client, "/ogc/conformance")["conformsTo"]
    for name in ("core", "geojson", "html", "oas30"):
        assert CORE + name in found
    assert found == list(CONFORMANCE)


def test_the_landing_page_links_every_part(national_client: FlaskClient) -> None:
    for path in ("/ogc", "/ogc/"):
        response = national_client.get(path)
        assert response.status_code == 200 and response.mimetype == "application/json"
    links = _rels(national_client.get("/ogc").get_json())
    assert {"self", "alternate", "service-desc", "service-doc", "conformance", "data"} <= set(links)
    assert links["service-desc"]["href"].endswith("/api/openapi.json")
    assert links["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    assert links["service-doc"]["href"].endswith("/api/docs")
    assert links["alternate"]["type"] == "text/html" and "f=html" in links["alternate"]["href"]
    assert _path(links["data"]["href"]).startswith("/ogc/collections?")


def test_every_registered_layer_is_a_collection_with_extent_and_crs(
    national_client: FlaskClient,
) -> None:
    found = _json(national_client, "/ogc/collections")["collections"]
    assert [c["id"] for c in found] == list(REGISTRY)
    for collection in found:
        assert collection["itemType"] == "feature" and collection["crs"] == [CRS84]
        assert collection["title"] == REGISTRY[collection["id"]].title_vi
        west, south, east, north = collection["extent"]["spatial"]["bbox"][0]
        assert 100 < west <= east < 120 and 5 < south <= north < 25, collection["id"]
        rels = {link["rel"] for link in collection["links"]}
        assert {"self", "alternate", "items"} <= rels
        dated = "date" in REGISTRY[collection["id"]].filters
        assert ("temporal" in collection["extent"]) == dated, collection["id"]
    hotspots = _json(national_client, "/ogc/collections/hotspots")
    start, end = hotspots["extent"]["temporal"]["interval"][0]
    assert start.endswith("T00:00:00Z") and end is None


def test_a_collection_speaks_the_asked_language_and_its_extent_is_the_scope(
    national_client: FlaskClient, officer: FlaskClient
) -> None:
    english = _json(national_client, "/ogc/collections/hotspots?lang=en")
    assert english["title"] == "Drug hotspots" and "inside your scope" in english["description"]
    assert "lang=en" in _rels(english)["self"]["href"]
    national = _json(national_client, "/ogc/collections/hotspots")["extent"]["spatial"]["bbox"][0]
    scoped = _json(officer, "/ogc/collections/hotspots")["extent"]["spatial"]["bbox"][0]
    assert national[2] - national[0] > 1 and scoped[2] - scoped[0] < 0.1


@pytest.mark.parametrize("login", ["quantri", OFFICER, VIEWER])
def test_items_count_as_the_layers_api_does_for_the_same_user(app: Flask, login: str) -> None:
    client = log_in(app.test_client(), login)
    for name, spec in REGISTRY.items():
        bbox = "" if spec.geometry_type == "Point" else "bbox=105.5,9.5,107.5,10.5"
        ogc = _json(client, f"/ogc/collections/{name}/items?{bbox}")
        api = _json(client, f"/api/layers/{name}/features?{bbox}")
        assert ogc["numberMatched"] == api["numberMatched"], (login, name)
        assert ogc["numberReturned"] == min(ogc["numberMatched"], 100), (login, name)
        keys = [sorted(f["properties"]) for f in ogc["features"][:1]]
        assert keys == [sorted(f["properties"]) for f in api["features"][:1]], (login, name)


def test_an_officer_reads_only_the_hotspots_of_their_commune(officer: FlaskClient) -> None:
    found = _json(officer, "/ogc/collections/hotspots/items?limit=1000")
    assert found["numberMatched"] == found["numberReturned"] > 0
    assert {f["properties"]["unit_code"][:5] for f in found["features"]} == {"29410"}
    outside = _json(officer, "/ogc/collections/hotspots/items/1", status=404)
    assert "hotspots" in outside["error"]


def test_a_viewer_does_not_get_the_sensitive_fields(app: Flask) -> None:
    viewer = log_in(app.test_client(), VIEWER)
    commander = log_in(app.test_client(), "vinhlong")
    seen = _json(viewer, "/ogc/collections/hotspots/items?limit=1")["features"][0]["properties"]
    full = _json(commander, "/ogc/collections/hotspots/items?limit=1")["features"][0]["properties"]
    assert "case_ref" in full and "notes" in full
    assert "case_ref" not in seen and "notes" not in seen


def test_paging_follows_next_and_prev_links_through_every_item(
    national_client: FlaskClient,
) -> None:
    page = _json(national_client, "/ogc/collections/hotspots/items?limit=60")
    assert "prev" not in _rels(page)
    seen: list[int] = []
    while True:
        assert page["numberReturned"] == len(page["features"]) <= 60
        seen += [f["id"] for f in page["features"]]
        links = _rels(page)
        if "next" not in links:
            break
        assert "limit=60" in links["next"]["href"]
        page = _json(national_client, _path(links["next"]["href"]))
        assert _path(_rels(page)["prev"]["href"]).startswith("/ogc/collections/hotspots/items?")
    assert len(seen) == len(set(seen)) == page["numberMatched"] > 60
    assert [f["id"] == f["properties"]["id"] for f in page["features"]] == [True] * len(
        page["features"]
    )


def test_limit_defaults_to_100_and_is_cut_to_10000(national_client: FlaskClient) -> None:
    page = _json(national_client, "/ogc/collections/tipoff_boxes/items")
    assert page["numberReturned"] == 100 < page["numberMatched"]
    big = _json(national_client, "/ogc/collections/tipoff_boxes/items?limit=20000")
    assert f"limit={MAX_LIMIT}" in _rels(big)["self"]["href"]
    assert big["numberReturned"] == big["numberMatched"]
    for bad in ("limit=0", "limit=abc", "offset=-1"):
        _json(national_client, f"/ogc/collections/tipoff_boxes/items?{bad}", status=400)


def test_bbox_and_status_filter_as_the_layers_api_does(national_client: FlaskClient) -> None:
    for query in ("bbox=106.3,9.8,106.6,10.1", "status=cleared", "status=active,relapsed"):
        ogc = _json(national_client, f"/ogc/collections/hotspots/items?limit=1000&{query}")
        api = _json(national_client, f"/api/layers/hotspots/features?{query}")
        assert 0 < ogc["numberMatched"] == api["numberMatched"] < 248, query
    cleared = _json(national_client, "/ogc/collections/hotspots/items?status=cleared")
    assert {f["properties"]["status"] for f in cleared["features"]} == {"cleared"}
    wrong = _json(national_client, "/ogc/collections/hotspots/items?status=bogus", status=400)
    assert "bogus" in wrong["error"]
    _json(national_client, "/ogc/collections/hotspots/items?bbox=1,2,3", status=400)


def test_a_campaign_layer_filters_by_campaign_id(
    national_client: FlaskClient, tra_vinh: int
) -> None:
    found = _json(
        national_client, f"/ogc/collections/campaign_progress/items?campaign_id={tra_vinh}"
    )
    assert found["numberMatched"] == 21
    assert {f["properties"]["campaign_id"] for f in found["features"]} == {tra_vinh}
    _json(national_client, "/ogc/collections/campaign_progress/items?campaign_id=999999", 404)


def test_datetime_reads_the_layer_as_of_a_day_or_the_end_of_an_interval(
    national_client: FlaskClient,
) -> None:
    items = "/ogc/collections/hotspots/items?limit=1000"
    everything = _json(national_client, items)["numberMatched"]
    then = _json(national_client, f"{items}&datetime=2024-06-30")
    assert 0 < then["numberMatched"] < everything
    assert max(f["properties"]["detected_on"] for f in then["features"]) <= "2024-06-30"
    for same in ("2023-01-01/2024-06-30", "../2024-06-30", "2024-06-30T10:00:00Z"):
        found = _json(national_client, f"{items}&datetime={same}")["numberMatched"]
        assert found == then["numberMatched"], same
    assert _json(national_client, f"{items}&datetime=2024-01-01/..")["numberMatched"] == everything
    for bad in ("2025-13-01", "2025-06-30/2025-01-01", "yesterday"):
        error = _json(national_client, f"{items}&datetime={bad}", status=400)["error"]
        assert "datetime" in error, bad
    undated = _json(national_client, "/ogc/collections/routes/items?datetime=2024-06-30", 400)
    assert "routes" in undated["error"]


def test_unknown_parameters_formats_and_layers_are_clear_errors(
    national_client: FlaskClient,
) -> None:
    unknown = _json(national_client, "/ogc/collections/provinces/items?status=active", 400)
    assert "status" in unknown["error"] and "tham số" in unknown["error"]
    english = _json(national_client, "/ogc/collections?foo=1&lang=en", 400)
    assert english["error"].startswith("Unknown parameter foo")
    wrong = _json(national_client, "/ogc/collections?f=xml", 400)
    assert "f=json" in wrong["error"] and "định dạng" in wrong["error"]
    missing = _json(national_client, "/ogc/collections/nope/items", 404)
    assert "nope" in missing["error"]


def test_formats_by_f_and_by_the_accept_header(national_client: FlaskClient) -> None:
    items = "/ogc/collections/hotspots/items?limit=5"
    assert national_client.get(items).mimetype == "application/geo+json"
    geojson = national_client.get(items, headers={"Accept": "application/geo+json"})
    assert geojson.mimetype == "application/geo+json"
    browser = national_client.get(items, headers={"Accept": "text/html,*/*;q=0.8"})
    assert browser.mimetype == "text/html"
    page = browser.get_data(as_text=True)
    assert 'id="ogc-map"' in page and "/ogc/collections/hotspots/items/" in page
    forced = national_client.get(items + "&f=json", headers={"Accept": "text/html"})
    assert forced.mimetype == "application/geo+json"
    for path in ("/ogc", "/ogc/conformance", "/ogc/collections", "/ogc/collections/hotspots"):
        html = national_client.get(path + "?f=html")
        assert html.status_code == 200 and html.mimetype == "text/html", path
        assert '<html lang="vi">' in html.get_data(as_text=True)
    error_page = national_client.get("/ogc/collections/nope?f=html")
    assert error_page.status_code == 404 and error_page.mimetype == "text/html"


def test_one_item_with_its_links_and_its_page(national_client: FlaskClient) -> None:
    found = _json(national_client, "/ogc/collections/communes/items/29410")
    assert found["type"] == "Feature" and found["id"] == "29410"
    assert found["geometry"]["type"] == "MultiPolygon"
    assert _path(_rels(found)["collection"]["href"]).startswith("/ogc/collections/communes?")
    page = national_client.get("/ogc/collections/communes/items/29410?f=html&lang=en")
    assert page.status_code == 200 and "29410" in page.get_data(as_text=True)


def test_queryables_are_the_property_filters_as_json_schema(national_client: FlaskClient) -> None:
    hotspots = national_client.get("/ogc/collections/hotspots/queryables")
    assert hotspots.mimetype == "application/schema+json"
    schema = hotspots.get_json()
    assert schema["type"] == "object" and schema["$schema"].startswith("https://json-schema.org")
    assert schema["properties"]["status"]["enum"] == [
        "active",
        "under_attack",
        "cleared",
        "relapsed",
    ]
    campaigns = _json(national_client, "/ogc/collections/campaign_progress/queryables")
    assert campaigns["properties"]["campaign_id"]["type"] == "integer"
    assert _json(national_client, "/ogc/collections/provinces/queryables")["properties"] == {}


def test_anonymous_clients_are_challenged_and_browsers_sent_to_the_login(app: Flask) -> None:
    client = app.test_client()
    machine = client.get("/ogc/collections")
    assert machine.status_code == 401
    assert machine.headers["WWW-Authenticate"].startswith("Basic")
    browser = client.get("/ogc/collections", headers={"Accept": "text/html"})
    assert browser.status_code == 302 and "/login" in browser.headers["Location"]
    login = base64.b64encode(b"quantri:demo-khongmatuy").decode()
    basic = client.get("/ogc/collections/hotspots", headers={"Authorization": f"Basic {login}"})
    assert basic.status_code == 200 and basic.get_json()["id"] == "hotspots"
