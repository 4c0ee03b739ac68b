"""Declarative base and the column sets shared by many tables.

Constraint names follow one convention so later migrations can refer to them by name.
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any, TypeAlias

from geoalchemy2 import Geometry, WKBElement, WKTElement
from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    Identity,
    Integer,
    MetaData,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, MappedColumn, declared_attr, mapped_column

SRID = 4326
"""Every stored geometry is WGS 84 longitude/latitude."""

JSON_DOC = JSONB(none_as_null=True)
"""A JSON document column type; Python ``None`` stores SQL NULL, not JSON ``null``."""

GeometryValue: TypeAlias = WKBElement | WKTElement
"""Reads give WKB; writes may pass WKT (``WKTElement("POINT(106 10)", srid=SRID)``)."""

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Root of every model; one metadata for the whole schema."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: DateTime(timezone=True),
        date: Date,
        dict[str, Any]: JSON_DOC,
        list[Any]: JSON_DOC,
        uuid.UUID: Uuid(as_uuid=True),
        str: Text,
    }


def id_column() -> MappedColumn[Any]:
    """A ``bigint`` identity primary key (by default, so restores may keep their ids)."""
    return mapped_column(BigInteger, Identity(), primary_key=True)


class CreatedMixin:
    """Who made the row and when."""

    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    created_by: Mapped[str | None]


class TrackedMixin(CreatedMixin):
    """Creation and last-update stamps."""

    updated_at: Mapped[datetime | None] = mapped_column(onupdate=func.now())
    updated_by: Mapped[str | None]


class VersionedMixin:
    """Optimistic locking: SQLAlchemy adds ``WHERE version = :seen`` to every UPDATE."""

    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class SoftDeleteMixin:
    """Deletes are soft: the row stays so the audit trail and history stay readable."""

    deleted_at: Mapped[datetime | None]
    deleted_by: Mapped[str | None]


class DemoMixin:
    """Marks rows loaded as demo data so they can be told apart and removed."""

    is_demo: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))


class FeatureMixin(DemoMixin, SoftDeleteMixin, VersionedMixin, TrackedMixin):
    """Housekeeping of an editable map feature, including the offline-queue idempotency key."""

    client_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)


def pg_enum(enum_cls: type[enum.StrEnum], name: str) -> Enum:
    """A native PostgreSQL enum storing the members' values (equal to their names)."""
    return Enum(enum_cls, name=name, values_callable=lambda members: [m.value for m in members])


def geometry(geometry_type: str) -> Geometry:
    """A typed SRID 4326 column; its GiST index is declared explicitly in ``__table_args__``."""
    return Geometry(geometry_type, srid=SRID, spatial_index=False)
