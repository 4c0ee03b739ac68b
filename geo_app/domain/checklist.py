"""Recognition checklists ("xã không ma túy", DESIGN §5): pure, three-valued evaluation.

Each criterion is a condition over the checklist inputs of docs/ENGINE.md. A criterion is
``met``, ``not_met`` or ``insufficient_data`` (an input it needs is unknown and could change it).
A unit is ``recognised`` only if every criterion is met; ``not_recognised`` as soon as one is not
met; otherwise ``insufficient_data``. Each verdict carries the input values it used (evidence),
so a stored evaluation shows what was decided and on what.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from geo_app.domain.conditions import Condition, Value
from geo_app.domain.indicators import COLUMNS as COUNT_COLUMNS
from geo_app.domain.ruleset import RuleSetInfo
from geo_app.errors import InvalidInput

MET, NOT_MET, INSUFFICIENT = "met", "not_met", "insufficient_data"
RECOGNISED, NOT_RECOGNISED = "recognised", "not_recognised"

MAP_COUNTS: tuple[str, ...] = (
    "active_hotspots",
    "active_hotspots_all",
    "active_use_sites",
    "active_retail",
    "hotspots_not_cleared",
    "hotspots_relapsed_in_period",
    "active_cultivation_sites",
    "active_plants",
    "active_plant_area_m2",
)
SUBUNIT_COUNTS: tuple[str, ...] = (
    "hamlets_total",
    "hamlets_with_good_board",
    "hamlets_with_box",
    "residential_groups_total",
    "residential_groups_with_box",
    "subunits_total",
    "subunits_with_good_board",
    "subunits_with_box",
)
DERIVED_COUNTS: tuple[str, ...] = (*MAP_COUNTS, *SUBUNIT_COUNTS)
"""Counts derived from the map on the evaluation date (services/derived.py)."""

FLAG_INPUTS: tuple[str, ...] = ("on_key_route",)

COUNT_INPUTS: frozenset[str] = frozenset(
    (
        *COUNT_COLUMNS,
        *(f"period_{c}" for c in COUNT_COLUMNS),
        *(f"baseline_{c}" for c in COUNT_COLUMNS),
        *DERIVED_COUNTS,
    )
)
"""Every count a checklist condition may name (docs/ENGINE.md, "Checklist inputs")."""


@dataclass(frozen=True)
class ChecklistCriterion:
    """One criterion: its text, where it comes from, its condition and how it was read.

    ``interpretation_*`` is shown to users whenever the criterion is measured by a proxy.
    """

    id: str
    text_vi: str
    text_en: str
    seed: str
    section: str
    condition: Condition
    interpretation_vi: str | None = None
    interpretation_en: str | None = None

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "text_vi": self.text_vi,
            "text_en": self.text_en,
            "source": {"seed": self.seed, "section": self.section},
        }
        if self.interpretation_vi:
            out["interpretation"] = {"vi": self.interpretation_vi, "en": self.interpretation_en}
        return out


@dataclass(frozen=True)
class NotChecked:
    """A requirement of the plan that is not a criterion here, and why (so none is silent)."""

    seed: str
    section: str
    text_vi: str
    reason_vi: str
    reason_en: str


@dataclass(frozen=True)
class ChecklistRules:
    info: RuleSetInfo
    criteria: tuple[ChecklistCriterion, ...]
    not_checked: tuple[NotChecked, ...] = ()


@dataclass(frozen=True)
class CriterionVerdict:
    criterion: ChecklistCriterion
    verdict: str
    evidence: Mapping[str, Value]

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.criterion.describe(),
            "verdict": self.verdict,
            "evidence": dict(self.evidence),
        }


@dataclass(frozen=True)
class ChecklistResult:
    rule_set: str
    verdict: str
    criteria: tuple[CriterionVerdict, ...]

    @property
    def met_count(self) -> int:
        return sum(1 for c in self.criteria if c.verdict == MET)

    @property
    def total(self) -> int:
        return len(self.criteria)

    @property
    def share_met(self) -> Fraction:
        return Fraction(self.met_count, self.total)

    def verdict_of(self, criterion_id: str) -> str:
        return next(c.verdict for c in self.criteria if c.criterion.id == criterion_id)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_set": self.rule_set,
            "verdict": self.verdict,
            "met_count": self.met_count,
            "total": self.total,
            "share_met": str(self.share_met),
            "criteria": [c.as_dict() for c in self.criteria],
        }


def _check_inputs(inputs: Mapping[str, Value], rules: ChecklistRules) -> None:
    """Refuse values of the wrong kind among the inputs the rules use (others are not ours)."""
    used = {name for c in rules.criteria for name in c.condition.names()}
    for name in sorted(used):
        value = inputs.get(name)
        if value is None:
            continue
        if name in FLAG_INPUTS:
            if not isinstance(value, bool):
                raise InvalidInput(f"checklist input {name} must be true or false, not {value!r}")
        elif isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidInput(f"checklist input {name} must be a count (>= 0), not {value!r}")


def _judge(criterion: ChecklistCriterion, inputs: Mapping[str, Value]) -> CriterionVerdict:
    value = criterion.condition.evaluate(inputs)
    verdict = INSUFFICIENT if value is None else MET if value else NOT_MET
    evidence = {name: inputs.get(name) for name in criterion.condition.names()}
    return CriterionVerdict(criterion, verdict, evidence)


def _overall(verdicts: tuple[CriterionVerdict, ...]) -> str:
    if any(v.verdict == NOT_MET for v in verdicts):
        return NOT_RECOGNISED
    if any(v.verdict == INSUFFICIENT for v in verdicts):
        return INSUFFICIENT
    return RECOGNISED


def evaluate(inputs: Mapping[str, Value], rules: ChecklistRules) -> ChecklistResult:
    """Judge every criterion; names absent from ``inputs`` are unknown."""
    _check_inputs(inputs, rules)
    verdicts = tuple(_judge(c, inputs) for c in rules.criteria)
    return ChecklistResult(rules.info.code, _overall(verdicts), verdicts)
