"""Benchmark of the outputs (prints figures; not a test).

    .venv/bin/python scripts/bench/outputs.py [--rebuild] [--drop]

Section 1, exports: on a scratch database of its own (``geo_app_bench_outputs`` on the embedded
cluster: the real boundaries, the demo data and synthetic hotspots up to 100,000; never the demo
or test databases), the 100,000 hotspots and the 3,321 communes are exported to GeoPackage,
Shapefile, CSV and XLSX through geo_app (``geo_app.exports.layers.export``, as the API and CLI
do), each run in a child process of its own, beside ``ogr2ogr`` reading the same PostGIS tables
into the same formats. Printed per run: seconds, rows, file size and the child's peak memory
(``ru_maxrss`` from ``wait4``), and the export call's own time (the child's time less Python's
start and imports, ~1 s, which a running server has paid once). Target: a GeoPackage export
call ≤ 1.5× ogr2ogr's whole run (PASS/MISS printed; the whole child's ratio beside it).

Section 2, briefings: ``scripts/bench/briefings.py`` (``figures() -> list[tuple[str, str]]``),
printed after the exports when that module exists.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import sqlalchemy as sa
from sqlalchemy.engine import make_url

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

DATABASE = "geo_app_bench_outputs"
HOTSPOTS = 100_000
FORMATS = ("gpkg", "shp", "csv", "xlsx")
LAYERS = ("hotspots", "communes")
OGR = {
    "gpkg": ("GPKG", ".gpkg", ()),
    "shp": ("ESRI Shapefile", ".shp", ("-lco", "ENCODING=UTF-8")),
    "csv": ("CSV", ".csv", ("-lco", "GEOMETRY=AS_WKT")),
    "xlsx": ("XLSX", ".xlsx", ()),
}
"""ogr2ogr's driver, extension and options for each format benched."""
GPKG_TARGET = 1.5
"""GeoPackage: the export call's time at most this many times ogr2ogr's (whole process)."""
TABLES = {
    "hotspots": "SELECT id, CAST(kind AS text) AS kind, CAST(status AS text) AS status, "
    "detected_on, cleared_on, relapsed_on, CAST(source AS text) AS source, is_demo, geom "
    "FROM hotspot WHERE deleted_at IS NULL",
    "communes": "SELECT code, name, name_en, kind, CAST(level AS text) AS level, population, "
    "valid_from, valid_to, is_demo, geom FROM admin_unit WHERE level = 'commune' "
    "AND valid_to IS NULL",
}
"""What ogr2ogr reads: the same tables, about the same columns as geo_app's export schema."""


def _admin_url() -> str:
    from geo_app.config import Settings
    from geo_app.db import embedded_cluster

    settings = Settings.from_env({"GEO_APP_STATE_DIR": str(ROOT / "var")})
    return embedded_cluster(settings).start().url("postgres")


