"""Classification tiles are invalidated by the edits that change them.

The ``classification`` layer draws units coloured by their latest stored classification. A new
or changed classification, and any edit of a unit's boundary, now logs the unit's bounding box
under the layer ``classification`` through 0003's ``layer_edit_log`` and bumps that layer's
version, so the tile cache rebuilds exactly those tiles and page URLs carry a new data version.

This file is frozen history: it repeats what it needs instead of importing the models.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LAYER = "'classification'"

# trigger name prefix -> (table, layer-name SQL, geometry SQL over a changed row ``r``).
LOGGED: dict[str, tuple[str, str, str]] = {
    "classification_layer_edit": (
        "classification",
        LAYER,
        "(SELECT u.geom FROM admin_unit u WHERE u.id = r.admin_unit_id)",
    ),
    # admin_unit already logs its own layers (0003) under admin_unit_layer_edit_*.
    "admin_unit_classification_edit": ("admin_unit", LAYER, "r.geom"),
}
EVENTS = {
    "insert": "NEW TABLE AS new_rows",
    "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "OLD TABLE AS old_rows",
}


def _quoted(sql: str) -> str:
    return "'" + sql.replace("'", "''") + "'"


def upgrade() -> None:
    for prefix, (table, layer_sql, geom_sql) in LOGGED.items():
        for event, referencing in EVENTS.items():
            op.execute(
                f"CREATE TRIGGER {prefix}_{event} AFTER {event.upper()} ON {table} "
                f"REFERENCING {referencing} FOR EACH STATEMENT "
                f"EXECUTE FUNCTION layer_edit_log({_quoted(layer_sql)}, {_quoted(geom_sql)})"
            )


def downgrade() -> None:
    for prefix, (table, _layer, _geom) in LOGGED.items():
        for event in EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS {prefix}_{event} ON {table}")
