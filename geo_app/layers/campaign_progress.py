"""Campaign progress (tiến độ chuyển hóa): each target unit of a campaign as of a date.

A target's progress is read from its last stored evaluation on or before the date (a human
override counts): recognised, else the share of the checklist's criteria met in four steps, or
"not evaluated" before its first evaluation. The phase is the campaign's phase on the date.
Pre-2025 targets keep their own (old) boundaries. Rows are (campaign, target) pairs: with no
campaign asked for, every campaign's targets are listed, each row naming its campaign.

The same classes are computed in three places that must agree (tests compare them): here (the
features), ``layers/campaign_progress.tiles.sql`` (the tiles) and :func:`progress_class`
(the campaign page's panel).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from geo_app import clock
from geo_app.domain.vocabulary import CAMPAIGN_PROGRESS as PROGRESS_VOCABULARY
from geo_app.layers.base import LayerQuery, LayerSpec, Style, TileSpec
from geo_app.layers.fields import Field, exported, shown
from geo_app.layers.filters import scope_filter, within_area, within_bbox
from geo_app.layers.vocab import label_sql
from geo_app.models import AdminUnit, Campaign, CampaignTarget, Evaluation, Phase

RECOGNISED = "recognised"
NOT_EVALUATED = "not_evaluated"
SHARE_STEPS: tuple[tuple[int, int, str], ...] = (
    (3, 4, "share_high"),
    (1, 2, "share_mid"),
    (1, 4, "share_low"),
)
"""(numerator, denominator, class): the first step whose share of criteria met is reached."""
SHARE_NONE = "share_none"

PROGRESS_COLOURS: dict[str, str] = PROGRESS_VOCABULARY.colours
"""The colours of ``geo_app.domain.vocabulary.CAMPAIGN_PROGRESS``, in legend order."""
PROGRESS_CLASSES: tuple[str, ...] = PROGRESS_VOCABULARY.codes
assert {RECOGNISED, NOT_EVALUATED, SHARE_NONE, *(step[2] for step in SHARE_STEPS)} == set(
    PROGRESS_CLASSES
)


def progress_class(verdict: str | None, met: int | None, total: int | None) -> str:
    """The progress class of a target from its verdict (override applied) and criteria met."""
    if verdict is None:
        return NOT_EVALUATED
    if verdict == RECOGNISED:
        return RECOGNISED
    if met is not None and total:
        for numerator, denominator, name in SHARE_STEPS:
            if met * denominator >= numerator * total:
                return name
    return SHARE_NONE


def _progress_sql(verdict: Any, met: Any, total: Any) -> sa.ColumnElement[str]:
    steps = [
        (sa.and_(total > 0, met * denominator >= total * numerator), sa.literal(name))
        for numerator, denominator, name in SHARE_STEPS
    ]
    return sa.case(
        (verdict.is_(None), sa.literal(NOT_EVALUATED)),
        (verdict == RECOGNISED, sa.literal(RECOGNISED)),
        *steps,
        else_=sa.literal(SHARE_NONE),
    )


def _met_count(criteria: Any) -> sa.ScalarSelect[int]:
    item = sa.func.jsonb_array_elements(criteria).table_valued(
        sa.column("value", JSONB), name="criterion"
    )
    return (
        sa.select(sa.func.count())
        .select_from(item)
        .where(item.c.value["verdict"].astext == "met")
        .scalar_subquery()
    )


def _last_evaluation(on: date) -> Any:
    """Each target's latest evaluation on or before ``on``: verdict (an override wins), and
    how many criteria were met out of how many."""
    criteria = sa.case(
        (sa.func.jsonb_typeof(Evaluation.criteria) == "array", Evaluation.criteria),
        else_=sa.text("'[]'::jsonb"),
    )
    return (
        sa.select(
            sa.func.coalesce(Evaluation.override_verdict, Evaluation.verdict).label("verdict"),
            Evaluation.verdict.label("computed_verdict"),
            Evaluation.evaluated_on.label("evaluated_on"),
            Evaluation.override_reason.label("override_reason"),
            _met_count(criteria).label("met"),
            sa.func.jsonb_array_length(criteria).label("total"),
        )
        .where(
            Evaluation.campaign_id == CampaignTarget.campaign_id,
            Evaluation.admin_unit_id == CampaignTarget.admin_unit_id,
            Evaluation.evaluated_on <= on,
        )
        .order_by(Evaluation.evaluated_on.desc())
        .limit(1)
        .lateral("last_evaluation")
    )


def _phase_on(on: date) -> Any:
    """The campaign phase ``on`` falls in (none before, between or after the phases)."""
    return (
        sa.select(Phase.ordinal, Phase.name_vi, Phase.name_en)
        .where(
            Phase.campaign_id == CampaignTarget.campaign_id,
            Phase.starts_on <= on,
            sa.or_(Phase.ends_on.is_(None), Phase.ends_on >= on),
        )
        .limit(1)
        .lateral("phase_on")
    )


def _geometry(request: LayerQuery) -> Any:
    if not request.simplify_degrees:
        return AdminUnit.geom
    return sa.func.ST_Multi(
        sa.func.ST_SimplifyPreserveTopology(AdminUnit.geom, request.simplify_degrees)
    )


def _query(request: LayerQuery) -> sa.Select[*tuple[Any, ...]]:
    on = request.as_of or clock.today()
    last, phase = _last_evaluation(on), _phase_on(on)
    progress = _progress_sql(last.c.verdict, last.c.met, last.c.total)
    phase_name = (
        phase.c.name_vi
        if request.lang == "vi"
        else sa.func.coalesce(phase.c.name_en, phase.c.name_vi)
    )
    stmt: sa.Select[*tuple[Any, ...]] = (
        sa.select(
            CampaignTarget.id,
            Campaign.id.label("campaign_id"),
            Campaign.code.label("campaign_code"),
            Campaign.title.label("campaign_title"),
            AdminUnit.id.label("unit_id"),
            AdminUnit.code,
            AdminUnit.name,
            AdminUnit.layout,
            progress.label("progress"),
            label_sql("campaign_progress", progress, request.lang).label("progress_label"),
            phase.c.ordinal.label("phase"),
            sa.case(
                (phase.c.ordinal.is_(None), None),
                else_=sa.func.concat(phase.c.ordinal, ". ", phase_name),
            ).label("phase_label"),
            last.c.met.label("criteria_met"),
            last.c.total.label("criteria_total"),
            last.c.verdict,
            label_sql("evaluation_verdict", last.c.verdict, request.lang).label("verdict_label"),
            last.c.computed_verdict,
            last.c.evaluated_on,
            last.c.override_reason.is_not(None).label("overridden"),
            last.c.override_reason,
            _geometry(request).label("geom"),
        )
        .join(Campaign, Campaign.id == CampaignTarget.campaign_id)
        .join(AdminUnit, AdminUnit.id == CampaignTarget.admin_unit_id)
        .outerjoin(last, sa.true())
        .outerjoin(phase, sa.true())
        .where(Campaign.deleted_at.is_(None), scope_filter(request.scope_unit_id, AdminUnit))
        .order_by(Campaign.id, AdminUnit.code, AdminUnit.id)
    )
    if request.campaign_id is not None:
        stmt = stmt.where(CampaignTarget.campaign_id == request.campaign_id)
    if request.area_code is not None:
        stmt = stmt.where(within_area(AdminUnit.geom, request.area_code, on))
    if request.bbox is not None:
        stmt = stmt.where(within_bbox(AdminUnit.geom, request.bbox))
    return stmt


CAMPAIGN_PROGRESS = LayerSpec(
    name="campaign_progress",
    title_vi="Tiến độ chuyển hóa địa bàn mục tiêu",
    title_en="Campaign progress of target areas",
    geometry_type="MultiPolygon",
    table="campaign_target",
    query=_query,
    fields=(
        exported("id", "int", "Mã số", "Id"),
        Field("campaign_id", "int", "Mã số kế hoạch", "Campaign id"),
        shown("name", "str", "Tên", "Name"),
        shown("code", "str", "Mã", "Code"),
        shown("campaign_code", "str", "Kế hoạch", "Campaign"),
        Field("campaign_title", "str", "Tên kế hoạch", "Campaign title"),
        Field("unit_id", "int", "Mã số địa bàn", "Area id"),
        exported("layout", "str", "Địa giới", "Layout"),
        shown(
            "progress",
            "str",
            "Tiến độ",
            "Progress",
            vocabulary="campaign_progress",
            label_column="progress_label",
        ),
        exported("phase", "int", "Giai đoạn số", "Phase number"),
        shown("phase_label", "str", "Giai đoạn", "Phase", exported=False),
        shown("criteria_met", "int", "Số tiêu chí đạt", "Criteria met"),
        shown("criteria_total", "int", "Tổng số tiêu chí", "Criteria"),
        shown(
            "verdict",
            "str",
            "Kết luận",
            "Verdict",
            vocabulary="evaluation_verdict",
            label_column="verdict_label",
        ),
        exported(
            "computed_verdict",
            "str",
            "Kết luận tính toán",
            "Computed verdict",
            vocabulary="evaluation_verdict",
        ),
        shown("evaluated_on", "date", "Ngày đánh giá", "Evaluated on"),
        exported("overridden", "bool", "Kết luận đã điều chỉnh", "Verdict overridden"),
        shown(
            "override_reason",
            "str",
            "Lý do điều chỉnh kết luận",
            "Reason of the override",
            exported=False,
        ),
    ),
    id_field="id",
    tooltip_field="name",
    filters=("area", "date", "bbox", "campaign"),
    style=Style(
        color="#333333",
        weight=1.2,
        fill_color=PROGRESS_COLOURS[NOT_EVALUATED],
        fill_opacity=0.75,
        fill_by=("progress", PROGRESS_COLOURS),
    ),
    tiles=TileSpec(
        "campaign_progress",
        properties=(
            "code",
            "name",
            "progress",
            "phase",
            "met",
            "total",
            "verdict",
            "evaluated_on",
            "overridden",
        ),
        request_params=("campaign",),
    ),
)
