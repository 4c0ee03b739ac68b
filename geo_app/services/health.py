"""What /healthz reports about the database."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine


def database_reachable(engine: Engine) -> None:
    """One round trip to the database; raises if it cannot be reached."""
    with engine.connect() as conn:
        conn.scalar(sa.text("SELECT 1"))


def database_status(engine: Engine) -> dict[str, object]:
    """PostgreSQL, PostGIS, GEOS and PROJ versions and whether demo data is loaded (for an
    admin: anyone else learns only that the database is up); raises if unreachable."""
    with engine.connect() as conn:
        postgis = conn.scalar(sa.text("SELECT postgis_lib_version()"))
        full = conn.scalar(sa.text("SELECT postgis_full_version()"))
        geos = conn.scalar(sa.text("SELECT postgis_geos_version()"))
        proj = conn.scalar(sa.text("SELECT postgis_proj_version()"))
        server = conn.scalar(sa.text("SHOW server_version"))
        has_meta = conn.scalar(sa.text("SELECT to_regclass('public.data_load') IS NOT NULL"))
        demo = bool(has_meta) and bool(
            conn.scalar(sa.text("SELECT EXISTS (SELECT 1 FROM data_load WHERE is_demo)"))
        )
        revision = None
        if conn.scalar(sa.text("SELECT to_regclass('public.alembic_version') IS NOT NULL")):
            revision = conn.scalar(sa.text("SELECT version_num FROM alembic_version"))
    return {
        "database": "up",
        "postgres": server,
        "postgis": postgis,
        "postgis_full": full,
        "geos": geos,
        "proj": proj,
        "schema_revision": revision,
        "demo_data": demo,
    }
