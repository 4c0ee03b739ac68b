"""Request-side helpers shared by the blueprints: the engine, settings and the page language."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, cast

from flask import current_app, request
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from geo_app import clock
from geo_app.config import Settings
from geo_app.db import session_scope
from geo_app.domain.month import as_of
from geo_app.i18n import translator
from geo_app.layers.base import Lang
from geo_app.pages.summary_panel import view as summary_panel_view
from geo_app.services.summary import Summary


def engine() -> Engine:
    return cast(Engine, current_app.extensions["geo_app.engine"])


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
