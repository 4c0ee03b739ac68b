"""What the commune page shows of the relapse candidates (``services.relapse``): a short list
("Nghi tái phức tạp: gần điểm đã triệt xóa #12, 120 m") and a ring around each on the map."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from geo_app.layers.vocab import label
from geo_app.pages.common import Translate, Viewer
from geo_app.pages.legend import LegendItem
from geo_app.services import relapse

RELAPSE_COLOUR = "#c51b7d"
"""The ring around a relapse candidate (apart from the status colours of the pins)."""


@dataclass(frozen=True)
class RelapseItem:
    id: int
    kind_label: str
    detected_on: date
    text: str


@dataclass(frozen=True)
class RelapsePanel:
    """The candidates listed, and as points (a FeatureCollection with ``text``) for the map."""

    title: str
    items: tuple[RelapseItem, ...]
    collection: dict[str, Any]


def relapse_panel(session: Session, unit_id: int, on: date, viewer: Viewer) -> RelapsePanel:
    """The unit's relapse candidates on ``on`` inside the reader's scope, in their words."""
    _ = viewer.gettext
    found = relapse.candidates(session, unit_id, on, viewer.scope_unit_id)
    items = tuple(
        RelapseItem(
            id=item.id,
            kind_label=label("hotspot_kind", item.kind, viewer.lang),
            detected_on=item.detected_on,
            text=_near(item, viewer),
        )
        for item in found
    )
    features = [
        {
            "type": "Feature",
            "id": item.id,
            "geometry": candidate.geometry,
            "properties": {"id": item.id, "text": f"#{item.id} {item.kind_label}: {item.text}"},
        }
        for candidate, item in zip(found, items, strict=True)
    ]
    return RelapsePanel(
        title=_("Suspected relapses"),
        items=items,
        collection={"type": "FeatureCollection", "features": features},
    )


def legend_item(gettext: Translate) -> LegendItem:
    """The legend line of the rings."""
    text = gettext("Suspected relapses (near a cleared point)")
    return LegendItem(text, RELAPSE_COLOUR, shape="ring")


def _near(item: relapse.Candidate, viewer: Viewer) -> str:
    """Which cleared point it lies near: by id and distance only inside the reader's scope."""
    if item.relapse_of_id is None:
        return viewer.gettext("Suspected relapse: near a cleared point outside your area")
    return viewer.gettext(
        "Suspected relapse: near cleared point #%(id)s, %(metres)s m",
        id=item.relapse_of_id,
        metres=item.distance_m,
    )
