"""Map expected errors to responses once: JSON for API paths, a short page otherwise."""

from __future__ import annotations

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from geo_app.errors import GeoAppError


def _wants_json() -> bool:
    """Machine paths (APIs, tiles, health) get JSON errors; people get a page."""
    return request.path.startswith(("/api/", "/tiles/")) or request.path == "/healthz"


def register(app: Flask) -> None:
    @app.errorhandler(GeoAppError)
    def _domain(error: GeoAppError) -> tuple[Response | str, int]:
        if _wants_json():
            return jsonify(error.as_dict()), error.status
        return render_template("error.html", status=error.status, message=error.message), (
            error.status
        )

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException) -> tuple[Response | str, int]:
        status = error.code or 500
        message = error.description or error.name
        if _wants_json():
            return jsonify({"error": message}), status
        return render_template("error.html", status=status, message=message), status
