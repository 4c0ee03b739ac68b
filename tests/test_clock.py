"""The app's one "today": pinned by GEO_APP_TODAY, the demo's day for the demo and the tests."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from geo_app import clock
from geo_app.config import pinned_today
from geo_app.demo.synth import DATA_END, DEMO_TODAY

ROOT = Path(__file__).resolve().parent.parent


def test_the_setting_pins_a_day_and_empty_follows_the_machine() -> None:
    assert pinned_today({"GEO_APP_TODAY": "2025-06-30"}) == date(2025, 6, 30)
    assert pinned_today({"GEO_APP_TODAY": " "}) is None
    assert pinned_today({}) is None


def test_a_bad_day_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="GEO_APP_TODAY='2025-13-01'"):
        pinned_today({"GEO_APP_TODAY": "2025-13-01"})


def test_the_suite_runs_on_the_demo_day_and_the_pin_can_move() -> None:
    assert clock.today() == DEMO_TODAY == DATA_END
    try:
        clock.pin(date(2024, 2, 29))
        assert clock.today() == date(2024, 2, 29)
        clock.pin(None)
        assert clock.today() == date.today()  # clock-ok: unpinned means the machine date
    finally:
        clock.pin(DEMO_TODAY)


def test_make_run_shows_the_demo_as_of_the_demo_day() -> None:
    makefile = (ROOT / "Makefile").read_text()
    found = re.search(r"^GEO_APP_TODAY \?= (\S+)$", makefile, re.M)
    assert found and date.fromisoformat(found[1]) == DEMO_TODAY
