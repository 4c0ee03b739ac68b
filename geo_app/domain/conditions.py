"""Three-valued logic and the tiny condition language of checklists (no ``eval``, ever).

A value is ``True``, ``False`` or ``None`` (unknown: an input is missing). ``any3``/``all3`` are
Kleene's OR/AND: a result is decided only when no filling of the unknowns could change it, so a
missing input yields "insufficient data" exactly when it matters.

A condition is data: ``{"all": [...]}``, ``{"any": [...]}``, ``{"not": ...}`` or a comparison
``{"left": NAME, "op": ">=", "right": NAME | int | bool}``. Names are checklist inputs.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Tri = bool | None
"""True, False or unknown."""

Value = int | bool | None
"""A checklist input value."""

OPS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def any3(values: Iterable[Tri]) -> Tri:
    """Kleene OR: true if any is true, false if all are false, else unknown."""
    seen_unknown = False
    for value in values:
        if value is True:
            return True
        if value is None:
            seen_unknown = True
    return None if seen_unknown else False


def all3(values: Iterable[Tri]) -> Tri:
    """Kleene AND: false if any is false, true if all are true, else unknown."""
    seen_unknown = False
    for value in values:
        if value is False:
            return False
        if value is None:
            seen_unknown = True
    return None if seen_unknown else True


@dataclass(frozen=True)
class Compare:
    """``left op right``; ``left`` is an input name, ``right`` a name (str) or a literal."""

    left: str
    op: str
    right: str | int | bool

    def names(self) -> tuple[str, ...]:
        return (self.left, self.right) if isinstance(self.right, str) else (self.left,)

    def evaluate(self, inputs: Mapping[str, Value]) -> Tri:
        left = inputs.get(self.left)
        right = inputs.get(self.right) if isinstance(self.right, str) else self.right
        if left is None or right is None:
            return None
        return OPS[self.op](left, right)


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Condition, ...]

    def names(self) -> tuple[str, ...]:
        return _names(self.parts)

    def evaluate(self, inputs: Mapping[str, Value]) -> Tri:
        return all3(part.evaluate(inputs) for part in self.parts)


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]

    def names(self) -> tuple[str, ...]:
        return _names(self.parts)

    def evaluate(self, inputs: Mapping[str, Value]) -> Tri:
        return any3(part.evaluate(inputs) for part in self.parts)


@dataclass(frozen=True)
class Not:
    part: Condition

    def names(self) -> tuple[str, ...]:
        return self.part.names()

    def evaluate(self, inputs: Mapping[str, Value]) -> Tri:
        value = self.part.evaluate(inputs)
        return None if value is None else not value


Condition = Compare | AllOf | AnyOf | Not


def _names(parts: Iterable[Condition]) -> tuple[str, ...]:
    """Input names in order of first use, each once."""
    return tuple(dict.fromkeys(name for part in parts for name in part.names()))


def parse_condition(data: Mapping[str, Any]) -> Condition:
    """Build a condition from its (already schema-checked) JSON form."""
    if "all" in data:
        return AllOf(tuple(parse_condition(part) for part in data["all"]))
    if "any" in data:
        return AnyOf(tuple(parse_condition(part) for part in data["any"]))
    if "not" in data:
        return Not(parse_condition(data["not"]))
    return Compare(left=data["left"], op=data["op"], right=data["right"])


def comparisons(condition: Condition) -> Iterable[Compare]:
    """Every comparison inside ``condition`` (for load-time type checks)."""
    if isinstance(condition, Compare):
        yield condition
    elif isinstance(condition, Not):
        yield from comparisons(condition.part)
    else:
        for part in condition.parts:
            yield from comparisons(part)
