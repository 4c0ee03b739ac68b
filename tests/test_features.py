"""The feature service (geo_app.features) and the features API built on it: paging, get by id,
counts and their estimate, validation, sensitive fields, and escaping only where HTML is made."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from conftest import log_in
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from geo_app import features
from geo_app.errors import InvalidInput, NotFound
from geo_app.features import FeatureQuery
from geo_app.layers import LayerQuery

PROVINCE = LayerQuery(area_code="86")


def _hotspots(**asked: object) -> FeatureQuery:
    return FeatureQuery("hotspots", PROVINCE, **asked)  # type: ignore[arg-type]


def _ids(found: features.Collection) -> list[int]:
    return [f["properties"]["id"] for f in found.features]


def test_pages_follow_each_other_and_count_what_matches(demo_session: Session) -> None:
    every = _ids(features.collection(demo_session, _hotspots()))
    assert len(every) > 12
    first = features.collection(demo_session, _hotspots(limit=5))
    second = features.collection(demo_session, _hotspots(limit=5, offset=5))
    assert _ids(first) + _ids(second) == every[:10]
    assert first.matched == features.Count(len(every), estimated=False)
    assert (first.next_offset, first.prev_offset) == (5, None)
    assert (second.next_offset, second.prev_offset) == (10, 0)
    last = features.collection(demo_session, _hotspots(limit=5, offset=len(every) - 2))
    assert len(last.features) == 2 and last.next_offset is None
    assert last.matched.value == len(every)
    assert first.geojson["numberMatched"] == len(every)
    assert first.geojson["numberReturned"] == 5


def test_sort_by_a_field_descending(demo_session: Session) -> None:
    found = features.page(demo_session, _hotspots(sort=("-detected_on",), limit=20))
    days = [row["detected_on"] for row in found]
    assert days == sorted(days, reverse=True) and len(days) == 20


def test_count_is_exact_below_the_threshold_and_estimated_above(demo_session: Session) -> None:
    q = FeatureQuery("communes", LayerQuery(area_code="86"))
    assert features.count(demo_session, q) == features.Count(124, estimated=False)
    estimate = features.count(demo_session, q, estimate_above=0)
    assert estimate.estimated and estimate.value > 0
    paged = features.collection(
        demo_session, FeatureQuery("communes", q.filters, limit=10), estimate_above=0
    )
    assert paged.geojson["numberMatchedIsEstimate"] is True
    assert paged.next_offset == 10  # an estimate never hides the next page


def test_get_one_feature_by_its_id_field(demo_session: Session) -> None:
    first = features.page(demo_session, _hotspots(limit=1))[0]
    one = features.get(demo_session, _hotspots(), str(first["id"]))
    assert one["type"] == "Feature" and one["properties"]["id"] == first["id"]
    commune = features.get(demo_session, FeatureQuery("communes"), "29410")
    assert commune["properties"]["code"] == "29410"
    with pytest.raises(NotFound):
        features.get(demo_session, _hotspots(), "999999999")
    elsewhere = demo_session.scalar(
        sa.text(
            "SELECT h.id FROM hotspot h JOIN admin_unit u ON u.code = '86' AND u.valid_to IS NULL "
            "WHERE NOT ST_Intersects(u.geom, h.geom) AND h.deleted_at IS NULL LIMIT 1"
        )
    )
    scope = demo_session.scalar(
        sa.text("SELECT id FROM admin_unit WHERE code = '86' AND valid_to IS NULL")
    )
    assert elsewhere is not None
    features.get(demo_session, FeatureQuery("hotspots"), str(elsewhere))
    with pytest.raises(NotFound):  # outside the asker's scope
        features.get(
            demo_session, FeatureQuery("hotspots", LayerQuery(scope_unit_id=scope)), str(elsewhere)
        )


def test_sensitive_fields_only_for_those_who_may_see_them(demo_session: Session) -> None:
    hidden = features.collection(demo_session, _hotspots(limit=3)).features
    shown = features.collection(demo_session, _hotspots(limit=3, sensitive=True)).features
    assert not {"notes", "case_ref"} & set(hidden[0]["properties"])
    assert {"notes", "case_ref"} <= set(shown[0]["properties"])
    with pytest.raises(InvalidInput, match="notes"):
        features.page(demo_session, _hotspots(properties=("id", "notes")))
    assert [features.may_see_sensitive(r) for r in ("viewer", "officer", "admin")] == [
        False,
        True,
        True,
    ]


@pytest.mark.parametrize(
    ("query", "error", "message"),
    [
        (FeatureQuery("nothing"), NotFound, "không có lớp «nothing»"),
        (FeatureQuery("hotspots", LayerQuery(area_code="ZZZ")), NotFound, "địa bàn «ZZZ»"),
        (
            FeatureQuery("hotspots", LayerQuery(area_code="ZZZ", lang="en")),
            NotFound,
            "no area «ZZZ»",
        ),
        (FeatureQuery("hotspots", LayerQuery(status=("gone",))), InvalidInput, "«gone»"),
        (FeatureQuery("routes", LayerQuery(status=("key", "x"))), InvalidInput, "key, other"),
        (FeatureQuery("hotspots", LayerQuery(campaign_id=1)), InvalidInput, "campaign"),
        (
            FeatureQuery("campaign_progress", LayerQuery(campaign_id=999999, lang="en")),
            NotFound,
            "no campaign «999999»",
        ),
        (FeatureQuery("hotspots", sort=("nope",)), InvalidInput, "nope"),
    ],
)
def test_what_cannot_be_answered_is_refused_with_a_message(
    demo_session: Session, query: FeatureQuery, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        features.collection(demo_session, query)


# --- through HTTP -----------------------------------------------------------------------------


def test_api_links_page_through_the_features(national_client: FlaskClient) -> None:
    body = national_client.get("/api/layers/hotspots/features?area=86&limit=4").get_json()
    assert body["numberReturned"] == 4 and body["numberMatched"] > 8
    links = {link["rel"]: link["href"] for link in body["links"]}
    assert set(links) == {"next"}
    query = parse_qs(urlsplit(links["next"]).query)
    assert query["offset"] == ["4"] and query["limit"] == ["4"] and query["area"] == ["86"]
    second = national_client.get(links["next"]).get_json()
    assert {link["rel"] for link in second["links"]} == {"next", "prev"}
    first_ids = {f["properties"]["id"] for f in body["features"]}
    assert not first_ids & {f["properties"]["id"] for f in second["features"]}


def test_api_gets_one_feature_by_its_id(app: Flask, demo_session: Session) -> None:
    spot = demo_session.scalar(
        sa.text(
            "SELECT h.id FROM hotspot h JOIN admin_unit u ON u.code = '29410' "
            "AND u.valid_to IS NULL WHERE ST_Covers(u.geom, h.geom) AND h.deleted_at IS NULL "
            "ORDER BY h.id LIMIT 1"
        )
    )
    officer = log_in(app.test_client(), "canbo.hoaminh")
    viewer = log_in(app.test_client(), "xem.vinhlong")
    one = officer.get(f"/api/layers/hotspots/features/{spot}")
    assert one.status_code == 200 and one.get_json()["properties"]["id"] == spot
    assert "notes" in one.get_json()["properties"]
    assert (
        "notes" not in viewer.get(f"/api/layers/hotspots/features/{spot}").get_json()["properties"]
    )
    commune = officer.get("/api/layers/communes/features/29410?lang=en").get_json()
    assert commune["properties"]["name"] and commune["geometry"]["type"] == "MultiPolygon"
    missing = officer.get("/api/layers/hotspots/features/0?lang=en")
    assert missing.status_code == 404
    assert missing.get_json()["error"] == "no feature «0» in layer hotspots"


@pytest.mark.parametrize("query", ["limit=0", "limit=5001", "limit=x", "offset=-1"])
def test_api_refuses_a_bad_page(national_client: FlaskClient, query: str) -> None:
    response = national_client.get(f"/api/layers/hotspots/features?area=86&{query}")
    assert response.status_code == 400
    assert "không phải số nguyên" in response.get_json()["error"]


def test_campaign_never_lifts_the_size_limit(national_client: FlaskClient) -> None:
    without = national_client.get("/api/layers/communes/features")
    with_campaign = national_client.get("/api/layers/communes/features?campaign=1")
    assert without.status_code == with_campaign.status_code == 400
    assert with_campaign.get_json() == without.get_json()
    assert "cả nước là quá lớn" in without.get_json()["error"]
    small = "bbox=106.30,9.88,106.40,9.98&campaign=1"
    unbounded = national_client.get(f"/api/layers/communes/features?{small}")
    assert unbounded.status_code == 400 and "campaign" in unbounded.get_json()["error"]
    points = national_client.get("/api/layers/hotspots/features?campaign=999999")
    assert points.status_code == 400  # hotspots have no campaign filter: not "every hotspot"
    progress = national_client.get("/api/layers/campaign_progress/features?campaign=999999")
    assert progress.status_code == 404


def test_unknown_area_is_a_404_in_the_page_language(national_client: FlaskClient) -> None:
    vi = national_client.get("/api/layers/hotspots/features?area=ZZZ")
    en = national_client.get("/api/layers/hotspots/features?area=ZZZ&lang=en")
    assert vi.status_code == en.status_code == 404
    assert vi.get_json()["error"] == "không có địa bàn «ZZZ»"
    assert en.get_json()["error"] == "no area «ZZZ»"


def test_viewers_never_get_notes_or_case_references(app: Flask) -> None:
    viewer = log_in(app.test_client(), "xem.vinhlong")
    officer = log_in(app.test_client(), "canbo.hoaminh")
    seen = viewer.get("/api/layers/hotspots/features?area=29410").get_json()["features"]
    told = officer.get("/api/layers/hotspots/features?area=29410").get_json()["features"]
    assert seen and told and len(seen) == len(told)
    assert all(not {"notes", "case_ref"} & set(f["properties"]) for f in seen)
    assert all({"notes", "case_ref"} <= set(f["properties"]) for f in told)


@pytest.fixture
def marked_board(demo_session: Session) -> Iterator[tuple[int, str]]:
    """A hotline board whose phone numbers read ``<b>&"`` (committed, then put back)."""
    row = demo_session.execute(
        sa.text(
            "SELECT b.id, b.phones, u.code FROM hotline_board b "
            "JOIN admin_unit u ON u.level = 'commune' AND u.valid_to IS NULL "
            "AND ST_Covers(u.geom, b.geom) WHERE b.deleted_at IS NULL ORDER BY b.id LIMIT 1"
        )
    ).one()
    update = sa.text("UPDATE hotline_board SET phones = :phones WHERE id = :id")
    demo_session.execute(update, {"phones": ['<b>&"'], "id": row.id})
    demo_session.commit()
    try:
        yield row.id, row.code
    finally:
        demo_session.execute(update, {"phones": row.phones, "id": row.id})
        demo_session.commit()


def test_text_is_escaped_only_where_html_is_made(
    national_client: FlaskClient, marked_board: tuple[int, str]
) -> None:
    board_id, commune = marked_board
    api = national_client.get(f"/api/layers/hotline_boards/features?area={commune}").get_json()
    phones = {f["properties"]["id"]: f["properties"]["phones"] for f in api["features"]}
    assert phones[board_id] == '<b>&"'
    page = national_client.get(f"/map/commune/{commune}").get_data(as_text=True)
    # The page embeds its features as JSON, where & < > are written \u0026 \u003c \u003e.
    assert "\\u0026lt;b\\u0026gt;\\u0026amp;\\u0026quot;" in page
    assert "\\u003cb\\u003e\\u0026\\" not in page
