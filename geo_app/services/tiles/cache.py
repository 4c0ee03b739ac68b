"""An in-process LRU cache of tiles that an edit invalidates only where it touched.

Why not drop everything on a version change: a field officer marking one hotspot would throw
away every tile of the country. Each entry remembers the layer versions it was made from; when
a layer's version has moved on, one query asks whether any newer ``layer_edit`` box reaches the
tile (with the tile's buffer). If none does, the entry is still right and simply adopts the new
versions; if one does, the tile is rebuilt. The same query reads the current versions, so a hit
costs one round trip and a miss two.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from geo_app.db import Gate, Gated, Prepared, ResultRow
from geo_app.services.tiles import render as tiles

DEFAULT_BUDGET = 64 * 1024 * 1024  # bytes of tiles (both encodings) kept in memory
GZIP_LEVEL = 1  # MVT shrinks to ~60 % at level 1 and barely further at 6, at 3x the time

TileKey = tuple[str, int, int, int, date, int | None, tuple[tuple[str, int], ...]]
"""Name, z, x, y, as-of date, the user's scope unit (None = national), request parameters."""


@dataclass
class Tile:
    """A served tile: MVT bytes, its gzip form made on first demand, and a content ETag."""

    body: bytes
    etag: str
    versions: dict[str, int]
    data_version: int
    _gzipped: bytes | None = field(default=None, repr=False)

    def gzipped(self) -> bytes:
        if self._gzipped is None:
            self._gzipped = gzip.compress(self.body, GZIP_LEVEL, mtime=0)
        return self._gzipped

    @property
    def size(self) -> int:
        """Bytes held, counting room for the gzip form (never larger than the body here)."""
        return 2 * len(self.body) + 200


def etag_of(body: bytes) -> str:
    """Same bytes, same tag: a tile that an edit did not change keeps its ETag."""
    return hashlib.blake2b(body, digest_size=12).hexdigest()


# Newer edits are found by (layer, version) first, so an unchanged layer costs one index probe;
# only those are tested against the tile (a GiST scan at low zoom would meet thousands of boxes).
_TOUCHED = (
    sa.text(
        """
    SELECT EXISTS (
        WITH newer AS MATERIALIZED (
            SELECT e.bbox
            FROM unnest(CAST(:seen_layers AS text[]), CAST(:seen AS bigint[])) AS s(layer, v)
            CROSS JOIN LATERAL (
                SELECT bbox FROM layer_edit WHERE layer = s.layer AND version > s.v
                OFFSET 0  -- kept a parameterised index scan, never flattened into a hash join
            ) e
        )
        SELECT 1 FROM newer WHERE bbox && ST_TileEnvelope(:z, :x, :y, margin => :margin)
    )
    """
    )
    .columns(sa.column("touched", sa.Boolean))
    .scalar_subquery()
)
_CHECKS: dict[str | None, Prepared] = {}


def _check(gate: Gate | None) -> Prepared:
    """The validity check (the layers' current versions and whether a newer edit touched the
    tile), behind ``gate`` when given; prepared once per gate."""
    key = gate.name if gate else None
    found = _CHECKS.get(key)
    if found is None:
        columns = (tiles.versions_column().label("versions"), _TOUCHED.label("touched"))
        statement = gate.around(*columns) if gate else sa.select(*columns)
        name = f"geo_app_tile_check_{key}" if gate else "geo_app_tile_check"
        found = _CHECKS.setdefault(key, Prepared.of(statement, name))
    return found


class TileCache:
    """Thread-safe LRU of tiles within a byte budget; see the module docstring for validity."""

    def __init__(self, budget: int = DEFAULT_BUDGET) -> None:
        self.budget = budget
        self._entries: OrderedDict[TileKey, Tile] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(
        self,
        session: Connection | Session,
        name: str,
        z: int,
        x: int,
        y: int,
        on: date,
        *,
        scope_unit_id: int | None = None,
        params: Mapping[str, int] | None = None,
    ) -> Tile:
        """The tile, from memory when no newer edit reaches it, else rendered by PostGIS.

        Users of different scopes see different tiles, so the scope is part of the key.
        """
        found = self.get_gated(
            session, name, z, x, y, on, None, scope_unit_id=scope_unit_id, params=params
        )
        assert found is not None  # without a gate there is always an answer
        return found[0]

    def get_gated(
        self,
        session: Connection | Session,
        name: str,
        z: int,
        x: int,
        y: int,
        on: date,
        gated: Gated | None,
        *,
        scope_unit_id: int | None = None,
        params: Mapping[str, int] | None = None,
    ) -> tuple[Tile, ResultRow] | None:
        """:meth:`get` behind ``gated`` (``db.Gate``), whose row is read in the same round trip
        as the validity check or the rendering: the tile and that row, or None when the gate
        finds no row (then nothing was drawn or stored)."""
        tiles.check_tile(z, x, y)
        specs = tiles.tiled_layers(name)
        key: TileKey = (name, z, x, y, on, scope_unit_id, tuple(sorted((params or {}).items())))
        with self._lock:
            cached = self._entries.get(key)
        if cached is not None:
            checked = self._still_valid(session, cached, key, specs, gated)
            if checked is None:
                return None
            valid, row = checked
            if valid:
                with self._lock:
                    self.hits += 1
                    if key in self._entries:
                        self._entries.move_to_end(key)
                return cached, row
        rendered = tiles.render_gated(
            session, name, z, x, y, on, gated, scope_unit_id=scope_unit_id, params=params
        )
        if rendered is None:
            return None
        tile = Tile(
            body=rendered[0].body,
            etag=etag_of(rendered[0].body),
            versions=rendered[0].versions,
            data_version=sum(rendered[0].versions.values()),
        )
        self._store(key, tile)
        return tile, rendered[1]

    def _still_valid(
        self,
        session: Connection | Session,
        cached: Tile,
        key: TileKey,
        specs: tuple[tiles.LayerSpec, ...],
        gated: Gated | None,
    ) -> tuple[bool, ResultRow] | None:
        """Whether the cached tile still holds (adopting the current versions if so), with the
        check's row; None when the gate finds no row."""
        _, z, x, y, *_ = key
        drawn = [spec.name for spec, _ in tiles.plan(specs, z)]
        connection = session.connection() if isinstance(session, Session) else session
        values = {
            "layers": [spec.name for spec in specs],
            "seen_layers": drawn,
            "seen": [cached.versions.get(name, 0) for name in drawn],
            "z": z,
            "x": x,
            "y": y,
            "margin": tiles.MARGIN,
        }
        if gated:
            values.update(gated[1])
        row = _check(gated[0] if gated else None).one_or_none(connection, values)
        if row is None:
            return None
        if row.touched:
            return False, row
        current = {spec.name: int((row.versions or {}).get(spec.name, 0)) for spec in specs}
        cached.versions = current
        cached.data_version = sum(current.values())
        return True, row

    def _store(self, key: TileKey, tile: Tile) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old.size
            self._entries[key] = tile
            self._bytes += tile.size
            self.misses += 1
            while self._bytes > self.budget and len(self._entries) > 1:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= dropped.size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)
