"""Request-side helpers shared by the blueprints: the engine, settings and the page language."""

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
    found = current_app.extensions.get("geo_app.bare_engine")
    if found is None:
        url = engine().url.render_as_string(hide_password=False)
        made = make_engine(
            url,
            pool_pre_ping=False,
            isolation_level="AUTOCOMMIT",
            pool_reset_on_return=None,
            pool_use_lifo=True,
            connect_args={"connect_timeout": 5},
        )
        found = current_app.extensions.setdefault("geo_app.bare_engine", made)
    return cast(Engine, found)


def on_bare_connection(read: Callable[[Connection], T]) -> T:
    """Run ``read`` on a bare connection; once more if the pool's connection was dropped."""
    try:
        with bare_engine().connect() as connection:
            return read(connection)
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
    with bare_engine().connect() as connection:  # SQLAlchemy has renewed the pool by now
        return read(connection)


def settings() -> Settings:
    return cast(Settings, current_app.extensions["geo_app.settings"])


@contextmanager
def read_session() -> Iterator[Session]:
    """A session for reading; nothing it does is committed."""
    with session_scope(engine()) as session:
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
