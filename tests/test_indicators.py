"""Monthly indicators: pure row validation, the all-or-nothing service, and the CSV import CLI."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from test_auth import World, build_world

from geo_app.cli import main
from geo_app.domain.indicators import COLUMNS, FieldError, ParsedRow, parse_row
from geo_app.models import COUNT_COLUMNS, AdminUnit
from geo_app.services.accounts.scope import OutOfScope
from geo_app.services.audit import verify_chain
from geo_app.services.indicators import (
    RowsConflict,
    RowsInvalid,
    RowsOutOfScope,
    read_indicator,
    save_indicators,
)

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2025, 12, 31)


@pytest.fixture
def world(empty_db: str, engine_for: Callable[[str], Engine]) -> Iterator[World]:
    made = build_world(empty_db, engine_for(empty_db))
    yield made
    made.app.extensions["geo_app.engine"].dispose()


# -- pure validation ----------------------------------------------------------------------------


def _errors(fields: Any, row: int = 7) -> list[FieldError]:
    result = parse_row(fields, row=row, latest=TODAY)
    assert isinstance(result, list), result
    return result


def test_columns_are_the_models_columns() -> None:
    assert COLUMNS == COUNT_COLUMNS


def test_a_good_row_keeps_only_the_columns_given() -> None:
    row = parse_row(
        {"code": " 29500 ", "month": "2025-03", "households_total": "120", "drug_users": ""},
        row=2,
        latest=TODAY,
    )
    assert row == ParsedRow(
        2, "29500", date(2025, 3, 1), None, {"households_total": 120, "drug_users": None}
    )


@pytest.mark.parametrize(
    ("fields", "column", "text"),
    [
        ({"addicts_registered": "-3"}, "addicts_registered", "is negative"),
        ({"addicts_registered": -3}, "addicts_registered", "is negative"),
        ({"drug_users": "1.200"}, "drug_users", "not a whole number"),
        ({"drug_users": 2.0}, "drug_users", "not a whole number"),
        ({"drug_users": True}, "drug_users", "not a whole number"),
        ({"drug_users": "12000000"}, "drug_users", "implausibly large"),
        ({"month": "2025-13"}, "month", "not a month YYYY-MM"),
        ({"month": "2025-3"}, "month", "not a month YYYY-MM"),
        ({"month": "2026-01"}, "month", "in the future"),
        ({"month": ""}, "month", "is required"),
        ({"code": ""}, "code", "is required"),
        ({"version": "0"}, "version", "not a version number"),
        ({"ho_ten": "Nguyễn Văn A"}, "ho_ten", "not an indicator column"),
        (
            {"addicts_registered": "4", "addicts_in_treatment": "5"},
            "addicts_in_treatment",
            "more than addicts_registered (4)",
        ),
        (
            {"households_total": "100", "households_committed": "101"},
            "households_committed",
            "more than households_total (100)",
        ),
        (
            {"households_total": "100", "households_informed": "150"},
            "households_informed",
            "more than households_total (100)",
        ),
        (
            {"tipoffs_received": "2", "tipoffs_processed": "3"},
            "tipoffs_processed",
            "more than tipoffs_received (2)",
        ),
        (
            {"suspected_users": "0", "suspected_tested": "1"},
            "suspected_tested",
            "more than suspected_users (0)",
        ),
    ],
)
def test_errors_name_the_row_and_the_column(
    fields: dict[str, object], column: str, text: str
) -> None:
    errors = _errors({"code": "29500", "month": "2025-03", **fields})
    assert [e.column for e in errors] == [column]
    assert str(errors[0]).startswith(f"row 7, column {column}: ")
    assert text in str(errors[0])


def test_messages_in_vietnamese_and_every_problem_of_a_row_at_once() -> None:
    errors = _errors({"code": "", "month": "x", "drug_users": "-1", "models_active": "a"})
    assert {e.column for e in errors} == {"code", "month", "drug_users", "models_active"}
    exceeds = _errors(
        {"code": "1", "month": "2025-01", "households_total": "1", "households_committed": "2"}
    )
    assert exceeds[0].message("vi") == "2 lớn hơn Tổng số hộ (1)"
    assert _errors("not a mapping")[0].column == "-"


# -- the service ---------------------------------------------------------------------------------


def _table(engine: Engine) -> tuple[list[Any], int]:
    """The whole indicator table and the audit length: equal before and after = nothing written."""
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.text("SELECT * FROM indicator ORDER BY id"))]
        audits = int(conn.scalar(sa.text("SELECT count(*) FROM audit_log")))
    return rows, audits


def _scope(engine: Engine, code: str) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.select(AdminUnit.id).where(AdminUnit.code == code)).scalar_one()


def _save(world: World, rows: list[dict[str, Any]], scope: int | None = None, **kw: Any) -> Any:
    with Session(world.engine) as session, session.begin():
        return save_indicators(
            session,
            list(enumerate(rows, start=2)),
            actor="test:ops",
            scope_unit_id=scope,
            source="test",
            **kw,
        )


def _audits(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.text(
                    "SELECT action, actor, row_id, before, after, reason FROM audit_log "
                    "WHERE table_name = 'indicator' ORDER BY id"
                )
            )
        )


def test_insert_then_update_with_the_version_and_every_write_audited(world: World) -> None:
    first = _save(world, [{"code": "29500", "month": "2025-10", "households_total": "100"}])
    assert [(s.action, s.version) for s in first] == [("inserted", 1)]
    second = _save(
        world,
        [{"code": "29500", "month": "2025-10", "version": "1", "households_committed": "90"}],
    )
    assert [(s.action, s.version) for s in second] == [("updated", 2)]
    again = _save(
        world,
        [{"code": "29500", "month": "2025-10", "version": "2", "households_committed": "90"}],
    )
    assert [(s.action, s.version) for s in again] == [("unchanged", 2)]
    audits = _audits(world.engine)
    assert [a.action for a in audits] == ["insert", "update"]
    assert audits[0].before is None and audits[0].after["households_total"] == 100
    assert audits[1].before["households_committed"] is None
    assert audits[1].after["households_committed"] == 90
    assert audits[1].after["households_total"] == 100 and audits[1].after["version"] == 2
    assert audits[1].actor == "test:ops" and "test" in audits[1].reason
    with Session(world.engine) as session:
        record = read_indicator(session, "29500", date(2025, 10, 1), scope_unit_id=None)
        assert verify_chain(session) == []
    assert record.version == 2 and record.values["households_committed"] == 90


def test_a_stale_or_missing_version_is_a_conflict_and_changes_nothing(world: World) -> None:
    _save(world, [{"code": "29500", "month": "2025-10", "drug_users": "3"}])
    _save(world, [{"code": "29500", "month": "2025-10", "version": "1", "drug_users": "4"}])
    before = _table(world.engine)
    with pytest.raises(RowsConflict) as stale:
        _save(world, [{"code": "29500", "month": "2025-10", "version": "1", "drug_users": "9"}])
    assert stale.value.status == 409
    assert stale.value.details == [
        "row 2, column version: was changed by someone else (now version 2)"
    ]
    with pytest.raises(RowsConflict, match="1 problems"):
        _save(world, [{"code": "29500", "month": "2025-10", "drug_users": "9"}])
    with pytest.raises(RowsConflict):
        _save(world, [{"code": "29501", "month": "2025-10", "version": "4", "drug_users": "9"}])
    assert _table(world.engine) == before
    done = _save(world, [{"code": "29500", "month": "2025-10", "drug_users": "9"}], overwrite=True)
    assert done[0].version == 3


def test_bad_rows_change_nothing_and_every_error_names_its_row_and_column(world: World) -> None:
    _save(world, [{"code": "29500", "month": "2025-10", "households_total": "100"}])
    before = _table(world.engine)
    cases: list[tuple[list[dict[str, Any]], str]] = [
        (
            [
                {"code": "29501", "month": "2025-10", "drug_users": "2"},
                {"code": "29501", "month": "2025-11", "drug_users": "-2"},
            ],
            "row 3, column drug_users: -2 is negative",
        ),
        (
            [
                {"code": "29501", "month": "2025-10"},
                {"code": "99999", "month": "2025-10"},
            ],
            "row 3, column code: no unit '99999' in force that month",
        ),
        (
            [{"code": "28000", "month": "2025-10"}],  # the old commune ended in June 2025
            "row 2, column code: no unit '28000' in force that month",
        ),
        (
            [
                {"code": "29501", "month": "2025-12"},
                {"code": "29501", "month": "2025-12"},
            ],
            "row 3, column month: repeats the unit and month of row 2",
        ),
        (  # merged with the stored households_total = 100
            [{"code": "29500", "month": "2025-10", "version": "1", "households_committed": "120"}],
            "row 2, column households_committed: 120 is more than households_total (100)",
        ),
    ]
    for rows, message in cases:
        with pytest.raises(RowsInvalid) as error:
            _save(world, rows)
        assert message in error.value.details, error.value.details
        assert error.value.status == 400
    assert _table(world.engine) == before


def test_scope_is_enforced_and_pre_2025_units_inside_a_2025_province_are_in(
    world: World,
) -> None:
    scope_86 = _scope(world.engine, "86")
    before = _table(world.engine)
    with pytest.raises(RowsOutOfScope) as outside:
        _save(
            world,
            [
                {"code": "29500", "month": "2025-10", "drug_users": "1"},
                {"code": "26734", "month": "2025-10", "drug_users": "1"},
            ],
            scope=scope_86,
        )
    assert outside.value.status == 403
    assert outside.value.details == ["row 3, column code: unit 26734 is outside your scope"]
    assert _table(world.engine) == before
    saved = _save(world, [{"code": "28000", "month": "2025-03", "drug_users": "5"}], scope=scope_86)
    assert saved[0].action == "inserted"
    with Session(world.engine) as session:
        old = read_indicator(session, "28000", date(2025, 3, 1), scope_unit_id=scope_86)
        assert old.unit.code == "28000" and old.values["drug_users"] == 5
        with pytest.raises(OutOfScope):
            read_indicator(session, "26734", date(2025, 10, 1), scope_unit_id=scope_86)


def test_a_writer_racing_another_gets_a_conflict_not_a_crash(world: World) -> None:
    """B inserts the same unit and month while A's insert is uncommitted: B waits on the unique
    index, and when A commits B's attempt becomes a 409 with nothing of B's stored.
    """
    row = [(2, {"code": "29500", "month": "2025-10", "drug_users": "1"})]
    outcome: list[BaseException] = []

    def writer_b() -> None:
        try:
            with Session(world.engine) as b, b.begin():
                save_indicators(b, row, actor="b", scope_unit_id=None, source="test")
        except BaseException as error:  # handed to the main thread
            outcome.append(error)

    with Session(world.engine) as a:
        a.begin()
        save_indicators(a, row, actor="a", scope_unit_id=None, source="test")
        thread = threading.Thread(target=writer_b)
        thread.start()
        _wait_for_a_lock_wait(world.engine)
        a.commit()
    thread.join()
    assert len(outcome) == 1 and isinstance(outcome[0], RowsConflict), outcome
    assert outcome[0].details == ["row 2, column month: was changed by someone else meanwhile"]
    assert [a.actor for a in _audits(world.engine)] == ["a"]


def _wait_for_a_lock_wait(engine: Engine) -> None:
    """Until another backend of this database waits on a lock (B blocked behind A)."""
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity "
        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(600):
        with engine.connect() as conn:
            if conn.scalar(query):
                return
        time.sleep(0.05)
    raise AssertionError("writer B never waited for writer A")


# -- CSV import ----------------------------------------------------------------------------------

GOOD_CSV = (
    "code,month,addicts_registered,addicts_in_treatment,households_total,households_committed\n"
    "29500,2025-10,12,10,900,850\n"
    "29501,2025-10,,,400,\n"
    "28000,2025-06,3,3,,\n"
)


def _import(world: World, tmp_path: Path, text: str, *args: str) -> Any:
    path = tmp_path / "chi_tieu.csv"
    path.write_text(text, encoding="utf-8")
    return CliRunner().invoke(
        main, ["import-indicators", str(path), *args], env={"GEO_APP_DATABASE_URL": world.url}
    )


def test_csv_import_writes_every_row(world: World, tmp_path: Path) -> None:
    result = _import(world, tmp_path, GOOD_CSV)
    assert result.exit_code == 0, result.output
    assert "3 rows — 3 inserted, 0 updated, 0 unchanged" in result.output
    with Session(world.engine) as session:
        a = read_indicator(session, "29501", date(2025, 10, 1), scope_unit_id=None)
        b = read_indicator(session, "28000", date(2025, 6, 1), scope_unit_id=None)
    assert a.values["households_total"] == 400 and a.values["addicts_registered"] is None
    assert b.values["addicts_registered"] == 3 and b.version == 1
    assert len(_audits(world.engine)) == 3
    again = _import(world, tmp_path, GOOD_CSV)
    assert again.exit_code == 2 and "already has figures (version 1)" in again.output
    semicolons = GOOD_CSV.replace(",", ";").replace("850", "860")
    replaced = _import(world, tmp_path, "\ufeff" + semicolons, "--overwrite")
    assert replaced.exit_code == 0, replaced.output
    assert "1 updated, 2 unchanged" in replaced.output


BAD_CSV = (
    "code,month,drug_users,households_total,households_committed\n"
    "29500,2025-10,4,100,90\n"
    "29501,2025-10,-1,100,101\n"
    "26734,2026-13,x,,\n"
)


def test_csv_import_is_all_or_nothing_with_exit_2(world: World, tmp_path: Path) -> None:
    before = _table(world.engine)
    result = _import(world, tmp_path, BAD_CSV)
    assert result.exit_code == 2
    for message in (
        "row 3, column drug_users: -1 is negative",
        "row 3, column households_committed: 101 is more than households_total (100)",
        "row 4, column month: '2026-13' is not a month YYYY-MM",
        "row 4, column drug_users: 'x' is not a whole number",
    ):
        assert message in result.output
    assert "nothing was saved" in result.output
    header = _import(world, tmp_path, "code,month,ho_ten,drug_users\n29500,2025-10,An,1\n")
    assert header.exit_code == 2 and "row 1, column ho_ten: is not an indicator column" in (
        header.output
    )
    short = _import(world, tmp_path, "code,month,drug_users\n29500,2025-10\n")
    assert short.exit_code == 2 and "row 2, column -: has 2 cells, the header has 3" in short.output
    assert _import(world, tmp_path, "code,month\n").exit_code == 2
    assert _table(world.engine) == before


def test_the_installed_command_exits_2_and_writes_nothing(world: World, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(BAD_CSV, encoding="utf-8")
    before = _table(world.engine)
    env = {**os.environ, "GEO_APP_DATABASE_URL": world.url}
    done = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "geo-app"), "import-indicators", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "row 3, column drug_users: -1 is negative" in done.stderr
    assert _table(world.engine) == before
    path.write_text(GOOD_CSV, encoding="utf-8")
    ok = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "geo-app"), "import-indicators", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert len(_table(world.engine)[0]) == 3
