"""The summary panel: communes per class, hotspots per status, board and box coverage.

What a briefing reads beside the map, for an area (a province, a commune, or the whole country)
on a date, always inside the user's scope. Each figure counts by the map's own rule, so the
panel and the map agree:

- **Area**: a province or commune code of the 2025 map (in force on ``on``, or on 1 July 2025
  for an earlier date), else the unit with that code in force on ``on``.
- **Communes**: those in force on ``on`` (the 2025 communes from 1 July 2025, the older ones
  before, as the classification layer draws them); in the area by the parent chain (directly or
  through a district), or, when the area was not yet in force on ``on``, by territory (their
  ``ST_PointOnSurface`` inside it, as the statutory table compares years); in the scope by
  ``layers.filters.scope_filter``.
- **Class** of a commune: its latest stored classification of a month on or before ``on``
  (``layers.classification.latest_classification``); none is ``no_data``.
- **Hotspots** by the hotspots layer's rule (``layers/hotspots.py``, ``hotspots.tiles.sql``):
  detected by ``on``, not soft-deleted, the status on ``on`` by the one SQL rule
  (``hotspot_status_on``, migration 0006); inside the scope (``layers.filters.within_scope``)
  and the area's geometry (``within_area``).
- **Relapse candidates**: hotspots flagged near a cleared one, by the one rule of
  ``services/relapse.py`` (``candidate_on``), inside the scope and the area.
- **Boards and boxes** by the facilities layers' rule (``layers/facilities.py``): installed by
  ``on`` or undated, not soft-deleted, with the ageing of their last check (boards) or opening
  (boxes: their own date or an inspection) on ``on`` (``vocab.ageing_sql``: under 30 days,
  under 90, older, never); those marked missing are gone and not counted. Ageing counts the
  boards and boxes; a commune is covered when it owns at least one (see ``_owned``).

The facility rules are written here as set-based SQL (one pass, not a lookup per row) so the
panel stays fast nationally, and hotspots read the SQL rule in its set form; tests check that
they count exactly what the layers list.

Two round trips: the area (with its scope check), then every figure in one statement, built
once per shape with bound parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from geo_app.domain.vocabulary import AGEING, HOTSPOT_STATUSES, LAYOUTS
from geo_app.errors import NotFound
from geo_app.layers.admin_units import in_force
from geo_app.layers.classification import CLASSES, NO_DATA, latest_classification
from geo_app.layers.filters import scope_filter, scope_geometry, within_scope
from geo_app.layers.vocab import ageing_sql
from geo_app.models import (
    AdminLevel,
    AdminUnit,
    FacilityCondition,
    HotlineBoard,
    Hotspot,
    TipoffBox,
    TipoffInspection,
)
from geo_app.services.accounts.scope import OutOfScope
from geo_app.services.relapse import candidate_on

# Aliases of the unit table are made once: making one (its geometry and key columns proxied)
# costs milliseconds, which every page paid several times over when each query made its own.
_AREA = aliased(AdminUnit, name="area")
_DISTRICT = aliased(AdminUnit, name="district")
_CHILD = aliased(AdminUnit, name="child")
_FILED_CHAIN = (
    aliased(AdminUnit, name="filed_unit"),
    aliased(AdminUnit, name="filed_parent"),
    aliased(AdminUnit, name="filed_grandparent"),
)

MAP_LAYOUT_START = LAYOUTS["2025"].starts_on
"""The first day of the 2025 map, whose provinces and communes an early date still finds."""

CLASS_KEYS: tuple[str, ...] = CLASSES
"""The classification layer's legend: the five classes, insufficient data, no data."""
HOTSPOT_KEYS: tuple[str, ...] = HOTSPOT_STATUSES.codes
AGEING_KEYS: tuple[str, ...] = AGEING.codes
AREA_LEVELS = (AdminLevel.province, AdminLevel.commune)


@dataclass(frozen=True)
class Area:
    """The unit a summary is about."""

    id: int
    code: str
    name: str
    level: str


@dataclass(frozen=True)
class Coverage:
    """Hotline boards or tip-off boxes: communes covered, and the standing ones by ageing."""

    communes_covered: int
    communes: int
    ageing: dict[str, int]

    @property
    def installed(self) -> int:
        return sum(self.ageing.values())

    @property
    def share(self) -> Fraction | None:
        """Covered communes as an exact fraction (None when there are no communes)."""
        return Fraction(self.communes_covered, self.communes) if self.communes else None


