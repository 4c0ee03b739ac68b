"""Monthly indicators: a phone-friendly form and a JSON API, both thin over the service.

Reading needs a login; writing needs the role admin, staff or officer (commanders and viewers
read only). The unit must lie in the user's scope, checked by the service on every request.

API (JSON; log in with the session cookie, or send HTTP Basic credentials from scripts):
    GET  /api/indicators?unit=CODE&month=YYYY-MM  → {"code", "month", "version", <columns>}
    POST /api/indicators  [{"code", "month", "version"?, <columns>…}, …]  → {"saved": [...]}
A column left out is unchanged, ``null`` means unknown; ``version`` is the one read (required to
change existing figures). All rows or none: 400 bad input, 401 not logged in, 403 outside scope
or role, 409 stale version. With the cookie a POST also sends the ``X-CSRF-Token`` header (its
value is in the same header of every GET response and in the form page).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, g, jsonify, redirect, render_template, request
from flask import url_for as flask_url_for
from flask_babel import lazy_gettext
from werkzeug.wrappers import Response as BaseResponse

from geo_app import clock
from geo_app.db import session_scope
from geo_app.domain.indicators import COLUMNS, LABELS, month_text
from geo_app.domain.month import Month
from geo_app.errors import InvalidInput
from geo_app.models import Role
from geo_app.services.accounts.login import Account
from geo_app.services.boundaries import areas
from geo_app.services.indicators import (
    IndicatorRecord,
    RowErrors,
    RowsConflict,
    RowsInvalid,
    read_indicator,
    save_indicators,
)
from geo_app.web.api_schemas import (
    OK,
    Answer,
    IndicatorArgs,
    LangArgs,
    SavedRows,
    documented,
    indicator_row,
    indicator_rows,
)
from geo_app.web.auth import (
    check_csrf,
    csrf_token,
    current_user,
    login_required,
    roles_required,
)
from geo_app.web.context import engine, lang, read_session

bp = Blueprint("indicators", __name__)

WRITERS = (Role.admin, Role.staff, Role.officer)
"""Who may enter figures: the office (admin, staff) and the field (officer). Commanders decide
on the figures and viewers only look, so both read without editing."""

GROUPS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Người nghiện, người sử dụng", "Addicts and users", COLUMNS[0:6]),
    ("Tội phạm và vụ việc", "Offences and incidents", COLUMNS[6:9]),
    ("Hộ gia đình", "Households", COLUMNS[9:12]),
    ("Tin báo, tố giác", "Tip-offs", COLUMNS[12:14]),
    ("Tuyên truyền và mô hình", "Outreach and models", COLUMNS[14:17]),
)


@bp.after_request
def _no_store(response: BaseResponse) -> BaseResponse:
    """Figures stay off shared phones' caches and proxies."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _user() -> Account:
    user = current_user()
    if user is None:  # the decorators let no anonymous request through; never trust that alone
        abort(401)
    return user


def _month(text: str) -> date:
    """The first day of a month in a URL (MonthError, 400, when bad or still to come)."""
    return Month.parse(text, today=clock.today()).first_day


def _url(endpoint: str, **values: Any) -> str:
    """A URL that keeps the page language."""
    if lang() == "en":
        values["lang"] = "en"
    return flask_url_for(endpoint, **values)


def _shift(month: date, step: int) -> str:
    return str(Month.of(month).shift(step))


def _fields(
    values: Mapping[str, object], errors: Mapping[str, list[str]], mine: Mapping[str, str]
) -> list[dict[str, Any]]:
    """The form's groups of inputs in the page language, with errors and the user's entries."""
    pick = 0 if lang() == "vi" else 1
    return [
        {
            "title": group[pick],
            "inputs": [
                {
                    "name": c,
                    "label": LABELS[c][pick],
                    "value": "" if values.get(c) is None else str(values.get(c)),
                    "errors": errors.get(c, []),
                    "mine": mine.get(c),
                }
                for c in group[2]
            ],
        }
        for group in GROUPS
    ]


