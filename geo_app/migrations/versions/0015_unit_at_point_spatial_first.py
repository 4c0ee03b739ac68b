"""The boundary rule's function looks at the units around the point first.

Why: ``unit_at_point`` is a SQL function, planned once with its arguments as parameters. Once
the index on ``(level, valid_from)`` (0014) existed, that generic plan ANDed it with the spatial
index, reading all ~100,000 hamlets' index entries on every call: 4 ms a call instead of
0.2 ms, and the commune page's coverage (a call per board, box and hamlet) took 55 ms. The
units whose box holds the point are now read first (the spatial index, a dozen rows at most),
then filtered by level and day. The rule itself is unchanged (0002, docs/ENGINE.md).

This file is frozen history: it repeats the SQL instead of importing it.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SPATIAL_FIRST = """
CREATE OR REPLACE FUNCTION unit_at_point(pt geometry, unit_level admin_level, on_date date)
RETURNS bigint
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    WITH near AS MATERIALIZED (
        SELECT u.id, u.code, u.level, u.valid_from, u.valid_to, u.geom
        FROM admin_unit u
        WHERE u.geom ~ pt
    )
    SELECT n.id
    FROM near n
    WHERE n.level = unit_level
      AND n.valid_from <= on_date
      AND (n.valid_to IS NULL OR n.valid_to > on_date)
      AND ST_Covers(n.geom, pt)
    ORDER BY ST_Contains(n.geom, pt) DESC, n.code COLLATE "C", n.id
    LIMIT 1
$$
"""

LEVEL_AND_DAY_FIRST = """
CREATE OR REPLACE FUNCTION unit_at_point(pt geometry, unit_level admin_level, on_date date)
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


def upgrade() -> None:
    op.execute(SPATIAL_FIRST)


def downgrade() -> None:
    op.execute(LEVEL_AND_DAY_FIRST)
