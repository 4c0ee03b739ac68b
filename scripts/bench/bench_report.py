"""Print the benchmark's figures as plain tables, with the issue's targets checked."""

from __future__ import annotations

import os
import statistics
from datetime import date
from typing import Any

import sqlalchemy as sa
from bench_load import Timing

COUNTS = """
SELECT (SELECT count(*) FROM admin_unit WHERE level = 'commune' AND valid_to IS NULL),
       (SELECT count(*) FROM admin_unit WHERE level = 'hamlet' AND valid_to IS NULL),
       (SELECT count(*) FROM hotspot WHERE deleted_at IS NULL),
       (SELECT postgis_lib_version())
"""


def _row(label: str, timing: Timing | None, rate: float | None, unit: str) -> str:
    p50 = f"{timing.p50:8.1f}" if timing else " " * 8
    p95 = f"{timing.p(0.95):8.1f}" if timing else " " * 8
    rate_text = f"{rate:9.1f} {unit}" if rate is not None else ""
    return f"  {label:<34}{p50}{p95}   {rate_text}".rstrip()


def _kib(value: float) -> str:
    return f"{value / 1024:,.0f} KiB"


def _check(ok: bool) -> str:
    return "met" if ok else "NOT MET"


def print_report(url: str, f: dict[str, Any]) -> None:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        communes, hamlets, spots, postgis = conn.execute(sa.text(COUNTS)).one()
    engine.dispose()
    tiles = f["tiles"]
    print()
    print(f"Benchmark of {date.today().isoformat()} on {os.cpu_count()} cores, PostGIS {postgis}")
    print(
        f"Data: {communes:,} communes, {hamlets:,} hamlets (synthetic), {spots:,} hotspots (demo)"
    )
    print(f"Tiles: {len(tiles)} distinct tiles of the admin set at zooms 5-14")
    print()
    print(f"  {'':<34}{'p50 ms':>8}{'p95 ms':>8}   throughput, 8 clients")
    print(_row("raw ST_AsMVT statement (floor)", f["raw"], None, ""))
    print(_row("geo_app /tiles, cold cache", f["cold"], f["cold_rps"], "tiles/s"))
    print(_row("geo_app /tiles, cached", f["cached"], f["cached_rps"], "tiles/s"))
    print(_row("pygeoapi MVT-postgresql", f["pyg"], f["pyg_rps"], "tiles/s"))
    largest = max(range(len(tiles)), key=lambda i: f["raw"].decoded[i])
    z, x, y = tiles[largest]
    print(
        f"  largest tile: {_kib(f['raw'].decoded[largest])} at {z}/{x}/{y} "
        f"({_kib(f['cold'].sent[largest])} gzip); median tile {_kib(_median(f['cold'].sent))} gzip"
    )
    _features(f)
    _pages(f)
    print()
    print(f"Server peak memory: geo_app {f['memory']:.0f} MiB, pygeoapi {f['pyg_memory']:.0f} MiB")
    _targets(f)


def _median(values: list[int]) -> float:
    ordered = sorted(values)
    return float(ordered[len(ordered) // 2])


def _features(f: dict[str, Any]) -> None:
    count = len(f["features"].millis)
    print()
    print(f"Features: communes as GeoJSON in {count} of those tiles' bboxes (zooms 9-14)")
    print(f"  {'':<34}{'p50 ms':>8}{'p95 ms':>8}   throughput, 8 clients")
    print(_row("geo_app /api/layers/../features", f["features"], f["features_rps"], "req/s"))
    print(_row("pygeoapi /collections/../items", f["pyg_features"], f["pyg_features_rps"], "req/s"))
    print(
        f"  median response: geo_app {_kib(_median(f['features'].sent))}, "
        f"pygeoapi {_kib(_median(f['pyg_features'].sent))} (as sent)"
    )


def _pages(f: dict[str, Any]) -> None:
    print()
    head = f"  {'page':<16}{'build ms':>9}{'requests':>9}{'decoded':>11}{'gzip':>10}"
    print(head + f"{'drawn ms':>10}{'CPU/4':>8}{'cold tiles':>12}")
    for name, build in f["build"].items():
        normal, slow = f.get("pages", {}).get(name, (None, None))
        if normal is None:
            print(f"  {name:<16}{build:9.0f}")
            continue
        print(
            f"  {name:<16}{build:9.0f}{normal.requests:9d}{_kib(normal.decoded_bytes):>11}"
            f"{_kib(normal.gzip_bytes):>10}{normal.drawn_ms:10.0f}{slow.drawn_ms:8.0f}"
            f"{normal.first_ms:12.0f}"
        )


def _targets(f: dict[str, Any]) -> None:
    print()
    print("Targets:")
    gap = f["cold"].p50 - f["raw"].p50
    paired = statistics.median(
        c - r for c, r in zip(f["cold"].millis, f["raw"].millis, strict=True)
    )
    print(
        f"  tile p50 within 2 ms of the raw statement: +{gap:.1f} ms between the p50s, "
        f"+{paired:.1f} ms per tile (median) — {_check(paired <= 2)}"
    )
    ratio = f["cold_rps"] / f["pyg_rps"]
    print(f"  tiles/s >= 2x pygeoapi (cold cache): {ratio:.1f}x — {_check(ratio >= 2)}")
    slowest = max(f["build"].values())
    print(f"  page built in <= 200 ms: slowest {slowest:.0f} ms — {_check(slowest <= 200)}")
    biggest = max(f["raw"].decoded)
    print(f"  no tile over 500 KB: largest {_kib(biggest)} — {_check(biggest <= 500_000)}")
    pages = f.get("pages")
    if not pages:
        return
    commune = pages["commune 29242"][0].gzip_bytes
    print(f"  commune page <= 300 KB gzip: {_kib(commune)} — {_check(commune <= 300_000)}")
    drawn = max(p[0].drawn_ms for p in pages.values())
    slow = max(p[1].drawn_ms for p in pages.values())
    print(f"  map drawn <= 1 s: slowest {drawn:.0f} ms — {_check(drawn <= 1000)}")
    print(f"  map drawn <= 2.5 s at 4x slowdown: slowest {slow:.0f} ms — {_check(slow <= 2500)}")
