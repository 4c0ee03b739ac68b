"""The migration chain and the models on real PostGIS: tables, constraints, generated area."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pyproj
import pytest
import sqlalchemy as sa
from _schema_helpers import (
    EXPECTED_TABLES,
    SQUARE,
    add_unit,
    migrated_database,
    own_functions,
    own_triggers,
    public_enum_types,
    public_tables,
    schema_fingerprint,
    throwaway_database,
)
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from geoalchemy2 import WKTElement
from shapely import wkt
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from geo_app import migrations_api
from geo_app.migrations_api import include_object
from geo_app.models import (
    AdminLevel,
    AdminUnit,
    Base,
    CultivationSite,
    Hotspot,
    HotspotKind,
    HotspotSource,
    HotspotStatus,
)

REPO = Path(__file__).resolve().parents[1]
GEOMETRY_TABLES = {
    "admin_unit": "MULTIPOLYGON",
    "hotspot": "POINT",
    "hotline_board": "POINT",
    "tipoff_box": "POINT",
    "cultivation_site": "MULTIPOLYGON",
    "route": "MULTILINESTRING",
}
# Derived copies cut into vector tiles are the only geometry kept in Web Mercator.
MERCATOR_TABLES = {"admin_unit_tile": "MULTIPOLYGON", "layer_edit": "POLYGON"}
TILE_LOGGED = (
    "admin_unit",
    "hotspot",
    "hotspot_status_change",
    "hotline_board",
    "tipoff_box",
    "tipoff_inspection",
    "cultivation_site",
    "route",
    # Campaign progress tiles (migration 0004).
    "evaluation",
    "campaign_target",
    "phase",
    "campaign",
    # Classification tiles (migration 0005): the stored classes, and boundaries for that layer.
    "classification",
)
EXTRA_EDIT_TRIGGERS = {
    f"admin_unit_classification_edit_{e}" for e in ("insert", "update", "delete")
} | {"admin_unit_area"}  # the stored area (0012)


@pytest.fixture(scope="module")
def db_url() -> Iterator[URL]:
    with migrated_database() as url:
        yield url


@pytest.fixture(scope="module")
def engine(db_url: URL) -> Iterator[Engine]:
    engine = sa.create_engine(db_url, poolclass=sa.NullPool)
    yield engine
    engine.dispose()


@pytest.fixture
def conn(engine: Engine) -> Iterator[Connection]:
    """A connection whose work is rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


def rejects(conn: Connection, sql: str, params: dict[str, Any] | None = None) -> str:
    """Run ``sql`` in a savepoint, assert PostgreSQL refuses it, and return the error text."""
    with pytest.raises(sa.exc.DBAPIError) as caught, conn.begin_nested():
        conn.execute(sa.text(sql), params or {})
    return str(caught.value.orig)


@contextmanager
def refused(
    conn: Connection, match: str, kind: type[Exception] = sa.exc.DBAPIError
) -> Iterator[None]:
    """The block must fail with ``kind`` matching ``match``; its savepoint is rolled back."""
    with pytest.raises(kind, match=match), conn.begin_nested():
        yield


def accepts(conn: Connection, sql: str, params: dict[str, Any] | None = None) -> None:
    with conn.begin_nested():
        conn.execute(sa.text(sql), params or {})


# --- the migration chain ------------------------------------------------------------------


def test_upgrade_creates_every_table(engine: Engine) -> None:
    with engine.connect() as conn:
        assert public_tables(conn) == EXPECTED_TABLES
        assert set(Base.metadata.tables) == EXPECTED_TABLES
        edit_log = {
            f"{t}_layer_edit_{e}" for t in TILE_LOGGED for e in ("insert", "update", "delete")
        }
        assert (
            own_triggers(conn)
            == {"audit_log_append_only", "audit_log_no_truncate"} | edit_log | EXTRA_EDIT_TRIGGERS
        )
        extensions = set(conn.execute(sa.text("SELECT extname FROM pg_extension")).scalars())
        assert {"postgis", "btree_gist"} <= extensions


