"""Province targets: checks, the audited and version-locked writes, the CLI and the web form.

Service tests write in ``demo_session`` (rolled back). The CLI and form tests write into the
shared demo database, on years no other test reads (2026–2029).
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from conftest import log_in
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from geo_app.cli import main
from geo_app.errors import Conflict
from geo_app.models import AdminUnit, AuditLog
from geo_app.services.accounts.scope import OutOfScope
from geo_app.services.reports.targets import (
    TargetInvalid,
    current_goal,
    parse_target,
    set_target,
    targets_of,
)

FORM = "/reports/targets"


def test_parse_accepts_percentages_and_lists_every_problem() -> None:
    entry = parse_target(" 86 ", "2030", "50", "  Kết luận   132-KL/TW ")
    assert (entry.province_code, entry.year, entry.share) == ("86", 2030, Decimal("0.5"))
    assert entry.basis == "Kết luận 132-KL/TW"
    assert parse_target("86", "2025", "20,5", "Kế hoạch").share == Decimal("0.205")
    with pytest.raises(TargetInvalid) as caught:
        parse_target("", "1999", "150", " ")
    assert [p.field for p in caught.value.problems] == ["province", "year", "share", "basis"]
    for share in ("abc", "-1", "100.5", "12.345", "nan"):
        with pytest.raises(TargetInvalid):
            parse_target("86", "2030", share, "Kế hoạch")
    with pytest.raises(TargetInvalid):
        parse_target("86", "2030", "50", "x" * 301)


def test_set_target_audits_counts_and_locks_versions(demo_session: Session) -> None:
    entry = parse_target("86", "2027", "30", "Kế hoạch 2027")
    made = set_target(demo_session, entry, actor="test")
    assert (made.version, made.base_count, made.goal_count) == (1, 124, 38)  # ceil(0.3 × 124)
    changed = set_target(
        demo_session, parse_target("86", "2027", "35", "Sửa"), actor="test", version=1
    )
    assert (changed.version, changed.goal_share, changed.basis) == (2, Decimal("0.35"), "Sửa")
    with pytest.raises(Conflict):  # read at version 1, changed since
        set_target(demo_session, entry, actor="test", version=1)
    with pytest.raises(Conflict):  # a new goal for a year someone has just registered
        set_target(demo_session, entry, actor="test", version=None)
    rows = demo_session.scalars(
        sa.select(AuditLog)
        .where(AuditLog.table_name == "province_target")
        .order_by(AuditLog.id.desc())
        .limit(2)
    ).all()
    assert [r.action for r in rows] == ["update", "insert"]
    assert rows[0].before["goal_share"] == "0.3" and rows[0].after["goal_share"] == "0.35"
    assert {2025, 2027, 2030} <= {t.year for t in targets_of(demo_session, "86")}


def test_set_target_refuses_unknown_provinces_and_other_scopes(demo_session: Session) -> None:
    with pytest.raises(TargetInvalid):
        set_target(demo_session, parse_target("99", "2027", "30", "x"), actor="test")
    lang_son = demo_session.scalar(
        sa.select(AdminUnit.id).where(
            AdminUnit.code == "20", AdminUnit.level == "province", AdminUnit.valid_to.is_(None)
        )
    )
    with pytest.raises(OutOfScope):
        set_target(
            demo_session,
            parse_target("86", "2027", "30", "x"),
            actor="test",
            scope_unit_id=lang_son,
        )


def test_current_goal_is_this_years_or_the_next(demo_session: Session) -> None:
    # The demo load's goals (other tests in this file add 2028 and 2029 later).
    goals = [g for g in targets_of(demo_session, "86") if g.year in (2025, 2030)]
    assert [(g.year, g.percent) for g in goals] == [(2025, "20"), (2030, "50")]
    assert current_goal(goals, 2025) == goals[0]
    assert current_goal(goals, 2026) == goals[1]
    assert current_goal(goals, 2031) is None


def test_cli_sets_and_lists(demo_db: str) -> None:
    env = {"GEO_APP_DATABASE_URL": demo_db}
    runner = CliRunner()
    done = runner.invoke(
        main, ["targets", "set", "--province", "86", "--year", "2028", "--share", "45"], env=env
    )
    assert done.exit_code == 0, done.output
    assert "target 86 2028: 45 % of 124 communes = 56" in done.output
    again = runner.invoke(
        main, ["targets", "set", "--province", "86", "--year", "2028", "--share", "46"], env=env
    )
    assert "version 2" in again.output  # the shell replaces (audited), no version asked
    listed = runner.invoke(main, ["targets", "list", "--province", "86"], env=env)
    assert "86\t2028\t46 %\t58\t" in listed.output
    bad = runner.invoke(
        main, ["targets", "set", "--province", "86", "--year", "20x", "--share", "50"], env=env
    )
    assert bad.exit_code == 2 and "The year must be a number from 2000 to 2100." in bad.output


def _token(client: FlaskClient, query: str = "") -> str:
    page = client.get(FORM + query).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found[1]


def _version(client: FlaskClient, query: str) -> str:
    page = client.get(FORM + query).get_data(as_text=True)
    found = re.search(r'name="version" value="([^"]*)"', page)
    assert found
    return found[1]


def test_form_registers_and_edits_under_version_locking(app: Flask) -> None:
    first, second = log_in(app.test_client(), "quantri"), log_in(app.test_client(), "quantri")
    data = {"province": "86", "year": "2029", "share": "40", "basis": "Kế hoạch 2029"}
    made = first.post(FORM, data={**data, "csrf_token": _token(first), "version": ""})
    assert made.status_code == 302 and "saved=86-2029" in made.headers["Location"]
    listed = first.get(FORM).get_data(as_text=True)
    assert "Kế hoạch 2029" in listed and "40 %" in listed

    query = "?province=86&year=2029"
    assert _version(first, query) == _version(second, query) == "1"
    edit = {**data, "share": "42", "version": "1"}
    assert first.post(FORM, data={**edit, "csrf_token": _token(first)}).status_code == 302
    stale = second.post(FORM, data={**edit, "share": "44", "csrf_token": _token(second)})
    assert stale.status_code == 409
    body = stale.get_data(as_text=True)
    assert "Người khác vừa sửa chỉ tiêu này" in body and "44 %" in body
    assert 'name="version" value="2"' in body  # the stored goal, to check and save again
    assert _version(first, query) == "2"


def test_form_errors_roles_and_csrf(app: Flask) -> None:
    admin = log_in(app.test_client(), "quantri")
    bad = {"province": "86", "year": "3000", "share": "120", "basis": ""}
    refused = admin.post(FORM, data={**bad, "csrf_token": _token(admin)})
    assert refused.status_code == 400
    body = refused.get_data(as_text=True)
    assert "Năm phải là số từ 2000 đến 2100." in body
    assert "Chỉ tiêu phải là tỷ lệ phần trăm từ 0 đến 100." in body
    english = admin.post(FORM + "?lang=en", data={**bad, "csrf_token": _token(admin)})
    assert "The year must be a number from 2000 to 2100." in english.get_data(as_text=True)
    good = {"province": "86", "year": "2026", "share": "25", "basis": "x"}
    assert admin.post(FORM, data={**good, "csrf_token": "wrong"}).status_code == 400

    commander = log_in(app.test_client(), "vinhlong")
    page = commander.get(FORM).get_data(as_text=True)
    assert "Bạn chỉ được xem các chỉ tiêu." in page and "Tỉnh Vĩnh Long" in page
    assert 'name="share"' not in page
    token = _token(commander)
    assert commander.post(FORM, data={**good, "csrf_token": token}).status_code == 403
    assert app.test_client().get(FORM).status_code in (302, 401)
