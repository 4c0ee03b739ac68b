"""Server-side login sessions and the failed-login counters behind throttling and lockout.

- ``app_session``: one row per logged-in browser. The cookie carries a random id; only its
  sha256 is stored, so a copy of the table opens no session. Rows are deleted when a session
  ends (logout, a password, role, scope or activity change of its user); idle and absolute
  expiry are read against ``last_seen_at`` and ``created_at`` on every request.
- ``login_failure``: failed logins counted per account (a keyed hash of the typed login, so
  unknown logins are counted too, without storing what was typed) and per client address,
  with the time before which the next attempt is refused. Kept in the database so a restart
  does not reset them.

This file is frozen history: it repeats what it needs instead of importing the models.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now(name: str) -> sa.Column:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "app_session",
        sa.Column("token_hash", sa.Text(), nullable=False),
        sa.Column(
            "user_id",
            sa.BigInteger(),
            sa.ForeignKey(
                "app_user.id", name=op.f("fk_app_session_user_id_app_user"), ondelete="CASCADE"
            ),
            nullable=False,
        ),
        sa.Column("csrf_token", sa.Text(), nullable=False),
        _now("created_at"),
        _now("last_seen_at"),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_app_session")),
        sa.CheckConstraint(
            "token_hash ~ '^[0-9a-f]{64}$'", name=op.f("ck_app_session_token_hash_sha256")
        ),
    )
    op.create_index(op.f("ix_app_session_user_id"), "app_session", ["user_id"])
    op.create_table(
        "login_failure",
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        _now("last_failed_at"),
        sa.Column("retry_after", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("kind", "key", name=op.f("pk_login_failure")),
        sa.CheckConstraint(
            "kind IN ('account', 'address')", name=op.f("ck_login_failure_kind_known")
        ),
        sa.CheckConstraint("failures > 0", name=op.f("ck_login_failure_failures_positive")),
    )


def downgrade() -> None:
    op.drop_table("login_failure")
    op.drop_index(op.f("ix_app_session_user_id"), table_name="app_session")
    op.drop_table("app_session")