def test_every_geometry_is_typed_4326_with_a_gist_index(engine: Engine) -> None:
    with engine.connect() as conn:
        columns = {
            row.f_table_name: (row.type, row.srid)
            for row in conn.execute(
                sa.text(
                    "SELECT f_table_name, type, srid FROM geometry_columns "
                    "WHERE f_table_schema = 'public'"
                )
            )
        }
        gist_indexed = set(
            conn.execute(
                sa.text(
                    "SELECT tablename FROM pg_indexes WHERE schemaname = 'public' "
                    "AND indexdef ~ 'USING gist \\((geom|bbox)\\)'"
                )
            ).scalars()
        )
    expected = {table: (kind, 4326) for table, kind in GEOMETRY_TABLES.items()}
    expected |= {table: (kind, 3857) for table, kind in MERCATOR_TABLES.items()}
    assert columns == expected
    assert gist_indexed == set(GEOMETRY_TABLES) | set(MERCATOR_TABLES)


def test_timestamps_are_timestamptz(engine: Engine) -> None:
    with engine.connect() as conn:
        naive = conn.execute(
            sa.text(
                "SELECT table_name || '.' || column_name FROM information_schema.columns "
                "WHERE table_schema = 'public' AND data_type = 'timestamp without time zone'"
            )
        ).all()
        stamped = conn.execute(
            sa.text(
                "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' "
                "AND data_type = 'timestamp with time zone'"
            )
        ).scalar_one()
    assert naive == []
    assert stamped > 20


def test_models_match_the_migration(db_url: URL) -> None:
    """Autogenerate finds nothing to do, and create_all builds the very same schema."""
    migrated = sa.create_engine(db_url, poolclass=sa.NullPool)
    try:
        with migrated.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"include_object": include_object, "compare_type": True}
            )
            assert compare_metadata(context, Base.metadata) == []
            from_migration = schema_fingerprint(conn)
    finally:
        migrated.dispose()
    with throwaway_database() as other:
        created = sa.create_engine(other, poolclass=sa.NullPool)
        try:
            with created.begin() as conn:
                conn.execute(sa.text("CREATE EXTENSION postgis"))
                conn.execute(sa.text("CREATE EXTENSION btree_gist"))
                Base.metadata.create_all(conn)
            with created.connect() as conn:
                from_models = schema_fingerprint(conn)
        finally:
            created.dispose()
    for part in ("columns", "constraints", "indexes"):
        assert from_migration[part] == from_models[part], part
    assert len(from_migration["constraints"]) > 100


def test_downgrade_to_base_and_upgrade_again() -> None:
    """Uses the repository's alembic.ini, as ``alembic upgrade head`` on the command line does."""
    with throwaway_database() as url:
        config = Config(str(REPO / "alembic.ini"))
        config.set_main_option(
            "sqlalchemy.url", url.render_as_string(hide_password=False).replace("%", "%%")
        )
        config.attributes["configure_logger"] = False
        command.upgrade(config, "head")
        engine = sa.create_engine(url, poolclass=sa.NullPool)
        try:
            with engine.connect() as conn:
                assert public_tables(conn) == EXPECTED_TABLES
                assert len(public_enum_types(conn)) == 11  # 0009 adds location_method
            assert migrations_api.current_revision(url) == migrations_api.head_revision()

            command.downgrade(config, "base")
            with engine.connect() as conn:
                assert public_tables(conn) == set()
                assert public_enum_types(conn) == set()
                assert own_functions(conn) == set()
                assert own_triggers(conn) == set()
                extensions = set(
                    conn.execute(sa.text("SELECT extname FROM pg_extension")).scalars()
                )
                assert {"postgis", "btree_gist"} <= extensions
            assert migrations_api.current_revision(url) is None

            migrations_api.upgrade(url)
            with engine.connect() as conn:
                assert public_tables(conn) == EXPECTED_TABLES
            assert migrations_api.is_up_to_date(url)
        finally:
            engine.dispose()


# --- constraints --------------------------------------------------------------------------


