"""Page language: Vietnamese by default, English with ``?lang=en`` (Flask-Babel catalogs).

Source strings in the code and templates are English (``gettext``/``_``); the Vietnamese text
lives in ``geo_app/translations/vi/LC_MESSAGES/messages.po``. ``make i18n`` re-extracts and
compiles the catalog; a test fails when a string has no Vietnamese translation or the compiled
``.mo`` is older than the ``.po``. Data labels that travel with data (layer titles, vocabularies,
rule texts) keep their own vi/en pairs, since exports and APIs carry both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from flask import Flask, has_app_context, has_request_context, request
from flask_babel import Babel, force_locale, gettext

DEFAULT_LOCALE = "vi"
LOCALES = ("vi", "en")


def select_locale() -> str:
    """``en`` only when asked for with ``?lang=en``; every other request is Vietnamese."""
    if has_request_context() and request.args.get("lang") == "en":
        return "en"
    return DEFAULT_LOCALE


def init_app(app: Flask) -> Babel:
    """Install Flask-Babel on ``app`` with the package's catalogs."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LOCALE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    return Babel(app, locale_selector=select_locale)


@contextmanager
def language(lang: str) -> Iterator[None]:
    """``gettext`` and friends speak ``lang`` inside the block.

    For text built for a given language rather than the request's (a partial rendered for
    ``lang``, a page's JSON), and for code running outside any app context (the CLI, tests
    calling a function directly), where Flask-Babel alone would translate nothing: there a
    bare app holding only the catalogs lends its context for the block.
    """
    if has_app_context():
        with force_locale(lang):
            yield
        return
    with _catalog_app().app_context(), force_locale(lang):
        yield


@cache
def _catalog_app() -> Flask:
    """An app with nothing but the package's catalogs (its root path is the package's)."""
    app = Flask(__name__.rpartition(".")[0])
    init_app(app)
    return app


def translator(lang: str) -> Callable[..., str]:
    """A ``gettext`` that always speaks ``lang`` (for page data built outside a request: a
    briefing, the CLI, tests), inside or outside an app context."""

    def translate(string: str, **variables: Any) -> str:
        with language(lang):
            return gettext(string, **variables)

    return translate
