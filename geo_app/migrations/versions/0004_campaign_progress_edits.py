"""Campaign progress tiles are invalidated by the edits that change them.

The ``campaign_progress`` layer draws a campaign's target units coloured by their last
evaluation and the campaign's phase on a date. An evaluation (new, re-evaluated or overridden),
a target added or removed, a phase moved, or a campaign edited or deleted now logs, through the
``layer_edit_log`` function of migration 0003, the bounding box of the targets it touches under
the layer ``campaign_progress`` and bumps that layer's version, so the tile cache rebuilds
exactly those tiles and tile URLs carry a new data version.

This file is frozen history: it repeats what it needs instead of importing the models.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LAYER = "'campaign_progress'"

_TARGETS_OF = (
    "(SELECT ST_Collect(u.geom) FROM campaign_target t JOIN admin_unit u "
    "ON u.id = t.admin_unit_id WHERE t.campaign_id = {campaign})"
)

# table -> (layer-name SQL, geometry SQL) over a changed row ``r`` (as in 0003).
LOGGED: dict[str, tuple[str, str]] = {
    "evaluation": (LAYER, "(SELECT u.geom FROM admin_unit u WHERE u.id = r.admin_unit_id)"),
    "campaign_target": (LAYER, "(SELECT u.geom FROM admin_unit u WHERE u.id = r.admin_unit_id)"),
    "phase": (LAYER, _TARGETS_OF.format(campaign="r.campaign_id")),
    "campaign": (LAYER, _TARGETS_OF.format(campaign="r.id")),
}
EVENTS = {
    "insert": "NEW TABLE AS new_rows",
    "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "OLD TABLE AS old_rows",
}


def _quoted(sql: str) -> str:
    return "'" + sql.replace("'", "''") + "'"


def upgrade() -> None:
    for table, (layer_sql, geom_sql) in LOGGED.items():
        for event, referencing in EVENTS.items():
            op.execute(
                f"CREATE TRIGGER {table}_layer_edit_{event} AFTER {event.upper()} ON {table} "
                f"REFERENCING {referencing} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION layer_edit_log({_quoted(layer_sql)}, {_quoted(geom_sql)})"
            )


def downgrade() -> None:
    for table in LOGGED:
        for event in EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_layer_edit_{event} ON {table}")
