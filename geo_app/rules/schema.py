"""A small, explicit schema for rule-set files, checked before any rule object is built.

Why hand-written: ``jsonschema`` is not a dependency, and the rule files need only objects with
required/optional keys, lists, strings, decimal strings, dates and integers. Unknown keys are an
error, so a typo ("at_lest") can never silently drop a threshold. Every error names the file and
the key path (``classes[0].criteria[2].any_of[0].at_least``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from geo_app.domain.vocabulary import RANKED_CLASSES
from geo_app.errors import InvalidInput

DECIMAL_PATTERN = re.compile(r"^(0|[1-9][0-9]*)(\.[0-9]+)?$")
"""Thresholds are written as non-negative decimal strings ("0.5"), never as JSON numbers."""


class RuleSetError(InvalidInput):
    """A rule-set file is malformed; the message names the file and the key path."""


Check = Callable[[Any, str], None]
"""A check takes a value and its key path and raises ``_Invalid`` when the value is wrong."""


class _Invalid(Exception):
    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path or '(top level)'}: {problem}")


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


@dataclass(frozen=True)
class Obj:
    """A JSON object with required and optional keys and nothing else."""

    required: Mapping[str, Check]
    optional: Mapping[str, Check] = field(default_factory=dict)

    def __call__(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise _Invalid(path, "must be an object")
        for key in value:
            if key not in self.required and key not in self.optional:
                raise _Invalid(_join(path, key), "unknown key")
        for key, check in self.required.items():
            if key not in value:
                raise _Invalid(_join(path, key), "required key is missing")
            check(value[key], _join(path, key))
        for key, check in self.optional.items():
            if key in value:
                check(value[key], _join(path, key))


@dataclass(frozen=True)
class Arr:
    """A JSON list whose items all pass ``item``."""

    item: Check
    min_items: int = 1

    def __call__(self, value: Any, path: str) -> None:
        if not isinstance(value, list):
            raise _Invalid(path, "must be a list")
        if len(value) < self.min_items:
            raise _Invalid(path, f"needs at least {self.min_items} item(s)")
        for index, item in enumerate(value):
            self.item(item, _join(path, index))


@dataclass(frozen=True)
class Str:
    """A non-empty string, optionally from a fixed set or matching a pattern."""

    choices: Sequence[str] = ()
    pattern: re.Pattern[str] | None = None

    def __call__(self, value: Any, path: str) -> None:
        if not isinstance(value, str) or not value.strip():
            raise _Invalid(path, "must be a non-empty string")
        if self.choices and value not in self.choices:
            raise _Invalid(path, f"{value!r} is not one of {', '.join(self.choices)}")
        if self.pattern is not None and not self.pattern.match(value):
            raise _Invalid(path, f"{value!r} does not match {self.pattern.pattern}")


def decimal_string(value: Any, path: str) -> None:
    """A threshold: a decimal string such as "100" or "0.5" (floats are refused: inexact)."""
    if not isinstance(value, str) or not DECIMAL_PATTERN.match(value):
        raise _Invalid(path, f'must be a decimal string such as "0.5", not {value!r}')


def iso_date(value: Any, path: str) -> None:
    if not isinstance(value, str):
        raise _Invalid(path, "must be a date string YYYY-MM-DD")
    try:
        date.fromisoformat(value)
    except ValueError:
        raise _Invalid(path, f"{value!r} is not a date YYYY-MM-DD") from None


def optional_date(value: Any, path: str) -> None:
    if value is not None:
        iso_date(value, path)


def positive_int(value: Any, path: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _Invalid(path, "must be a positive integer")


def literal(value: Any, path: str) -> None:
    """A literal in a comparison: a non-negative integer or a boolean."""
    if isinstance(value, bool):
        return
    if not isinstance(value, int) or value < 0:
        raise _Invalid(path, "must be an input name, a non-negative integer or true/false")


def either(*checks: tuple[Callable[[Any], bool], Check], what: str) -> Check:
    """The first check whose guard accepts the value decides; ``what`` names the variants."""

    def check(value: Any, path: str) -> None:
        for guard, inner in checks:
            if guard(value):
                inner(value, path)
                return
        raise _Invalid(path, f"must be {what}")

    return check


def has_key(key: str) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, dict) and key in value


TEXT = Obj({"vi": Str(), "en": Str()})
SOURCE = Obj({"seed": Str(), "section": Str()})
LEGAL_BASIS = Obj(
    {
        "document": Str(),
        "issuer": Str(),
        "date": iso_date,
        "seed": Str(),
        "section": Str(),
    }
)
HEADER: dict[str, Check] = {
    "code": Str(pattern=re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")),
    "title": TEXT,
    "legal_basis": LEGAL_BASIS,
    "in_force_from": iso_date,
    "in_force_until": optional_date,
}
"""Keys every rule set has, whatever its kind."""


def validate(data: Any, schema: Check, source: str) -> None:
    """Raise ``RuleSetError`` naming ``source`` and the key path if ``data`` breaks ``schema``."""
    try:
        schema(data, "")
    except _Invalid as error:
        raise RuleSetError(f"{source}: {error}") from None


# -- the two kinds of rule set ---------------------------------------------------------------------

CLASS_CODES = RANKED_CLASSES
CRITERION_ID = Str(pattern=re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$"))
COMPARISON_OPS = ("==", "!=", "<", "<=", ">", ">=")

_RATIO = Obj({"ratio": Str(), "per": Str(), "scale": decimal_string})
BAND = Obj(
    {
        "value": either(
            (lambda v: isinstance(v, str), Str()),
            (has_key("ratio"), _RATIO),
            what='an input name or {"ratio": ..., "per": ..., "scale": ...}',
        )
    },
    optional={
        "at_least": decimal_string,
        "above": decimal_string,
        "below": decimal_string,
        "at_most": decimal_string,
    },
)
_CRITERION_TEXT: dict[str, Check] = {"id": CRITERION_ID, "text_vi": Str(), "text_en": Str()}
BAND_CRITERION = Obj({**_CRITERION_TEXT, "any_of": Arr(BAND)})
ROUTE_CLAUSE = Obj({**_CRITERION_TEXT, "band_of": Str(choices=CLASS_CODES), "and_flag": Str()})
CRITERION = either(
    (has_key("any_of"), BAND_CRITERION),
    (has_key("band_of"), ROUTE_CLAUSE),
    what='a criterion with "any_of" (bands) or "band_of" + "and_flag" (route clause)',
)
CLASS = Obj(
    {
        "class": Str(choices=CLASS_CODES),
        "title": TEXT,
        "at_least": positive_int,
        "criteria": Arr(CRITERION),
    }
)
FALLBACK = Obj({"class": Str(choices=CLASS_CODES), "title": TEXT, **_CRITERION_TEXT})
CLASSIFICATION = Obj(
    {
        "kind": Str(choices=("classification",)),
        **HEADER,
        "classes": Arr(CLASS),
        "otherwise": Obj({"presence": Arr(Str()), "some": FALLBACK, "none": FALLBACK}),
    },
    optional={"notes": TEXT},
)


def condition(value: Any, path: str) -> None:
    """all / any / not / comparison, recursively."""
    either(
        (has_key("all"), Obj({"all": Arr(condition)})),
        (has_key("any"), Obj({"any": Arr(condition)})),
        (has_key("not"), Obj({"not": condition})),
        (has_key("left"), COMPARISON),
        what='{"all": [...]}, {"any": [...]}, {"not": ...} or {"left", "op", "right"}',
    )(value, path)


COMPARISON = Obj(
    {
        "left": Str(),
        "op": Str(choices=COMPARISON_OPS),
        "right": either(
            (lambda v: isinstance(v, str), Str()),
            (lambda v: True, literal),
            what="an input name, a non-negative integer or true/false",
        ),
    }
)
CHECKLIST_CRITERION = Obj(
    {**_CRITERION_TEXT, "source": SOURCE, "condition": condition},
    optional={"interpretation": TEXT},
)
NOT_CHECKED = Obj({"source": SOURCE, "text_vi": Str(), "reason": TEXT})
CHECKLIST = Obj(
    {"kind": Str(choices=("checklist",)), **HEADER, "criteria": Arr(CHECKLIST_CRITERION)},
    optional={"not_checked": Arr(NOT_CHECKED, min_items=0), "notes": TEXT},
)
