"""Pages in headless Chromium: bytes of a first visit and the time until the map is drawn.

"Drawn" means: Leaflet's map is loaded, every tile layer has every tile it asked for, and the
page finished loading; measured from navigation start (``performance.now()``), polled on every
animation frame. A phone is approximated by slowing the CPU 4x through the DevTools protocol.

Each visit is a fresh browser context (empty cache) logged in beforehand through the context's
request API (``bench_login.browser_login``): the login is not part of the timed visit, and it
loads nothing into the HTTP cache, so the bytes counted are those of a first visit.
"""

from __future__ import annotations

import gzip
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, Response

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

# Where the time went, read right after the map was drawn (all ms from navigation start).
TIMELINE = """
() => {
  const nav = performance.getEntriesByType("navigation")[0];
  const resources = performance.getEntriesByType("resource");
  const tiles = resources.filter(r => r.name.includes("/tiles/"));
  const scripts = resources.filter(r => r.initiatorType === "script" || r.name.endsWith(".js"));
  const end = list => list.length ? Math.max(...list.map(r => r.responseEnd)) : 0;
  const start = list => list.length ? Math.min(...list.map(r => r.startTime)) : 0;
  const slowest = resources.slice().sort((a, b) => b.duration - a.duration).slice(0, 3)
    .map(r => [r.name.replace(location.origin, ""), Math.round(r.duration)]);
  const median = list => {
    const s = list.slice().sort((a, b) => a - b);
    return s.length ? s[Math.floor(s.length / 2)] : 0;
  };
  return {
    html: nav ? nav.responseEnd : 0,
    dom: nav ? nav.domContentLoadedEventEnd : 0,
    load: nav ? nav.loadEventEnd : 0,
    scripts: end(scripts),
    tilesStart: start(tiles),
    tilesEnd: end(tiles),
    tiles: tiles.length,
    tileQueued: median(tiles.map(r => r.requestStart - r.startTime)),
    tileServer: median(tiles.map(r => r.responseStart - r.requestStart)),
    tileServerMax: tiles.length ? Math.max(...tiles.map(r => r.responseStart - r.requestStart)) : 0,
    longTasks: window.__benchLongTasks || 0,
    slowest: slowest,
  };
}
"""

# Counts the main thread's long tasks (> 50 ms) from the very start of the page.
LONG_TASKS = """
performance.setResourceTimingBufferSize(2000);
window.__benchLongTasks = 0;
try {
  new PerformanceObserver(list => {
    for (const entry of list.getEntries()) window.__benchLongTasks += entry.duration;
  }).observe({type: "longtask", buffered: true});
} catch (e) {}
"""


