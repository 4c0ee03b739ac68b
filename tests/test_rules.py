"""Rule-set files: every shipped file loads, and a malformed file is refused with its key path."""

from __future__ import annotations

import copy
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from geo_app.errors import NotFound
from geo_app.rules import (
    RULES_DIR,
    RuleSetError,
    available,
    load_checklist,
    load_checklist_file,
    load_classification,
    load_classification_file,
)

CLASSIFICATION_FILE = RULES_DIR / "classification" / "tra-vinh-2025.json"
CHECKLIST_FILE = RULES_DIR / "checklists" / "tra-vinh-2025.json"


def test_shipped_rule_sets() -> None:
    assert available() == {
        "classification": ("tra-vinh-2025",),
        "checklist": ("hoang-van-thu-2025", "hoc-mon-2024", "huong-van-2023", "tra-vinh-2025"),
    }
    for code in available()["checklist"]:
        assert load_checklist(code).info.code == code


def test_classification_header_names_its_legal_basis() -> None:
    info = load_classification("tra-vinh-2025").info
    assert info.issuer == "Ủy ban nhân dân tỉnh Trà Vinh"
    assert "16/KH-UBND" in info.document
    assert info.document_date == date(2025, 2, 17)
    assert info.seed == "shared/seeds/003_bb5719cd39510399.txt"
    assert info.section.startswith("PHỤ LỤC")
    assert info.in_force_on(date(2025, 2, 17))
    assert not info.in_force_on(date(2025, 2, 16))
    assert info.as_dict()["legal_basis"]["date"] == "2025-02-17"


def test_classification_shape_follows_the_annex() -> None:
    rules = load_classification("tra-vinh-2025")
    assert [r.class_ for r in rules.classes] == ["type_1", "type_2", "type_3"]
    assert all(r.at_least == 1 for r in rules.classes)
    assert [c.id for c in rules.band_criteria("type_2")] == [
        "t2.addicts",
        "t2.hotspots",
        "t2.plants",
        "t2.offenders",
    ]
    route = rules.classes[0].criteria[-1]
    assert (route.id, route.band_of, route.and_flag) == ("t1.route", "type_2", "on_key_route")
    assert (rules.some.class_, rules.none.class_) == ("less_complex", "drug_free")


SEED_NAME = re.compile(r"^shared/seeds/00[0-4]_[0-9a-f]{16}\.txt$")


@pytest.mark.parametrize("code", ["tra-vinh-2025", "hoc-mon-2024", "hoang-van-thu-2025"])
def test_checklist_criteria_cite_their_seed(code: str) -> None:
    rules = load_checklist(code)
    assert SEED_NAME.match(rules.info.seed)
    for criterion in rules.criteria:
        assert criterion.seed == rules.info.seed
        assert criterion.section and criterion.text_vi and criterion.text_en


def test_huong_van_lists_what_it_does_not_check() -> None:
    rules = load_checklist("huong-van-2023")
    assert SEED_NAME.match(rules.info.seed)
    assert {n.section for n in rules.not_checked} == {"I.2 (2.1, 2.2)", "I.2 (2.9)", "I.2 (2.10)"}
    assert all(n.reason_vi and n.reason_en for n in rules.not_checked)


def test_unknown_rule_set_is_not_found() -> None:
    with pytest.raises(NotFound, match="unknown classification rule set 'nope'"):
        load_classification("nope")
    with pytest.raises(NotFound, match="available: hoang-van-thu-2025"):
        load_checklist("nope")


# -- malformed files ------------------------------------------------------------------------------


def _write(tmp_path: Path, data: Any, name: str = "tra-vinh-2025") -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _classification() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CLASSIFICATION_FILE.read_text(encoding="utf-8"))
    return copy.deepcopy(data)


def _checklist() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(CHECKLIST_FILE.read_text(encoding="utf-8"))
    return data


def test_copy_of_shipped_file_loads(tmp_path: Path) -> None:
    assert load_classification_file(_write(tmp_path, _classification())).info.code
    assert load_checklist_file(_write(tmp_path, _checklist())).criteria


def test_unknown_key_is_an_error_naming_file_and_path(tmp_path: Path) -> None:
    data = _classification()
    data["classes"][1]["criteria"][2]["any_of"][0]["at_lest"] = "600"
    path = _write(tmp_path, data)
    with pytest.raises(RuleSetError) as caught:
        load_classification_file(path)
    assert str(path) in caught.value.message
    assert "classes[1].criteria[2].any_of[0].at_lest: unknown key" in caught.value.message


def test_unknown_top_level_key(tmp_path: Path) -> None:
    data = _checklist()
    data["extra"] = 1
    with pytest.raises(RuleSetError, match=r"extra: unknown key"):
        load_checklist_file(_write(tmp_path, data))