def ensure(admin_url: str, rebuild: bool) -> str:
    """The scratch database (built once: upgrade, demo load, hotspots up to 100,000)."""
    from bench_data import SEED, SPOTS

    from geo_app.db import make_engine, session_scope
    from geo_app.demo.pipeline import load_demo
    from geo_app.migrations_api import upgrade

    url = make_url(admin_url).set(database=DATABASE).render_as_string(hide_password=False)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    with admin.connect() as conn:
        exists = conn.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": DATABASE}
        )
        if exists and not rebuild:
            return url
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{DATABASE}"'))
    print(f"building {DATABASE} (a few minutes) …", file=sys.stderr, flush=True)
    upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as session, session.begin():
        load_demo(session, actor="bench")
        have = int(session.scalar(sa.text("SELECT count(*) FROM hotspot")) or 0)
        communes = int(
            session.scalar(
                sa.text(
                    "SELECT count(*) FROM admin_unit WHERE level = 'commune' AND valid_to IS NULL"
                )
            )
            or 1
        )
        total = HOTSPOTS - have
        per = -(-total // communes)
        session.execute(sa.text(SPOTS), {"per_commune": per, "seed": SEED, "total": total})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()
    return url


def child_export(url: str, layer: str, fmt: str, target: str) -> None:
    """One export through geo_app, in this (child) process; prints the rows written."""
    from geo_app.db import make_engine, session_scope
    from geo_app.exports.layers import ExportRequest, export
    from geo_app.layers.base import LayerQuery

    asked = ExportRequest((layer,), fmt, LayerQuery(), "bench", "admin")
    with session_scope(make_engine(url)) as session:
        started = time.perf_counter()
        done = export(session, asked, Path(target))
        session.commit()
        seconds = time.perf_counter() - started
    print(sum(done.rows.values()), done.path.stat().st_size, f"{seconds:.3f}")


def _measure(command: list[str]) -> tuple[float, int, str]:
    """Seconds, the child's peak memory (MB) and its output."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    out = process.stdout.read() if process.stdout else ""
    err = process.stderr.read() if process.stderr else ""
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"{command[:3]} failed: {err[-2000:]}")
    return elapsed, usage.ru_maxrss // 1024, out.strip()


def _pg(url: str) -> str:
    parts = make_url(url)
    return (
        f"PG:host={parts.host or 'localhost'} port={parts.port or 5432} dbname={parts.database} "
        f"user={parts.username} password={parts.password}"
    )


def _size(path: Path) -> int:
    if path.is_dir():
        return sum(p.stat().st_size for p in path.iterdir())
    return path.stat().st_size


def exports_section(url: str, only: str | None = None) -> list[tuple[str, str]]:
    """Every (layer, format) through geo_app and through ogr2ogr, side by side (``only``:
    one ``layer:format``)."""
    figures: list[tuple[str, str]] = []
    for layer in LAYERS:
        for fmt in FORMATS:
            if only and only != f"{layer}:{fmt}":
                continue
            with TemporaryDirectory() as scratch:
                ours = _measure([sys.executable, __file__, "--child", url, layer, fmt, scratch])
                driver, ext, options = OGR[fmt]
                if fmt == "csv" and layer == "hotspots":  # lon/lat, as geo_app writes points
                    options = ("-lco", "GEOMETRY=AS_XY")
                target = Path(scratch) / f"ogr_{layer}"
                target.mkdir()
                out = target / f"{layer}{ext}"
                theirs = _measure(
                    [
                        "ogr2ogr",
                        "-f",
                        driver,
                        str(out),
                        _pg(url),
                        "-sql",
                        TABLES[layer],
                        "-nln",
                        layer,
                        *options,
                    ]
                )
                rows, size, call = ours[2].split()
                ratio, call_ratio = ours[0] / theirs[0], float(call) / theirs[0]
                verdict = ""
                if fmt == "gpkg":
                    verdict = " " + ("PASS" if call_ratio <= GPKG_TARGET else "MISS")
                figures.append(
                    (
                        f"{layer} → {fmt}",
                        f"geo_app {ours[0]:.2f} s (export call {float(call):.2f} s), "
                        f"{int(rows):,} rows, {int(size) / 1e6:.1f} MB, peak {ours[1]} MB | "
                        f"ogr2ogr {theirs[0]:.2f} s, {_size(target) / 1e6:.1f} MB, "
                        f"peak {theirs[1]} MB | ×{ratio:.2f} (call ×{call_ratio:.2f}){verdict}",
                    )
                )
                print(f"  {figures[-1][0]:<22} {figures[-1][1]}", flush=True)
    return figures


def briefings_section() -> list[tuple[str, str]]:
    """Section 2: the briefing PDF timings, from ``scripts/bench/briefings.py`` when present."""
    if not (HERE / "briefings.py").exists():
        return [("briefings", "scripts/bench/briefings.py not present yet")]
    import briefings  # type: ignore[import-not-found]

    figures: list[tuple[str, str]] = briefings.figures()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--drop", action="store_true", help="remove the scratch database")
    parser.add_argument("--only", metavar="LAYER:FORMAT", help="one export, no briefings")
    parser.add_argument("--child", nargs=4, metavar=("URL", "LAYER", "FORMAT", "DIR"))
    parser.add_argument("--build", metavar="ADMIN_URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_export(*args.child)
        return
    if args.build:
        print(ensure(args.build, args.rebuild))
        return
    admin = _admin_url()
    if args.drop:
        engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
        with engine.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)'))
        return
    # Built in a child: a forked child's peak memory counts its parent's, so this process
    # stays small and the figures below are the exports' own.
    command = [sys.executable, __file__, "--build", admin] + (["--rebuild"] if args.rebuild else [])
    url = subprocess.run(command, check=True, capture_output=True, text=True).stdout.split()[-1]
    print("1. exports (geo_app vs ogr2ogr, whole country, national scope)")
    exports_section(url, args.only)
    if args.only:
        return
    print("2. briefings")
    for name, value in briefings_section():
        print(f"  {name:<46} {value}")


if __name__ == "__main__":
    main()
