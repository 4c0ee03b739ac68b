"""The summary panel as a reader sees it: the figures of ``services.summary`` labelled,
coloured and formatted in the page's language, for the ``_summary.html`` partial (a page, the
summary API and, later, a printed briefing all show the same panel).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from geo_app.layers.base import Lang
from geo_app.layers.classification import CLASS_COLOURS
from geo_app.layers.facilities import AGEING_COLOURS
from geo_app.layers.hotspots import STATUS_COLOURS
from geo_app.layers.vocab import label
from geo_app.pages.common import Translate
from geo_app.services.summary import AGEING_KEYS, CLASS_KEYS, HOTSPOT_KEYS, Coverage, Summary


def panel_text(gettext: Translate) -> dict[str, str]:
    """Every word of the panel not in the vocabularies, in the reader's language (English msgids,
    Vietnamese in the catalog), in one place."""
    return {
        "title": gettext("Summary"),
        "country": gettext("Whole country"),
        "scope": gettext("Within your scope"),
        "as_of": gettext("As of"),
        "classes": gettext("Communes by class"),
        "communes": gettext("communes"),
        "hotspots": gettext("Drug hotspots"),
        "total": gettext("total"),
        "relapse": gettext("Suspected relapses (near a cleared point)"),
        "boards": gettext("Hotline boards"),
        "boxes": gettext("Tip-off boxes"),
        "boards_covered": gettext("Communes with a board"),
        "boxes_covered": gettext("Communes with a box"),
        "installed": gettext("in place"),
        "checked": gettext("Last checked"),
        "opened": gettext("Last opened"),
    }


def view(figures: Summary, lang: Lang, gettext: Translate) -> dict[str, Any]:
    """Labels, colours and formatted numbers for the ``_summary.html`` partial, in ``lang``
    (whatever the request's language: the API renders the panel for its ``lang``)."""
    text = panel_text(gettext)
    if figures.area is not None:
        where = figures.area.name
    else:  # no area: the whole country, or all a scoped user may see
        where = text["scope" if figures.scope_unit_id is not None else "country"]
    return {
        "text": text,
        "where": where,
        "scoped": figures.scope_unit_id is not None,
        "on": figures.on.strftime("%d/%m/%Y") if lang == "vi" else figures.on.isoformat(),
        "on_iso": figures.on.isoformat(),
        "area_code": None if figures.area is None else figures.area.code,
        "communes": number(figures.communes, lang),
        "classes": [_class_row(figures, key, lang) for key in CLASS_KEYS],
        "hotspots_total": number(figures.hotspots_total, lang),
        "hotspots": [
            {
                "key": key,
                "label": label("hotspot_status", key, lang),
                "colour": STATUS_COLOURS[key],
                "count": number(figures.hotspots[key], lang),
            }
            for key in HOTSPOT_KEYS
        ],
        "relapse_candidates": number(figures.relapse_candidates, lang),
        "facilities": [
            _facility("boards", figures.boards, text, "checked", lang),
            _facility("boxes", figures.boxes, text, "opened", lang),
        ],
    }


def _class_row(figures: Summary, key: str, lang: Lang) -> dict[str, Any]:
    share = figures.class_share(key)
    return {
        "key": key,
        "label": label("classification_class", key, lang),
        "colour": CLASS_COLOURS[key],
        "count": number(figures.classes[key], lang),
        "percent": percent(share, lang),
        "bar": bar_width(share),
    }


def _facility(
    key: str, item: Coverage, text: dict[str, str], checked: str, lang: Lang
) -> dict[str, Any]:
    """Boards or boxes: communes covered, standing ones, and how long since each was checked."""
    return {
        "key": key,
        "title": text[key],
        "covered_label": text[f"{key}_covered"],
        "covered": number(item.communes_covered, lang),
        "communes": number(item.communes, lang),
        "percent": percent(item.share, lang),
        "bar": bar_width(item.share),
        "installed": number(item.installed, lang),
        "checked": text[checked],
        "ageing": [
            {
                "key": age,
                "label": label("ageing", age, lang),
                "colour": AGEING_COLOURS[age],
                "count": number(item.ageing[age], lang),
            }
            for age in AGEING_KEYS
        ],
    }


def number(value: int, lang: Lang) -> str:
    """Thousands grouped: ``3.321`` in Vietnamese, ``3,321`` in English."""
    text = f"{value:,}"
    return text.replace(",", ".") if lang == "vi" else text


def percent(share: Fraction | None, lang: Lang) -> str:
    """One decimal, rounded half up (``37,2 %`` / ``37.2%``); a dash when undefined."""
    if share is None:
        return "—"
    tenths = int(share * 1000 + Fraction(1, 2))
    whole = number(tenths // 10, lang)
    return f"{whole},{tenths % 10} %" if lang == "vi" else f"{whole}.{tenths % 10}%"


def bar_width(share: Fraction | None) -> str:
    """A CSS width for a share (``"37.25%"``), never a locale-formatted number."""
    return "0%" if share is None else f"{float(share) * 100:.2f}%"