@dataclass(frozen=True)
class Summary:
    """The panel's figures for one area (None = the whole country) on one date."""

    on: date
    area: Area | None
    scope_unit_id: int | None
    communes: int
    classes: dict[str, int]
    hotspots: dict[str, int]
    boards: Coverage
    boxes: Coverage
    relapse_candidates: int
    """Hotspots flagged near a cleared one (``services.relapse``)."""

    @property
    def hotspots_total(self) -> int:
        return sum(self.hotspots.values())

    def class_share(self, key: str) -> Fraction | None:
        return Fraction(self.classes[key], self.communes) if self.communes else None

    def as_dict(self) -> dict[str, Any]:
        """Plain figures for JSON (shares as exact fractions "n/d" and as floats)."""

        def share(value: Fraction | None) -> dict[str, Any]:
            return {
                "exact": None if value is None else str(value),
                "value": None if value is None else float(value),
            }

        def coverage(item: Coverage) -> dict[str, Any]:
            return {
                "communes_covered": item.communes_covered,
                "communes": item.communes,
                "share": share(item.share),
                "installed": item.installed,
                "ageing": dict(item.ageing),
            }

        return {
            "on": self.on.isoformat(),
            "area": None
            if self.area is None
            else {"code": self.area.code, "name": self.area.name, "level": self.area.level},
            "scoped": self.scope_unit_id is not None,
            "communes": self.communes,
            "classes": {
                key: {"count": self.classes[key], "share": share(self.class_share(key))}
                for key in CLASS_KEYS
            },
            "hotspots": {**self.hotspots, "total": self.hotspots_total},
            "relapse_candidates": self.relapse_candidates,
            "boards": coverage(self.boards),
            "boxes": coverage(self.boxes),
        }


def area_day(on: date) -> date:
    """The day of the 2025 map nearest ``on``, where an area code is looked up first."""
    return max(on, MAP_LAYOUT_START)


def summary(
    session: Session, *, area_code: str | None, on: date, scope_unit_id: int | None
) -> Summary:
    """The panel's figures for ``area_code`` (a province or commune code; None = the whole
    country, i.e. all of the scope) on ``on``, inside ``scope_unit_id`` (None = national).

    Raises NotFound (404) for a code that is no province or commune (on ``on`` or on the 2025
    map), and OutOfScope (403) for an area outside the scope.
    """
    params: dict[str, Any] = {"on": on, "day": area_day(on), "scope": scope_unit_id}
    scoped = scope_unit_id is not None
    area = None
    by_territory = False
    if area_code is not None:
        row = session.execute(_area_statement(scoped), {**params, "code": area_code}).first()
        if row is None:
            raise NotFound(f"no province or commune with code {area_code!r} on {on.isoformat()}")
        if not row.in_scope:
            raise OutOfScope(f"area {area_code} is outside your scope")
        area = Area(id=row.id, code=row.code, name=row.name, level=row.level)
        by_territory = not row.in_force_on
        params.update(area_id=area.id)
    shape = None if area is None else area.level
    rows = session.execute(_figures(shape, by_territory, scoped), params).all()
    found: dict[str, dict[str, int]] = {}
    for kind, key, count in rows:
        found.setdefault(kind, {})[key] = int(count)
    classes = {key: found.get("class", {}).get(key, 0) for key in CLASS_KEYS}
    communes = sum(classes.values())

    def coverage(name: str) -> Coverage:
        return Coverage(
            communes_covered=found.get(f"{name}_covered", {}).get("", 0),
            communes=communes,
            ageing={age: found.get(name, {}).get(age, 0) for age in AGEING_KEYS},
        )

    return Summary(
        on=on,
        area=area,
        scope_unit_id=scope_unit_id,
        communes=communes,
        classes=classes,
        hotspots={key: found.get("hotspot", {}).get(key, 0) for key in HOTSPOT_KEYS},
        boards=coverage("boards"),
        boxes=coverage("boxes"),
        relapse_candidates=found.get("relapse", {}).get("", 0),
    )


# The statements are built once per shape with bound parameters (building them costs more than
# running them): on (the date), day (area_day(on)), scope (the scope unit id or NULL), code
# (the area asked) and area_id (the area found).
ON: Any = sa.bindparam("on", type_=sa.Date)
DAY: Any = sa.bindparam("day", type_=sa.Date)
SCOPE: Any = sa.bindparam("scope", type_=sa.BigInteger)
AREA_ID: Any = sa.bindparam("area_id", type_=sa.BigInteger)


@cache
def _area_statement(scoped: bool) -> sa.Select[*tuple[Any, ...]]:
    """The province or commune ``:code`` of the 2025 map (in force on ``:day``), else the one in
    force on ``:on``; whether it was in force on ``:on``, and whether it is in the scope.

    The 2025 map first: the pages are about its units, and a 2025 code may be the code of
    another, older unit too (29242 was Phường 3 before the merger, Phường Trà Vinh after).
    """
    in_force_on = in_force(AdminUnit, ON)
    on_map = in_force(AdminUnit, DAY)
    return (
        sa.select(
            AdminUnit.id,
            AdminUnit.code,
            AdminUnit.name,
            sa.cast(AdminUnit.level, sa.String).label("level"),
            in_force_on.label("in_force_on"),
            scope_filter(SCOPE if scoped else None).label("in_scope"),
        )
        .where(
            AdminUnit.code == sa.bindparam("code", type_=sa.String),
            AdminUnit.level.in_(AREA_LEVELS),
            sa.or_(on_map, in_force_on),
        )
        .order_by(on_map.desc(), AdminUnit.id)
        .limit(1)
    )


