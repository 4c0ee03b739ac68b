"""What a map legend says: sections of swatches from the layers' own colours, in the page language.

Swatches are a layer's own colours (its style's ``fill_by``) labelled through the vocabulary its
field names, so a legend says what the map and the popups say. Section titles are catalog
messages translated by the reader's ``gettext``; ``maps.legend`` draws the sections, and a
printed briefing can lay out the same ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from geo_app.layers.base import Lang, LayerSpec
from geo_app.layers.classification import CLASS_COLOURS, CLASSES, INSUFFICIENT
from geo_app.layers.facilities import HOTLINE_BOARDS
from geo_app.layers.hotspots import COUNT_COLOUR, HOTSPOTS
from geo_app.layers.vocab import label
from geo_app.pages.common import Translate

Shape = Literal["box", "circle", "square", "outline", "ring"]
"""``outline``: a dashed border in the colour (an outline drawn over the areas); ``ring``: a
circle's border in the colour (drawn around a point)."""

HOTSPOT_GLYPHS: dict[str, str] = {
    "complex_point": "P",
    "den": "T",
    "retail": "B",
    "use_site": "S",
}
"""One letter per hotspot kind (the initial of its Vietnamese name), drawn in the marker."""
BOARD_GLYPH = "☎"
BOX_GLYPH = "✉"
HATCH_LINE = "#4d4d4d"


@dataclass(frozen=True)
class LegendItem:
    """One row: a swatch (colour, optional hatching or glyph) and its label."""

    label: str
    colour: str
    hatch: bool = False
    shape: Shape = "box"
    glyph: str = ""
    count: int | None = None


@dataclass(frozen=True)
class LegendSection:
    title: str
    items: tuple[LegendItem, ...]
    subtitle: str = ""


def classification_section(
    lang: Lang,
    gettext: Translate,
    *,
    month: str | None = None,
    counts: Mapping[str, int] | None = None,
) -> LegendSection:
    """The five classes, insufficient data (hatched) and no data, with counts when given."""
    items = tuple(
        LegendItem(
            label=label("classification_class", code, lang),
            colour=CLASS_COLOURS[code],
            hatch=code == INSUFFICIENT,
            count=None if counts is None else counts.get(code, 0),
        )
        for code in CLASSES
    )
    title = gettext("Commune classification")
    subtitle = gettext("Data up to %(month)s", month=month) if month else ""
    return LegendSection(title, items, subtitle)


def hotspot_sections(
    lang: Lang, gettext: Translate, *, counted: bool = False
) -> tuple[LegendSection, ...]:
    """Hotspot colours by status and letters by kind; with ``counted`` (a map from tiles, where
    dense tiles and low zooms count hotspots per cell) the count circle too."""
    statuses = _fill_items(HOTSPOTS, lang, "circle")
    if counted:
        label_ = gettext("Hotspots counted per cell (click one; zoom in to see each)")
        statuses = (*statuses, LegendItem(label_, COUNT_COLOUR, shape="circle"))
    kinds = tuple(
        LegendItem(
            label(_vocabulary(HOTSPOTS, "kind"), code, lang), "#ffffff", shape="circle", glyph=glyph
        )
        for code, glyph in HOTSPOT_GLYPHS.items()
    )
    return (
        LegendSection(gettext("Hotspots (colour by status)"), statuses),
        LegendSection(gettext("Hotspot kinds"), kinds),
    )


def facility_section(lang: Lang, gettext: Translate) -> LegendSection:
    """Boards and boxes coloured by how long since they were last checked."""
    items = _fill_items(HOTLINE_BOARDS, lang, "square")
    return LegendSection(gettext("Boards ☎, boxes ✉: last checked"), items)


def _vocabulary(spec: LayerSpec, field_name: str) -> str:
    vocabulary = spec.field(field_name).vocabulary
    if vocabulary is None:
        raise ValueError(f"layer {spec.name}: field {field_name} has no vocabulary")
    return vocabulary


def _fill_items(spec: LayerSpec, lang: Lang, shape: Shape) -> tuple[LegendItem, ...]:
    """One swatch per colour the layer fills by, labelled through that field's vocabulary."""
    if spec.style.fill_by is None:
        return ()
    attribute, colours = spec.style.fill_by
    vocabulary = _vocabulary(spec, attribute)
    return tuple(
        LegendItem(label(vocabulary, code, lang), colour, shape=shape)
        for code, colour in colours.items()
    )
