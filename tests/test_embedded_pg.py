"""The embedded default cluster: create, start, restart after a crash, stop, no collisions."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from geo_app.embedded_pg import APP_ROLE, OWNER_ROLE, EmbeddedCluster


@pytest.fixture
def cluster_factory(tmp_path: Path) -> Iterator[list[EmbeddedCluster]]:
    made: list[EmbeddedCluster] = []
    yield made
    for cluster in made:
        cluster.stop()
        shutil.rmtree(cluster.base, ignore_errors=True)


def _query(url: str, sql: str) -> object:
    engine = sa.create_engine(url, poolclass=sa.NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            result = conn.execute(sa.text(sql))
            return result.scalar() if result.returns_rows else None
    finally:
        engine.dispose()


def test_start_creates_cluster_and_is_idempotent(
    tmp_path: Path, cluster_factory: list[EmbeddedCluster]
) -> None:
    cluster = EmbeddedCluster(tmp_path / "state")
    cluster_factory.append(cluster)
    info = cluster.start()
    assert cluster.is_initialised()
    assert _query(info.url("postgres"), "SELECT current_user") == "geo_app"
    again = cluster.start()
    assert again.port == info.port
    assert cluster.running_pid() is not None
    if os.geteuid() == 0:
        # PostgreSQL refuses root: the server must run as the postgres OS user.
        pid = cluster.running_pid()
        assert Path(f"/proc/{pid}").stat().st_uid != 0
    assert cluster.stop() is True
    assert cluster.running_pid() is None
    assert cluster.stop() is False


def test_stale_pid_file_after_crash_does_not_block_start(
    tmp_path: Path, cluster_factory: list[EmbeddedCluster]
) -> None:
    cluster = EmbeddedCluster(tmp_path / "state")
    cluster_factory.append(cluster)
    cluster.start()
    pid = cluster.running_pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    for _ in range(100):
        if not Path(f"/proc/{pid}").exists() or b"defunct" in _status(pid):
            break
        time.sleep(0.05)
    # Children die with the postmaster's socket; wait until the port is really free.
    time.sleep(1.0)
    pidfile = cluster.data_dir / "postmaster.pid"
    assert pidfile.exists(), "a crash leaves the pid file behind"
    # Make it worse: the stale file now names a live process that is not postgres (this one).
    lines = pidfile.read_text().splitlines()
    lines[0] = str(os.getpid())
    pidfile.write_text("\n".join(lines) + "\n")
    info = cluster.start()
    assert _query(info.url("postgres"), "SELECT 1") == 1


def _status(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/status").read_bytes()
    except OSError:
        return b"defunct"


def test_two_clusters_do_not_collide(
    tmp_path: Path, cluster_factory: list[EmbeddedCluster]
) -> None:
    first = EmbeddedCluster(tmp_path / "one")
    second = EmbeddedCluster(tmp_path / "two")
    cluster_factory.extend([first, second])
    a = first.start()
    b = second.start()
    assert a.port != b.port
    assert first.data_dir != second.data_dir
    _query(a.url("postgres"), "CREATE DATABASE only_in_first")
    names_b = _query(b.url("postgres"), "SELECT string_agg(datname, ',') FROM pg_database")
    assert "only_in_first" not in str(names_b)


def test_roles_and_database_ownership(
    tmp_path: Path, cluster_factory: list[EmbeddedCluster]
) -> None:
    cluster = EmbeddedCluster(tmp_path / "state")
    cluster_factory.append(cluster)
    info = cluster.ensure_database("fresh")
    secret = json.loads(cluster.secret_file.read_text())
    assert set(secret["roles"]) == {OWNER_ROLE, APP_ROLE}
    assert cluster.secret_file.stat().st_mode & 0o077 == 0
    for role in (OWNER_ROLE, APP_ROLE):
        assert _query(info.url("postgres", role), "SELECT current_user") == role
        assert (
            _query(info.url("postgres"), f"SELECT rolsuper FROM pg_roles WHERE rolname = '{role}'")
            is False
        )
    assert (
        _query(
            info.url("fresh"),
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'fresh'",
        )
        == OWNER_ROLE
    )
    assert _query(
        info.url("fresh"), "SELECT extversion FROM pg_extension WHERE extname = 'postgis'"
    )


def test_a_cluster_from_before_the_roles_is_upgraded_in_place(
    tmp_path: Path, cluster_factory: list[EmbeddedCluster]
) -> None:
    """Simulate the old layout: no role passwords, no roles, a database and its objects owned
    by the superuser; the next start and ensure_database bring it in line, data kept."""
    cluster = EmbeddedCluster(tmp_path / "state")
    cluster_factory.append(cluster)
    info = cluster.start()
    admin = info.url("postgres")
    _query(admin, f"DROP ROLE {OWNER_ROLE}")
    _query(admin, f"DROP ROLE {APP_ROLE}")
    secret = json.loads(cluster.secret_file.read_text())
    cluster.secret_file.write_text(
        json.dumps({"user": secret["user"], "password": secret["password"]})
    )
    _query(admin, "CREATE DATABASE legacy")
    old = info.url("legacy")
    _query(old, "CREATE EXTENSION postgis")
    _query(old, "CREATE TYPE mood AS ENUM ('ok')")
    _query(old, "CREATE TABLE kept (id serial PRIMARY KEY, m mood)")
    _query(old, "INSERT INTO kept (m) VALUES ('ok')")
    _query(old, "CREATE SEQUENCE loose")
    _query(old, "CREATE VIEW kept_view AS SELECT * FROM kept")
    _query(old, "CREATE FUNCTION one() RETURNS int LANGUAGE sql AS 'SELECT 1'")

    info = cluster.ensure_database("legacy")
    new_owner = info.url("legacy", OWNER_ROLE)
    owners = _query(
        new_owner,
        "SELECT string_agg(DISTINCT pg_get_userbyid(relowner), ',') FROM pg_class "
        "WHERE relnamespace = 'public'::regnamespace AND relname IN "
        "('kept', 'kept_id_seq', 'loose', 'kept_view')",
    )
    assert owners == OWNER_ROLE
    assert (
        _query(new_owner, "SELECT pg_get_userbyid(typowner) FROM pg_type WHERE typname = 'mood'")
        == OWNER_ROLE
    )
    assert (
        _query(new_owner, "SELECT pg_get_userbyid(proowner) FROM pg_proc WHERE proname = 'one'")
        == OWNER_ROLE
    )
    assert (
        _query(
            new_owner,
            "SELECT pg_get_userbyid(relowner) FROM pg_class WHERE relname = 'spatial_ref_sys'",
        )
        == "geo_app"
    )
    assert _query(new_owner, "SELECT count(*) FROM kept") == 1
    _query(new_owner, "ALTER TABLE kept ADD COLUMN note text")  # the owner can migrate
    as_app = info.url("legacy", APP_ROLE)
    assert _query(as_app, "SELECT count(*) FROM kept_view") == 1  # granted at once
    _query(as_app, "INSERT INTO kept (m) VALUES ('ok')")
