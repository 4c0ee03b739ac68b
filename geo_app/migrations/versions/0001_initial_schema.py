"""Initial schema: units, features, indicators, campaigns, users and the audit log.

Creates the PostGIS and btree_gist extensions (kept on downgrade: other things may use them),
every table of DESIGN §3 with SRID 4326 geometry and GiST indexes, the PostgreSQL enum types,
and the triggers that make ``audit_log`` append-only.

This file is frozen history: it repeats what it needs instead of importing the models.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import SchemaItem

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENUMS: dict[str, tuple[str, ...]] = {
    "admin_level": ("province", "district", "commune", "hamlet", "residential_group"),
    "hotspot_kind": ("complex_point", "den", "retail", "use_site"),
    "hotspot_status": ("active", "under_attack", "cleared", "relapsed"),
    "hotspot_source": ("tip_off", "patrol", "survey", "other"),
    "facility_site": (
        "police_hq",
        "committee_hq",
        "cultural_house",
        "community_hall",
        "public_place",
        "other",
    ),
    "facility_condition": ("good", "damaged", "missing"),
    "cultivation_status": ("active", "eradicated", "replanted"),
    "route_kind": ("road", "waterway", "border_path", "other"),
    "classification_class": (
        "type_1",
        "type_2",
        "type_3",
        "less_complex",
        "drug_free",
        "insufficient_data",
    ),
    "user_role": ("admin", "commander", "staff", "officer", "viewer"),
}

INDICATOR_COUNTS = (
    "addicts_registered",
    "addicts_in_treatment",
    "drug_users",
    "suspected_users",
    "suspected_tested",
    "post_rehab_managed",
    "offenders_resident",
    "drug_cases_by_residents",
    "serious_incidents",
    "households_total",
    "households_committed",
    "households_informed",
    "tipoffs_received",
    "tipoffs_processed",
    "propaganda_sessions",
    "listening_meetings",
    "models_active",
)
INDICATOR_PARTS = (
    ("households_committed", "households_total"),
    ("households_informed", "households_total"),
    ("tipoffs_processed", "tipoffs_received"),
    ("suspected_tested", "suspected_users"),
)
VERDICTS = "'recognised', 'not_recognised', 'insufficient_data'"

# Tables in creation order; downgrade drops them in reverse.
TABLES = (
    "admin_unit",
    "crosswalk",
    "province_target",
    "app_user",
    "data_load",
    "audit_log",
    "hotspot",
    "hotspot_status_change",
    "hotline_board",
    "tipoff_box",
    "tipoff_inspection",
    "cultivation_site",
    "route",
    "indicator",
    "classification",
    "campaign",
    "phase",
    "campaign_target",
    "campaign_baseline",
    "evaluation",
)

AUDIT_FUNCTION = """
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation',
              HINT = 'Record a new audit row instead of changing an old one.';
