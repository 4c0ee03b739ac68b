"""``GET /api/summary?area=<code>&month=YYYY-MM&lang=``: the summary panel's figures as JSON.

``area`` is a province or commune code (none = the whole country, i.e. all of the user's scope);
``month`` is ``YYYY-MM`` (as of its last day) or ``YYYY-MM-DD`` (none = today). The answer
holds the figures (``services.summary.Summary.as_dict``) and ``html``, the rendered
``_summary.html`` partial, which a page swaps in when its month slider moves. Login required;
always inside the user's scope (403 for an area outside it, 404 for an unknown code).
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, request
from flask_babel import lazy_gettext

from geo_app.services.summary import summary
from geo_app.web.access import require_login, scope_unit_id
from geo_app.web.api_schemas import OK, Answer, AreaMonthArgs, Summary, documented
from geo_app.web.context import lang, month_as_of, read_session

bp = Blueprint("summary_api", __name__)
require_login(bp)


@bp.get("/api/summary")
@documented(
    "summary",
    lazy_gettext("The summary figures of an area in a month"),
    {200: Answer(OK, Summary)},
    query=AreaMonthArgs,
)
def summary_json() -> Response:
    on = month_as_of()
    area = (request.args.get("area") or "").strip() or None
    language = lang()
    with read_session() as session:
        figures = summary(session, area_code=area, on=on, scope_unit_id=scope_unit_id())
    body = figures.as_dict()
    body["lang"] = language
    body["html"] = render_template("_summary.html", summary=figures, lang=language)
    response = jsonify(body)
    response.headers["Cache-Control"] = "private, no-store"  # scoped figures: never shared
    return response