def _render(
    record: IndicatorRecord,
    *,
    values: Mapping[str, object],
    errors: Mapping[str, list[str]] | None = None,
    mine: Mapping[str, str] | None = None,
    conflict: bool = False,
    status: int = 200,
) -> tuple[str, int]:
    errors = errors or {}
    with read_session() as db:
        demo = areas.demo_loaded(db)
    month = month_text(record.month)
    page = render_template(
        "indicator_form.html",
        title=f"{record.unit.name} · {month}",
        lang=lang(),
        demo=demo,
        record=record,
        month=month,
        groups=_fields(values, errors, mine or {}),
        general=[m for c, ms in errors.items() if c not in COLUMNS for m in ms],
        field_errors=sum(len(ms) for c, ms in errors.items() if c in COLUMNS),
        can_write=_user().role in WRITERS,
        saved=request.args.get("saved"),
        conflict=conflict,
        action=_url("indicators.save_form", code=record.unit.code, month=month),
        previous=_url("indicators.form", code=record.unit.code, month=_shift(record.month, -1)),
        following=_url("indicators.form", code=record.unit.code, month=_shift(record.month, 1)),
        has_following=record.month < clock.today().replace(day=1),
    )
    return page, status


def _read(code: str, month: date) -> IndicatorRecord:
    with read_session() as db:
        return read_indicator(db, code, month, scope_unit_id=_user().scope_unit_id)


@bp.get("/indicators/<code>/<month>")
@login_required
def form(code: str, month: str) -> tuple[str, int]:
    record = _read(code, _month(month))
    return _render(record, values=record.values)


def _by_column(error: RowErrors) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for e in error.errors:
        grouped.setdefault(e.column, []).append(e.message(lang()))
    return grouped


@bp.post("/indicators/<code>/<month>")
@roles_required(*WRITERS)
def save_form(code: str, month: str) -> tuple[str, int] | BaseResponse:
    """Save, then redirect (so a reload does not post again); errors come back beside fields."""
    check_csrf()
    user, on = _user(), _month(month)
    record = _read(code, on)  # 404 for an unknown unit, 403 outside the scope
    mine = {c: request.form[c].strip() for c in COLUMNS if c in request.form}
    row = {"code": code, "month": month, "version": request.form.get("version", ""), **mine}
    try:
        with session_scope(engine()) as db, db.begin():
            saved = save_indicators(
                db,
                [(1, row)],
                actor=f"web:{user.login}",
                scope_unit_id=user.scope_unit_id,
                source="form",
            )
    except RowsInvalid as error:
        return _render(record, values=mine, errors=_by_column(error), status=400)
    except RowsConflict:
        current = _read(code, on)
        return _render(current, values=current.values, mine=mine, conflict=True, status=409)
    return redirect(_url("indicators.form", code=code, month=month, saved=saved[0].version))


@bp.get("/api/indicators")
@documented(
    "indicators",
    lazy_gettext("A commune's indicators of a month"),
    {200: Answer(OK, indicator_row)},
    query=IndicatorArgs,
)
@login_required
def api_read() -> Response:
    code = request.args.get("unit", "").strip()
    if not code:
        raise InvalidInput("give the unit code and month: ?unit=CODE&month=YYYY-MM")
    response = jsonify(_read(code, _month(request.args.get("month", ""))).as_row())
    if g.get("geo_app_auth") == "session":
        response.headers["X-CSRF-Token"] = csrf_token()
    return response


@bp.post("/api/indicators")
@documented(
    "indicators",
    lazy_gettext("Save indicator rows (all or none)"),
    {200: Answer(OK, SavedRows)},
    query=LangArgs,
    body=indicator_rows,
    errors=(400, 401, 403, 404, 409, 415, 429),
    headers={
        "X-CSRF-Token": lazy_gettext("The session's token, for a write by cookie (not with Basic).")
    },
)
@roles_required(*WRITERS)
def api_write() -> Response:
    if not request.is_json:
        abort(415, description="send the rows as JSON (Content-Type: application/json)")
    check_csrf()
    body = request.get_json(silent=True)
    if not isinstance(body, list):
        raise InvalidInput("the body must be a JSON list of rows: [{code, month, ...}, ...]")
    user = _user()
    with session_scope(engine()) as db, db.begin():
        saved = save_indicators(
            db,
            list(enumerate(body, start=1)),
            actor=f"web:{user.login}",
            scope_unit_id=user.scope_unit_id,
            source="api",
        )
    return jsonify({"saved": [asdict(s) for s in saved]})
