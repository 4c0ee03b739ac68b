"""The benchmark's own database: the real 2025 boundaries, national synthetic hamlets, 50,000
demo hotspots, and plain copies of the drawn tables for pygeoapi.

It lives on the embedded cluster under its own name (never the demo or test databases) and is
built once; ``--rebuild`` makes it again. Everything synthetic is flagged ``is_demo``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from geo_app.db import make_engine, session_scope
from geo_app.demo.pipeline import load_demo
from geo_app.migrations_api import is_up_to_date, upgrade
from geo_app.models import User
from geo_app.services.accounts.users import create_user
from geo_app.services.tiles.bands import rebuild_bands

BENCH_DATABASE = "geo_app_bench"
BENCH_VERSION = 2
"""Bumped when what the build puts in the database changes; an older build is made again."""
BENCH_LOGIN = "bench.admin"
BENCH_PASSWORD = "bench-local-only-2025"
"""The bench's own national admin (this database holds demo data only and never leaves the
embedded cluster on loopback)."""
CAMPAIGN_CODE = "tra-vinh-2025"
HAMLETS_PER_COMMUNE = 30
HOTSPOTS = 50_000
SEED = 20250701

# Voronoi cells of 30 random points in each commune without hamlets, clipped to the commune.
HAMLETS = """
INSERT INTO admin_unit (code, name, level, kind, layout, parent_id, geom, valid_from, source,
                        is_demo, population_is_estimate)
SELECT code, name, 'hamlet', 'thôn', '2025', parent_id, geom, valid_from,
       'synthetic: bench hamlets (Voronoi subdivision)', true, true
FROM (
    SELECT c.code || '-' || lpad(CAST(cell.n AS text), 2, '0') AS code,
           'Thôn ' || cell.n || ' (bench)' AS name, c.id AS parent_id, c.valid_from,
           ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Intersection(c.geom, cell.geom)), 3))
               AS geom
    FROM admin_unit c
    CROSS JOIN LATERAL (
        SELECT row_number() OVER () AS n, d.geom
        FROM ST_Dump(ST_VoronoiPolygons(
            ST_GeneratePoints(c.geom, :per_commune, CAST(c.id AS integer) + :seed), 0, c.geom)) d
    ) cell
    WHERE c.level = 'commune' AND c.layout = '2025' AND c.valid_to IS NULL
      AND NOT EXISTS (SELECT 1 FROM admin_unit h WHERE h.parent_id = c.id
                      AND h.level IN ('hamlet', 'residential_group'))
) made
WHERE NOT ST_IsEmpty(geom)
"""

SPOTS = """
INSERT INTO hotspot (geom, kind, status, detected_on, cleared_on, source, admin_unit_id, is_demo,
                     notes)
SELECT p.geom,
       CAST((ARRAY['complex_point', 'den', 'retail', 'use_site'])[1 + p.r % 4] AS hotspot_kind),
       CAST(CASE WHEN p.r % 5 = 0 THEN 'cleared' WHEN p.r % 7 = 0 THEN 'under_attack'
                 ELSE 'active' END AS hotspot_status),
       DATE '2023-01-01' + p.r % 900,
       CASE WHEN p.r % 5 = 0 THEN DATE '2023-01-01' + p.r % 900 + 30 END,
       CAST((ARRAY['tip_off', 'patrol', 'survey', 'other'])[1 + p.r % 3] AS hotspot_source),
       p.unit, true, 'synthetic bench hotspot'
