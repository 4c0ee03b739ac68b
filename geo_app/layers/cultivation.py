"""Drug-plant cultivation sites (diện tích trồng cây có chứa chất ma túy): plants and m².

Status on a date follows the dates: active from detection until eradication (replanted sites
are active again). Area is computed from the geometry on the spheroid, never typed.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from geo_app import clock
from geo_app.domain.vocabulary import CULTIVATION_STATUSES
from geo_app.layers.base import LayerQuery, LayerSpec, Style, TileSpec
from geo_app.layers.fields import ACCURACY, DEMO, ID, PLACED_BY, UNIT_CODE, UNIT_NAME, shown
from geo_app.layers.filters import apply_filters
from geo_app.layers.vocab import label_sql, placed_sql
from geo_app.models import AdminUnit, CultivationSite

STATUS_COLOURS = CULTIVATION_STATUSES.colours


def _query(request: LayerQuery) -> sa.Select[*tuple[Any, ...]]:
    on = request.as_of or clock.today()
    status = sa.case(
        (
            sa.and_(
                CultivationSite.eradicated_on.is_not(None),
                CultivationSite.eradicated_on <= on,
                sa.cast(CultivationSite.status, sa.String) != "replanted",
            ),
            "eradicated",
        ),
        else_=sa.cast(CultivationSite.status, sa.String),
    )
    stmt: sa.Select[*tuple[Any, ...]] = (
        sa.select(
            CultivationSite.id,
            status.label("status"),
            label_sql("cultivation_status", status, request.lang).label("status_label"),
            CultivationSite.plant_count,
            sa.func.round(CultivationSite.area_m2, 1).label("area_m2"),
            CultivationSite.detected_on,
            CultivationSite.eradicated_on,
            AdminUnit.code.label("unit_code"),
            AdminUnit.name.label("unit_name"),
            *placed_sql(CultivationSite, request.lang),
            CultivationSite.is_demo,
            CultivationSite.geom.label("geom"),
        )
        .outerjoin(AdminUnit, AdminUnit.id == CultivationSite.admin_unit_id)
        .where(CultivationSite.deleted_at.is_(None), CultivationSite.detected_on <= on)
        .order_by(CultivationSite.id)
    )
    return apply_filters(stmt, request, geom=CultivationSite.geom, status=status, on=on)


CULTIVATION_SITES = LayerSpec(
    name="cultivation_sites",
    title_vi="Diện tích trồng cây có chứa chất ma túy",
    title_en="Drug-plant cultivation sites",
    geometry_type="MultiPolygon",
    table="cultivation_site",
    query=_query,
    fields=(
        ID,
        shown(
            "status",
            "str",
            "Tình trạng",
            "Status",
            vocabulary="cultivation_status",
            label_column="status_label",
            editable=True,
        ),
        shown("plant_count", "int", "Số cây", "Plants", editable=True),
        shown("area_m2", "float", "Diện tích (m²)", "Area (m²)"),
        shown("detected_on", "date", "Phát hiện", "Detected", editable=True),
        shown("eradicated_on", "date", "Nhổ bỏ", "Eradicated"),
        UNIT_CODE,
        UNIT_NAME,
        PLACED_BY,
        ACCURACY,
        DEMO,
    ),
    id_field="id",
    tooltip_field="status",
    filters=("area", "date", "bbox", "status"),
    style=Style(color="#5b2a0a", weight=1.5, fill_opacity=0.6, fill_by=("status", STATUS_COLOURS)),
    tiles=TileSpec("cultivation", 9, properties=("status", "plant_count")),
)
