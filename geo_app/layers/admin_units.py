"""Administrative units: provinces, districts, communes, hamlets and residential groups.

One module declares the four levels because they are one table with one query shape; each level
is still its own registered layer (its own name, titles, zoom use and drill-down link).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from geo_app import clock, urls
from geo_app.layers.base import LayerQuery, LayerSpec, QueryBuilder, Style, TileSpec
from geo_app.layers.fields import DEMO, Field, exported, shown
from geo_app.models import AdminLevel, AdminUnit

FIELDS = (
    Field("id", "int", "Mã số phiên bản", "Version id"),
    shown("name", "str", "Tên", "Name"),
    shown("code", "str", "Mã", "Code"),
    exported("name_en", "str", "Tên tiếng Anh", "English name"),
    shown("kind", "str", "Loại", "Kind"),
    exported("level", "str", "Cấp", "Level"),
    exported("parent_code", "str", "Mã đơn vị cấp trên", "Parent code"),
    shown("parent_name", "str", "Thuộc", "Part of", exported=False),
    shown("population", "int", "Dân số", "Population"),
    exported("population_is_estimate", "bool", "Dân số ước tính", "Population is an estimate"),
    shown("population_note", "str", "Nguồn dân số", "Population source", exported=False),
    shown("area_km2", "float", "Diện tích (km²)", "Area (km²)"),
    exported("valid_from", "date", "Hiệu lực từ", "Valid from"),
    exported("valid_to", "date", "Hiệu lực đến", "Valid to"),
    DEMO,
    Field("link", "str", "Bản đồ", "Map"),
)
"""One schema for every level; ``code`` identifies a unit (its version in force on the date)."""


# Vector-tile zoom gates per level: provinces up to z8, communes from z7, hamlets from z11.
TILE_ZOOMS = {
    "province": (0, 8),
    "district": (7, 10),
    "commune": (7, 22),
    "hamlet": (11, 22),
    "residential_group": (11, 22),
}
TILE_PROPERTIES = ("code", "name", "kind", "link")

# Aliases of the unit table are made once: making one (its geometry and key columns proxied)
# costs milliseconds, which every page paid several times over when each query made its own.
_ANCESTORS = (aliased(AdminUnit), aliased(AdminUnit), aliased(AdminUnit))
_AREA_UNIT = aliased(AdminUnit)


def in_force(unit: Any, on: date) -> sa.ColumnElement[bool]:
    """The version of a unit (the model or an alias of it) valid on ``on``; valid_to excluded."""
    valid_from = unit.valid_from
    valid_to = unit.valid_to
    return sa.and_(valid_from <= on, sa.or_(valid_to.is_(None), valid_to > on))


def _query_for(level: str, link_prefix: str | None) -> QueryBuilder:
    def build(request: LayerQuery) -> sa.Select[*tuple[Any, ...]]:
        on = request.as_of or clock.today()
        parent, grand, great = _ANCESTORS
        stmt: sa.Select[*tuple[Any, ...]] = (
            sa.select(*_columns(request, parent, link_prefix))
            .outerjoin(parent, parent.id == AdminUnit.parent_id)
            .outerjoin(grand, grand.id == parent.parent_id)
            .outerjoin(great, great.id == grand.parent_id)
            .where(AdminUnit.level == AdminLevel(level), in_force(AdminUnit, on))
            .order_by(AdminUnit.code)
        )
        if request.area_code is not None:
            stmt = stmt.where(*_in_area(request.area_code, on, (parent, grand, great)))
        if request.bbox is not None:
            stmt = stmt.where(
                AdminUnit.geom.intersects(sa.func.ST_MakeEnvelope(*request.bbox, 4326))
            )
        return stmt

    return build


def _columns(request: LayerQuery, parent: Any, link_prefix: str | None) -> list[Any]:
    """The unit's own columns, its parent, its area and population note, its link, its shape."""
    geom: Any = AdminUnit.geom
    if request.simplify_degrees:
        geom = sa.func.ST_Multi(
            sa.func.ST_SimplifyPreserveTopology(AdminUnit.geom, request.simplify_degrees)
        )
    population_note = sa.case(
        (AdminUnit.population.is_(None), None),
        (AdminUnit.population_is_estimate, sa.literal("ước tính / estimate")),
        else_=sa.literal("điều tra dân số / census"),
    )
    link = sa.func.concat(link_prefix, AdminUnit.code) if link_prefix else sa.null()
    return [
        AdminUnit.id,
        AdminUnit.code,
        AdminUnit.name,
        AdminUnit.name_en,
        AdminUnit.kind,
        sa.cast(AdminUnit.level, sa.String).label("level"),
        parent.code.label("parent_code"),
        parent.name.label("parent_name"),
        AdminUnit.population,
        AdminUnit.population_is_estimate,
        population_note.label("population_note"),
        AdminUnit.area_km2,
        AdminUnit.valid_from,
        AdminUnit.valid_to,
        AdminUnit.is_demo,
        link.label("link"),
        geom.label("geom"),
    ]


