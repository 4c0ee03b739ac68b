"""Backups as pg_dump custom-format files, and their restore, with what each moved.

Why it is done this way:

* The tools of the server's own major version (``/usr/lib/postgresql/<major>/bin``): pg_dump
  refuses a newer server, and an older pg_restore cannot read a newer archive.
* Both run as the schema owner (never the app role, which may not read everything, nor a
  superuser the app does not otherwise need). The restore drops ownership and grants from the
  archive (``--no-owner --no-privileges``): the restoring owner owns everything, and the app
  role's rights are granted afresh by ``db_roles.grant_app_rights``, exactly as after
  ``geo-app db upgrade`` (so the audit log stays append-only for the web server).
* The extensions are left out of the restore: only a superuser makes PostGIS, so the target is
  provisioned first (``geo-app db provision``, or the embedded cluster makes it) and the restore
  checks that each extension of the archive is there before changing anything.
* One transaction (``--single-transaction``): a restore that fails half-way leaves the target
  as it was. A non-empty target is refused unless forced (then ``--clean --if-exists``).
* The backup counts every table's rows in the very snapshot pg_dump dumps (``--snapshot``), so
  the counts it prints are those of the file.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from psycopg2.extensions import make_dsn
from sqlalchemy.engine import URL, Connection, make_url

from geo_app.db_roles import grant_app_rights
from geo_app.errors import GeoAppError
from geo_app.parsing import whole_number

MAGIC = b"PGDMP"
"""The first bytes of every pg_dump custom-format archive."""

BINARIES = Path("/usr/lib/postgresql")
_EXTENSION_ENTRY = re.compile(r"^\d+; \d+ \d+ (?:COMMENT - )?EXTENSION (?:- )?(\S+)")
_TABLE_DATA = re.compile(r"^\d+; \d+ \d+ TABLE DATA public (\S+) ")
_TIMEOUT = 6 * 3600


class BackupError(GeoAppError):
    """A backup or restore that cannot be made as asked; nothing was changed."""


@dataclass(frozen=True)
class Report:
    """What a backup wrote or a restore loaded: rows per table and the file's size."""

    verb: str
    path: Path
    database: str
    rows: dict[str, int]
    size: int

    def __str__(self) -> str:
        mib = self.size / 1024 / 1024
        return (
            f"{self.verb} {self.path} ({self.database}): {len(self.rows)} tables, "
            f"{sum(self.rows.values()):,} rows, {mib:.1f} MiB"
        )


_TABLES = """
SELECT c.oid::regclass::text FROM pg_class c
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
  AND NOT c.relispartition
  AND {negation} EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass
                         AND e.objid = c.oid AND e.deptype = 'e')
ORDER BY 1
"""
APP_TABLES = _TABLES.format(negation="NOT")
"""The application's tables: the public schema's, without the extensions' own."""
EXTENSION_TABLES = _TABLES.format(negation="")
"""The extensions' own tables in the public schema (PostGIS's ``spatial_ref_sys``)."""


def table_rows(connection: Connection) -> dict[str, int]:
    """Every application table with its exact row count, read in the connection's snapshot."""
    tables = list(connection.scalars(sa.text(APP_TABLES)))  # regclass text: quoted as needed
    count = "SELECT count(*) FROM {}"
    return {t: int(connection.scalar(sa.text(count.format(t))) or 0) for t in tables}


def backup(url: str | URL, path: Path) -> Report:
    """Dump the database at ``url`` (the owner's login) into ``path`` (custom format); the file
    appears only when the dump is complete."""
    engine = sa.create_engine(url, poolclass=sa.NullPool, isolation_level="REPEATABLE READ")
    partial = path.with_name(path.name + ".partial")
    try:
        with engine.connect() as connection:
            snapshot = connection.scalar(sa.text("SELECT pg_export_snapshot()"))
            rows = table_rows(connection)
            dump = tool("pg_dump", _major(connection))
            with _conninfo(url) as dsn:
                _run([dump, "-Fc", f"--snapshot={snapshot}", "-f", str(partial), "-d", dsn])
            connection.rollback()
    finally:
        engine.dispose()
    os.replace(partial, path)
    return Report("backup", path, str(make_url(url).database), rows, path.stat().st_size)


