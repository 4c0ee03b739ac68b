"""Engine and session handling, and the choice between a configured and the embedded database.

Services receive a ``Session`` and own their transaction (``with session.begin():``); nothing in
here commits on anyone's behalf.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from geo_app.config import Settings
from geo_app.embedded_pg import DEFAULT_DATABASE, EmbeddedCluster


def embedded_cluster(settings: Settings) -> EmbeddedCluster:
    """The cluster owned by this installation's state folder."""
    return EmbeddedCluster(settings.state_dir)


def resolve_database_url(settings: Settings | None = None, *, database: str | None = None) -> str:
    """The URL to use: ``GEO_APP_DATABASE_URL`` as given, else the embedded cluster (started)."""
    settings = settings or Settings.from_env()
    if settings.database_url:
        return settings.database_url
    info = embedded_cluster(settings).start()
    name = database or DEFAULT_DATABASE
    url = info.url(name)
    ensure_database(url)
    return url


def ensure_database(url: str) -> bool:
    """Create the database named in ``url`` if it is missing; True when it was created."""
    target = make_url(url)
    name = target.database
    if not name:
        raise ValueError("database URL names no database")
    admin = sa.create_engine(
        target.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.NullPool
    )
    try:
        with admin.connect() as conn:
            exists = conn.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            )
            if exists:
                return False
            quoted = conn.dialect.identifier_preparer.quote(name)
            conn.execute(sa.text(f"CREATE DATABASE {quoted}"))
            return True
    finally:
        admin.dispose()


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
