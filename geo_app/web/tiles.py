"""``GET /tiles/<name>/<z>/<x>/<y>.mvt``: vector tiles of a layer or a set of layers.

``?month=YYYY-MM`` draws the layers as they were at the end of that month; ``?v=`` is the data
version the page was built with (``/api/layers`` gives the current one). A tile asked for with
the current version may be kept by the browser for an hour; any other is revalidated with its
ETag, which changes only when an edit touched the tile. Tiles need a login and are drawn inside
the user's scope; layers may read more URL parameters (``TileSpec.request_params``).
``?within=<unit id>`` draws a national user's tiles inside that unit only, as the province page
asks for its province (the rest of that page, its list and summary, holds the province alone);
a scoped user's tiles stay inside their scope whatever it says: it narrows, never widens.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from flask import Blueprint, Flask, Response, current_app, request
from sqlalchemy.engine import Connection
from werkzeug.datastructures import ETags

from geo_app import clock
from geo_app.db import Gated, ResultRow
from geo_app.domain.month import as_of
from geo_app.errors import InvalidInput
from geo_app.parsing import whole_number
from geo_app.services.tiles import warm
from geo_app.services.tiles.cache import Tile, TileCache
from geo_app.services.tiles.render import request_params
from geo_app.web.access import require_login, scope_unit_id
from geo_app.web.context import bare_read_engine, on_bare_connection, on_replica_connection

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
            warm.keep_warm(bare_read_engine().connect, tile_cache(), stop, warmed)

    threading.Thread(target=run, name="geo_app-tile-warm", daemon=True).start()
    return warmed


@bp.get("/tiles/<name>/<z>/<x>/<y>.mvt")
def tile(name: str, z: str, x: str, y: str) -> Response:
    asked = Asked(name, z, x, y, request.args, scope_unit_id())
    found = answer(asked, request.if_none_match, request.accept_encodings["gzip"] > 0)
    return Response(found.body, found.status, found.headers)


@dataclass(frozen=True)
class Asked:
    """A tile request: the path's parts as sent, the query and the user's scope unit."""

    name: str
    z: str
    x: str
    y: str
    args: Mapping[str, str]
    scope_unit_id: int | None


@dataclass(frozen=True)
class Answer:
    """What a tile request gets: the status, the headers of the tile and its body."""

    status: int
    headers: dict[str, str]
    body: bytes


def answer(asked: Asked, if_none_match: ETags, gzip_ok: bool) -> Answer:
    """The tile from the cache or PostGIS, on a bare connection (the replica's if there is
    one: ``web/context.py``), drawn inside the user's scope
    (sensitive layers leave out everything outside it); InvalidInput or NotFound for a bad
    request. The view and the fast door (``web/tile_door.py``) both answer with this."""
    found = on_replica_connection(lambda connection: _get(connection, asked, None))
    assert found is not None  # without a gate there is always a tile
    return _answer(found[0], asked.args.get("v"), if_none_match, gzip_ok)


def answer_gated(
    asked: Asked, if_none_match: ETags, gzip_ok: bool, gated: Gated
) -> tuple[Answer, ResultRow] | None:
    """:func:`answer` behind ``gated`` (``db.Gate``: the session check of the fast door) in
    the same round trip, on the primary's bare connection, with the gate's row; None when the
    gate finds no row (nothing was drawn)."""
    found = on_bare_connection(lambda connection: _get(connection, asked, gated))
    if found is None:
        return None
    return _answer(found[0], asked.args.get("v"), if_none_match, gzip_ok), found[1]


def _get(
    connection: Connection, asked: Asked, gated: Gated | None
) -> tuple[Tile, ResultRow] | None:
    zoom, column, row = (
        _integer(label, value) for label, value in (("z", asked.z), ("x", asked.x), ("y", asked.y))
    )
    on = as_of(asked.args.get("month"), today=clock.today())
    params = request_params(asked.name, asked.args)
    scope = drawn_scope(asked.scope_unit_id, asked.args.get("within"))
    return tile_cache().get_gated(
        connection,
        asked.name,
        zoom,
        column,
        row,
        on,
        gated,
        scope_unit_id=scope,
        params=params,
    )


def drawn_scope(user_scope: int | None, within: str | None) -> int | None:
    """The unit a tile is drawn inside: the user's scope; for a national user (None) the
    ``within`` unit when the page names one. A scoped user keeps their own scope: ``within``
    may only narrow what a user sees, and no page of theirs asks for less than their scope."""
    if within is None:
        return user_scope
    unit = whole_number(within)
    if unit is None:
        raise InvalidInput(f"within {within!r} is not a unit id (a whole number)")
    return unit if user_scope is None else user_scope


def _integer(label: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"tile {label} {value!r} is not a whole number") from None


def _answer(found: Tile, asked_version: str | None, if_none_match: ETags, gzip_ok: bool) -> Answer:
    current = asked_version == str(found.data_version)
    headers = {
        "Cache-Control": FRESH if current else REVALIDATE,
        "Vary": "Accept-Encoding, Cookie",  # the scope comes with the session
        "X-Data-Version": str(found.data_version),
        "ETag": f'W/"{found.etag}"',
    }
    if if_none_match.contains_weak(found.etag):
        return Answer(304, headers, b"")
    body = found.gzipped() if gzip_ok else found.body
    if gzip_ok:
        headers["Content-Encoding"] = "gzip"
    headers["Content-Type"] = MVT_TYPE
    headers["Content-Length"] = str(len(body))
    return Answer(200, headers, body)
