"""The field page in real Chromium on a 360×740 phone with geolocation, as the officer of
commune 29410: actions taken offline wait in the IndexedDB queue, survive a reload served by
the service worker, and reach the server once each, also when replayed or when a response was
lost after the commit; a stale edit and a point outside the commune are shown and kept.

The module writes, so it runs on its own copy of the demo data (the ``app`` fixture is
overridden here), never on the database the other tests read. The tests run in order and share
one logged-in phone (``phone``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from _browser import PageWatch
from _databases import copy_of
from conftest import app_role_url, browser_log_in, make_settings
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect
from sqlalchemy.engine import Engine

from geo_app.pages.field import MAX_OFFLINE_TILES, TILE_CACHE

OFFICER = "canbo.hoaminh"
ACTOR = "web:" + OFFICER
"""How the audit log names the officer's writes from the web."""
COMMUNE = "29410"
OUTSIDE_SCOPE = "Vị trí nằm ngoài địa bàn của bạn"


@pytest.fixture(scope="module")
def field_db(demo_db: str) -> Iterator[str]:
    """This module's own copy of the demo: its writes never reach the other tests' data."""
    with copy_of(demo_db, "geo_app_test_field_phone") as url:
        yield url


@pytest.fixture(scope="module")
def app(field_db: str) -> Flask:
    """The web app on this module's own database (``live_url`` serves it)."""
    from geo_app import create_app

    application = create_app(make_settings(), database_url=app_role_url(field_db) or field_db)
    application.config["TESTING"] = True
    return application


@pytest.fixture(scope="module")
def db(field_db: str) -> Iterator[Engine]:
    engine = sa.create_engine(field_db)
    yield engine
    engine.dispose()


@dataclass(frozen=True)
class Places:
    hotspot_id: int
    """A cleared hotspot of the commune: the phone stands on it (a new one there is a relapse
    candidate)."""
    here: tuple[float, float]
    """(lon, lat) of that hotspot."""
    box_id: int
    """The commune's tip-off box nearest to it."""
    outside: tuple[float, float]
    """A point in a neighbouring commune (inside Vietnam, outside the officer's scope)."""


PLACES = """
WITH commune AS (
  SELECT id, geom FROM admin_unit
  WHERE code = :code AND level = 'commune' AND valid_to IS NULL
), spot AS (
  SELECT h.id, h.geom FROM hotspot h, commune c
  WHERE ST_Contains(c.geom, h.geom) AND h.deleted_at IS NULL
    AND (SELECT status FROM hotspot_status_on(h.id, h.status, h.cleared_on, h.relapsed_on,
                                              CAST(:today AS date))) = 'cleared'
  ORDER BY h.id LIMIT 1
)
SELECT spot.id AS hotspot_id, ST_X(spot.geom) AS lon, ST_Y(spot.geom) AS lat,
  (SELECT b.id FROM tipoff_box b, commune c WHERE ST_Contains(c.geom, b.geom)
     AND b.deleted_at IS NULL
   ORDER BY b.geom <-> spot.geom LIMIT 1) AS box_id,
  (SELECT ST_AsText(ST_PointOnSurface(n.geom)) FROM admin_unit n, commune c
   WHERE n.level = 'commune' AND n.valid_to IS NULL AND n.id <> c.id
     AND ST_Touches(n.geom, c.geom) LIMIT 1) AS outside
FROM spot
"""


@pytest.fixture(scope="module")
def places(db: Engine) -> Places:
    from geo_app import clock

    with db.connect() as connection:
        row = connection.execute(sa.text(PLACES), {"code": COMMUNE, "today": clock.today()}).one()
    lon, lat = (float(v) for v in row.outside.removeprefix("POINT(").rstrip(")").split())
    return Places(row.hotspot_id, (row.lon, row.lat), row.box_id, (lon, lat))


@dataclass
class Phone:
    context: BrowserContext
    page: Page
    watch: PageWatch
    base: str


def _stand(context: BrowserContext, lon_lat: tuple[float, float]) -> None:
    context.set_geolocation({"longitude": lon_lat[0], "latitude": lon_lat[1], "accuracy": 8})


