"""The map legend drawn: a Leaflet control showing a page's legend sections (``pages.legend``).

Served inline with the page (no CDN, no image): swatches are CSS boxes, the hatching of
"insufficient data" a CSS gradient, and the SVG pattern the map fills with (``HATCH_ID``) is
defined here, outside anything that can be collapsed, so ``url(#…)`` fills always resolve.
"""

from __future__ import annotations

import html
import json

import folium
from branca.element import MacroElement
from flask_babel import gettext
from jinja2 import Template

from geo_app.i18n import language
from geo_app.layers.base import Lang
from geo_app.layers.classification import CLASS_COLOURS, HATCH_ID, INSUFFICIENT
from geo_app.pages.legend import HATCH_LINE, LegendItem, LegendSection


def _swatch(item: LegendItem) -> str:
    classes = ["swatch", f"swatch-{item.shape}"]
    if item.hatch:
        classes.append("swatch-hatch")
    glyph = html.escape(item.glyph)
    painted = "border-color" if item.shape in ("outline", "ring") else "background-color"
    return (
        f'<span class="{" ".join(classes)}" style="{painted}:{html.escape(item.colour)}"'
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
