"""Coverage gaps: the hamlets and residential groups of a unit that lack a working hotline board
or a tip-off box on a date, so an officer knows where to install or repair one.

The rule is the seed plans' checklist rule, written once per sub-unit in
``classification/sql/subunit_coverage.sql``; the checklist counts (``classification.derived``)
read the same rows, so the list and the counts always agree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from sqlalchemy.orm import Session

from geo_app.errors import NotFound
from geo_app.models import AdminUnit
from geo_app.services.classification.derived import sql

Lack = Literal["board", "box"]
LACKS: tuple[Lack, ...] = ("board", "box")
"""What a sub-unit can lack, in the order pages list them."""


@dataclass(frozen=True)
class Gap:
    """One sub-unit without a good board and/or a box; geometries are GeoJSON (WGS 84)."""

    id: int
    code: str
    name: str
    level: str
    lacks: tuple[Lack, ...]
    geometry: dict[str, Any]
    point: dict[str, Any]

    def feature(self) -> dict[str, Any]:
        """The gap as a GeoJSON Feature (its outline), for a map."""
        return {
            "type": "Feature",
            "id": self.code,
            "geometry": self.geometry,
            "properties": {
                "code": self.code,
                "name": self.name,
                "level": self.level,
                "lacks": list(self.lacks),
            },
        }


@dataclass(frozen=True)
class Coverage:
    """How many sub-units the unit has on the date, and those lacking a board or a box."""

    subunits: int
    gaps: tuple[Gap, ...]


def coverage(session: Session, unit_id: int, on: date) -> Coverage:
    """The sub-units of unit ``unit_id`` on ``on`` and its gaps (by code).

    Raises NotFound for an unknown unit.
    """
    if session.get(AdminUnit, unit_id) is None:
        raise NotFound(f"no administrative unit with id {unit_id}")
    rows = list(session.execute(sql("subunit_gaps"), {"ids": [unit_id], "on": on}).mappings())
    return Coverage(len(rows), tuple(_gap(row) for row in rows if row["geometry"] is not None))


def gaps(session: Session, unit_id: int, on: date) -> tuple[Gap, ...]:
    """The sub-units of unit ``unit_id`` lacking a board and/or a box on ``on``, by code
    (none when it has no sub-unit mapped on ``on``)."""
    return coverage(session, unit_id, on).gaps


def _gap(row: Any) -> Gap:
    has = (row["has_board"], row["has_box"])
    return Gap(
        id=int(row["id"]),
        code=row["code"],
        name=row["name"],
        level=row["level"],
        lacks=tuple(lack for lack, present in zip(LACKS, has, strict=True) if not present),
        geometry=json.loads(row["geometry"]),
        point=json.loads(row["point"]),
    )
