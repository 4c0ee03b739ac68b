"""Which version of a unit a map page shows for a date, and what replaced a closed one.

Boundaries change (the 1 July 2025 merger): a code may name an old unit that no longer exists
(a Trà Vinh campaign target), or an old and a new unit at once. A page for a code and a date
shows the version in force on that date, else the one in force today, else the last one; a
closed version is shown with the units that took it over (the crosswalk, else by overlay).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from geo_app import clock
from geo_app.errors import NotFound
from geo_app.layers.admin_units import in_force
from geo_app.models import AdminUnit

# Aliases of the unit table are made once: making one (its geometry and key columns proxied)
# costs milliseconds, which every page paid several times over when each query made its own.
_ANCESTORS = (aliased(AdminUnit), aliased(AdminUnit), aliased(AdminUnit))

MIN_OVERLAY_SHARE = 0.005
"""An overlay ignores slivers below this share of the old unit (coarse old boundaries)."""


@dataclass(frozen=True)
class UnitVersion:
    """One version of a unit, with its province (for the way back up) and its validity."""

    id: int
    code: str
    name: str
    level: str
    kind: str | None
    parent_code: str | None
    parent_name: str | None
    province_code: str | None
    province_name: str | None
    is_demo: bool
    valid_from: date
    valid_to: date | None

    @property
    def closed(self) -> bool:
        return self.valid_to is not None

    def clamp(self, on: date) -> date:
        """``on`` moved inside this version's validity (its first or its last day)."""
        if on < self.valid_from:
            return self.valid_from
        if self.valid_to is not None and on >= self.valid_to:
            return self.valid_to - timedelta(days=1)
        return on


@dataclass(frozen=True)
class Successor:
    code: str
    name: str
    share_of_old: float | None
    """Share of the old unit's area lying in this one (None when unknown)."""


def version_for_page(session: Session, code: str, level: str, on: date) -> UnitVersion:
    """The version of ``code`` at ``level`` in force on ``on``, else today, else the latest."""
    today = clock.today()
    parent, grand, great = _ANCESTORS
    chain = (parent, grand, great)
    province_code = sa.case(
        *((sa.cast(unit.level, sa.String) == "province", unit.code) for unit in chain)
    )
    province_name = sa.case(
        *((sa.cast(unit.level, sa.String) == "province", unit.name) for unit in chain)
    )
    row = session.execute(
        sa.select(
            AdminUnit.id,
            AdminUnit.code,
            AdminUnit.name,
            sa.cast(AdminUnit.level, sa.String).label("level"),
            AdminUnit.kind,
            AdminUnit.is_demo,
            AdminUnit.valid_from,
            AdminUnit.valid_to,
            parent.code.label("parent_code"),
            parent.name.label("parent_name"),
            province_code.label("province_code"),
            province_name.label("province_name"),
        )
        .outerjoin(parent, parent.id == AdminUnit.parent_id)
        .outerjoin(grand, grand.id == parent.parent_id)
        .outerjoin(great, great.id == grand.parent_id)
        .where(AdminUnit.code == code, sa.cast(AdminUnit.level, sa.String) == level)
        .order_by(
            in_force(AdminUnit, on).desc(),
            in_force(AdminUnit, today).desc(),
            AdminUnit.valid_from.desc(),
        )
        .limit(1)
    ).one_or_none()
    if row is None:
        raise NotFound(f"no {level} with code {code!r}")
    return UnitVersion(
        id=row.id,
        code=row.code,
        name=row.name,
        level=row.level,
        kind=row.kind,
        parent_code=row.parent_code,
        parent_name=row.parent_name,
        province_code=row.province_code,
        province_name=row.province_name,
        is_demo=row.is_demo,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
    )


_SUCCESSORS = sa.text(
    """
    WITH old AS (
        SELECT id, code, level, geom, valid_to FROM admin_unit WHERE id = :unit_id
    ),
    listed AS (
        SELECT n.code, n.name, c.share_of_old::float8 AS share_of_old
        FROM old o
        JOIN crosswalk c ON c.old_unit_id = o.id OR (c.old_unit_id IS NULL AND c.old_code = o.code)
        JOIN admin_unit n
          ON n.level = o.level
         AND (n.id = c.new_unit_id
              OR (c.new_unit_id IS NULL AND n.code = c.new_code
                  AND n.valid_from <= o.valid_to
                  AND (n.valid_to IS NULL OR n.valid_to > o.valid_to)))
        WHERE c.share_of_old IS NULL OR c.share_of_old > 0
    ),
    overlay AS (
        SELECT n.code, n.name,
               ST_Area(ST_Intersection(o.geom, n.geom)::geography)
                 / NULLIF(ST_Area(o.geom::geography), 0) AS share_of_old
        FROM old o
        JOIN admin_unit n
          ON n.level = o.level
         AND n.valid_from <= o.valid_to AND (n.valid_to IS NULL OR n.valid_to > o.valid_to)
         AND ST_Intersects(o.geom, n.geom)
        WHERE NOT EXISTS (SELECT 1 FROM listed)
    )
    SELECT code, name, share_of_old FROM listed
    UNION ALL
    SELECT code, name, share_of_old FROM overlay WHERE share_of_old > :min_share
    ORDER BY share_of_old DESC NULLS LAST, code
    """
)


def successors(session: Session, unit: UnitVersion) -> list[Successor]:
    """The units in force the day ``unit`` closed that took it over, largest share first."""
    if unit.valid_to is None:
        return []
    rows = session.execute(_SUCCESSORS, {"unit_id": unit.id, "min_share": MIN_OVERLAY_SHARE})
    return [Successor(r.code, r.name, r.share_of_old) for r in rows]


def previous_version(session: Session, unit: UnitVersion) -> UnitVersion | None:
    """The version of the same code and level that ended when ``unit`` began, if its name was
    another (e.g. code 29335 named Xã Thông Hòa until 30/6/2025 and Xã Tam Ngãi since)."""
    found = session.execute(
        sa.select(AdminUnit.id, AdminUnit.name)
        .where(
            AdminUnit.code == unit.code,
            sa.cast(AdminUnit.level, sa.String) == unit.level,
            AdminUnit.valid_to == unit.valid_from,
        )
        .order_by(AdminUnit.valid_from.desc())
        .limit(1)
    ).one_or_none()
    if found is None or _letters(found.name) == _letters(unit.name):
        return None
    before = unit.valid_from - timedelta(days=1)
    return version_for_page(session, unit.code, unit.level, before)


def _letters(name: str) -> str:
    """A name without tone marks and case: "Xã Hòa Minh" and "Xã Hoà Minh" are one name."""
    decomposed = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
