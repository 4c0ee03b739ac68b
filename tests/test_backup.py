"""geo-app backup and restore on real PostGIS: the demo database dumped, restored into a new
database as the schema owner, with the same rows in every table, an intact audit chain and the
app role's rights; a file that is not a dump, or a target that holds data, changes nothing."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from conftest import app_role_url, drop_database, make_settings
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.orm import Session

from geo_app.cli import main
from geo_app.db import embedded_cluster
from geo_app.db_roles import provision_database
from geo_app.embedded_pg import OWNER_ROLE
from geo_app.services import audit

_TABLES = (
    "SELECT table_name FROM information_schema.tables "
    "WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1"
)


def _counts(url: str) -> dict[str, int]:
    """Rows of every base table of the public schema, listed by the catalogue, not by hand."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            names = list(conn.scalars(sa.text(_TABLES)))
            return {n: conn.scalar(sa.text(f'SELECT count(*) FROM public."{n}"')) for n in names}
    finally:
        engine.dispose()


def _cli(*args: str, source: str) -> Result:
    """``geo-app`` with ``source`` as the owner's database and its app-role login as the
    server's (so the restore grants the real app role)."""
    env = {
        "GEO_APP_OWNER_DATABASE_URL": source,
        "GEO_APP_DATABASE_URL": app_role_url(source) or source,
        "GEO_APP_DB_SUPERUSER_URL": None,
    }
    return CliRunner().invoke(main, list(args), env=env)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def dump(demo_db: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database as `geo-app backup` writes it."""
    path = tmp_path_factory.mktemp("backup") / "demo.dump"
    result = _cli("backup", str(path), source=demo_db)
    assert result.exit_code == 0, result.output
    assert path.read_bytes()[:5] == b"PGDMP"
    rows = _counts(demo_db)
    assert f"{len(rows) - 1} tables" in result.output  # spatial_ref_sys is PostGIS's, not ours
    assert f"{sum(rows.values()) - rows['spatial_ref_sys']:,} rows" in result.output
    return path


@pytest.fixture
def new_database() -> Iterator[str]:
    """A new database made as provisioning makes it (owned by the owner role, with PostGIS),
    and the owner's URL to it."""
    info = embedded_cluster(make_settings()).info()
    if info is None:
        pytest.skip("needs the embedded cluster (the owner role's password)")
    name = f"geo_app_test_restore_{uuid.uuid4().hex[:8]}"
    provision_database(os.environ["GEO_APP_TEST_ADMIN_URL"], name, OWNER_ROLE)
    yield info.url(name, OWNER_ROLE)
    drop_database(_as_admin(info.url(name, OWNER_ROLE)))


def _as_admin(url: str) -> str:
    """``url`` with the test server's admin login (reads every table whoever owns it)."""
    admin = make_url(os.environ["GEO_APP_TEST_ADMIN_URL"])
    return admin.set(database=make_url(url).database).render_as_string(hide_password=False)


def test_restore_into_a_new_database_has_every_row_and_an_intact_chain(
    demo_db: str, dump: Path, new_database: str
) -> None:
    result = _cli("restore", str(dump), "--into", new_database, source=demo_db)
    assert result.exit_code == 0, result.output
    before, after = _counts(demo_db), _counts(_as_admin(new_database))
    assert len(before) > 20 and before["hotspot"] > 0 and before["audit_log"] > 0
    assert after == before
    engine = sa.create_engine(new_database, poolclass=sa.NullPool)
    with Session(engine) as session:
        verdict = audit.verify(session, key=audit.installation_key())
        owners = session.scalars(
            sa.text("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public' ")
        ).all()
    engine.dispose()
    assert verdict.broken == [] and verdict.problems == []
    assert verdict.seen.rows == before["audit_log"]
    assert set(owners) - {"geo_app"} == {OWNER_ROLE}  # PostGIS's table stays the superuser's
    _app_role_has_its_rights(new_database, before["hotspot"])


def _app_role_has_its_rights(url: str, hotspots: int) -> None:
    """The web server's login reads the restored tables and still may not rewrite the log."""
    app_url = app_role_url(_as_admin(url))
    assert app_url is not None
    engine = sa.create_engine(app_url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            assert conn.scalar(sa.text("SELECT count(*) FROM hotspot")) == hotspots
            with pytest.raises(ProgrammingError, match="permission denied"):
                conn.execute(sa.text("UPDATE audit_log SET actor = 'x'"))
    finally:
        engine.dispose()


def test_a_database_with_tables_is_refused_unless_forced(
    demo_db: str, dump: Path, empty_db: str
) -> None:
    before = _counts(empty_db)
    refused = _cli("restore", str(dump), "--into", empty_db, source=demo_db)
    assert refused.exit_code == 2
    assert "is not empty" in refused.output and "--force" in refused.output
    assert _counts(empty_db) == before
    forced = _cli("restore", str(dump), "--into", empty_db, "--force", source=demo_db)
    assert forced.exit_code == 0, forced.output
    assert _counts(empty_db) == _counts(demo_db)


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"not a dump at all\n" * 50, "is not a pg_dump custom-format archive"),
        (b"PGDMP" + bytes(range(256)) * 4, "cannot be read as a dump"),
    ],
)
def test_a_file_that_is_not_a_dump_is_refused_and_nothing_changes(
    demo_db: str, empty_db: str, tmp_path: Path, content: bytes, said: str
) -> None:
    garbage = tmp_path / "garbage.dump"
    garbage.write_bytes(content)
    before = _counts(empty_db)
    result = _cli("restore", str(garbage), "--into", empty_db, "--force", source=demo_db)
    assert result.exit_code == 2
    assert said in result.output and "Traceback" not in result.output
    assert _counts(empty_db) == before
