"""``/healthz``: is the app up and can it reach PostGIS (503 when it cannot).

Anyone (a load balancer, a container's health check) learns only ``ok`` or ``unavailable``;
the software versions help an attacker pick an exploit, so only a logged-in admin sees them.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from flask_babel import lazy_gettext
from sqlalchemy.exc import SQLAlchemyError

from geo_app import __version__
from geo_app.models import Role
from geo_app.services.health import database_reachable, database_status
from geo_app.web.api_schemas import OK, Answer, Health, documented
from geo_app.web.auth import current_user
from geo_app.web.context import engine

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@documented(
    "system",
    lazy_gettext("Is the service up (versions for an admin)"),
    {200: Answer(OK, Health), 503: Answer(lazy_gettext("The database cannot be reached"), Health)},
    errors=(),
    public=True,
)
def healthz() -> tuple[Response, int]:
    try:
        database_reachable(engine())
        user = current_user()
        if user is None or user.role != Role.admin:
            return jsonify({"status": "ok"}), 200
        status = database_status(engine())
    except SQLAlchemyError:
        return jsonify({"status": "unavailable"}), 503
    return jsonify({"status": "ok", "version": __version__, **status}), 200
