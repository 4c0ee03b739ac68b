"""Briefing mode (``?present=1``): the pages carry their steps as JSON, checked against the
demo's Trà Vinh 2025 campaign, its province (86) and a commune; without it nothing changes.
The projector's behaviour in a browser is in test_browser_present.py."""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

import sqlalchemy as sa
from conftest import log_in
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from geo_app.domain.vocabulary import RANKED_CLASSES
from geo_app.layers.campaign_progress import PROGRESS_COLOURS, progress_class
from geo_app.layers.vocab import label
from geo_app.services.campaigns import target_progress

DECEMBER = date(2025, 12, 31)
VERDICTS = {"met", "not_met", "insufficient_data", "not_checked"}


def steps_of(html: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="present-data">(.*?)</script>', html)
    assert found, "the page embeds no briefing steps"
    data: dict[str, Any] = json.loads(found[1])
    return data


def page(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def inside(bounds: list[float], lon: float, lat: float) -> bool:
    south, west, north, east = bounds
    return south <= lat <= north and west <= lon <= east


def test_the_campaign_steps_through_every_target_with_its_verdicts(
    national_client: FlaskClient, tra_vinh: int, demo_session: Session
) -> None:
    html = page(national_client, f"/map/campaign/{tra_vinh}?month=2025-12&present=1")
    data = steps_of(html)
    expected = {t.code: t for t in target_progress(demo_session, tra_vinh, DECEMBER)}
    recognised = sum(1 for t in expected.values() if t.verdict == "recognised")
    assert len(expected) == 21 and recognised == 7
    assert data["headline"].startswith("7/21 mục tiêu đã được công nhận")
    assert data["subtitle"] == "Sau các giai đoạn · Tính đến 31/12/2025"  # the phases ended
    assert data["map"].startswith("map_") and f"var {data['map']} = L.map" in html
    assert data["exit"] == f"/map/campaign/{tra_vinh}?month=2025-12"
    steps = data["steps"]
    assert [s["code"] for s in steps] == sorted(expected, key=lambda c: (expected[c].name, c))
    rows = demo_session.execute(
        sa.text(
            "SELECT u.code, ST_X(p), ST_Y(p) FROM campaign_target t "
            "JOIN admin_unit u ON u.id = t.admin_unit_id, ST_PointOnSurface(u.geom) p "
            "WHERE t.campaign_id = :c"
        ),
        {"c": tra_vinh},
    )
    points = {str(code): (float(x), float(y)) for code, x, y in rows}
    for step in steps:
        target = expected[step["code"]]
        progress = progress_class(target.verdict, target.criteria_met, target.criteria_total)
        assert step["title"] == target.name
        assert step["badge"] == label("campaign_progress", progress, "vi")
        assert step["colour"] == PROGRESS_COLOURS[progress]
        verdicts = [c["verdict"] for c in step["checks"]]
        assert verdicts and set(verdicts) <= VERDICTS
        assert verdicts.count("met") == target.criteria_met
        assert all(c["label"] and c["text"] for c in step["checks"])
        facts = dict(step["facts"])
        assert facts["Giai đoạn"] == "Sau các giai đoạn"
        assert facts["Số tiêu chí đạt"] == f"{target.criteria_met}/{target.criteria_total}"
        assert inside(step["bounds"], *points[step["code"]])
        assert inside(data["cover"]["bounds"], *points[step["code"]])
    # The cover counts the targets by progress, as the legend names them.
    cover = dict(data["cover"]["facts"])
    assert cover[label("campaign_progress", "recognised", "vi")] == "7"
    assert sum(int(n) for n in cover.values()) == 21
    assert any("not_met" in [c["verdict"] for c in s["checks"]] for s in steps)


def test_the_steps_follow_the_month_language_and_scope(
    app: Flask, national_client: FlaskClient, tra_vinh: int
) -> None:
    march = steps_of(page(national_client, f"/map/campaign/{tra_vinh}?month=2025-03&present=1"))
    assert march["headline"].startswith("0/21 ")
    november = steps_of(page(national_client, f"/map/campaign/{tra_vinh}?month=2025-11&present=1"))
    assert november["subtitle"].startswith("Giai đoạn 3: ")
    phase = november["subtitle"].split(": ", 1)[1].split(" · ")[0]
    assert {dict(s["facts"])["Giai đoạn"] for s in november["steps"]} == {f"3. {phase}"}
    assert {c["verdict"] for s in march["steps"] for c in s["checks"]} == {"not_checked"}
    english = steps_of(
        page(national_client, f"/map/campaign/{tra_vinh}?month=2025-12&lang=en&present=1")
    )
    assert english["headline"].startswith("7 of 21 targets recognised")
    assert english["labels"] == {"overview": "Overview", "checklist": "Checklist"}
    assert english["exit"] == f"/map/campaign/{tra_vinh}?month=2025-12&lang=en"
    assert {c["label"] for s in english["steps"] for c in s["checks"]} <= {
        label("criterion_verdict", v, "en") for v in VERDICTS
    }
    officer = log_in(app.test_client(), "canbo.hoaminh")  # commune 29410: some targets only
    scoped = steps_of(page(officer, f"/map/campaign/{tra_vinh}?month=2025-12&present=1"))
    assert 0 < len(scoped["steps"]) < 21
    assert scoped["headline"].startswith(f"/{len(scoped['steps'])} ", 1)


def test_without_present_the_pages_carry_only_the_way_in(
    national_client: FlaskClient, tra_vinh: int
) -> None:
    for url in (
        f"/map/campaign/{tra_vinh}?month=2025-12",
        "/map/province/86?month=2025-12",
        "/map/commune/29410",
        f"/map/campaign/{tra_vinh}?month=2025-12&present=0",
    ):
        html = page(national_client, url)
        assert 'id="present-data"' not in html and "present.js" not in html, url
        assert "present.css" not in html and 'id="present-bar"' not in html, url
        entry = re.search(r'<a href="([^"]*present=1)" role="button"', html)
        assert entry, url
        assert entry[1].count("present=") == 1 and entry[1].startswith(url.split("?")[0])
    assert "present=1" not in page(national_client, "/?lang=en")


def test_a_bad_present_value_is_a_400_in_the_readers_language(
    national_client: FlaskClient, tra_vinh: int
) -> None:
    for url in (f"/map/campaign/{tra_vinh}?present=yes", "/map/province/86?present=2"):
        response = national_client.get(url)
        assert response.status_code == 400
        assert "Tham số present phải là 1 hoặc 0" in response.get_data(as_text=True)
    english = national_client.get("/map/commune/29410?present=on&lang=en")
    assert english.status_code == 400
    assert "present must be 1 or 0" in english.get_data(as_text=True)


def test_the_province_steps_through_its_key_areas_most_serious_first(
    national_client: FlaskClient, demo_session: Session
) -> None:
    data = steps_of(page(national_client, "/map/province/86?month=2025-12&present=1"))
    assert data["headline"].startswith("Tỉnh Vĩnh Long: ")
    assert "xã, phường không ma túy" in data["headline"]
    steps = data["steps"]
    key = {label("classification_class", c, "vi"): c for c in RANKED_CLASSES[:3]}
    assert steps, "the demo province has key areas"
    assert all(s["badge"] in key for s in steps)
    ranks = [RANKED_CLASSES.index(key[s["badge"]]) for s in steps]
    assert ranks == sorted(ranks)
    assert f"{len(steps)} địa bàn trọng điểm" in data["headline"]
    for step in steps:
        assert "Tiêu chí đã xác định" in dict(step["facts"]) or step["facts"]
        lon, lat = demo_session.execute(
            sa.text(
                "SELECT ST_X(p), ST_Y(p) FROM admin_unit u, ST_PointOnSurface(u.geom) p "
                "WHERE u.code = :code AND u.valid_to IS NULL"
            ),
            {"code": step["code"]},
        ).one()
        assert inside(step["bounds"], lon, lat)
        assert inside(data["cover"]["bounds"], lon, lat)


def test_the_commune_has_its_overview_only(national_client: FlaskClient) -> None:
    data = steps_of(page(national_client, "/map/commune/29410?present=1"))
    assert data["steps"] == []
    assert data["headline"].startswith(data["cover"]["title"] + ": ")
    assert data["cover"]["badge"] in data["headline"] and data["cover"]["bounds"]
    html = page(national_client, "/map/commune/29410?present=1")
    assert 'id="present-prev"' not in html and 'id="present-exit"' in html
    assert "Thoát trình chiếu" in html and "Trình chiếu" in html
