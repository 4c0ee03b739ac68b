"""Map features edited in the field: hotspots, hotline boards, tip-off boxes, fields, routes.

No column may hold a person's name or identity; hotspots describe places, never people.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Computed,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, MappedColumn, mapped_column

from geo_app.models.base import (
    Base,
    CreatedMixin,
    FeatureMixin,
    GeometryValue,
    geometry,
    id_column,
    pg_enum,
)


class HotspotKind(enum.StrEnum):
    """điểm phức tạp | tụ điểm | điểm bán lẻ | điểm tổ chức, chứa chấp sử dụng."""

    complex_point = "complex_point"
    den = "den"
    retail = "retail"
    use_site = "use_site"


class HotspotStatus(enum.StrEnum):
    active = "active"
    under_attack = "under_attack"
    cleared = "cleared"
    relapsed = "relapsed"


class HotspotSource(enum.StrEnum):
    tip_off = "tip_off"
    patrol = "patrol"
    survey = "survey"
    other = "other"


class FacilitySite(enum.StrEnum):
    """Where a hotline board or tip-off box stands."""

    police_hq = "police_hq"
    committee_hq = "committee_hq"
    cultural_house = "cultural_house"
    community_hall = "community_hall"
    public_place = "public_place"
    other = "other"


class FacilityCondition(enum.StrEnum):
    good = "good"
    damaged = "damaged"
    missing = "missing"


class CultivationStatus(enum.StrEnum):
    active = "active"
    eradicated = "eradicated"
    replanted = "replanted"


class LocationMethod(enum.StrEnum):
    """How a feature placed in the field got its position."""

    gps = "gps"
    tap = "tap"


class RouteKind(enum.StrEnum):
    road = "road"
    waterway = "waterway"
    border_path = "border_path"
    other = "other"


HOTSPOT_STATUS = pg_enum(HotspotStatus, "hotspot_status")
FACILITY_SITE = pg_enum(FacilitySite, "facility_site")
FACILITY_CONDITION = pg_enum(FacilityCondition, "facility_condition")
LOCATION_METHOD = pg_enum(LocationMethod, "location_method")


def _unit_fk(*, nullable: bool = False) -> MappedColumn[Any]:
    """The containing unit, set by the service from the geometry, never typed by a user."""
    return mapped_column(BigInteger, ForeignKey("admin_unit.id"), nullable=nullable)


class PlacedMixin:
    """How a feature placed in the field was positioned, and how well (NULL: not known)."""

    placed_by: Mapped[LocationMethod | None] = mapped_column(LOCATION_METHOD)
    accuracy_m: Mapped[Decimal | None] = mapped_column(Numeric)


def _accuracy_check() -> CheckConstraint:
    return CheckConstraint("accuracy_m >= 0", name="accuracy_nonnegative")


NOTES_MAX_LENGTH = 500
"""A hotspot's notes stay short: a place's description, never a person's file (issue 9)."""


class Hotspot(PlacedMixin, FeatureMixin, Base):
    """A place of drug activity; its dated history is in ``hotspot_status_change``."""

    __tablename__ = "hotspot"
    __table_args__ = (
        CheckConstraint("NOT ST_IsEmpty(geom)", name="geom_not_empty"),
        CheckConstraint(
            "cleared_on IS NULL OR cleared_on >= detected_on", name="cleared_after_detected"
        ),
        CheckConstraint(
            "relapsed_on IS NULL OR relapsed_on >= detected_on", name="relapsed_after_detected"
        ),
        CheckConstraint("status <> 'cleared' OR cleared_on IS NOT NULL", name="cleared_dated"),
        CheckConstraint("status <> 'relapsed' OR relapsed_on IS NOT NULL", name="relapsed_dated"),
        CheckConstraint(f"char_length(notes) <= {NOTES_MAX_LENGTH}", name="notes_short"),
        _accuracy_check(),
        Index("ix_hotspot_geom", "geom", postgresql_using="gist"),
        Index("ix_hotspot_admin_unit_id", "admin_unit_id"),
    )

    id: Mapped[int] = id_column()
    geom: Mapped[GeometryValue] = mapped_column(geometry("POINT"))
    kind: Mapped[HotspotKind] = mapped_column(pg_enum(HotspotKind, "hotspot_kind"))
    status: Mapped[HotspotStatus] = mapped_column(HOTSPOT_STATUS)
    detected_on: Mapped[date]
    cleared_on: Mapped[date | None]
    relapsed_on: Mapped[date | None]
    source: Mapped[HotspotSource] = mapped_column(pg_enum(HotspotSource, "hotspot_source"))
    admin_unit_id: Mapped[int] = _unit_fk()
    case_ref: Mapped[str | None]
    notes: Mapped[str | None]
    relapse_of_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("hotspot.id"))
    """The cleared hotspot this one lies near when it was created (a relapse candidate)."""
    relapse_distance_m: Mapped[Decimal | None] = mapped_column(Numeric)


class HotspotStatusChange(CreatedMixin, Base):
    """One dated status of a hotspot, so "status as of a date" is answerable."""

    __tablename__ = "hotspot_status_change"
    __table_args__ = (Index("ix_hotspot_status_change_hotspot_id", "hotspot_id", "changed_on"),)

    id: Mapped[int] = id_column()
    hotspot_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("hotspot.id", ondelete="CASCADE")
    )
    status: Mapped[HotspotStatus] = mapped_column(HOTSPOT_STATUS)
    changed_on: Mapped[date]
    reason: Mapped[str | None]


