"""What a page shows of the coverage gaps (``services.coverage``): the hamlets and residential
groups lacking a working hotline board or a tip-off box, as a short list and as outlines of
their own on the map, so an officer knows where to install or repair one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from geo_app.layers.vocab import label
from geo_app.pages.common import Translate, Viewer
from geo_app.pages.legend import LegendItem
from geo_app.services import coverage
from geo_app.services.coverage import Gap

GAP_COLOUR = "#08519c"
"""The dashed outline of a sub-unit lacking a board or a box (apart from every class colour)."""
GAP_OUTLINE = {"color": GAP_COLOUR, "weight": 2.5, "dashArray": "6 4", "fill": False}
"""Its Leaflet style, on the commune page and the field page alike."""


@dataclass(frozen=True)
class GapItem:
    code: str
    name: str
    level_label: str
    lacks_label: str


@dataclass(frozen=True)
class CoveragePanel:
    """The list of gaps and their outlines (a FeatureCollection with ``lacks_label``)."""

    title: str
    items: tuple[GapItem, ...]
    none_label: str
    collection: dict[str, Any]


def coverage_panel(session: Session, unit_id: int, on: date, viewer: Viewer) -> CoveragePanel:
    """The sub-units of the unit lacking a board and/or a box on ``on``, in the reader's words."""
    _ = viewer.gettext
    found = coverage.coverage(session, unit_id, on)
    items = tuple(
        GapItem(
            code=gap.code,
            name=gap.name,
            level_label=label("admin_level", gap.level, viewer.lang),
            lacks_label=lacks_label(gap, _),
        )
        for gap in found.gaps
    )
    features = []
    for gap, item in zip(found.gaps, items, strict=True):
        feature = gap.feature()
        feature["properties"]["lacks_label"] = f"{item.name}: {item.lacks_label}"
        features.append(feature)
    return CoveragePanel(
        title=_("Hamlets and groups without a hotline board / tip-off box"),
        items=items,
        none_label=(
            _("Every hamlet and group has a working hotline board and a tip-off box.")
            if found.subunits
            else _("No hamlet or group is mapped here.")
        ),
        collection={"type": "FeatureCollection", "features": features},
    )


def lacks_label(gap: Gap, gettext: Translate) -> str:
    """What the sub-unit lacks, e.g. "no hotline board in good condition, no tip-off box"."""
    words = {
        "board": gettext("no hotline board in good condition"),
        "box": gettext("no tip-off box"),
    }
    return ", ".join(words[lack] for lack in gap.lacks)


def legend_item(gettext: Translate) -> LegendItem:
    """The legend line of the gap outlines."""
    text = gettext("Hamlet or group lacking a board or a box")
    return LegendItem(text, GAP_COLOUR, shape="outline")
