"""Map expected errors to responses once: JSON for API paths, a short page otherwise."""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from geo_app.domain.month import EARLIEST, MonthError
from geo_app.errors import GeoAppError


def _wants_json() -> bool:
    """Machine paths (APIs, tiles, health) get JSON errors; people get a page."""
    return request.path.startswith(("/api/", "/tiles/")) or request.path == "/healthz"


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
    """What a person reads: month errors in the page's language, the rest as raised."""
    return month_message(error) if isinstance(error, MonthError) else error.message


def register(app: Flask) -> None:
    @app.errorhandler(GeoAppError)
    def _domain(error: GeoAppError) -> tuple[Response | str, int]:
        text = message(error)
        if _wants_json():
            return jsonify({**error.as_dict(), "error": text}), error.status
        return render_template("error.html", status=error.status, message=text), error.status

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[Response | str, int]:
        status = error.code or 500
        message = error.description or error.name
        if _wants_json():
            return jsonify({"error": message}), status
        return render_template("error.html", status=status, message=message), status
