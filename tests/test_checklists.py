"""Recognition checklists (DESIGN §5): a passing commune, one failure per criterion, unknowns.

Pure: the inputs are the flat mapping of docs/ENGINE.md, written out by hand.
"""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest

from geo_app.domain.checklist import (
    INSUFFICIENT,
    MET,
    NOT_MET,
    NOT_RECOGNISED,
    RECOGNISED,
    evaluate,
)
from geo_app.errors import InvalidInput
from geo_app.rules import available, load_checklist

PASSING: dict[str, int | bool | None] = {
    # indicators of the evaluation month
    "addicts_registered": 4,
    "addicts_in_treatment": 4,
    "drug_users": 0,
    "suspected_users": 3,
    "suspected_tested": 3,
    "offenders_resident": 0,
    "households_total": 1200,
    "households_committed": 1200,
    "households_informed": 1200,
    "propaganda_sessions": 7,
    "models_active": 6,
    # sums over the campaign months
    "period_drug_cases_by_residents": 0,
    "period_serious_incidents": 0,
    "period_tipoffs_received": 12,
    "period_tipoffs_processed": 12,
    # the campaign's baseline
    "baseline_addicts_registered": 6,
    "baseline_drug_users": 2,
    # derived from the map
    "active_hotspots_all": 0,
    "active_use_sites": 0,
    "active_retail": 0,
    "hotspots_not_cleared": 0,
    "hotspots_relapsed_in_period": 0,
    "active_cultivation_sites": 0,
    "hamlets_total": 8,
    "hamlets_with_good_board": 8,
    "hamlets_with_box": 8,
    "residential_groups_total": 6,
    "residential_groups_with_box": 6,
}
"""A commune that every checklist recognises."""

FAILING: dict[str, list[tuple[str, dict[str, int]]]] = {
    "tra-vinh-2025": [
        ("tv.no_hotspots", {"active_hotspots_all": 1}),
        ("tv.no_rings", {"offenders_resident": 1}),
        ("tv.no_cases", {"period_drug_cases_by_residents": 1}),
        ("tv.addicts_treated", {"addicts_in_treatment": 3}),
        ("tv.users_tested", {"suspected_tested": 2}),
        ("tv.households_committed", {"households_committed": 1199}),
        ("tv.hamlet_boards", {"hamlets_with_good_board": 7}),
        ("tv.hamlet_boxes", {"hamlets_with_box": 7}),
        ("tv.not_above_baseline", {"drug_users": 3}),
        ("tv.not_above_baseline", {"addicts_registered": 7, "addicts_in_treatment": 7}),
        ("tv.no_serious_incident", {"period_serious_incidents": 1}),
        ("tv.model", {"models_active": 0}),
    ],
    "hoc-mon-2024": [
        ("hm.tipoffs", {"period_tipoffs_processed": 11}),
        ("hm.households_informed", {"households_informed": 1100}),
        ("hm.hotspots_cleared", {"hotspots_not_cleared": 1}),
        ("hm.hotspots_cleared", {"hotspots_relapsed_in_period": 1}),
        ("hm.cases_followed", {"suspected_tested": 2}),
        ("hm.no_cultivation", {"active_cultivation_sites": 1}),
        ("hm.no_public_use", {"period_serious_incidents": 1}),
        ("hm.on_record_treated", {"addicts_in_treatment": 3}),
    ],
    "hoang-van-thu-2025": [
        ("hvt.no_untreated", {"addicts_in_treatment": 3}),
        ("hvt.no_untreated", {"drug_users": 1}),
        ("hvt.no_offenders", {"offenders_resident": 1}),
        ("hvt.no_offenders", {"period_drug_cases_by_residents": 1}),
        ("hvt.no_use_sites_or_dealers", {"active_use_sites": 1}),
        ("hvt.no_use_sites_or_dealers", {"active_retail": 1}),
    ],
    "huong-van-2023": [
        ("hv.propaganda", {"propaganda_sessions": 5}),
        ("hv.models", {"models_active": 5}),
        ("hv.hotspots_cleared", {"hotspots_not_cleared": 2}),
        ("hv.no_lines", {"offenders_resident": 1}),
        ("hv.no_cultivation", {"active_cultivation_sites": 1}),
        ("hv.addicts_treated", {"addicts_in_treatment": 0}),
        ("hv.post_rehab_managed", {"period_serious_incidents": 2}),
        ("hv.boxes", {"residential_groups_with_box": 5}),
    ],
}

