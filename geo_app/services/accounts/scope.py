"""Least privilege: is a unit inside a user's scope? Always decided here, on the server.

A user's scope is one unit (``app_user.scope_unit_id``; NULL = national). A unit is in scope when
it is the scope unit, lies under it by the parent chain, or lies under it spatially: its
``ST_PointOnSurface`` is covered by the scope unit's geometry and its level is not above the
scope's. The spatial rule is what puts pre-2025 units (whose parents are pre-2025 districts and
provinces) inside the 2025 province or commune that absorbed them.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app.errors import GeoAppError
from geo_app.layers.filters import scope_filter
from geo_app.models import AdminUnit


class OutOfScope(GeoAppError):
    """The unit lies outside the user's scope; nothing was read or changed."""

    status = 403


def unit_in_scope(session: Session, user_scope_unit_id: int | None, unit_id: int) -> bool:
    """Whether the unit version ``unit_id`` is inside the scope (national scope sees all)."""
    if user_scope_unit_id is None:
        return True
    return bool(
        session.scalar(
            sa.select(sa.exists().where(AdminUnit.id == unit_id, scope_filter(user_scope_unit_id)))
        )
    )


def units_in_scope(
    session: Session, user_scope_unit_id: int | None, unit_ids: set[int]
) -> set[int]:
    """The subset of ``unit_ids`` inside the scope, in one query (for batch imports)."""
    if user_scope_unit_id is None or not unit_ids:
        return set(unit_ids)
    rows = session.scalars(
        sa.select(AdminUnit.id).where(
            AdminUnit.id.in_(sorted(unit_ids)), scope_filter(user_scope_unit_id)
        )
    )
    return set(rows)
