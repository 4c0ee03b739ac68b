"""Throwaway PostGIS databases for schema and audit tests.

``GEO_APP_TEST_ADMIN_URL`` names a maintenance database on a server where the tests may
CREATE and DROP DATABASE (the role must be allowed to create the postgis extension). Every
database made here is uniquely named and dropped afterwards, so runs never share state.
There is no skip: without a server these tests fail, they never pass vacuously.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, Connection, make_url

from geo_app import migrations_api

DEFAULT_ADMIN_URL = "postgresql+psycopg2://geo_app:dev@127.0.0.1:55432/postgres"

# Every table of DESIGN §3, spelled out here (not read from the models) so a table missing
# from both the models and the migration still fails the tests.
EXPECTED_TABLES = frozenset(
    {
        "admin_unit",
        "crosswalk",
        "province_target",
        "hotspot",
        "hotspot_status_change",
        "hotline_board",
        "tipoff_box",
        "tipoff_inspection",
        "cultivation_site",
        "route",
        "indicator",
        "classification",
        "campaign",
        "phase",
        "campaign_target",
        "campaign_baseline",
        "evaluation",
        "audit_log",
        "app_user",
        "data_load",
        # Vector tiles (migration 0003): derived boundaries and the edit log.
        "admin_unit_tile",
        "layer_edit",
        "layer_version",
        # Login sessions and failed-login counters (migration 0007).
        "app_session",
        "login_failure",
        # Field capture (migration 0009): board checks and the receipts of field writes.
        "hotline_board_check",
        "write_receipt",
        # Background jobs (migration 0010).
        "job",
    }
)

# A small square in Trà Vinh, as EWKT.
SQUARE = "SRID=4326;MULTIPOLYGON(((106.30 9.90,106.31 9.90,106.31 9.91,106.30 9.91,106.30 9.90)))"


def admin_url() -> URL:
    return make_url(os.environ.get("GEO_APP_TEST_ADMIN_URL") or DEFAULT_ADMIN_URL)


@contextmanager
def throwaway_database(prefix: str = "h1_") -> Iterator[URL]:
    """An empty database, dropped (with any lingering connections) on exit."""
    admin = admin_url()
    name = f"{prefix}{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    quoted = engine.dialect.identifier_preparer.quote(name)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {quoted}"))
        yield admin.set(database=name)
    finally:
        with engine.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
        engine.dispose()


@contextmanager
def migrated_database(prefix: str = "h1_") -> Iterator[URL]:
    """A throwaway database at the newest migration."""
    with throwaway_database(prefix) as url:
        migrations_api.upgrade(url)
        yield url


def public_tables(conn: Connection) -> set[str]:
    """Tables in ``public`` that belong to the application (not PostGIS, not Alembic)."""
    names = sa.inspect(conn).get_table_names(schema="public")
    return set(names) - {"spatial_ref_sys", "alembic_version"}


def public_enum_types(conn: Connection) -> set[str]:
    rows = conn.execute(
        sa.text(
            "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
            "WHERE n.nspname = 'public' AND t.typtype = 'e'"
        )
    )
    return set(rows.scalars())


def own_functions(conn: Connection) -> set[str]:
    """Functions in ``public`` that no extension owns (ours)."""
    rows = conn.execute(
        sa.text(
            "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
            "WHERE n.nspname = 'public' AND NOT EXISTS ("
            "  SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e')"
        )
    )
    return set(rows.scalars())


def own_triggers(conn: Connection) -> set[str]:
    rows = conn.execute(sa.text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"))
    return set(rows.scalars())


def schema_fingerprint(conn: Connection) -> dict[str, Any]:
    """Columns, constraints and indexes of the application tables, as PostgreSQL prints them."""
    columns = conn.execute(
        sa.text(
            "SELECT table_name, column_name, data_type, udt_name, is_nullable, "
            "column_default, is_generated, generation_expression, character_maximum_length "
            "FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name <> ALL(:skip)"
        ),
        {"skip": ["spatial_ref_sys", "alembic_version", "geometry_columns", "geography_columns"]},
    ).all()
    constraints = conn.execute(
        sa.text(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
            "FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
            "WHERE n.nspname = 'public' AND c.conrelid <> 0 "
            "AND c.conrelid::regclass::text <> ALL(:skip)"
        ),
        {"skip": ["spatial_ref_sys", "alembic_version"]},
    ).all()
    indexes = conn.execute(
        sa.text(
            "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
            "AND tablename <> ALL(:skip)"
        ),
        {"skip": ["spatial_ref_sys", "alembic_version"]},
    ).all()
    return {
        "columns": {tuple(row) for row in columns},
        "constraints": {tuple(row) for row in constraints},
        "indexes": {tuple(row) for row in indexes},
    }


def add_unit(
    conn: Connection,
    code: str = "29000",
    *,
    valid_from: date = date(2025, 7, 1),
    valid_to: date | None = None,
    geom: str = SQUARE,
    level: str = "commune",
) -> int:
    """Insert one admin_unit version and return its id."""
    return int(
        conn.execute(
            sa.text(
                "INSERT INTO admin_unit (code, name, level, layout, geom, valid_from, valid_to, "
                "source) VALUES (:code, 'Phường Trà Vinh', CAST(:level AS admin_level), '2025', "
                "ST_GeomFromEWKT(:geom), :vf, :vt, 'test') RETURNING id"
            ),
            {"code": code, "level": level, "geom": geom, "vf": valid_from, "vt": valid_to},
        ).scalar_one()
    )
