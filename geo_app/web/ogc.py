"""OGC API – Features at ``/ogc`` for QGIS, GDAL, OWSLib and browsers: thin views over the
documents of ``pages/ogc.py``.

Each answers JSON (GeoJSON for items) or a small HTML page, by ``f=json|html`` or the Accept
header (``web/negotiation.py``). HTTP Basic and the session cookie both log in; without a login
a client gets 401 with a Basic challenge, a browser the login form. A parameter the address
does not take is a 400 naming it, as the standard asks.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, Response, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy.orm import Session

from geo_app import clock
from geo_app.errors import InvalidInput
from geo_app.features import may_see_sensitive
from geo_app.layers.base import LayerSpec
from geo_app.pages import ogc
from geo_app.urls import OGC_ROOT
from geo_app.web.access import account, require_login, viewer
from geo_app.web.api_schemas import (
    GEOJSON,
    HTML,
    JSON,
    OK,
    Answer,
    OgcArgs,
    OgcCollection,
    OgcCollections,
    OgcConformance,
    OgcItemsArgs,
    OgcLanding,
    documented,
    ogc_item_schema,
    ogc_items_schema,
)
from geo_app.web.context import lang, replica_session
from geo_app.web.layers_api import (
    LAYER_NAMES,
    bounded_number,
    parse_bbox,
    parse_campaign,
    parse_codes,
)
from geo_app.web.negotiation import asked_format

bp = Blueprint("ogc", __name__)
require_login(bp)

ALWAYS = ("f", "lang")
"""Parameters every address takes."""
ITEMS = ("bbox", "limit", "offset", "datetime")
"""Parameters every items address takes (its property filters besides)."""


@bp.get(OGC_ROOT + "/", strict_slashes=False)
@documented(
    "ogc",
    lazy_gettext("OGC API – Features: the landing page"),
    {200: Answer(OK, OgcLanding, (JSON, HTML))},
    query=OgcArgs,
)
def landing() -> Response | str:
    _only()
    document = ogc.landing(_place(), viewer())
    return _answer(document, "ogc_landing.html", ogc.JSON, title=document["title"])


@bp.get(OGC_ROOT + "/conformance")
@documented(
    "ogc",
    lazy_gettext("OGC API – Features: the conformance classes"),
    {200: Answer(OK, OgcConformance, (JSON, HTML))},
    query=OgcArgs,
)
def conformance() -> Response | str:
    _only()
    document = ogc.conformance(_place(), viewer())
    return _answer(document, "ogc_landing.html", ogc.JSON, title=_("Conformance"))


@bp.get(OGC_ROOT + "/collections")
@documented(
    "ogc",
    lazy_gettext("OGC API – Features: the collections (the map layers)"),
    {200: Answer(OK, OgcCollections, (JSON, HTML))},
    query=OgcArgs,
)
def collections() -> Response | str:
    _only()
    document = _read(lambda session: ogc.collections(session, _place(), viewer()))
    return _answer(document, "ogc_collections.html", ogc.JSON, title=_("Collections"))


@bp.get(OGC_ROOT + "/collections/<name>")
@documented(
    "ogc",
    lazy_gettext("OGC API – Features: one collection"),
    {200: Answer(OK, OgcCollection, (JSON, HTML))},
    query=OgcArgs,
    path=LAYER_NAMES,
)
def collection(name: str) -> Response | str:
    _only()
    document = _read(lambda session: ogc.collection(session, _place(), viewer(), name))
    return _answer(document, "ogc_collection.html", ogc.JSON, title=document["title"])


@bp.get(OGC_ROOT + "/collections/<name>/queryables")
@documented(
    "ogc",
    lazy_gettext("OGC API – Features: what a collection's items may be filtered by (JSON Schema)"),
    {200: Answer(OK, {"type": "object"}, (ogc.SCHEMA, HTML))},
    query=OgcArgs,
    path=LAYER_NAMES,
)
def queryables(name: str) -> Response | str:
    _only()
    document = ogc.queryables(_place(), viewer(), name)
    return _answer(document, "ogc_collection.html", ogc.SCHEMA, title=document["title"])


@bp.get(OGC_ROOT + "/collections/<name>/items")
@documented(
    "ogc",
    lazy_gettext("OGC API – Features: a page of a collection's items"),
    {200: Answer(OK, ogc_items_schema, (GEOJSON, HTML))},
    query=OgcItemsArgs,
    path=LAYER_NAMES,
    expand="name",
)
def items(name: str) -> Response | str:
    asked = _items_asked(ogc.served_layer(name, lang()))
    stamp = datetime.now(UTC)
    document = _read(
        lambda session: ogc.items(
            session, _place(), viewer(), name, asked, sensitive=_sensitive(), stamp=stamp
        )
    )
    page = ogc.columns(name, lang())
    return _answer(document, "ogc_items.html", ogc.GEOJSON, title=page.title, columns=page)


@bp.get(OGC_ROOT + "/collections/<name>/items/<feature_id>")
@documented(
    "ogc",
    lazy_gettext("OGC API – Features: one item"),
    {200: Answer(OK, ogc_item_schema, (GEOJSON, HTML))},
    query=OgcArgs,
    path=LAYER_NAMES,
    expand="name",
)
def item(name: str, feature_id: str) -> Response | str:
    _only()
    document = _read(
        lambda session: ogc.item(
            session, _place(), viewer(), name, feature_id, sensitive=_sensitive()
        )
    )
    page = ogc.columns(name, lang())
    title = f"{page.title} · {feature_id}"
    return _answer(document, "ogc_item.html", ogc.GEOJSON, title=title, columns=page)


@bp.app_template_filter("ogc_html")
def html_href(href: str) -> str:
    """A document's link as its HTML page's: the documents link their JSON."""
    return href.replace("f=json", "f=html")


def _read(make: Callable[[Session], dict[str, Any]]) -> dict[str, Any]:
    with replica_session() as session:
        return make(session)


def _place() -> ogc.Place:
    return ogc.Place(request.url_root.rstrip("/") + OGC_ROOT, lang())


def _sensitive() -> bool:
    """The layers API's rule, so both show the same fields."""
    return may_see_sensitive(account().role)