END;
$$
"""


def enum(name: str) -> postgresql.ENUM:
    """A reference to an enum type created once in ``upgrade`` (shared by several tables)."""
    return postgresql.ENUM(*ENUMS[name], name=name, create_type=False)


# Constraint names are spelled out (op.f) rather than left to the models' naming convention,
# so this migration keeps producing the same names whatever the models say later.


def pk(table: str) -> list[SchemaItem]:
    return [
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
    ]


def check(table: str, name: str, sql: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(sql, name=op.f(f"ck_{table}_{name}"))


def unique(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))


def ref(
    table: str,
    column: str,
    target: str = "admin_unit",
    *,
    nullable: bool = False,
    ondelete: str | None = None,
) -> sa.Column:
    """A bigint foreign key column to ``target.id``."""
    fk = sa.ForeignKey(
        f"{target}.id", name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )
    return sa.Column(column, sa.BigInteger(), fk, nullable=nullable)


def now_column(name: str, *, nullable: bool = False) -> sa.Column:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=nullable
    )


def geom(kind: str) -> sa.Column:
    return sa.Column("geom", Geometry(kind, srid=4326, spatial_index=False), nullable=False)


def jsonb(name: str, *, nullable: bool = False, default: str | None = None) -> sa.Column:
    server_default = sa.text(default) if default else None
    return sa.Column(name, postgresql.JSONB(), nullable=nullable, server_default=server_default)


def flag(name: str, default: bool = False) -> sa.Column:
    value = "true" if default else "false"
    return sa.Column(name, sa.Boolean(), server_default=sa.text(value), nullable=False)


def text_column(name: str, *, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.Text(), nullable=nullable)


def created() -> list[sa.Column]:
    return [now_column("created_at"), text_column("created_by")]


def tracked() -> list[sa.Column]:
    """created/updated stamps, optimistic-lock version and the demo flag."""
    return [
        *created(),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
        text_column("updated_by"),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        flag("is_demo"),
    ]


def soft_delete() -> list[sa.Column]:
    return [sa.Column("deleted_at", sa.DateTime(timezone=True)), text_column("deleted_by")]


def feature_housekeeping(table: str) -> list[SchemaItem]:
    """Everything an editable map feature carries besides its own fields."""
    return [
        *tracked(),
        *soft_delete(),
        sa.Column("client_id", sa.Uuid()),
        unique(table, "client_id"),
    ]


def index(table: str, *columns: str, name: str | None = None, **kw: Any) -> None:
    op.create_index(name or f"ix_{table}_{columns[0]}", table, list(columns), **kw)


def gist(table: str) -> None:
    index(table, "geom", postgresql_using="gist")


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    bind = op.get_bind()
    for name, values in ENUMS.items():
        postgresql.ENUM(*values, name=name).create(bind, checkfirst=False)
    _admin()
    _users_and_meta()
    _audit()
    _features()
    _indicators()
    _campaigns()


def _admin() -> None:
    t = "admin_unit"
    op.create_table(
        t,
        *pk(t),
        sa.Column("code", sa.String(32), nullable=False),
        text_column("name", nullable=False),
        text_column("name_en"),
        sa.Column("level", enum("admin_level"), nullable=False),
        text_column("kind"),
        sa.Column("layout", sa.String(16), nullable=False),
        ref(t, "parent_id", nullable=True),
        sa.Column("population", sa.Integer()),
        flag("population_is_estimate"),
        text_column("population_source"),
        sa.Column("households", sa.Integer()),
        geom("MULTIPOLYGON"),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date()),
        text_column("source", nullable=False),
        now_column("created_at"),
        flag("is_demo"),
        check(t, "population_nonnegative", "population >= 0"),
        check(t, "households_nonnegative", "households >= 0"),
        check(t, "geom_valid", "ST_IsValid(geom) AND NOT ST_IsEmpty(geom)"),
        check(t, "validity_order", "valid_to IS NULL OR valid_to >= valid_from"),
        # One code never has two versions valid on the same day ([valid_from, valid_to)).
        postgresql.ExcludeConstraint(
            (sa.column("code"), "="),
            (sa.text("daterange(valid_from, valid_to, '[)')"), "&&"),
            using="gist",
            name="ex_admin_unit_code_validity",
        ),
    )
    index(t, "code")
    index(t, "parent_id")
    index(
        t, "level", name="ix_admin_unit_level_current", postgresql_where=sa.text("valid_to IS NULL")
    )
    gist(t)

    t = "crosswalk"
    op.create_table(
        t,
        *pk(t),
        sa.Column("old_code", sa.String(32), nullable=False),
        text_column("old_name"),
        sa.Column("new_code", sa.String(32), nullable=False),
        text_column("new_name"),
        ref(t, "old_unit_id", nullable=True),
        ref(t, "new_unit_id", nullable=True),
        sa.Column("relation", sa.String(16), nullable=False),
        sa.Column("share_of_old", sa.Numeric()),
        sa.Column("share_of_new", sa.Numeric()),
        flag("overlay_checked"),
        text_column("overlay_note"),
        text_column("source", nullable=False),
        unique(t, "old_code", "new_code", "source"),
        check(t, "relation_known", "relation IN ('full', 'partial')"),
        check(t, "share_of_old_fraction", "share_of_old >= 0 AND share_of_old <= 1"),
        check(t, "share_of_new_fraction", "share_of_new >= 0 AND share_of_new <= 1"),
    )
    index(t, "new_code")

    t = "province_target"
    op.create_table(
        t,
        *pk(t),
        sa.Column("province_code", sa.String(32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("goal_share", sa.Numeric()),
        sa.Column("goal_count", sa.Integer()),
        sa.Column("base_count", sa.Integer()),
        text_column("basis", nullable=False),
        now_column("created_at"),
        unique(t, "province_code", "year"),
        check(t, "year_plausible", "year BETWEEN 2000 AND 2100"),
        check(t, "goal_share_fraction", "goal_share >= 0 AND goal_share <= 1"),
        check(t, "goal_count_nonnegative", "goal_count >= 0"),
        check(t, "base_count_nonnegative", "base_count >= 0"),
    )


def _users_and_meta() -> None:
    t = "app_user"
    op.create_table(
        t,
        *pk(t),
        sa.Column("login", sa.String(64), nullable=False),
        text_column("password_hash", nullable=False),
        sa.Column("role", enum("user_role"), nullable=False),
        ref(t, "scope_unit_id", nullable=True),
        flag("is_active", default=True),
        now_column("created_at"),
        sa.Column("last_login_at", sa.DateTime(timezone=True)),
        unique(t, "login"),
        check(t, "login_lower_case", "login = lower(login)"),
        check(t, "login_not_blank", "length(btrim(login)) > 0"),
    )

    t = "data_load"
    op.create_table(
        t,
        *pk(t),
        text_column("name", nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        now_column("loaded_at"),
        jsonb("summary", nullable=True),
        flag("is_demo"),
        unique(t, "name"),
    )


def _audit() -> None:
    t = "audit_log"
    op.create_table(
        t,
        *pk(t),
        now_column("at"),
        text_column("actor", nullable=False),
        text_column("action", nullable=False),
        text_column("table_name", nullable=False),
        text_column("row_id"),
        jsonb("before", nullable=True),
        jsonb("after", nullable=True),
        text_column("reason"),
        sa.Column("prev_hash", sa.CHAR(64), nullable=False),
        sa.Column("hash", sa.CHAR(64), nullable=False),
        unique(t, "hash"),
        check(t, "hash_hex", "hash ~ '^[0-9a-f]{64}$'"),
        check(t, "prev_hash_hex", "prev_hash ~ '^[0-9a-f]{64}$'"),
    )
    index(t, "at")
    index(t, "table_name", "row_id", name="ix_audit_log_table_name_row_id")
    op.execute(AUDIT_FUNCTION)
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()"
    )


def _point_facility(t: str, *columns: SchemaItem) -> None:
    """Hotline boards and tip-off boxes share their shape."""
    op.create_table(
        t,
        *pk(t),
        geom("POINT"),
        sa.Column("site", enum("facility_site"), nullable=False),
        *columns,
        sa.Column(
            "condition",
            enum("facility_condition"),
            server_default=sa.text("'good'"),
            nullable=False,
        ),
        ref(t, "admin_unit_id"),
        *feature_housekeeping(t),
        check(t, "geom_not_empty", "NOT ST_IsEmpty(geom)"),
    )
    index(t, "admin_unit_id")
    gist(t)


def _features() -> None:
    t = "hotspot"
    op.create_table(
        t,
        *pk(t),
        geom("POINT"),
        sa.Column("kind", enum("hotspot_kind"), nullable=False),
        sa.Column("status", enum("hotspot_status"), nullable=False),
        sa.Column("detected_on", sa.Date(), nullable=False),
        sa.Column("cleared_on", sa.Date()),
        sa.Column("relapsed_on", sa.Date()),
        sa.Column("source", enum("hotspot_source"), nullable=False),
        ref(t, "admin_unit_id"),
        text_column("case_ref"),
        text_column("notes"),
        *feature_housekeeping(t),
        check(t, "geom_not_empty", "NOT ST_IsEmpty(geom)"),
        check(t, "cleared_after_detected", "cleared_on IS NULL OR cleared_on >= detected_on"),
        check(t, "relapsed_after_detected", "relapsed_on IS NULL OR relapsed_on >= detected_on"),
        check(t, "cleared_dated", "status <> 'cleared' OR cleared_on IS NOT NULL"),
        check(t, "relapsed_dated", "status <> 'relapsed' OR relapsed_on IS NOT NULL"),
    )
    index(t, "admin_unit_id")
    gist(t)

    t = "hotspot_status_change"
    op.create_table(
        t,
        *pk(t),
        ref(t, "hotspot_id", "hotspot", ondelete="CASCADE"),
        sa.Column("status", enum("hotspot_status"), nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        text_column("reason"),
        *created(),
    )
    index(t, "hotspot_id", "changed_on")

    _point_facility(
        "hotline_board",
        sa.Column("phones", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("installed_on", sa.Date()),
        sa.Column("last_checked_on", sa.Date()),
        check(
            "hotline_board",
            "checked_after_installed",
            "last_checked_on IS NULL OR installed_on IS NULL OR last_checked_on >= installed_on",
        ),
    )
    _point_facility(
        "tipoff_box",
        sa.Column("installed_on", sa.Date()),
        sa.Column("last_opened_on", sa.Date()),
        check(
            "tipoff_box",
            "opened_after_installed",
            "last_opened_on IS NULL OR installed_on IS NULL OR last_opened_on >= installed_on",
        ),
    )

    t = "tipoff_inspection"
    op.create_table(
        t,
        *pk(t),
        ref(t, "box_id", "tipoff_box", ondelete="CASCADE"),
        sa.Column("inspected_on", sa.Date(), nullable=False),
        sa.Column("letters_received", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("letters_forwarded", sa.Integer(), server_default=sa.text("0"), nullable=False),
        *created(),
        check(t, "received_nonnegative", "letters_received >= 0"),
        check(t, "forwarded_nonnegative", "letters_forwarded >= 0"),
        check(t, "forwarded_le_received", "letters_forwarded <= letters_received"),
    )
    index(t, "box_id", "inspected_on")

    t = "cultivation_site"
    op.create_table(
        t,
        *pk(t),
        geom("MULTIPOLYGON"),
        sa.Column("plant_count", sa.Integer()),
        # Geodesic area on the WGS 84 spheroid, kept by PostgreSQL (ST_Area(geography) is
        # IMMUTABLE in PostGIS 3, so a stored generated column is allowed).
        sa.Column(
            "area_m2",
            sa.Numeric(),
            sa.Computed("ST_Area(geom::geography)", persisted=True),
            nullable=False,
        ),
        sa.Column(
            "status",
            enum("cultivation_status"),
            server_default=sa.text("'active'"),
            nullable=False,
        ),
        sa.Column("detected_on", sa.Date(), nullable=False),
        sa.Column("eradicated_on", sa.Date()),
        ref(t, "admin_unit_id", nullable=True),
        *feature_housekeeping(t),
        check(t, "geom_valid", "ST_IsValid(geom) AND NOT ST_IsEmpty(geom)"),
        check(t, "plant_count_nonnegative", "plant_count >= 0"),
        check(
            t, "eradicated_after_detected", "eradicated_on IS NULL OR eradicated_on >= detected_on"
        ),
        check(t, "eradicated_dated", "status <> 'eradicated' OR eradicated_on IS NOT NULL"),
    )
    index(t, "admin_unit_id")
    gist(t)

    t = "route"
    op.create_table(
        t,
        *pk(t),
        geom("MULTILINESTRING"),
        text_column("name", nullable=False),
        sa.Column("kind", enum("route_kind"), nullable=False),
        flag("is_key_route"),
        *feature_housekeeping(t),
        check(t, "geom_valid", "ST_IsValid(geom) AND NOT ST_IsEmpty(geom)"),
    )
    gist(t)


def _indicators() -> None:
    t = "indicator"
    op.create_table(
        t,
        *pk(t),
        ref(t, "admin_unit_id"),
        sa.Column("month", sa.Date(), nullable=False),
        *(sa.Column(name, sa.Integer()) for name in INDICATOR_COUNTS),
        *tracked(),
        unique(t, "admin_unit_id", "month"),
        check(t, "month_first_day", "EXTRACT(DAY FROM month) = 1"),
        *(check(t, f"{c}_nonnegative", f"{c} >= 0") for c in INDICATOR_COUNTS),
        *(
            check(
                t,
                f"{part}_le_{whole}",
                f"{part} IS NULL OR {whole} IS NULL OR {part} <= {whole}",
            )
            for part, whole in INDICATOR_PARTS
        ),
    )

    t = "classification"
    op.create_table(
        t,
        *pk(t),
        ref(t, "admin_unit_id"),
        sa.Column("month", sa.Date(), nullable=False),
        text_column("rule_set", nullable=False),
        sa.Column("class", enum("classification_class"), nullable=False),
        jsonb("criteria"),
        jsonb("missing", default="'[]'"),
        jsonb("inputs"),
        now_column("computed_at"),
        unique(t, "admin_unit_id", "month", "rule_set"),
        check(t, "month_first_day", "EXTRACT(DAY FROM month) = 1"),
    )
    index(t, "month")


def _campaigns() -> None:
    t = "campaign"
    op.create_table(
        t,
        *pk(t),
        sa.Column("code", sa.String(64), nullable=False),
        text_column("title", nullable=False),
        text_column("issuer", nullable=False),
        text_column("document_number"),
        sa.Column("document_date", sa.Date()),
        text_column("classification_rule_set", nullable=False),
        text_column("checklist_rule_set", nullable=False),
        sa.Column("baseline_date", sa.Date()),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date()),
        sa.Column("province_code", sa.String(32)),
        sa.Column("goal_share", sa.Numeric()),
        sa.Column("goal_count", sa.Integer()),
        sa.Column("goal_base_count", sa.Integer()),
        text_column("description"),
        *tracked(),
        *soft_delete(),
        unique(t, "code"),
        check(t, "dates_ordered", "ends_on IS NULL OR ends_on >= starts_on"),
        check(t, "goal_share_fraction", "goal_share >= 0 AND goal_share <= 1"),
        check(t, "goal_count_nonnegative", "goal_count >= 0"),
        check(t, "goal_base_count_nonnegative", "goal_base_count >= 0"),
    )

    t = "phase"
    op.create_table(
        t,
        *pk(t),
        ref(t, "campaign_id", "campaign", ondelete="CASCADE"),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        text_column("name_vi", nullable=False),
        text_column("name_en"),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date()),
        unique(t, "campaign_id", "ordinal"),
        check(t, "ordinal_positive", "ordinal >= 1"),
        check(t, "dates_ordered", "ends_on IS NULL OR ends_on >= starts_on"),
        # Phases of one campaign never overlap, so "the phase on a date" is one phase.
        postgresql.ExcludeConstraint(
            (sa.column("campaign_id"), "="),
            (sa.text("daterange(starts_on, ends_on, '[]')"), "&&"),
            using="gist",
            name="ex_phase_no_overlap",
        ),
    )

    t = "campaign_target"
    op.create_table(
        t,
        *pk(t),
        ref(t, "campaign_id", "campaign", ondelete="CASCADE"),
        ref(t, "admin_unit_id"),
        sa.Column("approved_on", sa.Date()),
        text_column("note"),
        *created(),
        unique(t, "campaign_id", "admin_unit_id"),
    )
    index(t, "admin_unit_id")

    t = "campaign_baseline"
    op.create_table(
        t,
        *pk(t),
        ref(t, "campaign_id", "campaign", ondelete="CASCADE"),
        ref(t, "admin_unit_id"),
        sa.Column("taken_on", sa.Date(), nullable=False),
        jsonb("indicators"),
        *created(),
        unique(t, "campaign_id", "admin_unit_id"),
    )

    t = "evaluation"
    op.create_table(
        t,
        *pk(t),
        ref(t, "campaign_id", "campaign"),
        ref(t, "admin_unit_id"),
        sa.Column("evaluated_on", sa.Date(), nullable=False),
        text_column("rule_set", nullable=False),
        jsonb("inputs"),
        jsonb("criteria"),
        sa.Column("verdict", sa.String(32), nullable=False),
        sa.Column("override_verdict", sa.String(32)),
        text_column("override_reason"),
        *created(),
        unique(t, "campaign_id", "admin_unit_id", "evaluated_on"),
        check(t, "verdict_known", f"verdict IN ({VERDICTS})"),
        check(t, "override_verdict_known", f"override_verdict IN ({VERDICTS})"),
        check(
            t,
            "override_has_reason",
            "override_verdict IS NULL OR "
            "(override_reason IS NOT NULL AND btrim(override_reason) <> '')",
        ),
    )
    index(t, "admin_unit_id")


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
    op.execute("DROP FUNCTION IF EXISTS audit_log_refuse_change()")
    for name in reversed(ENUMS):
        op.execute(f"DROP TYPE IF EXISTS {name}")
