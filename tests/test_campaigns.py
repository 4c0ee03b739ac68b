"""Campaign services on the demo database, inside a transaction that is rolled back.

Create from a document (valid, and every kind of bad input writes nothing), baseline
(idempotent), phases by date, progress, overrides, and reading pre-2025 targets on the 2025 map.
"""

from __future__ import annotations

import json
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app.demo.load import read_campaigns
from geo_app.errors import Conflict, InvalidInput, NotFound
from geo_app.models import (
    AdminUnit,
    AuditLog,
    Campaign,
    CampaignBaseline,
    CampaignTarget,
    Evaluation,
    Indicator,
    Phase,
)
from geo_app.services.campaigns import (
    campaign_by_code,
    campaign_progress,
    create_campaign,
    evaluate_campaign,
    override_verdict,
    phase_on,
    take_baseline,
    target_progress,
    targets_on_2025_map,
)
from geo_app.services.campaigns.lookup import phases_of

EXAMPLE = Path(__file__).parent / "fixtures" / "campaign_example.json"


def example() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(EXAMPLE.read_text(encoding="utf-8"))["campaigns"][0]
    return doc


def counts(session: Session) -> tuple[int, ...]:
    return tuple(
        session.execute(sa.select(sa.func.count()).select_from(model)).scalar_one()
        for model in (Campaign, Phase, CampaignTarget, CampaignBaseline, AuditLog)
    )


def audit_rows(session: Session, table: str, row_id: int) -> list[AuditLog]:
    return list(
        session.execute(
            sa.select(AuditLog)
            .where(AuditLog.table_name == table, AuditLog.row_id == str(row_id))
            .order_by(AuditLog.id)
        ).scalars()
    )


# --- create -------------------------------------------------------------------------------------


def test_create_from_the_example_file(demo_session: Session) -> None:
    campaign = create_campaign(demo_session, example(), actor="test")

    assert campaign.code == "vinh-long-example-2025"
    assert (campaign.goal_count, campaign.goal_base_count) == (2, 3)  # ceil(0.5 × 3)
    assert "50%" in (campaign.description or "")
    phases = phases_of(demo_session, campaign.id)
    assert [(p.ordinal, p.name_en) for p in phases] == [
        (1, "Survey"),
        (2, "Transformation"),
        (3, "Review"),
    ]
    targets = demo_session.execute(
        sa.select(AdminUnit.code, AdminUnit.layout, CampaignTarget.approved_on, CampaignTarget.note)
        .join(CampaignTarget, CampaignTarget.admin_unit_id == AdminUnit.id)
        .where(CampaignTarget.campaign_id == campaign.id)
        .order_by(AdminUnit.code)
    ).all()
    assert [tuple(t) for t in targets] == [
        ("29410", "2025", date(2025, 7, 25), None),
        ("29413", "2025", date(2025, 7, 25), None),
        ("29467", "2025", None, "lagging: one active hotspot"),
    ]
    (entry,) = audit_rows(demo_session, "campaign", campaign.id)
    assert entry.action == "insert" and entry.actor == "test"
    assert entry.after is not None and len(entry.after["targets"]) == 3


def test_the_demo_file_format_is_accepted_and_resolves_like_the_demo_loader(
    demo_session: Session,
) -> None:
    """Each seed campaign, renamed, creates with the same target units the demo loader chose."""
    for doc in read_campaigns():
        loaded = campaign_by_code(demo_session, doc["code"])
        made = create_campaign(demo_session, {**doc, "code": doc["code"] + "-copy"}, actor="t")
        units = [
            set(
                demo_session.execute(
                    sa.select(CampaignTarget.admin_unit_id).where(
                        CampaignTarget.campaign_id == c.id
                    )
                ).scalars()
            )
            for c in (loaded, made)
        ]
        assert units[0] == units[1] and len(units[1]) == len(doc["targets"])
        assert made.goal_count == loaded.goal_count


