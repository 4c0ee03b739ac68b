"""Province targets become editable: who made and changed a goal, its version, the demo flag.

- ``province_target`` gets ``created_by``, ``updated_at``, ``updated_by``, ``version`` (optimistic
  locking: an edit of a goal someone else changed since it was read is refused) and ``is_demo``
  (the demo load's goals are removed with the demo data).

This file is frozen history: it repeats what it needs instead of importing the models.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "province_target"


def upgrade() -> None:
    op.add_column(TABLE, sa.Column("created_by", sa.Text()))
    op.add_column(TABLE, sa.Column("updated_at", sa.DateTime(timezone=True)))
    op.add_column(TABLE, sa.Column("updated_by", sa.Text()))
    op.add_column(
        TABLE, sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False)
    )
    op.add_column(
        TABLE, sa.Column("is_demo", sa.Boolean(), server_default=sa.text("false"), nullable=False)
    )


def downgrade() -> None:
    for column in ("is_demo", "version", "updated_by", "updated_at", "created_by"):
        op.drop_column(TABLE, column)