FROM (
    SELECT d.geom, c.id AS unit, CAST(abs(hashtext(c.code || d.path[1])) AS integer) AS r
    FROM admin_unit c
    CROSS JOIN LATERAL ST_Dump(ST_GeneratePoints(c.geom, :per_commune,
                                                 CAST(c.id AS integer) + :seed)) d
    WHERE c.level = 'commune' AND c.layout = '2025' AND c.valid_to IS NULL
    ORDER BY c.id, d.path[1]
    LIMIT :total
) p
"""

# Plain tables for pygeoapi (it serves a table whole; these are the units and points in force).
COPIES = {
    "bench_provinces": "SELECT id, code, name, kind, geom FROM admin_unit "
    "WHERE level = 'province' AND layout = '2025' AND valid_to IS NULL",
    "bench_communes": "SELECT id, code, name, kind, geom FROM admin_unit "
    "WHERE level = 'commune' AND layout = '2025' AND valid_to IS NULL",
    "bench_hamlets": "SELECT id, code, name, kind, geom FROM admin_unit "
    "WHERE level = 'hamlet' AND layout = '2025' AND valid_to IS NULL",
    "bench_hotspots": "SELECT id, CAST(kind AS text) AS kind, CAST(status AS text) AS status, geom "
    "FROM hotspot WHERE deleted_at IS NULL",
}


def database_url(admin_url: str) -> str:
    return make_url(admin_url).set(database=BENCH_DATABASE).render_as_string(hide_password=False)


def ensure(admin_url: str, *, rebuild: bool, say: Callable[[str], None]) -> str:
    """The bench database's URL, built first when missing, outdated (an older bench build) or
    when ``rebuild``, upgraded when only its schema is older; its national admin user is made
    when missing."""
    url = database_url(admin_url)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    with admin.connect() as conn:
        exists = conn.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": BENCH_DATABASE}
        )
        if exists and not rebuild and _complete(url):
            admin.dispose()
            if not is_up_to_date(url):  # a newer schema only: its migrations keep the data
                say("  upgrading the bench database to the newest schema")
                upgrade(url)
            _ensure_user(url)
            return url
        if exists:
            say("  the bench database is outdated or incomplete: building it again")
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{BENCH_DATABASE}"'))
    try:
        _build(url, say)
        _ensure_user(url)
    except BaseException:  # never leave a half-built database behind
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
        raise
    finally:
        admin.dispose()
    return url


def drop(admin_url: str) -> None:
    """Remove the bench database (``maps.py --drop``)."""
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
    admin.dispose()


def _complete(url: str) -> bool:
    """Built by this version of the bench (an older schema is upgraded, not built again)."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            built = conn.scalar(sa.text("SELECT max(version) FROM data_load WHERE name = 'bench'"))
        return bool(built == BENCH_VERSION)
    except sa.exc.DBAPIError:
        return False
    finally:
        engine.dispose()


def _ensure_user(url: str) -> None:
    """The bench's national admin (``BENCH_LOGIN``), made when missing."""
    engine = make_engine(url)
    with session_scope(engine) as session, session.begin():
        if not session.scalar(sa.select(sa.exists().where(User.login == BENCH_LOGIN))):
            create_user(
                session,
                login=BENCH_LOGIN,
                password=BENCH_PASSWORD,
                role="admin",
                scope_code=None,
                actor="bench",
            )
    engine.dispose()


def campaign_id(url: str, code: str = CAMPAIGN_CODE) -> int:
    """The id of the demo campaign ``code`` in the bench database."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        found = conn.scalar(sa.text("SELECT id FROM campaign WHERE code = :c"), {"c": code})
    engine.dispose()
    if found is None:
        raise RuntimeError(f"no campaign {code!r} in the bench database; run with --rebuild")
    return int(found)


def _build(url: str, say: Callable[[str], None]) -> None:
    started = time.perf_counter()
    upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as session, session.begin():
        load_demo(session, actor="bench")
        say(f"  real boundaries + demo data loaded ({time.perf_counter() - started:.0f} s)")
        _synthesise(session, say)
    with engine.begin() as conn:
        for table, select in COPIES.items():
            conn.execute(sa.text(f"CREATE TABLE {table} AS {select}"))
            conn.execute(sa.text(f"ALTER TABLE {table} ADD PRIMARY KEY (id)"))
            conn.execute(sa.text(f"CREATE INDEX ix_{table}_geom ON {table} USING gist (geom)"))
        conn.execute(
            sa.text(
                "INSERT INTO data_load (name, version, loaded_at, summary, is_demo) "
                "VALUES ('bench', :version, now(), '{}', true)"
            ),
            {"version": BENCH_VERSION},
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()
    say(f"  bench database built in {time.perf_counter() - started:.0f} s")


def _synthesise(session: Session, say: Callable[[str], None]) -> None:
    started = time.perf_counter()
    params = {"per_commune": HAMLETS_PER_COMMUNE, "seed": SEED}
    hamlets = _rowcount(session.execute(sa.text(HAMLETS), params))
    rebuild_bands(session, level="hamlet", layout="2025")
    say(f"  {hamlets:,} synthetic hamlets ({time.perf_counter() - started:.0f} s)")
    have = session.scalar(sa.text("SELECT count(*) FROM hotspot")) or 0
    communes = session.scalar(
        sa.text("SELECT count(*) FROM admin_unit WHERE level = 'commune' AND valid_to IS NULL")
    )
    per_commune = -(-(HOTSPOTS - have) // max(int(communes or 1), 1))
    total = HOTSPOTS - have
    spots = _rowcount(
        session.execute(sa.text(SPOTS), {"per_commune": per_commune, "seed": SEED, "total": total})
    )
    say(f"  {spots:,} synthetic hotspots ({have + spots:,} in all)")


def _rowcount(result: sa.Result[Any]) -> int:
    return int(getattr(result, "rowcount", 0))
