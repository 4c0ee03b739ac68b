"""Benchmark of the map pages and vector tiles on the real 2025 data (prints figures; not a test).

    .venv/bin/python scripts/bench/maps.py [--rebuild] [--tiles 300] [--no-browser]

Builds (once) its own database on the embedded cluster: the real 3,321 communes and 34
provinces, synthetic hamlets for the whole country (~30 per commune) and 50,000 demo hotspots.
Then, side by side in one run on the same 300 tiles at zooms 5-14 (the "admin" set: provinces to
z8, communes from z7, hamlets from z11):

- the raw ``ST_AsMVT`` statement run directly (the floor), the ``/tiles`` endpoint on a cold
  and on a warm cache, and pygeoapi (MVT-postgresql, its own virtualenv) on the same tables;
- GeoJSON of the communes in the same tiles' bboxes (zooms 9-14): ``/api/layers/.../features``
  beside pygeoapi's OGC API Features items;
- tiles/s and feature requests/s with 8 concurrent clients, cold and cached;
- the national, Vĩnh Long (86) and one commune page: bytes of a first visit (decoded and
  gzip-compressed, JS/CSS included), server time to build the page, and in headless Chromium
  the time until the map is drawn, normally and with the CPU slowed 4x;
- each server's peak memory.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_browser
import bench_data
import bench_report
import bench_servers
from bench_load import (
    GZIP,
    Tile,
    Timing,
    concurrent,
    sample_tiles,
    sequential,
    tile_bbox,
)

from geo_app.config import Settings
from geo_app.db import embedded_cluster
from geo_app.services import tiles as tile_service

ZOOMS = range(5, 15)
FEATURE_ZOOMS = range(9, 15)
PAGES = {"national": "/", "province 86": "/map/province/86", "commune 29242": "/map/commune/29242"}
PYGEOAPI_TABLES = tuple(bench_data.COPIES)
PYGEOAPI_LAYERS = {"provinces": "provinces", "communes": "communes", "hamlets": "hamlets"}


def say(text: str) -> None:
    print(text, flush=True)


# --- what is asked -------------------------------------------------------------------------


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


def raw_timings(url: str, tiles: list[Tile]) -> Timing:
    """Each tile's statement run directly over psycopg2 (after one untimed warm-up pass)."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    connection = engine.raw_connection()
    cursor = connection.cursor()
    statements = [_raw_statement(tile) for tile in tiles]
    for sql, params in statements:
        cursor.execute(sql, params)
        cursor.fetchone()
    millis, sizes = [], []
    for sql, params in statements:
        started = time.perf_counter()
        cursor.execute(sql, params)
        body = cursor.fetchone()[0]
        millis.append((time.perf_counter() - started) * 1000)
        sizes.append(len(bytes(body or b"")))
    connection.close()
    engine.dispose()
    return Timing(millis, sizes, sizes)


def _raw_statement(tile: Tile) -> tuple[str, dict[str, Any]]:
    z, x, y = tile
    specs = tile_service.tiled_layers("admin")
    chosen = tuple((spec.name, mode) for spec, mode in tile_service.plan(specs, z))
    statement = tile_service.tile_statement(chosen, tuple(s.name for s in specs))
    compiled = statement.compile(dialect=postgresql.psycopg2.dialect())
    return str(compiled), {**compiled.params, **tile_service.tile_params(z, x, y, date.today())}


# --- HTTP ----------------------------------------------------------------------------------


def ours_tile(base: str, tile: Tile, session: Any = requests) -> requests.Response:
    z, x, y = tile
    return session.get(f"{base}/tiles/admin/{z}/{x}/{y}.mvt", headers=GZIP, timeout=120)


def pygeoapi_tile(base: str, tile: Tile, session: Any = requests) -> requests.Response:
    """All layers the admin set draws at this zoom, one request each; the last is returned."""
    z, x, y = tile
    response = None
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