def restore(path: Path, url: str | URL, app_role: str, *, force: bool = False) -> Report:
    """Load the dump ``path`` into the database at ``url`` (the owner's login), in one
    transaction, then grant ``app_role`` its rights and refresh the planner's statistics.

    Refused, with nothing changed: a file that is not a custom-format dump, a target lacking an
    extension of the dump, and a target that holds tables unless ``force``.
    """
    check_archive(path)
    engine = sa.create_engine(url, poolclass=sa.NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            pg_restore = tool("pg_restore", _major(connection))
            entries = _restorable(connection, _contents(pg_restore, path))
            existing = list(connection.scalars(sa.text(APP_TABLES)))
            if existing and not force:
                raise BackupError(
                    f"database {make_url(url).database} is not empty ({len(existing)} tables): "
                    "restore into a new database (--into NAME) or replace it with --force"
                )
            _load(pg_restore, path, url, entries, clean=bool(existing))
            grant_app_rights(url, app_role)
            connection.execute(sa.text("ANALYZE"))
            rows = table_rows(connection)
    finally:
        engine.dispose()
    return Report("restore", path, str(make_url(url).database), rows, path.stat().st_size)


def check_archive(path: Path) -> None:
    """Refuse anything but a readable pg_dump custom-format file, before anything is touched
    (before a target database is even made)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(len(MAGIC))
    except OSError as error:
        raise BackupError(f"cannot read {path}: {error.strerror}") from None
    if head != MAGIC:
        raise BackupError(
            f"{path} is not a pg_dump custom-format archive (made by `geo-app backup` or "
            "`pg_dump -Fc`); nothing was restored"
        )
    newest = sorted(BINARIES.glob("*/bin/pg_restore"), key=lambda p: _number(p.parts[-3]))
    reader = str(newest[-1]) if newest else shutil.which("pg_restore")
    if reader:  # its table of contents must read; the target's own version reads it again
        _contents(reader, path)


def _number(text: str) -> int:
    return whole_number(text) or 0


def tool(name: str, major: int) -> str:
    """The path of PostgreSQL's ``name`` (pg_dump, pg_restore) of the server's major version:
    Debian's versioned install, else the one on the PATH if it is that version."""
    found = BINARIES / str(major) / "bin" / name
    if found.is_file():
        return str(found)
    on_path = shutil.which(name)
    if on_path and re.search(rf"\) {major}\.", _run([on_path, "--version"])):
        return on_path
    raise BackupError(
        f"{name} of PostgreSQL {major} not found in {found.parent}: install "
        f"postgresql-client-{major} (the server is version {major})"
    )


def _major(connection: Connection) -> int:
    return int(connection.scalar(sa.text("SHOW server_version_num")) or 0) // 10000


def _contents(pg_restore: str, path: Path) -> list[str]:
    """The archive's table of contents (``pg_restore -l``); a damaged file is refused here."""
    try:
        listed = _run([pg_restore, "-l", str(path)])
    except BackupError as error:
        raise BackupError(f"{path} cannot be read as a dump: {error.message}") from None
    return listed.splitlines()


def _check_extensions(connection: Connection, entries: list[str]) -> None:
    wanted = {m[1] for line in entries if (m := _EXTENSION_ENTRY.match(line))}
    present = set(connection.scalars(sa.text("SELECT extname FROM pg_extension")))
    missing = sorted(wanted - present)
    if missing:
        database = connection.scalar(sa.text("SELECT current_database()"))
        raise BackupError(
            f"database {database} lacks the extension(s) {', '.join(missing)}: provision it "
            "first (`geo-app db provision`, or a superuser's CREATE EXTENSION); nothing restored"
        )


def _restorable(connection: Connection, entries: list[str]) -> list[str]:
    """The archive's entries but the extensions' own: the extensions (provisioning made them,
    checked present here) and the rows of their tables (``spatial_ref_sys``: the superuser's;
    geo_app adds no reference systems to it)."""
    _check_extensions(connection, entries)
    theirs = set(connection.scalars(sa.text(EXTENSION_TABLES)))

    def skipped(line: str) -> bool:
        data = _TABLE_DATA.match(line)
        return bool(_EXTENSION_ENTRY.match(line) or (data and data[1] in theirs))

    return [line for line in entries if not skipped(line)]


def _load(pg_restore: str, path: Path, url: str | URL, kept: list[str], clean: bool) -> None:
    """pg_restore of the ``kept`` entries in one transaction."""
    with tempfile.TemporaryDirectory(prefix="geo_app_restore_") as folder:
        listing = Path(folder) / "contents.list"
        listing.write_text("\n".join(kept) + "\n")
        args = [pg_restore, "--single-transaction", "--no-owner", "--no-privileges"]
        args += ["--clean", "--if-exists"] if clean else []
        with _conninfo(url) as dsn:
            _run([*args, "-L", str(listing), "-d", dsn, str(path)])


@contextmanager
def _conninfo(url: str | URL) -> Iterator[str]:
    """A libpq connection string for ``url`` whose password is in a private passfile, so it is
    never on a command line (visible to every user of the host) nor in the environment."""
    parsed = make_url(url)
    query = {k: v if isinstance(v, str) else v[-1] for k, v in parsed.query.items()}
    with tempfile.TemporaryDirectory(prefix="geo_app_pg_") as folder:
        passfile = Path(folder) / "pgpass"
        fd = os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(f"*:*:*:*:{_escaped(parsed.password or '')}\n")
        options = {
            "host": parsed.host,
            "port": parsed.port,
            "dbname": parsed.database,
            "user": parsed.username,
            "passfile": str(passfile),
            **query,
        }
        yield make_dsn(**{k: v for k, v in options.items() if v is not None})


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace(":", "\\:")


def _run(args: list[str]) -> str:
    """Run a PostgreSQL tool (arguments built here, never from input); its stdout."""
    result = subprocess.run(args, capture_output=True, text=True, timeout=_TIMEOUT, check=False)
    if result.returncode != 0:
        detail = result.stderr.strip().splitlines()[-5:]
        raise BackupError(f"{Path(args[0]).name} failed: " + " / ".join(detail))
    return result.stdout
