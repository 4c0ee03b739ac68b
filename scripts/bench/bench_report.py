"""Print the benchmark's figures as plain tables, each target beside its figure (PASS/MISS)."""

from __future__ import annotations

import os
import statistics
from datetime import date
from typing import Any

import sqlalchemy as sa
from bench_browser import PageFigures, ScriptProfile
from bench_load import Timing
from bench_profile import Profile, TileProfile

COUNTS = """
SELECT (SELECT count(*) FROM admin_unit WHERE level = 'commune' AND valid_to IS NULL),
       (SELECT count(*) FROM admin_unit WHERE level = 'hamlet' AND valid_to IS NULL),
       (SELECT count(*) FROM hotspot WHERE deleted_at IS NULL),
       (SELECT postgis_lib_version())
"""

KB = 1000  # the "KB" (300 KB, 500 KB)


def _row(label: str, timing: Timing | None, rate: float | None, unit: str) -> str:
    p50 = f"{timing.p50:8.1f}" if timing else " " * 8
    p95 = f"{timing.p(0.95):8.1f}" if timing else " " * 8
    rate_text = f"{rate:9.1f} {unit}" if rate is not None else ""
    return f"  {label:<38}{p50}{p95}   {rate_text}".rstrip()


def _kib(value: float) -> str:
    return f"{value / 1024:,.0f} KiB"


def _kb(value: float) -> str:
    return f"{value / KB:,.0f} KB"


