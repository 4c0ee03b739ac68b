"""Classification under ``tra-vinh-2025`` (annex of seed 003, DESIGN §4): pure, no database.

The table reproduces the annex threshold by threshold, from both sides; then route escalation,
then every "insufficient data" rule; then properties (monotone, never decided by unknowns).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo_app.domain.classification import (
    INPUT_NAMES,
    INSUFFICIENT,
    ClassificationInputs,
    classify,
    rank,
)
from geo_app.errors import InvalidInput
from geo_app.rules import load_classification

RULES = load_classification("tra-vinh-2025")

ZERO = ClassificationInputs(
    addicts_registered=0,
    active_hotspots=0,
    plants=0,
    plant_area_m2=0,
    offenders_resident=0,
    population=1000,
    on_key_route=False,
    drug_users=0,
    drug_cases_by_residents=0,
)
"""A drug-free unit of 1,000 people off the key route; each case changes a few inputs."""


def unit(**changes: Any) -> ClassificationInputs:
    return replace(ZERO, **changes)


# -- the annex, threshold by threshold ------------------------------------------------------------

ANNEX: list[tuple[str, dict[str, Any], str, list[str]]] = [
    ("nothing", {}, "drug_free", ["df.none"]),
    # A: addicts with a record
    ("A=19", {"addicts_registered": 19}, "less_complex", ["lc.presence"]),
    ("A=20", {"addicts_registered": 20}, "type_3", ["t3.addicts"]),
    ("A=59", {"addicts_registered": 59}, "type_3", ["t3.addicts"]),
    ("A=60", {"addicts_registered": 60}, "type_2", ["t2.addicts"]),
    ("A=99", {"addicts_registered": 99}, "type_2", ["t2.addicts"]),
    ("A=100", {"addicts_registered": 100}, "type_1", ["t1.addicts"]),
    # H: active dens / retail / complex points (II is "3 to 4", inclusive)
    ("H=0", {"active_hotspots": 0}, "drug_free", ["df.none"]),
    ("H=1", {"active_hotspots": 1}, "type_3", ["t3.hotspots"]),
    ("H=2", {"active_hotspots": 2}, "type_3", ["t3.hotspots"]),
    ("H=3", {"active_hotspots": 3}, "type_2", ["t2.hotspots"]),
    ("H=4", {"active_hotspots": 4}, "type_2", ["t2.hotspots"]),
    ("H=5", {"active_hotspots": 5}, "type_1", ["t1.hotspots"]),
    # P: plants
    ("P=0", {"plants": 0}, "drug_free", ["df.none"]),
    ("P=1", {"plants": 1}, "type_3", ["t3.plants"]),
    ("P=499", {"plants": 499}, "type_3", ["t3.plants"]),
    ("P=500", {"plants": 500}, "type_2", ["t2.plants"]),
    ("P=2999", {"plants": 2999}, "type_2", ["t2.plants"]),
    ("P=3000", {"plants": 3000}, "type_1", ["t1.plants"]),
    # S: area in m², exact (Decimal, Fraction or int)
    ("S=0", {"plant_area_m2": Decimal("0.0")}, "drug_free", ["df.none"]),
    ("S=0.5", {"plant_area_m2": Decimal("0.5")}, "type_3", ["t3.plants"]),
    ("S=1", {"plant_area_m2": 1}, "type_3", ["t3.plants"]),
    ("S=999", {"plant_area_m2": 999}, "type_3", ["t3.plants"]),
    ("S=999.5", {"plant_area_m2": Decimal("999.5")}, "type_3", ["t3.plants"]),
    ("S=999.999999999", {"plant_area_m2": Decimal("999.999999999")}, "type_3", ["t3.plants"]),
    ("S=1000", {"plant_area_m2": Decimal("1000.000")}, "type_2", ["t2.plants"]),
    ("S=1999", {"plant_area_m2": 1999}, "type_2", ["t2.plants"]),
    ("S=1999.99", {"plant_area_m2": Decimal("1999.99")}, "type_2", ["t2.plants"]),
    ("S=3999/2", {"plant_area_m2": Fraction(3999, 2)}, "type_2", ["t2.plants"]),
    ("S=2000", {"plant_area_m2": 2000}, "type_1", ["t1.plants"]),
    ("P or S: P in III, S in II", {"plants": 10, "plant_area_m2": 1500}, "type_2", ["t2.plants"]),
    ("P or S: P in I, S in III", {"plants": 3000, "plant_area_m2": 10}, "type_1", ["t1.plants"]),
    # R = offenders / population, percent, exact
    (
        "R=1/1001 <0.1%",
        {"offenders_resident": 1, "population": 1001},
        "less_complex",
        ["lc.presence"],
    ),
    (
        "R=1000/1000001 <0.1%",
        {"offenders_resident": 1000, "population": 1_000_001},
        "less_complex",
        ["lc.presence"],
    ),
    ("R=0.1%", {"offenders_resident": 1, "population": 1000}, "type_3", ["t3.offenders"]),
    ("R=3/1001 <0.3%", {"offenders_resident": 3, "population": 1001}, "type_3", ["t3.offenders"]),
    ("R=0.3%", {"offenders_resident": 3, "population": 1000}, "type_2", ["t2.offenders"]),
    ("R=21/7000=0.3%", {"offenders_resident": 21, "population": 7000}, "type_2", ["t2.offenders"]),
    ("R=5/1001 <0.5%", {"offenders_resident": 5, "population": 1001}, "type_2", ["t2.offenders"]),
    ("R=0.5%", {"offenders_resident": 5, "population": 1000}, "type_1", ["t1.offenders"]),
    ("R=1/200", {"offenders_resident": 1, "population": 200}, "type_1", ["t1.offenders"]),
    # presence without a type III criterion: less complex
    ("users only", {"drug_users": 4}, "less_complex", ["lc.presence"]),
    ("cases only", {"drug_cases_by_residents": 1}, "less_complex", ["lc.presence"]),
    # several criteria of one class are all reported
    (
        "A and H in I",
        {"addicts_registered": 120, "active_hotspots": 6},
        "type_1",
        ["t1.addicts", "t1.hotspots"],
    ),
    (
        "highest class wins",
        {"addicts_registered": 30, "active_hotspots": 5},
        "type_1",
        ["t1.hotspots"],
    ),
]


@pytest.mark.parametrize(
    ("changes", "expected", "criteria"),
    [case[1:] for case in ANNEX],
    ids=[case[0] for case in ANNEX],
)
def test_annex_thresholds(changes: dict[str, Any], expected: str, criteria: list[str]) -> None:
    result = classify(unit(**changes), RULES)
    assert result.class_ == expected
    assert list(result.criterion_ids) == criteria
    assert result.missing == ()


# -- the route clause: one step up, never more ----------------------------------------------------

ROUTE: list[tuple[str, dict[str, Any], str, list[str]]] = [
    ("III (A) + T -> II", {"addicts_registered": 30}, "type_2", ["t2.route"]),
    ("III (P) + T -> II", {"plants": 100}, "type_2", ["t2.route"]),
    ("III (R) + T -> II", {"offenders_resident": 2, "population": 1000}, "type_2", ["t2.route"]),
    ("II (A) + T -> I", {"addicts_registered": 70}, "type_1", ["t1.route"]),
    ("II (H) + T -> I", {"active_hotspots": 3}, "type_1", ["t1.route"]),
    ("II (S) + T -> I", {"plant_area_m2": 1000}, "type_1", ["t1.route"]),
    ("I + T stays I", {"addicts_registered": 150}, "type_1", ["t1.addicts"]),
    (
        "I with a II band + T",
        {"addicts_registered": 150, "active_hotspots": 3},
        "type_1",
        ["t1.addicts", "t1.route"],
    ),
    ("less complex + T stays", {"addicts_registered": 19}, "less_complex", ["lc.presence"]),
    ("drug-free + T stays", {}, "drug_free", ["df.none"]),
]


@pytest.mark.parametrize(
    ("changes", "expected", "criteria"),
    [case[1:] for case in ROUTE],
    ids=[case[0] for case in ROUTE],
)
def test_route_escalation(changes: dict[str, Any], expected: str, criteria: list[str]) -> None:
    on_route = classify(unit(on_key_route=True, **changes), RULES)
    assert on_route.class_ == expected
    assert list(on_route.criterion_ids) == criteria


def test_route_clause_names_the_band_that_fired() -> None:
    result = classify(unit(on_key_route=True, active_hotspots=3), RULES)
    assert result.criteria[0].via == ("t2.hotspots",)
    assert result.as_dict()["criteria"][0]["via"] == ["t2.hotspots"]


def test_escalation_is_one_step() -> None:
    """A type III band on the route gives II, and II's route clause does not then give I."""
    assert classify(unit(addicts_registered=30, on_key_route=True), RULES).class_ == "type_2"
    assert classify(unit(addicts_registered=30), RULES).class_ == "type_3"


