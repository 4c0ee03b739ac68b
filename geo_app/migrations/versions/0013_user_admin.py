"""User administration: a forced password change after a reset, and a version per account.

- ``must_change_password``: set when an administrator resets a password (or creates a user in
  the web page); while set, the user's logins open only the "change your password" page.
- ``version``: raised by every change to an account, so two administrators editing the same
  user cannot overwrite each other's change unseen (the forms send the version they read).

This file is frozen history: it repeats what it needs instead of importing the models.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "app_user",
        sa.Column(
            "must_change_password", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
    )
    op.add_column(
        "app_user",
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
    )
    op.create_check_constraint(op.f("ck_app_user_version_positive"), "app_user", "version > 0")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_app_user_version_positive"), "app_user", type_="check")
    op.drop_column("app_user", "version")
    op.drop_column("app_user", "must_change_password")
