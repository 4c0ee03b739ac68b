"""The field write API: officers' phones create and update hotspots, boards, boxes and fields.

JSON over the session cookie (with the ``X-CSRF-Token`` header) or HTTP Basic. Writers are
officers (inside their scope), staff and admins; commanders and viewers get 403; only staff
and admins delete. Every write carries ``client_id`` (a UUID the phone made, one per action):
sending it again creates nothing and answers the stored row (200), also after a lost response.

    POST   /api/<layer>                         GeoJSON Feature → 201 Feature (200 on replay)
    GET    /api/<layer>/<id>                    → Feature, ETag "<version>"
    PATCH  /api/<layer>/<id>   If-Match         {client_id, properties, geometry?, reason?}
    DELETE /api/<layer>/<id>   If-Match         {client_id, reason} (soft)
    POST   /api/tipoff_boxes/<id>/inspections   {client_id, inspected_on, letters_…}
    POST   /api/hotline_boards/<id>/checks      {client_id, checked_on, condition}
    GET    /api/field/nearby?lon=&lat=&radius=  nearest first, inside the scope
    GET    /api/field/today                     this user's writes of today

The service (``geo_app.services.field``) does the work;
a view parses, authorises and runs one transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response, abort, g, jsonify, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from geo_app.db import session_scope
from geo_app.errors import N_, InvalidInput
from geo_app.models import Role
from geo_app.services.field import actions as field_actions
from geo_app.services.field import edit
from geo_app.services.field.inputs import Outcome, Writer
from geo_app.services.field.rows import MODELS, is_twin, rule_broken, stored_feature
from geo_app.web.api_schemas import (
    OK,
    Answer,
    BoardCheck,
    Inspection,
    Items,
    LangArgs,
    NearbyArgs,
    changed_schema,
    created_schema,
    documented,
    stored_schema,
)
from geo_app.web.auth import (
    check_csrf,
    csrf_token,
    current_user,
    login_required,
    roles_required,
)
from geo_app.web.context import engine, lang, read_session, settings
from geo_app.web.indicators import WRITERS

bp = Blueprint("field_api", __name__)

DELETERS = (Role.admin, Role.staff)
"""Only the office deletes (softly, with a reason); officers change a status instead."""
LAYER = f"<any({', '.join(MODELS)}):name>"
VERSION = re.compile(r'^(?:W/)?"?(\d{1,9})"?$')
STORED = Answer(lazy_gettext("The feature as stored (ETag: its version)"), stored_schema)
WRITES = (400, 401, 403, 404, 409, 415, 429)
"""What a write may answer besides its own (409: a stale version or a broken rule)."""
CSRF = {
    "X-CSRF-Token": lazy_gettext("The session's token, for a write by cookie (not with Basic).")
}
IF_MATCH = {"If-Match": lazy_gettext('The version read, e.g. "3" (428 without it).'), **CSRF}


@bp.after_request
def _offer_token(response: Response) -> Response:
    """A phone logged in by cookie reads the CSRF token of its writes from any answer."""
    if g.get("geo_app_auth") == "session" and current_user() is not None:
        response.headers["X-CSRF-Token"] = csrf_token()
    return response


def _writer() -> Writer:
    user = current_user()
    if user is None:  # the decorators let no anonymous request through
        abort(401)
    return Writer(user.login, user.role.value, user.scope_unit_id, lang())


def _body() -> Any:
    """The JSON body of a write, after the CSRF check (cookie logins)."""
    if not request.is_json:
        abort(415, description=N_("send JSON (Content-Type: application/json)"))
    check_csrf()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise InvalidInput(_("The body must be a JSON object."))
    return body


def _if_match() -> int | None:
    """The version in ``If-Match`` (None when absent; 400 when it is not a version)."""
    text = request.headers.get("If-Match")
    if text is None:
        return None
    found = VERSION.match(text.strip())
    if found is None:
        raise InvalidInput(_('If-Match must be a version, e.g. "3".'))
    return int(found[1])


def _run(action: Callable[[Session], Outcome]) -> Outcome:
    """One transaction. A racing twin of the same action (its UUID's unique key) or a row
    changed under us is tried once more: then the receipt or the version check answers."""
    try:
        with session_scope(engine()) as db, db.begin():
            return action(db)
    except IntegrityError as error:
        if not is_twin(error):
            raise rule_broken(error, lang()) from None
    except StaleDataError:
        pass
    with session_scope(engine()) as db, db.begin():
        return action(db)


def _answer(outcome: Outcome) -> tuple[Response, int]:
    response = jsonify(outcome.body)
    version = outcome.body.get("properties", {}).get("version")
    if version is not None:
        response.headers["ETag"] = f'"{version}"'
    return response, 201 if outcome.created else 200


@bp.post(f"/api/{LAYER}")
@documented(
    "field",
    lazy_gettext("Create a feature (a replay answers the stored one)"),
    {200: STORED, 201: STORED},
    body=created_schema,
    errors=WRITES,
    headers=CSRF,
    expand="name",
)
@roles_required(*WRITERS)
def create(name: str) -> tuple[Response, int]:
    body, writer, radius = _body(), _writer(), settings().relapse_radius_m
    return _answer(_run(lambda db: edit.create(db, writer, name, body, relapse_radius_m=radius)))


@bp.get(f"/api/{LAYER}/<int:row_id>")
@documented(
    "field", lazy_gettext("A feature as stored"), {200: STORED}, query=LangArgs, expand="name"
)
@login_required
def read(name: str, row_id: int) -> tuple[Response, int]:
    with read_session() as db:
        found = stored_feature(db, name, row_id, _writer())
    return _answer(Outcome(found, created=False))


@bp.patch(f"/api/{LAYER}/<int:row_id>")
@documented(
    "field",
    lazy_gettext("Change a feature at the version read"),
    {200: STORED},
    body=changed_schema,
    errors=(*WRITES, 428),
    headers=IF_MATCH,
    expand="name",
)
@roles_required(*WRITERS)
def update(name: str, row_id: int) -> tuple[Response, int]:
    body, writer, version = _body(), _writer(), _if_match()
    return _answer(_run(lambda db: edit.update(db, writer, name, row_id, body, version)))


@bp.delete(f"/api/{LAYER}/<int:row_id>")
@documented(
    "field",
    lazy_gettext("Delete a feature (softly, with a reason)"),
    {200: Answer(lazy_gettext("What was deleted"), {"type": "object"})},
    body=changed_schema,
    errors=(*WRITES, 428),
    headers=IF_MATCH,
    expand="name",
)
@roles_required(*DELETERS)
def delete(name: str, row_id: int) -> tuple[Response, int]:
    body, writer, version = _body(), _writer(), _if_match()
    return _answer(_run(lambda db: edit.delete(db, writer, name, row_id, body, version)))


@bp.post("/api/tipoff_boxes/<int:box_id>/inspections")
@documented(
    "field",
    lazy_gettext("Record an opening of a tip-off box"),
    {200: Answer(OK, {"type": "object"}), 201: Answer(lazy_gettext("Created"), {"type": "object"})},
    body=Inspection,
    errors=WRITES,
    headers=CSRF,
)
@roles_required(*WRITERS)
def inspect_box(box_id: int) -> tuple[Response, int]:
    body, writer = _body(), _writer()
    return _answer(_run(lambda db: field_actions.inspect_box(db, writer, box_id, body)))


@bp.post("/api/hotline_boards/<int:board_id>/checks")
@documented(
    "field",
    lazy_gettext("Record a check of a hotline board"),
    {200: Answer(OK, {"type": "object"}), 201: Answer(lazy_gettext("Created"), {"type": "object"})},
    body=BoardCheck,
    errors=WRITES,
    headers=CSRF,
)
@roles_required(*WRITERS)
def check_board(board_id: int) -> tuple[Response, int]:
    body, writer = _body(), _writer()
    return _answer(_run(lambda db: field_actions.check_board(db, writer, board_id, body)))


def _number(name: str, low: float, high: float, default: float | None = None) -> float:
    """A finite number parameter within [low, high] (400 in the request's language)."""
    text = request.args.get(name)
    if not text and default is not None:
        return default
    try:
        value = float(text or "")
    except ValueError:
        value = float("nan")
    if not low <= value <= high:  # NaN fails too
        raise InvalidInput(
            _("%(name)s must be a number from %(low)s to %(high)s.", name=name, low=low, high=high)
        )
    return value


@bp.get("/api/field/nearby")
@documented(
    "field",
    lazy_gettext("Features near a point, nearest first"),
    {200: Answer(OK, Items)},
    query=NearbyArgs,
)
@roles_required(*WRITERS)
def nearby() -> Response:
    lon, lat = _number("lon", -180, 180), _number("lat", -90, 90)
    radius = _number(
        "radius", 1, field_actions.NEARBY_MAX_M, default=field_actions.NEARBY_DEFAULT_M
    )
    with read_session() as db:
        items = field_actions.nearby(db, _writer(), lon, lat, radius)
    return jsonify({"items": items})


@bp.get("/api/field/today")
@documented(
    "field", lazy_gettext("My field writes of today"), {200: Answer(OK, Items)}, query=LangArgs
)
@roles_required(*WRITERS)
def today() -> Response:
    with read_session() as db:
        return jsonify({"items": field_actions.today(db, _writer())})
