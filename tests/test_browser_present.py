"""Briefing mode in real headless Chromium: the keys step through the campaign's targets, the
caption says what the page's JSON says, the map moves to each target, the headline and the
legend stay in view, a reload keeps the step, Esc leaves; at projector and tablet sizes, under
the page's CSP with no console error. Screenshots go to test-output/.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from _browser import assert_local, open_page
from playwright.sync_api import Browser, Page, expect

VIEW = """(name) => {
  const m = window[name], c = m.getCenter();
  return [c.lat, c.lng, m.getZoom()];
}"""
SHOWN = """(selector) => {
  const node = document.querySelector(selector);
  if (!node) return false;
  const box = node.getBoundingClientRect();
  if (box.width === 0 || box.height === 0) return false;
  const x = box.left + box.width / 2, y = box.top + Math.min(box.height / 2, 12);
  if (x < 0 || y < 0 || x > innerWidth || y > innerHeight) return false;
  const top = document.elementFromPoint(x, y);
  return node === top || node.contains(top);
}"""
"""Whether an element is on screen and on top at its centre (nothing covers it)."""
IN_VIEW = """([name, b]) => window[name].getBounds().contains(
  L.latLngBounds([b[0], b[1]], [b[2], b[3]]).getCenter())"""


def steps_of(page: Page) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(page.inner_text("#present-data"))
    return data


def counter_is(page: Page, text: str) -> None:
    page.wait_for_function(
        "(t) => document.getElementById('present-counter').textContent === t", arg=text
    )


def assert_caption(page: Page, step: dict[str, Any]) -> None:
    """The caption writes the step's name, class, facts and every verdict of its checklist."""
    assert page.inner_text("#present-caption .present-title") == step["title"]
    assert page.inner_text("#present-caption .present-badge") == step["badge"]
    facts = page.inner_text("#present-caption .present-facts")
    assert all(label in facts and value in facts for label, value in step["facts"])
    verdicts = page.eval_on_selector_all(
        "#present-caption .present-check", "items => items.map(i => i.dataset.verdict)"
    )
    assert verdicts == [c["verdict"] for c in step["checks"]]
    labels = page.eval_on_selector_all(
        "#present-caption .present-check-label", "items => items.map(i => i.textContent)"
    )
    assert labels == [c["label"] for c in step["checks"]]


def assert_chrome(page: Page) -> None:
    """The headline and the legend on top; panels, menus and the layer control gone."""
    assert page.evaluate(SHOWN, "#present-headline")
    assert page.evaluate(SHOWN, ".geo-app-legend, .campaign-legend")
    for hidden in (".topbar", ".panel", ".leaflet-control-layers"):
        assert not page.locator(hidden).first.is_visible(), hidden
    box = page.locator(".folium-map").bounding_box()
    size = page.viewport_size
    assert box is not None and size is not None
    assert box["width"] == size["width"] and abs(box["y"] + box["height"] - size["height"]) < 1


