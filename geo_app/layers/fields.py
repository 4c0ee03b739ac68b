"""A layer's field schema: every column its query returns, declared once.

Popups, tooltips, tile popups, legends, exports and the features API all read these fields, so
a column's type, labels, vocabulary and who may see it are stated in one place. Vocabularies
are named (as in ``layers.vocab.LABELS``), never copied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

FieldType = Literal["str", "int", "float", "bool", "date"]
Lang = Literal["vi", "en"]


@dataclass(frozen=True)
class Field:
    """One column of a layer's query.

    ``vocabulary`` names the code → label vocabulary of a coded column; ``label_column`` is the
    query column holding that label in the request's language, shown in popups and tooltips in
    place of the code. ``codes`` closes a coded column that has no vocabulary. ``sensitive``
    fields never reach viewers, tiles, or anything that leaves the police. ``max_length``
    bounds a text (the database holds the same bound); ``help_vi``/``help_en`` is what a form
    shows under the field, e.g. what must not be written in it.
    """

    name: str
    type: FieldType
    label_vi: str
    label_en: str
    vocabulary: str | None = None
    label_column: str | None = None
    codes: tuple[str, ...] = ()
    popup: bool = False
    exported: bool = False
    editable: bool = False
    sensitive: bool = False
    max_length: int | None = None
    help_vi: str = ""
    help_en: str = ""

    def label(self, lang: Lang) -> str:
        return self.label_vi if lang == "vi" else self.label_en

    def help(self, lang: Lang) -> str:
        """The form's help text under the field ("" when it has none)."""
        return self.help_vi if lang == "vi" else self.help_en

    @property
    def shown_column(self) -> str:
        """The column a person reads: the label of a coded value, else the value itself."""
        return self.label_column or self.name

    @property
    def columns(self) -> tuple[str, ...]:
        """The query columns this field owns (its value and, if any, its label)."""
        return (self.name,) if self.label_column is None else (self.name, self.label_column)

    def describe(self) -> dict[str, object]:
        """The field as JSON for ``GET /api/layers``."""
        return {
            "name": self.name,
            "type": self.type,
            "label": {"vi": self.label_vi, "en": self.label_en},
            "vocabulary": self.vocabulary,
            "label_column": self.label_column,
            "popup": self.popup,
            "exported": self.exported,
            "editable": self.editable,
            "sensitive": self.sensitive,
            "max_length": self.max_length,
            "help": {"vi": self.help_vi, "en": self.help_en} if self.help_vi else None,
        }


def shown(
    name: str,
    type_: FieldType,
    vi: str,
    en: str,
    *,
    vocabulary: str | None = None,
    label_column: str | None = None,
    exported: bool = True,
    editable: bool = False,
) -> Field:
    """A field shown in popups (and exported unless said otherwise)."""
    return Field(
        name,
        type_,
        vi,
        en,
        vocabulary,
        label_column,
        popup=True,
        exported=exported,
        editable=editable,
    )


def exported(
    name: str,
    type_: FieldType,
    vi: str,
    en: str,
    *,
    vocabulary: str | None = None,
    label_column: str | None = None,
) -> Field:
    """A field exported but not shown in popups."""
    return Field(name, type_, vi, en, vocabulary, label_column, exported=True)


ID = exported("id", "int", "Mã số", "Id")
DEMO = exported("is_demo", "bool", "Dữ liệu mẫu", "Demo data")
UNIT_CODE = exported("unit_code", "str", "Mã địa bàn", "Area code")
UNIT_NAME = shown("unit_name", "str", "Địa bàn", "Area", exported=False)
PLACED_BY = exported(
    "placed_by",
    "str",
    "Cách xác định vị trí",
    "Placed by",
    vocabulary="location_method",
    label_column="placed_by_label",
)
ACCURACY = exported("accuracy_m", "float", "Độ chính xác (m)", "Accuracy (m)")
"""Fields many layers share, declared once (the last two: how a field capture was placed)."""
