"""Count, page, get and collect one layer's features; PostGIS writes the GeoJSON.

Every function first checks the query (:func:`check`): an unknown layer, area or campaign is a
404 and a filter or value the layer does not honour a 400, each with a message in the query's
language, so a mistake never reads as "no features". Values are returned as stored, never
HTML-escaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ClauseElement, Executable

from geo_app.errors import InvalidInput, NotFound
from geo_app.features.query import FeatureQuery
from geo_app.layers import REGISTRY
from geo_app.layers.base import Lang, LayerSpec, requested_filters
from geo_app.layers.vocab import LABELS
from geo_app.models import AdminUnit, Campaign

ESTIMATE_ABOVE = 100_000
"""Above this many rows (the planner's estimate) a count is that estimate, not an exact
count: counting a big result exactly costs as much as reading it (pygeoapi does the same)."""


@dataclass(frozen=True)
class Count:
    """How many features match; ``estimated`` when it is the planner's estimate."""

    value: int
    estimated: bool


@dataclass(frozen=True)
class Collection:
    """One page of features as GeoJSON, how many match, and where the next/previous pages
    start (offsets: the web layer turns them into links)."""

    features: list[dict[str, Any]]
    matched: Count
    next_offset: int | None
    prev_offset: int | None

    @property
    def geojson(self) -> dict[str, Any]:
        return {
            "type": "FeatureCollection",
            "features": self.features,
            "numberMatched": self.matched.value,
            "numberMatchedIsEstimate": self.matched.estimated,
            "numberReturned": len(self.features),
        }


def _say(lang: Lang, vi: str, en: str) -> str:
    return vi if lang == "vi" else en


def layer(name: str, lang: Lang) -> LayerSpec:
    """The registered layer ``name``; 404 naming the known ones."""
    spec = REGISTRY.get(name)
    if spec is None:
        known = ", ".join(sorted(REGISTRY))
        raise NotFound(
            _say(
                lang,
                f"không có lớp «{name}»; các lớp: {known}",
                f"no layer «{name}»; known: {known}",
            )
        )
    return spec


def check(session: Session, q: FeatureQuery) -> LayerSpec:
    """The query's layer, once the query is known to be answerable as asked."""
    spec = layer(q.layer, q.lang)
    unsupported = ", ".join(sorted(requested_filters(q.filters) - set(spec.filters)))
    if unsupported:
        raise InvalidInput(
            _say(
                q.lang,
                f"lớp {spec.name} không có bộ lọc {unsupported}",
                f"layer {spec.name} has no filter {unsupported}",
            )
        )
    _check_status(spec, q)
    _check_area(session, q)
    _check_campaign(session, q)
    _check_names(spec, q)
    return spec


def status_codes(spec: LayerSpec) -> tuple[str, ...]:
    """The values the layer's status filter accepts: its status field's vocabulary or codes."""
    status = spec.field("status")
    if status.vocabulary is not None:
        return tuple(LABELS[status.vocabulary])
    return status.codes


def _check_status(spec: LayerSpec, q: FeatureQuery) -> None:
    if not q.filters.status:
        return
    codes = status_codes(spec)
    unknown = [value for value in q.filters.status if value not in codes]
    if unknown:
        wrong, allowed = ", ".join(unknown), ", ".join(codes)
        raise InvalidInput(
            _say(
                q.lang,
                f"tình trạng «{wrong}» không có ở lớp {spec.name}; chọn trong: {allowed}",
                f"status «{wrong}» is not one of layer {spec.name}'s: {allowed}",
            )
        )


def _check_area(session: Session, q: FeatureQuery) -> None:
    """The area must be a unit code of some version (a closed one reads as of its dates)."""
    code = q.filters.area_code
    if code is None:
        return
    if not session.scalar(sa.select(sa.exists().where(AdminUnit.code == code))):
        raise NotFound(_say(q.lang, f"không có địa bàn «{code}»", f"no area «{code}»"))


def _check_campaign(session: Session, q: FeatureQuery) -> None:
    campaign = q.filters.campaign_id
    if campaign is None:
        return
    found = session.scalar(
        sa.select(sa.exists().where(Campaign.id == campaign, Campaign.deleted_at.is_(None)))
    )
    if not found:
        raise NotFound(_say(q.lang, f"không có kế hoạch «{campaign}»", f"no campaign «{campaign}»"))


def _check_names(spec: LayerSpec, q: FeatureQuery) -> None:
    """Properties and sort keys must be columns the asker may see (a sensitive one reads as
    unknown to whoever may not see it)."""
    allowed = spec.columns(sensitive=q.sensitive)
    asked = [*(q.properties or ()), *(name.removeprefix("-") for name in q.sort)]
    unknown = [name for name in asked if name not in allowed]
    if unknown:
        raise InvalidInput(
            _say(
                q.lang,
                f"lớp {spec.name} không có trường {', '.join(unknown)}",
                f"layer {spec.name} has no property {', '.join(unknown)}",
            )
        )


def _properties(spec: LayerSpec, q: FeatureQuery) -> tuple[str, ...]:
    return q.properties if q.properties is not None else spec.columns(sensitive=q.sensitive)


def _ordered(spec: LayerSpec, q: FeatureQuery) -> sa.Select[Any]:
    """The layer's select in the asked order (its own by default), one page of it."""
    stmt: sa.Select[Any] = spec.build_query(q.filters)
    if q.sort:
        inner = stmt.subquery("q")
        keys = [
            inner.c[name[1:]].desc() if name.startswith("-") else inner.c[name] for name in q.sort
        ]
        stmt = sa.select(inner).order_by(*keys, inner.c[spec.id_field])
    if q.limit is not None:
        stmt = stmt.limit(q.limit)
    if q.offset:
        stmt = stmt.offset(q.offset)
    return stmt


def _geojson(
    session: Session, stmt: sa.Select[Any], properties: tuple[str, ...], decimals: int
) -> list[dict[str, Any]]:
    """PostGIS turns the rows into GeoJSON features carrying only ``properties``."""
    rows = stmt.subquery("t")
    shaped = sa.select(*(rows.c[name] for name in properties), rows.c.geom).subquery("f")
    feature = sa.func.ST_AsGeoJSON(sa.literal_column(shaped.name), "geom", decimals)
    aggregate = sa.func.coalesce(sa.func.json_agg(sa.cast(feature, sa.JSON)), sa.text("'[]'::json"))
    features: list[dict[str, Any]] = session.execute(
        sa.select(aggregate).select_from(shaped)
    ).scalar_one()
    return features


def collection(
    session: Session, q: FeatureQuery, *, estimate_above: int = ESTIMATE_ABOVE
) -> Collection:
    """One page of the layer's features as a GeoJSON FeatureCollection, with the count."""
    spec = check(session, q)
    features = _geojson(session, _ordered(spec, q), _properties(spec, q), q.decimals)
    returned = len(features)
    if q.limit is None or (returned < q.limit and (returned > 0 or q.offset == 0)):
        matched = Count(q.offset + returned, estimated=False)  # the last page: no count needed
    else:
        matched = _count(session, spec, q, estimate_above)
    more = matched.estimated or q.offset + returned < matched.value
    next_offset = q.offset + returned if q.limit is not None and returned and more else None
    prev_offset = max(q.offset - (q.limit or q.offset), 0) if q.offset else None
    return Collection(features, matched, next_offset, prev_offset)


def page(session: Session, q: FeatureQuery) -> list[dict[str, Any]]:
    """One page of the layer's features as rows of properties, without geometry."""
    spec = check(session, q)
    rows = _ordered(spec, q).subquery("t")
    selected = sa.select(*(rows.c[name] for name in _properties(spec, q)))
    return [dict(row) for row in session.execute(selected).mappings()]


def selection(session: Session, q: FeatureQuery) -> sa.Select[Any]:
    """Every matching row (its properties and ``geom``, in the layer's order), unexecuted: for
    readers that shape the geometry in SQL and stream the rows in chunks (exports)."""
    spec = check(session, q)
    rows = _ordered(spec, q).subquery("t")
    return sa.select(*(rows.c[name] for name in _properties(spec, q)), rows.c.geom)


def get(session: Session, q: FeatureQuery, feature_id: str) -> dict[str, Any]:
    """The feature whose id field is ``feature_id``, under the query's filters and scope."""
    spec = check(session, q)
    inner = spec.build_query(q.filters).subquery("q")
    one = sa.select(inner).where(sa.cast(inner.c[spec.id_field], sa.String) == feature_id)
    found = _geojson(session, one.limit(1), _properties(spec, q), q.decimals)
    if not found:
        raise NotFound(
            _say(
                q.lang,
                f"không có đối tượng «{feature_id}» trong lớp {spec.name}",
                f"no feature «{feature_id}» in layer {spec.name}",
            )
        )
    return found[0]


def count(session: Session, q: FeatureQuery, *, estimate_above: int = ESTIMATE_ABOVE) -> Count:
    """How many features match: exact up to ``estimate_above``, the planner's estimate above."""
    return _count(session, check(session, q), q, estimate_above)


def _count(session: Session, spec: LayerSpec, q: FeatureQuery, estimate_above: int) -> Count:
    stmt = spec.build_query(q.filters).order_by(None)
    plan = session.execute(_Explain(stmt)).scalar_one()
    estimate = int(plan[0]["Plan"]["Plan Rows"])
    if estimate > estimate_above:
        return Count(estimate, estimated=True)
    exact = session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery("c")))
    return Count(int(exact or 0), estimated=False)


class _Explain(Executable, ClauseElement):
    """``EXPLAIN (FORMAT JSON)`` of a select, with its bound parameters kept."""

    inherit_cache = False

    def __init__(self, stmt: sa.Select[Any]) -> None:
        self.stmt = stmt


@compiles(_Explain, "postgresql")
def _compile_explain(element: _Explain, compiler: Any, **kw: Any) -> str:
    return "EXPLAIN (FORMAT JSON) " + str(compiler.process(element.stmt, **kw))
