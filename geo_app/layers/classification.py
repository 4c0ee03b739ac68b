"""Classification (phân loại xã): units coloured by their stored class as of a month.

Which units: the communes in force on the as-of date (the 2025 communes from 1 July 2025, the
older ones before), and the hamlets and residential groups that have a stored classification.
Which class: the latest stored ``classification`` of a month on or before the as-of date (a
briefing about October shows what was decided for October or, if nothing was, the month
before). A unit with no stored classification at all is ``no_data`` ("chưa có số liệu"), which
is not ``insufficient_data`` (classified, but an input that could change the class was missing).

Why a unit has its class, in the page's language: the criteria that fired, or for
``insufficient_data`` the inputs that were missing. The tiles (``classification.tiles.sql``)
carry the same properties in both languages and read their labels from ``TILE_PARAMS``.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import aliased
from sqlalchemy.sql.selectable import LateralFromClause

from geo_app import clock, urls
from geo_app.domain.classification import FLAG_LABELS
from geo_app.domain.indicators import LABELS as INDICATOR_LABELS
from geo_app.domain.vocabulary import (
    CLASSIFICATION_CLASSES,
    INSUFFICIENT,
    MAP_CLASSES,
    NO_DATA,
)
from geo_app.layers.admin_units import in_force
from geo_app.layers.base import Lang, LayerQuery, LayerSpec, Style, TileSpec
from geo_app.layers.fields import DEMO, Field, exported, shown
from geo_app.layers.filters import scope_filter
from geo_app.layers.vocab import label_sql
from geo_app.models import AdminUnit, Classification

# Aliases of the unit table are made once: making one (its geometry and key columns proxied)
# costs milliseconds, which every page paid several times over when each query made its own.
_ANCESTORS = (aliased(AdminUnit), aliased(AdminUnit), aliased(AdminUnit))
_AREA = aliased(AdminUnit)

CLASSES: tuple[str, ...] = MAP_CLASSES
"""Legend order: the five classes from the most serious, then the two kinds of "unknown"."""
CLASS_COLOURS: dict[str, str] = CLASSIFICATION_CLASSES.colours
"""DESIGN §4 colours (``geo_app.domain.vocabulary``); insufficient data is hatched on the map."""

HATCH_ID = "geo-app-hatch"
"""The SVG pattern (grey with diagonal lines) that ``geo_app.maps.legend`` puts in the page."""
FILL: dict[str, str] = {
    **CLASS_COLOURS,
    INSUFFICIENT: f"url(#{HATCH_ID}) {CLASS_COLOURS[INSUFFICIENT]}",
}
"""Map fills: the hatch pattern for insufficient data, with its grey as the SVG fallback."""

SUBUNIT_MIN_ZOOM = 11  # hamlets and residential groups appear in tiles from here, as elsewhere
LINK_PREFIX = urls.COMMUNE_PREFIX

_DERIVED_LABELS: dict[str, tuple[str, str]] = {
    "population": ("Dân số", "Population"),
    "active_hotspots": ("Tụ điểm, điểm bán lẻ, điểm phức tạp đang hoạt động", "Active hotspots"),
    "plants": ("Số cây có chứa chất ma túy", "Drug plants"),
    "plant_area_m2": ("Diện tích trồng cây có chứa chất ma túy (m²)", "Drug plant area (m²)"),
    **FLAG_LABELS,
}
INPUT_LABELS: dict[str, tuple[str, str]] = {**dict(INDICATOR_LABELS), **_DERIVED_LABELS}
"""Names of the inputs a classification may be missing, in both languages."""
MISSING_PREFIX: dict[Lang, str] = {"vi": "Thiếu số liệu: ", "en": "Missing: "}
CRITERIA_SEPARATOR = "; "
MISSING_SEPARATOR = ", "

TILE_PARAMS: tuple[tuple[str, str], ...] = (
    ("input_labels", json.dumps({k: list(v) for k, v in INPUT_LABELS.items()}, ensure_ascii=False)),
    ("missing_vi", MISSING_PREFIX["vi"]),
    ("missing_en", MISSING_PREFIX["en"]),
    ("link", LINK_PREFIX),
)
"""Bound into ``classification.tiles.sql`` so its words come from this module."""
TILE_PROPERTIES = (
    "code",
    "name",
    "level",
    "class",
    "month",
    "rule_set",
    "criteria_vi",
    "criteria_en",
    "link",
)

FIELDS = (
    Field("id", "int", "Mã số phiên bản", "Version id"),
    shown("name", "str", "Tên", "Name"),
    shown("code", "str", "Mã", "Code"),
    Field("kind", "str", "Loại", "Kind"),
    exported("level", "str", "Cấp", "Level"),
    exported("parent_code", "str", "Mã đơn vị cấp trên", "Parent code"),
    shown(
        "class",
        "str",
        "Phân loại",
        "Class",
        vocabulary="classification_class",
        label_column="class_label",
    ),
    Field("status", "str", "Phân loại", "Class", vocabulary="classification_class"),
    shown("criteria", "str", "Tiêu chí", "Criteria"),
    shown("month", "str", "Tháng số liệu", "Data month"),
    exported("rule_set", "str", "Bộ tiêu chí", "Rule set"),
    shown("parent_name", "str", "Thuộc", "Part of", exported=False),
    Field("link", "str", "Bản đồ", "Map"),
    DEMO,
)
"""``status`` repeats ``class`` for the status filter; tiles carry ``criteria`` in both
languages (``criteria_vi``, ``criteria_en``)."""


def latest_classification(unit: Any, on: date) -> LateralFromClause:
    """The unit's latest stored classification of a month on or before ``on`` (a LATERAL)."""
    return (
        sa.select(
            sa.cast(Classification.class_, sa.String).label("class"),
            Classification.month.label("month"),
            Classification.rule_set.label("rule_set"),
            Classification.criteria.label("criteria"),
            Classification.missing.label("missing"),
        )
        .where(Classification.admin_unit_id == unit.id, Classification.month <= on)
        .order_by(
            Classification.month.desc(), Classification.computed_at.desc(), Classification.id.desc()
        )
        .limit(1)
        .lateral("latest")
    )


