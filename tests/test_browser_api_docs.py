"""The API page (``/api/docs``) in real headless Chromium on a phone: Vietnamese first, every
group and operation shown, an operation opens to its parameters, answers and curl line, nothing
from the internet, no console error (the CSP included). A screenshot goes to test-output/."""

from __future__ import annotations

from pathlib import Path

from _browser import PageWatch, assert_local
from conftest import browser_log_in
from playwright.sync_api import Browser

from geo_app.layers import REGISTRY

PHONE = {"width": 390, "height": 844}


def test_the_api_page_on_a_phone(browser: Browser, live_url: str, output_dir: Path) -> None:
    page = browser.new_context(viewport=PHONE).new_page()
    browser_log_in(page, live_url, "canbo.hoaminh")
    watch = PageWatch(page)
    page.goto(f"{live_url}/api/docs", wait_until="networkidle")
    assert page.inner_text("h1") == "Giao diện lập trình JSON (API)"
    assert page.locator(".api-group").count() >= 7
    features = page.locator("details.api-op", has_text="/api/layers/hotspots/features")
    assert page.locator("details.api-op").count() > 2 * len(REGISTRY)
    one = features.first
    one.locator("summary").click()
    assert one.locator(".api-params tbody tr").count() >= 9  # bbox, zoom, month, area, …
    assert "Tham số" in one.inner_text() and "Kết quả trả về" in one.inner_text()
    assert "curl -u TÊN_ĐĂNG_NHẬP:MẬT_KHẨU -X GET" in one.locator(".api-curl").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(output_dir / "api_docs_phone.png"), full_page=False)

    page.click("text=English")
    page.wait_for_load_state("networkidle")
    assert page.inner_text("h1") == "The JSON API"
    assert watch.errors == []
    assert_local(watch, live_url)
    page.close()
