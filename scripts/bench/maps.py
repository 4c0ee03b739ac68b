"""Benchmark of the map pages and vector tiles on the real 2025 data (prints figures; not a test).

    .venv/bin/python scripts/bench/maps.py [--rebuild] [--tiles 300] [--no-browser]
                                           [--pages-only] [--drop]

Builds (once) its own database on the embedded cluster: the real 3,321 communes and 34
provinces, synthetic hamlets for the whole country (~30 per commune) and 50,000 demo hotspots.
Then, side by side in one run on the same 300 tiles at zooms 5-14 (the "admin" set: provinces to
z8, communes from z7, hamlets from z11):

- the raw ``ST_AsMVT`` statement run directly (the floor), the ``/tiles`` endpoint on a cold
  and on a warm cache, and pygeoapi (MVT-postgresql, its own virtualenv) on the same tables;
- GeoJSON of the communes in the same tiles' bboxes (zooms 9-14): ``/api/layers/.../features``
  beside pygeoapi's OGC API Features items;
- tiles/s and feature requests/s with 8 concurrent clients, cold and cached;
- the national, Vĩnh Long (86), one commune and the Trà Vinh 2025 campaign page: bytes of a
  first visit (decoded and gzip-compressed, JS/CSS included), server time to build the page
  (over HTTP, and in-process taken apart: SQL statements and the view's steps), and in headless
  Chromium the time until the map is drawn, normally and with the CPU slowed 4x;
- each server's peak memory.

Every page, tile and layer API needs a login: the clients log in with the form (CSRF token,
session cookie) as the bench's own national admin before anything is timed (bench_login.py).
The bench database is kept for the next run; ``--drop`` removes it. The servers are children
of this process and stop with it (also on Ctrl-C or SIGTERM).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_browser
import bench_data
import bench_login
import bench_profile
import bench_report
import bench_servers
from bench_load import (
    GZIP,
    LeanSession,
    Response,
    Tile,
    Timing,
    concurrent,
    sample_tiles,
    sequential,
    tile_bbox,
    timed,
)

from geo_app import clock
from geo_app.config import Settings
from geo_app.db import embedded_cluster
from geo_app.services.tiles import render as tile_service

ZOOMS = range(5, 15)
FEATURE_ZOOMS = range(9, 15)
COMMUNE = "29242"  # Phường Trà Vinh (Vĩnh Long), a target of the Trà Vinh 2025 campaign
BASIC_TILES = 60  # cached tiles asked with HTTP Basic (each request checks the password hash)
PYGEOAPI_TABLES = tuple(bench_data.COPIES)
PYGEOAPI_LAYERS = {"provinces": "provinces", "communes": "communes", "hamlets": "hamlets"}


def say(text: str) -> None:
    print(text, flush=True)


# --- what is asked -------------------------------------------------------------------------


def pages(url: str) -> dict[str, str]:
    """The pages measured: name -> path."""
    campaign = bench_data.campaign_id(url)
    return {
        "national": "/",
        "province 86": "/map/province/86",
        f"commune {COMMUNE}": f"/map/commune/{COMMUNE}",
        f"campaign {campaign}": f"/map/campaign/{campaign}",
    }


def log_in(base: str) -> tuple[requests.Session, float]:
    return bench_login.login(base, bench_data.BENCH_LOGIN, bench_data.BENCH_PASSWORD)


def commune_points(url: str) -> list[tuple[float, float]]:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM "
                "admin_unit WHERE level = 'commune' AND valid_to IS NULL "
                "ORDER BY md5(code)) s"
            )
        ).all()
    engine.dispose()
    return [(float(x), float(y)) for x, y in rows]


def drawn_layers(z: int) -> list[str]:
    """The admin-set layers a tile at ``z`` draws that pygeoapi has tables for."""
    specs = tile_service.tiled_layers("admin")
    return [s.name for s, _ in tile_service.plan(specs, z) if s.name in PYGEOAPI_LAYERS]


# --- the floor: the statement itself -------------------------------------------------------


def raw_and_cold(
    url: str, base: str, tiles: list[Tile], session: requests.Session
) -> tuple[Timing, Timing]:
    """Each tile's statement run directly over psycopg2 (the floor), and right after it the same
    tile from ``/tiles`` on the server's cold cache, tile by tile.

    Why side by side: the gap between the two is the figure, and this machine's speed drifts
    by more than the gap between two passes made a minute apart (the floor's p50 was 4.5 ms in
    one run and 3.5 ms in the next, on the same statements); taken in turns, both see the
    same moment. The statements run once untimed first (as the server's warm-up reads the
    tables), so neither side meets a cold disk.
    """
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    connection = engine.raw_connection()
    cursor = connection.cursor()
    statements = [_raw_statement(tile) for tile in tiles]
    for sql, params in statements:
        cursor.execute(sql, params)
        cursor.fetchone()
    client = _lean(session)
    raw: list[float] = []
    sizes: list[int] = []
    cold: list[tuple[float, int, int]] = []
    for tile, (sql, params) in zip(tiles, statements, strict=True):
        started = time.perf_counter()
        cursor.execute(sql, params)
        row = cursor.fetchone()
        body = row[0] if row else None
        raw.append((time.perf_counter() - started) * 1000)
        sizes.append(len(bytes(body or b"")))
        cold.append(timed(partial(ours_tile, base, tile, client)))
    connection.close()
    engine.dispose()
    served = Timing([c[0] for c in cold], [c[1] for c in cold], [c[2] for c in cold])
    return Timing(raw, sizes, sizes), served


def _raw_statement(tile: Tile) -> tuple[str, dict[str, Any]]:
    z, x, y = tile
    specs = tile_service.tiled_layers("admin")
    chosen = tuple((spec.name, mode) for spec, mode in tile_service.plan(specs, z))
    statement = tile_service.tile_statement(chosen, tuple(s.name for s in specs))
    compiled = statement.compile(dialect=postgresql.psycopg2.dialect())
    values = tile_service.tile_params(z, x, y, clock.today(), scope_unit_id=None)  # national
    return str(compiled), {**compiled.params, **values}


# --- HTTP ----------------------------------------------------------------------------------


def ours_tile(base: str, tile: Tile, session: LeanSession) -> Response:
    z, x, y = tile
    return session.get(f"{base}/tiles/admin/{z}/{x}/{y}.mvt", headers=GZIP, timeout=120)


def pygeoapi_tile(base: str, tile: Tile, session: LeanSession) -> Response:
    """All layers the admin set draws at this zoom, one request each; the last is returned."""
    z, x, y = tile
    response: Response | None = None
    for layer in drawn_layers(z):
        response = session.get(
            f"{base}/collections/{layer}/tiles/WebMercatorQuad/{z}/{y}/{x}?f=mvt",
            headers=GZIP,
            timeout=300,
        )
        if response.status_code not in (200, 204):
            response.raise_for_status()
    assert response is not None
    return response


def ours_features(base: str, tile: Tile, session: LeanSession) -> Response:
    bbox = ",".join(f"{v:.6f}" for v in tile_bbox(tile))
    return session.get(
        f"{base}/api/layers/communes/features?bbox={bbox}&zoom={tile[0]}",
        headers=GZIP,
        timeout=300,
    )


def pygeoapi_features(base: str, tile: Tile, session: LeanSession) -> Response:
    bbox = ",".join(f"{v:.6f}" for v in tile_bbox(tile))
    return session.get(
        f"{base}/collections/communes/items?bbox={bbox}&limit=5000&f=json",
        headers=GZIP,
        timeout=300,
    )


Fetch = Callable[[str, Tile, LeanSession], Response]


def latencies(
    base: str,
    fetch: Fetch,
    tiles: list[Tile],
    session: requests.Session | LeanSession | None = None,
) -> Timing:
    """One request at a time over one keep-alive connection, logged in with ``session``'s
    cookie (a LeanSession is used as it is: e.g. one sending HTTP Basic credentials)."""
    client = session if isinstance(session, LeanSession) else _lean(session)

    def get(tile: Tile) -> Callable[[], Response]:
        return lambda: fetch(base, tile, client)

    return sequential([get(t) for t in tiles])


def _lean(session: requests.Session | None) -> LeanSession:
    return bench_login.copy_of(session) if session is not None else LeanSession()


def throughput(
    base: str,
    fetch: Fetch,
    tiles: list[Tile],
    passes: int = 1,
    session: requests.Session | None = None,
) -> float:
    """Requests per second with 8 threads, each with a copy of ``session``'s login cookie."""

    def job(tile: Tile) -> Callable[[LeanSession], None]:
        return lambda client: fetch(base, tile, client).raise_for_status()

    return concurrent([job(t) for t in tiles * passes], make_session=lambda: _lean(session))