def _with(**changes: Any) -> dict[str, Any]:
    doc = example()
    doc.update(changes)
    return doc


def _phases(*spans: tuple[str, str | None]) -> list[dict[str, Any]]:
    return [
        {"ordinal": i, "name_vi": f"Giai đoạn {i}", "starts_on": a, "ends_on": b}
        for i, (a, b) in enumerate(spans, start=1)
    ]


def _target(code: str, layout: str = "2025") -> dict[str, str]:
    return {"code": code, "layout": layout}


BAD: list[tuple[str, dict[str, Any], list[str]]] = [
    ("missing title", {"title": None}, ["title: required"]),
    ("blank issuer", {"issuer": "  "}, ["issuer: must be non-blank"]),
    ("unknown field", {"colour": "red"}, ["colour: unknown field"]),
    ("bad code", {"code": "Bad Code!"}, ["code:"]),
    ("bad date", {"starts_on": "2025-02-30"}, ["starts_on: must be a date"]),
    ("ends before start", {"ends_on": "2025-07-01"}, ["ends_on: 2025-07-01 is before"]),
    ("baseline after end", {"baseline_date": "2026-02-01"}, ["baseline_date:"]),
    (
        "overlapping phases",
        {"phases": _phases(("2025-08-01", "2025-09-30"), ("2025-09-15", "2025-12-31"))},
        ["phase 2: starts 2025-09-15, before phase 1 ends"],
    ),
    (
        "phase before the campaign",
        {"phases": _phases(("2025-07-01", "2025-08-31"))},
        ["phase 1: starts 2025-07-01, before the campaign"],
    ),
    (
        "phase after the campaign",
        {"phases": _phases(("2025-08-01", "2026-01-31"))},
        ["phase 1: ends 2026-01-31, after the campaign"],
    ),
    (
        "open-ended phase that is not the last",
        {"phases": _phases(("2025-08-01", None), ("2025-10-01", "2025-12-31"))},
        ["phase 1: only the last phase may be open-ended"],
    ),
    (
        "phase without a name",
        {"phases": [{"ordinal": 1, "starts_on": "2025-08-01"}]},
        ["phases[0].name_vi: required"],
    ),
    ("no phases", {"phases": []}, ["phases: must list at least one"]),
    (
        "unknown target code",
        {"targets": [_target("29410"), _target("99999")]},
        ["targets[1].code: no unit '99999' of layout '2025'"],
    ),
    (
        "target not in force at the start",
        {"targets": [_target("29392", "pre2025")]},
        ["targets[0].code: no unit '29392' of layout 'pre2025' in force on 2025-08-01"],
    ),
    (
        "target of the wrong level",
        {"targets": [_target("86")]},
        ["targets[0].code: 86 Tỉnh Vĩnh Long is a province, not a commune"],
    ),
    (
        "duplicate target",
        {"targets": [_target("29410"), _target("29410")]},
        ["targets[1].code: 29410 is already targets[0]"],
    ),
    ("target without a code", {"targets": [{"layout": "2025"}]}, ["targets[0].code: required"]),
    ("unknown checklist", {"checklist_rule_set": "nowhere-2025"}, ["checklist_rule_set:"]),
    (
        "unknown classification",
        {"classification_rule_set": "nowhere-2025"},
        ["classification_rule_set:"],
    ),
    ("goal share above 1", {"goal_share": 1.5}, ["goal_share: must be a fraction"]),
    ("goal count not the share", {"goal_count": 1}, ["goal_count: 1, but 0.5 of 3 is 2"]),
    ("goal share without base", {"goal_base_count": None}, ["goal_base_count: required"]),
    ("negative count", {"goal_base_count": -3}, ["goal_base_count: must be a whole number"]),
    ("unknown province", {"province_code": "99"}, ["province_code: no province"]),
]


