"""``GET /tiles/<name>/<z>/<x>/<y>.mvt``: vector tiles of a layer or a set of layers.

``?month=YYYY-MM`` draws the layers as they were at the end of that month; ``?v=`` is the data
version the page was built with (``/api/layers`` gives the current one). A tile asked for with
the current version may be kept by the browser for an hour; any other is revalidated with its
ETag, which changes only when an edit touched the tile. Tiles need a login and are drawn inside
the user's scope; layers may read more URL parameters (``TileSpec.request_params``).
"""

from __future__ import annotations

import threading
from datetime import date

from flask import Blueprint, Flask, Response, current_app, request

from geo_app.errors import InvalidInput
from geo_app.services.tiles import warm
from geo_app.services.tiles.cache import Tile, TileCache
from geo_app.services.tiles.render import request_params
from geo_app.web.access import require_login, scope_unit_id
from geo_app.web.context import bare_engine, month_as_of, on_bare_connection

bp = Blueprint("tiles", __name__)
require_login(bp)

MVT_TYPE = "application/vnd.mapbox-vector-tile"
FRESH = "private, max-age=3600"
REVALIDATE = "private, no-cache"


def tile_cache() -> TileCache:
    """The app's one tile cache (made on first use)."""
    cache = current_app.extensions.get("geo_app.tile_cache")
    if cache is None:
        cache = current_app.extensions.setdefault("geo_app.tile_cache", TileCache())
    assert isinstance(cache, TileCache)
    return cache


def start_warming(app: Flask) -> threading.Event:
    """Keep the pages' low-zoom tiles warm in a daemon thread (``services.tiles.warm``) for
    the server's life; the event returned is set once the first round is done."""
    warmed, stop = threading.Event(), threading.Event()

    def run() -> None:
        with app.app_context():
            warm.keep_warm(bare_engine().connect, tile_cache(), stop, warmed)

    threading.Thread(target=run, name="geo_app-tile-warm", daemon=True).start()
    return warmed


@bp.get("/tiles/<name>/<z>/<x>/<y>.mvt")
def tile(name: str, z: str, x: str, y: str) -> Response:
    zoom, column, row = (_integer(label, value) for label, value in (("z", z), ("x", x), ("y", y)))
    on = month_as_of()
    params = request_params(name, request.args)
    return _response(_tile(name, zoom, column, row, on, params), request.args.get("v"))


def _tile(name: str, z: int, x: int, y: int, on: date, params: dict[str, int]) -> Tile:
    """From the cache or PostGIS, on a bare connection (``web.context.on_bare_connection``).

    Drawn inside the user's scope: sensitive layers leave out everything outside it.
    """
    scope = scope_unit_id()
    return on_bare_connection(
        lambda connection: tile_cache().get(
            connection, name, z, x, y, on, scope_unit_id=scope, params=params
        )
    )


def _integer(label: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"tile {label} {value!r} is not a whole number") from None


def _response(found: Tile, asked_version: str | None) -> Response:
    current = asked_version == str(found.data_version)
    headers = {
        "Cache-Control": FRESH if current else REVALIDATE,
        "Vary": "Accept-Encoding",
        "X-Data-Version": str(found.data_version),
    }
    if request.if_none_match.contains_weak(found.etag):
        response = Response(status=304, headers=headers)
    elif request.accept_encodings["gzip"]:
        response = Response(found.gzipped(), mimetype=MVT_TYPE, headers=headers)
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = Response(found.body, mimetype=MVT_TYPE, headers=headers)
    response.set_etag(found.etag, weak=True)
    return response
