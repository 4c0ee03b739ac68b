"""The app role the web server connects as can do its work and nothing that would let it
rewrite history: no DDL, no trigger switching, no audit edits, no server programs."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from conftest import app_role_url
from flask import Flask
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from geo_app.config import DEFAULT_APP_ROLE
from geo_app.db_roles import grant_app_rights
from geo_app.services import audit


@pytest.fixture
def app_engine(empty_db: str, engine_for: Callable[[str], Engine]) -> Iterator[Engine]:
    """An engine logged in as the app role on a fresh, migrated database with one audit row."""
    owner = engine_for(empty_db)
    with Session(owner) as session, session.begin():
        audit.record(
            session, actor="test", action="create", table="t", row_id=1, before=None, after={}
        )
    url = app_role_url(empty_db)
    assert url is not None, "set GEO_APP_TEST_APP_USER/PASSWORD: the app role's rights are tested"
    yield engine_for(url)


def _refused(engine: Engine, sql: str) -> str:
    """The database's refusal of ``sql`` (the test fails if it is allowed)."""
    with engine.connect() as conn, pytest.raises(ProgrammingError) as refused:
        conn.execute(sa.text(sql))
    return str(refused.value.orig)


def test_app_role_reads_and_appends(app_engine: Engine) -> None:
    with Session(app_engine) as session, session.begin():
        assert session.scalar(sa.text("SELECT current_user")) == DEFAULT_APP_ROLE
        assert session.scalar(sa.text("SELECT count(*) FROM audit_log")) == 1
        audit.record(
            session, actor="web", action="update", table="t", row_id=1, before={}, after={"a": 1}
        )
        session.execute(
            sa.text(
                "INSERT INTO app_user (login, password_hash, role) VALUES ('probe', 'x', 'viewer')"
            )
        )
        session.execute(sa.text("UPDATE app_user SET is_active = false WHERE login = 'probe'"))
        session.execute(sa.text("DELETE FROM app_user WHERE login = 'probe'"))
        assert audit.verify_chain(session) == []


def test_app_role_attributes_are_plain(app_engine: Engine) -> None:
    with app_engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls "
                "FROM pg_roles WHERE rolname = current_user"
            )
        ).one()
        server_roles = conn.scalars(
            sa.text(
                "SELECT r.rolname FROM pg_roles r WHERE r.rolname IN "
                "('pg_execute_server_program', 'pg_read_server_files', 'pg_write_server_files') "
                "AND pg_has_role(current_user, r.oid, 'MEMBER')"
            )
        ).all()
        owns = conn.scalar(
            sa.text("SELECT count(*) FROM pg_class WHERE relowner = current_user::regrole")
        )
    assert tuple(row) == (False, False, False, False, False)
    assert server_roles == []
    assert owns == 0


@pytest.mark.parametrize(
    ("sql", "why"),
    [
        ("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only", "must be owner"),
        ("ALTER TABLE audit_log DISABLE TRIGGER ALL", "must be owner"),
        ("UPDATE audit_log SET actor = 'someone else'", "permission denied"),
        ("DELETE FROM audit_log", "permission denied"),
        ("TRUNCATE audit_log", "permission denied"),
        ("CREATE TABLE planted (id int)", "permission denied for schema public"),
        ("DROP TABLE app_user", "must be owner"),
        ("COPY (SELECT 1) TO PROGRAM 'true'", "pg_execute_server_program"),
        ("COPY audit_log FROM '/etc/hostname'", "pg_read_server_files"),
        ("SET session_replication_role = replica", "permission denied"),
        ("CREATE ROLE intruder", "permission denied"),
        ("UPDATE spatial_ref_sys SET proj4text = '' WHERE srid = 4326", "permission denied"),
    ],
)
def test_app_role_is_refused(app_engine: Engine, sql: str, why: str) -> None:
    assert why in _refused(app_engine, sql)


