"""The benchmark's own database: the real 2025 boundaries, national synthetic hamlets, 50,000
demo hotspots, and plain copies of the drawn tables for pygeoapi.

It lives on the embedded cluster under its own name (never the demo or test databases) and is
built once; ``--rebuild`` makes it again. Everything synthetic is flagged ``is_demo``.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from geo_app.db import make_engine, session_scope
from geo_app.migrations_api import upgrade
from geo_app.services.demo import load_demo
from geo_app.services.tile_geometry import rebuild_bands

BENCH_DATABASE = "geo_app_bench"
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
    """The bench database's URL, built first when missing (or when ``rebuild``)."""
    url = database_url(admin_url)
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    with admin.connect() as conn:
        exists = conn.scalar(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": BENCH_DATABASE}
        )
        if exists and not rebuild and _complete(url):
            admin.dispose()
            return url
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{BENCH_DATABASE}"'))
    admin.dispose()
    _build(url, say)
    return url


def _complete(url: str) -> bool:
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            return bool(conn.scalar(sa.text("SELECT count(*) FROM data_load WHERE name = 'bench'")))
    except sa.exc.DBAPIError:
        return False
    finally:
        engine.dispose()


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
                "VALUES ('bench', 1, now(), '{}', true)"
            )
        )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()
    say(f"  bench database built in {time.perf_counter() - started:.0f} s")


def _synthesise(session: Session, say: Callable[[str], None]) -> None:
    started = time.perf_counter()
    params = {"per_commune": HAMLETS_PER_COMMUNE, "seed": SEED}
    hamlets = session.execute(sa.text(HAMLETS), params).rowcount
    rebuild_bands(session, level="hamlet", layout="2025")
    say(f"  {hamlets:,} synthetic hamlets ({time.perf_counter() - started:.0f} s)")
    have = session.scalar(sa.text("SELECT count(*) FROM hotspot")) or 0
    communes = session.scalar(
        sa.text("SELECT count(*) FROM admin_unit WHERE level = 'commune' AND valid_to IS NULL")
    )
    per_commune = -(-(HOTSPOTS - have) // max(int(communes or 1), 1))
    total = HOTSPOTS - have
    spots = session.execute(
        sa.text(SPOTS), {"per_commune": per_commune, "seed": SEED, "total": total}
    ).rowcount
    say(f"  {spots:,} synthetic hotspots ({have + spots:,} in all)")