def ours_features(base: str, tile: Tile, session: Any = requests) -> requests.Response:
    bbox = ",".join(f"{v:.6f}" for v in tile_bbox(tile))
    return session.get(
        f"{base}/api/layers/communes/features?bbox={bbox}&zoom={tile[0]}",
        headers=GZIP,
        timeout=300,
    )


def pygeoapi_features(base: str, tile: Tile, session: Any = requests) -> requests.Response:
    bbox = ",".join(f"{v:.6f}" for v in tile_bbox(tile))
    return session.get(
        f"{base}/collections/communes/items?bbox={bbox}&limit=5000&f=json",
        headers=GZIP,
        timeout=300,
    )


Fetch = Callable[..., requests.Response]


def latencies(base: str, fetch: Fetch, tiles: list[Tile]) -> Timing:
    """One request at a time over one keep-alive connection."""
    session = requests.Session()
    return sequential([lambda t=t: fetch(base, t, session) for t in tiles])


def throughput(base: str, fetch: Fetch, tiles: list[Tile], passes: int = 1) -> float:
    def job(tile: Tile) -> Callable[[requests.Session], None]:
        return lambda session: fetch(base, tile, session).raise_for_status()

    return concurrent([job(t) for t in tiles * passes])


def page_build_ms(base: str, path: str, runs: int = 5) -> float:
    requests.get(base + path, timeout=60).raise_for_status()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        requests.get(base + path, timeout=60).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


# --- the run -------------------------------------------------------------------------------


def measure_tiles(url: str, tiles: list[Tile], figures: dict[str, Any]) -> None:
    say("timing the raw statement ...")
    figures["raw"] = raw_timings(url, tiles)
    app = bench_servers.start_app(url)
    try:
        say("timing /tiles (cold, then cached) ...")
        figures["cold"] = latencies(app.url, ours_tile, tiles)
        figures["cached"] = latencies(app.url, ours_tile, tiles)
        figures["cached_rps"] = throughput(app.url, ours_tile, tiles, passes=3)
        feature_tiles = [t for t in tiles if t[0] in FEATURE_ZOOMS]
        figures["features"] = latencies(app.url, ours_features, feature_tiles)
        figures["features_rps"] = throughput(app.url, ours_features, feature_tiles)
        measure_pages(app.url, figures)
        figures["memory"] = app.peak_memory_mib()
    finally:
        app.stop()
    app = bench_servers.start_app(url)
    try:
        say("throughput on a cold cache ...")
        figures["cold_rps"] = throughput(app.url, ours_tile, tiles)
    finally:
        app.stop()


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


def measure_pages(base: str, figures: dict[str, Any]) -> None:
    figures["build"] = {name: page_build_ms(base, path) for name, path in PAGES.items()}
    if figures.get("no_browser"):
        return
    from playwright.sync_api import sync_playwright

    say("pages in Chromium ...")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=bench_browser.CHROMIUM, args=bench_browser.FLAGS
        )
        figures["pages"] = {
            name: (
                bench_browser.median_visit(browser, base + path, 1),
                bench_browser.median_visit(browser, base + path, 4),
            )
            for name, path in PAGES.items()
        }
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="rebuild the bench database")
    parser.add_argument("--tiles", type=int, default=300)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    root = Path(__file__).resolve().parents[2]
    info = embedded_cluster(Settings.from_env({"GEO_APP_STATE_DIR": str(root / "var")})).start()
    say("bench database ...")
    url = bench_data.ensure(info.url("postgres"), rebuild=args.rebuild, say=say)
    tiles = sample_tiles(commune_points(url), ZOOMS, args.tiles)
    figures: dict[str, Any] = {"no_browser": args.no_browser, "tiles": tiles}
    measure_tiles(url, tiles, figures)
    measure_pygeoapi(url, tiles, figures)
    bench_report.print_report(url, figures)


if __name__ == "__main__":
    main()