def test_tables_added_later_are_granted_by_the_next_upgrade(
    empty_db: str, app_engine: Engine, engine_for: Callable[[str], Engine]
) -> None:
    with engine_for(empty_db).begin() as conn:
        conn.execute(sa.text("CREATE TABLE later_table (id serial PRIMARY KEY, note text)"))
    assert "permission denied" in _refused(
        app_engine, "INSERT INTO later_table (note) VALUES ('x')"
    )
    assert grant_app_rights(empty_db, DEFAULT_APP_ROLE) is True
    with app_engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO later_table (note) VALUES ('x')"))
        assert conn.scalar(sa.text("SELECT count(*) FROM later_table")) == 1
    assert "permission denied" in _refused(app_engine, "TRUNCATE later_table")
    assert grant_app_rights(empty_db, "no_such_role") is False


def test_the_web_app_under_test_runs_as_the_app_role(app: Flask) -> None:
    engine: Engine = app.extensions["geo_app.engine"]
    with engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT current_user")) == DEFAULT_APP_ROLE


def test_provision_makes_two_plain_roles_and_an_owned_database() -> None:
    """`geo-app db provision` (docker compose's init step) on any server, run twice."""
    import os
    import uuid

    from click.testing import CliRunner
    from sqlalchemy.engine import make_url

    from geo_app.cli import main

    tag = uuid.uuid4().hex[:8]
    admin = make_url(os.environ["GEO_APP_TEST_ADMIN_URL"])
    owner = admin.set(username=f"own_{tag}", password=f"pw1{tag}", database=f"prov_{tag}")
    app = owner.set(username=f"web_{tag}", password=f"pw2{tag}")
    env = {
        "GEO_APP_DB_SUPERUSER_URL": admin.render_as_string(hide_password=False),
        "GEO_APP_OWNER_DATABASE_URL": owner.render_as_string(hide_password=False),
        "GEO_APP_DATABASE_URL": app.render_as_string(hide_password=False),
    }
    runner = CliRunner()
    try:
        for _ in range(2):
            done = runner.invoke(main, ["db", "provision"], env=env)
            assert done.exit_code == 0, done.output
        upgraded = runner.invoke(main, ["db", "upgrade"], env=env)
        assert upgraded.exit_code == 0, upgraded.output
        assert "warning" not in upgraded.output
        as_app = sa.create_engine(app, poolclass=sa.NullPool)
        with as_app.connect() as conn:
            assert conn.scalar(sa.text("SELECT count(*) FROM audit_log")) == 0
            assert (
                conn.scalar(
                    sa.text(
                        "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'audit_log'"
                    )
                )
                == f"own_{tag}"
            )
            attrs = conn.execute(
                sa.text(
                    "SELECT bool_or(rolsuper OR rolcreatedb OR rolcreaterole) FROM pg_roles "
                    "WHERE rolname IN (:a, :b)"
                ),
                {"a": f"own_{tag}", "b": f"web_{tag}"},
            ).scalar()
            assert attrs is False
        as_app.dispose()
        assert "permission denied" in _refused(
            sa.create_engine(app, poolclass=sa.NullPool), "DELETE FROM audit_log"
        )
        with sa.create_engine(admin, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(sa.text(f'GRANT pg_read_server_files TO "web_{tag}"'))
        assert runner.invoke(main, ["db", "provision"], env=env).exit_code == 0
        with sa.create_engine(admin, poolclass=sa.NullPool).connect() as conn:
            member = conn.scalar(
                sa.text("SELECT pg_has_role(:r, 'pg_read_server_files', 'MEMBER')"),
                {"r": f"web_{tag}"},
            )
        assert member is False  # provisioning takes server file access back
        as_superuser = runner.invoke(
            main,
            ["db", "provision"],
            env={**env, "GEO_APP_OWNER_DATABASE_URL": env["GEO_APP_DB_SUPERUSER_URL"]},
        )
        assert as_superuser.exit_code == 1
        refused = runner.invoke(
            main,
            ["db", "provision"],
            env={**env, "GEO_APP_DATABASE_URL": owner.render_as_string(hide_password=False)},
        )
        assert refused.exit_code == 1
        assert "two users" in refused.output
    finally:
        with sa.create_engine(admin, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "prov_{tag}" WITH (FORCE)'))
            conn.execute(sa.text(f'DROP ROLE IF EXISTS "web_{tag}"'))
            conn.execute(sa.text(f'DROP ROLE IF EXISTS "own_{tag}"'))