@dataclass(frozen=True)
class Visit:
    """One first visit: when the map was drawn, what was fetched, and where the time went."""

    drawn_ms: float
    requests: int
    decoded_bytes: int
    sent_bytes: int
    gzip_bytes: int
    timeline: dict[str, Any]
    tile_sizes: list[tuple[int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class PageFigures:
    """The median of the visits, and the first one (when the server's tile cache was cold)."""

    drawn_ms: float
    first_ms: float
    requests: int
    decoded_bytes: int
    sent_bytes: int
    gzip_bytes: int
    median: Visit
    largest_tile: tuple[int, str]


Login = Callable[[BrowserContext], None]


def _sizes(
    responses: list[Response], tiles: dict[str, list[int]]
) -> tuple[int, int, int, list[tuple[int, str]]]:
    """Decoded, sent and gzip bytes of a visit, and each tile's decoded size with its path.

    Chromium gives Playwright no body for the tiles (VectorGrid fetches them; ``body()`` is
    empty), so tiles are counted from the page's resource timing instead (``tiles``: URL ->
    [decoded, encoded] sizes): decoded as drawn, and gzip as the server sent them. Everything
    else is counted from its body: decoded, and gzip-compressed at level 6 (about what the app
    sends: ``web/compression.py``). "Sent" is the bodies as this server sent them: gzip where it
    compressed them (counted at level 6), the rest as they are.
    """
    decoded = compressed = sent = 0
    sizes: list[tuple[int, str]] = []
    for response in responses:
        timing = tiles.get(response.url)
        if timing is not None:
            decoded += timing[0]
            compressed += timing[1]
            sent += timing[1]
            parts = urlsplit(response.url)
            sizes.append((timing[0], parts.path + ("?" + parts.query if parts.query else "")))
            continue
        try:
            body = response.body()
        except Exception:  # redirects and 304s have no body to count
            continue
        decoded += len(body)
        compressed += len(gzip.compress(body, 6))
        encoded = response.headers.get("content-encoding")
        sent += len(gzip.compress(body, 6)) if encoded else len(body)
    return decoded, sent, compressed, sizes


TILE_SIZES = """
() => Object.fromEntries(performance.getEntriesByType("resource")
  .filter(r => r.name.includes("/tiles/"))
  .map(r => [r.name, [r.decodedBodySize, r.encodedBodySize]]))
"""


def visit(browser: Browser, url: str, login: Login, slowdown: int = 1) -> Visit:
    """One first visit (fresh context, empty cache, logged in beforehand) of ``url``."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        login(context)  # not timed: before the page exists
        page = context.new_page()
        page.add_init_script(LONG_TASKS)
        if slowdown > 1:
            cdp = context.new_cdp_session(page)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": slowdown})
        responses: list[Response] = []
        page.on("response", lambda response: responses.append(response))
        first = page.goto(url, wait_until="commit")
        if first is None or first.status != 200 or urlsplit(page.url).path == "/login":
            status = first.status if first else "none"
            raise RuntimeError(f"{url} was not served to the logged-in browser: {status}")
        page.wait_for_function(DRAWN, polling="raf", timeout=60_000)
        drawn = float(page.evaluate("performance.now()"))
        timeline = dict(page.evaluate(TIMELINE))
        page.wait_for_load_state("networkidle")
        decoded, sent, compressed, tiles = _sizes(responses, dict(page.evaluate(TILE_SIZES)))
        return Visit(drawn, len(responses), decoded, sent, compressed, timeline, tiles)
    finally:
        context.close()


def median_visits(
    browser: Browser, urls: dict[str, str], login: Login, slowdown: int, runs: int = 3
) -> dict[str, PageFigures]:
    """``runs`` first visits of each page, the pages taking turns (a burst of other work on
    the machine then does not fall on one page); the first round meets a cold tile cache."""
    visits: dict[str, list[Visit]] = {name: [] for name in urls}
    for _ in range(runs):
        for name, url in urls.items():
            visits[name].append(visit(browser, url, login, slowdown))
    return {name: _figures(found) for name, found in visits.items()}


def _figures(visits: list[Visit]) -> PageFigures:
    middle = sorted(visits, key=lambda v: v.drawn_ms)[len(visits) // 2]
    sizes = [size for v in visits for size in v.tile_sizes]
    return PageFigures(
        statistics.median(v.drawn_ms for v in visits),
        visits[0].drawn_ms,
        visits[0].requests,
        visits[0].decoded_bytes,
        visits[0].sent_bytes,
        visits[0].gzip_bytes,
        middle,
        max(sizes, default=(0, "")),
    )


@dataclass(frozen=True)
class ScriptProfile:
    """Main-thread JavaScript time of one visit, until the map was drawn (CDP Profiler)."""

    drawn_ms: float
    by_script: list[tuple[str, float]]  # (script or "(garbage collector)" etc., self ms)
    by_function: list[tuple[str, float]]  # ("name script:line", self ms)
    metrics: dict[str, float]  # Chromium's own: task, script, style, layout ms; nodes; heap MB
    svg_paths: int


def profile_visit(browser: Browser, url: str, login: Login, slowdown: int) -> ScriptProfile:
    """One more first visit (not counted in the figures) with the JS sampling profiler on."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        login(context)
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        if slowdown > 1:
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": slowdown})
        cdp.send("Performance.enable")
        cdp.send("Profiler.enable")
        cdp.send("Profiler.setSamplingInterval", {"interval": 250})
        cdp.send("Profiler.start")
        page.goto(url, wait_until="commit")
        page.wait_for_function(DRAWN, polling="raf", timeout=60_000)
        drawn = float(page.evaluate("performance.now()"))
        profile = cdp.send("Profiler.stop")["profile"]
        raw = {m["name"]: float(m["value"]) for m in cdp.send("Performance.getMetrics")["metrics"]}
        paths = int(page.evaluate("document.querySelectorAll('svg path').length"))
    finally:
        context.close()
    metrics = {
        "task": raw.get("TaskDuration", 0) * 1000,
        "script": raw.get("ScriptDuration", 0) * 1000,
        "style": raw.get("RecalcStyleDuration", 0) * 1000,
        "layout": raw.get("LayoutDuration", 0) * 1000,
        "nodes": raw.get("Nodes", 0),
        "heap": raw.get("JSHeapUsedSize", 0) / 1e6,
    }
    return _attribute(profile, drawn, metrics, paths)


def _attribute(
    profile: dict[str, Any], drawn: float, metrics: dict[str, float], paths: int
) -> ScriptProfile:
    nodes = {node["id"]: node for node in profile["nodes"]}
    spent: dict[int, float] = {}
    samples, deltas = profile.get("samples", []), profile.get("timeDeltas", [])
    for node_id, delta in zip(samples, deltas, strict=True):
        spent[node_id] = spent.get(node_id, 0.0) + delta / 1000
    scripts: dict[str, float] = {}
    functions: dict[str, float] = {}
    for node_id, ms in spent.items():
        frame = nodes[node_id]["callFrame"]
        name = frame.get("functionName") or "(anonymous)"
        script = urlsplit(frame.get("url") or "").path.rsplit("/", 1)[-1]
        if name == "(idle)":
            continue
        where = script or name
        scripts[where] = scripts.get(where, 0.0) + ms
        label = f"{name} {script}:{frame.get('lineNumber', 0) + 1}" if script else name
        functions[label] = functions.get(label, 0.0) + ms
    top = sorted(scripts.items(), key=lambda item: -item[1])
    busiest = sorted(functions.items(), key=lambda item: -item[1])[:6]
    return ScriptProfile(drawn, top[:6], busiest, metrics, paths)
