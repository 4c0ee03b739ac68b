"""``/healthz``: is the app up and can it reach PostGIS (503 when it cannot)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy.exc import SQLAlchemyError

from geo_app import __version__
from geo_app.services.health import database_status
from geo_app.web.context import engine

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    try:
        status = database_status(engine())
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        return jsonify(
            {"status": "unavailable", "database": "down", "error": reason, "version": __version__}
        ), 503
    return jsonify({"status": "ok", "version": __version__, **status}), 200
