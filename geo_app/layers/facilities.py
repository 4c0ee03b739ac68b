"""Hotline boards and tip-off boxes: where they stand, their condition, and how long since
someone last checked them (green under 30 days, amber under 90, red beyond).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from geo_app import clock
from geo_app.domain.vocabulary import AGEING as AGEING_VOCABULARY
from geo_app.layers.base import LayerQuery, LayerSpec, Style, TileSpec
from geo_app.layers.fields import (
    ACCURACY,
    DEMO,
    ID,
    PLACED_BY,
    UNIT_CODE,
    UNIT_NAME,
    exported,
    shown,
)
from geo_app.layers.filters import apply_filters
from geo_app.layers.vocab import ageing_sql, label_sql, placed_sql
from geo_app.models import AdminUnit, HotlineBoard, TipoffBox, TipoffInspection

AGEING_COLOURS = AGEING_VOCABULARY.colours
FILTERS: tuple[Any, ...] = ("area", "date", "bbox", "status")
TILE_PROPERTIES = ("site", "status", "ageing")


def _boards(request: LayerQuery) -> sa.Select[*tuple[Any, ...]]:
    on = request.as_of or clock.today()
    checked = sa.case((HotlineBoard.last_checked_on <= on, HotlineBoard.last_checked_on))
    stmt: sa.Select[*tuple[Any, ...]] = (
        sa.select(
            HotlineBoard.id,
            sa.cast(HotlineBoard.site, sa.String).label("site"),
            label_sql("facility_site", HotlineBoard.site, request.lang).label("site_label"),
            sa.func.array_to_string(HotlineBoard.phones, ", ").label("phones"),
            HotlineBoard.installed_on,
            checked.label("last_checked_on"),
            sa.cast(HotlineBoard.condition, sa.String).label("status"),
            label_sql("facility_condition", HotlineBoard.condition, request.lang).label(
                "condition_label"
            ),
            (sa.literal(on) - checked).label("age_days"),
            ageing_sql(checked, sa.literal(on)).label("ageing"),
            AdminUnit.code.label("unit_code"),
            AdminUnit.name.label("unit_name"),
            *placed_sql(HotlineBoard, request.lang),
            HotlineBoard.is_demo,
            HotlineBoard.geom.label("geom"),
        )
        .join(AdminUnit, AdminUnit.id == HotlineBoard.admin_unit_id)
        .where(
            HotlineBoard.deleted_at.is_(None),
            sa.or_(HotlineBoard.installed_on.is_(None), HotlineBoard.installed_on <= on),
        )
        .order_by(HotlineBoard.id)
    )
    return apply_filters(
        stmt,
        request,
        geom=HotlineBoard.geom,
        status=sa.cast(HotlineBoard.condition, sa.String),
        on=on,
    )


def _boxes(request: LayerQuery) -> sa.Select[*tuple[Any, ...]]:
    on = request.as_of or clock.today()
    inspected = (
        sa.select(
            sa.func.max(TipoffInspection.inspected_on).label("inspected_on"),
            sa.func.sum(TipoffInspection.letters_received).label("letters_received"),
            sa.func.sum(TipoffInspection.letters_forwarded).label("letters_forwarded"),
        )
        .where(TipoffInspection.box_id == TipoffBox.id, TipoffInspection.inspected_on <= on)
        .lateral("inspected")
    )
    opened = sa.func.greatest(
        sa.case((TipoffBox.last_opened_on <= on, TipoffBox.last_opened_on)),
        inspected.c.inspected_on,
    )
    stmt: sa.Select[*tuple[Any, ...]] = (
        sa.select(
            TipoffBox.id,
            sa.cast(TipoffBox.site, sa.String).label("site"),
            label_sql("facility_site", TipoffBox.site, request.lang).label("site_label"),
            TipoffBox.installed_on,
            opened.label("last_opened_on"),
            sa.func.coalesce(inspected.c.letters_received, 0).label("letters_received"),
            sa.func.coalesce(inspected.c.letters_forwarded, 0).label("letters_forwarded"),
            sa.cast(TipoffBox.condition, sa.String).label("status"),
            label_sql("facility_condition", TipoffBox.condition, request.lang).label(
                "condition_label"
            ),
            (sa.literal(on) - opened).label("age_days"),
            ageing_sql(opened, sa.literal(on)).label("ageing"),
            AdminUnit.code.label("unit_code"),
            AdminUnit.name.label("unit_name"),
            *placed_sql(TipoffBox, request.lang),
            TipoffBox.is_demo,
            TipoffBox.geom.label("geom"),
        )
        .join(AdminUnit, AdminUnit.id == TipoffBox.admin_unit_id)
        .outerjoin(inspected, sa.true())
        .where(
            TipoffBox.deleted_at.is_(None),
            sa.or_(TipoffBox.installed_on.is_(None), TipoffBox.installed_on <= on),
        )
        .order_by(TipoffBox.id)
    )
    return apply_filters(
        stmt, request, geom=TipoffBox.geom, status=sa.cast(TipoffBox.condition, sa.String), on=on
    )


SITE = shown(
    "site",
    "str",
    "Vị trí",
    "Site",
    vocabulary="facility_site",
    label_column="site_label",
    editable=True,
)
CONDITION = shown(
    "status",
    "str",
    "Tình trạng",
    "Condition",
    vocabulary="facility_condition",
    label_column="condition_label",
    editable=True,
)
"""The condition, called ``status`` so every layer filters by ``status``; written as
``condition`` (the column's name)."""
INSTALLED = shown("installed_on", "date", "Lắp đặt", "Installed", editable=True)
AGE_DAYS = shown("age_days", "int", "Cách đây (ngày)", "Days ago", exported=False)
AGEING = exported("ageing", "str", "Kiểm tra lần cuối", "Last checked", vocabulary="ageing")


HOTLINE_BOARDS = LayerSpec(
    name="hotline_boards",
    title_vi="Bảng niêm yết đường dây nóng",
    title_en="Hotline boards",
    geometry_type="Point",
    table="hotline_board",
    query=_boards,
    fields=(
        ID,
        SITE,
        shown("phones", "str", "Số điện thoại", "Phone numbers", editable=True),
        CONDITION,
        INSTALLED,
        shown("last_checked_on", "date", "Kiểm tra lần cuối", "Last checked"),
        AGE_DAYS,
        AGEING,
        UNIT_CODE,
        UNIT_NAME,
        PLACED_BY,
        ACCURACY,
        DEMO,
    ),
    id_field="id",
    tooltip_field="site",
    filters=FILTERS,
    style=Style(color="#1f3b57", weight=1.5, fill_opacity=0.95, fill_by=("ageing", AGEING_COLOURS)),
    tiles=TileSpec("hotline_boards", 10, properties=TILE_PROPERTIES, counts_below=True),
)

TIPOFF_BOXES = LayerSpec(
    name="tipoff_boxes",
    title_vi="Hòm thư tố giác tội phạm",
    title_en="Tip-off boxes",
    geometry_type="Point",
    table="tipoff_box",
    query=_boxes,
    fields=(
        ID,
        SITE,
        CONDITION,
        INSTALLED,
        shown("last_opened_on", "date", "Mở hòm lần cuối", "Last opened"),
        AGE_DAYS,
        shown("letters_received", "int", "Thư nhận", "Letters received"),
        shown("letters_forwarded", "int", "Thư chuyển xử lý", "Letters forwarded"),
        AGEING,
        UNIT_CODE,
        UNIT_NAME,
        PLACED_BY,
        ACCURACY,
        DEMO,
    ),
    id_field="id",
    tooltip_field="site",
    filters=FILTERS,
    style=Style(color="#5a3d8a", weight=1.5, fill_opacity=0.95, fill_by=("ageing", AGEING_COLOURS)),
    tiles=TileSpec("tipoff_boxes", 10, properties=TILE_PROPERTIES, counts_below=True),
)
