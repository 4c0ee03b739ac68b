"""Classifying the demo provinces from the database (writes are rolled back by demo_session).

The demo's hotspots that end "cleared" are cleared at dates up to December 2025 (synth
``_cleared(by=DATA_END)``), so the planned classes (``synth.PLANS`` / ``plan_for``) are the
state at the end of the demo window; earlier months may be more serious, never less.
"""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from geo_app.demo import synth
from geo_app.demo.load import LANG_SON, SEED_COMMUNES
from geo_app.domain.classification import CLASS_ORDER
from geo_app.domain.vocabulary import STORED_CLASSES
from geo_app.errors import InvalidInput, NotFound
from geo_app.models import AdminUnit, AuditLog, Classification, Indicator
from geo_app.services.classification.province import ClassifyReport, classify_province

RULES = "tra-vinh-2025"
END = date(2025, 12, 1)
"""The last month of the demo window."""


def run(session: Session, province: str, month: date, reason: str | None = None) -> ClassifyReport:
    return classify_province(
        session, province_code=province, month=month, rules_name=RULES, actor="test", reason=reason
    )


def stored(session: Session, month: date) -> dict[str, tuple[str, str, str]]:
    """code → (class, layout, parent code) of the rows stored for ``month``."""
    parent = aliased(AdminUnit)
    rows = session.execute(
        sa.select(AdminUnit.code, AdminUnit.layout, parent.code, Classification.class_)
        .join(AdminUnit, AdminUnit.id == Classification.admin_unit_id)
        .outerjoin(parent, parent.id == AdminUnit.parent_id)
        .where(Classification.month == month, Classification.rule_set == RULES)
    ).all()
    return {code: (cls, layout, parent_code) for code, layout, parent_code, cls in rows}


def is_seed(code: str, layout: str, parent_code: str | None) -> bool:
    """A 2025 commune the demo generated, or any pre-2025 commune (all lie in seed areas)."""
    return layout == "pre2025" or code in SEED_COMMUNES or parent_code == LANG_SON


def audit_rows(session: Session) -> int:
    return int(session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) or 0)


def test_every_class_appears_in_the_seed_areas(demo_session: Session) -> None:
    months = {"86": date(2025, 10, 1), "20": END, "84": date(2024, 10, 1)}
    before = audit_rows(demo_session)
    reports = {code: run(demo_session, code, month) for code, month in months.items()}
    seen: set[str] = set()
    for code, month in months.items():
        rows = stored(demo_session, month)
        # The demo load stored these months already: a re-run keeps every row as it is.
        assert reports[code].communes == reports[code].unchanged
        seen |= {cls for c, (cls, layout, parent) in rows.items() if is_seed(c, layout, parent)}
    assert seen == set(STORED_CLASSES)
    assert reports["84"].communes == 105  # pre-2025 communes, through their districts
    assert audit_rows(demo_session) == before


def test_demo_plans_hold_at_the_end_of_the_window(demo_session: Session) -> None:
    for province in ("86", "20", "79", "46"):
        run(demo_session, province, END)
    rows = stored(demo_session, END)
    seeds = {c: cls for c, (cls, layout, parent) in rows.items() if is_seed(c, layout, parent)}
    assert len(seeds) == 113
    wrong = {c: (cls, synth.plan_for(c).intended) for c, cls in seeds.items()}
    assert {c: pair for c, pair in wrong.items() if pair[0] != pair[1]} == {}
    assert set(synth.PLANS) <= set(seeds)


def test_earlier_months_are_never_below_the_plan(demo_session: Session) -> None:
    """October 2025: hotspots the demo clears later are still active, so classes can only be
    higher than planned; the route-escalated and cultivation units are the planned ones."""
    run(demo_session, "86", date(2025, 10, 1))
    run(demo_session, "20", date(2025, 11, 1))
    rows = {**stored(demo_session, date(2025, 10, 1)), **stored(demo_session, date(2025, 11, 1))}
    for code, plan in synth.PLANS.items():
        if code in rows:
            got = rows[code][0]
            assert CLASS_ORDER.index(got) >= CLASS_ORDER.index(plan.intended), code
    assert rows["29242"][0] == "type_1"
    assert rows["29416"][0] == "type_2"  # type III band and the key route
    assert rows["06541"][0] == "type_2"  # 1000 <= S < 2000 m² of an active field


