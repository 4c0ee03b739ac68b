"""Copies of the demo database for tests that commit: one way to make and drop them.

``CREATE DATABASE … TEMPLATE`` needs the source to have no other connection. The test run's own
pooled engines (the session's app, a background tile warm) may hold one or open one again at any
moment, so the copy is retried: first as is, then after ending the source's other connections,
a few times with a short wait. Engines that read the source keep working: the app's pools ping
or retry a dropped connection.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from conftest import _admin_engine, drop_database
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

ATTEMPTS = 8


def _end_connections(conn: sa.Connection, database: str) -> None:
    conn.execute(
        sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = :db AND pid <> pg_backend_pid()"
        ),
        {"db": database},
    )


def create_copy(source_url: str, prefix: str) -> str:
    """A new database copied from ``source_url``'s; its URL (same login)."""
    source = make_url(source_url)
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    create = sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{source.database}"')
    admin = _admin_engine()
    try:
        with admin.connect() as conn:
            for attempt in range(ATTEMPTS):
                try:
                    conn.execute(create)
                    break
                except OperationalError:
                    if attempt == ATTEMPTS - 1:
                        raise
                    _end_connections(conn, str(source.database))
                    time.sleep(0.1 * (attempt + 1))
    finally:
        admin.dispose()
    return source.set(database=name).render_as_string(hide_password=False)


@contextmanager
def copy_of(source_url: str, prefix: str) -> Iterator[str]:
    """A copy of the source database for the ``with`` block; dropped after it."""
    url = create_copy(source_url, prefix)
    try:
        yield url
    finally:
        drop_database(url)
