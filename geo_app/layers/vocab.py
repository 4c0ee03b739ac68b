"""The domain's words for stored codes, rendered in SQL for the layers.

The vocabularies themselves live in ``geo_app.domain.vocabulary``; layers turn codes into labels
in SQL (a CASE over a vocabulary) so popups, exports and tooltips all say the same thing.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from geo_app.domain.vocabulary import VOCABULARIES, Pair
from geo_app.layers.base import Lang

LABELS: dict[str, dict[str, Pair]] = {
    name: vocabulary.labels for name, vocabulary in VOCABULARIES.items()
}
"""vocabulary name -> code -> (vi, en), read from ``geo_app.domain.vocabulary``."""


def label(vocabulary: str, code: str, lang: Lang) -> str:
    """The label of one code (the code itself when unknown, so nothing disappears)."""
    return VOCABULARIES[vocabulary].label(code, lang)


def label_sql(vocabulary: str, column: Any, lang: Lang) -> sa.ColumnElement[str]:
    """A SQL CASE that renders ``column``'s code as its label in ``lang``."""
    text_column = sa.cast(column, sa.String)
    whens = [
        (text_column == code, pair[0] if lang == "vi" else pair[1])
        for code, pair in LABELS[vocabulary].items()
    ]
    return sa.case(*whens, else_=text_column)


def ageing_sql(last_verified: Any, on: Any) -> sa.ColumnElement[str]:
    """fresh (< 30 days), due (< 90), stale (older), never: how long since last verified."""
    days = on - last_verified
    return sa.case(
        (last_verified.is_(None), "never"),
        (days < 30, "fresh"),
        (days < 90, "due"),
        else_="stale",
    )


def placed_sql(model: Any, lang: Lang) -> tuple[sa.ColumnElement[Any], ...]:
    """The columns of ``fields.PLACED_BY`` and ``fields.ACCURACY`` for a field-placed table."""
    return (
        sa.cast(model.placed_by, sa.String).label("placed_by"),
        label_sql("location_method", model.placed_by, lang).label("placed_by_label"),
        model.accuracy_m.label("accuracy_m"),
    )
