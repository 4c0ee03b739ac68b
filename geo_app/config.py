"""Settings read once from the environment.

Everything configurable lives here so a newcomer finds every knob in one file. Nothing else in
the package reads ``os.environ``.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

PACKAGE_DIR = Path(__file__).resolve().parent
SESSION_IDLE_HOURS = 8
SESSION_MAX_DAYS = 7
RELAPSE_RADIUS_M = 300
DEFAULT_APP_ROLE = "geo_app_web"
"""The database role the web server connects as; ``geo-app db upgrade`` grants it its rights."""


def project_dir() -> Path:
    """The checkout this package runs from (editable install), else the working directory.

    The embedded database and other state live under it, so two checkouts never share a cluster.
    """
    candidate = PACKAGE_DIR.parent
    if (candidate / "pyproject.toml").is_file():
        return candidate
    return Path.cwd()


@dataclass(frozen=True)
class Settings:
    """Runtime settings; ``from_env`` is the only constructor used outside tests."""

    database_url: str | None
    state_dir: Path
    basemap: str
    secret_key: str
    data_dir: Path
    session_idle: timedelta = timedelta(hours=SESSION_IDLE_HOURS)
    """A login session unused this long ends (``GEO_APP_SESSION_IDLE_HOURS``, default 8)."""
    session_max_age: timedelta = timedelta(days=SESSION_MAX_DAYS)
    """A login session ends this long after the login (``GEO_APP_SESSION_MAX_DAYS``, default 7)."""
    cookie_secure: bool | None = None
    """``GEO_APP_COOKIE_SECURE``: the session cookie only over HTTPS, and HSTS. Unset (None):
    ``geo-app serve`` turns it on unless it binds to a loopback address (see ``cookie_secure``
    below); other ways of running the app (tests, ``flask run``) leave it off."""
    owner_database_url: str | None = None
    """Migrations and admin commands connect with this (the schema owner); else database_url."""
    superuser_database_url: str | None = None
    """Only for ``geo-app db provision``: a superuser login that makes the two roles."""
    audit_key: str = ""
    """HMAC key of the audit chain: kept outside the database so a rewrite cannot be re-signed."""
    relapse_radius_m: float = RELAPSE_RADIUS_M
    """A new hotspot this close (metres, geodesic) to a cleared one is flagged as a relapse
    candidate (``GEO_APP_RELAPSE_RADIUS_M``, default 300)."""
    read_database_url: str | None = None
    """``GEO_APP_READ_DATABASE_URL``: a streaming replica (the app role's login) that serves the
    reads that dominate (tiles, the features API, exports, OGC); unset, the primary serves all.
    Which reads go there, and why the rest do not: ``web/context.py``."""

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        root = project_dir()
        state = Path(env.get("GEO_APP_STATE_DIR") or root / "var")
        return cls(
            database_url=env.get("GEO_APP_DATABASE_URL") or None,
            state_dir=state.resolve(),
            basemap=env.get("GEO_APP_BASEMAP", "none").strip() or "none",
            secret_key=env.get("GEO_APP_SECRET_KEY") or _state_secret(state),
            data_dir=Path(env.get("GEO_APP_DATA_DIR") or root / "data").resolve(),
            session_idle=timedelta(
                hours=_positive(env, "GEO_APP_SESSION_IDLE_HOURS", SESSION_IDLE_HOURS)
            ),
            session_max_age=timedelta(
                days=_positive(env, "GEO_APP_SESSION_MAX_DAYS", SESSION_MAX_DAYS)
            ),
            cookie_secure=_switch("GEO_APP_COOKIE_SECURE", env.get("GEO_APP_COOKIE_SECURE")),
            owner_database_url=env.get("GEO_APP_OWNER_DATABASE_URL") or None,
            superuser_database_url=env.get("GEO_APP_DB_SUPERUSER_URL") or None,
            audit_key=env.get("GEO_APP_AUDIT_KEY") or _state_secret(state, "audit_key"),
            relapse_radius_m=_positive(env, "GEO_APP_RELAPSE_RADIUS_M", RELAPSE_RADIUS_M),
            read_database_url=env.get("GEO_APP_READ_DATABASE_URL") or None,
        )

    @property
    def external_database(self) -> bool:
        """Whether a database URL is configured (else the embedded cluster is used)."""
        return bool(self.database_url or self.owner_database_url)

    @property
    def app_role(self) -> str:
        """The role the web server logs in as: the user of ``database_url``, else the embedded
        cluster's app role."""
        user = urlsplit(self.database_url).username if self.database_url else None
        return unquote(user) if user else DEFAULT_APP_ROLE

    @property
    def audit_checkpoint_file(self) -> Path:
        """Where ``verify-audit`` appends its checkpoints (one JSON line each)."""
        return self.state_dir / "audit-checkpoint.json"


def _positive(env: dict[str, str], name: str, default: float) -> float:
    """A positive number from ``env[name]`` (``default`` when unset); a clear error otherwise."""
    text = (env.get(name) or "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 1e6:
        raise ValueError(f"{name}={text!r} is not a positive number")
    return value


_ON = frozenset({"1", "true", "yes", "on"})
_OFF = frozenset({"0", "false", "no", "off"})


def _switch(name: str, text: str | None) -> bool | None:
    """An on/off setting (1/0, true/false, yes/no, on/off); None when unset or empty."""
    value = (text or "").strip().lower()
    if not value:
        return None
    if value in _ON | _OFF:
        return value in _ON
    raise ValueError(f"{name}={text!r} is not on or off (1/0, true/false, yes/no, on/off)")


def cookie_secure(setting: bool | None, host: str) -> bool:
    """Whether a server bound to ``host`` sends the cookie only over HTTPS: the setting when
    given, else on unless ``host`` is a loopback address (``make run`` serves 127.0.0.1 over
    plain HTTP; anything reachable from elsewhere is expected behind HTTPS)."""
    if setting is not None:
        return setting
    try:
        return not ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host != "localhost"


def pinned_today(environ: dict[str, str] | None = None) -> date | None:
    """``GEO_APP_TODAY`` (YYYY-MM-DD) as a date: the day the app takes for today (see clock)."""
    env = os.environ if environ is None else environ
    text = (env.get("GEO_APP_TODAY") or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"GEO_APP_TODAY={text!r} is not a date YYYY-MM-DD") from None


def _state_secret(state_dir: Path, name: str = "secret_key") -> str:
    """A per-installation secret kept in the state folder, made on first use."""
    path = state_dir / name
    if path.is_file():
        return path.read_text().strip()
    state_dir.mkdir(parents=True, exist_ok=True)
    secret = os.urandom(32).hex()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it a moment ago
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret
