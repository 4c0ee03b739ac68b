"""Login sessions on the server: made at login, checked on every request, ended at once.

The browser holds a random id; the table holds only its sha256, the user and the session's
CSRF token. Ending sessions is deleting rows: logout, a password change, a role or scope change
and a deactivation end every session of the user (``end_all``). A session also ends when unused
for ``idle`` or ``max_age`` after the login; both are settings (``geo_app.config``). The times
are the database's ``now()``: expiry is about real time, not the app's business "today".

The per-request check (``lookup``) is one indexed Core read on a bare connection that returns
the account and the session's validity together (prepared once per connection); ``last_seen_at``
is written at most once a ``TOUCH_EVERY``, not on every request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from geo_app.db import Gate, Prepared, ResultRow
from geo_app.models import AppSession, User
from geo_app.services.accounts.login import ACCOUNT_COLUMNS, ACCOUNT_FROM, Account, account_of

TOUCH_EVERY = timedelta(minutes=1)
"""How stale ``last_seen_at`` may get before a request writes it again."""


@dataclass(frozen=True)
class Started:
    """A new session: the id for the cookie (never stored as is) and its CSRF token."""

    raw_id: str
    csrf_token: str


@dataclass(frozen=True)
class Live:
    """A session that still opens the app, and its account."""

    account: Account
    csrf_token: str
    stale: bool = False
    """``last_seen_at`` is older than ``TOUCH_EVERY``: the caller writes it (:func:`touch`)."""


def token_hash(raw_id: str) -> str:
    return hashlib.sha256(raw_id.encode("utf-8", "surrogatepass")).hexdigest()


def _expired(idle: timedelta, max_age: timedelta) -> sa.ColumnElement[bool]:
    return sa.or_(
        AppSession.last_seen_at <= sa.func.now() - idle,
        AppSession.created_at <= sa.func.now() - max_age,
    )


def start(session: Session, user_id: int, *, idle: timedelta, max_age: timedelta) -> Started:
    """A new session for ``user_id`` (a fresh id at every login); expired rows of anyone are
    cleared on the way, so the table holds only live sessions and a few stale ones."""
    session.execute(sa.delete(AppSession).where(_expired(idle, max_age)))
    started = Started(secrets.token_urlsafe(32), secrets.token_urlsafe(32))
    session.add(
        AppSession(
            token_hash=token_hash(started.raw_id), user_id=user_id, csrf_token=started.csrf_token
        )
    )
    session.flush()
    return started


def end(session: Session, raw_id: str) -> None:
    """End one session (a login replacing the browser's previous one)."""
    session.execute(sa.delete(AppSession).where(AppSession.token_hash == token_hash(raw_id)))


def end_all(session: Session, user_id: int) -> int:
    """End every session of the user at once; returns how many there were."""
    result = session.execute(sa.delete(AppSession).where(AppSession.user_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)


_SESSIONS = cast(sa.Table, AppSession.__table__)


def _param(name: str, type_: sa.types.TypeEngine[Any]) -> sa.ColumnElement[Any]:
    """A parameter with its type written into the SQL, so the lookup keeps its types inside
    another statement too (``GATE``), where PostgreSQL infers the parameters' types."""
    return sa.cast(sa.bindparam(name, type_=type_), type_)


_LOOKUP = (
    sa.select(
        *ACCOUNT_COLUMNS,
        _SESSIONS.c.csrf_token,
        (_SESSIONS.c.last_seen_at < sa.func.now() - _param("touch_every", sa.Interval())).label(
            "stale"
        ),
    )
    .select_from(ACCOUNT_FROM.join(_SESSIONS, _SESSIONS.c.user_id == User.__table__.c.id))
    .where(
        _SESSIONS.c.token_hash == _param("hashed_id", sa.Text()),
        User.__table__.c.is_active,
        _SESSIONS.c.last_seen_at > sa.func.now() - _param("idle", sa.Interval()),
        _SESSIONS.c.created_at > sa.func.now() - _param("max_age", sa.Interval()),
    )
)
_TOUCH = (
    sa.update(_SESSIONS)
    .where(_SESSIONS.c.token_hash == sa.bindparam("hashed_id"))
    .values(last_seen_at=sa.func.now())
)
LOOKUP_NAME = "geo_app_session_lookup"
"""The lookup is PREPAREd once per connection under this name (``db.Prepared``): planning the
three-table join cost more than running it (~0.2 ms against ~0.03 ms)."""


_LOOKUP_PREPARED = Prepared.of(_LOOKUP, LOOKUP_NAME)

GATE = Gate("session", _LOOKUP)
"""The lookup as a ``db.Gate``: a tile's statement behind it is drawn only for a live session,
in the same round trip (``web/tile_door.py``); read its row with :func:`live_of`."""


def gate_values(raw_id: str, *, idle: timedelta, max_age: timedelta) -> dict[str, Any]:
    """The lookup's parameters for the session behind ``raw_id``."""
    return {
        "hashed_id": token_hash(raw_id),
        "idle": idle,
        "max_age": max_age,
        "touch_every": TOUCH_EVERY,
    }


def live_of(row: ResultRow) -> Live:
    """The live session of a lookup's row (alone or in front of a gated statement)."""
    return Live(account_of(row), row.csrf_token, bool(row.stale))


def touch(connection: Connection, raw_id: str) -> None:
    """Write the session's last use now (idle expiry counts from it); the caller commits."""
    connection.execute(_TOUCH, {"hashed_id": token_hash(raw_id)})


def lookup(
    connection: Connection, raw_id: str, *, idle: timedelta, max_age: timedelta
) -> Live | None:
    """The live session behind ``raw_id`` with its active account, or None (unknown, ended,
    expired, or the user deactivated). Commits its own touch, so give it an autocommit
    connection (or commit after)."""
    values = gate_values(raw_id, idle=idle, max_age=max_age)
    row = _LOOKUP_PREPARED.one_or_none(connection, values)
    if row is None:
        return None
    live = live_of(row)
    if live.stale:
        touch(connection, raw_id)
    return live
