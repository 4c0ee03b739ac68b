"""``geo-app evaluate``, ``geo-app campaign …`` and ``geo-app evaluation override`` on a writable
copy of the demo database (``CREATE DATABASE … TEMPLATE``), so the CLI can commit.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from _databases import copy_of
from click.testing import CliRunner, Result
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from geo_app.cli import main
from geo_app.demo import synth
from geo_app.demo.load import read_campaigns
from geo_app.models import AuditLog, Campaign, CampaignBaseline, Evaluation

EXAMPLE = Path(__file__).parent / "fixtures" / "campaign_example.json"


@pytest.fixture
def writable_demo(demo_db: str) -> Iterator[str]:
    """A copy of the demo database that the CLI may commit to; dropped afterwards."""
    with copy_of(demo_db, "geo_app_test_campaigns") as copy_url:
        # The demo load already evaluated its campaigns; these tests start from no evaluation.
        engine = sa.create_engine(copy_url, poolclass=sa.NullPool)
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM evaluation"))
        engine.dispose()
        yield copy_url


@pytest.fixture
def db(writable_demo: str, engine_for: Callable[[str], Engine]) -> Iterator[Session]:
    """A session to look at the copy after (or change it before) a command."""
    with Session(engine_for(writable_demo)) as session:
        yield session


def run(url: str, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"GEO_APP_DATABASE_URL": url})


def count(session: Session, model: Any, *where: Any) -> int:
    session.rollback()  # see what the command committed
    stmt = sa.select(sa.func.count()).select_from(model).where(*where)
    return int(session.execute(stmt).scalar_one())


def designed_to_pass() -> set[str]:
    """Trà Vinh targets whose 2025 successor the demo plans as a recognisable drug-free target."""
    (tra_vinh,) = [c for c in read_campaigns() if c["code"] == "tra-vinh-2025"]
    return {
        t["code_gso"]
        for t in tra_vinh["targets"]
        if synth.plan_for(t["successor_2025"]).intended == "drug_free"
        and synth.plan_for(t["successor_2025"]).is_target
    }


def tra_vinh_evaluations(session: Session) -> int:
    campaign = sa.select(Campaign.id).where(Campaign.code == "tra-vinh-2025").scalar_subquery()
    return count(session, Evaluation, Evaluation.campaign_id == campaign)


# --- evaluate -------------------------------------------------------------------------------------


def test_evaluate_prints_each_target_and_the_campaign_line(writable_demo: str, db: Session) -> None:
    result = run(writable_demo, "evaluate", "tra-vinh-2025", "--date", "2025-12-01")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    (tra_vinh,) = [c for c in read_campaigns() if c["code"] == "tra-vinh-2025"]
    for target in tra_vinh["targets"]:
        (line,) = [x for x in lines if f"({target['code_gso']})" in x]
        assert target["name"] in line
        assert "giai đoạn 3 / phase 3" in line, "1-14/12/2025 is phase 3 (review)"
        met, total = line.split(" | ")[2].split("/")
        assert 0 <= int(met) <= int(total) and int(total) > 0
        assert line.split(" | ")[3] in ("recognised", "not_recognised", "insufficient_data")
    recognised = sum(1 for x in lines if x.endswith("| recognised"))
    assert lines[-1] == f"{recognised} of 21 targets recognised; goal 21 (20 % of 104)"
    assert tra_vinh_evaluations(db) == 21


def test_tra_vinh_recognises_exactly_the_targets_designed_to_pass(
    writable_demo: str, db: Session
) -> None:
    result = run(writable_demo, "evaluate", "tra-vinh-2025", "--date", "2025-12-01")
    assert result.exit_code == 0, result.output

    recognised = {
        line.split("(")[-1].split(")")[0]
        for line in result.output.splitlines()
        if line.endswith("| recognised")
    }
    assert designed_to_pass() == {"29410", "29413", "29533", "29536", "29317", "29500", "29290"}
    assert recognised == designed_to_pass()


def test_a_second_run_on_the_same_date_does_not_duplicate(writable_demo: str, db: Session) -> None:
    first = run(writable_demo, "evaluate", "tra-vinh-2025", "--date", "2025-12-01")
    audits = count(db, AuditLog)
    second = run(writable_demo, "evaluate", "tra-vinh-2025", "--date", "2025-12-01")

    assert first.exit_code == 0 and second.exit_code == 0, second.output
    assert tra_vinh_evaluations(db) == 21
    assert count(db, AuditLog) == audits, "an identical result is left alone"
    assert second.output.count("(already stored)") == 21
    assert first.output.splitlines()[-1] == second.output.splitlines()[-1]


def test_a_different_result_on_the_same_date_needs_a_reason(
    writable_demo: str, db: Session
) -> None:
    assert run(writable_demo, "evaluate", "tra-vinh-2025", "--date", "2025-12-01").exit_code == 0
    db.execute(
        sa.text(
            "UPDATE indicator SET serious_incidents = 1 WHERE month = DATE '2025-12-01' "
            "AND admin_unit_id = (SELECT id FROM admin_unit WHERE code = '29410' "
            "AND layout = 'pre2025')"
        )
    )
    db.commit()
    stored = {e.id: e.verdict for e in db.execute(sa.select(Evaluation)).scalars()}

    refused = run(writable_demo, "evaluate", "tra-vinh-2025", "--date", "2025-12-01")
    assert refused.exit_code == 2
    assert "29410" in refused.output and "reason" in refused.output
    db.rollback()
    assert {e.id: e.verdict for e in db.execute(sa.select(Evaluation)).scalars()} == stored

    why = "số liệu tháng 12 của xã Hòa Minh được đính chính"
    replaced = run(
        writable_demo, "evaluate", "tra-vinh-2025", "--date", "2025-12-01", "--reason", why
    )
    assert replaced.exit_code == 0, replaced.output
    assert tra_vinh_evaluations(db) == 21
    (entry,) = db.execute(sa.select(AuditLog).where(AuditLog.action == "re-evaluate")).scalars()
    assert entry.reason == why and entry.table_name == "evaluation"
    assert entry.before is not None and entry.after is not None
    assert entry.before["inputs"]["serious_incidents"] == 0
    assert entry.after["inputs"]["serious_incidents"] == 1


@pytest.mark.parametrize(
    ("code", "on", "targets"),
    [
        ("hoc-mon-2024", "2025-04-15", 12),
        ("huong-van-2023", "2024-05-14", 1),
        ("hoang-van-thu-2025", "2025-12-01", 1),
    ],
)
def test_every_demo_campaign_evaluates(
    writable_demo: str, db: Session, code: str, on: str, targets: int
) -> None:
    result = run(writable_demo, "evaluate", code, "--date", on)

    assert result.exit_code == 0, result.output
    assert len([x for x in result.output.splitlines() if " | " in x]) == targets
    assert result.output.splitlines()[-1].endswith(")") or "no goal" in result.output
    campaign = sa.select(Campaign.id).where(Campaign.code == code).scalar_subquery()
    day = date.fromisoformat(on)
    assert (
        count(db, Evaluation, Evaluation.campaign_id == campaign, Evaluation.evaluated_on == day)
        == targets
    )


def test_evaluate_an_unknown_campaign(writable_demo: str) -> None:
    result = run(writable_demo, "evaluate", "no-such-campaign")
    assert result.exit_code == 2 and "no-such-campaign" in result.output


# --- override -------------------------------------------------------------------------------------


def test_override_from_the_command_line(writable_demo: str, db: Session) -> None:
    assert (
        run(writable_demo, "evaluate", "hoang-van-thu-2025", "--date", "2025-12-01").exit_code == 0
    )
    (evaluation,) = db.execute(sa.select(Evaluation)).scalars()
    flipped = "not_recognised" if evaluation.verdict == "recognised" else "recognised"

    no_reason = run(
        writable_demo, "evaluation", "override", str(evaluation.id), "--verdict", flipped
    )
    blank = run(
        writable_demo, "evaluation", "override", str(evaluation.id),
        "--verdict", flipped, "--reason", "   ",
    )  # fmt: skip
    assert no_reason.exit_code == 2 and "--reason" in no_reason.output
    assert blank.exit_code == 2 and "reason" in blank.output
    assert count(db, AuditLog, AuditLog.action == "override_verdict") == 0

    done = run(
        writable_demo, "evaluation", "override", str(evaluation.id),
        "--verdict", flipped, "--reason", "Hội đồng xét duyệt ngày 05/12/2025",
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    db.rollback()
    row = db.get_one(Evaluation, evaluation.id)
    assert (row.verdict, row.override_verdict) == (evaluation.verdict, flipped)
    assert count(db, AuditLog, AuditLog.action == "override_verdict") == 1
    progress = run(
        writable_demo, "campaign", "progress", "hoang-van-thu-2025", "--date", "2025-12-02"
    )
    assert f"| {flipped} [override]" in progress.output


def test_override_of_an_unknown_evaluation(writable_demo: str) -> None:
    result = run(
        writable_demo, "evaluation", "override", "999999999",
        "--verdict", "recognised", "--reason", "x",
    )  # fmt: skip
    assert result.exit_code == 2 and "999999999" in result.output


# --- campaign create / baseline / map2025 ---------------------------------------------------------


def test_campaign_create_from_the_example_file_takes_the_baseline(
    writable_demo: str, db: Session
) -> None:
    result = run(writable_demo, "campaign", "create", str(EXAMPLE))

    assert result.exit_code == 0, result.output
    assert "campaign vinh-long-example-2025 created" in result.output
    assert "baseline: 3 taken" in result.output
    campaign = sa.select(Campaign.id).where(Campaign.code == "vinh-long-example-2025")
    assert (
        count(db, CampaignBaseline, CampaignBaseline.campaign_id == campaign.scalar_subquery()) == 3
    )

    again = run(writable_demo, "campaign", "baseline", "vinh-long-example-2025")
    assert again.exit_code == 0 and "0 taken, 3 already there" in again.output

    evaluated = run(writable_demo, "evaluate", "vinh-long-example-2025", "--date", "2025-12-10")
    assert evaluated.exit_code == 0, evaluated.output
    assert evaluated.output.splitlines()[-1].endswith("goal 2 (50 % of 3)")


def test_campaign_create_with_a_bad_file_writes_nothing(
    writable_demo: str, db: Session, tmp_path: Path
) -> None:
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    good = data["campaigns"][0]
    bad = {**good, "code": "second-one", "targets": [{"code": "99999", "layout": "2025"}]}
    path = tmp_path / "two.json"
    path.write_text(json.dumps({"campaigns": [good, bad]}), encoding="utf-8")
    campaigns, audits = count(db, Campaign), count(db, AuditLog)

    result = run(writable_demo, "campaign", "create", str(path))
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    unreadable = run(writable_demo, "campaign", "create", str(broken))

    assert result.exit_code == 2
    assert "targets[0].code" in result.output and "99999" in result.output
    assert unreadable.exit_code == 2 and "broken.json" in unreadable.output
    assert (count(db, Campaign), count(db, AuditLog)) == (campaigns, audits)


def test_campaign_map2025_lists_the_successors(writable_demo: str) -> None:
    result = run(writable_demo, "campaign", "map2025", "hoc-mon-2024")

    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if "(27562, pre2025)" in x)
    assert "Xã Hóc Môn (27559)" in line and "%" in line