@pytest.fixture(scope="module")
def phone(browser: Browser, live_url: str, places: Places) -> Iterator[Phone]:
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, permissions=["geolocation"], service_workers="allow"
    )
    _stand(context, places.here)
    page = context.new_page()
    browser_log_in(page, live_url, OFFICER)
    watch = PageWatch(page)
    page.goto(live_url + "/field/")
    _ready(page)
    _until(page, "() => navigator.serviceWorker.controller !== null")
    yield Phone(context, page, watch, live_url)
    context.close()


def _ready(page: Page) -> None:
    page.wait_for_selector("body[data-field-ready=true]", timeout=20000)


def _queue(page: Page) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = page.evaluate("window.fieldQueue.all()")
    return items


def _count(page: Page, state: str) -> int:
    return sum(1 for item in _queue(page) if item["state"] == state)


def _until(page: Page, predicate: str, arg: Any = None, timeout_ms: int = 20000) -> None:
    """Poll ``predicate`` (a page function, maybe async) until it is true (page.evaluate runs
    outside the page's CSP, which forbids the eval a string predicate would need)."""
    waited = 0
    while not page.evaluate(predicate, arg):
        assert waited < timeout_ms, f"still false after {timeout_ms} ms: {predicate}"
        page.wait_for_timeout(200)
        waited += 200


def _wait_for(page: Page, state: str, count: int) -> None:
    try:
        _until(
            page,
            """([state, count]) => window.fieldQueue.all().then(
                 items => items.filter(i => i.state === state).length === count)""",
            [state, count],
        )
    except AssertionError:
        seen = [(i["kind"], i["state"], i.get("message")) for i in _queue(page)]
        raise AssertionError(f"wanted {count} {state}, the queue holds {seen}") from None


ALL_SENT = "() => window.fieldQueue.all().then(i => i.every(x => x.state === 'sent'))"


def _mark_by_gps(page: Page, kind: str) -> None:
    page.click("#field-mark-gps")
    page.wait_for_selector("#field-form:not([hidden])")
    page.select_option("#field-form select[name=kind]", kind)
    page.click("#field-form button[type=submit]")
    page.wait_for_selector("#field-form", state="hidden")


def _open_nearby(page: Page, layer: str, row_id: int) -> None:
    page.click(f".field-open[data-layer={layer}][data-id='{row_id}']")
    page.wait_for_selector("#field-detail:not([hidden])")


def _change_status(page: Page, hotspot_id: int, status: str) -> None:
    _open_nearby(page, "hotspots", hotspot_id)
    page.select_option("#field-status-form select[name=status]", status)
    page.fill("#field-status-form input[name=reason]", "Tái phức tạp sau khi triệt xóa")
    page.click("#field-status-form button[type=submit]")


def _client_ids(page: Page) -> dict[str, str]:
    return {item["client_id"]: item["kind"] for item in _queue(page)}


def _unexpected(watch: PageWatch, *allowed: str) -> list[str]:
    """Console and HTTP errors, less those this test provoked on purpose."""
    return [e for e in watch.errors if not any(a in e for a in allowed)]


def _rows(db: Engine, sql: str, **params: Any) -> int:
    with db.connect() as connection:
        return int(connection.execute(sa.text(sql), params).scalar_one())


def _stored(db: Engine, client_ids: list[str]) -> dict[str, int]:
    ids = [uuid.UUID(c) for c in client_ids]
    return {
        "receipts": _rows(
            db, "SELECT count(*) FROM write_receipt WHERE client_id = ANY(:i)", i=ids
        ),
        "hotspots": _rows(db, "SELECT count(*) FROM hotspot WHERE client_id = ANY(:i)", i=ids),
        "inspections": _rows(
            db, "SELECT count(*) FROM tipoff_inspection WHERE client_id = ANY(:i)", i=ids
        ),
        "audit": _rows(db, "SELECT count(*) FROM audit_log WHERE actor = :o", o=ACTOR),
    }


ACTIONS: dict[str, str] = {}
"""The client ids of the four offline actions (filled by the first test)."""
AUDIT: list[int] = []
"""The officer's audit rows before the first test."""


def test_the_area_map_is_downloaded_after_its_size_is_shown(phone: Phone) -> None:
    page = phone.page
    page.click("#field-download")
    estimate = page.inner_text("#field-download-estimate")
    assert "ô bản đồ, khoảng" in estimate and "MB" in estimate
    tiles = int(estimate.split(" ", 1)[0])
    assert 20 < tiles <= MAX_OFFLINE_TILES
    page.click("#field-download-go")
    expect(page.locator("#field-download-estimate")).to_have_text(
        f"Đã lưu bản đồ: {tiles} ô.", timeout=120000
    )
    assert page.get_attribute("#field-download-progress", "value") == "100"
    kept = page.evaluate(
        "name => caches.open(name).then(c => c.keys()).then(k => k.length)", TILE_CACHE
    )
    assert kept == tiles
    assert phone.watch.errors == []


