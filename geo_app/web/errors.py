"""Map expected errors to responses once: JSON for API paths, a short page otherwise, both in
the request's language (Vietnamese by default, English with ``?lang=en``).

Messages raised in the reader's language (the pages translate theirs) pass through; a message
that is a catalog msgid (a fixed English sentence) is translated here; a detail carrying values
from a service that has no msgid yet is shown as raised.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from geo_app.domain.month import EARLIEST, MonthError
from geo_app.errors import GeoAppError
from geo_app.web.context import lang
from geo_app.web.negotiation import is_ogc_path, wants_page

JSON_PATHS = ("/api/", "/tiles/", "/jobs/", "/briefing/pack/")
"""Paths a script reads (the pack's queue and its job are polled by ``briefing.js``)."""


def _wants_json() -> bool:
    """Machine paths (APIs, tiles, jobs, health, the OGC API but for its HTML) get JSON
    errors; people get a page."""
    if is_ogc_path():
        return not wants_page()
    return request.path.startswith(JSON_PATHS) or request.path == "/healthz"


def _heading(status: int) -> str:
    """The error page's heading: what kind of failure, in the page language."""
    if status == 400:
        return _("The request is not valid")
    if status == 403:
        return _("Outside your scope")
    if status == 404:
        return _("Not found")
    if status == 409:
        return _("Conflict with the stored data")
    return _("Something went wrong")


def _http_message(error: HTTPException) -> str:
    """Werkzeug's own English descriptions replaced by ours; a custom one is kept."""
    if error.description and error.description != type(error).description:
        return _(error.description)
    if error.code == 404:
        return _("There is no page at this address.")
    if error.code == 405:
        return _("This address does not take that kind of request.")
    return _("The request could not be handled.")


def _respond(status: int, message: str, body: dict[str, object]) -> tuple[Response | str, int]:
    if _wants_json():
        return jsonify(body), status
    heading = _heading(status)
    page = render_template(
        "error.html", status=status, title=heading, heading=heading, message=message, lang=lang()
    )
    return page, status


def month_message(error: MonthError) -> str:
    """A bad ``month`` in the page's language (the domain gives only the reason and value)."""
    if error.reason == "future":
        return _(
            "Month %(value)s is in the future: pick this month or an earlier one.",
            value=error.value,
        )
    if error.reason == "too_early":
        return _(
            "Month %(value)s is before %(earliest)s: pick %(earliest)s or a later one.",
            value=error.value,
            earliest=str(EARLIEST),
        )
    return _("Month «%(value)s» is not valid: use YYYY-MM, e.g. 2025-10.", value=error.value)


def message(error: GeoAppError) -> str:
    """What a person reads: month errors in the page's language; a catalog msgid translated;
    the rest as raised."""
    return month_message(error) if isinstance(error, MonthError) else _(error.message)


def register(app: Flask) -> None:
    @app.errorhandler(GeoAppError)
    def _domain(error: GeoAppError) -> tuple[Response | str, int]:
        text = message(error)
        return _respond(error.status, text, {**error.as_dict(), "error": text})

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[Response | str, int]:
        message = _http_message(error)
        return _respond(error.code or 500, message, {"error": message})
