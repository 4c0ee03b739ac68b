"""Database roles: the schema owner and the app role, made and kept in line by a superuser, and
the rights the app role gets after every migration.

One implementation for every set-up: the embedded cluster calls it on start, ``geo-app db
provision`` runs it against any server (docker compose's init step), ``geo-app db upgrade``
grants the app role its rights.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

EXTENSIONS = ("postgis", "btree_gist")
"""Extensions the schema needs; only a superuser may create PostGIS, so provisioning does."""

LOGIN_ATTRIBUTES = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"
SERVER_ACCESS_ROLES = "pg_execute_server_program, pg_read_server_files, pg_write_server_files"
"""Built-in roles that reach the server's programs and files (``COPY … PROGRAM``): never ours."""


@contextlib.contextmanager
def _connect(url: str | URL, database: str | None = None) -> Iterator[sa.Connection]:
    target = make_url(url) if database is None else make_url(url).set(database=database)
    engine = sa.create_engine(target, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


def provision_roles(superuser_url: str | URL, logins: Mapping[str, str]) -> None:
    """Make each role of ``logins`` (name → password) exist as a plain login: no superuser, no
    CREATEDB or CREATEROLE, no server programs or files. Run on every start, so the attributes
    and passwords stay as given."""
    with _connect(superuser_url, "postgres") as conn:
        for name, password in logins.items():
            role = conn.dialect.identifier_preparer.quote(name)
            exists = conn.scalar(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": name})
            verb = "ALTER" if exists else "CREATE"
            conn.execute(
                sa.text(f"{verb} ROLE {role} {LOGIN_ATTRIBUTES} PASSWORD :pw"), {"pw": password}
            )
            conn.execute(sa.text(f"REVOKE {SERVER_ACCESS_ROLES} FROM {role}"))


def provision_database(superuser_url: str | URL, name: str, owner: str) -> bool:
    """Make database ``name`` exist, owned by ``owner``, with the extensions; True when anything
    changed. A database owned by someone else (one made before the roles existed) is handed
    over in place, with every object of its public schema but the extensions'.
    """
    with _connect(superuser_url, "postgres") as conn:
        current = conn.scalar(
            sa.text("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = :n"),
            {"n": name},
        )
        if current == owner:
            return False
        quoted = conn.dialect.identifier_preparer.quote(name)
        role = conn.dialect.identifier_preparer.quote(owner)
        if current is None:
            conn.execute(sa.text(f"CREATE DATABASE {quoted} OWNER {role}"))
        else:
            conn.execute(sa.text(f"ALTER DATABASE {quoted} OWNER TO {role}"))
    with _connect(superuser_url, name) as conn:
        for extension in EXTENSIONS:
            conn.execute(sa.text(f"CREATE EXTENSION IF NOT EXISTS {extension}"))
        conn.execute(sa.text("SELECT set_config('geo_app.new_owner', :o, false)"), {"o": owner})
        conn.execute(sa.text(_HAND_OVER_SQL))
    return True


_HAND_OVER_SQL = """
DO $$
DECLARE
    owner text := current_setting('geo_app.new_owner');
    item record;
BEGIN
    FOR item IN
        SELECT format('ALTER TABLE %s OWNER TO %I', c.oid::regclass, owner) AS stmt
        FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace AND c.relowner <> to_regrole(owner)
          AND (c.relkind IN ('r', 'p', 'v', 'm', 'f')
               OR (c.relkind = 'S' AND NOT EXISTS (SELECT 1 FROM pg_depend d
                   WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                     AND d.deptype IN ('a', 'i'))))
          AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_class'::regclass
                          AND e.objid = c.oid AND e.deptype = 'e')
        UNION ALL
        SELECT format('ALTER ROUTINE %s OWNER TO %I', p.oid::regprocedure, owner)
        FROM pg_proc p
        WHERE p.pronamespace = 'public'::regnamespace AND p.proowner <> to_regrole(owner)
          AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_proc'::regclass
                          AND e.objid = p.oid AND e.deptype = 'e')
        UNION ALL
        SELECT format('ALTER TYPE %s OWNER TO %I', t.oid::regtype, owner)
        FROM pg_type t
        WHERE t.typnamespace = 'public'::regnamespace AND t.typowner <> to_regrole(owner)
          AND t.typtype IN ('e', 'd', 'r')
          AND NOT EXISTS (SELECT 1 FROM pg_depend e WHERE e.classid = 'pg_type'::regclass
                          AND e.objid = t.oid AND e.deptype = 'e')
    LOOP
        EXECUTE item.stmt;
    END LOOP;
END $$
"""
"""Hand every object of the public schema but the extensions' to the owner role named by the
``geo_app.new_owner`` setting (a database made by a superuser, or anything the app role owns)."""


def grant_app_rights(url: str | URL, app_role: str) -> bool:
    """Give ``app_role`` what the web server needs on everything the migrations made, and no
    more; False (and nothing done) when the role does not exist or is the one connected (a
    single-role set-up has no separate app role to restrict).

    Run as the owner after every upgrade, so tables a later migration adds are covered without
    a list to keep up to date. The audit log stays append-only for the app role: it may read and
    insert, never update, delete or truncate, so even a compromised web server cannot rewrite
    history (the triggers are the second line; only the owner could disable them).
    """
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.begin() as conn:
            separate = conn.scalar(
                sa.text("SELECT 1 FROM pg_roles WHERE rolname = :r AND rolname <> current_user"),
                {"r": app_role},
            )
            if not separate:
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