class HotlineBoard(PlacedMixin, FeatureMixin, Base):
    """A public board listing police phone numbers."""

    __tablename__ = "hotline_board"
    __table_args__ = (
        CheckConstraint("NOT ST_IsEmpty(geom)", name="geom_not_empty"),
        CheckConstraint(
            "last_checked_on IS NULL OR installed_on IS NULL OR last_checked_on >= installed_on",
            name="checked_after_installed",
        ),
        _accuracy_check(),
        Index("ix_hotline_board_geom", "geom", postgresql_using="gist"),
        Index("ix_hotline_board_admin_unit_id", "admin_unit_id"),
    )

    id: Mapped[int] = id_column()
    geom: Mapped[GeometryValue] = mapped_column(geometry("POINT"))
    site: Mapped[FacilitySite] = mapped_column(FACILITY_SITE)
    phones: Mapped[list[str]] = mapped_column(ARRAY(Text))
    installed_on: Mapped[date | None]
    last_checked_on: Mapped[date | None]
    condition: Mapped[FacilityCondition] = mapped_column(
        FACILITY_CONDITION, server_default=text("'good'")
    )
    admin_unit_id: Mapped[int] = _unit_fk()


class HotlineBoardCheck(CreatedMixin, Base):
    """One visit to a hotline board: the condition found; it also updates the board."""

    __tablename__ = "hotline_board_check"
    __table_args__ = (Index("ix_hotline_board_check_board_id", "board_id", "checked_on"),)

    id: Mapped[int] = id_column()
    board_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("hotline_board.id", ondelete="CASCADE")
    )
    checked_on: Mapped[date]
    condition: Mapped[FacilityCondition] = mapped_column(FACILITY_CONDITION)
    client_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)


class TipoffBox(PlacedMixin, FeatureMixin, Base):
    """A box where residents drop reports (hòm thư tố giác tội phạm)."""

    __tablename__ = "tipoff_box"
    __table_args__ = (
        CheckConstraint("NOT ST_IsEmpty(geom)", name="geom_not_empty"),
        CheckConstraint(
            "last_opened_on IS NULL OR installed_on IS NULL OR last_opened_on >= installed_on",
            name="opened_after_installed",
        ),
        _accuracy_check(),
        Index("ix_tipoff_box_geom", "geom", postgresql_using="gist"),
        Index("ix_tipoff_box_admin_unit_id", "admin_unit_id"),
    )

    id: Mapped[int] = id_column()
    geom: Mapped[GeometryValue] = mapped_column(geometry("POINT"))
    site: Mapped[FacilitySite] = mapped_column(FACILITY_SITE)
    installed_on: Mapped[date | None]
    last_opened_on: Mapped[date | None]
    condition: Mapped[FacilityCondition] = mapped_column(
        FACILITY_CONDITION, server_default=text("'good'")
    )
    admin_unit_id: Mapped[int] = _unit_fk()


class TipoffInspection(CreatedMixin, Base):
    """One opening of a tip-off box: letters counted, never their content or senders."""

    __tablename__ = "tipoff_inspection"
    __table_args__ = (
        CheckConstraint("letters_received >= 0", name="received_nonnegative"),
        CheckConstraint("letters_forwarded >= 0", name="forwarded_nonnegative"),
        CheckConstraint("letters_forwarded <= letters_received", name="forwarded_le_received"),
        Index("ix_tipoff_inspection_box_id", "box_id", "inspected_on"),
    )

    id: Mapped[int] = id_column()
    box_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("tipoff_box.id", ondelete="CASCADE"))
    inspected_on: Mapped[date]
    letters_received: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    letters_forwarded: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    client_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)


class CultivationSite(PlacedMixin, FeatureMixin, Base):
    """A field of drug plants; ``area_m2`` is geodesic and maintained by PostgreSQL."""

    __tablename__ = "cultivation_site"
    __table_args__ = (
        CheckConstraint("ST_IsValid(geom) AND NOT ST_IsEmpty(geom)", name="geom_valid"),
        CheckConstraint("plant_count >= 0", name="plant_count_nonnegative"),
        CheckConstraint(
            "eradicated_on IS NULL OR eradicated_on >= detected_on",
            name="eradicated_after_detected",
        ),
        CheckConstraint(
            "status <> 'eradicated' OR eradicated_on IS NOT NULL", name="eradicated_dated"
        ),
        _accuracy_check(),
        Index("ix_cultivation_site_geom", "geom", postgresql_using="gist"),
        Index("ix_cultivation_site_admin_unit_id", "admin_unit_id"),
    )

    id: Mapped[int] = id_column()
    geom: Mapped[GeometryValue] = mapped_column(geometry("MULTIPOLYGON"))
    plant_count: Mapped[int | None] = mapped_column(Integer)
    area_m2: Mapped[Decimal] = mapped_column(
        Numeric, Computed("ST_Area(geom::geography)", persisted=True)
    )
    status: Mapped[CultivationStatus] = mapped_column(
        pg_enum(CultivationStatus, "cultivation_status"), server_default=text("'active'")
    )
    detected_on: Mapped[date]
    eradicated_on: Mapped[date | None]
    admin_unit_id: Mapped[int | None] = _unit_fk(nullable=True)


class Route(FeatureMixin, Base):
    """A trafficking route; whether it crosses a unit is derived at query time."""

    __tablename__ = "route"
    __table_args__ = (
        CheckConstraint("ST_IsValid(geom) AND NOT ST_IsEmpty(geom)", name="geom_valid"),
        Index("ix_route_geom", "geom", postgresql_using="gist"),
    )

    id: Mapped[int] = id_column()
    geom: Mapped[GeometryValue] = mapped_column(geometry("MULTILINESTRING"))
    name: Mapped[str]
    kind: Mapped[RouteKind] = mapped_column(pg_enum(RouteKind, "route_kind"))
    is_key_route: Mapped[bool] = mapped_column(server_default=text("false"))