def test_offline_actions_wait_in_the_queue_and_survive_a_reload(
    phone: Phone, places: Places, db: Engine, output_dir: Path
) -> None:
    page = phone.page
    page.click("#field-locate")  # the nearby list around the phone, kept for offline use
    page.wait_for_selector(f".field-open[data-layer=hotspots][data-id='{places.hotspot_id}']")
    page.wait_for_selector(f".field-open[data-layer=tipoff_boxes][data-id='{places.box_id}']")
    before = _stored(db, [])
    AUDIT.append(before["audit"])
    phone.context.set_offline(True)
    _until(page, "() => !navigator.onLine")
    _mark_by_gps(page, "den")
    page.click("#field-mark-tap")
    area = page.locator("#field-map")
    box = area.bounding_box()
    assert box is not None  # a tap a little off the phone's own position (the map's centre)
    area.click(position={"x": box["width"] * 0.4, "y": box["height"] * 0.4})
    page.wait_for_selector("#field-form:not([hidden])")
    assert "Chọn trên bản đồ" in page.inner_text("#field-where")
    page.click("#field-form button[type=submit]")
    _change_status(page, places.hotspot_id, "relapsed")
    _open_nearby(page, "tipoff_boxes", places.box_id)
    page.fill("#field-inspection-form input[name=letters_received]", "3")
    page.fill("#field-inspection-form input[name=letters_forwarded]", "2")
    page.click("#field-inspection-form button[type=submit]")
    _wait_for(page, "pending", 4)

    page.reload()  # offline: the worker serves the page, the queue is still there
    _ready(page)
    assert page.inner_text("#field-pending-count") == "4"
    assert page.locator("#field-queue .field-pending").count() == 4
    # The map is drawn from the downloaded tiles.
    expect(page.locator(".leaflet-geoAppTiles-pane path").first).to_be_attached()
    page.screenshot(path=str(output_dir / "field_offline_queue.png"), full_page=True)
    ACTIONS.update(_client_ids(page))
    methods = sorted(
        item["body"]["properties"]["placed_by"] for item in _queue(page) if item["kind"] == "create"
    )
    assert methods == ["gps", "tap"]
    assert _stored(db, list(ACTIONS)) == {**before, "receipts": 0}  # nothing left the phone
    assert phone.watch.errors == []


def test_back_online_exactly_those_rows_are_stored_once_with_their_audit(
    phone: Phone, places: Places, db: Engine
) -> None:
    page = phone.page
    phone.context.set_offline(False)
    _wait_for(page, "sent", 4)
    expect(page.locator("#field-pending-count")).to_have_text("0")
    stored = _stored(db, list(ACTIONS))
    assert stored["receipts"] == 4 and stored["hotspots"] == 2 and stored["inspections"] == 1
    assert stored["audit"] == AUDIT[0] + 4  # one audit row per action, none twice
    status = _rows(
        db,
        "SELECT count(*) FROM hotspot_status_change WHERE hotspot_id = :h AND status = 'relapsed'",
        h=places.hotspot_id,
    )
    assert status == 1
    expect(page.locator("#field-today .field-sent")).to_have_count(4)
    # The hotspot marked by GPS stands on a cleared one: flagged at once.
    expect(page.locator("#field-today .field-relapse").first).to_contain_text(
        "Gần điểm đã triệt xóa"
    )
    assert phone.watch.errors == []


def test_the_synced_hotspots_appear_on_the_commune_page(phone: Phone, db: Engine) -> None:
    """What the officer sent is on the commander's map of the commune, each once, and the
    hotspot marked beside a cleared one is listed there as a suspected relapse."""
    ids = [uuid.UUID(c) for c, kind in ACTIONS.items() if kind == "create"]
    with db.connect() as connection:
        made = connection.execute(
            sa.text("SELECT id, relapse_of_id FROM hotspot WHERE client_id = ANY(:i)"), {"i": ids}
        ).all()
    assert len(made) == 2
    page = phone.context.new_page()
    try:
        page.goto(phone.base + "/map/commune/29410")
        html = page.content()
        for row in made:  # one row each (counted above); here: drawn on the commune's map
            hotspot = rf'"id":\s*{row.id},\s*"is_demo":\s*false,\s*"kind":'  # sorted keys
            assert re.search(hotspot, html), row.id
        relapse = page.inner_text(".relapse-list")
        flagged = [row.id for row in made if row.relapse_of_id is not None]
        assert flagged and all(f"#{row_id}" in relapse for row_id in flagged)
    finally:
        page.close()


