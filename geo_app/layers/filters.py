"""Filters shared by layers: an area (by unit code, spatially), a bounding box, the user's scope."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa

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


def unit_within_scope(unit: Any, scope_unit_id: int | None) -> sa.ColumnElement[bool]:
    """Rows of ``unit`` (the AdminUnit model or an alias) inside the scope: see services.scope."""
    if scope_unit_id is None:
        return sa.true()
    from geo_app.services.scope import scope_filter  # services import layers, not the reverse

    return scope_filter(scope_unit_id, unit)


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