def test_indicator_counts_are_checked(conn: Connection) -> None:
    unit = add_unit(conn)
    insert = "INSERT INTO indicator (admin_unit_id, month, {cols}) VALUES (:u, :m, {vals})"

    def row(**counts: int | None) -> str:
        cols = ", ".join(counts)
        vals = ", ".join(f":{c}" for c in counts)
        return insert.format(cols=cols, vals=vals)

    params = {"u": unit, "m": date(2025, 3, 1)}
    error = rejects(conn, row(drug_users=-1), {**params, "drug_users": -1})
    assert "ck_indicator_drug_users_nonnegative" in error
    both = {"households_total": 10, "households_committed": 11}
    error = rejects(conn, row(**both), {**params, **both})
    assert "ck_indicator_households_committed_le_households_total" in error
    tested = {"suspected_users": 2, "suspected_tested": 3}
    assert "suspected_tested_le_suspected_users" in rejects(
        conn, row(**tested), {**params, **tested}
    )
    # A part without its whole is not a contradiction: the whole is simply unreported.
    partial = {"households_committed": 11, "households_total": None}
    accepts(conn, row(**partial), {**params, **partial})
    error = rejects(
        conn,
        row(drug_users=1),
        {"u": unit, "m": date(2025, 4, 2), "drug_users": 1},
    )
    assert "ck_indicator_month_first_day" in error
    # One row per unit and month.
    error = rejects(conn, row(drug_users=1), {**params, "drug_users": 1})
    assert "uq_indicator_admin_unit_id_month" in error


def test_enum_values_are_enforced(conn: Connection) -> None:
    unit = add_unit(conn)
    sql = (
        "INSERT INTO hotspot (geom, kind, status, detected_on, source, admin_unit_id) "
        "VALUES (ST_GeomFromEWKT('SRID=4326;POINT(106.305 9.905)'), :kind, 'active', "
        "'2025-01-05', 'patrol', :u)"
    )
    error = rejects(conn, sql, {"kind": "drug_lord_home", "u": unit})
    assert "invalid input value for enum hotspot_kind" in error
    accepts(conn, sql, {"kind": "den", "u": unit})
    assert public_enum_types(conn) >= {"admin_level", "hotspot_status", "user_role"}


def test_one_code_never_has_overlapping_versions(conn: Connection) -> None:
    add_unit(conn, "84001", valid_from=date(2020, 1, 1), valid_to=date(2025, 7, 1))
    # The next version may start the day the previous one ends (valid_to is exclusive).
    add_unit(conn, "84001", valid_from=date(2025, 7, 1))
    with refused(conn, "ex_admin_unit_code_validity", sa.exc.IntegrityError):
        add_unit(conn, "84001", valid_from=date(2024, 1, 1), valid_to=date(2024, 6, 1))
    with refused(conn, "ex_admin_unit_code_validity", sa.exc.IntegrityError):
        add_unit(conn, "84001", valid_from=date(2030, 1, 1))
    add_unit(conn, "84002", valid_from=date(2024, 1, 1))  # another code may overlap freely
    with refused(conn, "ck_admin_unit_validity_order", sa.exc.IntegrityError):
        add_unit(conn, "84003", valid_from=date(2025, 1, 2), valid_to=date(2025, 1, 1))


def test_admin_unit_geometry_is_checked(conn: Connection) -> None:
    bowtie = "SRID=4326;MULTIPOLYGON(((106.3 9.9,106.31 9.91,106.31 9.9,106.3 9.91,106.3 9.9)))"
    with refused(conn, "ck_admin_unit_geom_valid", sa.exc.IntegrityError):
        add_unit(conn, "1", geom=bowtie)
    with refused(conn, "SRID", sa.exc.DBAPIError):
        add_unit(conn, "2", geom=SQUARE.replace("SRID=4326", "SRID=3405"))
    with refused(conn, "Geometry type", sa.exc.DBAPIError):
        add_unit(conn, "3", geom="SRID=4326;POINT(106.3 9.9)")
    unit = add_unit(conn, "4")
    with refused(conn, "ck_admin_unit_population_nonnegative", sa.exc.IntegrityError):
        conn.execute(sa.text("UPDATE admin_unit SET population = -5 WHERE id = :i"), {"i": unit})


def test_hotspot_rules(conn: Connection) -> None:
    unit = add_unit(conn)
    sql = (
        "INSERT INTO hotspot (geom, kind, status, detected_on, cleared_on, source, "
        "admin_unit_id, client_id) VALUES (ST_GeomFromEWKT('SRID=4326;POINT(106.305 9.905)'), "
        "'den', :status, '2025-01-05', :cleared, 'tip_off', :u, :cid)"
    )
    cid = uuid.uuid4()
    error = rejects(conn, sql, {"status": "cleared", "cleared": None, "u": unit, "cid": None})
    assert "ck_hotspot_cleared_dated" in error
    error = rejects(
        conn, sql, {"status": "cleared", "cleared": date(2024, 1, 1), "u": unit, "cid": None}
    )
    assert "ck_hotspot_cleared_after_detected" in error
    error = rejects(conn, sql, {"status": "active", "cleared": None, "u": 999_999, "cid": None})
    assert "fk_hotspot_admin_unit_id_admin_unit" in error
    accepts(conn, sql, {"status": "active", "cleared": None, "u": unit, "cid": cid})
    # A retried offline submission with the same client id is refused, not duplicated.
    error = rejects(conn, sql, {"status": "active", "cleared": None, "u": unit, "cid": cid})
    assert "uq_hotspot_client_id" in error