FAILING_CASES = [
    (code, criterion, changes) for code, cases in FAILING.items() for criterion, changes in cases
]


def test_the_table_covers_every_criterion_of_every_checklist() -> None:
    assert set(FAILING) == set(available()["checklist"])
    for code, cases in FAILING.items():
        assert {criterion for criterion, _ in cases} == {
            c.id for c in load_checklist(code).criteria
        }


@pytest.mark.parametrize("code", sorted(FAILING))
def test_passing_commune_is_recognised(code: str) -> None:
    result = evaluate(PASSING, load_checklist(code))
    assert result.verdict == RECOGNISED
    assert [c.verdict for c in result.criteria] == [MET] * result.total
    assert result.share_met == 1


@pytest.mark.parametrize(
    ("code", "criterion_id", "changes"),
    FAILING_CASES,
    ids=[f"{code}:{criterion}:{','.join(ch)}" for code, criterion, ch in FAILING_CASES],
)
def test_failing_exactly_one_criterion(
    code: str, criterion_id: str, changes: dict[str, int]
) -> None:
    result = evaluate({**PASSING, **changes}, load_checklist(code))
    assert result.verdict == NOT_RECOGNISED
    verdicts = {c.criterion.id: c.verdict for c in result.criteria}
    assert verdicts.pop(criterion_id) == NOT_MET
    assert set(verdicts.values()) == {MET}
    assert result.met_count == result.total - 1
    assert result.share_met == Fraction(result.total - 1, result.total)
    failed = next(c for c in result.criteria if c.criterion.id == criterion_id)
    used = {name: value for name, value in changes.items() if name in failed.evidence}
    assert used and all(failed.evidence[name] == value for name, value in used.items())


def test_no_hamlet_on_the_map_fails_the_coverage_criteria() -> None:
    result = evaluate(
        {**PASSING, "hamlets_total": 0, "hamlets_with_good_board": 0, "hamlets_with_box": 0},
        load_checklist("tra-vinh-2025"),
    )
    assert result.verdict_of("tv.hamlet_boards") == NOT_MET
    assert result.verdict_of("tv.hamlet_boxes") == NOT_MET


# -- unknown inputs ------------------------------------------------------------------------------

MISSING: list[tuple[str, str, str]] = [
    ("tra-vinh-2025", "baseline_drug_users", "tv.not_above_baseline"),
    ("tra-vinh-2025", "hamlets_with_box", "tv.hamlet_boxes"),
    ("tra-vinh-2025", "period_drug_cases_by_residents", "tv.no_cases"),
    ("hoc-mon-2024", "period_tipoffs_received", "hm.tipoffs"),
    ("hoc-mon-2024", "hotspots_relapsed_in_period", "hm.hotspots_cleared"),
    ("hoang-van-thu-2025", "drug_users", "hvt.no_untreated"),
    ("huong-van-2023", "propaganda_sessions", "hv.propaganda"),
]


@pytest.mark.parametrize(("code", "name", "criterion_id"), MISSING)
def test_a_missing_input_gives_insufficient_data(code: str, name: str, criterion_id: str) -> None:
    inputs = {**PASSING}
    del inputs[name]
    result = evaluate(inputs, load_checklist(code))
    assert result.verdict == INSUFFICIENT
    assert result.verdict_of(criterion_id) == INSUFFICIENT
    assert [c.criterion.id for c in result.criteria if c.verdict != MET] == [criterion_id]
    unknown = next(c for c in result.criteria if c.criterion.id == criterion_id)
    assert name in unknown.evidence and unknown.evidence[name] is None