def test_rerun_changes_nothing(demo_session: Session) -> None:
    first = run(demo_session, "20", END)
    audited = audit_rows(demo_session)
    again = run(demo_session, "20", END)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, first.communes)
    assert again.counts == first.counts and again.changed == []
    assert audit_rows(demo_session) == audited
    assert "unchanged 65" in again.text()


def _set_addicts(session: Session, code: str, month: date, value: int) -> None:
    unit_id = session.scalar(
        sa.select(AdminUnit.id).where(AdminUnit.code == code, AdminUnit.layout == "2025")
    )
    row = session.scalars(
        sa.select(Indicator).where(Indicator.admin_unit_id == unit_id, Indicator.month == month)
    ).one()
    row.addicts_registered = value
    session.flush()


def test_reclassification_needs_a_reason(demo_session: Session) -> None:
    run(demo_session, "20", END)
    _set_addicts(demo_session, "06172", END, 150)  # less complex → type I (A >= 100)
    audited = audit_rows(demo_session)
    with pytest.raises(InvalidInput) as raised:
        run(demo_session, "20", END, reason="  ")
    assert any(
        d.startswith("06172 ") and "less_complex → type_1" in d for d in raised.value.details
    )
    assert stored(demo_session, END)["06172"][0] == "less_complex"
    assert audit_rows(demo_session) == audited

    report = run(demo_session, "20", END, reason="late indicator correction")
    assert [c.code for c in report.changed] == ["06172"]
    assert (report.updated, report.inserted) == (1, 0)
    assert stored(demo_session, END)["06172"][0] == "type_1"
    last = demo_session.scalars(sa.select(AuditLog).order_by(AuditLog.id.desc()).limit(1)).one()
    assert (last.action, last.reason) == ("reclassify", "late indicator correction")
    assert (last.before["class_"], last.after["class_"]) == ("less_complex", "type_1")
    assert last.after["inputs"]["addicts_registered"] == 150


def test_same_class_new_inputs_update_without_reason(demo_session: Session) -> None:
    run(demo_session, "86", END)
    _set_addicts(demo_session, "29242", END, 135)  # still type I
    report = run(demo_session, "86", END)
    assert (report.updated, report.changed) == (1, [])
    last = demo_session.scalars(sa.select(AuditLog).order_by(AuditLog.id.desc()).limit(1)).one()
    assert (last.action, last.reason, last.table_name) == ("update", None, "classification")


def test_missing_indicator_row_is_insufficient_data(demo_session: Session) -> None:
    report = run(demo_session, "84", date(2024, 10, 1))
    rows = demo_session.execute(
        sa.select(Classification.missing, Classification.inputs)
        .join(AdminUnit, AdminUnit.id == Classification.admin_unit_id)
        .where(AdminUnit.code == "29419", AdminUnit.layout == "pre2025")
        .where(Classification.month == date(2024, 10, 1))
    ).one()
    assert "addicts_registered" in rows.missing
    assert rows.inputs["addicts_registered"] is None
    assert rows.inputs["population"] is not None
    assert report.counts["insufficient_data"] >= 1


def test_bad_requests_change_nothing(demo_session: Session) -> None:
    before = audit_rows(demo_session)
    with pytest.raises(NotFound, match="in force on 2024-10-31"):
        run(demo_session, "86", date(2024, 10, 1))  # Vĩnh Long 86 was made in July 2025
    with pytest.raises(InvalidInput, match="first day"):
        run(demo_session, "86", date(2025, 10, 15))
    with pytest.raises(NotFound, match="no-such-rules"):
        classify_province(
            demo_session,
            province_code="86",
            month=END,
            rules_name="no-such-rules",
            actor="test",
        )
    assert audit_rows(demo_session) == before
