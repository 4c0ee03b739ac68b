"""Trafficking routes (tuyến trọng điểm mua bán, vận chuyển trái phép chất ma túy)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geography

from geo_app import clock
from geo_app.layers.base import ExportField, LabelledField, LayerQuery, LayerSpec, Style, TileSpec
from geo_app.layers.filters import apply_filters
from geo_app.layers.vocab import label_sql
from geo_app.models import Route


def _query(request: LayerQuery) -> sa.Select[*tuple[Any, ...]]:
    # Routes carry no dated history: they are drawn as recorded now, whatever month is shown.
    on = clock.today()
    key = sa.case((Route.is_key_route, "key"), else_="other")
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
    popup_fields=(
        LabelledField("name", "Tên tuyến", "Route"),
        LabelledField("kind_label", "Loại", "Kind"),
        LabelledField("length_km", "Chiều dài (km)", "Length (km)"),
    ),
    tooltip_field="name",
    filters=("area", "bbox", "status"),
    export_fields=(
        ExportField("id", "int"),
        ExportField("name", "str"),
        ExportField("kind", "str"),
        ExportField("is_key_route", "bool"),
        ExportField("length_km", "float"),
        ExportField("is_demo", "bool"),
    ),
    style=Style(color="#b2182b", weight=4, fill_opacity=0, fill_by=None),
    tiles=TileSpec("routes", 6, properties=("name", "kind", "status")),
)