def test_tipoff_inspection_forwarded_not_above_received(conn: Connection) -> None:
    unit = add_unit(conn)
    box = conn.execute(
        sa.text(
            "INSERT INTO tipoff_box (geom, site, admin_unit_id) VALUES "
            "(ST_GeomFromEWKT('SRID=4326;POINT(106.305 9.905)'), 'police_hq', :u) RETURNING id"
        ),
        {"u": unit},
    ).scalar_one()
    sql = (
        "INSERT INTO tipoff_inspection (box_id, inspected_on, letters_received, "
        "letters_forwarded) VALUES (:b, '2025-02-01', :r, :f)"
    )
    assert "forwarded_le_received" in rejects(conn, sql, {"b": box, "r": 2, "f": 3})
    assert "forwarded_nonnegative" in rejects(conn, sql, {"b": box, "r": 0, "f": -1})
    accepts(conn, sql, {"b": box, "r": 3, "f": 3})


def test_campaign_phase_and_evaluation_rules(conn: Connection) -> None:
    unit = add_unit(conn)
    campaign = conn.execute(
        sa.text(
            "INSERT INTO campaign (code, title, issuer, classification_rule_set, "
            "checklist_rule_set, starts_on) VALUES ('tv-2025', 'Kế hoạch', 'UBND tỉnh', "
            "'tra-vinh-2025', 'tra-vinh-2025', '2025-03-01') RETURNING id"
        )
    ).scalar_one()
    phase = (
        "INSERT INTO phase (campaign_id, ordinal, name_vi, starts_on, ends_on) "
        "VALUES (:c, :n, 'Giai đoạn', :s, :e)"
    )
    accepts(conn, phase, {"c": campaign, "n": 1, "s": date(2025, 3, 1), "e": date(2025, 4, 30)})
    accepts(conn, phase, {"c": campaign, "n": 2, "s": date(2025, 5, 1), "e": date(2025, 10, 31)})
    overlap = {"c": campaign, "n": 3, "s": date(2025, 10, 31), "e": None}
    assert "ex_phase_no_overlap" in rejects(conn, phase, overlap)
    backwards = {"c": campaign, "n": 3, "s": date(2025, 12, 14), "e": date(2025, 11, 1)}
    assert "ck_phase_dates_ordered" in rejects(conn, phase, backwards)
    duplicate = {"c": campaign, "n": 2, "s": date(2026, 1, 1), "e": None}
    assert "uq_phase_campaign_id_ordinal" in rejects(conn, phase, duplicate)

    evaluation = (
        "INSERT INTO evaluation (campaign_id, admin_unit_id, evaluated_on, rule_set, inputs, "
        "criteria, verdict, override_verdict, override_reason) VALUES (:c, :u, :d, "
        "'tra-vinh-2025', '{}', '[]', :v, :ov, :reason)"
    )
    base = {"c": campaign, "u": unit, "d": date(2025, 12, 1), "v": "not_recognised"}
    no_reason = {**base, "ov": "recognised", "reason": None}
    assert "ck_evaluation_override_has_reason" in rejects(conn, evaluation, no_reason)
    blank = {**base, "ov": "recognised", "reason": "  "}
    assert "ck_evaluation_override_has_reason" in rejects(conn, evaluation, blank)
    unknown = {**base, "v": "probably_fine", "ov": None, "reason": None}
    assert "ck_evaluation_verdict_known" in rejects(conn, evaluation, unknown)
    accepts(conn, evaluation, {**base, "ov": "recognised", "reason": "Biên bản thẩm định 12/2025"})


