"""Engine and session handling, and the choice between a configured and the embedded database.

Services receive a ``Session`` and own their transaction (``with session.begin():``); nothing in
here commits on anyone's behalf.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine
from sqlalchemy.orm import Session, sessionmaker

from geo_app.config import Settings
from geo_app.embedded_pg import APP_ROLE, DEFAULT_DATABASE, OWNER_ROLE, EmbeddedCluster


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
    if settings.database_url:
        return (
            (settings.owner_database_url or settings.database_url)
            if owner
            else settings.database_url
        )
    name = database or DEFAULT_DATABASE
    info = embedded_cluster(settings).ensure_database(name)
    return info.url(name, OWNER_ROLE if owner else APP_ROLE)


def grant_app_rights(url: str | URL, app_role: str) -> bool:
    """Give ``app_role`` what the web server needs on everything the migrations made, and no
    more; False (and nothing done) when the role does not exist.

    Run as the owner after every upgrade, so tables a later migration adds are covered without
    a list to keep up to date. The audit log stays append-only for the app role: it may read and
    insert, never update, delete or truncate, so even a compromised web server cannot rewrite
    history (the triggers are the second line; only the owner could disable them).
    """
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.begin() as conn:
            if not conn.scalar(
                sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": app_role}
            ):
                return False
            role = conn.dialect.identifier_preparer.quote(app_role)
            for statement in _GRANTS:
                conn.execute(sa.text(statement.format(role=role)))
            for table in conn.scalars(sa.text(_READ_ONLY_TABLES)):
                conn.execute(sa.text(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {role}"))
        return True
    finally:
        engine.dispose()


_GRANTS = (
    "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
    "GRANT USAGE ON SCHEMA public TO {role}",
    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}",
    "REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {role}",
    "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
    "GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO {role}",
)
"""Generic rights of the app role over the public schema (``{role}`` is its quoted name)."""

_READ_ONLY_TABLES = """
SELECT c.oid::regclass::text FROM pg_class c
WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
  AND (c.relname = 'audit_log' OR EXISTS (SELECT 1 FROM pg_depend e
       WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e'))
"""
"""Tables the app may read and append to but never change: the audit log, and the extensions'
own tables (PostGIS's ``spatial_ref_sys``)."""


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
