"""Relapse candidates: hotspots marked near one already cleared, so a commander sees at once
where a cleared point may have come back.

The field API flags a new hotspot when a hotspot cleared on its date lies within
``GEO_APP_RELAPSE_RADIUS_M`` (``hotspot.relapse_of_id``, ``relapse_distance_m``, the nearest
one). Here is the one rule of what counts on a date (``candidate_on``), read by the commune
page's list and the summary's count, so the two agree.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app.layers.filters import scope_geometry, within_scope
from geo_app.layers.hotspots import relapse_link
from geo_app.models import Hotspot


def candidate_on(on: Any) -> sa.ColumnElement[bool]:
    """A hotspot is a relapse candidate on ``on`` when it was flagged, detected by then and is
    not deleted (``on`` a date or a bound parameter)."""
    return sa.and_(
        Hotspot.relapse_of_id.is_not(None),
        Hotspot.deleted_at.is_(None),
        Hotspot.detected_on <= on,
    )


@dataclass(frozen=True)
class Candidate:
    """One flagged hotspot, the cleared one it lies near and how far (metres, rounded)."""

    id: int
    kind: str
    detected_on: date
    relapse_of_id: int | None  # None: the cleared one lies outside the reader's scope
    distance_m: int | None
    geometry: dict[str, Any]


def candidates(
    session: Session, unit_id: int, on: date, scope_unit_id: int | None
) -> tuple[Candidate, ...]:
    """The relapse candidates inside unit ``unit_id`` and the scope on ``on``, newest first
    (the cleared point each lies near only when it is inside the scope too)."""
    near, distance = relapse_link(scope_unit_id)
    rows = session.execute(
        sa.select(
            Hotspot.id,
            sa.cast(Hotspot.kind, sa.String).label("kind"),
            Hotspot.detected_on,
            near.label("relapse_of_id"),
            distance.label("relapse_distance_m"),
            sa.func.ST_AsGeoJSON(Hotspot.geom, 6).label("geometry"),
        )
        .where(
            candidate_on(on),
            sa.func.ST_Intersects(scope_geometry(unit_id), Hotspot.geom),
            within_scope(Hotspot.geom, scope_unit_id),
        )
        .order_by(Hotspot.detected_on.desc(), Hotspot.id.desc())
    ).all()
    return tuple(
        Candidate(
            id=int(row.id),
            kind=row.kind,
            detected_on=row.detected_on,
            relapse_of_id=None if row.relapse_of_id is None else int(row.relapse_of_id),
            distance_m=None if row.relapse_distance_m is None else _metres(row.relapse_distance_m),
            geometry=json.loads(row.geometry),
        )
        for row in rows
    )


def _metres(value: Decimal | float) -> int:
    return int(Decimal(value).quantize(Decimal(1)))
