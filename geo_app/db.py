"""Engine and session handling, and the choice between a configured and the embedded database.

Services receive a ``Session`` and own their transaction (``with session.begin():``); nothing in
here commits on anyone's behalf.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, CursorResult, Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql.compiler import SQLCompiler

from geo_app.config import Settings
from geo_app.embedded_pg import (
    APP_ROLE,
    DEFAULT_DATABASE,
    OWNER_ROLE,
    EmbeddedCluster,
    EmbeddedDatabaseError,
)


def embedded_cluster(settings: Settings) -> EmbeddedCluster:
    """The cluster owned by this installation's state folder."""
    return EmbeddedCluster(settings.state_dir)


def resolve_database_url(
    settings: Settings | None = None, *, database: str | None = None, owner: bool = False
) -> str:
    """The URL to use: the web server's by default, the schema owner's with ``owner=True``
    (migrations, loads and other admin commands).

    Configured URLs are used as given (``GEO_APP_OWNER_DATABASE_URL`` falls back to
    ``GEO_APP_DATABASE_URL`` for a single-role set-up); else the embedded cluster is started
    and the database made if missing.
    """
    settings = settings or Settings.from_env()
    if settings.external_database:
        url = (
            (settings.owner_database_url or settings.database_url)
            if owner
            else settings.database_url
        )
        if url is None:
            raise EmbeddedDatabaseError("GEO_APP_DATABASE_URL is not set (the web server's login)")
        return url
    name = database or DEFAULT_DATABASE
    info = embedded_cluster(settings).ensure_database(name)
    return info.url(name, OWNER_ROLE if owner else APP_ROLE)


def make_engine(url: str, **kwargs: object) -> Engine:
    """An engine with settings suited to a threaded WSGI server."""
    options: dict[str, object] = {"pool_pre_ping": True, "pool_size": 8, "max_overflow": 8}
    options.update(kwargs)
    return sa.create_engine(url, **options)


@lru_cache(maxsize=8)
def _session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that is closed afterwards; the caller decides when to commit."""
    session = _session_factory(engine)()
    try:
        yield session
    finally:
        session.close()


ResultRow = Any
"""A row read by column name and by position: a named tuple (``Prepared.one_or_none``'s own
path) or SQLAlchemy's ``Row``."""


@dataclass(frozen=True)
class Prepared:
    """A Core statement run as a server-side prepared statement, PREPAREd once per database
    connection (remembered in ``Connection.info``) and then only EXECUTEd.

    Why: for the statements of every request (the login check, a tile) PostgreSQL's planning
    cost as much as running them (a tile: ~0.9 ms of ~3.6 ms). A transaction-pooling proxy
    (PgBouncer in transaction mode) does not keep prepared statements: switch this off there.
    Parameter types come from the binds when all are typed, else PostgreSQL infers them.
    """

    name: str
    prepare: str
    execute: str
    defaults: dict[str, Any]

    @classmethod
    def of(cls, statement: sa.sql.ClauseElement, name: str) -> Prepared:
        dialect = postgresql.psycopg2.dialect(paramstyle="numeric_dollar")
        compiled = cast(SQLCompiler, statement.compile(dialect=dialect))
        names = list(compiled.positiontup or [])
        types = [compiled.binds[n].type for n in names]
        declared = ""
        if not any(isinstance(t, sa.types.NullType) for t in types):
            declared = " (" + ", ".join(str(t.compile(dialect=dialect)) for t in types) + ")"
        prepare = f"PREPARE {name}{declared} AS {compiled.string}"
        execute = f"EXECUTE {name} ({', '.join(f'%({n})s' for n in names)})" if names else ""
        return cls(name, prepare, execute or f"EXECUTE {name}", dict(compiled.params))

    def run(self, connection: Connection, values: Mapping[str, Any]) -> CursorResult[Any]:
        """Execute with ``values`` over the statement's own bound defaults."""
        self._prepare_on(connection)
        return connection.exec_driver_sql(self.execute, {**self.defaults, **values})

    def one_or_none(self, connection: Connection, values: Mapping[str, Any]) -> ResultRow | None:
        """The statement's one row (by name and by position) or None.

        On an autocommit connection (the bare pools of ``web/context.py``) this runs on the
        DBAPI cursor itself: SQLAlchemy's execution and result objects cost ~0.2 ms a
        statement here, more than the session lookup's own execution. The engine's cursor
        events still fire, so whatever counts or times statements sees these too. An error is
        raised again through SQLAlchemy (its exception, a dropped connection invalidated);
        inside a transaction everything goes through SQLAlchemy, which keeps its bookkeeping.
        """
        self._prepare_on(connection)
        parameters = {**self.defaults, **values}
        fairy = connection.connection
        if not getattr(fairy.dbapi_connection, "autocommit", False):
            return connection.exec_driver_sql(self.execute, parameters).one_or_none()
        try:
            return _fetch_one(connection, self.execute, parameters)
        except connection.dialect.loaded_dbapi.Error:
            return connection.exec_driver_sql(self.execute, parameters).one_or_none()

    def _prepare_on(self, connection: Connection) -> None:
        done: set[str] = connection.info.setdefault("geo_app_prepared", set())
        if self.name not in done:
            connection.exec_driver_sql(self.prepare)
            done.add(self.name)


def _fetch_one(connection: Connection, statement: str, parameters: dict[str, Any]) -> Any:
    dispatch = connection.dispatch
    cursor = connection.connection.cursor()
    try:
        if dispatch.before_cursor_execute:
            dispatch.before_cursor_execute(connection, cursor, statement, parameters, None, False)
        cursor.execute(statement, parameters)
        row = cursor.fetchone()
        if dispatch.after_cursor_execute:
            dispatch.after_cursor_execute(connection, cursor, statement, parameters, None, False)
        fields = tuple(column[0] for column in cursor.description or ())
    finally:
        cursor.close()
    return None if row is None else _row_type(fields)._make(row)


@lru_cache(maxsize=256)
def _row_type(fields: tuple[str, ...]) -> type[Any]:
    """A named tuple class per statement's columns (made once)."""
    return namedtuple("Row", fields, rename=True)


@dataclass(frozen=True)
class Gate:
    """A one-row SELECT run in front of another statement, in the same round trip.

    Why: on this kind of machine a second round trip cost a tile request ~0.8 ms end to end,
    far more than the statement itself (the backend and the server thread each sleep and wake).
    The gate's columns come first in the answer; when the gate finds no row the answer has no
    row and the statement's own columns are never computed (they are scalar subqueries, which
    PostgreSQL evaluates only for a row it returns). ``name`` goes into the prepared
    statement's name, so each gated statement is prepared once per connection.
    """

    name: str
    select: sa.Select[Any]

    def around(self, *columns: sa.ColumnElement[Any]) -> sa.Select[Any]:
        """``SELECT <gate's columns>, <columns> FROM <gate>``."""
        gate = self.select.subquery("gate")
        return sa.select(*gate.c, *columns).select_from(gate)


Gated = tuple[Gate, Mapping[str, Any]]
"""A gate with the values of its parameters for one request."""