def _answer(document: dict[str, Any], template: str, media: str, **page: Any) -> Response | str:
    """The document as JSON of type ``media``, or its HTML page."""
    if asked_format() == "html":
        return render_template(template, doc=document, lang=lang(), **page)
    response = jsonify(document)
    response.mimetype = media
    return response


def _only(*names: str) -> None:
    """400 naming the parameters this address does not take."""
    known = (*ALWAYS, *names)
    unknown = sorted(set(request.args) - set(known))
    if unknown:
        raise InvalidInput(
            _(
                "Unknown parameter %(names)s; this address takes: %(known)s",
                names=", ".join(unknown),
                known=", ".join(known),
            )
        )


def _items_asked(spec: LayerSpec) -> ogc.ItemsAsked:
    """The items request's parameters, parsed (400 on a malformed or unknown one)."""
    filters = [f.name for f in ogc.property_filters(spec)]
    _only(*ITEMS, *filters)
    args = request.args
    limit = bounded_number("limit", args.get("limit"), 1, None) or ogc.DEFAULT_LIMIT
    return ogc.ItemsAsked(
        bbox=parse_bbox(args.get("bbox")),
        as_of=_as_of(args.get("datetime")),
        status=parse_codes(args.get("status")) if "status" in filters else (),
        campaign=parse_campaign(args.get("campaign_id")) if "campaign_id" in filters else None,
        limit=min(limit, ogc.MAX_LIMIT),
        offset=bounded_number("offset", args.get("offset"), 0, None) or 0,
        args=tuple((k, v) for k, v in args.items(multi=False) if k not in ("f", "lang")),
    )


def _as_of(text: str | None) -> date | None:
    """``datetime``: an instant, or an interval read at its end (``pages/ogc.py`` says why);
    ``..`` or nothing for an open end, which is today, as is a day after it."""
    if not text:
        return None
    start, slash, end = text.partition("/")
    first = _instant(start, text)
    last = _instant(end, text) if slash else first
    if first is not None and last is not None and first > last:
        raise InvalidInput(_("datetime «%(value)s» ends before it starts.", value=text))
    today = clock.today()
    return today if last is None else min(last, today)


def _instant(part: str, text: str) -> date | None:
    if part in ("", ".."):
        return None
    try:
        if "T" in part:
            return datetime.fromisoformat(part).date()
        return date.fromisoformat(part)
    except ValueError:
        raise InvalidInput(
            _(
                "datetime «%(value)s» is not a date (2025-06-30), a date-time "
                "(2025-06-30T00:00:00Z) or an interval of them (2025-01-01/2025-06-30, "
                "../2025-06-30).",
                value=text,
            )
        ) from None
