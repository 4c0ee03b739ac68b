"""The layers a page draws: tile layers (URL, title, shown at first) and embedded collections,
all read as of the page's date and inside the reader's scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from geo_app import features
from geo_app.features import FeatureQuery
from geo_app.layers import get_layer
from geo_app.layers.base import Lang, LayerQuery
from geo_app.pages.common import Viewer
from geo_app.services.layer_api import layer_versions, tile_url


@dataclass(frozen=True)
class TileLayer:
    """A vector-tile layer or set to draw: ``name`` picks its style, ``url`` is dated."""

    name: str
    url: str
    title: str
    show: bool = True


def month_tiles(
    session: Session,
    specs: tuple[tuple[str, bool], ...],
    tile_month: str | None,
    lang: Lang,
    *,
    within: int | None = None,
) -> tuple[TileLayer, ...]:
    """Registered tile layers (name, shown at first), dated ``tile_month`` when given and
    drawn only inside unit ``within`` when given (``web/tiles.py``: it narrows, never widens)."""
    versions = layer_versions(session)
    suffix = f"&within={within}" if within is not None else ""
    suffix += f"&month={tile_month}" if tile_month else ""
    return tuple(
        TileLayer(name, tile_url(name, versions) + suffix, get_layer(name).title(lang), show)
        for name, show in specs
    )


def layer_query(name: str, area: str, on: date, viewer: Viewer) -> LayerQuery:
    """The query of a layer inside an area: dated where the layer keeps dates."""
    as_of = on if "date" in get_layer(name).filters else None
    return LayerQuery(
        area_code=area, as_of=as_of, lang=viewer.lang, scope_unit_id=viewer.scope_unit_id
    )


def collections(
    session: Session, names: tuple[str, ...], area: str, on: date, viewer: Viewer
) -> dict[str, dict[str, Any]]:
    """Each named layer's features inside the area, as of ``on``."""
    return {
        name: features.collection(
            session, FeatureQuery(name, layer_query(name, area, on, viewer))
        ).geojson
        for name in names
    }
