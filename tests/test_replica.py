"""Reads on a real streaming replica (``GEO_APP_READ_DATABASE_URL``).

A standby of the test cluster is made with ``pg_basebackup -R`` on a port of its own. Its WAL
replay is paused to make the lag visible: a field write still goes to the primary and reads
back at once, while the features API, the tiles and the exports answer from the replica (the
write not there yet, a tile sent as "revalidate", never as fresh); once the replica has caught
up (``pg_last_wal_replay_lsn``), they all show it.
"""

from __future__ import annotations

import math
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from _databases import copy_of
from conftest import ROOT, app_role_url, make_settings
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine, make_url

from geo_app.db import embedded_cluster
from geo_app.demo.accounts import DEMO_PASSWORD
from geo_app.embedded_pg import APP_ROLE, SUPERUSER, ClusterInfo
from geo_app.web.context import (
    REPLICA_APPLICATION,
    bare_engine,
    bare_read_engine,
    engine,
    read_engine,
    replica_session,
)
from geo_app.web.tiles import FRESH, REVALIDATE

OFFICER = ("canbo.hoaminh", DEMO_PASSWORD)
COMMUNE = "29410"
ZOOM = 15


@pytest.fixture(scope="module")
def primary_db(demo_db: str) -> Iterator[str]:
    """A copy of the demo database for this module's writes."""
    with copy_of(demo_db, "geo_app_test_replica") as url:
        yield url


@dataclass(frozen=True)
class Replica:
    """The running standby: its connection details and a superuser engine on it."""

    info: ClusterInfo
    admin: Engine


@pytest.fixture(scope="module")
def replica(primary_db: str) -> Iterator[Replica]:
    """A streaming replica of the whole test cluster, removed afterwards."""
    primary = embedded_cluster(make_settings())
    if primary.info() is None:
        pytest.skip("needs the embedded cluster (a standby is made of it with pg_basebackup)")
    state = ROOT / "var" / f"replica-{uuid.uuid4().hex[:8]}"
    standby = primary.make_standby(state)
    try:
        info = standby.start()
        admin = sa.create_engine(
            info.url("postgres", SUPERUSER), isolation_level="AUTOCOMMIT", poolclass=sa.NullPool
        )
        yield Replica(info, admin)
        admin.dispose()
    finally:
        standby.stop()
        shutil.rmtree(standby.base, ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="module")
def replica_app(primary_db: str, replica: Replica) -> Iterator[Flask]:
    """The app on the copy, reading what is routed to the replica from the standby."""
    from geo_app import create_app

    read_url = replica.info.url(str(make_url(primary_db).database), APP_ROLE)
    made = create_app(
        make_settings(GEO_APP_READ_DATABASE_URL=read_url),
        database_url=app_role_url(primary_db) or primary_db,
    )
    made.config["TESTING"] = True
    yield made
    for key in ("engine", "bare_engine", "read_engine", "bare_read_engine"):
        if f"geo_app.{key}" in made.extensions:
            made.extensions[f"geo_app.{key}"].dispose()


def _scalar(url_or_engine: str | Engine, sql: str, **params: Any) -> Any:
    engine_ = url_or_engine
    if isinstance(engine_, str):
        engine_ = sa.create_engine(engine_, poolclass=sa.NullPool)
    try:
        with engine_.connect() as conn:
            return conn.scalar(sa.text(sql), params)
    finally:
        if isinstance(url_or_engine, str):
            engine_.dispose()


def _wait_for_replay(primary_db: str, replica: Replica, timeout: float = 60) -> None:
    """Until the replica has replayed everything the primary has written so far."""
    target = _scalar(primary_db, "SELECT pg_current_wal_lsn()::text")
    deadline = time.monotonic() + timeout
    replayed = "SELECT pg_last_wal_replay_lsn() >= CAST(:t AS pg_lsn)"
    while time.monotonic() < deadline:
        if _scalar(replica.admin, replayed, t=target):
            return
        time.sleep(0.1)
    pytest.fail(f"the replica did not reach {target} in {timeout} s")


@contextmanager
def _replay_paused(replica: Replica) -> Iterator[None]:
    """The replica stops applying the primary's WAL: a lag as long as the block lasts."""
    _scalar(replica.admin, "SELECT pg_wal_replay_pause()")
    deadline = time.monotonic() + 30
    while _scalar(replica.admin, "SELECT pg_get_wal_replay_pause_state()") != "paused":
        assert time.monotonic() < deadline, "the replica did not pause"
        time.sleep(0.05)
    try:
        yield
    finally:
        _scalar(replica.admin, "SELECT pg_wal_replay_resume()")


