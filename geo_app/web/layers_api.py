"""``GET /api/layers`` (the registry) and ``GET /api/layers/<name>/features`` (GeoJSON).

Query parameters of features: ``bbox=west,south,east,north`` (degrees), ``zoom`` (0-22: coarser
zooms get simplified geometry and may span more), ``month`` (YYYY-MM or YYYY-MM-DD), ``area``
(a unit code), ``status`` (comma-separated), ``campaign`` (an id, for campaign layers), ``lang``,
``limit`` (1 to ``MAX_FEATURES``, that by default) and ``offset`` (the answer's ``links`` give
the next and previous pages).
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, jsonify, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from geo_app.errors import InvalidInput
from geo_app.features import Collection, may_see_sensitive
from geo_app.layers import REGISTRY
from geo_app.parsing import whole_number
from geo_app.services import layer_api
from geo_app.services.tiles.render import MAX_ZOOM
from geo_app.web.access import account, require_login, scope_unit_id
from geo_app.web.api_schemas import (
    GEOJSON,
    OK,
    Answer,
    FeatureArgs,
    LayerRegistry,
    collection_schema,
    documented,
    feature_schema,
)
from geo_app.web.context import lang, month_as_of, replica_session

bp = Blueprint("layers_api", __name__)
require_login(bp)
LAYER_NAMES = {"name": {"type": "string", "enum": list(REGISTRY)}}


@bp.get("/api/layers")
@documented(
    "layers",
    lazy_gettext("The map layers, their fields and tiles"),
    {200: Answer(OK, LayerRegistry)},
)
def layers() -> Response:
    with replica_session() as session:
        return jsonify(layer_api.registry(session))


@bp.get("/api/layers/<name>/features")
@documented(
    "layers",
    lazy_gettext("A page of a layer's features"),
    {200: Answer(OK, collection_schema, (GEOJSON,))},
    query=FeatureArgs,
    path=LAYER_NAMES,
    expand="name",
)
def features(name: str) -> Response:
    asked = _asked()
    with replica_session() as session:
        found = layer_api.features_of(session, name, asked)
    response = jsonify({**found.geojson, "links": _links(found, asked)})
    response.mimetype = "application/geo+json"
    return response


@bp.get("/api/layers/<name>/features/<feature_id>")
@documented(
    "layers",
    lazy_gettext("One feature of a layer"),
    {200: Answer(OK, feature_schema, (GEOJSON,))},
    query=FeatureArgs,
    path=LAYER_NAMES,
    expand="name",
)
def feature(name: str, feature_id: str) -> Response:
    """One feature by the layer's id field (``id_field`` in ``/api/layers``)."""
    with replica_session() as session:
        found = layer_api.feature(session, name, feature_id, _asked())
    response = jsonify(found)
    response.mimetype = "application/geo+json"
    return response


def _asked() -> layer_api.FeatureRequest:
    """The request's query parameters, parsed (400 on a malformed one)."""
    return layer_api.FeatureRequest(
        bbox=parse_bbox(request.args.get("bbox")),
        zoom=_zoom(request.args.get("zoom")),
        as_of=month_as_of() if request.args.get("month") else None,
        area=request.args.get("area") or None,
        status=parse_codes(request.args.get("status")),
        lang=lang(),
        scope_unit_id=scope_unit_id(),
        sensitive=may_see_sensitive(account().role),
        campaign=parse_campaign(request.args.get("campaign")),
        limit=bounded_number("limit", request.args.get("limit"), 1, layer_api.MAX_FEATURES),
        offset=bounded_number("offset", request.args.get("offset"), 0, None) or 0,
    )


def _links(found: Collection, asked: layer_api.FeatureRequest) -> list[dict[str, Any]]:
    """next/prev links: this request's URL with another ``offset`` (and the same limit)."""
    limit = asked.limit or layer_api.MAX_FEATURES
    links = []
    for rel, offset in (("next", found.next_offset), ("prev", found.prev_offset)):
        if offset is not None:
            args = {**request.args.to_dict(), "offset": str(offset), "limit": str(limit)}
            href = f"{request.base_url}?{urlencode(args)}"
            links.append({"rel": rel, "type": "application/geo+json", "href": href})
    return links


def bounded_number(name: str, text: str | None, low: int, high: int | None) -> int | None:
    """A whole-number parameter from ``low`` to ``high`` (no upper bound when None); the OGC
    API (``web/ogc.py``) parses its parameters with these too."""
    if not text:
        return None
    number = whole_number(text) if high is None else whole_number(text, most=high)
    if number is not None and number >= low:
        return number
    if high is None:
        message = _("%(name)s «%(value)s» is not a whole number from %(low)d or more")
    else:
        message = _("%(name)s «%(value)s» is not a whole number from %(low)d to %(high)d")
    raise InvalidInput(message % {"name": name, "value": text, "low": low, "high": high})


def parse_bbox(text: str | None) -> layer_api.BBox | None:
    if not text:
        return None
    try:
        west, south, east, north = (float(part) for part in text.split(","))
    except ValueError:
        raise InvalidInput(f"bbox {text!r} is not four numbers west,south,east,north") from None
    values = (west, south, east, north)
    if not all(math.isfinite(v) for v in values):
        raise InvalidInput(f"bbox {text!r} has a number that is not finite")
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise InvalidInput(
            f"bbox {text!r} must be west < east within ±180 and south < north within ±90"
        )
    return values


def parse_codes(text: str | None) -> tuple[str, ...]:
    """Comma-separated codes (``status=active,cleared``), blanks dropped."""
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def parse_campaign(text: str | None) -> int | None:
    if not text:
        return None
    number = whole_number(text)
    if number is None:
        raise InvalidInput(f"campaign {text!r} is not a whole number (a campaign id)")
    return number


def _zoom(text: str | None) -> int | None:
    if not text:
        return None
    zoom = whole_number(text, most=MAX_ZOOM)
    if zoom is None:
        raise InvalidInput(f"zoom {text!r} is not a whole number from 0 to {MAX_ZOOM}")
    return zoom
