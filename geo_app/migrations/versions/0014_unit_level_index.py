"""Units of one level in force on a day are found through an index on (level, valid_from).

Why: "the provinces (or communes) in force on a day" is asked by many pages (the national
page's goals, the province list of the reports, the summaries), and the only level index held
current versions alone (``valid_to IS NULL``), which a query for a day cannot use. With the
~100,000 hamlets and residential groups of a whole country each such read was a scan of the
whole table (26-40 ms); through this index it reads the level's own rows.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_admin_unit_level_from", "admin_unit", ["level", "valid_from"])


def downgrade() -> None:
    op.drop_index("ix_admin_unit_level_from", table_name="admin_unit")
