"""Vector-tile support: stored Web Mercator boundaries per zoom band, and a log of map edits.

``admin_unit_tile`` holds each unit's boundary in EPSG:3857 at full detail (band 0) and
pre-simplified per zoom band (filled at import by ``geo_app.services.tiles.bands``, which keeps
shared borders shared). ``layer_edit`` records the bounding box (old and new row) of every
change to a drawn table, and ``layer_version`` counts changes per layer, so a tile cache can drop
exactly the tiles an edit touched and tile URLs can carry a data version.

This file is frozen history: it repeats what it needs instead of importing the models.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The trigger function logs, once per statement, one bounding box per distinct changed row
# (both the old and the new row of an UPDATE) and bumps the layer's version once.
# TG_ARGV[0]: SQL giving the layer name of a row ``r``; TG_ARGV[1]: SQL giving its geometry.
# Both are constants written below, never user input.
LOG_FUNCTION = """
CREATE FUNCTION layer_edit_log() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    changed_rows text;
BEGIN
    IF TG_OP = 'INSERT' THEN
        changed_rows := 'SELECT * FROM new_rows';
    ELSIF TG_OP = 'DELETE' THEN
        changed_rows := 'SELECT * FROM old_rows';
    ELSE
        changed_rows := 'SELECT * FROM old_rows UNION ALL SELECT * FROM new_rows';
    END IF;
    EXECUTE format($sql$
        WITH changed AS (
            SELECT DISTINCT layer,
                   ST_SetSRID(CAST(ST_Expand(Box2D(ST_Transform(ST_Envelope(g), 3857)), 1)
                                   AS geometry), 3857) AS bbox
            FROM (SELECT %1$s AS layer, %2$s AS g FROM (%3$s) r) with_geom
            WHERE g IS NOT NULL AND NOT ST_IsEmpty(g)
        ),
        bumped AS (
            INSERT INTO layer_version AS v (layer, version)
            SELECT DISTINCT layer, 1 FROM changed
            ON CONFLICT (layer) DO UPDATE SET version = v.version + 1
            RETURNING layer, version
        )
        INSERT INTO layer_edit (layer, at, bbox, version)
        SELECT c.layer, now(), c.bbox, b.version FROM changed c JOIN bumped b USING (layer)
    $sql$, TG_ARGV[0], TG_ARGV[1], changed_rows);
    RETURN NULL;
END;
$fn$
"""

ADMIN_LAYER = (
    "CASE CAST(r.level AS text) WHEN 'province' THEN 'provinces' "
    "WHEN 'district' THEN 'districts' WHEN 'commune' THEN 'communes' "
    "WHEN 'hamlet' THEN 'hamlets' ELSE 'residential_groups' END"
)

# table -> (layer-name SQL, geometry SQL) over a changed row ``r``.
LOGGED: dict[str, tuple[str, str]] = {
    "admin_unit": (ADMIN_LAYER, "r.geom"),
    "hotspot": ("'hotspots'", "r.geom"),
    "hotspot_status_change": (
        "'hotspots'",
        "(SELECT h.geom FROM hotspot h WHERE h.id = r.hotspot_id)",
    ),
    "hotline_board": ("'hotline_boards'", "r.geom"),
    "tipoff_box": ("'tipoff_boxes'", "r.geom"),
    "tipoff_inspection": (
        "'tipoff_boxes'",
        "(SELECT b.geom FROM tipoff_box b WHERE b.id = r.box_id)",
    ),
    "cultivation_site": ("'cultivation_sites'", "r.geom"),
    "route": ("'routes'", "r.geom"),
}
# Transition tables allow one event per trigger, so each table gets three.
EVENTS = {
    "insert": "NEW TABLE AS new_rows",
    "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "OLD TABLE AS old_rows",
}


def _quoted(sql: str) -> str:
    return "'" + sql.replace("'", "''") + "'"


def upgrade() -> None:
    op.create_table(
        "admin_unit_tile",
        sa.Column("admin_unit_id", sa.BigInteger(), nullable=False),
        sa.Column("band", sa.SmallInteger(), nullable=False),
        sa.Column("geom", Geometry("MULTIPOLYGON", srid=3857, spatial_index=False), nullable=False),
        sa.ForeignKeyConstraint(
            ["admin_unit_id"],
            ["admin_unit.id"],
            name=op.f("fk_admin_unit_tile_admin_unit_id_admin_unit"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("admin_unit_id", "band", name=op.f("pk_admin_unit_tile")),
        sa.CheckConstraint("band BETWEEN 0 AND 9", name=op.f("ck_admin_unit_tile_band_known")),
    )
    op.create_index("ix_admin_unit_tile_geom", "admin_unit_tile", ["geom"], postgresql_using="gist")
    op.create_table(
        "layer_version",
        sa.Column("layer", sa.Text(), nullable=False),
        sa.Column("version", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("layer", name=op.f("pk_layer_version")),
    )
    op.create_table(
        "layer_edit",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("layer", sa.Text(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("bbox", Geometry("POLYGON", srid=3857, spatial_index=False), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_layer_edit")),
    )
    op.create_index("ix_layer_edit_layer", "layer_edit", ["layer", "version"])
    op.create_index("ix_layer_edit_bbox", "layer_edit", ["bbox"], postgresql_using="gist")
    op.execute(LOG_FUNCTION)
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
    op.execute("DROP FUNCTION IF EXISTS layer_edit_log()")
    op.drop_table("layer_edit")
    op.drop_table("layer_version")
    op.drop_table("admin_unit_tile")
