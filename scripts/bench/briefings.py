"""Briefing benchmark: a commune's briefing map as PDF (target <= 2 s) and the Trà Vinh
campaign's briefing pack, cover and 21 targets (target <= 30 s), drawn as the server draws them.

Runs on its own database on the embedded cluster (``geo_app_bench_briefings``: the real
boundaries and the demo data, built once; ``--rebuild`` makes it again). ``figures()`` gives
the lines ``scripts/bench/outputs.py`` prints; run alone, this prints them.
"""

from __future__ import annotations

import argparse
import io
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from geo_app import clock
from geo_app.config import Settings
from geo_app.db import embedded_cluster, make_engine, session_scope
from geo_app.demo.pipeline import load_demo
from geo_app.demo.synth import DEMO_TODAY
from geo_app.i18n import translator
from geo_app.migrations_api import is_up_to_date, upgrade
from geo_app.models import Campaign
from geo_app.pages.common import PageMonth, Viewer
from geo_app.printing import briefing_map, pack
from geo_app.printing.kit import Paper

DATABASE = "geo_app_bench_briefings"
COMMUNE = "29410"
CAMPAIGN = "tra-vinh-2025"
MAP_TARGET_S = 2.0
PACK_TARGET_S = 30.0
ROOT = Path(__file__).resolve().parents[2]


def ensure_database(rebuild: bool = False) -> str:
    """The bench database's URL: the demo loaded once (upgraded when only the schema is newer)."""
    info = embedded_cluster(Settings.from_env({"GEO_APP_STATE_DIR": str(ROOT / "var")})).start()
    admin_url = info.url("postgres")
    url = make_url(admin_url).set(database=DATABASE).render_as_string(hide_password=False)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    with admin.connect() as conn:
        found = conn.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": DATABASE}
        )
        if found and rebuild:
            conn.execute(sa.text(f'DROP DATABASE "{DATABASE}" WITH (FORCE)'))
        if not found or rebuild:
            conn.execute(sa.text(f'CREATE DATABASE "{DATABASE}"'))
    admin.dispose()
    if not found or rebuild:
        upgrade(url)
        engine = make_engine(url)
        with session_scope(engine) as session, session.begin():
            load_demo(session, actor="bench")
        engine.dispose()
    elif not is_up_to_date(url):
        upgrade(url)
    return url


def reader() -> Viewer:
    return Viewer("vi", None, clock.today(), translator("vi"))


def commune_map(session: Session) -> tuple[float, int]:
    """Seconds and bytes of the commune's A4 landscape briefing PDF."""
    started = time.perf_counter()
    month = PageMonth(None, clock.today())
    sheet = briefing_map.commune_sheet(session, COMMUNE, month, reader())
    body = briefing_map.render(sheet, Paper("A4", "landscape"), "pdf", author="bench")
    return time.perf_counter() - started, len(body)


def campaign_pack(session: Session) -> tuple[float, int, int]:
    """Seconds, pages and bytes of the Trà Vinh pack."""
    campaign_id = session.scalar(sa.select(Campaign.id).where(Campaign.code == CAMPAIGN))
    assert campaign_id is not None, "no Trà Vinh campaign in the bench database"
    buffer = io.BytesIO()
    started = time.perf_counter()
    pages = pack.campaign_pack(session, campaign_id, clock.today(), reader(), buffer)
    return time.perf_counter() - started, pages, len(buffer.getvalue())


def figures(rebuild: bool = False) -> list[tuple[str, str]]:
    """(label, figure) lines: the commune map (first and warm) and the campaign pack."""
    clock.pin(DEMO_TODAY)
    engine = make_engine(ensure_database(rebuild))
    with session_scope(engine) as session:
        cold, size = commune_map(session)
        warm = min(commune_map(session)[0] for _ in range(3))
        seconds, pages, pack_size = campaign_pack(session)
    engine.dispose()
    return [
        ("commune briefing PDF, first (A4)", f"{cold:.2f} s, {size / 1024:.0f} KiB"),
        (
            f"commune briefing PDF, warm (target <= {MAP_TARGET_S:g} s)",
            f"{warm:.2f} s {'OK' if warm <= MAP_TARGET_S else 'OVER'}",
        ),
        (
            f"Trà Vinh pack, {pages} pages (target <= {PACK_TARGET_S:g} s)",
            f"{seconds:.1f} s, {pack_size / 1024 / 1024:.1f} MiB "
            f"{'OK' if seconds <= PACK_TARGET_S else 'OVER'}",
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="rebuild the bench database")
    args = parser.parse_args()
    for label, figure in figures(args.rebuild):
        print(f"{label:<55} {figure}")


if __name__ == "__main__":
    main()