def test_none_is_unknown_like_an_absent_name() -> None:
    rules = load_checklist("hoc-mon-2024")
    assert evaluate({**PASSING, "households_informed": None}, rules).verdict == INSUFFICIENT


def test_a_failure_outweighs_unknowns() -> None:
    inputs = {**PASSING, "models_active": 0}
    del inputs["baseline_addicts_registered"]
    result = evaluate(inputs, load_checklist("tra-vinh-2025"))
    assert result.verdict == NOT_RECOGNISED
    assert result.verdict_of("tv.model") == NOT_MET
    assert result.verdict_of("tv.not_above_baseline") == INSUFFICIENT


def test_a_known_failure_inside_a_criterion_is_not_unknown() -> None:
    """all(false, unknown) is false: one failing part decides even if another is missing."""
    inputs = {**PASSING, "drug_users": 1}
    del inputs["addicts_in_treatment"]
    result = evaluate(inputs, load_checklist("hoang-van-thu-2025"))
    assert result.verdict_of("hvt.no_untreated") == NOT_MET


def test_nothing_known_means_nothing_decided() -> None:
    for code in available()["checklist"]:
        result = evaluate({}, load_checklist(code))
        assert result.verdict == INSUFFICIENT
        assert {c.verdict for c in result.criteria} == {INSUFFICIENT}
        assert result.met_count == 0


# -- what a stored evaluation and a popup get -----------------------------------------------------


def test_as_dict_is_json_ready_and_complete() -> None:
    result = evaluate({**PASSING, "models_active": 0}, load_checklist("tra-vinh-2025"))
    data = json.loads(json.dumps(result.as_dict(), ensure_ascii=False))
    assert data["verdict"] == NOT_RECOGNISED
    assert (data["met_count"], data["total"], data["share_met"]) == (10, 11, "10/11")
    model = next(c for c in data["criteria"] if c["id"] == "tv.model")
    assert model["verdict"] == NOT_MET
    assert model["evidence"] == {"models_active": 0}
    assert model["source"] == {
        "seed": "shared/seeds/003_bb5719cd39510399.txt",
        "section": "III.3 (ý 8)",
    }
    assert model["text_vi"].startswith("Xây dựng và duy trì hiệu quả ít nhất 01 mô hình")


@pytest.mark.parametrize(
    ("code", "criterion_id"),
    [
        ("tra-vinh-2025", "tv.no_rings"),
        ("huong-van-2023", "hv.no_lines"),
        ("hoc-mon-2024", "hm.cases_followed"),
        ("hoc-mon-2024", "hm.no_public_use"),
        ("hoang-van-thu-2025", "hvt.no_offenders"),
        ("hoang-van-thu-2025", "hvt.no_use_sites_or_dealers"),
    ],
)
def test_proxies_say_so(code: str, criterion_id: str) -> None:
    """A criterion measured by a proxy carries an interpretation shown to users."""
    criterion = next(c for c in load_checklist(code).criteria if c.id == criterion_id)
    assert criterion.interpretation_vi and criterion.interpretation_en
    assert "not recorded" in criterion.interpretation_en
    assert criterion.describe()["interpretation"]["vi"] == criterion.interpretation_vi


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"models_active": -1}, "models_active must be a count"),
        ({"models_active": True}, "models_active must be a count"),
        ({"models_active": Decimal("1.5")}, "models_active must be a count"),
    ],
)
def test_bad_input_values_are_refused(changes: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        evaluate({**PASSING, **changes}, load_checklist("tra-vinh-2025"))


def test_inputs_no_criterion_uses_are_left_alone() -> None:
    inputs = {**PASSING, "active_plant_area_m2": Decimal("12.5"), "on_key_route": True}
    assert evaluate(inputs, load_checklist("tra-vinh-2025")).verdict == RECOGNISED
