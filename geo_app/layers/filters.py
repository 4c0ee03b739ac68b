"""Filters shared by layers: an area (by unit code, spatially), a bounding box, the user's scope.

The scope rule lives here (``scope_filter``) because layers need it and layers never import
services; ``services.scope`` answers the yes/no questions with it."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from geo_app.domain.vocabulary import LEVEL_RANK
from geo_app.layers.admin_units import in_force
from geo_app.layers.base import LayerQuery
from geo_app.models import AdminUnit


def area_geometry(code: str, on: date) -> sa.ScalarSelect[Any]:
    """The geometry of the unit with ``code`` in force on ``on`` (one code, one version)."""
    return (
        sa.select(AdminUnit.geom)
        .where(AdminUnit.code == code, in_force(AdminUnit, on))
        .limit(1)
        .scalar_subquery()
    )


def within_area(geom: Any, code: str, on: date) -> sa.ColumnElement[bool]:
    """Features inside the area (points covered; lines and polygons intersecting it)."""
    return sa.func.ST_Intersects(area_geometry(code, on), geom)


def scope_geometry(scope_unit_id: int) -> sa.ScalarSelect[Any]:
    """The geometry of the user's scope unit (a row id, so one version)."""
    return sa.select(AdminUnit.geom).where(AdminUnit.id == scope_unit_id).scalar_subquery()


def within_scope(geom: Any, scope_unit_id: int | None) -> sa.ColumnElement[bool]:
    """Points covered by the scope unit, lines crossing it; everything for national scope."""
    if scope_unit_id is None:
        return sa.true()
    return sa.func.ST_Intersects(scope_geometry(scope_unit_id), geom)


def _rank(unit: Any) -> sa.ColumnElement[int]:
    """Level as a number, province 0 … residential group 4 (deeper is larger)."""
    return sa.case(LEVEL_RANK, value=sa.cast(unit.level, sa.String))


@lru_cache(maxsize=512)
def scope_filter(user_scope_unit_id: int | None, unit: Any = AdminUnit) -> sa.ColumnElement[bool]:
    """A WHERE clause keeping the rows of ``unit`` (the model or an alias) inside the scope.

    Made once per scope and unit (the clause is immutable, the scope id a bound value):
    building its recursive CTE and aliases cost ~5 ms of Python, more than running it.
    """
    if user_scope_unit_id is None:
        return sa.true()
    root = aliased(AdminUnit, name="scope_root")
    child = aliased(AdminUnit, name="scope_child")
    tree = sa.select(root.id).where(root.id == user_scope_unit_id).cte("scope_tree", recursive=True)
    tree = tree.union_all(sa.select(child.id).where(child.parent_id == tree.c.id))
    scope = aliased(AdminUnit, name="scope_unit")
    spatial = (
        sa.exists()
        .where(
            scope.id == user_scope_unit_id,
            _rank(unit) >= _rank(scope),
            sa.func.ST_Covers(scope.geom, sa.func.ST_PointOnSurface(unit.geom)),
        )
        .correlate(unit)
    )
    return sa.or_(unit.id.in_(sa.select(tree.c.id)), spatial)


def within_bbox(geom: Any, bbox: tuple[float, float, float, float]) -> sa.ColumnElement[bool]:
    return sa.func.ST_Intersects(geom, sa.func.ST_MakeEnvelope(*bbox, 4326))


def apply_filters(
    stmt: sa.Select[*tuple[Any, ...]],
    request: LayerQuery,
    *,
    geom: Any,
    status: Any,
    on: date,
) -> sa.Select[*tuple[Any, ...]]:
    """The status, area and bounding-box filters every feature layer honours, in one place."""
    if request.status:
        stmt = stmt.where(status.in_(request.status))
    if request.area_code is not None:
        stmt = stmt.where(within_area(geom, request.area_code, on))
    if request.bbox is not None:
        stmt = stmt.where(within_bbox(geom, request.bbox))
    if request.scope_unit_id is not None:
        stmt = stmt.where(within_scope(geom, request.scope_unit_id))
    return stmt
