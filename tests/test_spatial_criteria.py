"""Spatial checklist criteria end to end on PostGIS: the derived coverage of hamlets and
residential groups (tests/test_derived.py's fixture world, with a board and a box lying exactly
on shared borders) fed to the real checklists.
"""

from __future__ import annotations

from datetime import date

import pytest
from test_derived import World, world  # noqa: F401  (the PostGIS fixture world)

from geo_app.domain.checklist import evaluate
from geo_app.rules import load_checklist


def verdict(world: World, code: str, on: date, rule_set: str, criterion: str) -> str:  # noqa: F811
    result = evaluate(world.at(code, on), load_checklist(rule_set))
    return result.verdict_of(criterion)


@pytest.mark.parametrize(
    ("code", "on", "expected"),
    [
        # 99001 has hamlets T01 and T02 from 2025; the board on the T01/T02 border is T01's
        # only, so T02 has none until its own (on the 99001/99002 border) is installed in June.
        ("99001", date(2025, 2, 1), "not_met"),
        ("99001", date(2025, 9, 1), "met"),
        # 99002's only hamlet has a damaged board and a deleted one: not met.
        ("99002", date(2025, 9, 1), "not_met"),
    ],
)
def test_every_hamlet_has_a_board_in_good_condition(
    world: World,  # noqa: F811
    code: str,
    on: date,
    expected: str,
) -> None:
    assert verdict(world, code, on, "tra-vinh-2025", "tv.hamlet_boards") == expected


@pytest.mark.parametrize(
    ("code", "on", "expected"),
    [
        ("99001", date(2025, 9, 1), "not_met"),  # hamlet T02 has no box
        ("99002", date(2025, 9, 1), "not_met"),  # its box is installed in December
        ("99002", date(2025, 12, 31), "met"),  # a damaged box is still a box
    ],
)
def test_every_hamlet_has_a_tipoff_box(
    world: World,  # noqa: F811
    code: str,
    on: date,
    expected: str,
) -> None:
    assert verdict(world, code, on, "tra-vinh-2025", "tv.hamlet_boxes") == expected


def test_a_tipoff_box_in_every_residential_group(world: World) -> None:  # noqa: F811
    # 99002's residential group has its box; 99001 has no residential group on the map, so
    # the criterion cannot be decided there rather than passing on "0 of 0".
    assert verdict(world, "99002", date(2025, 9, 1), "huong-van-2023", "hv.boxes") == "met"
    assert verdict(world, "99001", date(2025, 9, 1), "huong-van-2023", "hv.boxes") != "met"
