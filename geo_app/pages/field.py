"""The field page's data: the officer's area, the form's words and what the page may do offline.

Why without Flask: the page (``web/field.py``) and its service worker read the same facts, and
the vocabularies, transitions and the notes' help text come from the domain and the hotspot
layer, so the phone's form offers exactly what the write API accepts. The map's tile styles
are added by the view (``maps.tile_styles``); everything else the script reads is here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app import urls
from geo_app.domain.vocabulary import STATUS_TRANSITIONS, VOCABULARIES, Lang, Vocabulary
from geo_app.layers import get_layer
from geo_app.models import AdminUnit
from geo_app.pages.common import Viewer
from geo_app.pages.coverage import GAP_OUTLINE, CoveragePanel, coverage_panel
from geo_app.pages.layers import TileLayer
from geo_app.services.layer_api import layer_versions, tile_url

FIELD_ROLES = ("officer", "staff", "admin")
"""Who may use the field page (the write API's writers); commanders and viewers only look."""

GRIDS = ("admin", "points")
"""The map's tile layers: drawn by two grids (areas, points) that share one tile set's tiles
(``country``), one request per tile (``maps.page_maps.shared_tiles``)."""
FIELD_ZOOMS = (13, 14, 15, 16)
"""The zooms kept for offline use: a commune at a glance (13) down to a street (16, the
tiles' finest; closer, the map enlarges the zoom-16 tiles)."""
MAX_OFFLINE_TILES = 1500
MAX_OFFLINE_BYTES = 40 * 1024 * 1024
"""The cap of "download the area's map": a phone's storage and a slow line's patience."""
TILE_BYTES_ESTIMATE = 12 * 1024
"""The estimated size of one stored tile (gzip MVT of a commune at the field zooms), shown
before the download starts."""
TILE_CACHE = "geo-app-field-tiles"
"""The browser cache holding the downloaded tiles (the page fills it, the worker reads it)."""
OUTLINE_TOLERANCE = 0.0001
"""Degrees (about 10 m): the outline drawn over the tiles needs no more detail."""

NEARBY_LAYERS = ("hotspots", "hotline_boards", "tipoff_boxes")
"""What the nearby list shows (the write API's ``/api/field/nearby``)."""

FORM_VOCABULARIES = (
    "hotspot_kind",
    "hotspot_source",
    "hotspot_status",
    "facility_condition",
    "location_method",
)
"""The form's code lists, by vocabulary name (one absent from the domain is left out)."""


@dataclass(frozen=True)
class Area:
    """The officer's scope unit: what the map fits and what is downloaded for offline use."""

    code: str
    name: str
    level: str
    bounds: tuple[float, float, float, float]
    """(south, west, north, east)"""
    outline: dict[str, Any]
    """GeoJSON geometry, simplified."""


@dataclass(frozen=True)
class FieldPage:
    """Everything the field page shows and its script reads."""

    lang: Lang
    today: date
    area: Area | None
    """None for a national login: the map opens on the country and nothing is downloaded."""
    grids: tuple[TileLayer, ...]
    """The tile layers with their current data versions."""
    coverage: CoveragePanel | None
    """A commune's hamlets and groups lacking a working board or a box (None above a commune:
    a province's would be thousands)."""

    @property
    def title(self) -> str:
        return self.area.name if self.area is not None else ""


def field_page(session: Session, viewer: Viewer) -> FieldPage:
    """The field page of the reader (their scope unit as the area)."""
    area = _area(session, viewer.scope_unit_id)
    gaps = None
    if area is not None and viewer.scope_unit_id is not None and area.level == "commune":
        gaps = coverage_panel(session, viewer.scope_unit_id, viewer.today, viewer)
    return FieldPage(
        lang=viewer.lang,
        today=viewer.today,
        area=area,
        grids=_grids(session),
        coverage=gaps,
    )


def _grids(session: Session) -> tuple[TileLayer, ...]:
    versions = layer_versions(session)
    return tuple(TileLayer(name, tile_url(name, versions), name) for name in GRIDS)


def _area(session: Session, unit_id: int | None) -> Area | None:
    if unit_id is None:
        return None
    geom = AdminUnit.geom
    row = session.execute(
        sa.select(
            AdminUnit.code,
            AdminUnit.name,
            sa.cast(AdminUnit.level, sa.String).label("level"),
            sa.func.ST_AsGeoJSON(sa.func.ST_SimplifyPreserveTopology(geom, OUTLINE_TOLERANCE), 6)
            .cast(sa.JSON)
            .label("outline"),
            sa.func.ST_YMin(geom).label("south"),
            sa.func.ST_XMin(geom).label("west"),
            sa.func.ST_YMax(geom).label("north"),
            sa.func.ST_XMax(geom).label("east"),
        ).where(AdminUnit.id == unit_id)
    ).one()
    return Area(
        code=row.code,
        name=row.name,
        level=row.level,
        bounds=(row.south, row.west, row.north, row.east),
        outline=row.outline,
    )


def _codes(vocabulary: Vocabulary, lang: Lang) -> list[dict[str, str]]:
    return [{"code": t.code, "label": t.label(lang)} for t in vocabulary.terms]


def script_config(page: FieldPage) -> dict[str, Any]:
    """What ``static/field/field.js`` reads (JSON in the page): the area, the words, the URLs
    and the offline limits."""
    notes = next(f for f in get_layer("hotspots").fields if f.name == "notes")
    area = page.area
    return {
        "lang": page.lang,
        "today": page.today.isoformat(),
        "area": None
        if area is None
        else {"code": area.code, "name": area.name, "bounds": area.bounds, "outline": area.outline},
        "vocabularies": {
            name: _codes(VOCABULARIES[name], page.lang)
            for name in FORM_VOCABULARIES
            if name in VOCABULARIES
        },
        "layers": {name: get_layer(name).title(page.lang) for name in NEARBY_LAYERS},
        "gaps": None
        if page.coverage is None
        else {"collection": page.coverage.collection, "style": GAP_OUTLINE},
        "transitions": {before: sorted(after) for before, after in STATUS_TRANSITIONS.items()},
        "notes": {"help": notes.help(page.lang), "maxLength": notes.max_length},
        "urls": {
            **urls.FIELD_API,
            "page": urls.FIELD_PATH,
            "worker": urls.FIELD_WORKER,
            "login": urls.login_url(urls.FIELD_PATH, page.lang),
        },
        "tiles": {
            "cache": TILE_CACHE,
            "zooms": list(FIELD_ZOOMS),
            "maxTiles": MAX_OFFLINE_TILES,
            "maxBytes": MAX_OFFLINE_BYTES,
            "tileBytes": TILE_BYTES_ESTIMATE,
        },
    }
