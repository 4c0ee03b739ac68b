"""The map legend: a Leaflet control drawn from the layers' own colours, in the page language.

Section titles are Flask-Babel messages (English msgids, Vietnamese in the catalog); swatches
are a layer's own colours (its style's ``fill_by``) labelled through the vocabulary its field
names, so a legend says what the map and the popups say.

Served inline with the page (no CDN, no image): swatches are CSS boxes, the hatching of
"insufficient data" a CSS gradient, and the SVG pattern the map fills with (``HATCH_ID``) is
defined here, outside anything that can be collapsed, so ``url(#…)`` fills always resolve.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import folium
from branca.element import MacroElement
from flask_babel import gettext
from jinja2 import Template

from geo_app.i18n import language
from geo_app.layers.base import Lang, LayerSpec
from geo_app.layers.classification import (
    CLASS_COLOURS,
    CLASSES,
    HATCH_ID,
    INSUFFICIENT,
)
from geo_app.layers.facilities import HOTLINE_BOARDS
from geo_app.layers.hotspots import HOTSPOTS
from geo_app.layers.vocab import label

Shape = Literal["box", "circle", "square"]

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
    lang: Lang, *, month: str | None = None, counts: Mapping[str, int] | None = None
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
    with language(lang):
        title = gettext("Commune classification")
        subtitle = gettext("Data up to %(month)s", month=month) if month else ""
    return LegendSection(title, items, subtitle)


def hotspot_sections(lang: Lang) -> tuple[LegendSection, ...]:
    """Hotspot colours by status and letters by kind."""
    statuses = _fill_items(HOTSPOTS, lang, "circle")
    kinds = tuple(
        LegendItem(
            label(_vocabulary(HOTSPOTS, "kind"), code, lang), "#ffffff", shape="circle", glyph=glyph
        )
        for code, glyph in HOTSPOT_GLYPHS.items()
    )
    with language(lang):
        return (
            LegendSection(gettext("Hotspots (colour by status)"), statuses),
            LegendSection(gettext("Hotspot kinds"), kinds),
        )


def facility_section(lang: Lang) -> LegendSection:
    """Boards and boxes coloured by how long since they were last checked."""
    items = _fill_items(HOTLINE_BOARDS, lang, "square")
    with language(lang):
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


def _swatch(item: LegendItem) -> str:
    classes = ["swatch", f"swatch-{item.shape}"]
    if item.hatch:
        classes.append("swatch-hatch")
    glyph = html.escape(item.glyph)
    return (
        f'<span class="{" ".join(classes)}" style="background-color:{html.escape(item.colour)}"'
        f' aria-hidden="true">{glyph}</span>'
    )


def legend_html(sections: tuple[LegendSection, ...], lang: Lang) -> str:
    """The legend's HTML (every label escaped) with the SVG hatch pattern beside it."""
    with language(lang):
        title = gettext("Legend")
    parts = [
        '<svg class="legend-defs" width="0" height="0" aria-hidden="true" focusable="false">'
        f'<defs><pattern id="{HATCH_ID}" patternUnits="userSpaceOnUse" width="8" height="8"'
        ' patternTransform="rotate(45)">'
        f'<rect width="8" height="8" fill="{CLASS_COLOURS[INSUFFICIENT]}"/>'
        f'<line x1="0" y1="0" x2="0" y2="8" stroke="{HATCH_LINE}" stroke-width="3"/>'
        "</pattern></defs></svg>",
        f'<details class="legend-box" open><summary>{html.escape(title)}</summary>',
    ]
    for section in sections:
        parts.append(f"<section><h3>{html.escape(section.title)}</h3>")
        if section.subtitle:
            parts.append(f'<p class="legend-sub">{html.escape(section.subtitle)}</p>')
        parts.append("<ul>")
        for item in section.items:
            count = "" if item.count is None else f'<span class="legend-count">{item.count}</span>'
            parts.append(
                f'<li>{_swatch(item)}<span class="legend-label">{html.escape(item.label)}'
                f"</span>{count}</li>"
            )
        parts.append("</ul></section>")
    parts.append("</details>")
    return "".join(parts)


class Legend(MacroElement):
    """A Leaflet control holding the legend; collapsed at first on narrow screens."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var control = L.control({position: {{ this.position|tojson }}});
            control.onAdd = function () {
                var div = L.DomUtil.create("div", "geo-app-legend");
                div.innerHTML = {{ this.html_json }};
                if (window.matchMedia && window.matchMedia("(max-width: 600px)").matches) {
                    div.querySelector("details").removeAttribute("open");
                }
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            control.addTo({{ this._parent.get_name() }});
        }());
        {% endmacro %}
        """
    )

    def __init__(self, html_text: str, position: str = "bottomright") -> None:
        super().__init__()
        self._name = "Legend"
        self.position = position
        self.html_json = json.dumps(html_text, ensure_ascii=False).replace("</", "<\\/")


def add_legend(
    fmap: folium.Map,
    sections: tuple[LegendSection, ...],
    lang: Lang,
    *,
    position: str = "bottomright",
) -> Legend:
    legend = Legend(legend_html(sections, lang), position)
    legend.add_to(fmap)
    return legend