def _criteria_text(criteria: Any, lang: Lang) -> sa.ScalarSelect[Any]:
    item = sa.func.jsonb_array_elements(criteria).table_valued(
        sa.column("value", JSONB), name="criterion"
    )
    text = item.c.value.op("->>")(f"text_{lang}")
    return sa.select(sa.func.string_agg(text, CRITERIA_SEPARATOR)).scalar_subquery()


def _missing_text(missing: Any, lang: Lang) -> sa.ColumnElement[Any]:
    item = sa.func.jsonb_array_elements_text(missing).table_valued(
        sa.column("value", sa.String), name="input"
    )
    index = 0 if lang == "vi" else 1
    label = sa.case(
        *((item.c.value == name, pair[index]) for name, pair in INPUT_LABELS.items()),
        else_=item.c.value,
    )
    names = sa.select(sa.func.string_agg(label, MISSING_SEPARATOR)).scalar_subquery()
    return sa.literal(MISSING_PREFIX[lang]) + names


def reason_sql(latest: Any, lang: Lang) -> sa.ColumnElement[Any]:
    """Why: the criteria that fired, or for insufficient data the inputs that were missing."""
    return sa.case(
        (latest.c["class"] == INSUFFICIENT, _missing_text(latest.c.missing, lang)),
        else_=_criteria_text(latest.c.criteria, lang),
    )


def class_sql(latest: Any) -> sa.ColumnElement[str]:
    return sa.func.coalesce(latest.c["class"], sa.literal(NO_DATA))


def _in_area(code: str, on: date, parent: Any, grand: Any, great: Any) -> sa.ColumnElement[bool]:
    """The unit ``code`` (its version in force on ``on``) and the units under it."""
    area = _AREA
    area_geom = (
        sa.select(area.geom).where(area.code == code, in_force(area, on)).limit(1).scalar_subquery()
    )
    return sa.and_(
        # The bounding boxes (GiST index) pick the candidates; the parent chain says which belong.
        AdminUnit.geom.op("&&")(area_geom),
        sa.or_(
            AdminUnit.code == code,
            parent.code == code,
            grand.code == code,
            great.code == code,
        ),
    )


def _classified_by(on: date) -> sa.Exists:
    """The unit has a stored classification of a month on or before ``on``."""
    return sa.exists().where(
        Classification.admin_unit_id == AdminUnit.id, Classification.month <= on
    )