def test_the_keys_step_through_the_campaign_targets(
    browser: Browser, live_url: str, tra_vinh: int, output_dir: Path
) -> None:
    url = f"{live_url}/map/campaign/{tra_vinh}?month=2025-12&present=1"
    page, watch = open_page(browser, url, 1920, 1080)
    data = steps_of(page)
    steps, name = data["steps"], data["map"]
    assert len(steps) == 21
    assert page.inner_text("#present-headline").startswith("7/21 mục tiêu đã được công nhận")
    assert page.inner_text("#present-counter") == "Tổng quan"
    assert page.eval_on_selector(".campaign-legend details", "d => d.open")
    assert_chrome(page)
    assert (
        page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)") >= 26
    )
    page.screenshot(path=str(output_dir / "present_campaign_cover_1920.png"))
    cover = page.evaluate(VIEW, name)

    page.keyboard.press("ArrowRight")
    counter_is(page, "1/21")
    assert_caption(page, steps[0])
    page.wait_for_function(f"(n) => ({VIEW})(n)[2] > {cover[2]}", arg=name)
    page.wait_for_function(f"([n, b]) => ({IN_VIEW})([n, b])", arg=[name, steps[0]["bounds"]])
    assert page.url.endswith("#1")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    counter_is(page, "3/21")
    assert_caption(page, steps[2])
    page.wait_for_function(f"([n, b]) => ({IN_VIEW})([n, b])", arg=[name, steps[2]["bounds"]])
    assert page.url.endswith("#3")
    assert_chrome(page)
    page.wait_for_timeout(600)
    page.screenshot(path=str(output_dir / "present_campaign_target3_1920.png"))

    page.reload(wait_until="networkidle")  # the step survives a reload
    name = steps_of(page)["map"]  # folium names the map anew on every render
    counter_is(page, "3/21")
    assert_caption(page, steps[2])
    page.wait_for_function(f"([n, b]) => ({IN_VIEW})([n, b])", arg=[name, steps[2]["bounds"]])
    page.keyboard.press("ArrowLeft")
    counter_is(page, "2/21")
    page.click("#present-next")
    counter_is(page, "3/21")
    page.click("#present-prev")
    counter_is(page, "2/21")
    assert_caption(page, steps[1])
    page.keyboard.press("End")
    counter_is(page, "Tổng quan")
    assert not page.url.endswith("#2") and "#" not in page.url
    # back to the cover's zoom once the zoom animation ends
    page.wait_for_function(f"(n) => ({VIEW})(n)[2] <= {cover[2]}", arg=name)
    page.keyboard.press("Home")
    counter_is(page, "Tổng quan")
    assert page.is_disabled("#present-prev")

    page.keyboard.press("Escape")  # back to the normal page, same month
    page.wait_for_url(f"{live_url}/map/campaign/{tra_vinh}?month=2025-12")
    page.wait_for_selector(".campaign-panel", state="visible")
    assert page.locator("#present-data").count() == 0
    assert watch.errors == []
    assert_local(watch, live_url)
    page.close()


def test_full_screen_on_a_click_and_the_way_in(
    browser: Browser, live_url: str, tra_vinh: int
) -> None:
    page, watch = open_page(browser, f"{live_url}/map/campaign/{tra_vinh}", 1280, 720)
    page.click(".present-entry a")
    page.wait_for_selector("#present-bar")
    assert "present=1" in page.url
    page.click("#present-fullscreen")
    page.wait_for_function("() => document.fullscreenElement !== null")
    expect(page.locator("#present-fullscreen")).to_have_attribute("aria-pressed", "true")
    page.keyboard.press("ArrowRight")
    counter_is(page, "1/21")
    assert_chrome(page)
    page.click("#present-fullscreen")
    page.wait_for_function("() => document.fullscreenElement === null")
    page.click("#present-exit")
    page.wait_for_selector(".campaign-panel", state="visible")
    assert "present" not in page.url
    assert watch.errors == []
    page.close()


def test_the_province_on_a_small_projector(
    browser: Browser, live_url: str, output_dir: Path
) -> None:
    page, watch = open_page(browser, f"{live_url}/map/province/86?present=1", 1280, 720)
    data = steps_of(page)
    assert data["steps"], "the demo province has key areas"
    assert_chrome(page)
    page.keyboard.press("ArrowRight")
    counter_is(page, f"1/{len(data['steps'])}")
    assert_caption(page, data["steps"][0])
    caption = page.locator("#present-caption").bounding_box()
    legend = page.locator(".geo-app-legend").bounding_box()
    assert caption is not None and legend is not None
    assert caption["x"] + caption["width"] <= legend["x"]  # side by side, neither covered
    assert_chrome(page)
    page.wait_for_timeout(600)
    page.screenshot(path=str(output_dir / "present_province_86_1280x720.png"))
    assert watch.errors == []
    assert_local(watch, live_url)
    page.close()


def test_the_commune_on_a_tablet(browser: Browser, live_url: str, output_dir: Path) -> None:
    page, watch = open_page(browser, f"{live_url}/map/commune/29410?present=1", 768, 1024)
    assert page.locator("#present-prev").count() == 0  # one place: the overview only
    assert page.is_visible("#present-caption .present-badge")
    assert_chrome(page)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    page.keyboard.press("ArrowRight")  # nothing to step to: nothing breaks
    page.screenshot(path=str(output_dir / "present_commune_tablet.png"))
    english, english_watch = open_page(
        browser, f"{live_url}/map/commune/29410?present=1&lang=en", 768, 1024
    )
    assert english.inner_text("#present-exit") == "Exit presentation"
    assert watch.errors == [] and english_watch.errors == []
    english.close()
    page.close()
