"""Field capture: how a feature was placed, relapse candidates, board checks, write receipts.

- ``hotspot``, ``hotline_board``, ``tipoff_box``, ``cultivation_site`` get ``placed_by`` (GPS or
  a tap on the map; NULL for rows not placed in the field) and ``accuracy_m`` (>= 0, NULL when
  unknown).
- ``hotspot`` gets ``relapse_of_id`` and ``relapse_distance_m``: the nearest cleared hotspot
  within the relapse radius when it was created (a relapse candidate).
- ``hotline_board_check``: one visit to a board and the condition found.
- ``tipoff_inspection`` gets ``client_id`` (the phone's UUID of the action).
- ``write_receipt``: one row per field write, keyed by the phone's UUID, written in the same
  transaction, so a resent action finds it and changes nothing.

This file is frozen history: it repeats what it needs instead of importing the models.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PLACED = ("hotspot", "hotline_board", "tipoff_box", "cultivation_site")
LOCATION_METHOD = postgresql.ENUM("gps", "tap", name="location_method", create_type=False)
CONDITION = postgresql.ENUM(name="facility_condition", create_type=False)


def _now(name: str) -> sa.Column:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def _placed() -> None:
    LOCATION_METHOD.create(op.get_bind(), checkfirst=False)
    for table in PLACED:
        op.add_column(table, sa.Column("placed_by", LOCATION_METHOD, nullable=True))
        op.add_column(table, sa.Column("accuracy_m", sa.Numeric(), nullable=True))
        op.create_check_constraint(
            op.f(f"ck_{table}_accuracy_nonnegative"), table, "accuracy_m >= 0"
        )


def _relapse() -> None:
    op.add_column("hotspot", sa.Column("relapse_of_id", sa.BigInteger(), nullable=True))
    op.add_column("hotspot", sa.Column("relapse_distance_m", sa.Numeric(), nullable=True))
    op.create_foreign_key(
        op.f("fk_hotspot_relapse_of_id_hotspot"), "hotspot", "hotspot", ["relapse_of_id"], ["id"]
    )


def _board_checks() -> None:
    t = "hotline_board_check"
    op.create_table(
        t,
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "board_id",
            sa.BigInteger(),
            sa.ForeignKey(
                "hotline_board.id", name=op.f(f"fk_{t}_board_id_hotline_board"), ondelete="CASCADE"
            ),
            nullable=False,
        ),
        sa.Column("checked_on", sa.Date(), nullable=False),
        sa.Column("condition", CONDITION, nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=True),
        _now("created_at"),
        sa.Column("created_by", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{t}")),
        sa.UniqueConstraint("client_id", name=op.f(f"uq_{t}_client_id")),
    )
    op.create_index(op.f(f"ix_{t}_board_id"), t, ["board_id", "checked_on"])


def _receipts() -> None:
    t = "write_receipt"
    op.create_table(
        t,
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("layer", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("row_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        _now("at"),
        sa.PrimaryKeyConstraint("client_id", name=op.f(f"pk_{t}")),
    )
    op.create_index(op.f(f"ix_{t}_actor"), t, ["actor", "day"])


def upgrade() -> None:
    _placed()
    _relapse()
    _board_checks()
    op.add_column("tipoff_inspection", sa.Column("client_id", sa.Uuid(), nullable=True))
    op.create_unique_constraint(
        op.f("uq_tipoff_inspection_client_id"), "tipoff_inspection", ["client_id"]
    )
    _receipts()


def downgrade() -> None:
    op.drop_index(op.f("ix_write_receipt_actor"), table_name="write_receipt")
    op.drop_table("write_receipt")
    op.drop_constraint(op.f("uq_tipoff_inspection_client_id"), "tipoff_inspection")
    op.drop_column("tipoff_inspection", "client_id")
    op.drop_index(op.f("ix_hotline_board_check_board_id"), table_name="hotline_board_check")
    op.drop_table("hotline_board_check")
    op.drop_constraint(op.f("fk_hotspot_relapse_of_id_hotspot"), "hotspot")
    op.drop_column("hotspot", "relapse_distance_m")
    op.drop_column("hotspot", "relapse_of_id")
    for table in PLACED:
        op.drop_constraint(op.f(f"ck_{table}_accuracy_nonnegative"), table)
        op.drop_column(table, "accuracy_m")
        op.drop_column(table, "placed_by")
    LOCATION_METHOD.drop(op.get_bind(), checkfirst=False)