def _query(request: LayerQuery) -> sa.Select[*tuple[Any, ...]]:
    on = request.as_of or clock.today()
    parent, grand, great = _ANCESTORS
    latest = latest_classification(AdminUnit, on)
    level = sa.cast(AdminUnit.level, sa.String)
    klass = class_sql(latest)
    geom: Any = AdminUnit.geom
    if request.simplify_degrees:
        geom = sa.func.ST_Multi(
            sa.func.ST_SimplifyPreserveTopology(AdminUnit.geom, request.simplify_degrees)
        )
    link = sa.case((level == "commune", sa.func.concat(LINK_PREFIX, AdminUnit.code)))
    stmt: sa.Select[*tuple[Any, ...]] = (
        sa.select(
            AdminUnit.id,
            AdminUnit.code,
            AdminUnit.name,
            AdminUnit.kind,
            level.label("level"),
            parent.code.label("parent_code"),
            parent.name.label("parent_name"),
            klass.label("class"),
            klass.label("status"),  # the status filter's column: the class code
            label_sql("classification_class", klass, request.lang).label("class_label"),
            sa.func.to_char(latest.c.month, "YYYY-MM").label("month"),
            latest.c.rule_set.label("rule_set"),
            reason_sql(latest, request.lang).label("criteria"),
            link.label("link"),
            AdminUnit.is_demo,
            geom.label("geom"),
        )
        .outerjoin(parent, parent.id == AdminUnit.parent_id)
        .outerjoin(grand, grand.id == parent.parent_id)
        .outerjoin(great, great.id == grand.parent_id)
        .outerjoin(latest, sa.true())
        .where(
            level.in_(("commune", "hamlet", "residential_group")),
            # A sub-unit shows once classified; asked of the unit itself, so the parent chain
            # and the latest row are read only for the rows shown (not every hamlet of the area).
            sa.or_(level == "commune", _classified_by(on)),
            in_force(AdminUnit, on),
            scope_filter(request.scope_unit_id, AdminUnit),
        )
        .order_by(sa.case((level == "commune", 0), (level == "hamlet", 1), else_=2), AdminUnit.code)
    )
    if request.area_code is not None:
        stmt = stmt.where(_in_area(request.area_code, on, parent, grand, great))
    if request.bbox is not None:
        stmt = stmt.where(AdminUnit.geom.intersects(sa.func.ST_MakeEnvelope(*request.bbox, 4326)))
    if request.status:
        stmt = stmt.where(klass.in_(request.status))
    return stmt


def months_query(
    area_code: str, window: tuple[date, date | None], scope_unit_id: int | None
) -> sa.Select[date]:
    """The months (newest first) with a stored classification of a unit in the area, while the
    area's version was in force (``window`` = its valid_from, valid_to), inside the scope."""
    valid_from, valid_to = window
    parent, grand, great = _ANCESTORS
    stmt = (
        sa.select(Classification.month)
        .join(AdminUnit, AdminUnit.id == Classification.admin_unit_id)
        .outerjoin(parent, parent.id == AdminUnit.parent_id)
        .outerjoin(grand, grand.id == parent.parent_id)
        .outerjoin(great, great.id == grand.parent_id)
        .where(
            _in_area(area_code, valid_from, parent, grand, great),
            sa.or_(AdminUnit.valid_to.is_(None), AdminUnit.valid_to > valid_from),
            Classification.month >= valid_from.replace(day=1),
            scope_filter(scope_unit_id, AdminUnit),
        )
        .group_by(Classification.month)
        .order_by(Classification.month.desc())
    )
    if valid_to is not None:
        stmt = stmt.where(AdminUnit.valid_from < valid_to, Classification.month < valid_to)
    return stmt


CLASSIFICATION = LayerSpec(
    name="classification",
    title_vi="Phân loại xã, phường",
    title_en="Communes and wards by classification",
    geometry_type="MultiPolygon",
    table="classification",
    query=_query,
    fields=FIELDS,
    id_field="code",
    tooltip_field="name",
    filters=("area", "date", "bbox", "status"),
    style=Style(
        color="#4a4a4a",
        weight=0.7,
        fill_color=CLASS_COLOURS[NO_DATA],
        fill_opacity=0.78,
        fill_by=("class", FILL),
    ),
    link_field="link",
    tiles=TileSpec("classification", 7, properties=TILE_PROPERTIES, params=TILE_PARAMS),
)
