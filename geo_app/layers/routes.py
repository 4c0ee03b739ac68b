"""Trafficking routes (tuyến trọng điểm mua bán, vận chuyển trái phép chất ma túy)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geography

from geo_app import clock
from geo_app.layers.base import LayerQuery, LayerSpec, Style, TileSpec
from geo_app.layers.fields import DEMO, ID, Field, exported, shown
from geo_app.layers.filters import apply_filters
from geo_app.layers.vocab import label_sql
from geo_app.models import Route

KEY_ROUTE_CODES = ("key", "other")
"""The status of a route: a key route (tuyến trọng điểm) or another one."""


def _query(request: LayerQuery) -> sa.Select[*tuple[Any, ...]]:
    # Routes carry no dated history: they are drawn as recorded now, whatever month is shown.
    on = clock.today()
    key = sa.case((Route.is_key_route, KEY_ROUTE_CODES[0]), else_=KEY_ROUTE_CODES[1])
    length = sa.func.ST_Length(sa.cast(Route.geom, Geography))
    stmt: sa.Select[*tuple[Any, ...]] = (
        sa.select(
            Route.id,
            Route.name,
            sa.cast(Route.kind, sa.String).label("kind"),
            label_sql("route_kind", Route.kind, request.lang).label("kind_label"),
            Route.is_key_route,
            key.label("status"),
            sa.func.round(sa.cast(length / 1000, sa.Numeric), 1).label("length_km"),
            Route.is_demo,
            Route.geom.label("geom"),
        )
        .where(Route.deleted_at.is_(None))
        .order_by(Route.id)
    )
    return apply_filters(stmt, request, geom=Route.geom, status=key, on=on)


KEY_ROUTES = LayerSpec(
    name="routes",
    title_vi="Tuyến trọng điểm mua bán, vận chuyển ma túy",
    title_en="Trafficking routes",
    geometry_type="MultiLineString",
    table="route",
    query=_query,
    fields=(
        ID,
        shown("name", "str", "Tên tuyến", "Route"),
        shown("kind", "str", "Loại", "Kind", vocabulary="route_kind", label_column="kind_label"),
        exported("is_key_route", "bool", "Tuyến trọng điểm", "Key route"),
        Field("status", "str", "Tuyến trọng điểm", "Key route", codes=KEY_ROUTE_CODES),
        shown("length_km", "float", "Chiều dài (km)", "Length (km)"),
        DEMO,
    ),
    id_field="id",
    tooltip_field="name",
    filters=("area", "bbox", "status"),
    style=Style(color="#b2182b", weight=4, fill_opacity=0, fill_by=None),
    tiles=TileSpec("routes", 6, properties=("name", "kind", "status")),
)
