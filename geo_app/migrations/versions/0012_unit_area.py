"""A unit's area (km², geodesic, 2 decimals) is stored with it and kept by a trigger.

Why: the unit layers showed ``ST_Area(geom::geography)`` computed on every read; for the
3,321 communes that was most of a commune list's or export's time (~1.7 s of 1.9 s). A
boundary is written rarely (an import, a new version) and read on every page, so the area is
worked out once, when the geometry is written.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AREA = "round(CAST(ST_Area(CAST({geom} AS geography)) / 1e6 AS numeric), 2)"


def upgrade() -> None:
    op.add_column("admin_unit", sa.Column("area_km2", sa.Numeric(), nullable=True))
    op.execute(
        f"""
        CREATE FUNCTION admin_unit_area() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            NEW.area_km2 := {AREA.format(geom="NEW.geom")};
            RETURN NEW;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER admin_unit_area BEFORE INSERT OR UPDATE OF geom ON admin_unit "
        "FOR EACH ROW EXECUTE FUNCTION admin_unit_area()"
    )
    # The trigger fills in the area. The tile edit log's trigger (0005) is off meanwhile: no
    # boundary moves, so no tile needs remaking.
    op.execute("ALTER TABLE admin_unit DISABLE TRIGGER admin_unit_classification_edit_update")
    op.execute("UPDATE admin_unit SET geom = geom")
    op.execute("ALTER TABLE admin_unit ENABLE TRIGGER admin_unit_classification_edit_update")


def downgrade() -> None:
    op.execute("DROP TRIGGER admin_unit_area ON admin_unit")
    op.execute("DROP FUNCTION admin_unit_area()")
    op.drop_column("admin_unit", "area_km2")
