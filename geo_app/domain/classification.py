"""Classification of a commune under a rule set (DESIGN §4): pure, exact, three-valued.

A rule set lists classes from highest to lowest; a class holds when at least ``at_least`` of its
criteria are true. A criterion is either "any of these bands" (a band bounds one input or a ratio
of two, e.g. offenders per population in percent) or a route clause: "any band criterion of class
X, and a flag" (one-step escalation). Below the classes, a unit with some drug presence is the
"some" fallback (less complex), one with none at all the "none" fallback (drug-free).

Thresholds are ``Fraction``s parsed from decimal strings; inputs are ints, ``Decimal``s or
``Fraction``s, so a value on a threshold is compared exactly. Unknown inputs (``None``) make a
criterion unknown only when they could change it, and the result is ``insufficient_data`` only
when they could change the class; ``missing`` then names the inputs that matter.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from fractions import Fraction
from typing import Any

from geo_app.domain.conditions import Tri, all3, any3
from geo_app.domain.ruleset import RuleSetInfo
from geo_app.domain.vocabulary import INSUFFICIENT, RANKED_CLASSES
from geo_app.errors import InvalidInput

CLASS_ORDER: tuple[str, ...] = tuple(reversed(RANKED_CLASSES))
"""Classes from low to high (docs/ENGINE.md)."""

Number = int | Decimal | Fraction


@dataclass(frozen=True)
class ClassificationInputs:
    """The inputs of one unit; ``None`` means unknown. Also the columns of the classify CSV."""

    addicts_registered: int | None = None
    active_hotspots: int | None = None
    plants: int | None = None
    plant_area_m2: Number | None = None
    offenders_resident: int | None = None
    population: int | None = None
    on_key_route: bool | None = None
    drug_users: int | None = None
    drug_cases_by_residents: int | None = None

    def __post_init__(self) -> None:
        for name in INPUT_NAMES:
            _check_input(name, getattr(self, name))

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> ClassificationInputs:
        """Build from a mapping of input names (absent names are unknown); types are checked."""
        unknown = sorted(set(values) - set(INPUT_NAMES))
        if unknown:
            raise InvalidInput(f"unknown classification inputs: {', '.join(unknown)}")
        return cls(**values)

    def value(self, name: str) -> Number | bool | None:
        value: Number | bool | None = getattr(self, name)
        return value

    def number(self, name: str) -> Number | None:
        """A numeric input (never a flag: checked when the rule set is loaded)."""
        value = self.value(name)
        assert not isinstance(value, bool), name
        return value

    def flag(self, name: str) -> bool | None:
        value = self.value(name)
        assert value is None or isinstance(value, bool), name
        return value

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: the area as a decimal string (exact), the rest as they are."""
        out: dict[str, Any] = {name: self.value(name) for name in INPUT_NAMES}
        area = self.plant_area_m2
        if area is not None and not isinstance(area, int):
            out["plant_area_m2"] = _exact_text(area)
        return out


INPUT_NAMES: tuple[str, ...] = tuple(f.name for f in fields(ClassificationInputs))
FLAG_INPUTS: tuple[str, ...] = ("on_key_route",)
NUMBER_INPUTS: tuple[str, ...] = tuple(n for n in INPUT_NAMES if n not in FLAG_INPUTS)
FLAG_LABELS: dict[str, tuple[str, str]] = {
    "on_key_route": ("Nằm trên tuyến trọng điểm", "On a key route"),
}
"""The flag inputs in words (vi, en): labels on the map, and what a route clause adds to the
band criteria that held (see ``_fired``)."""
assert set(FLAG_LABELS) == set(FLAG_INPUTS)