# -- insufficient data, exactly when a missing input could change the result -----------------------

MISSING: list[tuple[str, dict[str, Any], str, list[str]]] = [
    (
        "A unknown, nothing else decides",
        {"addicts_registered": None},
        INSUFFICIENT,
        ["addicts_registered"],
    ),
    ("A unknown but H gives I", {"addicts_registered": None, "active_hotspots": 5}, "type_1", []),
    (
        "population unknown, offenders > 0",
        {"offenders_resident": 2, "population": None},
        INSUFFICIENT,
        ["population"],
    ),
    (
        "population 0, offenders > 0",
        {"offenders_resident": 2, "population": 0},
        INSUFFICIENT,
        ["population"],
    ),
    ("population unknown, offenders = 0", {"population": None}, "drug_free", []),
    (
        "population unknown, A gives I",
        {"population": None, "offenders_resident": 3, "addicts_registered": 100},
        "type_1",
        [],
    ),
    ("offenders unknown", {"offenders_resident": None}, INSUFFICIENT, ["offenders_resident"]),
    (
        "offenders and population unknown",
        {"offenders_resident": None, "population": None},
        INSUFFICIENT,
        ["offenders_resident", "population"],
    ),
    (
        "route unknown, already I by a band",
        {"on_key_route": None, "addicts_registered": 100},
        "type_1",
        [],
    ),
    (
        "route unknown, no II/III band holds",
        {"on_key_route": None, "addicts_registered": 5},
        "less_complex",
        [],
    ),
    ("route unknown, no presence at all", {"on_key_route": None}, "drug_free", []),
    (
        "route unknown, a III band holds",
        {"on_key_route": None, "addicts_registered": 30},
        INSUFFICIENT,
        ["on_key_route"],
    ),
    (
        "route unknown, a II band holds",
        {"on_key_route": None, "active_hotspots": 4},
        INSUFFICIENT,
        ["on_key_route"],
    ),
    (
        "S unknown while P is in III",
        {"plants": 100, "plant_area_m2": None},
        INSUFFICIENT,
        ["plant_area_m2"],
    ),
    ("S unknown while P gives I", {"plants": 3000, "plant_area_m2": None}, "type_1", []),
    ("users unknown, nothing else present", {"drug_users": None}, INSUFFICIENT, ["drug_users"]),
    ("users unknown, A present", {"drug_users": None, "addicts_registered": 3}, "less_complex", []),
    ("users unknown, A in III", {"drug_users": None, "addicts_registered": 30}, "type_3", []),
    ("cases unknown", {"drug_cases_by_residents": None}, INSUFFICIENT, ["drug_cases_by_residents"]),
    (
        "A and users unknown: both named",
        {"addicts_registered": None, "drug_users": None},
        INSUFFICIENT,
        ["addicts_registered", "drug_users"],
    ),
    (
        "A unknown, H in II: only A matters",
        {"addicts_registered": None, "active_hotspots": 3},
        INSUFFICIENT,
        ["addicts_registered"],
    ),
    (
        "route unknown, a II band holds: the scan stops at II",
        {"on_key_route": None, "addicts_registered": 30, "active_hotspots": 3},
        INSUFFICIENT,
        ["on_key_route"],
    ),
]


