"""The campaign page in real headless Chromium (Debian's /usr/bin/chromium): offline, no errors,
the month slider and the play button redraw the map, and a phone shows map and panel without
horizontal scrolling. Screenshots go to test-output/.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from _browser import PageWatch, assert_local
from conftest import browser_log_in
from playwright.sync_api import Browser, Page

from geo_app.layers.campaign_progress import NOT_EVALUATED, PROGRESS_COLOURS, SHARE_STEPS

GREY = PROGRESS_COLOURS[NOT_EVALUATED]
SHARES = [PROGRESS_COLOURS[name] for _, _, name in SHARE_STEPS]
COUNT_FILLS = """(colours) => Array.from(document.querySelectorAll(
    ".leaflet-geoAppTiles-pane svg path")).filter(p => colours.includes(p.getAttribute("fill")))
    .length"""


INSIDE_A_TARGET = """(colours) => {
  const config = JSON.parse(document.getElementById("campaign-config").textContent);
  const map = window[config.map];
  Object.keys(config.grids).filter(name => name !== config.progressGrid)
    .forEach(name => map.removeLayer(window[name]));
  const paths = Array.from(document.querySelectorAll(".leaflet-geoAppTiles-pane svg path"))
    .filter(p => colours.includes(p.getAttribute("fill")));
  for (const path of paths) {
    const box = path.getBoundingClientRect();
    const toUser = path.getScreenCTM().inverse();
    for (let i = 1; i < 10; i++) {
      for (let j = 1; j < 10; j++) {
        const x = box.left + box.width * i / 10, y = box.top + box.height * j / 10;
        const inside = path.isPointInFill(new DOMPoint(x, y).matrixTransform(toUser));
        if (inside && document.elementFromPoint(x, y) === path) {
          return [x, y];
        }
      }
    }
  }
  throw new Error("no target polygon to click");
}"""


def _logged_in_page(browser: Browser, live_url: str, width: int, height: int) -> Page:
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    browser_log_in(page, live_url)
    return page


def _wait_until(page: Page, condition: Callable[[], bool], seconds: float = 10) -> None:
    """Poll ``condition`` (a check of what the page did) while the page runs."""
    for _ in range(int(seconds * 10)):
        if condition():
            return
        page.wait_for_timeout(100)
    raise AssertionError("the page did not get there in time")


def test_the_month_slider_redraws_the_campaign(
    browser: Browser, live_url: str, tra_vinh: int, output_dir: Path
) -> None:
    page = _logged_in_page(browser, live_url, 1920, 1080)
    watch = PageWatch(page)
    page.goto(f"{live_url}/map/campaign/{tra_vinh}?month=2025-11", wait_until="networkidle")
    page.wait_for_function(f"() => ({COUNT_FILLS})({SHARES!r}) > 0")
    headline = page.inner_text("#campaign-headline")
    assert headline.endswith("mục tiêu đã được công nhận; chỉ tiêu 21 (20 % của 104)")
    assert not headline.startswith("0/")
    assert page.inner_text("#campaign-month-label") == "11/2025"
    assert page.locator("#campaign-targets li.target").count() == 21
    assert page.evaluate(COUNT_FILLS, [GREY]) == 0  # every target evaluated by November
    assert watch.tile_months("campaign") == {"2025-11-30"}
    assert watch.tile_months("campaign") == {"2025-11-30"}
    assert page.locator(".campaign-legend .legend-row").count() >= 6
    assert page.locator(".leaflet-control-layers").count() == 1
    assert page.locator(".leaflet-control-scale").count() == 1
    page.wait_for_timeout(400)  # let the tiles fade in for the screenshot
    page.screenshot(path=str(output_dir / "campaign_tra_vinh_2025-11.png"))

    # Back to the baseline month: nothing evaluated yet, so every target turns grey.
    page.focus("#campaign-month")
    page.keyboard.press("Home")
    page.wait_for_function(
        "() => document.getElementById('campaign-headline').textContent.startsWith('0/21 ')"
    )
    page.wait_for_function(f"() => ({COUNT_FILLS})({[GREY]!r}) > 0")
    page.wait_for_function(f"() => ({COUNT_FILLS})({SHARES!r}) === 0")
    assert page.inner_text("#campaign-month-label") == "02/2025"
    assert "2025-02-28" in watch.tile_months("campaign")
    assert "2025-02-28" in watch.tile_months("campaign")
    progress = page.eval_on_selector_all(
        "#campaign-targets li.target", "items => items.map(i => i.dataset.progress)"
    )
    assert progress == [NOT_EVALUATED] * 21
    assert "month=2025-02" in page.url
    page.wait_for_timeout(400)
    page.screenshot(path=str(output_dir / "campaign_tra_vinh_2025-02.png"))

    # Play moves on by itself, month after month, until paused.
    page.click("#campaign-play")
    assert page.get_attribute("#campaign-play", "aria-pressed") == "true"
    page.wait_for_function(
        "() => document.getElementById('campaign-month-label').textContent !== '02/2025'",
        timeout=10_000,
    )
    page.click("#campaign-play")
    assert page.get_attribute("#campaign-play", "aria-pressed") == "false"
    page.wait_for_function(
        "() => document.getElementById('campaign-as-of').getAttribute('datetime') !== '2025-02-28'"
    )
    shown = page.get_attribute("#campaign-as-of", "datetime")
    assert shown is not None and shown >= "2025-03-31"
    _wait_until(page, lambda: shown in watch.tile_months("campaign"))
    assert watch.errors == []
    assert_local(watch, live_url)
    page.close()


def test_clicking_a_target_opens_its_checklist(
    browser: Browser, live_url: str, tra_vinh: int
) -> None:
    page = _logged_in_page(browser, live_url, 1280, 800)
    watch = PageWatch(page)
    page.goto(f"{live_url}/map/campaign/{tra_vinh}?month=2025-11", wait_until="networkidle")
    page.wait_for_function(f"() => ({COUNT_FILLS})({SHARES!r}) > 0")
    # Hotspots off (they could lie on top), then a pixel that only a target polygon covers.
    x, y = page.evaluate(INSIDE_A_TARGET, SHARES)
    page.mouse.click(x, y)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    text = popup.inner_text()
    assert "Tiến độ" in text and "Số tiêu chí đạt" in text
    opened = page.locator("#campaign-targets li.target details[open]")
    opened.wait_for(timeout=5000)
    assert opened.locator(".checklist li").count() >= 5
    assert opened.locator(".criterion-met").count() >= 1
    assert watch.errors == []
    page.close()


def test_a_phone_shows_map_then_panel_without_horizontal_scroll(
    browser: Browser, live_url: str, tra_vinh: int, output_dir: Path
) -> None:
    page = _logged_in_page(browser, live_url, 360, 740)
    watch = PageWatch(page)
    page.goto(f"{live_url}/map/campaign/{tra_vinh}", wait_until="networkidle")
    page.wait_for_selector(".leaflet-container")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    map_box = page.locator(".leaflet-container").bounding_box()
    panel_box = page.locator(".campaign-panel").bounding_box()
    slider_box = page.locator("#campaign-month").bounding_box()
    assert map_box is not None and panel_box is not None and slider_box is not None
    assert map_box["width"] <= 360 and map_box["height"] > 300
    assert panel_box["y"] >= map_box["y"] + map_box["height"] - 1  # the panel below the map
    assert slider_box["x"] >= 0 and slider_box["x"] + slider_box["width"] <= 360
    assert page.eval_on_selector(".campaign-legend details", "d => d.open") is False  # folded
    page.wait_for_timeout(400)
    page.screenshot(path=str(output_dir / "phone_campaign_tra_vinh.png"))
    page.locator(".campaign-panel").scroll_into_view_if_needed()
    assert page.locator("#campaign-targets li.target").count() == 21
    page.screenshot(path=str(output_dir / "phone_campaign_tra_vinh_panel.png"))
    assert watch.errors == []
    assert_local(watch, live_url)
    page.close()


def test_the_summary_panel_follows_the_month_slider(
    browser: Browser, live_url: str, tra_vinh: int, output_dir: Path
) -> None:
    page = _logged_in_page(browser, live_url, 1920, 1080)
    watch = PageWatch(page)
    page.goto(f"{live_url}/map/campaign/{tra_vinh}?month=2025-11", wait_until="networkidle")
    panel = page.locator("#summary-panel")
    assert panel.get_attribute("data-on") == "2025-11-30"
    assert panel.get_attribute("data-area") == "86"
    box = panel.bounding_box()
    assert box is not None and box["x"] > 1920 / 2 and box["y"] < 1080  # beside the map
    november = panel.inner_text()
    assert "Tóm tắt" in november and "Tính đến 30/11/2025" in november

    page.focus("#campaign-month")
    page.keyboard.press("Home")
    page.wait_for_function(
        "() => document.getElementById('summary-panel').dataset.on === '2025-02-28'"
    )
    february = page.locator("#summary-panel").inner_text()
    assert "Tính đến 28/02/2025" in february and february != november
    assert page.locator("#summary-panel").count() == 1  # replaced, not piled up
    assert page.locator("#summary-panel link[rel=stylesheet]").count() == 1
    assert any("/api/summary?" in url and "area=86" in url for url in watch.requests)
    page.screenshot(path=str(output_dir / "campaign_summary_2025-02.png"))
    assert watch.errors == []
    assert_local(watch, live_url)
    page.close()
