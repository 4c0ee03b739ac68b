"""Hotspots (điểm, tụ điểm phức tạp về ma túy): kind, status as of a date, ageing.

The status shown is the one in force on the requested date, read from the dated history
(``hotspot_status_change``), so a month selector can replay clearances and relapses.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from geo_app import clock
from geo_app.domain.vocabulary import HOTSPOT_STATUSES
from geo_app.layers.base import LayerQuery, LayerSpec, Style, TileSpec
from geo_app.layers.fields import (
    ACCURACY,
    DEMO,
    ID,
    PLACED_BY,
    UNIT_CODE,
    UNIT_NAME,
    Field,
    exported,
    shown,
)
from geo_app.layers.filters import apply_filters, within_scope
from geo_app.layers.vocab import ageing_sql, label_sql, placed_sql
from geo_app.models import AdminUnit, Hotspot, HotspotStatusChange
from geo_app.models.features import NOTES_MAX_LENGTH

STATUS_COLOURS = HOTSPOT_STATUSES.colours
DENSE_TILE = 250
"""A tile with more hotspots than this (about one per 16 x 16 pixels) shows counts per cell
instead: at zoom 10 a province of the bench's 50,000 hotspots put 5,065 markers on the page."""
COUNT_COLOUR = "#b2182b"
"""The fill of a count circle (hotspots counted per cell): the map's and the legend's."""


def relapse_link(scope_unit_id: int | None) -> tuple[Any, Any]:
    """The cleared hotspot a relapse candidate lies near, and how far, as a reader may see them.

    The link itself ignores borders (a relapse next door is still one), but a reader scoped to
    a commune never learns the id or exact distance of a point outside the scope: both read
    NULL then (the flag of the field API and the commune page then say only "outside your
    area"). One rule for the layer (API, exports) and the relapse list.
    """
    if scope_unit_id is None:
        return Hotspot.relapse_of_id, Hotspot.relapse_distance_m
    linked = aliased(Hotspot, name="relapse_link")
    visible = sa.exists().where(
        linked.id == Hotspot.relapse_of_id, within_scope(linked.geom, scope_unit_id)
    )
    return (
        sa.case((visible, Hotspot.relapse_of_id), else_=sa.null()),
        sa.case((visible, Hotspot.relapse_distance_m), else_=sa.null()),
    )


def _query(request: LayerQuery) -> sa.Select[*tuple[Any, ...]]:
    on = request.as_of or clock.today()
    # The status by the one rule (hotspot_status_on, migration 0006), and the last dated change.
    latest = (
        sa.func.hotspot_status_on(
            Hotspot.id, Hotspot.status, Hotspot.cleared_on, Hotspot.relapsed_on, on
        )
        .table_valued(sa.column("status", sa.String))
        .lateral("latest")
    )
    status = latest.c.status
    last_change = (
        sa.select(sa.func.max(HotspotStatusChange.changed_on).label("changed_on"))
        .where(HotspotStatusChange.hotspot_id == Hotspot.id, HotspotStatusChange.changed_on <= on)
        .lateral("last_change")
    )
    verified = sa.func.greatest(last_change.c.changed_on, Hotspot.detected_on)
    stmt: sa.Select[*tuple[Any, ...]] = (
        sa.select(
            Hotspot.id,
            sa.cast(Hotspot.kind, sa.String).label("kind"),
            label_sql("hotspot_kind", Hotspot.kind, request.lang).label("kind_label"),
            status.label("status"),
            label_sql("hotspot_status", status, request.lang).label("status_label"),
            Hotspot.detected_on,
            Hotspot.cleared_on,
            Hotspot.relapsed_on,
            sa.cast(Hotspot.source, sa.String).label("source"),
            label_sql("hotspot_source", Hotspot.source, request.lang).label("source_label"),
            AdminUnit.code.label("unit_code"),
            AdminUnit.name.label("unit_name"),
            verified.label("last_verified_on"),
            (sa.literal(on) - verified).label("age_days"),
            ageing_sql(verified, sa.literal(on)).label("ageing"),
            Hotspot.case_ref,
            Hotspot.notes,
            *placed_sql(Hotspot, request.lang),
            *(
                column.label(name)
                for column, name in zip(
                    relapse_link(request.scope_unit_id),
                    ("relapse_of_id", "relapse_distance_m"),
                    strict=True,
                )
            ),
            Hotspot.is_demo,
            Hotspot.geom.label("geom"),
        )
        .join(AdminUnit, AdminUnit.id == Hotspot.admin_unit_id)
        .join(latest, sa.true())
        .join(last_change, sa.true())
        .where(Hotspot.deleted_at.is_(None), Hotspot.detected_on <= on)
        .order_by(Hotspot.id)
    )
    return apply_filters(stmt, request, geom=Hotspot.geom, status=status, on=on)


HOTSPOTS = LayerSpec(
    name="hotspots",
    title_vi="Điểm, tụ điểm phức tạp về ma túy",
    title_en="Drug hotspots",
    geometry_type="Point",
    table="hotspot",
    query=_query,
    fields=(
        ID,
        shown(
            "kind",
            "str",
            "Loại",
            "Kind",
            vocabulary="hotspot_kind",
            label_column="kind_label",
            editable=True,
        ),
        shown(
            "status",
            "str",
            "Tình trạng",
            "Status",
            vocabulary="hotspot_status",
            label_column="status_label",
            editable=True,
        ),
        shown("detected_on", "date", "Phát hiện", "Detected", editable=True),
        shown("cleared_on", "date", "Triệt xóa", "Cleared"),
        shown("relapsed_on", "date", "Tái phức tạp", "Relapsed"),
        shown(
            "source",
            "str",
            "Nguồn",
            "Source",
            vocabulary="hotspot_source",
            label_column="source_label",
            editable=True,
        ),
        UNIT_CODE,
        UNIT_NAME,
        exported("last_verified_on", "date", "Kiểm tra lần cuối", "Last verified"),
        shown(
            "age_days",
            "int",
            "Cập nhật cách đây (ngày)",
            "Last verified (days ago)",
            exported=False,
        ),
        Field("ageing", "str", "Thời gian từ lần kiểm tra", "Since verified", vocabulary="ageing"),
        Field(
            "case_ref", "str", "Số hồ sơ vụ việc", "Case reference", editable=True, sensitive=True
        ),
        Field(
            "notes",
            "str",
            "Ghi chú",
            "Notes",
            editable=True,
            sensitive=True,
            max_length=NOTES_MAX_LENGTH,
            help_vi=(
                "Không ghi họ tên, địa chỉ nhà riêng hay bất kỳ thông tin nhận dạng nào của "
                "người nghiện, đối tượng hay người báo tin."
            ),
            help_en=(
                "Do not write names, home addresses or anything else that identifies a drug "
                "user, a suspect or an informant."
            ),
        ),
        PLACED_BY,
        ACCURACY,
        exported("relapse_of_id", "int", "Gần điểm đã triệt xóa", "Near cleared hotspot"),
        exported("relapse_distance_m", "float", "Cách điểm đã triệt xóa (m)", "From it (m)"),
        DEMO,
    ),
    id_field="id",
    tooltip_field="kind",
    filters=("area", "date", "bbox", "status"),
    style=Style(color="#333333", weight=1, fill_opacity=0.9, fill_by=("status", STATUS_COLOURS)),
    tiles=TileSpec(
        "hotspots",
        10,
        properties=("kind", "status"),
        counts_below=True,
        count_flags=("active",),
        counts_over=DENSE_TILE,
    ),
)
