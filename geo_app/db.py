"""Engine and session handling, and the choice between a configured and the embedded database.

Services receive a ``Session`` and own their transaction (``with session.begin():``); nothing in
here commits on anyone's behalf.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

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
