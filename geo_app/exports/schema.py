"""A layer's export schema and the rows of an export, shaped in SQL and read in chunks.

The columns are the layer's fields flagged ``exported`` (``layers/fields.py``): a coded field
gives its code and its label; a sensitive field only when the reader may see it and never in a
generalised export. Rows come from the feature service (:func:`geo_app.features.selection`),
so an export has exactly the map's filters and the asker's scope; PostGIS shapes the geometry
(generalised, and as WKB, GeoJSON, KML, lon/lat or WKT) and a server-side cursor hands them
over a chunk at a time, so a national export never sits whole in memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from geo_app import clock, features
from geo_app.domain.vocabulary import LEVEL_RANK
from geo_app.exports.formats import Geometry
from geo_app.layers.admin_units import in_force
from geo_app.layers.base import Lang, LayerSpec
from geo_app.layers.fields import FieldType
from geo_app.models import AdminUnit

CHUNK_ROWS = 10_000
"""Rows per chunk read from the server-side cursor and written at once."""
DECIMALS = 7
"""Decimal places of degrees written (about 1 cm)."""
WATERMARK = "watermark"
GENERALISED_LEVELS = ("hamlet", "residential_group", "commune")
"""The units a generalised feature is moved to: the deepest of them that holds it."""
UNIT_TABLES = frozenset({"admin_unit", "classification", "campaign_target"})
"""Layers whose features are administrative units: already at the generalised grain, so a
generalised export keeps their outlines."""


@dataclass(frozen=True)
class Column:
    """One exported column: its query name, type and header labels."""

    name: str
    type: FieldType
    label_vi: str
    label_en: str

    def label(self, lang: Lang) -> str:
        return self.label_vi if lang == "vi" else self.label_en


WATERMARK_COLUMN = Column(WATERMARK, "str", "Ghi chú khái quát hóa", "Generalisation note")


def columns(spec: LayerSpec, *, sensitive: bool, generalised: bool) -> tuple[Column, ...]:
    """The export schema of ``spec`` for this reader (and the watermark when generalised)."""
    found: list[Column] = []
    for f in spec.export_fields:
        if f.sensitive and (generalised or not sensitive):
            continue
        if f.label_column is None:
            found.append(Column(f.name, f.type, f.label_vi, f.label_en))
            continue
        found.append(Column(f.name, f.type, f"{f.label_vi} (mã)", f"{f.label_en} (code)"))
        found.append(Column(f.label_column, "str", f.label_vi, f.label_en))
    if generalised:
        found.append(WATERMARK_COLUMN)
    return tuple(found)


def generalisable(spec: LayerSpec) -> bool:
    """Points and polygons can be generalised; a line has no unit-sized stand-in."""
    return spec.geometry_type != "MultiLineString"


def generalised_geometry(spec: LayerSpec, geom: Any, on: date) -> Any:
    """The geometry a generalised export writes, made in SQL.

    A point moves to the representative point (``ST_PointOnSurface``) of the deepest unit in
    force on ``on`` that covers it: its hamlet or residential group, else its commune. A
    polygon is replaced by the outline of the deepest such unit covering its own point on
    surface (so the layer keeps its geometry type); features that are units keep theirs. No
    covering unit: no geometry, never the original one.
    """
    if spec.table in UNIT_TABLES:
        return geom
    unit = aliased(AdminUnit, name="general_unit")
    rank = sa.case(LEVEL_RANK, value=sa.cast(unit.level, sa.String))
    point = spec.geometry_type == "Point"
    probe = geom if point else sa.func.ST_PointOnSurface(geom)
    shape = sa.func.ST_PointOnSurface(unit.geom) if point else sa.func.ST_Multi(unit.geom)
    return (
        sa.select(shape)
        .where(
            sa.cast(unit.level, sa.String).in_(GENERALISED_LEVELS),
            in_force(unit, on),
            sa.func.ST_Covers(unit.geom, probe),
        )
        .order_by(rank.desc(), unit.id)
        .limit(1)
        .scalar_subquery()
    )


def _shaped(spec: LayerSpec, geom: Any, form: Geometry) -> list[Any]:
    """The geometry in the form its writer takes (named ``g_*``)."""
    if form == "wkb":
        return [sa.func.ST_AsBinary(geom).label("g_wkb")]
    if form == "geojson":
        return [sa.func.ST_AsGeoJSON(geom, DECIMALS).label("g_json")]
    if form == "kml":
        return [sa.func.ST_AsKML(geom, DECIMALS).label("g_kml")]
    if spec.geometry_type == "Point":
        return [
            sa.func.round(sa.cast(sa.func.ST_X(geom), sa.Numeric), DECIMALS).label("g_lon"),
            sa.func.round(sa.cast(sa.func.ST_Y(geom), sa.Numeric), DECIMALS).label("g_lat"),
        ]
    return [sa.func.ST_AsText(geom, DECIMALS).label("g_wkt")]


@dataclass(frozen=True)
class Plan:
    """What one layer of an export reads: the feature query, the schema and the geometry."""

    spec: LayerSpec
    query: features.FeatureQuery
    columns: tuple[Column, ...]
    generalised: bool
    watermark: str | None


def chunks(
    session: Session, plan: Plan, form: Geometry, size: int = CHUNK_ROWS
) -> Iterator[Sequence[sa.Row[Any]]]:
    """The plan's rows, ``size`` at a time, through a server-side cursor."""
    inner = features.selection(session, plan.query).subquery("x")
    if plan.generalised:  # moved in a subquery of its own: the writers' functions take a column
        on = plan.query.filters.as_of or clock.today()
        moved = generalised_geometry(plan.spec, inner.c.geom, on).label("geom")
        others = [column for column in inner.c if column.name != "geom"]
        inner = sa.select(*others, moved).subquery("g")
    geom: Any = inner.c.geom
    values = [
        sa.literal(plan.watermark).label(WATERMARK) if c.name == WATERMARK else inner.c[c.name]
        for c in plan.columns
    ]
    stmt = sa.select(*values, *_shaped(plan.spec, geom, form)).order_by(inner.c[plan.spec.id_field])
    # A whole-layer read is one long query: JIT compiling it cost ~1.3 s of ~3 s (100,000
    # hotspots) and saves nothing on a plan this shape.
    connection = session.connection()
    connection.execute(sa.text("SET LOCAL jit = off"))
    yield from _fetched(connection, stmt, size)