@pytest.mark.parametrize(
    ("changes", "expected", "missing"),
    [case[1:] for case in MISSING],
    ids=[case[0] for case in MISSING],
)
def test_insufficient_data(changes: dict[str, Any], expected: str, missing: list[str]) -> None:
    result = classify(unit(**changes), RULES)
    assert result.class_ == expected
    assert list(result.missing) == missing
    if expected == INSUFFICIENT:
        assert result.criteria == ()
        assert result.undecided is not None


def test_insufficient_names_the_highest_class_still_possible() -> None:
    assert classify(unit(on_key_route=None, addicts_registered=30), RULES).undecided == "type_2"
    assert classify(unit(drug_users=None), RULES).undecided == "less_complex"
    assert classify(ClassificationInputs(), RULES).undecided == "type_1"


def test_everything_unknown_names_every_input() -> None:
    result = classify(ClassificationInputs(), RULES)
    assert result.class_ == INSUFFICIENT
    assert set(result.missing) == set(INPUT_NAMES)


def test_as_dict_is_json_ready() -> None:
    result = classify(unit(addicts_registered=25), RULES)
    assert result.as_dict() == {
        "rule_set": "tra-vinh-2025",
        "class": "type_3",
        "criteria": [
            {
                "id": "t3.addicts",
                "text_vi": "Có từ 20 đến dưới 60 người nghiện ma túy có hồ sơ quản lý",
                "text_en": "20 to 59 registered drug addicts",
            }
        ],
        "missing": [],
        "undecided": None,
    }
    assert unit(plant_area_m2=Decimal("999.5")).as_dict()["plant_area_m2"] == "999.5"
    assert unit(plant_area_m2=Fraction(1, 3)).as_dict()["plant_area_m2"] == "1/3"


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"addicts_registered": -1}, "addicts_registered must not be negative"),
        ({"plant_area_m2": 999.5}, "plant_area_m2 must be an integer, Decimal or Fraction"),
        ({"plant_area_m2": Decimal("NaN")}, "finite"),
        ({"plants": True}, "plants must be an integer"),
        ({"on_key_route": 1}, "on_key_route must be true, false or unknown"),
    ],
)
def test_inputs_are_checked(changes: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidInput, match=fragment):
        unit(**changes)