def test_without_the_setting_every_read_uses_the_primary(app: Flask) -> None:
    assert app.extensions["geo_app.settings"].read_database_url is None
    with app.app_context():
        assert read_engine() is engine()
        assert bare_read_engine() is bare_engine()
        with replica_session() as session:
            assert session.get_bind() is engine()
    assert "geo_app.read_engine" not in app.extensions
    assert "geo_app.bare_read_engine" not in app.extensions


def test_routed_reads_run_on_the_replica_and_the_rest_on_the_primary(
    replica_app: Flask, replica: Replica
) -> None:
    recovering = "SELECT pg_is_in_recovery()"
    with replica_app.app_context():
        assert _scalar(read_engine(), recovering) is True
        assert _scalar(bare_read_engine(), recovering) is True
        with replica_session() as session:
            assert session.scalar(sa.text(recovering)) is True
        assert _scalar(engine(), recovering) is False
        assert _scalar(bare_engine(), recovering) is False  # the login check
    seen = _scalar(
        replica.admin,
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = :a AND usename = :u",
        a=REPLICA_APPLICATION,
        u=APP_ROLE,
    )
    assert seen >= 2


def _inside_the_commune(primary_db: str) -> tuple[float, float]:
    engine_ = sa.create_engine(primary_db, poolclass=sa.NullPool)
    with engine_.connect() as conn:
        point = conn.execute(
            sa.text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM admin_unit "
                "WHERE code = :c AND valid_to IS NULL) q"
            ),
            {"c": COMMUNE},
        ).one()
    engine_.dispose()
    return float(point[0]), float(point[1])


def _tile_of(lon: float, lat: float) -> str:
    n = 2**ZOOM
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return f"/tiles/hotspots/{ZOOM}/{x}/{y}.mvt"


@dataclass(frozen=True)
class Seen:
    """What the replica-routed reads answer about one hotspot."""

    feature: int
    tile_version: str
    tile_cache: str
    exported: int


def _routed_reads(client: FlaskClient, row_id: int, tile: str, version: int) -> Seen:
    feature = client.get(f"/api/layers/hotspots/features/{row_id}", auth=OFFICER)
    answer = client.get(f"{tile}?v={version}", auth=OFFICER)
    assert answer.status_code == 200
    with client.get("/api/exports/hotspots?format=geojson&generalised=1", auth=OFFICER) as export:
        assert export.status_code == 200, export.get_data(as_text=True)
        exported = len(export.get_json(force=True)["features"])
    return Seen(
        feature=feature.status_code,
        tile_version=answer.headers["X-Data-Version"],
        tile_cache=answer.headers["Cache-Control"],
        exported=exported,
    )


def _hotspot(where: tuple[float, float]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": list(where)},
        "properties": {"client_id": str(uuid.uuid4()), "kind": "retail", "source": "patrol"},
    }


def test_a_write_goes_to_the_primary_and_shows_on_the_replica_once_replayed(
    replica_app: Flask, replica: Replica, primary_db: str
) -> None:
    client = replica_app.test_client()
    where = _inside_the_commune(primary_db)
    tile = _tile_of(*where)
    _wait_for_replay(primary_db, replica)
    before = _routed_reads(client, 0, tile, 0).exported
    audits = "SELECT count(*) FROM audit_log WHERE action = 'export'"
    exports_logged = _scalar(primary_db, audits)
    with _replay_paused(replica):
        created = client.post("/api/hotspots", json=_hotspot(where), auth=OFFICER)
        assert created.status_code == 201, created.get_json()
        row_id = created.get_json()["id"]
        read_back = client.get(f"/api/hotspots/{row_id}", auth=OFFICER)  # on the primary
        assert read_back.status_code == 200 and read_back.get_json()["id"] == row_id
        version = _scalar(primary_db, "SELECT version FROM layer_version WHERE layer = 'hotspots'")
        lagging = _routed_reads(client, row_id, tile, version)
        assert lagging.feature == 404
        assert lagging.exported == before
        assert lagging.tile_version != str(version)
        assert lagging.tile_cache == REVALIDATE  # an older tile is never sent as fresh
        assert _scalar(primary_db, audits) == exports_logged + 1  # the export's row: primary
    _wait_for_replay(primary_db, replica)
    caught_up = _routed_reads(client, row_id, tile, version)
    assert caught_up.feature == 200
    assert caught_up.exported == before + 1
    assert caught_up.tile_version == str(version)
    assert caught_up.tile_cache == FRESH
