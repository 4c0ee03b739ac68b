"""``GET /api/layers`` (the registry) and ``GET /api/layers/<name>/features`` (GeoJSON).

Query parameters of features: ``bbox=west,south,east,north`` (degrees), ``zoom`` (0-22: coarser
zooms get simplified geometry and may span more), ``month`` (YYYY-MM or YYYY-MM-DD), ``area``
(a unit code), ``status`` (comma-separated), ``campaign`` (an id, for campaign layers), ``lang``.
"""

from __future__ import annotations

import math

from flask import Blueprint, Response, jsonify, request

from geo_app.errors import InvalidInput
from geo_app.services import layer_api
from geo_app.services.tiles import MAX_ZOOM
from geo_app.web.access import require_login, scope_unit_id
from geo_app.web.context import lang, month_as_of, read_session

bp = Blueprint("layers_api", __name__)
require_login(bp)


@bp.get("/api/layers")
def layers() -> Response:
    with read_session() as session:
        return jsonify(layer_api.registry(session))


@bp.get("/api/layers/<name>/features")
def features(name: str) -> Response:
    asked = layer_api.FeatureRequest(
        bbox=_bbox(request.args.get("bbox")),
        zoom=_zoom(request.args.get("zoom")),
        as_of=month_as_of() if request.args.get("month") else None,
        area=request.args.get("area") or None,
        status=tuple(s.strip() for s in request.args.get("status", "").split(",") if s.strip()),
        lang=lang(),
        scope_unit_id=scope_unit_id(),
        campaign=_campaign(request.args.get("campaign")),
    )
    with read_session() as session:
        collection = layer_api.features(session, name, asked)
    response = jsonify(collection)
    response.mimetype = "application/geo+json"
    return response


def _bbox(text: str | None) -> layer_api.BBox | None:
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


def _campaign(text: str | None) -> int | None:
    if not text:
        return None
    if not text.isdigit() or len(text) > 18:
        raise InvalidInput(f"campaign {text!r} is not a whole number (a campaign id)")
    return int(text)


def _zoom(text: str | None) -> int | None:
    if not text:
        return None
    if not text.isdigit() or int(text) > MAX_ZOOM:
        raise InvalidInput(f"zoom {text!r} is not a whole number from 0 to {MAX_ZOOM}")
    return int(text)
