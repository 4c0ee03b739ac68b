"""A hotspot's popup on the commune map links to its history, on a phone (390 px): the writes
made here through the field API read back as a timeline, with no console error.

The module serves its own copy of the demo database (its writes never reach the other tests).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from _browser import assert_local, open_page
from _databases import copy_of
from conftest import app_role_url, make_settings
from flask import Flask
from playwright.sync_api import Browser
from test_field_api import OFFICER, _hotspot, _patch, _post

from geo_app import create_app

PHONE = (390, 844)


@pytest.fixture(scope="module")
def app(app: Flask, demo_db: str) -> Iterator[Flask]:
    """The app on a copy of the demo database (``live_url`` serves this one here)."""
    for key in ("geo_app.engine", "geo_app.bare_engine"):
        if key in app.extensions:
            app.extensions[key].dispose()
    with copy_of(demo_db, "geo_app_test_history") as url:
        made = create_app(make_settings(), database_url=app_role_url(url) or url)
        made.config["TESTING"] = True
        yield made
        made.extensions["geo_app.engine"].dispose()


def _lonely_point(app: Flask) -> tuple[float, float]:
    """A point of commune 29410 over a kilometre from any hotspot (alone on the map at z17)."""
    engine = sa.create_engine(app.extensions["geo_app.engine"].url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        point = conn.execute(
            sa.text(
                """
                WITH c AS (SELECT geom FROM admin_unit WHERE code = '29410' AND valid_to IS NULL),
                pts AS (SELECT (ST_Dump(ST_GeneratePoints(c.geom, 400, 11))).geom AS p FROM c)
                SELECT ST_X(p), ST_Y(p) FROM pts WHERE NOT EXISTS (SELECT 1 FROM hotspot h
                    WHERE ST_DWithin(h.geom::geography, p::geography, 1000)) LIMIT 1
                """
            )
        ).one()
    engine.dispose()
    return float(point[0]), float(point[1])


def _write(app: Flask, where: tuple[float, float]) -> int:
    client = app.test_client()
    geometry = {"type": "Point", "coordinates": list(where)}
    made = _post(client, "/api/hotspots", _hotspot(geometry, notes="Sau bến đò"))
    assert made.status_code == 201, made.get_json()
    path = f"/api/hotspots/{made.get_json()['id']}"
    for version, props, reason in (
        (1, {"kind": "den"}, "Xác minh lại loại điểm"),
        (2, {"status": "cleared"}, "Đã triệt phá ổ nhóm"),
    ):
        body = {"client_id": str(uuid.uuid4()), "properties": props, "reason": reason}
        assert _patch(client, path, body, version).status_code == 200
    return int(made.get_json()["id"])


def test_a_hotspot_popup_links_to_its_history_on_a_phone(
    app: Flask, browser: Browser, live_url: str, output_dir: Path
) -> None:
    where = _lonely_point(app)
    row_id = _write(app, where)
    page, watch = open_page(browser, live_url + "/map/commune/29410", *PHONE)
    spot = page.evaluate(
        """([lat, lon]) => {
            const map = Object.values(window).find((v) => v instanceof L.Map);
            map.setView([lat, lon], 17, {animate: false});
            const at = map.latLngToContainerPoint([lat, lon]);
            const box = map.getContainer().getBoundingClientRect();
            return [box.left + at.x, box.top + at.y];
        }""",
        [where[1], where[0]],
    )
    page.wait_for_timeout(500)  # the cluster redraws at the new zoom
    page.mouse.click(spot[0], spot[1])
    link = page.locator(".leaflet-popup-content a.history-link")
    link.wait_for(timeout=5000)
    assert link.inner_text() == "Lịch sử"
    assert link.get_attribute("href") == f"/history/hotspots/{row_id}"
    link.click()
    page.wait_for_url(f"**/history/hotspots/{row_id}")
    entries = page.locator(".history-entry")
    assert entries.count() == 3
    texts = [entries.nth(i).inner_text() for i in range(3)]
    assert "Đổi tình trạng" in texts[0] and "Đã triệt phá ổ nhóm" in texts[0]
    assert "Sửa" in texts[1] and "Xác minh lại loại điểm" in texts[1]
    assert "Tạo mới" in texts[2] and "Sau bến đò" in texts[2]
    assert all(f"web:{OFFICER}" in text for text in texts)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    page.screenshot(path=str(output_dir / "history_hotspot_390.png"), full_page=True)
    assert watch.errors == []
    assert_local(watch, live_url)
    page.close()
