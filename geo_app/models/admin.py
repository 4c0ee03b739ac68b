"""Administrative units (versioned boundaries), the old-to-new crosswalk and province goals."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from geo_app.models.base import (
    Base,
    DemoMixin,
    GeometryValue,
    TrackedMixin,
    VersionedMixin,
    geometry,
    id_column,
    pg_enum,
)


class AdminLevel(enum.StrEnum):
    """Level of an administrative unit; districts exist only in layouts before July 2025."""

    province = "province"
    district = "district"
    commune = "commune"
    hamlet = "hamlet"
    residential_group = "residential_group"


class AdminUnit(DemoMixin, Base):
    """One version of one unit's boundary; a boundary change closes it and adds a new row."""

    __tablename__ = "admin_unit"
    __table_args__ = (
        CheckConstraint("population >= 0", name="population_nonnegative"),
        CheckConstraint("households >= 0", name="households_nonnegative"),
        CheckConstraint("ST_IsValid(geom) AND NOT ST_IsEmpty(geom)", name="geom_valid"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="validity_order"),
        ExcludeConstraint(
            ("code", "="),
            (func.daterange(text("valid_from"), text("valid_to"), text("'[)'")), "&&"),
            using="gist",
            name="ex_admin_unit_code_validity",
        ),
        Index("ix_admin_unit_code", "code"),
        Index("ix_admin_unit_parent_id", "parent_id"),
        Index("ix_admin_unit_level_current", "level", postgresql_where=text("valid_to IS NULL")),
        Index("ix_admin_unit_level_from", "level", "valid_from"),
        Index("ix_admin_unit_geom", "geom", postgresql_using="gist"),
    )

    id: Mapped[int] = id_column()
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str]
    name_en: Mapped[str | None]
    level: Mapped[AdminLevel] = mapped_column(pg_enum(AdminLevel, "admin_level"))
    kind: Mapped[str | None]
    layout: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("admin_unit.id"))
    population: Mapped[int | None] = mapped_column(Integer)
    population_is_estimate: Mapped[bool] = mapped_column(server_default=text("false"))
    population_source: Mapped[str | None]
    households: Mapped[int | None] = mapped_column(Integer)
    geom: Mapped[GeometryValue] = mapped_column(geometry("MULTIPOLYGON"))
    area_km2: Mapped[Decimal | None] = mapped_column(Numeric)
    """Geodesic, 2 decimals; set by the database whenever ``geom`` is written (migration 0012)."""
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    source: Mapped[str]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())


class Crosswalk(Base):
    """Old unit to new unit with area shares, so pre-merger data stays readable after it."""

    __tablename__ = "crosswalk"
    __table_args__ = (
        UniqueConstraint("old_code", "new_code", "source"),
        CheckConstraint("relation IN ('full', 'partial')", name="relation_known"),
        CheckConstraint("share_of_old >= 0 AND share_of_old <= 1", name="share_of_old_fraction"),
        CheckConstraint("share_of_new >= 0 AND share_of_new <= 1", name="share_of_new_fraction"),
        Index("ix_crosswalk_new_code", "new_code"),
    )

    id: Mapped[int] = id_column()
    old_code: Mapped[str] = mapped_column(String(32))
    old_name: Mapped[str | None]
    new_code: Mapped[str] = mapped_column(String(32))
    new_name: Mapped[str | None]
    old_unit_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("admin_unit.id"))
    new_unit_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("admin_unit.id"))
    relation: Mapped[str] = mapped_column(String(16))
    share_of_old: Mapped[Decimal | None] = mapped_column(Numeric)
    share_of_new: Mapped[Decimal | None] = mapped_column(Numeric)
    overlay_checked: Mapped[bool] = mapped_column(server_default=text("false"))
    overlay_note: Mapped[str | None]
    source: Mapped[str]


class ProvinceTarget(DemoMixin, VersionedMixin, TrackedMixin, Base):
    """A province's registered goal for a year (e.g. 20 % of communes drug-free), with its basis;
    edited under optimistic locking (``version``)."""

    __tablename__ = "province_target"
    __table_args__ = (
        UniqueConstraint("province_code", "year"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year_plausible"),
        CheckConstraint("goal_share >= 0 AND goal_share <= 1", name="goal_share_fraction"),
        CheckConstraint("goal_count >= 0", name="goal_count_nonnegative"),
        CheckConstraint("base_count >= 0", name="base_count_nonnegative"),
    )

    id: Mapped[int] = id_column()
    province_code: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    goal_share: Mapped[Decimal | None] = mapped_column(Numeric)
    goal_count: Mapped[int | None] = mapped_column(Integer)
    base_count: Mapped[int | None] = mapped_column(Integer)
    basis: Mapped[str]
