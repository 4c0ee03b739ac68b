"""Filters shared by layers: an area (by unit code, spatially) and a bounding box."""

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
    return stmt
