"""Hotspots (điểm, tụ điểm phức tạp về ma túy): kind, status as of a date, ageing.

The status shown is the one in force on the requested date, read from the dated history
(``hotspot_status_change``), so a month selector can replay clearances and relapses.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from geo_app import clock
from geo_app.domain.vocabulary import HOTSPOT_STATUSES
from geo_app.layers.base import ExportField, LabelledField, LayerQuery, LayerSpec, Style, TileSpec
from geo_app.layers.filters import apply_filters
from geo_app.layers.vocab import ageing_sql, label_sql
from geo_app.models import AdminUnit, Hotspot, HotspotStatusChange

STATUS_COLOURS = HOTSPOT_STATUSES.colours


def _query(request: LayerQuery) -> sa.Select[*tuple[Any, ...]]:
    on = request.as_of or clock.today()
    latest = (
        sa.select(
            HotspotStatusChange.status.label("status"),
            HotspotStatusChange.changed_on.label("changed_on"),
        )
        .where(HotspotStatusChange.hotspot_id == Hotspot.id, HotspotStatusChange.changed_on <= on)
        .order_by(HotspotStatusChange.changed_on.desc(), HotspotStatusChange.id.desc())
        .limit(1)
        .lateral("latest")
    )
    status = sa.func.coalesce(
        sa.cast(latest.c.status, sa.String), sa.cast(Hotspot.status, sa.String)
    )
    verified = sa.func.greatest(latest.c.changed_on, Hotspot.detected_on)
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
            label_sql("hotspot_source", Hotspot.source, request.lang).label("source_label"),
            AdminUnit.code.label("unit_code"),
            AdminUnit.name.label("unit_name"),
            verified.label("last_verified_on"),
            (sa.literal(on) - verified).label("age_days"),
            ageing_sql(verified, sa.literal(on)).label("ageing"),
            Hotspot.case_ref,
            Hotspot.notes,
            Hotspot.is_demo,
            Hotspot.geom.label("geom"),
        )
        .join(AdminUnit, AdminUnit.id == Hotspot.admin_unit_id)
        .outerjoin(latest, sa.true())
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
    popup_fields=(
        LabelledField("kind_label", "Loại", "Kind"),
        LabelledField("status_label", "Tình trạng", "Status"),
        LabelledField("detected_on", "Phát hiện", "Detected"),
        LabelledField("cleared_on", "Triệt xóa", "Cleared"),
        LabelledField("relapsed_on", "Tái phức tạp", "Relapsed"),
        LabelledField("source_label", "Nguồn", "Source"),
        LabelledField("unit_name", "Địa bàn", "Area"),
        LabelledField("age_days", "Cập nhật cách đây (ngày)", "Last verified (days ago)"),
    ),
    tooltip_field="kind_label",
    filters=("area", "date", "bbox", "status"),
    export_fields=(
        ExportField("id", "int"),
        ExportField("kind", "str"),
        ExportField("status", "str"),
        ExportField("detected_on", "date"),
        ExportField("cleared_on", "date"),
        ExportField("relapsed_on", "date"),
        ExportField("unit_code", "str"),
        ExportField("last_verified_on", "date"),
        ExportField("is_demo", "bool"),
    ),
    style=Style(color="#333333", weight=1, fill_opacity=0.9, fill_by=("status", STATUS_COLOURS)),
    tiles=TileSpec(
        "hotspots", 10, properties=("kind", "status"), counts_below=True, count_flags=("active",)
    ),
)
