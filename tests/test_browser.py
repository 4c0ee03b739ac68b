"""Real headless Chromium (Debian's /usr/bin/chromium) on the served pages: offline, no errors.

Screenshots go to test-output/ so a person can look at what the tests saw.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _browser import assert_local, open_page
from playwright.sync_api import Browser


@pytest.mark.parametrize(
    "path", ["/", "/map/province/86", "/map/commune/29242", "/map/province/86?lang=en"]
)
def test_page_loads_offline_without_errors(
    browser: Browser, live_url: str, output_dir: Path, path: str
) -> None:
    page, watch = open_page(browser, live_url + path, 1920, 1080)
    assert watch.errors == []
    assert_local(watch, live_url)
    # Leaflet drew the layers (canvas renderer) and the layer control and scale bar are there.
    assert page.locator(".leaflet-overlay-pane canvas, .leaflet-overlay-pane svg").count() >= 1
    assert page.locator(".leaflet-control-layers").count() == 1
    assert page.locator(".leaflet-control-scale").count() == 1
    name = path.strip("/").replace("/", "_").replace("?", "_") or "national"
    page.screenshot(path=str(output_dir / f"page_{name}.png"))
    page.close()


def test_clicking_a_commune_opens_its_popup(browser: Browser, live_url: str) -> None:
    page, watch = open_page(browser, live_url + "/map/commune/29242", 1280, 800)
    box = page.locator(".leaflet-container").bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for(timeout=5000)
    text = popup.inner_text()
    assert "Tên" in text and "Mã" in text
    assert "29242" in text
    assert watch.errors == []
    page.close()


def test_phone_viewport_has_no_horizontal_scroll(
    browser: Browser, live_url: str, output_dir: Path
) -> None:
    page, watch = open_page(browser, live_url + "/map/province/86", 360, 740)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    map_box = page.locator(".leaflet-container").bounding_box()
    assert map_box is not None and map_box["width"] <= 360 and map_box["height"] > 300
    page.locator(".panel").scroll_into_view_if_needed()
    assert page.locator(".panel .unit-list li").count() == 124
    page.screenshot(path=str(output_dir / "phone_province_86.png"), full_page=False)
    assert watch.errors == []
    page.close()
