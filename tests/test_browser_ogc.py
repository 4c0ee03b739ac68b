"""The OGC API's HTML items and item pages in real headless Chromium on a phone: the map is
drawn from the app's own Leaflet, nothing leaves the machine, no console error, no sideways
scroll at 390 px."""

from __future__ import annotations

from pathlib import Path

from _browser import assert_local, open_page
from playwright.sync_api import Browser

PHONE = (390, 844)


def test_the_items_page_draws_its_features_on_a_phone(
    browser: Browser, live_url: str, output_dir: Path
) -> None:
    url = f"{live_url}/ogc/collections/hotspots/items?limit=40&f=html"
    page, watch = open_page(browser, url, *PHONE)
    holder = page.locator("#ogc-map")
    assert holder.get_attribute("data-drawn") == "40"
    assert page.locator("#ogc-map path.leaflet-interactive").count() == 40
    assert page.locator("table.ogc-items tbody tr").count() == 40
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    box = holder.bounding_box()
    assert box is not None and box["width"] <= PHONE[0] and box["height"] > 250
    page.screenshot(path=str(output_dir / "ogc_items_phone.png"))
    page.locator("#ogc-map path.leaflet-interactive").first.click(force=True)
    link = page.locator(".leaflet-popup-content a")
    link.wait_for(timeout=5000)
    link.click()
    page.wait_for_selector("table.ogc-properties")
    assert "/ogc/collections/hotspots/items/" in page.url
    assert page.locator("#ogc-map").get_attribute("data-drawn") == "1"
    assert "Tình trạng" in page.locator("table.ogc-properties").inner_text()
    assert watch.errors == []
    assert_local(watch, live_url)
    page.close()


def test_an_area_item_page_in_english(browser: Browser, live_url: str) -> None:
    url = f"{live_url}/ogc/collections/communes/items/29410?f=html&lang=en"
    page, watch = open_page(browser, url, *PHONE)
    assert page.locator("#ogc-map").get_attribute("data-drawn") == "1"
    assert page.locator("#ogc-map path.leaflet-interactive").count() == 1
    assert "Name" in page.locator("table.ogc-properties").inner_text()
    assert watch.errors == []
    page.close()