def page_builds_ms(
    session: requests.Session, base: str, paths: dict[str, str], runs: int = 7
) -> dict[str, float]:
    """Median wall time of a logged-in GET of each page (the login itself is not timed); the
    pages take turns, so a burst of other work on the machine does not fall on one page."""
    times: dict[str, list[float]] = {name: [] for name in paths}
    for path in paths.values():  # once untimed: imports and caches of the first request
        _get_page(session, base + path)
    for _ in range(runs):
        for name, path in paths.items():
            started = time.perf_counter()
            _get_page(session, base + path)
            times[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


def _get_page(session: requests.Session, url: str) -> None:
    response = session.get(url, timeout=60, allow_redirects=False)
    if response.status_code != 200:
        raise RuntimeError(f"{url}: HTTP {response.status_code} for the logged-in bench user")


# --- the run -------------------------------------------------------------------------------


def measure_tiles(url: str, tiles: list[Tile], figures: dict[str, Any]) -> None:
    app = bench_servers.start_app(url)
    try:
        session, figures["login_ms"] = log_in(app.url)  # before any timing
        say("timing the raw statement and /tiles on a cold cache, tile by tile; then cached ...")
        figures["raw"], figures["cold"] = raw_and_cold(url, app.url, tiles, session)
        figures["cached"] = latencies(app.url, ours_tile, tiles, session)
        figures["cached_rps"] = throughput(app.url, ours_tile, tiles, 3, session)
        basic = bench_login.basic(bench_data.BENCH_LOGIN, bench_data.BENCH_PASSWORD)
        figures["basic"] = latencies(app.url, ours_tile, tiles[:BASIC_TILES], basic)
        feature_tiles = [t for t in tiles if t[0] in FEATURE_ZOOMS]
        figures["features"] = latencies(app.url, ours_features, feature_tiles, session)
        figures["features_rps"] = throughput(app.url, ours_features, feature_tiles, 1, session)
        measure_pages(app.url, session, figures)
        figures["memory"] = app.peak_memory_mib()
    finally:
        app.stop()
    app = bench_servers.start_app(url)
    try:
        session, _ = log_in(app.url)
        say("throughput on a cold cache ...")
        figures["cold_rps"] = throughput(app.url, ours_tile, tiles, 1, session)
    finally:
        app.stop()
    say("taking the page builds and tile requests apart (in-process) ...")
    figures["profiles"] = bench_profile.profile_pages(
        url, figures["paths"], bench_data.BENCH_LOGIN, bench_data.BENCH_PASSWORD
    )
    figures["tile_profile"] = bench_profile.profile_tiles(
        url,
        [f"/tiles/admin/{z}/{x}/{y}.mvt" for z, x, y in tiles],
        bench_data.BENCH_LOGIN,
        bench_data.BENCH_PASSWORD,
    )


def measure_pages_only(url: str, figures: dict[str, Any]) -> None:
    """``--pages-only``: the pages and their builds, without tiles or pygeoapi (quicker)."""
    app = bench_servers.start_app(url)
    try:
        session, figures["login_ms"] = log_in(app.url)
        measure_pages(app.url, session, figures)
        figures["memory"] = app.peak_memory_mib()
    finally:
        app.stop()
    say("taking the page builds apart (in-process) ...")
    figures["profiles"] = bench_profile.profile_pages(
        url, figures["paths"], bench_data.BENCH_LOGIN, bench_data.BENCH_PASSWORD
    )


def measure_pygeoapi(url: str, tiles: list[Tile], figures: dict[str, Any]) -> None:
    say("timing pygeoapi ...")
    server = bench_servers.start_pygeoapi(url, PYGEOAPI_TABLES)
    try:
        figures["pyg"] = latencies(server.url, pygeoapi_tile, tiles)
        figures["pyg_rps"] = throughput(server.url, pygeoapi_tile, tiles)
        feature_tiles = [t for t in tiles if t[0] in FEATURE_ZOOMS]
        figures["pyg_features"] = latencies(server.url, pygeoapi_features, feature_tiles)
        figures["pyg_features_rps"] = throughput(server.url, pygeoapi_features, feature_tiles)
        figures["pyg_memory"] = server.peak_memory_mib()
    finally:
        server.stop()


def measure_pages(base: str, session: requests.Session, figures: dict[str, Any]) -> None:
    paths: dict[str, str] = figures["paths"]
    figures["build"] = page_builds_ms(session, base, paths)
    if figures.get("no_browser"):
        return
    from playwright.sync_api import BrowserContext, sync_playwright

    def login(context: BrowserContext) -> None:
        bench_login.browser_login(context, base, bench_data.BENCH_LOGIN, bench_data.BENCH_PASSWORD)

    say("pages in Chromium ...")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=bench_browser.CHROMIUM, args=bench_browser.FLAGS
        )
        try:
            urls = {name: base + path for name, path in paths.items()}
            normal = bench_browser.median_visits(browser, urls, login, 1)
            slow = bench_browser.median_visits(browser, urls, login, 4)
            figures["pages"] = {name: (normal[name], slow[name]) for name in paths}
            figures["scripts"] = {
                name: bench_browser.profile_visit(browser, base + path, login, 4)
                for name, path in paths.items()
            }
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="rebuild the bench database")
    parser.add_argument("--tiles", type=int, default=300)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--pages-only", action="store_true", help="skip tiles and pygeoapi")
    parser.add_argument("--drop", action="store_true", help="remove the bench database and stop")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _terminate)  # so the servers' finally blocks stop them
    root = Path(__file__).resolve().parents[2]
    info = embedded_cluster(Settings.from_env({"GEO_APP_STATE_DIR": str(root / "var")})).start()
    if args.drop:
        bench_data.drop(info.url("postgres"))
        say(f"dropped the database {bench_data.BENCH_DATABASE}")
        return
    say("bench database ...")
    url = bench_data.ensure(info.url("postgres"), rebuild=args.rebuild, say=say)
    tiles = sample_tiles(commune_points(url), ZOOMS, args.tiles)
    figures: dict[str, Any] = {"no_browser": args.no_browser, "tiles": tiles, "paths": pages(url)}
    figures["load"] = [os.getloadavg()[0]]
    if args.pages_only:
        measure_pages_only(url, figures)
    else:
        measure_tiles(url, tiles, figures)
        measure_pygeoapi(url, tiles, figures)
    figures["load"].append(os.getloadavg()[0])
    bench_report.print_report(url, figures)


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    main()
