"""Mapbox Vector Tiles written by PostGIS (``ST_AsMVT``) from the layers' tile declarations.

A tile name is a registered layer or a set of layers. Each layer's ``TileSpec`` names a .sql
file giving the rows of one tile in EPSG:3857; this module wraps those rows into one statement
that returns the whole tile (every layer's ``ST_AsMVT`` concatenated) together with the
layers' data versions, read in the same snapshot so a cache never mistakes old data for new.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from geo_app.db import Gate, Gated, Prepared, ResultRow
from geo_app.errors import InvalidInput, NotFound
from geo_app.layers import REGISTRY, LayerSpec
from geo_app.parsing import whole_number
from geo_app.services.tiles.bands import band_for_zoom

EXTENT = 4096
BUFFER = {"Point": 128, "MultiPolygon": 64, "MultiLineString": 64}
CELLS_PER_TILE = 8  # counts below a point layer's min zoom: 8 x 8 cells, 32 px on a 256 px tile
MARGIN = 1 / CELLS_PER_TILE
"""Rows are read this far (a fraction of the tile) around it: whole neighbouring count cells, so a
count's circle near an edge is drawn alike by both tiles; it covers every feature buffer too.
An edit invalidates the tiles whose envelope, so widened, its box touches."""
MAX_ZOOM = 22

ADMIN = ("provinces", "districts", "communes", "hamlets", "residential_groups")
POINTS = ("hotspots", "hotline_boards", "tipoff_boxes")
SETS: dict[str, tuple[str, ...]] = {
    "admin": ADMIN,
    "points": POINTS,
    "country": ADMIN + POINTS,
    "province": ("classification", "hotspots"),
    "campaign": ("campaign_progress", "hotspots"),
}
"""Tile sets: several layers in one tile, each drawn only inside its zoom gates. ``country``,
``province`` and ``campaign`` are what those pages show at first, in one request per tile."""

Mode = Literal["features", "counts"]
COUNT_SUFFIX = "_count"


def tiled_layers(name: str) -> tuple[LayerSpec, ...]:
    """The layers a tile name stands for; NotFound when it is neither a set nor a tiled layer."""
    names = SETS.get(name) or ((name,) if name in REGISTRY else ())
    specs = tuple(REGISTRY[n] for n in names if REGISTRY[n].tiles is not None)
    if not specs:
        known = ", ".join(sorted(SETS) + sorted(n for n, s in REGISTRY.items() if s.tiles))
        raise NotFound(f"no tile layer or set {name!r}; known: {known}")
    return specs


def set_of(names: Iterable[str]) -> str | None:
    """The tile set holding exactly the layers of ``names`` (layers or sets), if there is one."""
    wanted = {spec.name for name in names for spec in tiled_layers(name)}
    for set_name, members in SETS.items():
        if set(members) == wanted:
            return set_name
    return None


def mvt_layers(name: str) -> tuple[str, ...]:
    """The MVT layer names a tile of ``name`` may hold (a layer's counts have their own)."""
    found: list[str] = []
    for spec in tiled_layers(name):
        found.append(spec.name)
        if spec.tiles is not None and spec.tiles.counts_below:
            found.append(spec.name + COUNT_SUFFIX)
    return tuple(found)


def check_tile(z: int, x: int, y: int) -> None:
    """Zoom 0-22 and x, y inside the 2^z grid; InvalidInput names the bad part."""
    if not 0 <= z <= MAX_ZOOM:
        raise InvalidInput(f"zoom {z} is out of range; expected 0 to {MAX_ZOOM}")
    size = 2**z
    if not (0 <= x < size and 0 <= y < size):
        raise InvalidInput(f"tile {z}/{x}/{y} does not exist: x and y must be 0 to {size - 1}")


def plan(specs: tuple[LayerSpec, ...], z: int) -> tuple[tuple[LayerSpec, Mode], ...]:
    """Which layers a tile at zoom ``z`` draws, as features or as counts per cell."""
    chosen: list[tuple[LayerSpec, Mode]] = []
    for spec in specs:
        tiles = spec.tiles
        assert tiles is not None
        if tiles.min_zoom <= z <= tiles.max_zoom:
            chosen.append((spec, "features"))
        elif z < tiles.min_zoom and tiles.counts_below:
            chosen.append((spec, "counts"))
    return tuple(chosen)


@dataclass(frozen=True)
class Rendered:
    """A tile's bytes (uncompressed MVT) and the versions of the layers it was made from."""

    body: bytes
    versions: dict[str, int]


def render(
    session: Connection | Session,
    name: str,
    z: int,
    x: int,
    y: int,
    on: date,
    *,
    scope_unit_id: int | None = None,
    params: Mapping[str, int] | None = None,
) -> Rendered:
    """One tile of ``name`` on ``on`` inside the scope (None = national), with the layers'
    request parameters; the layer names' versions come from the same snapshot."""
    found = render_gated(
        session, name, z, x, y, on, None, scope_unit_id=scope_unit_id, params=params
    )
    assert found is not None  # without a gate there is always a row
    return found[0]


def render_gated(
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
) -> tuple[Rendered, ResultRow] | None:
    """:func:`render` behind ``gated`` (``db.Gate``) in the same round trip: the tile and the
    gate's row, or None (nothing drawn) when the gate finds no row."""
    check_tile(z, x, y)
    specs = tiled_layers(name)
    chosen = tuple((spec.name, mode) for spec, mode in plan(specs, z))
    gate = gated[0] if gated else None
    prepared = prepared_tile(chosen, tuple(s.name for s in specs), gate)
    values = tile_params(z, x, y, on, scope_unit_id=scope_unit_id, params=params)
    if gated:
        values.update(gated[1])
    connection = session.connection() if isinstance(session, Session) else session
    row = prepared.one_or_none(connection, values)
    if row is None:
        return None
    return Rendered(bytes(row.tile or b""), _versions(row.versions, specs)), row


def tile_params(
    z: int,
    x: int,
    y: int,
    on: date,
    *,
    scope_unit_id: int | None = None,
    params: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """The bind values every tile .sql file may read (``:scope`` NULL means national)."""
    values: dict[str, Any] = {
        "z": z,
        "x": x,
        "y": y,
        "on": on,
        "band": band_for_zoom(z),
        "margin": MARGIN,
        "scope": scope_unit_id,
    }
    values.update(params or {})
    return values


def request_params(name: str, given: Mapping[str, str]) -> dict[str, int]:
    """The URL parameters tile ``name``'s layers read, as whole numbers; InvalidInput if one is
    missing or not a whole number (a tile without them would silently draw nothing)."""
    wanted = sorted(
        {p for spec in tiled_layers(name) if spec.tiles for p in spec.tiles.request_params}
    )
    values: dict[str, int] = {}
    for param in wanted:
        text = (given.get(param) or "").strip()
        if not text:
            raise InvalidInput(f"tiles of {name} need ?{param}=<id>")
        number = whole_number(text)
        if number is None:
            raise InvalidInput(f"{param} {text!r} is not a whole number")
        values[param] = number
    return values


def _versions(found: dict[str, int] | None, specs: tuple[LayerSpec, ...]) -> dict[str, int]:
    found = found or {}
    return {spec.name: int(found.get(spec.name, 0)) for spec in specs}


_VERSIONS = (
    "SELECT json_object_agg(layer, version) FROM layer_version "
    "WHERE layer = ANY(CAST(:layers AS text[]))"
)


def versions_column(layer_names: tuple[str, ...] | None = None) -> sa.ScalarSelect[Any]:
    """The layers' data versions as one JSON object; the names bound here, or by the caller
    as ``:layers`` when None (the cache's validity check asks for any tile set's)."""
    text = sa.text(_VERSIONS)
    if layer_names is not None:
        text = text.bindparams(layers=list(layer_names))
    return text.columns(sa.column("versions", sa.JSON)).scalar_subquery()


@cache
def tile_statement(
    chosen: tuple[tuple[str, Mode], ...], layer_names: tuple[str, ...], gate: Gate | None = None
) -> sa.Select[Any]:
    """One SELECT returning ``tile`` (bytea) and ``versions`` (json), built once per shape;
    behind ``gate`` (``db.Gate``) when given.

    ``chosen`` is the plan as (layer name, mode) pairs; ``layer_names`` whose versions to read.
    """
    parts = [_layer_mvt(REGISTRY[name], mode) for name, mode in chosen]
    empty = sa.literal_column("CAST('' AS bytea)", sa.LargeBinary)  # typed, not a parameter
    tile: sa.ColumnElement[Any] = empty
    for part in parts:
        tile = tile.op("||")(sa.func.coalesce(part, empty))
    columns = (tile.label("tile"), versions_column(layer_names).label("versions"))
    return gate.around(*columns) if gate else sa.select(*columns)


_SHAPES: dict[tuple[Any, ...], Prepared] = {}


def prepared_tile(
    chosen: tuple[tuple[str, Mode], ...], layer_names: tuple[str, ...], gate: Gate | None = None
) -> Prepared:
    """:func:`tile_statement` as a prepared statement, one name per shape and gate: planning
    a tile's statement cost a quarter of running it (``db.Prepared``)."""
    key = (chosen, layer_names, gate.name if gate else None)
    found = _SHAPES.get(key)
    if found is None:
        shape = hashlib.blake2b(repr(key).encode(), digest_size=8).hexdigest()
        made = Prepared.of(tile_statement(chosen, layer_names, gate), f"geo_app_tile_{shape}")
        found = _SHAPES.setdefault(key, made)
    return found


def _rows(spec: LayerSpec, *, shared: bool = False) -> sa.Subquery | sa.CTE:
    """The layer's tile rows (its .sql file) with its own parameters bound under unique names;
    ``shared``: as a CTE, read once by every part that asks (PostgreSQL keeps its rows)."""
    tiles = spec.tiles
    assert tiles is not None
    text = sa.text(tiles.sql())
    text = text.bindparams(*(sa.bindparam(k, v, unique=True) for k, v in tiles.params))
    columns = ("id", *tiles.properties, *tiles.count_flags, "geom")
    rows = text.columns(*(sa.column(c) for c in dict.fromkeys(columns)))
    return rows.cte(f"rows_{spec.name}") if shared else rows.subquery(f"rows_{spec.name}")


def _envelope() -> sa.ColumnElement[Any]:
    return sa.func.ST_TileEnvelope(sa.bindparam("z"), sa.bindparam("x"), sa.bindparam("y"))


def _layer_mvt(spec: LayerSpec, mode: Mode) -> sa.ColumnElement[Any]:
    """The layer's part of the tile: its features, or its counts per cell (below its min zoom,
    or where the tile holds more than ``counts_over`` rows: PostgreSQL runs only the branch
    the CASE takes, after counting at most that many rows plus one). The three read the rows
    from one CTE: as three subqueries, a dense tile took 40-80 ms where each alone took 4-8."""
    tiles = spec.tiles
    assert tiles is not None
    if mode == "counts":
        return _counts_mvt(spec, _rows(spec))
    if tiles.counts_over is None:
        return _features_mvt(spec, _rows(spec))
    rows = _rows(spec, shared=True)
    beyond: sa.Select[Any] = sa.select(sa.literal_column("1")).select_from(rows)
    dense = sa.exists(beyond.offset(sa.literal_column(str(tiles.counts_over))))
    return sa.case((dense, _counts_mvt(spec, rows)), else_=_features_mvt(spec, rows))


def _features_mvt(spec: LayerSpec, rows: sa.Subquery | sa.CTE) -> sa.ScalarSelect[Any]:
    tiles = spec.tiles
    assert tiles is not None
    geom = sa.func.ST_AsMVTGeom(rows.c.geom, _envelope(), EXTENT, BUFFER[spec.geometry_type], True)
    props = [rows.c[p] for p in tiles.properties]
    features = sa.select(rows.c.id, *props, geom.label("geom")).subquery(f"mvt_{spec.name}")
    return (
        sa.select(
            sa.func.ST_AsMVT(sa.literal_column(features.name), spec.name, EXTENT, "geom", "id")
        )
        .select_from(features)
        .where(features.c.geom.is_not(None))
        .scalar_subquery()
    )


def _counts_mvt(spec: LayerSpec, rows: sa.Subquery | sa.CTE) -> sa.ScalarSelect[Any]:
    """Points below their min zoom: one point per occupied grid cell with the count there."""
    tiles = spec.tiles
    assert tiles is not None
    env = _envelope()
    cell = (sa.func.ST_XMax(env) - sa.func.ST_XMin(env)) / CELLS_PER_TILE
    # The tile and one whole cell around it: neighbours' cells are drawn in the buffer.
    xmin, xmax = sa.func.ST_XMin(env) - cell, sa.func.ST_XMax(env) + cell
    ymin, ymax = sa.func.ST_YMin(env) - cell, sa.func.ST_YMax(env) + cell
    px, py = sa.func.ST_X(rows.c.geom), sa.func.ST_Y(rows.c.geom)
    centre = sa.func.ST_Centroid(sa.func.ST_Collect(rows.c.geom))
    flags = [
        sa.func.count().filter(rows.c[flag].is_(True)).label(flag) for flag in tiles.count_flags
    ]
    cells = (
        sa.select(
            sa.func.count().label("count"),
            *flags,
            sa.func.ST_AsMVTGeom(centre, env, EXTENT, EXTENT // CELLS_PER_TILE, True).label("geom"),
        )
        .where(px >= xmin, px < xmax, py > ymin, py <= ymax)
        .group_by(sa.func.floor((px - xmin) / cell), sa.func.floor((py - ymin) / cell))
        .subquery(f"cells_{spec.name}")
    )
    return (
        sa.select(
            sa.func.ST_AsMVT(
                sa.literal_column(cells.name), spec.name + COUNT_SUFFIX, EXTENT, "geom"
            )
        )
        .select_from(cells)
        .where(cells.c.geom.is_not(None))
        .scalar_subquery()
    )
