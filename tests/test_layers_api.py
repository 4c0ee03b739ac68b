"""GET /api/layers (the registry) and GET /api/layers/<name>/features (GeoJSON for small areas)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from geo_app.layers import REGISTRY
from geo_app.services import layer_api


@pytest.fixture
def client(national_client: FlaskClient) -> FlaskClient:
    """These pages and APIs need a login: the demo admin (national scope) sees everything."""
    return national_client


TRA_VINH_BBOX = "106.30,9.88,106.40,9.98"


def test_the_registry_lists_every_layer_with_its_tiles(client: FlaskClient) -> None:
    response = client.get("/api/layers")
    assert response.status_code == 200
    body = response.get_json()
    layers = {layer["name"]: layer for layer in body["layers"]}
    assert set(layers) == set(REGISTRY)
    communes = layers["communes"]
    assert communes["title"] == {"vi": "Xã, phường, đặc khu", "en": "Communes and wards"}
    assert communes["geometry_type"] == "MultiPolygon"
    assert "bbox" in communes["filters"]
    code = next(f for f in communes["fields"] if f["name"] == "code")
    assert code["label"] == {"vi": "Mã", "en": "Code"} and code["popup"] and code["exported"]
    assert communes["id_field"] == "code"
    hotspot_fields = {f["name"]: f for f in layers["hotspots"]["fields"]}
    assert hotspot_fields["status"]["vocabulary"] == "hotspot_status"
    assert hotspot_fields["status"]["type"] == "str"
    assert hotspot_fields["notes"]["sensitive"] and not hotspot_fields["kind"]["sensitive"]
    assert communes["tiles"]["min_zoom"] == 7
    assert re.fullmatch(r"/tiles/communes/\{z\}/\{x\}/\{y\}\.mvt\?v=\d+", communes["tiles"]["url"])
    assert layers["hotspots"]["tiles"]["counts_below_min_zoom"] is True
    sets = {s["name"]: s for s in body["sets"]}
    assert sets["admin"]["layers"][:3] == ["provinces", "districts", "communes"]
    assert sets["points"]["tiles"].startswith("/tiles/points/{z}/{x}/{y}.mvt?v=")


def test_features_of_a_small_area(client: FlaskClient) -> None:
    response = client.get(f"/api/layers/communes/features?bbox={TRA_VINH_BBOX}&zoom=13")
    assert response.status_code == 200
    assert response.mimetype == "application/geo+json"
    body = response.get_json()
    assert body["type"] == "FeatureCollection" and body["links"] == []
    assert body["numberMatched"] == body["numberReturned"] == len(body["features"])
    codes = {f["properties"]["code"] for f in body["features"]}
    assert "29242" in codes
    decimals = re.findall(r"\d+\.(\d+)", response.get_data(as_text=True).split('"coordinates"')[1])
    assert max(len(d) for d in decimals) <= 6
    coarse = client.get(f"/api/layers/communes/features?bbox={TRA_VINH_BBOX}&zoom=8").get_json()
    assert {f["properties"]["code"] for f in coarse["features"]} == codes
    assert len(str(coarse)) < len(str(body))  # simplified at a low zoom


def test_filters_month_area_and_status(client: FlaskClient) -> None:
    active = client.get("/api/layers/hotspots/features?area=86&status=active").get_json()
    assert active["features"]
    assert {f["properties"]["status"] for f in active["features"]} == {"active"}
    everything = client.get("/api/layers/hotspots/features?area=86").get_json()
    assert len(everything["features"]) > len(active["features"])
    early = client.get("/api/layers/hotspots/features?area=86&month=2024-01").get_json()
    assert len(early["features"]) < len(everything["features"])


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("bbox=102,8,110,23&zoom=12", "bbox spans 8.00° × 15.00°"),
        ("bbox=102,8,110,23", "at most 2.5° per side"),
        ("bbox=106,9,105,10", "west < east"),
        ("bbox=1,2,3", "four numbers"),
        ("bbox=a,b,c,d", "four numbers"),
        ("zoom=30&bbox=106,9,106.1,9.1", "zoom '30'"),
        ("month=2025-02-30&bbox=106,9,106.1,9.1", "Tháng «2025-02-30» không hợp lệ"),
        ("", "hãy chọn một bbox hoặc một địa bàn (area)"),
        ("lang=en", "layer communes: give a bbox or an area (the whole country is too big)"),
    ],
)
def test_refuses_what_is_too_big_or_malformed(
    client: FlaskClient, query: str, message: str
) -> None:
    response = client.get(f"/api/layers/communes/features?{query}")
    assert response.status_code == 400
    assert message in response.get_json()["error"]


def test_large_areas_are_allowed_only_at_low_zoom(client: FlaskClient) -> None:
    response = client.get("/api/layers/provinces/features?bbox=102,8,110,23&zoom=5")
    assert response.status_code == 200
    assert len(response.get_json()["features"]) == 34


def test_status_on_a_layer_without_it_and_unknown_layer(client: FlaskClient) -> None:
    response = client.get(f"/api/layers/communes/features?bbox={TRA_VINH_BBOX}&status=active")
    assert response.status_code == 400
    assert "không có bộ lọc status" in response.get_json()["error"]
    missing = client.get("/api/layers/nothing/features?lang=en")
    assert missing.status_code == 404
    assert "known: " in missing.get_json()["error"]
    assert ", communes, " in missing.get_json()["error"]


def test_features_are_capped(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(layer_api, "MAX_FEATURES", 3)
    body = client.get("/api/layers/hotspots/features?area=86").get_json()
    assert len(body["features"]) == body["numberReturned"] == 3 and body["numberMatched"] > 3
    assert [link["rel"] for link in body["links"]] == ["next"]
    assert "offset=3" in body["links"][0]["href"] and "limit=3" in body["links"][0]["href"]


def test_campaign_targets_of_one_campaign(client: FlaskClient, demo_session: Session) -> None:
    campaign = demo_session.scalar(sa.text("SELECT id FROM campaign WHERE code = 'tra-vinh-2025'"))
    one = client.get(f"/api/layers/campaign_progress/features?campaign={campaign}").get_json()
    assert len(one["features"]) == 21
    # Hóc Môn (79) has targets of another campaign only.
    other = client.get("/api/layers/campaign_progress/features?area=79").get_json()["features"]
    query = f"area=79&campaign={campaign}"
    mixed = client.get(f"/api/layers/campaign_progress/features?{query}").get_json()
    assert other and mixed["features"] == []
    assert {f["properties"]["campaign_id"] for f in one["features"]} == {campaign}
    bad = client.get("/api/layers/campaign_progress/features?campaign=x1")
    assert bad.status_code == 400 and "campaign" in bad.get_json()["error"]


def test_tile_errors_are_json(client: FlaskClient) -> None:
    response = client.get("/tiles/campaign_progress/10/817/488.mvt")
    assert response.status_code == 400
    assert "campaign" in response.get_json()["error"]
