"""The boundary rule as one SQL function: which unit of a level owns a point on a date.

A point on a shared boundary belongs to exactly one unit (docs/ENGINE.md): among the units of
the level in force on the date that cover it (``ST_Covers``), one that contains it in its
interior wins; if it lies on the boundary of several, the smallest code (byte order) wins.
Every derived count (hotspots, boards, boxes, fields, sub-units) asks this one function, so no
feature is counted twice and a province's figures add up.

This file is frozen history: it repeats the SQL instead of importing it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNIT_AT_POINT = """
CREATE FUNCTION unit_at_point(pt geometry, unit_level admin_level, on_date date)
RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT u.id
    FROM admin_unit u
    WHERE u.level = unit_level
      AND u.valid_from <= on_date
      AND (u.valid_to IS NULL OR u.valid_to > on_date)
      AND ST_Covers(u.geom, pt)
    ORDER BY ST_Contains(u.geom, pt) DESC, u.code COLLATE "C", u.id
    LIMIT 1
$$
"""

COMMENT = (
    "COMMENT ON FUNCTION unit_at_point(geometry, admin_level, date) IS "
    "'The unit of a level in force on a date that owns a point: interior containment wins, "
    "else the smallest code (docs/ENGINE.md, the boundary rule).'"
)


def upgrade() -> None:
    op.execute(UNIT_AT_POINT)
    op.execute(COMMENT)


def downgrade() -> None:
    op.execute("DROP FUNCTION unit_at_point(geometry, admin_level, date)")