def test_users_crosswalk_and_targets(conn: Connection) -> None:
    user = "INSERT INTO app_user (login, password_hash, role) VALUES (:login, 'x', :role)"
    assert "ck_app_user_login_lower_case" in rejects(
        conn, user, {"login": "Admin", "role": "admin"}
    )
    assert "invalid input value for enum user_role" in rejects(
        conn, user, {"login": "root", "role": "root"}
    )
    accepts(conn, user, {"login": "admin", "role": "admin"})
    assert "uq_app_user_login" in rejects(conn, user, {"login": "admin", "role": "viewer"})

    crosswalk = (
        "INSERT INTO crosswalk (old_code, new_code, relation, share_of_old, source) "
        "VALUES ('84001', '29000', :rel, :share, 'overlay')"
    )
    assert "share_of_old_fraction" in rejects(conn, crosswalk, {"rel": "partial", "share": 1.2})
    assert "relation_known" in rejects(conn, crosswalk, {"rel": "some", "share": 0.5})
    accepts(conn, crosswalk, {"rel": "partial", "share": 0.5})

    target = (
        "INSERT INTO province_target (province_code, year, goal_share, basis) "
        "VALUES ('84', 2025, :share, 'Kế hoạch 2025')"
    )
    assert "goal_share_fraction" in rejects(conn, target, {"share": 20})
    accepts(conn, target, {"share": 0.2})


# --- generated area and the ORM mapping ---------------------------------------------------


def test_cultivation_area_is_geodesic_and_follows_the_geometry(conn: Connection) -> None:
    shape = wkt.loads(SQUARE.split(";", 1)[1])
    expected, _ = pyproj.Geod(ellps="WGS84").geometry_area_perimeter(shape)
    site = conn.execute(
        sa.text(
            "INSERT INTO cultivation_site (geom, plant_count, detected_on) "
            "VALUES (ST_GeomFromEWKT(:g), 1200, '2025-02-01') RETURNING id, area_m2"
        ),
        {"g": SQUARE},
    ).one()
    assert float(site.area_m2) == pytest.approx(abs(expected), rel=1e-6)
    assert 1.1e6 < float(site.area_m2) < 1.3e6  # about 1.1 km x 1.1 km, not square degrees
    conn.execute(
        sa.text(
            "UPDATE cultivation_site SET geom = ST_Multi(ST_Buffer(geom, -0.004)) WHERE id = :i"
        ),
        {"i": site.id},
    )
    smaller = conn.execute(
        sa.text("SELECT area_m2 FROM cultivation_site WHERE id = :i"), {"i": site.id}
    ).scalar_one()
    assert float(smaller) < float(site.area_m2) / 10
    error = rejects(conn, "UPDATE cultivation_site SET area_m2 = 1")
    assert "generated column" in error


def test_orm_round_trip_and_optimistic_locking(engine: Engine) -> None:
    """Models map onto the migrated tables; a stale edit is refused (version_id_col)."""
    with Session(engine) as session:
        unit = AdminUnit(
            code="T-ORM",
            name="Xã Thử",
            level=AdminLevel.commune,
            layout="2025",
            geom=WKTElement(SQUARE.split(";", 1)[1], srid=4326),
            valid_from=date(2025, 7, 1),
            source="test",
        )
        session.add(unit)
        session.flush()
        spot = Hotspot(
            geom=WKTElement("POINT(106.305 9.905)", srid=4326),
            kind=HotspotKind.retail,
            status=HotspotStatus.active,
            detected_on=date(2025, 2, 1),
            source=HotspotSource.patrol,
            admin_unit_id=unit.id,
            client_id=uuid.uuid4(),
        )
        site = CultivationSite(
            geom=WKTElement(SQUARE.split(";", 1)[1], srid=4326), detected_on=date(2025, 2, 1)
        )
        session.add_all([spot, site])
        session.commit()
        ids = (unit.id, spot.id, site.id)
    try:
        with Session(engine) as first, Session(engine) as second:
            mine = first.get_one(Hotspot, ids[1])
            theirs = second.get_one(Hotspot, ids[1])
            assert mine.version == 1
            assert mine.status is HotspotStatus.active
            assert second.get_one(CultivationSite, ids[2]).area_m2 > 1_000_000
            mine.status = HotspotStatus.under_attack
            first.commit()
            assert mine.version == 2
            theirs.status = HotspotStatus.cleared
            theirs.cleared_on = date(2025, 3, 1)
            with pytest.raises(StaleDataError):
                second.commit()
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM hotspot WHERE id = :i"), {"i": ids[1]})
            conn.execute(sa.text("DELETE FROM cultivation_site WHERE id = :i"), {"i": ids[2]})
            conn.execute(sa.text("DELETE FROM admin_unit WHERE id = :i"), {"i": ids[0]})
