"""A hotspot's notes are at most 500 characters.

Notes describe a place, never a person: a short field leaves no room for a file on someone
(issue 9). Rows with longer notes stop the upgrade with a message rather than being cut
silently: shorten them first.

This file is frozen history: it repeats the limit instead of importing it.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIMIT = 500


def upgrade() -> None:
    longer = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM hotspot WHERE char_length(notes) > :limit"),
        {"limit": LIMIT},
    )
    if longer:
        raise RuntimeError(
            f"{longer} hotspot(s) have notes longer than {LIMIT} characters: shorten them "
            "(and remove any personal data) before upgrading"
        )
    op.execute(
        f"ALTER TABLE hotspot ADD CONSTRAINT ck_hotspot_notes_short "
        f"CHECK (char_length(notes) <= {LIMIT})"
    )


def downgrade() -> None:
    op.execute("ALTER TABLE hotspot DROP CONSTRAINT ck_hotspot_notes_short")
