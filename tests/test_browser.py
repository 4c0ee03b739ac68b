"""Real headless Chromium (Debian's /usr/bin/chromium) on the served pages: offline, no errors.

Screenshots go to test-output/ so a person can look at what the tests saw.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest
from conftest import browser_log_in
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
from waitress.server import create_server

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def live_url(app: Flask) -> Iterator[str]:
    """The app served by waitress on a free loopback port, in a thread."""
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"
    server.close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


class PageWatch:
    """Console errors, page errors and every URL the page asked for."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda msg: msg.type == "error" and self.errors.append(msg.text))
        page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        page.on("request", lambda request: self.requests.append(request.url))
        page.on(
            "response",
            lambda r: r.status >= 400 and self.errors.append(f"HTTP {r.status} for {r.url}"),
        )


def _open(browser: Browser, url: str, width: int, height: int) -> tuple[Page, PageWatch]:
    page = browser.new_page(viewport={"width": width, "height": height})
    parts = urlparse(url)
    browser_log_in(page, f"{parts.scheme}://{parts.netloc}")
    watch = PageWatch(page)
    page.goto(url, wait_until="networkidle")
    page.wait_for_selector(".leaflet-container")
    return page, watch


def _assert_local(watch: PageWatch, live_url: str) -> None:
    origin = urlparse(live_url)
    for url in watch.requests:
        parsed = urlparse(url)
        if parsed.scheme in {"data", "blob", "about"}:
            continue
        assert (parsed.hostname, parsed.port) == (origin.hostname, origin.port), url


@pytest.mark.parametrize(
    "path", ["/", "/map/province/86", "/map/commune/29242", "/map/province/86?lang=en"]
)
def test_page_loads_offline_without_errors(
    browser: Browser, live_url: str, output_dir: Path, path: str
) -> None:
    page, watch = _open(browser, live_url + path, 1920, 1080)
    assert watch.errors == []
    _assert_local(watch, live_url)
    # Leaflet drew the layers (canvas renderer) and the layer control and scale bar are there.
    assert page.locator(".leaflet-overlay-pane canvas, .leaflet-overlay-pane svg").count() >= 1
    assert page.locator(".leaflet-control-layers").count() == 1
    assert page.locator(".leaflet-control-scale").count() == 1
    name = path.strip("/").replace("/", "_").replace("?", "_") or "national"
    page.screenshot(path=str(output_dir / f"page_{name}.png"))
    page.close()


def test_clicking_a_commune_opens_its_popup(browser: Browser, live_url: str) -> None:
    page, watch = _open(browser, live_url + "/map/commune/29242", 1280, 800)
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
    page, watch = _open(browser, live_url + "/map/province/86", 360, 740)
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
