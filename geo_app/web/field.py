"""The field page ``/field/``, its service worker ``/field/sw.js`` and its CSRF token.

The page works without a network: the worker (``static/field/sw.js``, served from here so its
scope is ``/field/``) keeps the page, its scripts, styles and vendored libraries in a cache
named after their contents (a new release replaces it) and the area's tiles once downloaded.
Every action waits in an IndexedDB queue (``static/field/queue.js``) and is sent to the write
API with the token from ``/field/token``, read fresh before each round: a page opened from the
cache carries an old one, and logging in again changes it.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from werkzeug.wrappers import Response as BaseResponse

from geo_app import urls
from geo_app.maps import page_maps
from geo_app.maps.tile_styles import tile_config
from geo_app.pages import field as pages
from geo_app.web import access
from geo_app.web.api_schemas import OK, Answer, FieldToken, documented
from geo_app.web.auth import csrf_token, current_user, unauthorized
from geo_app.web.context import read_session

bp = Blueprint("field", __name__)

PRECACHED = (
    "app.css",
    "favicon.svg",
    "js/page.js",
    "js/vector_tiles.js",
    "field/field.css",
    "field/field.js",
    "field/queue.js",
    "field/offline.js",
    "vendor/idb/idb.umd.js",
    "vendor/leaflet/leaflet.js",
    "vendor/leaflet/leaflet.css",
    "vendor/leaflet/images/marker-icon.png",
    "vendor/leaflet/images/marker-icon-2x.png",
    "vendor/leaflet/images/marker-shadow.png",
    "vendor/leaflet/images/layers.png",
    "vendor/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js",
)
"""Static files the page needs (under ``static/``), kept by the worker for offline use."""
WORKER_SOURCE = "field/sw.js"


@bp.before_request
def _gate() -> BaseResponse | None:
    """The worker script is public (it names only static files); the rest needs a login."""
    if request.endpoint == "field.worker" or current_user() is not None:
        return None
    if request.endpoint == "field.token":
        return Response(json.dumps({"error": _("Log in again")}), 401, mimetype="application/json")
    return unauthorized()


@bp.get(urls.FIELD_PATH)
def field_page() -> str:
    """The page, for the roles that write; a commander or viewer reads why not."""
    if access.account().role not in pages.FIELD_ROLES:
        abort(403, description=_("The field page is for field officers, staff and admins."))
    viewer = access.viewer()
    with read_session() as session:
        page = pages.field_page(session, viewer)
    config = {
        **pages.script_config(page),
        "login": access.account().login,
        "grids": _grids(page),
        "labels": _labels(),
    }
    return render_template(
        "field.html",
        page=page,
        title=_("Field work"),
        lang=page.lang,
        config=config,
        crumbs=[],
    )


@bp.get(urls.FIELD_TOKEN)
@documented(
    "field", lazy_gettext("The session's CSRF token (cookie login)"), {200: Answer(OK, FieldToken)}
)
def token() -> Response:
    """The session's CSRF token and login, read by the queue before it sends."""
    user = access.account()
    return jsonify({"csrf": csrf_token(), "login": user.login, "role": user.role})


@bp.get(urls.FIELD_WORKER)
def worker() -> Response:
    """The service worker: its cache name and file list first, then its code."""
    head = json.dumps(_worker_config(), ensure_ascii=False)
    body = f"self.FIELD = {head};\n{_static_text(WORKER_SOURCE)}"
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


def _grids(page: pages.FieldPage) -> list[dict[str, Any]]:
    """Two grids over one tile set, areas as SVG and points on a canvas (``vector_tiles.js``)."""
    return [
        {"url": layer.url, "config": {**tile_config(layer.name, page.lang), "skip": skip}}
        for layer, skip in page_maps.shared_tiles(page.grids)
    ]


def _worker_config() -> dict[str, Any]:
    assets = [url_for("static", filename=path) for path in PRECACHED]
    return {
        "version": _version(),
        "assets": assets,
        "page": urls.FIELD_PATH,
        "tiles": "/tiles/",
        "tileCache": pages.TILE_CACHE,
    }


@cache
def _static_bytes(path: str) -> bytes:
    static = current_app.static_folder
    assert static is not None
    return (Path(static) / path).read_bytes()


def _static_text(path: str) -> str:
    return _static_bytes(path).decode("utf-8")


def _version() -> str:
    """A digest of every kept file and the worker itself: a release changes the cache's name."""
    digest = hashlib.sha256()
    for path in (*PRECACHED, WORKER_SOURCE):
        digest.update(_static_bytes(path))
    return digest.hexdigest()[:12]


def _labels() -> dict[str, str]:
    """What the scripts write, in the page's language."""
    return {
        "pending": _("Waiting to send"),
        "sent": _("Sent"),
        "rejected": _("Rejected"),
        "sending": _("Sending…"),
        "fix": _("Fix"),
        "discard": _("Discard"),
        "yours": _("Your change"),
        "server": _("On the server now"),
        "online": _("Online"),
        "offline": _("Offline: actions wait in the queue"),
        "paused": _("Your session has ended: log in again to send the queue."),
        "otherLogin": _("Made by %(login)s: sent when %(login)s logs in on this phone."),
        "queued": _("Saved in the queue"),
        "noPosition": _("No position yet: press «My location» or tap the map."),
        "locating": _("Finding your position…"),
        "locationFailed": _("The position could not be found:"),
        "accuracy": _("accuracy"),
        "byGps": _("By GPS"),
        "byTap": _("Tapped on the map"),
        "tapNow": _("Tap the map where the hotspot is."),
        "newHotspot": _("New hotspot"),
        "statusChange": _("Status change"),
        "boxOpening": _("Box opening"),
        "boardCheck": _("Board check"),
        "nearbyEmpty": _("Nothing nearby."),
        "nearbyStale": _("Saved list (offline)"),
        "todayEmpty": _("Nothing sent today yet."),
        "estimate": _("%(tiles)s tiles, about %(size)s MB."),
        "tooMany": _("The area is too large to download (over %(tiles)s tiles or %(size)s MB)."),
        "noArea": _("A national login has no area to download."),
        "downloaded": _("Map saved: %(done)s tiles."),
        "downloadFailed": _("Some tiles could not be saved: %(failed)s."),
        "relapse": _("Relapse candidate"),
        "version": _("version"),
        "status": _("Status"),
        "reasonNeeded": _("Give a reason."),
        "lettersInvalid": _("Letters forwarded cannot exceed letters received."),
        "unknownError": _("The server could not be reached; it will be tried again."),
        "retryAt": _("next try"),
    }
