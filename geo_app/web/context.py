"""Request-side helpers shared by the blueprints: the engines, settings and the page language.

Which database a read goes to (``GEO_APP_READ_DATABASE_URL``, a streaming replica): the reads
that dominate and need not see the reader's own last write go to the replica: tiles
(:func:`on_replica_connection`), the features API, exports' rows and the OGC API
(:func:`replica_session`). Everything else stays on the primary (:func:`engine`,
:func:`read_session`, :func:`on_bare_connection`): every write and what it reads back (field
writes, indicators, targets, accounts), the login and session check (it writes the session's
last use and must see a logout or a deactivation at once), the pages a user opens right after a
write, jobs and the audit log (an export's audit row too). A replica lags by a moment, so a
read routed there may miss a write of the last second, never see a row that was not committed.
Tiles stay right under lag because a tile's data and its layers' versions come from one snapshot
of the one server that drew it: a tile is "fresh" (cached an hour) only when its own version is
the one the page asked for (``?v=``, read on the primary by the page), so a lagging replica's
older tile is sent "revalidate" with its content ETag and is replaced once the replica has
caught up. Without the setting every helper here returns the primary's engine or pool: no
extra pool, the app as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, TypeVar, cast

from flask import current_app, request
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from geo_app import clock
from geo_app.config import Settings
from geo_app.db import make_engine, session_scope
from geo_app.domain.month import as_of
from geo_app.i18n import translator
from geo_app.layers.base import Lang
from geo_app.pages.summary_panel import view as summary_panel_view
from geo_app.services.summary import Summary

T = TypeVar("T")


def engine() -> Engine:
    return cast(Engine, current_app.extensions["geo_app.engine"])


def bare_engine() -> Engine:
    """A pool of its own for one-statement reads on every request (the login check, tiles).

    Autocommit, no ping on checkout and no reset on return: each read is one round trip, where
    the app pool adds a ping, a BEGIN and a ROLLBACK (~0.8 ms together here, as much as a small
    tile). A single statement reads one snapshot, so nothing is lost by autocommit; a connection
    the database dropped is noticed on use (:func:`on_bare_connection` asks again). The most
    recently used connection is taken first, so a quiet server reuses one warm backend.
    """
    return _bare_pool(
        "geo_app.bare_engine", lambda: engine().url.render_as_string(hide_password=False)
    )


def _bare_pool(key: str, url: Callable[[], str], application: str | None = None) -> Engine:
    """The bare pool kept under ``key`` (made on first use from ``url()``)."""
    found = current_app.extensions.get(key)
    if found is None:
        options: dict[str, Any] = {"connect_timeout": 5}
        if application:
            options["application_name"] = application
        made = make_engine(
            url(),
            pool_pre_ping=False,
            isolation_level="AUTOCOMMIT",
            pool_reset_on_return=None,
            pool_use_lifo=True,
            connect_args=options,
        )
        found = current_app.extensions.setdefault(key, made)
    return cast(Engine, found)


def on_bare_connection(read: Callable[[Connection], T]) -> T:
    """Run ``read`` on a bare connection; once more if the pool's connection was dropped."""
    return _on_connection(bare_engine, read)


def _on_connection(pool: Callable[[], Engine], read: Callable[[Connection], T]) -> T:
    try:
        with pool().connect() as connection:
            return read(connection)
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
    with pool().connect() as connection:  # SQLAlchemy has renewed the pool by now
        return read(connection)


REPLICA_APPLICATION = "geo_app replica reads"
"""``application_name`` of the replica's connections (seen in its ``pg_stat_activity``)."""


def read_engine() -> Engine:
    """The replica's engine for the reads routed there (module docstring), else the primary's."""
    url = settings().read_database_url
    if url is None:
        return engine()
    found = current_app.extensions.get("geo_app.read_engine")
    if found is None:
        options = {"connect_timeout": 5, "application_name": REPLICA_APPLICATION}
        made = make_engine(url, connect_args=options)
        found = current_app.extensions.setdefault("geo_app.read_engine", made)
    return cast(Engine, found)


def bare_read_engine() -> Engine:
    """The replica's bare pool (as :func:`bare_engine`) for tiles; the primary's without one."""
    url = settings().read_database_url
    if url is None:
        return bare_engine()
    return _bare_pool("geo_app.bare_read_engine", lambda: url, REPLICA_APPLICATION)


def on_replica_connection(read: Callable[[Connection], T]) -> T:
    """:func:`on_bare_connection` on the replica's bare pool (the primary's without one)."""
    return _on_connection(bare_read_engine, read)


def settings() -> Settings:
    return cast(Settings, current_app.extensions["geo_app.settings"])


@contextmanager
def read_session() -> Iterator[Session]:
    """A session for reading; nothing it does is committed."""
    with session_scope(engine()) as session:
        yield session


@contextmanager
def replica_session(primary: Session | None = None) -> Iterator[Session]:
    """A session for the reads routed to the replica (module docstring); without one, a
    primary's session, ``primary`` itself when given (a view that also writes keeps its one
    connection). Never write through it: a replica refuses writes."""
    if primary is not None and settings().read_database_url is None:
        yield primary
        return
    with session_scope(read_engine()) as session:
        yield session


def lang() -> Lang:
    """Vietnamese by default, English with ``?lang=en``."""
    return "en" if request.args.get("lang") == "en" else "vi"


def month_as_of() -> date:
    """The request's ``?month=`` (``YYYY-MM`` or ``YYYY-MM-DD``) as a date; today when absent.

    ``geo_app.domain.month.as_of`` reads it, so pages, tiles and APIs accept the same months.
    """
    return as_of(request.args.get("month"), today=clock.today())


def panel_words(figures: Summary, language: Lang) -> dict[str, Any]:
    """The summary panel in ``language`` (a template global: ``_summary.html`` calls it)."""
    return summary_panel_view(figures, language, translator(language))
