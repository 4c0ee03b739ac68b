"""The history of a feature, an indicator row or an evaluation: a page and its JSON.

Thin views over ``services.history``: who reads (language, scope, whether they may see
sensitive fields, by the layers API's rule) is decided here, what they read there. Paged newest
first with ``limit`` (1 to ``MAX_ENTRIES``) and ``offset``; an id outside the reader's scope is a
404, like an unknown one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from geo_app import clock, urls
from geo_app.domain.month import Month
from geo_app.errors import InvalidInput
from geo_app.features import may_see_sensitive
from geo_app.services import history as service
from geo_app.web.access import account, scope_unit_id
from geo_app.web.access import require_login as gate
from geo_app.web.api_schemas import (
    OK,
    Answer,
    HistoryArgs,
    HistoryPage,
    IndicatorHistoryArgs,
    documented,
)
from geo_app.web.context import lang, read_session
from geo_app.web.layers_api import bounded_number as whole

bp = Blueprint("history", __name__)
gate(bp)


def _reader() -> service.Reader:
    return service.Reader(lang(), scope_unit_id(), may_see_sensitive(account().role))


def _page() -> dict[str, int]:
    """``limit`` and ``offset`` of the request (400 when malformed)."""
    limit = whole("limit", request.args.get("limit"), 1, service.MAX_ENTRIES)
    offset = whole("offset", request.args.get("offset"), 0, None)
    return {"limit": limit or service.DEFAULT_ENTRIES, "offset": offset or 0}


def _read(kind: str, row_id: int) -> service.History:
    with read_session() as session:
        return service.history(session, kind, row_id, _reader(), **_page())


def _links(found: service.History) -> list[dict[str, Any]]:
    """next/prev: this request's URL with another ``offset`` (and the same limit)."""
    links = []
    for rel, offset in (("next", found.next_offset), ("prev", found.prev_offset)):
        if offset is not None:
            args = {**request.args.to_dict(), "offset": str(offset), "limit": str(found.limit)}
            links.append({"rel": rel, "href": f"{request.base_url}?{urlencode(args)}"})
    return links


def _json(found: service.History) -> Response:
    page = urls.history_url(found.kind, found.row_id, found.lang)
    return jsonify({**found.as_dict(), "page": page, "links": _links(found)})


@bp.get(urls.FEATURE_HISTORY_API)
@documented(
    "history",
    lazy_gettext("The history of a feature written in the field"),
    {200: Answer(OK, HistoryPage)},
    query=HistoryArgs,
    path={"layer": {"type": "string", "enum": list(service.FEATURE_LAYERS)}},
)
def feature_json(layer: str, feature_id: int) -> Response:
    """The history of one feature of a layer written in the field."""
    return _json(_read(service.feature_layer(layer, lang()), feature_id))


@bp.get(urls.INDICATOR_HISTORY_API)
@documented(
    "history",
    lazy_gettext("The history of a unit's figures of one month"),
    {200: Answer(OK, HistoryPage)},
    query=IndicatorHistoryArgs,
)
def indicator_json() -> Response:
    """The history of a unit's figures of one month (``?unit=CODE&month=YYYY-MM``)."""
    code = request.args.get("unit", "").strip()
    if not code:
        raise InvalidInput(_("give the unit code and month: ?unit=CODE&month=YYYY-MM"))
    month = Month.parse(request.args.get("month", ""), today=clock.today()).first_day
    with read_session() as session:
        row_id = service.indicator_row(session, code, month, lang())
        found = service.history(session, "indicators", row_id, _reader(), **_page())
    return _json(found)


@bp.get(urls.EVALUATION_HISTORY_API)
@documented(
    "history",
    lazy_gettext("The history of a campaign's evaluation"),
    {200: Answer(OK, HistoryPage)},
    query=HistoryArgs,
)
def evaluation_json(campaign_id: int, evaluation_id: int) -> Response:
    """The history of one of a campaign's evaluations (computed, re-evaluated, overridden)."""
    with read_session() as session:
        row_id = service.evaluation_row(session, campaign_id, evaluation_id, lang())
        found = service.history(session, "evaluations", row_id, _reader(), **_page())
    return _json(found)


@bp.get(urls.HISTORY_RULE)
def page(kind: str, row_id: int) -> str:
    """The history as a timeline, newest first, in the page's language."""
    found = _read(kind, row_id)
    tail = {"lang": "en"} if found.lang == "en" else {}
    pages = {
        rel: f"?{urlencode({**tail, 'offset': offset, 'limit': found.limit})}"
        for rel, offset in (("prev", found.prev_offset), ("next", found.next_offset))
        if offset is not None
    }
    return render_template(
        "history.html", history=found, title=found.title, lang=found.lang, pages=pages
    )
