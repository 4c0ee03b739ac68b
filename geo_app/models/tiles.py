"""Tables that serve vector tiles: Web Mercator boundaries per zoom band, and the edit log.

Nothing here is typed by people. ``AdminUnitTile`` is derived from ``admin_unit`` at import
(``geo_app.services.tiles.bands``); ``LayerEdit`` and ``LayerVersion`` are written only by the
``layer_edit_log`` triggers of migration 0003, so every edit, whatever wrote it, is seen.
"""

from __future__ import annotations

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, SmallInteger, text
from sqlalchemy.orm import Mapped, mapped_column

from geo_app.models.base import Base, GeometryValue, id_column

MERCATOR = 3857
"""Tiles are cut in Web Mercator; only these derived copies are stored in it, never areas."""


class AdminUnitTile(Base):
    """A unit's boundary in EPSG:3857: band 0 at full detail, bands 1.. simplified per zoom."""

    __tablename__ = "admin_unit_tile"
    __table_args__ = (
        CheckConstraint("band BETWEEN 0 AND 9", name="band_known"),
        Index("ix_admin_unit_tile_geom", "geom", postgresql_using="gist"),
    )

    admin_unit_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("admin_unit.id", ondelete="CASCADE"), primary_key=True
    )
    band: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    geom: Mapped[GeometryValue] = mapped_column(
        Geometry("MULTIPOLYGON", srid=MERCATOR, spatial_index=False)
    )


class LayerEdit(Base):
    """The bounding box (EPSG:3857) of one changed row of a layer, and the layer's new version."""

    __tablename__ = "layer_edit"
    __table_args__ = (
        Index("ix_layer_edit_layer", "layer", "version"),
        Index("ix_layer_edit_bbox", "bbox", postgresql_using="gist"),
    )

    id: Mapped[int] = id_column()
    layer: Mapped[str]
    at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    bbox: Mapped[GeometryValue] = mapped_column(
        Geometry("POLYGON", srid=MERCATOR, spatial_index=False)
    )
    version: Mapped[int] = mapped_column(BigInteger)


class LayerVersion(Base):
    """How many edit statements a layer has seen: the data version in tile URLs."""

    __tablename__ = "layer_version"

    layer: Mapped[str] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
