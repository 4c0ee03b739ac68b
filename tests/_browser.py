"""What the browser tests share: Debian's Chromium, a page watcher, opening a logged-in page,
and the check that nothing left the machine. The fixtures (``live_url``, ``browser``) are in
conftest.py."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

from conftest import browser_log_in
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, Request, Response

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


REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("CSP violation: " + event.violatedDirective + " blocked " + event.blockedURI);
});
"""
"""Runs before the page's own scripts (outside its CSP), so every blocked script, handler or
asset is a console error even where Chromium would not log one itself."""


class PageWatch:
    """Console errors (CSP violations among them), page errors, failed responses and every URL
    the page asked for."""

    def __init__(self, page: Page) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        page.add_init_script(REPORT_CSP_VIOLATIONS)
        page.on("console", self._console)
        page.on("pageerror", self._page_error)
        page.on("request", self._request)
        page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(message.text)

    def _page_error(self, error: Error) -> None:
        self.errors.append(str(error))

    def _request(self, request: Request) -> None:
        self.requests.append(request.url)

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.errors.append(f"HTTP {response.status} for {response.url}")

    def tiles(self, name: str) -> list[str]:
        """The tile URLs of layer or set ``name`` asked for so far."""
        return [url for url in self.requests if f"/tiles/{name}/" in url]

    def tile_months(self, layer: str) -> set[str]:
        """The ``month`` values of the tiles of ``layer`` asked for so far."""
        return {parse_qs(urlparse(url).query)["month"][0] for url in self.tiles(layer)}


def open_page(browser: Browser, url: str, width: int, height: int) -> tuple[Page, PageWatch]:
    """A new page of that size, logged in, at ``url`` once the network is idle."""
    page = browser.new_page(viewport={"width": width, "height": height})
    parts = urlparse(url)
    browser_log_in(page, f"{parts.scheme}://{parts.netloc}")
    watch = PageWatch(page)
    page.goto(url, wait_until="networkidle")
    page.wait_for_selector(".leaflet-container")
    return page, watch


def assert_local(watch: PageWatch, live_url: str) -> None:
    """Every request went to the app itself (no CDN, no basemap, nothing on the internet)."""
    origin = urlparse(live_url)
    assert watch.requests
    for url in watch.requests:
        parsed = urlparse(url)
        if parsed.scheme in {"data", "blob", "about"}:
            continue
        assert (parsed.hostname, parsed.port) == (origin.hostname, origin.port), url