def test_unknown_key_in_a_nested_condition(tmp_path: Path) -> None:
    data = _checklist()
    data["criteria"][6]["condition"]["all"][1]["rigth"] = 1
    with pytest.raises(RuleSetError, match=r"criteria\[6\]\.condition\.all\[1\]\.rigth"):
        load_checklist_file(_write(tmp_path, data))


def _broken(change: str) -> dict[str, Any]:
    data = _classification()
    first = data["classes"][0]
    if change == "float threshold":
        first["criteria"][0]["any_of"][0]["at_least"] = 100
    elif change == "missing legal basis":
        del data["legal_basis"]
    elif change == "unknown input":
        first["criteria"][0]["any_of"][0]["value"] = "addicts"
    elif change == "empty band":
        first["criteria"][0]["any_of"][0] = {"value": "plants", "at_least": "5", "below": "5"}
    elif change == "two lower bounds":
        first["criteria"][0]["any_of"][0]["above"] = "3"
    elif change == "no bound":
        first["criteria"][0]["any_of"][0] = {"value": "plants"}
    elif change == "duplicate id":
        data["classes"][1]["criteria"][0]["id"] = "t1.addicts"
    elif change == "classes out of order":
        data["classes"][0], data["classes"][1] = data["classes"][1], data["classes"][0]
    elif change == "route to a higher class":
        data["classes"][1]["criteria"][-1]["band_of"] = "type_1"
    elif change == "route flag not a flag":
        first["criteria"][-1]["and_flag"] = "plants"
    elif change == "k above criteria":
        first["at_least"] = 9
    elif change == "bad date":
        data["in_force_from"] = "2025-02-30"
    elif change == "wrong kind":
        data["kind"] = "checklist"
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            "float threshold",
            r"classes\[0\]\.criteria\[0\]\.any_of\[0\]\.at_least: must be a decimal",
        ),
        ("missing legal basis", r"legal_basis: required key is missing"),
        ("unknown input", r"any_of\[0\]\.value: 'addicts' is not a numeric input"),
        ("empty band", r"any_of\[0\]: the band is empty"),
        ("two lower bounds", r"any_of\[0\]: at most one lower bound"),
        ("no bound", r"any_of\[0\]: needs a bound"),
        ("duplicate id", r"classes\[1\]\.criteria\[0\]\.id: duplicate criterion id 't1.addicts'"),
        ("classes out of order", r"classes\[1\]\.class: 'type_1' must rank below 'type_2'"),
        ("route to a higher class", r"band_of: 'type_1' must be a lower class"),
        ("route flag not a flag", r"and_flag: 'plants' is not a flag input"),
        ("k above criteria", r"classes\[0\]\.at_least: exceeds the number of criteria"),
        ("bad date", r"in_force_from: '2025-02-30' is not a date"),
        ("wrong kind", r"kind: 'checklist' is not one of classification"),
    ],
)
def test_malformed_classification(tmp_path: Path, change: str, message: str) -> None:
    path = _write(tmp_path, _broken(change))
    with pytest.raises(RuleSetError, match=message) as caught:
        load_classification_file(path)
    assert caught.value.message.startswith(str(path))


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ({"left": "hotspots", "op": "==", "right": 0}, "unknown checklist input 'hotspots'"),
        ({"left": "on_key_route", "op": ">", "right": False}, "only be compared with == or !="),
        ({"left": "on_key_route", "op": "==", "right": 0}, "mixes a flag and a count"),
        ({"left": "models_active", "op": "==", "right": True}, "mixes a flag and a count"),
        ({"left": "models_active", "op": "=~", "right": 1}, "'=~' is not one of"),
        ({"left": "models_active", "op": ">=", "right": -1}, "non-negative integer"),
        ({"left": "models_active", "op": ">=", "right": 1.5}, "non-negative integer"),
        ({"all": []}, r"condition\.all: needs at least 1"),
        ({"either": []}, r'must be \{"all"'),
    ],
)
def test_malformed_condition(tmp_path: Path, condition: dict[str, Any], message: str) -> None:
    data = _checklist()
    data["criteria"][0]["condition"] = condition
    with pytest.raises(RuleSetError, match=message):
        load_checklist_file(_write(tmp_path, data))


def test_file_name_must_match_code(tmp_path: Path) -> None:
    with pytest.raises(RuleSetError, match="must equal the file name"):
        load_classification_file(_write(tmp_path, _classification(), name="other"))


def test_invalid_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{\n  "kind": "classification",\n  oops\n}', encoding="utf-8")
    with pytest.raises(RuleSetError, match=r"x\.json: not valid JSON \(line 3"):
        load_classification_file(path)