@cache
def _figures(area_level: str | None, by_territory: bool, scoped: bool) -> sa.CompoundSelect:
    """One statement, rows of (kind, key, count): ``class`` per class key, ``hotspot`` per
    status, ``relapse`` (key ''), ``boards``/``boxes`` per ageing, ``boards_covered``/
    ``boxes_covered`` (key '')."""
    scope = SCOPE if scoped else None
    in_area = area_level is not None
    communes = _communes(area_level, by_territory, scope)
    latest = latest_classification(communes.c, ON)
    class_key = sa.func.coalesce(latest.c["class"], NO_DATA)
    parts: list[sa.Select[*tuple[Any, ...]]] = [
        sa.select(sa.literal("class"), class_key, sa.func.count())
        .select_from(communes.outerjoin(latest, sa.true()))
        .group_by(class_key),
        _hotspot_statuses(in_area, scope),
        _relapse_candidates(in_area, scope),
    ]
    for name, facility in (("boards", _boards()), ("boxes", _boxes())):
        if in_area:
            facility = facility.where(_within_area(facility.selected_columns.geom))
        rows = _owned(facility, scope).cte(f"{name}_standing")
        parts.append(
            sa.select(sa.literal(name), rows.c.ageing, sa.func.count()).group_by(rows.c.ageing)
        )
        parts.append(
            sa.select(
                sa.literal(f"{name}_covered"),
                sa.literal(""),
                sa.func.count(sa.distinct(rows.c.owner)),
            ).where(rows.c.owner.in_(sa.select(communes.c.id)))
        )
    return sa.union_all(*parts)


def _within_area(geom: Any) -> sa.ColumnElement[bool]:
    """``layers.filters.within_area`` for the area found (by its row id, so one version)."""
    return sa.func.ST_Intersects(scope_geometry(AREA_ID), geom)


def _communes(area_level: str | None, by_territory: bool, scope: Any) -> sa.CTE:
    """The ids of the communes counted: in force on ``:on``, in the area and the scope.

    Walked down the parent chain (from the area, or from every root for the whole country,
    through districts), so every step reads an index: a filter on level and validity alone
    would read the whole unit table, ~100,000 hamlets included. An area not yet in force on
    ``:on`` holds the communes whose point on surface lies in it (the GiST index finds them).
    """
    unit = AdminUnit
    stmt = sa.select(unit.id).where(
        unit.level == AdminLevel.commune, in_force(unit, ON), scope_filter(scope)
    )
    if by_territory:
        area = _AREA
        inside = (
            sa.select(area.id)
            .where(
                area.id == AREA_ID,
                area.geom.op("&&")(unit.geom),
                sa.func.ST_Covers(area.geom, sa.func.ST_PointOnSurface(unit.geom)),
            )
            .correlate(unit)
        )
        stmt = stmt.where(unit.geom.op("&&")(scope_geometry(AREA_ID)), sa.exists(inside))
    else:
        if area_level is None:
            roots = sa.select(unit.id).where(unit.parent_id.is_(None))
        else:
            roots = sa.select(AREA_ID)
        district = _DISTRICT
        parents = sa.union_all(
            roots,
            sa.select(district.id).where(
                district.level == AdminLevel.district, district.parent_id.in_(roots)
            ),
        )
        child = _CHILD
        reached = sa.union_all(roots, sa.select(child.id).where(child.parent_id.in_(parents)))
        stmt = stmt.where(unit.id.in_(reached))
    if scope is not None:
        # Not a rule, a shortcut: what the scope covers meets its box (uses the spatial index).
        stmt = stmt.where(unit.geom.op("&&")(scope_geometry(scope)))
    return stmt.cte("communes")


