"""The campaign page and its progress JSON and tiles, on real PostGIS.

Two worlds: the demo database (the Trà Vinh 2025 campaign, its 21 pre-2025 targets and its
stored evaluations; read only), and a small campaign of our own in a fresh database, where a
test adds and overrides evaluations and watches the JSON, the tiles and the tile cache follow.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import mapbox_vector_tile
import pytest
import sqlalchemy as sa
from conftest import NATIONAL_LOGIN, add_national_admin, log_in, make_settings
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from geo_app import clock, create_app
from geo_app.features import FeatureQuery, collection
from geo_app.layers import LayerQuery, get_layer
from geo_app.layers.campaign_progress import PROGRESS_COLOURS, progress_class
from geo_app.maps.assets import assert_no_external_assets
from geo_app.services.accounts.users import create_user
from geo_app.services.campaigns import campaign_by_code, campaign_progress, target_progress
from geo_app.services.tiles.render import SETS

PASSWORD = "mat-khau-chien-dich-1"


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def decode(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.data
    if response.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return dict(mapbox_vector_tile.decode(body))


def progress_features(layers: dict[str, Any]) -> list[dict[str, Any]]:
    return [f["properties"] for f in layers.get("campaign_progress", {}).get("features", [])]


def page_config(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="campaign-config">(.*?)</script>', html)
    assert found, "the page embeds no campaign config"
    config: dict[str, Any] = json.loads(found[1])
    return config


# --- the demo: Trà Vinh 2025 ------------------------------------------------------------------


@pytest.fixture(scope="module")
def hoc_mon(demo_db: str) -> int:
    engine = sa.create_engine(demo_db, poolclass=sa.NullPool)
    with Session(engine) as session:
        campaign_id = campaign_by_code(session, "hoc-mon-2024").id
    engine.dispose()
    return campaign_id


def test_the_page_shows_the_headline_timeline_slider_and_tiles(
    national_client: FlaskClient, tra_vinh: int, demo_session: Session
) -> None:
    response = national_client.get(f"/map/campaign/{tra_vinh}?month=2025-12")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    expected = campaign_progress(demo_session, tra_vinh, date(2025, 12, 31))
    assert expected.targets == 21 and expected.recognised > 0
    headline = f"{expected.recognised}/21 mục tiêu đã được công nhận; chỉ tiêu 21 (20 % của 104)"
    assert headline in html
    assert html.count('class="timeline-phase ') == 3 and "Hôm nay" in html
    assert 'id="campaign-month"' in html and "▶ Phát" in html
    config = page_config(html)
    assert config["months"][0] == "2025-02" and config["months"][-1] == clock.today().strftime(
        "%Y-%m"
    )
    assert config["initial"]["month"] == "2025-12" and config["initial"]["as_of"] == "2025-12-31"
    templates = list(config["grids"].values())
    progress = config["grids"][config["progressGrid"]]
    # Progress and hotspots come in one tile of the "campaign" set (services/tiles/render.py).
    assert progress.startswith("/tiles/campaign/{z}/{x}/{y}.mvt?v=")
    assert f"&campaign={tra_vinh}&month={config['monthToken']}" in progress
    assert set(SETS["campaign"]) == {"campaign_progress", "hotspots"}
    assert all(t.startswith("/tiles/") for t in templates)
    # The grids start on the page's month; only one polygon (the province outline) is embedded.
    assert f"&campaign={tra_vinh}&month=2025-12-31" in html
    assert html.count('"type": "MultiPolygon"') == 1 and '"type": "Polygon"' not in html
    assert_no_external_assets(html)
    assert "/static/js/campaign.js" in html and "/static/campaign.css" in html
    english = national_client.get(f"/map/campaign/{tra_vinh}?month=2025-12&lang=en")
    assert f"{expected.recognised} of 21 targets recognised; goal 21 (20 % of 104)" in (
        english.get_data(as_text=True)
    )


def test_progress_json_follows_the_stored_evaluations_month_by_month(
    national_client: FlaskClient, tra_vinh: int, demo_session: Session
) -> None:
    seen = {}
    for month in ("2025-03", "2025-06", "2025-11"):
        response = national_client.get(f"/api/campaigns/{tra_vinh}/progress?month={month}")
        assert response.status_code == 200
        data = response.get_json()
        on = date.fromisoformat(data["as_of"])
        assert data["month"] == month and on.day >= 28
        expected = {t.code: t for t in target_progress(demo_session, tra_vinh, on)}
        assert len(data["targets"]) == len(expected) == 21
        for item in data["targets"]:
            target = expected[item["code"]]
            assert item["verdict"] == target.verdict
            assert item["criteria_met"] == target.criteria_met
            assert item["progress"] == progress_class(
                target.verdict, target.criteria_met, target.criteria_total
            )
            assert item["colour"] == PROGRESS_COLOURS[item["progress"]]
            verdicts = [c["verdict"] for c in item["criteria"]]
            assert verdicts, "every target lists its checklist"
            if target.evaluation_id is None:
                assert set(verdicts) == {"not_checked"}
            else:
                assert verdicts.count("met") == target.criteria_met
                assert item["link"].startswith("/map/commune/")
        seen[month] = data
    assert {t["progress"] for t in seen["2025-03"]["targets"]} == {"not_evaluated"}
    assert seen["2025-03"]["counts"]["evaluated"] == 0
    assert seen["2025-06"]["counts"]["evaluated"] == 21
    assert seen["2025-06"]["counts"]["recognised"] < seen["2025-11"]["counts"]["recognised"]
    assert seen["2025-06"]["phase"]["ordinal"] == 2 and seen["2025-11"]["phase"]["ordinal"] == 3
    assert seen["2025-03"]["headline"] != seen["2025-11"]["headline"]


def test_the_current_month_stops_at_today(national_client: FlaskClient, tra_vinh: int) -> None:
    today = clock.today()
    data = national_client.get(
        f"/api/campaigns/{tra_vinh}/progress?month={today:%Y-%m}&lang=en"
    ).get_json()
    assert data["as_of"] == today.isoformat()
    assert national_client.get(f"/api/campaigns/{tra_vinh}/progress").get_json()["as_of"] == (
        today.isoformat()
    )


@pytest.mark.parametrize(
    ("path", "status", "message", "vietnamese"),
    [
        ("/map/campaign/999999", 404, "no campaign with id 999999", "không có chiến dịch nào"),
        ("/api/campaigns/999999/progress", 404, "no campaign with id 999999", "không có chiến"),
        ("/map/campaign/abc", 404, "", ""),
        (
            "/map/campaign/{id}?month=2025-13",
            400,
            "Month «2025-13» is not valid",
            "Tháng «2025-13» không hợp lệ",
        ),
        (
            "/api/campaigns/{id}/progress?month=May",
            400,
            "Month «May» is not valid",
            "Tháng «May» không hợp lệ",
        ),
        (
            "/api/campaigns/{id}/progress?month=2025-02-30",
            400,
            "Month «2025-02-30» is not valid",
            "Tháng «2025-02-30» không hợp lệ",
        ),
        (
            "/api/campaigns/{id}/progress?month=2026-01",
            400,
            "Month 2026-01 is in the future",
            "Tháng 2026-01 chưa tới",
        ),
    ],
)
def test_unknown_campaigns_and_bad_months(
    national_client: FlaskClient,
    tra_vinh: int,
    path: str,
    status: int,
    message: str,
    vietnamese: str,
) -> None:
    """Errors are Vietnamese by default and English with ``lang=en``, pages and JSON alike."""
    for lang, expected in (("vi", vietnamese), ("en", message)):
        asked = path.replace("{id}", str(tra_vinh))
        response = national_client.get(asked + ("&" if "?" in asked else "?") + f"lang={lang}")
        assert response.status_code == status
        text = response.get_data(as_text=True)
        if path.startswith("/api/"):
            text = response.get_json()["error"].replace("'", "&#39;")
        assert expected in text
        if lang == "vi" and status == 400:
            assert "is not" not in text


def test_anonymous_visitors_must_log_in(app: Flask, tra_vinh: int) -> None:
    anonymous = app.test_client()
    page = anonymous.get(f"/map/campaign/{tra_vinh}")
    assert page.status_code == 302 and "/login?next=" in page.headers["Location"]
    assert anonymous.get(f"/api/campaigns/{tra_vinh}/progress").status_code == 401


def test_a_user_scoped_elsewhere_gets_403(app: Flask, hoc_mon: int, tra_vinh: int) -> None:
    province = log_in(app.test_client(), "vinhlong")  # Vĩnh Long (86); Hóc Môn is in 79
    page = province.get(f"/map/campaign/{hoc_mon}")
    assert page.status_code == 403
    assert "nằm ngoài phạm vi của bạn" in page.get_data(as_text=True)  # Vietnamese by default
    english = province.get(f"/map/campaign/{hoc_mon}?lang=en")
    assert english.status_code == 403 and "outside your scope" in english.get_data(as_text=True)
    api = province.get(f"/api/campaigns/{hoc_mon}/progress?month=2024-10&lang=en")
    assert api.status_code == 403 and api.get_json() == {
        "error": "this campaign is outside your scope"
    }
    assert province.get(f"/api/campaigns/{hoc_mon}/progress").get_json() == {
        "error": "chiến dịch này nằm ngoài phạm vi của bạn"
    }
    assert province.get(f"/api/campaigns/{tra_vinh}/progress").status_code == 200


def test_a_commune_officer_sees_only_the_targets_in_the_commune(
    app: Flask, tra_vinh: int, demo_session: Session
) -> None:
    officer = log_in(app.test_client(), "canbo.hoaminh")  # commune 29410 (Hòa Minh)
    data = officer.get(f"/api/campaigns/{tra_vinh}/progress?month=2025-11").get_json()
    scope = demo_session.execute(
        sa.text("SELECT geom FROM admin_unit WHERE code = '29410' AND valid_to IS NULL")
    ).scalar_one()
    inside = set(
        demo_session.execute(
            sa.text(
                "SELECT u.code FROM campaign_target t JOIN admin_unit u ON u.id = t.admin_unit_id "
                "WHERE t.campaign_id = :c AND ST_Covers(:scope, ST_PointOnSurface(u.geom))"
            ),
            {"c": tra_vinh, "scope": scope},
        ).scalars()
    )
    assert 0 < len(inside) < 21
    assert {t["code"] for t in data["targets"]} == inside
    assert data["counts"]["targets"] == len(inside)
    assert data["headline"].startswith(f"{data['counts']['recognised']}/{len(inside)} ")
    assert data["scope_note"]
    # The page embeds the same, and its tiles draw nothing outside the commune.
    html = officer.get(f"/map/campaign/{tra_vinh}?month=2025-11").get_data(as_text=True)
    assert {t["code"] for t in page_config(html)["initial"]["targets"]} == inside
    x, y = tile_of(106.34, 9.93, 7)
    path = f"/tiles/campaign_progress/7/{x}/{y}.mvt?campaign={tra_vinh}&month=2025-11-30"
    assert {p["code"] for p in progress_features(decode(officer.get(path)))} == inside
    national = log_in(app.test_client(), NATIONAL_LOGIN)
    assert len(progress_features(decode(national.get(path)))) == 21


def test_tiles_colour_the_targets_as_the_json_does(
    national_client: FlaskClient, tra_vinh: int
) -> None:
    x, y = tile_of(106.34, 9.93, 7)
    for month, day in (("2025-03", "2025-03-31"), ("2025-06", "2025-06-30")):
        data = national_client.get(f"/api/campaigns/{tra_vinh}/progress?month={month}").get_json()
        path = f"/tiles/campaign_progress/7/{x}/{y}.mvt?campaign={tra_vinh}&month={day}"
        tiles = {p["code"]: p for p in progress_features(decode(national_client.get(path)))}
        assert {t["code"]: t["progress"] for t in data["targets"]} == {
            code: p["progress"] for code, p in tiles.items()
        }
        for item in data["targets"]:
            drawn = tiles[item["code"]]
            assert drawn.get("met") == item["criteria_met"]
            assert drawn.get("verdict") == item["verdict"]
    missing = national_client.get(f"/tiles/campaign_progress/7/{x}/{y}.mvt?month=2025-06")
    assert missing.status_code == 400
    assert "need ?campaign=" in missing.get_data(as_text=True)


def test_the_layer_matches_the_panel(demo_session: Session, tra_vinh: int) -> None:
    """The features API's query and the panel's rule give each target the same class."""
    on = date(2025, 6, 30)
    layer = get_layer("campaign_progress")
    one = LayerQuery(campaign_id=tra_vinh, as_of=on)
    found = collection(demo_session, FeatureQuery(layer.name, one)).geojson
    by_code = {f["properties"]["code"]: f["properties"] for f in found["features"]}
    assert len(by_code) == 21
    for target in target_progress(demo_session, tra_vinh, on):
        assert by_code[target.code]["progress"] == progress_class(
            target.verdict, target.criteria_met, target.criteria_total
        )
    every = collection(demo_session, FeatureQuery(layer.name, LayerQuery(as_of=on))).features
    assert len({f["properties"]["campaign_code"] for f in every}) == 4


# --- a campaign of our own: evaluations change, the JSON and the tiles follow ------------------

# Province 86 with two communes (A west, B east) and province 79 elsewhere, all 2025 units.
UNITS = [
    ("86", "Tỉnh Thử", "province", None, (105.8, 9.5, 106.8, 10.4)),
    ("79", "Thành phố Khác", "province", None, (106.9, 10.5, 107.5, 11.2)),
    ("29001", "Xã A", "commune", "86", (105.9, 9.6, 106.2, 9.9)),
    ("29002", "Xã B", "commune", "86", (106.4, 9.9, 106.7, 10.3)),
    ("26001", "Xã C", "commune", "79", (107.0, 10.6, 107.3, 10.9)),
]
CRITERIA = [f"c{i}" for i in range(1, 9)]  # a checklist of eight criteria


@dataclass(frozen=True)
class Small:
    url: str
    engine: Engine
    app: Flask
    campaign_id: int
    units: dict[str, int]


def _insert_units(conn: sa.Connection) -> dict[str, int]:
    ids: dict[str, int] = {}
    for code, name, level, parent, (west, south, east, north) in UNITS:
        ids[code] = conn.execute(
            sa.text(
                "INSERT INTO admin_unit (code, name, level, layout, parent_id, geom, valid_from, "
                "source) VALUES (:code, :name, CAST(:level AS admin_level), '2025', :parent, "
                "ST_Multi(ST_MakeEnvelope(:w, :s, :e, :n, 4326)), '2025-07-01', 'test') "
                "RETURNING id"
            ),
            {
                "code": code,
                "name": name,
                "level": level,
                "parent": ids.get(parent) if parent else None,
                "w": west,
                "s": south,
                "e": east,
                "n": north,
            },
        ).scalar_one()
    return ids


def _insert_campaign(conn: sa.Connection, units: dict[str, int]) -> int:
    campaign_id: int = conn.execute(
        sa.text(
            "INSERT INTO campaign (code, title, issuer, classification_rule_set, "
            "checklist_rule_set, baseline_date, starts_on, ends_on, province_code, goal_share, "
            "goal_count, goal_base_count) VALUES ('thu-2025', 'Kế hoạch thử', 'UBND tỉnh Thử', "
            "'tra-vinh-2025', 'tra-vinh-2025', '2025-03-01', '2025-03-01', '2025-12-31', '86', "
            "0.5, 1, 2) RETURNING id"
        )
    ).scalar_one()
    for ordinal, starts, ends in ((1, "2025-03-01", "2025-06-30"), (2, "2025-07-01", None)):
        conn.execute(
            sa.text(
                "INSERT INTO phase (campaign_id, ordinal, name_vi, name_en, starts_on, ends_on) "
                "VALUES (:c, :o, :vi, :en, :s, :e)"
            ),
            {
                "c": campaign_id,
                "o": ordinal,
                "vi": f"Giai đoạn thử {ordinal}",
                "en": f"Test phase {ordinal}",
                "s": starts,
                "e": ends,
            },
        )
    for code in ("29001", "29002"):
        conn.execute(
            sa.text("INSERT INTO campaign_target (campaign_id, admin_unit_id) VALUES (:c, :u)"),
            {"c": campaign_id, "u": units[code]},
        )
    return campaign_id


@pytest.fixture
def small(empty_db: str, engine_for: Callable[[str], Engine]) -> Iterator[Small]:
    engine = engine_for(empty_db)
    with engine.begin() as conn:
        units = _insert_units(conn)
        campaign_id = _insert_campaign(conn, units)
    add_national_admin(empty_db)
    with Session(engine) as session, session.begin():
        create_user(
            session,
            login="ngoai",
            password=PASSWORD,
            role="commander",
            scope_code="79",
            actor="test",
        )
        create_user(
            session,
            login="xa.a",
            password=PASSWORD,
            role="officer",
            scope_code="29001",
            actor="test",
        )
    app = create_app(make_settings(), database_url=empty_db)
    yield Small(empty_db, engine, app, campaign_id, units)
    app.extensions["geo_app.engine"].dispose()
    if "geo_app.bare_engine" in app.extensions:
        app.extensions["geo_app.bare_engine"].dispose()


def _evaluate(small: Small, code: str, on: str, met: int, verdict: str) -> int:
    criteria = [
        {
            "id": c,
            "text_vi": f"Tiêu chí {c}",
            "text_en": f"Criterion {c}",
            "verdict": "met" if i < met else "not_met",
        }
        for i, c in enumerate(CRITERIA)
    ]
    with small.engine.begin() as conn:
        evaluation_id: int = conn.execute(
            sa.text(
                "INSERT INTO evaluation (campaign_id, admin_unit_id, evaluated_on, rule_set, "
                "inputs, criteria, verdict) VALUES (:c, :u, :on, 'tra-vinh-2025', '{}', "
                "CAST(:criteria AS jsonb), :verdict) RETURNING id"
            ),
            {
                "c": small.campaign_id,
                "u": small.units[code],
                "on": on,
                "criteria": json.dumps(criteria),
                "verdict": verdict,
            },
        ).scalar_one()
    return evaluation_id


def _json(client: FlaskClient, small: Small, month: str) -> dict[str, Any]:
    response = client.get(f"/api/campaigns/{small.campaign_id}/progress?month={month}")
    assert response.status_code == 200, response.get_data(as_text=True)
    data: dict[str, Any] = response.get_json()
    return data


def _by_code(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["code"]: t for t in data["targets"]}


def test_progress_follows_new_evaluations_and_overrides(small: Small) -> None:
    client = log_in(small.app.test_client(), NATIONAL_LOGIN)
    before = _json(client, small, "2025-05")
    assert before["headline"] == "0/2 mục tiêu đã được công nhận; chỉ tiêu 1 (50 % của 2)"
    assert {t["progress"] for t in before["targets"]} == {"not_evaluated"}
    assert before["phase"]["text"] == "Giai đoạn 1: Giai đoạn thử 1"

    _evaluate(small, "29001", "2025-05-31", met=7, verdict="not_recognised")
    may = _by_code(_json(client, small, "2025-05"))
    assert may["29001"]["progress"] == "share_high"  # 7 of 8 met
    assert may["29001"]["criteria_met"] == 7 and may["29001"]["evaluated_on"] == "2025-05-31"
    assert [c["verdict"] for c in may["29001"]["criteria"]].count("not_met") == 1
    assert may["29002"]["progress"] == "not_evaluated"
    assert _by_code(_json(client, small, "2025-04"))["29001"]["progress"] == "not_evaluated"

    _evaluate(small, "29002", "2025-08-31", met=3, verdict="not_recognised")
    recognised = _evaluate(small, "29001", "2025-08-31", met=8, verdict="recognised")
    august = _json(client, small, "2025-08")
    assert august["headline"] == "1/2 mục tiêu đã được công nhận; chỉ tiêu 1 (50 % của 2)"
    assert _by_code(august)["29002"]["progress"] == "share_low"  # 3 of 8
    assert august["phase"]["ordinal"] == 2

    # The tile of August, cached, is rebuilt when the evaluation is overridden.
    x, y = tile_of(106.0, 9.75, 9)
    path = f"/tiles/campaign_progress/9/{x}/{y}.mvt?campaign={small.campaign_id}&month=2025-08-31"
    first = client.get(path)
    drawn = progress_features(decode(first))
    assert [(p["code"], p["progress"]) for p in drawn] == [("29001", "recognised")]
    with small.engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE evaluation SET override_verdict = 'not_recognised', "
                "override_reason = 'hồ sơ chưa đủ' WHERE id = :id"
            ),
            {"id": recognised},
        )
    again = client.get(path)
    assert again.headers["ETag"] != first.headers["ETag"]
    assert int(again.headers["X-Data-Version"]) > int(first.headers["X-Data-Version"])
    assert progress_features(decode(again))[0]["progress"] == "share_high"  # 8/8, overridden
    assert progress_features(decode(again))[0]["overridden"] is True
    after = _by_code(_json(client, small, "2025-08"))["29001"]
    assert after["verdict"] == "not_recognised" and after["computed_verdict"] == "recognised"
    assert after["overridden"] and after["override_reason"] == "hồ sơ chưa đủ"
    with small.engine.connect() as conn:
        edits = conn.execute(
            sa.text("SELECT count(*) FROM layer_edit WHERE layer = 'campaign_progress'")
        ).scalar_one()
    # Two targets added, three evaluations, one override: one edit each. The campaign and its
    # phases were written before it had targets, so they touched no tile.
    assert edits == 6


def test_scope_in_the_small_campaign(small: Small) -> None:
    _evaluate(small, "29001", "2025-05-31", met=8, verdict="recognised")
    elsewhere = log_in(small.app.test_client(), "ngoai", PASSWORD)
    assert elsewhere.get(f"/map/campaign/{small.campaign_id}").status_code == 403
    assert elsewhere.get(f"/api/campaigns/{small.campaign_id}/progress").status_code == 403
    commune = log_in(small.app.test_client(), "xa.a", PASSWORD)
    data = _json(commune, small, "2025-06")
    assert [t["code"] for t in data["targets"]] == ["29001"]
    assert data["headline"].startswith("1/1 ")
    x, y = tile_of(106.3, 9.9, 7)  # both communes in one tile
    path = f"/tiles/campaign_progress/7/{x}/{y}.mvt?campaign={small.campaign_id}&month=2025-06-30"
    assert [p["code"] for p in progress_features(decode(commune.get(path)))] == ["29001"]
    national = log_in(small.app.test_client(), NATIONAL_LOGIN)
    assert Counter(p["code"] for p in progress_features(decode(national.get(path)))) == {
        "29001": 1,
        "29002": 1,
    }


# --- the summary panel beside the campaign ----------------------------------------------------


def test_the_campaign_page_shows_its_province_summary_as_of_the_month(
    national_client: FlaskClient, tra_vinh: int, demo_session: Session
) -> None:
    from geo_app.services.summary import summary

    html = national_client.get(f"/map/campaign/{tra_vinh}?month=2025-06").get_data(as_text=True)
    assert html.count('id="summary-panel"') == 1
    assert 'data-on="2025-06-30" data-area="86"' in html
    expected = summary(demo_session, area_code="86", on=date(2025, 6, 30), scope_unit_id=None)
    for key, count in expected.classes.items():
        assert re.search(
            rf'<li class="summary-class-{key}">.*?<b class="summary-num">{count}</b>', html, re.S
        ), key
    config = page_config(html)
    assert config["summaryArea"] == "86" and config["summaryUrl"] == "/api/summary"
    # What the slider asks for when it moves: the same partial, as of the month shown.
    answer = national_client.get("/api/summary?area=86&month=2025-11-30")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["on"] == "2025-11-30" and 'data-on="2025-11-30"' in body["html"]
    assert body["html"].lstrip().startswith('<section class="summary" id="summary-panel"')


def test_the_campaign_summary_stays_inside_a_commune_scope(
    app: Flask, tra_vinh: int, demo_session: Session
) -> None:
    """An officer of one commune sees the campaign and a summary of their commune only (the
    province is wider than their scope, so the panel covers the scope)."""
    client = log_in(app.test_client(), "canbo.hoaminh")
    response = client.get(f"/map/campaign/{tra_vinh}")
    assert response.status_code == 200  # the campaign's province holds their commune
    html = response.get_data(as_text=True)
    assert 'data-area=""' in html and "Trong phạm vi được giao" in html
    config = page_config(html)
    assert config["summaryArea"] == ""
