"""What a layer is: one frozen description that maps, APIs, tiles and exports all read.

A layer builds queries and map objects; it never executes them, commits, or reads the request.
The features service (``geo_app.features``) runs the query and PostGIS writes GeoJSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa

from geo_app import clock
from geo_app.layers.fields import Field
from geo_app.layers.fields import Lang as Lang

GeometryType = Literal["MultiPolygon", "Point", "MultiLineString"]


LAYERS_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class LayerQuery:
    """Filter values a caller may pass; each layer declares which ones it honours."""

    area_code: str | None = None
    as_of: date | None = None
    bbox: tuple[float, float, float, float] | None = None
    status: tuple[str, ...] = ()
    simplify_degrees: float | None = None
    lang: Lang = "vi"
    scope_unit_id: int | None = None
    """The user's scope (None = national). Not a filter a caller picks: every layer holding
    sensitive data (all but the plain boundaries) always keeps its rows inside it."""
    campaign_id: int | None = None
    """One campaign, for layers about campaigns (``campaign_progress``); None = every campaign."""


FilterName = Literal["area", "date", "bbox", "status", "campaign"]
QueryBuilder = Callable[[LayerQuery], "sa.Select[*tuple[Any, ...]]"]


@dataclass(frozen=True)
class Style:
    """Leaflet path options; ``fill_by`` colours features by an attribute's value."""

    color: str = "#444444"
    weight: float = 1.0
    fill_color: str = "#cccccc"
    fill_opacity: float = 0.35
    fill_by: tuple[str, dict[str, str]] | None = None

    def for_properties(self, properties: dict[str, object]) -> dict[str, object]:
        fill = self.fill_color
        if self.fill_by is not None:
            attribute, colours = self.fill_by
            fill = colours.get(str(properties.get(attribute)), self.fill_color)
        return {
            "color": self.color,
            "weight": self.weight,
            "fillColor": fill,
            "fillOpacity": self.fill_opacity,
        }


@dataclass(frozen=True)
class TileSpec:
    """How a layer goes into vector tiles (``GET /tiles/<name>/<z>/<x>/<y>.mvt``).

    ``source`` names ``geo_app/layers/<source>.tiles.sql``: the rows of one tile, with
    ``id``, the ``properties`` and ``geom`` (EPSG:3857). Below ``min_zoom`` a layer with
    ``counts_below`` is drawn as counts per grid cell (and ``count_flags``, boolean columns of
    the rows, counted too); otherwise it is left out of the tile. From ``min_zoom`` on, a tile
    holding more than ``counts_over`` rows (with ``counts_below``) is drawn as counts too: a
    dense province then never puts thousands of markers on a phone, a sparse one shows each.
    """

    source: str
    min_zoom: int = 0
    max_zoom: int = 22
    properties: tuple[str, ...] = ()
    params: tuple[tuple[str, str], ...] = ()
    counts_below: bool = False
    count_flags: tuple[str, ...] = ()
    counts_over: int | None = None
    request_params: tuple[str, ...] = ()
    """URL query parameters (whole numbers, e.g. ``campaign``) the .sql file reads by name;
    they are part of the tile cache key."""

    def __post_init__(self) -> None:
        if self.counts_over is not None and not self.counts_below:
            raise ValueError(f"tiles of {self.source}: counts_over needs counts_below")

    def sql(self) -> str:
        """The tile query, kept beside the layer modules so a layer's facts sit together."""
        return (LAYERS_DIR / f"{self.source}.tiles.sql").read_text(encoding="utf-8")


@dataclass(frozen=True)
class LayerSpec:
    """A map layer: identity, titles, geometry, query, its fields, style, filters.

    ``fields`` declare every column of the query but ``geom`` (see ``layers.fields``);
    ``id_field`` names the one that identifies a feature, ``tooltip_field`` the one a tooltip
    shows (its label column when it is coded).
    """

    name: str
    title_vi: str
    title_en: str
    geometry_type: GeometryType
    table: str
    query: QueryBuilder
    fields: tuple[Field, ...]
    id_field: str
    tooltip_field: str
    filters: tuple[FilterName, ...]
    style: Style = field(default_factory=Style)
    srid: int = 4326
    link_field: str | None = None
    tiles: TileSpec | None = None

    def title(self, lang: Lang) -> str:
        return self.title_vi if lang == "vi" else self.title_en

    def field(self, name: str) -> Field:
        """The field called ``name``; KeyError when the layer has none."""
        for item in self.fields:
            if item.name == name:
                return item
        raise KeyError(f"layer {self.name} has no field {name!r}")

    @property
    def popup_fields(self) -> tuple[Field, ...]:
        """The fields a popup shows, in declaration order."""
        return tuple(f for f in self.fields if f.popup)

    @property
    def export_fields(self) -> tuple[Field, ...]:
        """The export schema (GeoPackage/Shapefile/CSV), in declaration order."""
        return tuple(f for f in self.fields if f.exported)

    def columns(self, *, sensitive: bool) -> tuple[str, ...]:
        """Every column a reader may get: sensitive fields only when ``sensitive``."""
        return tuple(
            column for f in self.fields if sensitive or not f.sensitive for column in f.columns
        )

    def build_query(self, request: LayerQuery) -> sa.Select[*tuple[Any, ...]]:
        """The layer's select with a ``geom`` column, after checking the filters it honours."""
        unsupported = requested_filters(request) - set(self.filters)
        if unsupported:
            names = ", ".join(sorted(unsupported))
            raise ValueError(f"layer {self.name} has no filter {names}")
        return _built(self.query, request, clock.today())


@lru_cache(maxsize=1024)
def _built(query: QueryBuilder, request: LayerQuery, today: date) -> sa.Select[*tuple[Any, ...]]:
    """A layer's select, made once per request value and day (``today`` is the key of the
    builders' default date): building one costs ~3 ms of Python, often more than running it,
    and a select is immutable (every change makes a new one), so it is shared safely."""
    del today
    return query(request)


def requested_filters(request: LayerQuery) -> set[str]:
    """The filters a request uses, by the names layers declare in ``filters``."""
    requested: set[str] = set()
    if request.area_code is not None:
        requested.add("area")
    if request.as_of is not None:
        requested.add("date")
    if request.bbox is not None:
        requested.add("bbox")
    if request.status:
        requested.add("status")
    if request.campaign_id is not None:
        requested.add("campaign")
    return requested
