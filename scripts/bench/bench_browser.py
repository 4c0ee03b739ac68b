"""Pages in headless Chromium: bytes of a first visit and the time until the map is drawn.

"Drawn" means: Leaflet's map is loaded, every tile layer has every tile it asked for, and the
page finished loading; measured from navigation start (``performance.now()``), polled on every
animation frame. A phone is approximated by slowing the CPU 4x through the DevTools protocol.
"""

from __future__ import annotations

import gzip
import statistics
from dataclasses import dataclass

from playwright.sync_api import Browser, Response

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]

DRAWN = """
() => {
  if (document.readyState !== "complete" || !window.L) return false;
  const maps = Object.keys(window).filter(k => k.startsWith("map_")).map(k => window[k])
    .filter(m => m instanceof L.Map);
  const map = maps[0];
  if (!map || !map._loaded || map._animatingZoom) return false;
  for (const layer of Object.values(map._layers)) {
    if (!(layer instanceof L.GridLayer)) continue;
    if (layer._tileZoom !== layer._clampZoom(Math.round(map.getZoom()))) return false;
    const tiles = Object.values(layer._tiles || {});
    if (!tiles.length || tiles.some(t => !t.loaded)) return false;
  }
  return true;
}
"""


@dataclass(frozen=True)
class PageFigures:
    """The median of the visits, and the first one (when the server's tile cache was cold)."""

    drawn_ms: float
    first_ms: float
    requests: int
    decoded_bytes: int
    gzip_bytes: int


def _sizes(responses: list[Response]) -> tuple[int, int]:
    decoded = compressed = 0
    for response in responses:
        try:
            body = response.body()
        except Exception:  # redirects and 304s have no body to count
            continue
        decoded += len(body)
        compressed += len(gzip.compress(body, 6))
    return decoded, compressed


def visit(browser: Browser, url: str, slowdown: int = 1) -> PageFigures:
    """One first visit (fresh context, empty cache) of ``url``."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    if slowdown > 1:
        cdp = context.new_cdp_session(page)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": slowdown})
    responses: list[Response] = []
    page.on("response", lambda response: responses.append(response))
    page.goto(url, wait_until="commit")
    page.wait_for_function(DRAWN, polling="raf", timeout=60_000)
    drawn = float(page.evaluate("performance.now()"))
    page.wait_for_load_state("networkidle")
    decoded, compressed = _sizes(responses)
    context.close()
    return PageFigures(drawn, drawn, len(responses), decoded, compressed)


def median_visit(browser: Browser, url: str, slowdown: int, runs: int = 3) -> PageFigures:
    visits = [visit(browser, url, slowdown) for _ in range(runs)]
    return PageFigures(
        statistics.median(v.drawn_ms for v in visits),
        visits[0].drawn_ms,
        visits[0].requests,
        visits[0].decoded_bytes,
        visits[0].gzip_bytes,
    )