def _in_area(code: str, on: date, ancestors: tuple[Any, ...]) -> list[sa.ColumnElement[bool]]:
    """Units of the area ``code``: the spatial test lets the GiST index pick the candidates;
    the parent chain then says which of them really belong to the area."""
    area_unit = _AREA_UNIT
    area_geom = (
        sa.select(area_unit.geom)
        .where(area_unit.code == code, in_force(area_unit, on))
        .limit(1)
        .scalar_subquery()
    )
    return [
        sa.func.ST_Intersects(AdminUnit.geom, area_geom),
        sa.or_(AdminUnit.code == code, *(unit.code == code for unit in ancestors)),
    ]


def _spec(level: str, name: str, vi: str, en: str, link: str | None, style: Style) -> LayerSpec:
    return LayerSpec(
        name=name,
        title_vi=vi,
        title_en=en,
        geometry_type="MultiPolygon",
        table="admin_unit",
        query=_query_for(level, link),
        fields=FIELDS,
        id_field="code",
        tooltip_field="name",
        filters=("area", "date", "bbox"),
        style=style,
        link_field="link" if link else None,
        tiles=TileSpec(
            "admin_units",
            *TILE_ZOOMS[level],
            properties=TILE_PROPERTIES,
            params=(("level", level), ("link", link or "")),
        ),
    )


PROVINCES = _spec(
    "province",
    "provinces",
    "Tỉnh, thành phố",
    "Provinces",
    urls.PROVINCE_PREFIX,
    Style(color="#2b3a55", weight=1.2, fill_color="#9fb3c8", fill_opacity=0.25),
)
DISTRICTS = _spec(
    "district",
    "districts",
    "Huyện, quận, thị xã (trước 2025)",
    "Districts (before 2025)",
    None,
    Style(color="#5a4a78", weight=1.0, fill_color="#c9c0dd", fill_opacity=0.2),
)
COMMUNES = _spec(
    "commune",
    "communes",
    "Xã, phường, đặc khu",
    "Communes and wards",
    urls.COMMUNE_PREFIX,
    Style(color="#35506b", weight=0.8, fill_color="#d7e3ee", fill_opacity=0.35),
)
HAMLETS = _spec(
    "hamlet",
    "hamlets",
    "Thôn, ấp, bản, khóm, khu phố",
    "Hamlets",
    None,
    Style(color="#6b6b6b", weight=0.6, fill_color="#eeeeee", fill_opacity=0.25),
)
RESIDENTIAL_GROUPS = _spec(
    "residential_group",
    "residential_groups",
    "Tổ dân phố",
    "Residential groups",
    None,
    Style(color="#7a7a7a", weight=0.5, fill_color="#f4f4f4", fill_opacity=0.2),
)
