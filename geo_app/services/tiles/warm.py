"""Keep the low-zoom tiles of the national and province pages in the tile cache.

Why: a first visit of the national page asks ~20 tiles at once, and a cold one (counts of every
hotspot of the country per cell) takes PostGIS up to half a second; warmed, each is a cache hit.
The tiles are those of the sets the pages ask (``country``, ``province``), national scope, as of
today, at the zooms the pages open at, only where there is land (a commune's box). After start-up
they are made once; then, whenever a layer's data version moves (an edit), they are asked again:
the cache re-renders only those the edit touched (``cache.TileCache``).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from geo_app import clock
from geo_app.services.tiles.cache import TileCache


@dataclass(frozen=True)
class Warm:
    """Tile set ``name`` from ``min_zoom`` to ``max_zoom``."""

    name: str
    min_zoom: int
    max_zoom: int


WARM = (Warm("country", 5, 7), Warm("province", 9, 10))
"""The national page opens at z6 (z5-7 on screens from a phone to a projector); a province's at
z9-10."""
POLL_SECONDS = 10.0

_LAND = sa.text(
    """
    SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM admin_unit
    WHERE CAST(level AS text) = 'commune' AND valid_to IS NULL
    """
)
"""The communes' boxes: tiles with land in them (a province's box holds much sea)."""
_VERSION = sa.text("SELECT coalesce(sum(version), 0) FROM layer_version")

Box = tuple[float, float, float, float]
Connect = Callable[[], AbstractContextManager[Connection]]


def tile_range(box: Box, z: int) -> Iterator[tuple[int, int]]:
    """The x, y of the zoom-``z`` tiles covering a lon/lat box."""
    west, south, east, north = box
    x0, y0 = _tile(west, north, z)
    x1, y1 = _tile(east, south, z)
    for x in range(x0, x1 + 1):
        for y in range(y0, y1 + 1):
            yield x, y


def _tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    lat = max(-85.0, min(85.0, lat))
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return min(n - 1, int((lon + 180) / 360 * n)), min(n - 1, int(y))


def planned(connection: Connection) -> list[tuple[str, int, int, int]]:
    """Every tile to keep warm: (set, z, x, y), low zooms first."""
    boxes = [(float(a), float(b), float(c), float(d)) for a, b, c, d in connection.execute(_LAND)]
    tiles: dict[tuple[str, int, int, int], None] = {}
    for warm in WARM:
        for z in range(warm.min_zoom, warm.max_zoom + 1):
            for box in boxes:
                for x, y in tile_range(box, z):
                    tiles[(warm.name, z, x, y)] = None
    return list(tiles)


def warm(connection: Connection, cache: TileCache, stop: threading.Event | None = None) -> int:
    """Ask every planned tile of the cache (a hit costs one query); returns how many."""
    on = clock.today()
    done = 0
    for name, z, x, y in planned(connection):
        if stop is not None and stop.is_set():
            break
        cache.get(connection, name, z, x, y, on)
        done += 1
    return done


def keep_warm(
    connect: Connect, cache: TileCache, stop: threading.Event, warmed: threading.Event
) -> None:
    """Warm the tiles now (then set ``warmed``), then again after every edit, until ``stop``.

    Runs in a background thread of the server; a database error waits for the next round.
    """
    seen: int | None = None
    while not stop.is_set():
        try:
            with connect() as connection:
                version = int(connection.execute(_VERSION).scalar_one())
                if version != seen:
                    warm(connection, cache, stop)
                    seen = version
        except sa.exc.SQLAlchemyError:
            seen = None
        warmed.set()
        stop.wait(POLL_SECONDS)