def _check_input(name: str, value: Any) -> None:
    if value is None:
        return
    if name in FLAG_INPUTS:
        if not isinstance(value, bool):
            raise InvalidInput(f"{name} must be true, false or unknown, not {value!r}")
        return
    exact = isinstance(value, int | Decimal | Fraction) and not isinstance(value, bool)
    if not exact or (name != "plant_area_m2" and not isinstance(value, int)):
        kinds = "an integer, Decimal or Fraction" if name == "plant_area_m2" else "an integer"
        raise InvalidInput(f"{name} must be {kinds} (exact arithmetic), not {value!r}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise InvalidInput(f"{name} must be a finite number, not {value}")
    if value < 0:
        raise InvalidInput(f"{name} must not be negative, got {value}")


def _exact_text(value: Decimal | Fraction) -> str:
    if isinstance(value, Decimal):
        return str(value)
    return str(value.numerator) if value.denominator == 1 else str(value)


# -- rules ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ratio:
    """``numerator / denominator * scale`` (scale 100: percent); 0 when the numerator is 0."""

    numerator: str
    denominator: str
    scale: Fraction


@dataclass(frozen=True)
class Band:
    """A range on one input or ratio; each bound may be absent, inclusive or exclusive."""

    value: str | Ratio
    lower: Fraction | None = None
    lower_inclusive: bool = True
    upper: Fraction | None = None
    upper_inclusive: bool = False

    def contains(self, x: Fraction) -> bool:
        if self.lower is not None and (
            x < self.lower or (x == self.lower and not self.lower_inclusive)
        ):
            return False
        return self.upper is None or x < self.upper or (x == self.upper and self.upper_inclusive)


@dataclass(frozen=True)
class Criterion:
    """A band criterion (``bands``: true if any band holds) or a route clause (``band_of``)."""

    id: str
    text_vi: str
    text_en: str
    bands: tuple[Band, ...] = ()
    band_of: str | None = None
    and_flag: str | None = None

    @property
    def is_route_clause(self) -> bool:
        return self.band_of is not None


@dataclass(frozen=True)
class ClassRule:
    class_: str
    title_vi: str
    title_en: str
    at_least: int
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class Fallback:
    """A class below the listed ones, with the one criterion that explains it."""

    class_: str
    title_vi: str
    title_en: str
    criterion: Criterion


@dataclass(frozen=True)
class ClassificationRules:
    info: RuleSetInfo
    classes: tuple[ClassRule, ...]
    presence: tuple[str, ...]
    some: Fallback
    none: Fallback

    def band_criteria(self, class_: str) -> tuple[Criterion, ...]:
        """The criteria of ``class_`` that are not route clauses."""
        rule = next(r for r in self.classes if r.class_ == class_)
        return tuple(c for c in rule.criteria if not c.is_route_clause)


# -- result ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FiredCriterion:
    """A criterion that held; ``via`` lists the band criteria that made a route clause true."""

    id: str
    text_vi: str
    text_en: str
    via: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "text_vi": self.text_vi, "text_en": self.text_en}
        if self.via:
            out["via"] = list(self.via)
        return out


@dataclass(frozen=True)
class ClassificationResult:
    """The class, why (fired criteria) and, for ``insufficient_data``, what is missing.

    ``undecided`` is the highest class that could still hold when data is insufficient.
    """

    rule_set: str
    class_: str
    criteria: tuple[FiredCriterion, ...] = ()
    missing: tuple[str, ...] = ()
    undecided: str | None = None

    @property
    def criterion_ids(self) -> tuple[str, ...]:
        return tuple(c.id for c in self.criteria)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_set": self.rule_set,
            "class": self.class_,
            "criteria": [c.as_dict() for c in self.criteria],
            "missing": list(self.missing),
            "undecided": self.undecided,
        }


def rank(class_: str) -> int:
    """Position in ``CLASS_ORDER`` (higher is more serious); ValueError for insufficient_data."""
    return CLASS_ORDER.index(class_)


# -- evaluation -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Outcome:
    value: Tri
    missing: frozenset[str] = frozenset()
    via: tuple[Criterion, ...] = ()


def _value_of(value: str | Ratio, inputs: ClassificationInputs) -> tuple[Fraction | None, set[str]]:
    if isinstance(value, str):
        x = inputs.number(value)
        return (None, {value}) if x is None else (Fraction(x), set())
    top, bottom = inputs.number(value.numerator), inputs.number(value.denominator)
    if top == 0:
        return Fraction(0), set()  # no offender: R = 0 whatever the population
    missing = {value.numerator} if top is None else set()
    if bottom is None or bottom == 0:
        missing.add(value.denominator)
    if top is None or bottom is None or missing:
        return None, missing
    return Fraction(top) * value.scale / Fraction(bottom), set()


def _band_criterion(criterion: Criterion, inputs: ClassificationInputs) -> _Outcome:
    values: list[Tri] = []
    missing: set[str] = set()
    for band in criterion.bands:
        x, band_missing = _value_of(band.value, inputs)
        values.append(None if x is None else band.contains(x))
        missing |= band_missing
    value = any3(values)
    return _Outcome(value, frozenset(missing) if value is None else frozenset())