def test_replaying_the_same_queue_creates_nothing(phone: Phone, db: Engine) -> None:
    page = phone.page
    before = _stored(db, list(ACTIONS))
    page.evaluate(
        """() => window.fieldQueue.all().then(items => Promise.all(items.map(item =>
             window.fieldQueue.put(Object.assign(item, {state: "pending", nextAt: 0})))))"""
    )
    page.click("#field-send")
    _wait_for(page, "sent", 4)
    assert _stored(db, list(ACTIONS)) == before
    assert phone.watch.errors == []


def test_a_response_lost_after_the_commit_is_retried_without_a_duplicate(
    phone: Phone, db: Engine
) -> None:
    page = phone.page
    lost: list[int] = []

    def commit_then_drop(route: Route) -> None:
        if route.request.method == "POST" and not lost:
            lost.append(route.fetch().status)  # the server commits; the phone never hears
            route.abort()
        else:
            route.continue_()

    page.route("**/api/hotspots", commit_then_drop)
    _mark_by_gps(page, "retail")
    _until(page, "() => window.fieldQueue.all().then(i => i.some(x => x.attempts > 0))")
    page.unroute("**/api/hotspots")
    assert lost == [201]
    (new_id,) = [c for c in _client_ids(page) if c not in ACTIONS]
    assert _stored(db, [new_id])["hotspots"] == 1  # stored although the phone did not learn it
    page.click("#field-send")
    _wait_for(page, "sent", 5)
    after = _stored(db, [new_id])
    assert (after["receipts"], after["hotspots"]) == (1, 1)
    assert after["audit"] == AUDIT[0] + 5
    ACTIONS[new_id] = "create"
    assert _unexpected(phone.watch, "ERR_FAILED", "/api/hotspots") == []
    phone.watch.errors.clear()


def test_a_stale_edit_shows_both_versions_and_can_be_fixed(phone: Phone, places: Places) -> None:
    page = phone.page
    page.reload()
    _ready(page)
    page.wait_for_load_state("networkidle")
    _open_nearby(page, "hotspots", places.hotspot_id)
    shown = page.evaluate(
        """id => window.fieldQueue.getState("nearby").then(
             items => items.find(i => i.layer === "hotspots" && i.id === id).version)""",
        places.hotspot_id,
    )
    # Someone else changes the hotspot meanwhile (another phone, the same API).
    answer = page.evaluate(
        """([url, version]) => fetch("/field/token").then(r => r.json()).then(t => fetch(url, {
             method: "PATCH", headers: {"Content-Type": "application/json",
             "X-CSRF-Token": t.csrf, "If-Match": '"' + version + '"'},
             body: JSON.stringify({client_id: crypto.randomUUID(),
               properties: {notes: "Đã xác minh lại"}})})).then(r => r.status)""",
        [f"/api/hotspots/{places.hotspot_id}", shown],
    )
    assert answer == 200
    page.select_option("#field-status-form select[name=status]", "cleared")
    page.fill("#field-status-form input[name=reason]", "Đã triệt xóa")
    page.click("#field-status-form button[type=submit]")
    rejected = page.locator("#field-queue .field-rejected")
    rejected.wait_for(timeout=20000)
    assert f"phiên bản {shown}" in rejected.locator(".field-yours").inner_text()
    assert f"phiên bản {shown + 1}" in rejected.locator(".field-current").inner_text()
    rejected.locator(".field-fix").click()
    page.wait_for_selector("#field-detail:not([hidden])")
    page.select_option("#field-status-form select[name=status]", "cleared")
    page.fill("#field-status-form input[name=reason]", "Đã triệt xóa")
    page.click("#field-status-form button[type=submit]")
    _until(page, ALL_SENT)
    assert _unexpected(phone.watch, "409") == []
    phone.watch.errors.clear()