PLAIN_RESULTS = (sa.String, sa.Integer, sa.Numeric, sa.Date, sa.Boolean, sa.types.NullType)
"""Column types whose values psycopg2 gives as SQLAlchemy would, so their rows may skip
SQLAlchemy's result machinery (not an Enum, which may give Python enums, nor a Float, which
SQLAlchemy turns from Decimal into float)."""


def _plain(kind: Any) -> bool:
    return isinstance(kind, PLAIN_RESULTS) and not isinstance(kind, sa.Enum | sa.Float)


def _fetched(connection: sa.Connection, stmt: sa.Select[Any], size: int) -> Iterator[Sequence[Any]]:
    """The statement's rows as plain tuples from a named (server-side) psycopg2 cursor.

    Why not SQLAlchemy's rows: making 100,000 of them cost ~1 s of a ~2.5 s GeoPackage export.
    The parameters stay bound (psycopg2 quotes and types them); a statement whose parameters
    or columns need SQLAlchemy's own processing is read through SQLAlchemy instead.
    """
    dialect = connection.dialect
    compiled = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    binds = [bind.type.dialect_impl(dialect) for bind in compiled.binds.values()]
    plain = not any(impl.bind_processor(dialect) for impl in binds) and all(
        _plain(column.type) for column in stmt.selected_columns
    )
    if not plain:
        yield from connection.execute(stmt, execution_options={"yield_per": size}).partitions()
        return
    cursor = connection.connection.cursor(name="geo_app_export")
    try:
        cursor.execute(compiled.string, compiled.construct_params())
        while rows := cursor.fetchmany(size):
            yield rows
    finally:
        cursor.close()
