"""Look up administrative units for pages: which unit a code means today, and its children."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app import clock
from geo_app.errors import NotFound
from geo_app.layers.admin_units import in_force
from geo_app.models import AdminUnit

# Aliases of the unit table are made once: making one (its geometry and key columns proxied)
# costs milliseconds, which every page paid several times over when each query made its own.
_PARENT = sa.orm.aliased(AdminUnit)


@dataclass(frozen=True)
class UnitSummary:
    """Enough about a unit to title a page and link up the hierarchy."""

    id: int
    code: str
    name: str
    level: str
    kind: str | None
    parent_code: str | None
    parent_name: str | None
    is_demo: bool


def unit_in_force(session: Session, code: str, level: str, on: date | None = None) -> UnitSummary:
    """The version of ``code`` at ``level`` valid on ``on`` (today); NotFound otherwise."""
    on = on or clock.today()
    parent = _PARENT
    row = session.execute(
        sa.select(
            AdminUnit.id,
            AdminUnit.code,
            AdminUnit.name,
            sa.cast(AdminUnit.level, sa.String).label("level"),
            AdminUnit.kind,
            AdminUnit.is_demo,
            parent.code.label("parent_code"),
            parent.name.label("parent_name"),
        )
        .outerjoin(parent, parent.id == AdminUnit.parent_id)
        .where(
            AdminUnit.code == code,
            sa.cast(AdminUnit.level, sa.String) == level,
            in_force(AdminUnit, on),
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"no {level} with code {code!r} on {on.isoformat()}")
    return UnitSummary(
        id=row.id,
        code=row.code,
        name=row.name,
        level=row.level,
        kind=row.kind,
        parent_code=row.parent_code,
        parent_name=row.parent_name,
        is_demo=row.is_demo,
    )


def demo_loaded(session: Session) -> bool:
    """Whether demo data is in this database, so every page can say so."""
    return bool(
        session.execute(sa.text("SELECT EXISTS (SELECT 1 FROM data_load WHERE is_demo)")).scalar()
    )
