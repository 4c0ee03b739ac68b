"""Page language: Vietnamese by default, English with ``?lang=en`` (Flask-Babel catalogs).

Source strings in the code and templates are English (``gettext``/``_``); the Vietnamese text
lives in ``geo_app/translations/vi/LC_MESSAGES/messages.po``. ``make i18n`` re-extracts and
compiles the catalog; a test fails when a string has no Vietnamese translation or the compiled
``.mo`` is older than the ``.po``. Data labels that travel with data (layer titles, vocabularies,
rule texts) keep their own vi/en pairs, since exports and APIs carry both.
"""

from __future__ import annotations

from flask import Flask, has_request_context, request
from flask_babel import Babel

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