def _median(values: list[int]) -> float:
    ordered = sorted(values)
    return float(ordered[len(ordered) // 2])


def print_report(url: str, f: dict[str, Any]) -> None:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        communes, hamlets, spots, postgis = conn.execute(sa.text(COUNTS)).one()
    engine.dispose()
    print()
    print(f"Benchmark of {date.today().isoformat()} on {os.cpu_count()} cores, PostGIS {postgis}")
    print(
        f"Data: {communes:,} communes, {hamlets:,} hamlets (synthetic), {spots:,} hotspots (demo)"
    )
    load = f.get("load") or []
    if load:
        print(
            "Load average of the machine (1 min): "
            + " at the start, ".join(f"{value:.1f}" for value in load)
            + " at the end (everything shares these cores: servers, PostgreSQL, Chromium,"
            + " the client, and any other work)"
        )
    print(
        f"Login: every client logged in with the form (CSRF token, session cookie) as a national "
        f"admin before any timing ({f['login_ms']:.0f} ms); no figure below includes a login."
    )
    if "raw" in f:
        _tiles(f)
        _features(f)
    _pages(f)
    _timelines(f)
    _profiles(f)
    print()
    memory = f"Server peak memory: geo_app {f['memory']:.0f} MiB"
    print(memory + (f", pygeoapi {f['pyg_memory']:.0f} MiB" if "pyg_memory" in f else ""))
    _targets(f)


def _tiles(f: dict[str, Any]) -> None:
    tiles = f["tiles"]
    print(f"Tiles: {len(tiles)} distinct tiles of the admin set at zooms 5-14")
    print()
    print(f"  {'':<38}{'p50 ms':>8}{'p95 ms':>8}   throughput, 8 clients")
    print(_row("raw ST_AsMVT statement (floor)*", f["raw"], None, ""))
    print(_row("geo_app /tiles, cold cache", f["cold"], f["cold_rps"], "tiles/s"))
    print(_row("geo_app /tiles, cached", f["cached"], f["cached_rps"], "tiles/s"))
    basic = f["basic"]
    print(_row(f"geo_app /tiles, cached, HTTP Basic ({len(basic.millis)})", basic, None, ""))
    print(_row("pygeoapi MVT-postgresql", f["pyg"], f["pyg_rps"], "tiles/s"))
    print("  * taken in turns with the cold /tiles row: each tile's statement, then that tile")
    largest = max(range(len(tiles)), key=lambda i: f["raw"].decoded[i])
    z, x, y = tiles[largest]
    print(
        f"  largest tile: {_kib(f['raw'].decoded[largest])} at {z}/{x}/{y} "
        f"({_kib(f['cold'].sent[largest])} gzip); median tile {_kib(_median(f['cold'].sent))} gzip"
    )
    profile: TileProfile | None = f.get("tile_profile")
    if profile is not None:
        sql = ", ".join(f"{where} {ms:.2f}" for where, ms in profile.sql)
        print(
            f"  the same {profile.count} tiles in-process (Flask test client, no HTTP, cold "
            f"cache), median ms per request:\n    {profile.total_ms:.2f} in all = SQL: {sql}\n"
            f"    + Python {profile.python_ms:.2f} (Flask, login check, reading the tile, gzip, "
            "ETag)"
        )


def _features(f: dict[str, Any]) -> None:
    count = len(f["features"].millis)
    print()
    print(f"Features: communes as GeoJSON in {count} of those tiles' bboxes (zooms 9-14)")
    print(f"  {'':<38}{'p50 ms':>8}{'p95 ms':>8}   throughput, 8 clients")
    print(_row("geo_app /api/layers/../features", f["features"], f["features_rps"], "req/s"))
    print(_row("pygeoapi /collections/../items", f["pyg_features"], f["pyg_features_rps"], "req/s"))
    print(
        f"  median response: geo_app {_kib(_median(f['features'].sent))}, "
        f"pygeoapi {_kib(_median(f['pyg_features'].sent))} (as sent)"
    )


def _pages(f: dict[str, Any]) -> None:
    print()
    print(
        "Pages: build = median of 7 logged-in GETs over HTTP, the pages taking turns. In Chromium\n"
        "each visit is a first visit (empty cache), logged in before it starts (the login is not\n"
        "timed or counted); bytes include HTML, JS, CSS, images and tiles: decoded; sent = as\n"
        "this server sends them (gzip: tiles, pages, JS, CSS, JSON); gzip = everything gzip-\n"
        "compressed (tiles as sent). drawn = median of 3 visits, the pages taking turns; cold\n"
        "tiles = the first visit to the freshly started server (once it warmed its pages' tiles)"
    )
    head = f"  {'page':<16}{'build ms':>9}{'requests':>9}{'decoded':>11}{'sent':>10}{'gzip':>10}"
    print(head + f"{'drawn ms':>10}{'CPU/4':>8}{'cold tiles':>12}")
    for name, build in f["build"].items():
        normal, slow = f.get("pages", {}).get(name, (None, None))
        if normal is None:
            print(f"  {name:<16}{build:9.0f}")
            continue
        print(
            f"  {name:<16}{build:9.0f}{normal.requests:9d}{_kib(normal.decoded_bytes):>11}"
            f"{_kib(normal.sent_bytes):>10}{_kib(normal.gzip_bytes):>10}{normal.drawn_ms:10.0f}{slow.drawn_ms:8.0f}"
            f"{normal.first_ms:12.0f}"
        )


def _timelines(f: dict[str, Any]) -> None:
    pages: dict[str, tuple[PageFigures, PageFigures]] = f.get("pages") or {}
    if not pages:
        return
    print()
    print("Where a visit's time goes (median visit; ms from navigation start; normal | CPU/4):")
    print(
        f"  {'page':<16}{'HTML':>10}{'DOM ready':>11}{'load':>11}{'tiles from-to':>21}{'tiles':>6}"
        f"{'long tasks':>12}{'drawn':>11}"
    )
    for name, (normal, slow) in pages.items():
        a, b = normal.median.timeline, slow.median.timeline

        def pair(key: str, t1: dict[str, Any] = a, t2: dict[str, Any] = b) -> str:
            return f"{t1[key]:.0f}|{t2[key]:.0f}"

        tiles = (
            f"{a['tilesStart']:.0f}-{a['tilesEnd']:.0f}|{b['tilesStart']:.0f}-{b['tilesEnd']:.0f}"
        )
        drawn = f"{normal.median.drawn_ms:.0f}|{slow.median.drawn_ms:.0f}"
        print(
            f"  {name:<16}{pair('html'):>10}{pair('dom'):>11}{pair('load'):>11}{tiles:>21}"
            f"{a['tiles']:>6}{pair('longTasks'):>12}{drawn:>11}"
        )
        print(
            f"  {'':<16}tiles (normal): median {a['tileQueued']:.0f} ms queued in the browser, "
            f"server answered in {a['tileServer']:.0f} ms (median), {a['tileServerMax']:.0f} "
            f"ms (max)"
        )
        slowest = ", ".join(f"{path[:60]} {ms} ms" for path, ms in a["slowest"])
        print(f"  {'':<16}slowest requests: {slowest}")
    scripts: dict[str, ScriptProfile] = f.get("scripts") or {}
    if scripts:
        print()
        print("The main thread until drawn at CPU/4 (one more visit with the CDP profiler on):")
        print("Chromium's busy time split into script, style and layout (the rest is parsing,")
        print("paint, GC); then JS self time by script and the busiest functions, in ms:")
        for name, profile in scripts.items():
            m = profile.metrics
            print(
                f"  {name}: drawn {profile.drawn_ms:.0f}; busy {m['task']:.0f} = script "
                f"{m['script']:.0f} + style {m['style']:.0f} + layout {m['layout']:.0f} + other "
                f"{m['task'] - m['script'] - m['style'] - m['layout']:.0f}; {m['nodes']:,.0f} "
                f"DOM nodes, {profile.svg_paths:,} SVG paths, JS heap {m['heap']:.0f} MB"
            )
            by_script = ", ".join(f"{where} {ms:.0f}" for where, ms in profile.by_script)
            by_function = ", ".join(f"{where} {ms:.0f}" for where, ms in profile.by_function)
            print(f"      by script: {by_script}")
            print(f"      busiest: {by_function}")


def _profiles(f: dict[str, Any]) -> None:
    profiles: dict[str, Profile] = f.get("profiles") or {}
    if not profiles:
        return
    print()
    print("Page builds taken apart (in-process, no HTTP; SQL timed per statement, steps under")
    print("cProfile, which slows Python, so read the steps as shares of their own total):")
    for name, p in profiles.items():
        python = p.timed_ms - p.sql_ms
        print(
            f"  {name}: built in {p.build_ms:.0f} ms (median of 5); the build with its SQL timed: "
            f"{p.timed_ms:.0f} ms = SQL {p.sql_ms:.0f} ms in {p.statements} statements + Python "
            f"{python:.0f} ms"
        )
        for where, count, ms in p.sql[:5]:
            print(f"      SQL {ms:7.1f} ms  x{count:<3} {where}")
        print(f"      steps (under cProfile, {p.profiled_ms:.0f} ms in all):")
        for depth, label, ms in p.steps[:14]:
            print(f"      {'  ' * depth}{ms:7.1f} ms  {label}")


def _target(figure: str, target: str, ok: bool) -> None:
    print(f"  {figure:<70}{target:<16}{'PASS' if ok else 'MISS'}")


def _targets(f: dict[str, Any]) -> None:
    print()
    print(f"Targets:  {'figure':<68}{'target':<16}")
    if "raw" in f:
        _tile_targets(f)
    for name, build in f["build"].items():
        _target(f"page built ({name}): {build:.0f} ms", "<= 200 ms", build <= 200)
    pages: dict[str, tuple[PageFigures, PageFigures]] = f.get("pages") or {}
    if not pages:
        return
    seen = max((p[0].largest_tile for p in pages.values()), default=(0, ""))
    seen = max([seen, *(p[1].largest_tile for p in pages.values())])
    where = seen[1].split("?")[0].removeprefix("/tiles/").removesuffix(".mvt")
    _target(
        f"largest tile the pages loaded: {_kb(seen[0])} ({where})",
        "<= 500 KB",
        seen[0] <= 500 * KB,
    )
    commune = next((v[0] for k, v in pages.items() if k.startswith("commune")), None)
    if commune is not None:
        _target(
            f"commune page, first visit: {_kb(commune.gzip_bytes)} gzip "
            f"({_kb(commune.sent_bytes)} as sent today)",
            "<= 300 KB",
            commune.gzip_bytes <= 300 * KB,
        )
    for name, (normal, _) in pages.items():
        _target(f"map drawn ({name}): {normal.drawn_ms:.0f} ms", "<= 1 s", normal.drawn_ms <= 1000)
    for name, (_, slow) in pages.items():
        _target(
            f"map drawn at 4x CPU slowdown ({name}): {slow.drawn_ms:.0f} ms",
            "<= 2.5 s",
            slow.drawn_ms <= 2500,
        )


def _tile_targets(f: dict[str, Any]) -> None:
    gap = f["cold"].p50 - f["raw"].p50
    paired = statistics.median(
        c - r for c, r in zip(f["cold"].millis, f["raw"].millis, strict=True)
    )
    _target(
        f"tile p50, cold: {f['cold'].p50:.1f} ms vs raw {f['raw'].p50:.1f} ms: +{gap:.1f} ms "
        f"(per tile +{paired:.1f})",
        "<= +2 ms",
        gap <= 2,
    )
    ratio = f["cold_rps"] / f["pyg_rps"]
    _target(
        f"tiles/s, cold cache: {f['cold_rps']:.1f} vs pygeoapi {f['pyg_rps']:.1f} = {ratio:.1f}x",
        ">= 2x pygeoapi",
        ratio >= 2,
    )
    biggest = max(f["raw"].decoded)
    _target(
        f"largest of the {len(f['tiles'])} tiles: {_kb(biggest)}", "<= 500 KB", biggest <= 500 * KB
    )