@pytest.mark.parametrize(("changes", "expected"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_documents_name_the_field_and_write_nothing(
    demo_session: Session, changes: dict[str, Any], expected: list[str]
) -> None:
    before = counts(demo_session)

    with pytest.raises(InvalidInput) as raised:
        create_campaign(demo_session, _with(**changes), actor="test")

    assert raised.value.details, "every problem is listed"
    for text in expected:
        assert any(text in line for line in raised.value.details), raised.value.details
    assert raised.value.details[0] in raised.value.message
    assert counts(demo_session) == before


def test_every_problem_is_reported_at_once(demo_session: Session) -> None:
    doc = _with(title=None, starts_on="yesterday", targets=[_target("00000")], goal_share="x")
    with pytest.raises(InvalidInput) as raised:
        create_campaign(demo_session, doc, actor="test")
    fields = {line.split(":")[0] for line in raised.value.details}
    assert {"title", "starts_on", "goal_share"} <= fields


def test_an_existing_code_is_a_conflict(demo_session: Session) -> None:
    before = counts(demo_session)
    with pytest.raises(Conflict, match="tra-vinh-2025"):
        create_campaign(demo_session, _with(code="tra-vinh-2025"), actor="test")
    assert counts(demo_session) == before


def test_a_document_that_is_not_an_object_is_refused(demo_session: Session) -> None:
    with pytest.raises(InvalidInput, match="JSON object"):
        create_campaign(demo_session, ["not", "a", "campaign"], actor="test")  # type: ignore[arg-type]


# --- baseline -----------------------------------------------------------------------------------


def test_baseline_copies_the_baseline_month_and_is_idempotent(demo_session: Session) -> None:
    campaign = create_campaign(demo_session, example(), actor="test")

    first = take_baseline(demo_session, campaign.id, actor="test")
    after_first = counts(demo_session)
    second = take_baseline(demo_session, campaign.id, actor="test")

    assert sorted(first.taken) == ["29410", "29413", "29467"] and not first.missing
    assert second.taken == [] and sorted(second.kept) == sorted(first.taken)
    assert counts(demo_session) == after_first, "a second run writes nothing, not even audit"
    row = demo_session.execute(
        sa.select(CampaignBaseline, Indicator)
        .join(
            Indicator,
            sa.and_(
                Indicator.admin_unit_id == CampaignBaseline.admin_unit_id,
                Indicator.month == date(2025, 8, 1),
            ),
        )
        .where(CampaignBaseline.campaign_id == campaign.id)
        .limit(1)
    ).one()
    baseline, indicator = row
    assert baseline.taken_on == date(2025, 8, 1)
    assert baseline.indicators["addicts_registered"] == indicator.addicts_registered
    assert baseline.indicators["households_total"] == indicator.households_total
    assert len(audit_rows(demo_session, "campaign_baseline", campaign.id)) == 1


def test_baseline_reports_targets_without_indicators(demo_session: Session) -> None:
    """Hương Vân's baseline month (10/2023) is before the demo's indicators (from 01/2024)."""
    campaign = campaign_by_code(demo_session, "huong-van-2023")
    result = take_baseline(demo_session, campaign.id, actor="test")
    assert result.missing == ["20008"] and result.taken == []


def test_baseline_needs_a_baseline_date(demo_session: Session) -> None:
    campaign = create_campaign(demo_session, _with(baseline_date=None), actor="test")
    with pytest.raises(InvalidInput, match="baseline_date"):
        take_baseline(demo_session, campaign.id, actor="test")


# --- phases and progress ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "on", "position", "ordinal"),
    [
        ("tra-vinh-2025", date(2025, 1, 1), "before", None),
        ("tra-vinh-2025", date(2025, 4, 30), "in", 1),
        ("tra-vinh-2025", date(2025, 5, 1), "in", 2),
        ("tra-vinh-2025", date(2025, 12, 1), "in", 3),
        ("tra-vinh-2025", date(2025, 12, 20), "after", None),
        ("huong-van-2023", date(2030, 1, 1), "in", 3),  # open-ended consolidation
    ],
)
def test_phase_on_a_date(
    demo_session: Session, code: str, on: date, position: str, ordinal: int | None
) -> None:
    campaign = campaign_by_code(demo_session, code)
    found = phase_on(phases_of(demo_session, campaign.id), on)
    assert (found.position, found.ordinal) == (position, ordinal)


def test_phase_between_two_phases() -> None:
    campaign_phases = [
        Phase(ordinal=1, name_vi="a", starts_on=date(2025, 1, 1), ends_on=date(2025, 1, 31)),
        Phase(ordinal=2, name_vi="b", starts_on=date(2025, 3, 1), ends_on=date(2025, 3, 31)),
    ]
    assert phase_on(campaign_phases, date(2025, 2, 10)).position == "between"
    assert "giữa" in phase_on(campaign_phases, date(2025, 2, 10)).label()


def test_progress_before_any_evaluation(demo_session: Session) -> None:
    # The demo load already stores evaluations; this test starts from none.
    demo_session.execute(sa.text("DELETE FROM evaluation"))
    campaign = campaign_by_code(demo_session, "tra-vinh-2025")
    rows = target_progress(demo_session, campaign.id, date(2025, 6, 1))
    assert len(rows) == 21
    assert all(r.verdict is None and r.share_met is None for r in rows)
    assert {r.phase.ordinal for r in rows} == {2}
    total = campaign_progress(demo_session, campaign.id, date(2025, 6, 1))
    assert total.text() == "0 of 21 targets recognised; goal 21 (20 % of 104)"


def test_progress_reads_the_last_evaluation_with_the_override_applied(
    demo_session: Session,
) -> None:
    # The demo load already stores evaluations; this test starts from none.
    demo_session.execute(sa.text("DELETE FROM evaluation"))
    campaign = campaign_by_code(demo_session, "tra-vinh-2025")
    results = evaluate_campaign(demo_session, "tra-vinh-2025", on=date(2025, 12, 1), actor="test")
    recognised = sum(1 for r in results if r.verdict == "recognised")
    refused = next(r for r in results if r.verdict != "recognised")
    override_verdict(
        demo_session,
        refused.evaluation_id,
        verdict="recognised",
        reason="hội đồng xét công nhận ngày 10/12/2025",
        actor="test",
    )

    rows = {r.code: r for r in target_progress(demo_session, campaign.id, date(2025, 12, 5))}
    total = campaign_progress(demo_session, campaign.id, date(2025, 12, 5))
    earlier = campaign_progress(demo_session, campaign.id, date(2025, 11, 30))

    assert rows[refused.code].verdict == "recognised"
    assert rows[refused.code].computed_verdict == refused.verdict
    assert rows[refused.code].overridden
    share = rows[refused.code].share_met
    assert share == Fraction(refused.criteria_met, refused.criteria_total)
    assert all(r.phase.ordinal == 3 and r.evaluated_on == date(2025, 12, 1) for r in rows.values())
    assert total.recognised == recognised + 1 and total.evaluated == 21
    assert earlier.recognised == 0 and earlier.evaluated == 0


# --- override -----------------------------------------------------------------------------------


@pytest.fixture
def evaluation(demo_session: Session) -> Evaluation:
    results = evaluate_campaign(demo_session, "hoang-van-thu-2025", on=date(2025, 12, 1), actor="t")
    row = demo_session.get(Evaluation, results[0].evaluation_id)
    assert row is not None
    return row


@pytest.mark.parametrize("reason", ["", "   "])
def test_override_needs_a_reason(
    demo_session: Session, evaluation: Evaluation, reason: str
) -> None:
    before = counts(demo_session)
    with pytest.raises(InvalidInput, match="reason"):
        override_verdict(
            demo_session, evaluation.id, verdict="recognised", reason=reason, actor="t"
        )
    assert evaluation.override_verdict is None and counts(demo_session) == before


def test_override_refuses_an_unknown_verdict_or_evaluation(
    demo_session: Session, evaluation: Evaluation
) -> None:
    with pytest.raises(InvalidInput, match="verdict"):
        override_verdict(
            demo_session, evaluation.id, verdict="insufficient_data", reason="x", actor="t"
        )
    with pytest.raises(NotFound):
        override_verdict(demo_session, 10**12, verdict="recognised", reason="x", actor="t")


def test_override_is_audited_with_before_and_after(
    demo_session: Session, evaluation: Evaluation
) -> None:
    flipped = "not_recognised" if evaluation.verdict == "recognised" else "recognised"
    override_verdict(
        demo_session, evaluation.id, verdict=flipped, reason=" biên bản số 12 ", actor="chief"
    )

    assert evaluation.override_verdict == flipped
    assert evaluation.override_reason == "biên bản số 12"
    entry = audit_rows(demo_session, "evaluation", evaluation.id)[-1]
    assert entry.action == "override_verdict" and entry.actor == "chief"
    assert entry.reason == "biên bản số 12"
    assert entry.before is not None and entry.before["override_verdict"] is None
    assert entry.after is not None and entry.after["override_verdict"] == flipped
    assert entry.after["verdict"] == evaluation.verdict, "the computed verdict is kept"


# --- the 2025 map --------------------------------------------------------------------------------


def test_tra_vinh_targets_on_the_2025_map(demo_session: Session) -> None:
    campaign = campaign_by_code(demo_session, "tra-vinh-2025")
    rows = targets_on_2025_map(demo_session, campaign.id)

    assert len(rows) == 21
    for row in rows:
        assert row.layout == "pre2025" and row.successors, row.code
        for successor in row.successors:
            assert successor.province_code == "86"
            assert 0 < successor.share_of_old <= 1
        assert 0 <= row.unplaced_share < 1
    by_code = {r.code: r for r in rows}
    assert [s.code for s in by_code["29500"].successors] == ["29497"]  # Đôn Châu
    assert by_code["29410"].successors[0].source == "crosswalk"


def test_a_2025_target_is_its_own_successor(demo_session: Session) -> None:
    campaign = campaign_by_code(demo_session, "hoang-van-thu-2025")
    (row,) = targets_on_2025_map(demo_session, campaign.id)
    (successor,) = row.successors
    assert (successor.code, successor.share_of_old, successor.source) == ("06172", 1.0, "same")
    assert successor.province_code == "20"


def test_a_crosswalk_row_without_a_share_is_measured_live(demo_session: Session) -> None:
    campaign = campaign_by_code(demo_session, "tra-vinh-2025")
    measured = {r.code: r for r in targets_on_2025_map(demo_session, campaign.id)}["29410"]
    demo_session.execute(
        sa.text(
            "UPDATE crosswalk SET share_of_old = NULL, share_of_new = NULL WHERE old_code = '29410'"
        )
    )
    live = {r.code: r for r in targets_on_2025_map(demo_session, campaign.id)}["29410"]

    assert live.successors[0].source == "crosswalk+overlay"
    assert live.successors[0].share_of_old == pytest.approx(
        measured.successors[0].share_of_old, abs=1e-6
    )


def test_a_target_missing_from_the_crosswalk_falls_back_to_overlay(
    demo_session: Session,
) -> None:
    campaign = campaign_by_code(demo_session, "hoc-mon-2024")
    demo_session.execute(sa.text("DELETE FROM crosswalk WHERE old_code = '27562'"))
    row = {r.code: r for r in targets_on_2025_map(demo_session, campaign.id)}["27562"]

    assert row.successors and all(s.source == "overlay" for s in row.successors)
    assert row.successors[0].code == "27559"  # Tân Hiệp lies mostly in today's Xã Hóc Môn
    assert all(0.005 < s.share_of_old <= 1 and s.province_code == "79" for s in row.successors)