def _route_clause(
    criterion: Criterion, inputs: ClassificationInputs, rules: ClassificationRules
) -> _Outcome:
    assert criterion.band_of is not None and criterion.and_flag is not None
    bands = [(c, _band_criterion(c, inputs)) for c in rules.band_criteria(criterion.band_of)]
    any_band = any3(outcome.value for _, outcome in bands)
    flag = inputs.flag(criterion.and_flag)
    value = all3([any_band, flag])
    if value is True:
        return _Outcome(True, via=tuple(c for c, outcome in bands if outcome.value))
    if value is False:
        return _Outcome(False)
    missing = {criterion.and_flag} if flag is None else set()
    if any_band is None:
        missing |= set().union(*(o.missing for _, o in bands if o.value is None))
    return _Outcome(None, frozenset(missing))


def _evaluate(
    criterion: Criterion, inputs: ClassificationInputs, rules: ClassificationRules
) -> _Outcome:
    if criterion.is_route_clause:
        return _route_clause(criterion, inputs, rules)
    return _band_criterion(criterion, inputs)


def _fired(criterion: Criterion, outcome: _Outcome) -> FiredCriterion:
    """A criterion that held. A route clause is told by the band criteria that held and the
    flag ("Có từ 20 đến dưới 60 người nghiện … + nằm trên tuyến trọng điểm"): its own text
    ("at least one type III criterion and …") would not say which band escalated the unit."""
    if not outcome.via:
        return FiredCriterion(criterion.id, criterion.text_vi, criterion.text_en)
    assert criterion.and_flag is not None
    flag_vi, flag_en = FLAG_LABELS[criterion.and_flag]
    text_vi = _joined([c.text_vi for c in outcome.via], " và ", flag_vi)
    text_en = _joined([c.text_en for c in outcome.via], " and ", flag_en)
    return FiredCriterion(criterion.id, text_vi, text_en, tuple(c.id for c in outcome.via))


def _joined(bands: list[str], conjunction: str, flag: str) -> str:
    """'Band one and band two + flag', as one sentence (later parts start in lower case)."""
    first, *rest = bands
    return conjunction.join([first, *map(_lower_first, rest)]) + " + " + _lower_first(flag)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _ordered(names: Iterable[str]) -> tuple[str, ...]:
    wanted = set(names)
    return tuple(name for name in INPUT_NAMES if name in wanted)


def _presence(inputs: ClassificationInputs, rules: ClassificationRules) -> tuple[Tri, set[str]]:
    """Whether there is some drug presence (true/false/unknown) and the unknowns that matter."""
    values = {name: inputs.number(name) for name in rules.presence}
    if any(v is not None and v > 0 for v in values.values()):
        return True, set()
    unknown = {name for name, v in values.items() if v is None}
    return (None, unknown) if unknown else (False, set())


def _fallback(
    inputs: ClassificationInputs,
    rules: ClassificationRules,
    missing: set[str],
    undecided: str | None,
) -> ClassificationResult:
    code = rules.info.code
    present, unknown = _presence(inputs, rules)
    if present is None:
        undecided = undecided or rules.some.class_
    if undecided is not None:
        return ClassificationResult(code, INSUFFICIENT, (), _ordered(missing | unknown), undecided)
    chosen = rules.some if present else rules.none
    return ClassificationResult(code, chosen.class_, (_fired(chosen.criterion, _Outcome(True)),))


def classify(inputs: ClassificationInputs, rules: ClassificationRules) -> ClassificationResult:
    """The highest class whose criteria hold, or ``insufficient_data`` if unknowns could decide.

    Scanning goes on below an undecided class until a class certainly holds, so ``missing``
    lists every unknown input that could change the result, not only the first one met.
    """
    missing: set[str] = set()
    undecided: str | None = None
    for rule in rules.classes:
        outcomes = [(c, _evaluate(c, inputs, rules)) for c in rule.criteria]
        fired = [_fired(c, o) for c, o in outcomes if o.value is True]
        unknown = [o for _, o in outcomes if o.value is None]
        if len(fired) >= rule.at_least:
            if undecided is None:
                return ClassificationResult(rules.info.code, rule.class_, tuple(fired))
            return ClassificationResult(
                rules.info.code, INSUFFICIENT, (), _ordered(missing), undecided
            )
        if len(fired) + len(unknown) >= rule.at_least:
            undecided = undecided or rule.class_
            missing |= set().union(*(o.missing for o in unknown))
    return _fallback(inputs, rules, missing, undecided)