def test_a_point_outside_the_commune_is_refused_with_the_servers_message_and_kept(
    phone: Phone, places: Places, db: Engine
) -> None:
    page = phone.page
    _stand(phone.context, places.outside)
    _mark_by_gps(page, "use_site")
    rejected = page.locator("#field-queue .field-rejected")
    rejected.wait_for(timeout=20000)
    assert OUTSIDE_SCOPE in rejected.locator(".field-message").inner_text()
    (refused,) = [i["client_id"] for i in _queue(page) if i["state"] == "rejected"]
    assert _stored(db, [refused])["receipts"] == 0
    page.reload()
    _ready(page)
    assert page.inner_text("#field-rejected-count") == "1"  # kept until fixed or discarded
    page.click("#field-queue .field-rejected .field-discard")
    _until(page, ALL_SENT)
    assert _unexpected(phone.watch, "403") == []
    phone.watch.errors.clear()
    _stand(phone.context, places.here)


def test_a_session_ended_pauses_the_queue_until_the_officer_logs_in_again(
    phone: Phone, db: Engine
) -> None:
    from geo_app.demo.accounts import DEMO_PASSWORD

    page = phone.page
    page.evaluate(
        """() => fetch("/field/token").then(r => r.json()).then(t => fetch("/logout", {
             method: "POST", body: new URLSearchParams({csrf_token: t.csrf})}))"""
    )
    _mark_by_gps(page, "complex_point")
    page.wait_for_selector("#field-relogin:not([hidden])")
    (waiting,) = [i["client_id"] for i in _queue(page) if i["state"] == "pending"]
    assert _stored(db, [waiting])["receipts"] == 0
    page.click("#field-relogin-link")
    page.wait_for_selector("input[name=login]")
    page.fill("input[name=login]", OFFICER)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url("**/field/")
    _ready(page)
    _until(page, ALL_SENT)
    assert _stored(db, [waiting])["receipts"] == 1
    expect(page.locator("#field-relogin")).to_be_hidden()
    assert _unexpected(phone.watch, "401") == []


KEPT_PAGES = """(path) => caches.keys().then(names => Promise.all(names.map(name =>
  caches.open(name).then(c => c.keys()).then(rs => rs.filter(r => new URL(r.url).pathname === path)
    .length)))).then(counts => counts.reduce((a, b) => a + b, 0))"""


def _log_out(page: Page) -> None:
    page.evaluate(
        """() => fetch("/field/token").then(r => r.json()).then(t => fetch("/logout", {
             method: "POST", body: new URLSearchParams({csrf_token: t.csrf})}))"""
    )


def test_on_a_shared_phone_the_queue_waits_for_its_maker_and_logout_forgets_the_page(
    phone: Phone, db: Engine
) -> None:
    """An officer's queued action is never sent under the next user's login, and the login
    page drops the field page kept for offline use (it names the last user)."""
    page = phone.page
    assert page.evaluate(KEPT_PAGES, "/field/") >= 1  # kept while logged in
    _log_out(page)
    _mark_by_gps(page, "complex_point")
    (waiting,) = [i["client_id"] for i in _queue(page) if i["state"] == "pending"]
    page.goto(phone.base + "/login")
    page.wait_for_selector("[data-field-page-forgotten='1']")
    assert page.evaluate(KEPT_PAGES, "/field/") == 0
    browser_log_in(page, phone.base, "quantri")
    page.goto(phone.base + "/field/")
    _ready(page)
    note = page.locator(f"#field-queue li[data-client-id='{waiting}'] .field-other-login")
    expect(note).to_have_text(f"Do {OFFICER} tạo: sẽ gửi khi {OFFICER} đăng nhập trên máy này.")
    page.click("#field-send")
    page.wait_for_timeout(1500)
    assert _stored(db, [waiting])["receipts"] == 0
    assert [i["state"] for i in _queue(page) if i["client_id"] == waiting] == ["pending"]
    _log_out(page)
    browser_log_in(page, phone.base, OFFICER)
    page.goto(phone.base + "/field/")
    _ready(page)
    _until(page, ALL_SENT)
    assert _stored(db, [waiting])["receipts"] == 1
    sent_by = "SELECT count(*) FROM write_receipt WHERE client_id = :c AND actor = :a"
    assert _rows(db, sent_by, c=uuid.UUID(waiting), a=ACTOR) == 1
    assert _unexpected(phone.watch, "401") == []
