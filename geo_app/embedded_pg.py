"""The embedded default: a private PostgreSQL + PostGIS cluster under the project's state folder.

Used when no ``GEO_APP_DATABASE_URL`` is configured, so a fresh checkout runs with real PostGIS
and no set-up by hand. The traps this module handles:

* PostgreSQL refuses to run as root: as root, the server runs as the ``postgres`` OS user and
  its data directory is placed where that user can reach it (under the project if possible,
  otherwise under ``/var/tmp``).
* Two clusters on one machine must not collide: each has its own data and socket directory and
  takes a free loopback port at start.
* A stale ``postmaster.pid`` left by a crash must not block the next start: a pid file whose
  process is gone (or is not this cluster's postgres) is removed before starting.
* Least privilege: the bootstrap superuser only administers the cluster. Every start makes sure
  of two more roles (passwords generated into the secret file): ``geo_app_owner`` owns the
  database and runs migrations, ``geo_app_web`` is what the web server logs in as (its rights are
  granted by ``geo-app db upgrade``). A cluster made before the roles existed is brought in line
  on the next start: its database and objects are handed from the superuser to the owner.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from geo_app.config import DEFAULT_APP_ROLE
from geo_app.db_roles import grant_app_rights, provision_database, provision_roles

SUPERUSER = "geo_app"
OWNER_ROLE = "geo_app_owner"
APP_ROLE = DEFAULT_APP_ROLE
ROLES = (OWNER_ROLE, APP_ROLE)
DEFAULT_DATABASE = "geo_app"
_SOCKET_PATH_MAX = 100  # sun_path is 108 bytes; leave room for "/.s.PGSQL.NNNNN"


class EmbeddedDatabaseError(RuntimeError):
    """The embedded cluster could not be created, started or stopped; the message says why."""


def find_bindir() -> Path:
    """Directory with initdb/pg_ctl: ``GEO_APP_PG_BINDIR``, else the newest Debian install."""
    override = os.environ.get("GEO_APP_PG_BINDIR")
    candidates = [Path(override)] if override else []
    candidates += sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
        reverse=True,
    )
    which = shutil.which("pg_ctl")
    if which:
        candidates.append(Path(which).parent)
    for path in candidates:
        if (path / "initdb").is_file() and (path / "pg_ctl").is_file():
            return path
    raise EmbeddedDatabaseError(
        "PostgreSQL server binaries not found (install postgresql-15 and postgresql-15-postgis-3, "
        "e.g. with `make setup`, or set GEO_APP_DATABASE_URL)"
    )


@dataclass(frozen=True)
class ClusterInfo:
    """Where a running cluster listens and how each role logs in."""

    port: int
    passwords: dict[str, str]
    socket_dir: Path

    def url(self, database: str = DEFAULT_DATABASE, role: str = SUPERUSER) -> str:
        """The URL of ``database`` for ``role`` (the superuser unless told otherwise)."""
        return (
            f"postgresql+psycopg2://{role}:{quote(self.passwords[role], safe='')}"
            f"@127.0.0.1:{self.port}/{quote(database)}"
        )


class EmbeddedCluster:
    """One cluster, identified by the state folder that owns it."""

    def __init__(self, state_dir: Path, bindir: Path | None = None) -> None:
        self.state_dir = state_dir.resolve()
        self.bindir = bindir
        self._as_postgres = os.geteuid() == 0
        self.base = self._choose_base()
        self.data_dir = self.base / "data"
        self.log_file = self.base / "postgres.log"
        self.socket_dir = self._choose_socket_dir()
        self.secret_file = self.state_dir / "pg-secret.json"

    # -- locations -------------------------------------------------------------------------

    def _tag(self) -> str:
        return hashlib.sha1(str(self.state_dir).encode()).hexdigest()[:10]

    def _choose_base(self) -> Path:
        preferred = self.state_dir / "pg"
        if not self._as_postgres or _reachable_by_postgres(self.state_dir):
            return preferred
        return Path("/var/tmp") / f"geo_app-pg-{self._tag()}"

    def _choose_socket_dir(self) -> Path:
        preferred = self.base / "run"
        if len(str(preferred)) <= _SOCKET_PATH_MAX - 16:
            return preferred
        return Path("/tmp") / f"geo_app-{self._tag()}"

    # -- process helpers -------------------------------------------------------------------

    def _bin(self, name: str) -> str:
        if self.bindir is None:
            self.bindir = find_bindir()
        return str(self.bindir / name)

    def _run(self, args: list[str], *, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        tool = Path(args[0]).name
        if self._as_postgres:
            args = ["runuser", "-u", "postgres", "--", *args]
        result = subprocess.run(  # arguments are built here, never from input
            args, capture_output=True, text=True, timeout=timeout, cwd="/", check=False
        )
        if result.returncode != 0:
            raise EmbeddedDatabaseError(
                f"{tool} failed ({' '.join(args)}):\n{result.stdout}{result.stderr}".strip()
            )
        return result

    def _own(self, path: Path) -> None:
        """Hand a directory to the postgres OS user when we run as root."""
        if self._as_postgres:
            entry = pwd.getpwnam("postgres")
            os.chown(path, entry.pw_uid, entry.pw_gid)

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """Serialise init/start/stop between processes (e.g. `make run` beside `make test`)."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with open(self.state_dir / "pg.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # -- state -------------------------------------------------------------------------------

    def is_initialised(self) -> bool:
        return (self.data_dir / "PG_VERSION").is_file() and self.secret_file.is_file()

    def _passwords(self) -> dict[str, str]:
        """Every role's password: the superuser's from initdb, the others' made on first need."""
        stored = json.loads(self.secret_file.read_text())
        roles = dict(stored.get("roles") or {})
        if any(role not in roles for role in ROLES):
            roles.update({r: secrets.token_urlsafe(24) for r in ROLES if r not in roles})
            _write_secret(self.secret_file, {**stored, "roles": roles})
        return {SUPERUSER: str(stored["password"]), **roles}

    def running_pid(self) -> int | None:
        """Pid of this cluster's postmaster if it is really running, else None."""
        pid, _ = self._read_pidfile()
        if pid is None:
            return None
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            return None
        exe = Path(cmdline[0].decode(errors="replace")).name if cmdline else ""
        if exe not in {"postgres", "postmaster"}:
            return None
        return pid

    def _read_pidfile(self) -> tuple[int | None, int | None]:
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
        except OSError:
            return None, None
        try:
            return int(lines[0]), int(lines[3])
        except (IndexError, ValueError):
            return None, None

    def info(self) -> ClusterInfo | None:
        """Connection details of the running cluster, or None when it is not running."""
        if self.running_pid() is None:
            return None
        _, port = self._read_pidfile()
        if port is None:
            return None
        return ClusterInfo(port=port, passwords=self._passwords(), socket_dir=self.socket_dir)

    # -- lifecycle ---------------------------------------------------------------------------

    def init(self) -> bool:
        """Create the cluster once; returns True when it was created now."""
        if self.is_initialised():
            return False
        if self.data_dir.exists() and any(self.data_dir.iterdir()):
            if (self.data_dir / "PG_VERSION").is_file():
                raise EmbeddedDatabaseError(
                    f"{self.data_dir} holds a cluster but {self.secret_file} is missing; "
                    "remove the data directory to start afresh"
                )
            shutil.rmtree(self.data_dir)  # a half-made directory from an interrupted init
        for path in (self.base, self.data_dir, self.socket_dir):
            path.mkdir(parents=True, exist_ok=True)
            self._own(path)
        os.chmod(self.data_dir, 0o700)
        password = secrets.token_urlsafe(24)
        pwfile = self.base / "initdb.pw"
        pwfile.write_text(password + "\n")
        self._own(pwfile)
        try:
            self._run(
                [
                    self._bin("initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    SUPERUSER,
                    "--auth=scram-sha-256",
                    f"--pwfile={pwfile}",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                ],
                timeout=300,
            )
        finally:
            pwfile.unlink(missing_ok=True)
        with open(self.data_dir / "postgresql.conf", "a") as conf:
            conf.write(
                "\n# geo_app embedded cluster\n"
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.socket_dir}'\n"
                "max_connections = 60\n"
                "shared_buffers = 256MB\n"
                "work_mem = 32MB\n"
                "maintenance_work_mem = 256MB\n"
                "logging_collector = off\n"
            )
        _write_secret(self.secret_file, {"user": SUPERUSER, "password": password})
        return True

    def start(self) -> ClusterInfo:
        """Start the cluster (creating it first if needed) and make sure of its roles (a
        standby's come from its primary: it takes no writes)."""
        with self._lock():
            self.init()
            info = self.info() or self._start_server()
            if not self.is_standby():
                provision_roles(info.url("postgres"), {r: info.passwords[r] for r in ROLES})
            return info

    def is_standby(self) -> bool:
        """Whether this cluster is a streaming replica (``pg_basebackup -R`` wrote the signal)."""
        return (self.data_dir / "standby.signal").is_file()

    def make_standby(self, state_dir: Path) -> EmbeddedCluster:
        """A streaming replica of this running cluster under ``state_dir``, not started yet
        (``start`` runs it on a port of its own, read-only, replaying the primary's WAL).

        A base backup with ``-R`` (the standby signal and ``primary_conninfo``, its password in
        a private passfile beside the data); the roles and passwords come with the copy, so the
        secret file is copied too. The cluster's defaults already allow it (``wal_level =
        replica``, ten WAL senders, initdb's ``host replication`` lines for 127.0.0.1). No
        replication slot: a standby left behind must not make the primary keep WAL forever.
        """
        info = self.info()
        if info is None:
            raise EmbeddedDatabaseError("start the cluster before making a standby of it")
        standby = EmbeddedCluster(state_dir, self.bindir)
        if standby.is_initialised():
            raise EmbeddedDatabaseError(f"{standby.data_dir} already holds a cluster")
        for path in (standby.base, standby.socket_dir):
            path.mkdir(parents=True, exist_ok=True)
            self._own(path)
        passfile = standby.base / "primary.pgpass"
        fd = os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(f"127.0.0.1:{info.port}:*:{SUPERUSER}:{info.passwords[SUPERUSER]}\n")
        self._own(passfile)
        conninfo = f"host=127.0.0.1 port={info.port} user={SUPERUSER} passfile={passfile}"
        self._run(
            [self._bin("pg_basebackup"), "-D", str(standby.data_dir), "-R", "-X", "stream"]
            + ["-c", "fast", "-w", "-d", conninfo],
            timeout=1800,
        )
        _write_secret(standby.secret_file, json.loads(self.secret_file.read_text()))
        return standby

    def _start_server(self) -> ClusterInfo:
        """Start the server on a free port; the caller holds the lock."""
        self._clear_stale_pidfile()
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        self._own(self.socket_dir)
        last_error: EmbeddedDatabaseError | None = None
        for _ in range(3):  # a port free a moment ago may be taken by the time we bind
            port = _free_port()
            try:
                self._run(
                    [
                        self._bin("pg_ctl"),
                        "-D",
                        str(self.data_dir),
                        "-l",
                        str(self.log_file),
                        "-w",
                        "-t",
                        "90",
                        "-o",
                        f"-p {port} -k {self.socket_dir}",
                        "start",
                    ]
                )
            except EmbeddedDatabaseError as error:
                last_error = error
                self._clear_stale_pidfile()
                continue
            info = self.info()
            if info is not None:
                return info
        raise EmbeddedDatabaseError(
            f"could not start PostgreSQL: {last_error}; see {self.log_file}"
        )

    def stop(self) -> bool:
        """Stop the cluster cleanly; returns False when it was not running."""
        with self._lock():
            if self.running_pid() is None:
                self._clear_stale_pidfile()
                return False
            self._run([self._bin("pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"])
            return True

    def ensure_database(self, name: str = DEFAULT_DATABASE) -> ClusterInfo:
        """Start the cluster and make ``name`` exist, owned by the owner role. A database from
        before the roles existed is handed over in place and its tables granted to the app role
        at once, so the server works before the next ``geo-app db upgrade``."""
        info = self.start()
        if provision_database(info.url("postgres"), name, OWNER_ROLE):
            grant_app_rights(info.url(name, OWNER_ROLE), APP_ROLE)
        return info

    def _clear_stale_pidfile(self) -> None:
        pidfile = self.data_dir / "postmaster.pid"
        if pidfile.exists() and self.running_pid() is None:
            pidfile.unlink()


def _write_secret(path: Path, content: dict[str, object]) -> None:
    """Write the passwords file readable by this user only (replacing it whole)."""
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(content, handle)
    os.replace(temporary, path)


def _reachable_by_postgres(path: Path) -> bool:
    """Whether the postgres OS user can traverse every parent of ``path`` (to own a child)."""
    try:
        entry = pwd.getpwnam("postgres")
    except KeyError as error:
        raise EmbeddedDatabaseError("running as root needs the `postgres` OS user") from error
    probe = path if path.exists() else path.parent
    while not probe.exists():
        probe = probe.parent
    for directory in [probe, *probe.parents]:
        stat = directory.stat()
        if stat.st_uid == entry.pw_uid:
            continue
        if stat.st_gid == entry.pw_gid and stat.st_mode & 0o010:
            continue
        if not stat.st_mode & 0o001:
            return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