def test_from_values_refuses_unknown_names() -> None:
    with pytest.raises(InvalidInput, match="unknown classification inputs: hotspots"):
        ClassificationInputs.from_values({"hotspots": 1})
    assert ClassificationInputs.from_values({"plants": 4}).plants == 4


# -- properties -----------------------------------------------------------------------------------

COUNTS = (
    "addicts_registered",
    "active_hotspots",
    "plants",
    "offenders_resident",
    "drug_users",
    "drug_cases_by_residents",
)

_area = st.one_of(
    st.integers(0, 4000),
    st.decimals(min_value=0, max_value=4000, places=3, allow_nan=False, allow_infinity=False),
    st.fractions(min_value=0, max_value=4000, max_denominator=8),
)
_values: dict[str, st.SearchStrategy[Any]] = {
    "addicts_registered": st.sampled_from([0, 1, 19, 20, 59, 60, 99, 100]) | st.integers(0, 200),
    "active_hotspots": st.integers(0, 8),
    "plants": st.sampled_from([0, 1, 499, 500, 2999, 3000]) | st.integers(0, 4000),
    "plant_area_m2": _area,
    "offenders_resident": st.integers(0, 60),
    "population": st.integers(1, 20000),
    "on_key_route": st.booleans(),
    "drug_users": st.integers(0, 30),
    "drug_cases_by_residents": st.integers(0, 5),
}
complete_inputs = st.builds(ClassificationInputs, **_values)
partial_inputs = st.builds(
    ClassificationInputs, **{name: st.none() | s for name, s in _values.items()}
)
PROPERTY = settings(max_examples=300, deadline=None, database=None)


@PROPERTY
@given(complete_inputs)
def test_complete_inputs_always_decide(inputs: ClassificationInputs) -> None:
    result = classify(inputs, RULES)
    assert result.class_ != INSUFFICIENT
    assert result.criteria


@PROPERTY
@given(complete_inputs, st.sampled_from(COUNTS + ("plant_area_m2",)), st.integers(1, 3000))
def test_raising_a_count_never_lowers_the_class(
    inputs: ClassificationInputs, name: str, delta: int
) -> None:
    before = classify(inputs, RULES)
    raised = replace(inputs, **{name: getattr(inputs, name) + delta})
    assert rank(classify(raised, RULES).class_) >= rank(before.class_)


@PROPERTY
@given(complete_inputs)
def test_removing_the_route_never_raises_the_class(inputs: ClassificationInputs) -> None:
    on_route = classify(replace(inputs, on_key_route=True), RULES)
    off_route = classify(replace(inputs, on_key_route=False), RULES)
    assert rank(off_route.class_) <= rank(on_route.class_)


@PROPERTY
@given(partial_inputs, st.data())
def test_a_decided_result_never_depends_on_unknowns(
    inputs: ClassificationInputs, data: st.DataObject
) -> None:
    result = classify(inputs, RULES)
    unknown = [name for name in INPUT_NAMES if getattr(inputs, name) is None]
    if result.class_ == INSUFFICIENT:
        assert set(result.missing) <= set(unknown)
        return
    filled = replace(inputs, **{name: data.draw(_values[name], label=name) for name in unknown})
    assert classify(filled, RULES).class_ == result.class_