def _hotspot_statuses(in_area: bool, scope: Any) -> sa.Select[*tuple[Any, ...]]:
    """Hotspots per status on ``:on``, by the one rule the hotspots layer and its tiles use
    (migration 0006): detected by then, not soft-deleted, inside the scope (``within_scope``)
    and the area (``within_area``).

    Nationally every hotspot is counted, so the rule is read in its set form
    (``hotspot_statuses_on``: one pass over the history and a hash join, ~50 ms for 50,000
    hotspots against ~160 ms for a lookup each); an area or a scope holds a few, and a lookup
    each (``hotspot_status_on``) reads only their history. Tests check both agree with the layer.
    """
    if not in_area and scope is None:
        national = sa.func.hotspot_statuses_on(ON).table_valued(
            sa.column("hotspot_id", sa.BigInteger), sa.column("status", sa.String), name="statuses"
        )
        return sa.select(sa.literal("hotspot"), national.c.status, sa.func.count()).group_by(
            national.c.status
        )
    spots = sa.select(Hotspot.id, Hotspot.status, Hotspot.cleared_on, Hotspot.relapsed_on).where(
        Hotspot.deleted_at.is_(None),
        Hotspot.detected_on <= ON,
        within_scope(Hotspot.geom, scope),
    )
    if in_area:
        spots = spots.where(_within_area(Hotspot.geom))
    found = spots.subquery("spots")
    statuses = (
        sa.func.hotspot_status_on(
            found.c.id, found.c.status, found.c.cleared_on, found.c.relapsed_on, ON
        )
        .table_valued(sa.column("status", sa.String))
        .lateral("statuses")
    )
    return (
        sa.select(sa.literal("hotspot"), statuses.c.status, sa.func.count())
        .select_from(found.join(statuses, sa.true()))
        .group_by(statuses.c.status)
    )


def _relapse_candidates(in_area: bool, scope: Any) -> sa.Select[*tuple[Any, ...]]:
    """The relapse candidates on ``:on`` inside the scope and the area (row ``relapse``, '')."""
    found = sa.select(sa.literal("relapse"), sa.literal(""), sa.func.count()).where(
        candidate_on(ON), within_scope(Hotspot.geom, scope)
    )
    return found.where(_within_area(Hotspot.geom)) if in_area else found


def _boards() -> sa.Select[*tuple[Any, ...]]:
    """Hotline boards standing on ``:on`` with the ageing of their last check, by the hotline
    boards layer's rule (``layers/facilities.py``), minus those marked missing."""
    board = HotlineBoard
    checked = sa.case((board.last_checked_on <= ON, board.last_checked_on))
    return sa.select(
        board.id, board.admin_unit_id, board.geom, ageing_sql(checked, ON).label("ageing")
    ).where(
        board.deleted_at.is_(None),
        sa.or_(board.installed_on.is_(None), board.installed_on <= ON),
        board.condition != FacilityCondition.missing,
    )


def _boxes() -> sa.Select[*tuple[Any, ...]]:
    """Tip-off boxes standing on ``:on`` with the ageing of their last opening (their own date
    or an inspection), by the tip-off boxes layer's rule, minus those marked missing."""
    box = TipoffBox
    inspected = (
        sa.select(sa.func.max(TipoffInspection.inspected_on).label("inspected_on"))
        .where(TipoffInspection.box_id == box.id, TipoffInspection.inspected_on <= ON)
        .lateral("inspected")
    )
    opened = sa.func.greatest(
        sa.case((box.last_opened_on <= ON, box.last_opened_on)), inspected.c.inspected_on
    )
    return (
        sa.select(box.id, box.admin_unit_id, box.geom, ageing_sql(opened, ON).label("ageing"))
        .outerjoin(inspected, sa.true())
        .where(
            box.deleted_at.is_(None),
            sa.or_(box.installed_on.is_(None), box.installed_on <= ON),
            box.condition != FacilityCondition.missing,
        )
    )


def _owned(facility: sa.Select[*tuple[Any, ...]], scope: Any) -> sa.Select[*tuple[Any, ...]]:
    """Each point's ageing and the commune in force on ``:on`` that owns it.

    The owner is read up the parent chain from the unit the point was filed under
    (``admin_unit_id``, set by spatial containment when it was written); when that chain
    reaches no commune in force on ``:on`` (a date before the 2025 map, or a unit since
    re-versioned), the boundary rule decides (``unit_at_point``). The chain spares a
    point-in-polygon test per point against full-resolution communes (~50 µs each), which
    would cost more than the whole panel nationally; replays of dates before the 2025 map pay
    it for the points of the area.
    """
    points = facility.where(within_scope(facility.selected_columns.geom, scope)).subquery()
    unit, parent, grand = _FILED_CHAIN
    commune = AdminLevel.commune
    commune_level = sa.cast(sa.literal(commune.value), AdminUnit.level.type)
    owner = sa.case(
        (sa.and_(unit.level == commune, in_force(unit, ON)), unit.id),
        (sa.and_(parent.level == commune, in_force(parent, ON)), parent.id),
        (sa.and_(grand.level == commune, in_force(grand, ON)), grand.id),
        else_=sa.func.unit_at_point(points.c.geom, commune_level, ON),
    )
    return (
        sa.select(points.c.ageing, owner.label("owner"))
        .select_from(points)
        .join(unit, unit.id == points.c.admin_unit_id)
        .outerjoin(parent, parent.id == unit.parent_id)
        .outerjoin(grand, grand.id == parent.parent_id)
    )
