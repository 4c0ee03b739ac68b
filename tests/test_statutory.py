"""The statutory table on the demo database (writes are rolled back by demo_session)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from fractions import Fraction

import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.orm import Session

from geo_app.cli import main
from geo_app.models import AdminUnit, Campaign, Evaluation
from geo_app.services.campaigns.lookup import campaign_by_code
from geo_app.services.campaigns.progress import campaign_progress
from geo_app.services.classification.province import classify_province, month_end, province_in_force
from geo_app.services.classification.statutory import (
    LEGEND,
    RECOGNISED,
    StatutoryTable,
    communes_within,
    percent,
    recognised_units,
    table,
)

LEGEND_ORDER = [
    "type_1",
    "type_2",
    "type_3",
    "less_complex",
    "drug_free",
    "insufficient_data",
    "not_classified",
]


def classify(session: Session, province: str, month: date) -> None:
    classify_province(
        session, province_code=province, month=month, rules_name="tra-vinh-2025", actor="test"
    )


def check_adds_up(result: StatutoryTable) -> None:
    for column in (result.current, result.previous):
        assert list(column.classes) == LEGEND_ORDER
        assert sum(column.classes.values()) == column.communes
        if column.communes:
            shares = [column.share(n) for n in column.classes.values()]
            assert sum(s for s in shares if s is not None) == 1
        assert 0 <= column.recognised <= column.communes


def test_counts_and_shares_add_up_year_on_year(demo_session: Session) -> None:
    # The demo load already stores classifications and evaluations; start from none.
    demo_session.execute(sa.text("DELETE FROM classification"))
    demo_session.execute(sa.text("DELETE FROM evaluation"))
    month = date(2025, 10, 1)
    classify(demo_session, "86", month)
    unclassified_then = table(demo_session, province_code="86", month=month)
    check_adds_up(unclassified_then)
    previous = unclassified_then.previous
    assert previous.month == date(2024, 10, 1)
    assert previous.communes > 100  # the old Trà Vinh communes inside today's Vĩnh Long
    assert previous.classes["not_classified"] == previous.communes

    classify(demo_session, "84", date(2024, 10, 1))
    result = table(demo_session, province_code="86", month=month)
    check_adds_up(result)
    assert result.current.communes == 124
    assert result.current.classes["not_classified"] == 0
    assert result.previous.classes["not_classified"] == 0
    assert result.previous.classes["less_complex"] > 0
    assert result.current.classes == unclassified_then.current.classes
    assert [row[0] for row in result.rows()] == [*LEGEND, RECOGNISED]


def test_renderings(demo_session: Session) -> None:
    classify(demo_session, "20", date(2025, 12, 1))
    result = table(demo_session, province_code="20", month=date(2025, 12, 1))
    check_adds_up(result)
    text = result.text()
    assert "2025-12" in text and "2024-12" in text
    for label in ("Trọng điểm loại I", "Chưa phân loại", "Được công nhận xã không ma túy"):
        assert label in text
    rows = list(csv.reader(io.StringIO(result.csv())))
    assert rows[0][3:] == ["2025-12 count", "2025-12 share", "2024-12 count", "2024-12 share"]
    assert [r[0] for r in rows[2:]] == [*LEGEND_ORDER, RECOGNISED]
    assert sum(int(r[3]) for r in rows[2:9]) == int(rows[1][3]) == 65
    data = json.loads(result.json())
    type_1 = data["current"]["classes"]["type_1"]
    assert Fraction(type_1["share"]) == Fraction(type_1["count"], 65)
    assert data["previous"]["month"] == "2024-12"


def test_percent_is_exact_and_rounds_half_up() -> None:
    assert percent(Fraction(1, 3)) == "33.3 %"
    assert percent(Fraction(2, 3)) == "66.7 %"
    assert percent(Fraction(1, 16)) == "6.3 %"  # 6.25 exactly
    assert percent(Fraction(1, 160)) == "0.6 %"  # 0.625
    assert percent(Fraction(1)) == "100.0 %"
    assert percent(Fraction(0)) == "0.0 %"
    assert percent(None) == "—"


def _evaluate(
    session: Session, unit_id: int, on: date, verdict: str, override: str | None = None
) -> None:
    campaign_id = session.scalar(sa.select(Campaign.id).order_by(Campaign.id).limit(1))
    session.add(
        Evaluation(
            campaign_id=campaign_id,
            admin_unit_id=unit_id,
            evaluated_on=on,
            rule_set="test",
            inputs={},
            criteria=[],
            verdict=verdict,
            override_verdict=override,
            override_reason="checked on site" if override else None,
        )
    )
    session.flush()


def test_recognised_follows_the_latest_evaluation(demo_session: Session) -> None:
    # The demo load already stores classifications and evaluations; start from none.
    demo_session.execute(sa.text("DELETE FROM classification"))
    demo_session.execute(sa.text("DELETE FROM evaluation"))
    unit_id = demo_session.scalar(
        sa.select(AdminUnit.id).where(AdminUnit.code == "06172", AdminUnit.layout == "2025")
    )
    assert unit_id is not None

    def recognised(month: date) -> tuple[int, int]:
        result = table(demo_session, province_code="20", month=month)
        return result.current.recognised, result.previous.recognised

    base = {m: recognised(m) for m in (date(2025, 10, 1), date(2025, 11, 1), date(2026, 11, 1))}
    _evaluate(demo_session, unit_id, date(2025, 11, 20), "recognised")
    assert recognised(date(2025, 10, 1)) == base[date(2025, 10, 1)]  # evaluated after October
    now, then = base[date(2025, 11, 1)]
    assert recognised(date(2025, 11, 1)) == (now + 1, then)
    now, then = base[date(2026, 11, 1)]
    assert recognised(date(2026, 11, 1)) == (now + 1, then + 1)  # previous year: Nov 2025

    _evaluate(demo_session, unit_id, date(2025, 12, 10), "not_recognised")
    assert recognised(date(2026, 11, 1)) == (now, then + 1)  # the latest evaluation counts
    _evaluate(demo_session, unit_id, date(2026, 1, 5), "not_recognised", override="recognised")
    assert recognised(date(2026, 11, 1)) == (now + 1, then + 1)  # an override wins


def test_cli_prints_the_table(demo_db: str) -> None:
    def cli(*args: str) -> tuple[int, str]:
        result = CliRunner().invoke(
            main, ["statutory", *args], env={"GEO_APP_DATABASE_URL": demo_db}
        )
        return result.exit_code, result.output

    code, out = cli("--province", "20", "--month", "2025-12")
    assert code == 0, out
    assert "Chưa phân loại / Not classified" in out and "2024-12" in out
    code, out = cli("--province", "20", "--month", "2025-12", "--format", "json")
    data = json.loads(out)
    # The demo load classified Lạng Sơn's communes for every demo month.
    assert data["current"]["communes"] == 65
    assert data["current"]["classes"]["not_classified"]["count"] == 0
    code, out = cli("--province", "20", "--month", "2025-12", "--format", "csv")
    assert out.splitlines()[0].startswith("key,label_vi,label_en,2025-12 count")
    code, out = cli("--province", "84", "--month", "2025-10")
    assert code == 2 and "no province with code '84' in force on 2025-10-31" in out


def _unit_id(session: Session, code: str, layout: str) -> int:
    unit_id = session.scalar(
        sa.select(AdminUnit.id).where(AdminUnit.code == code, AdminUnit.layout == layout)
    )
    assert unit_id is not None
    return unit_id


def test_recognised_counts_evaluations_of_old_units_through_the_crosswalk(
    demo_session: Session,
) -> None:
    # Trà Vinh's campaign evaluated pre-2025 communes; after the merger they count for the
    # 2025 communes that succeed them, as the campaign's own figure does.
    december = date(2025, 12, 1)
    campaign = campaign_by_code(demo_session, "tra-vinh-2025")
    progress = campaign_progress(demo_session, campaign.id, month_end(december))
    assert progress.recognised == 7
    result = table(demo_session, province_code="86", month=december)
    assert result.current.recognised == progress.recognised
    # Hòa Minh: the old unit 29410 was evaluated; its successor is the 2025 unit 29410.
    old, new = _unit_id(demo_session, "29410", "pre2025"), _unit_id(demo_session, "29410", "2025")
    assert new in recognised_units(demo_session, [new], month_end(december))
    assert old not in recognised_units(demo_session, [new], month_end(december))
    # The new commune's own later evaluation supersedes its predecessor's.
    _evaluate(demo_session, new, date(2025, 12, 20), "not_recognised")
    assert new not in recognised_units(demo_session, [new], month_end(december))
    assert table(demo_session, province_code="86", month=december).current.recognised == 6


def test_old_communes_belong_to_the_province_holding_most_of_their_area(
    demo_session: Session,
) -> None:
    # Thị trấn Mỹ Long (29419): a coarse coastal polygon whose point on surface lies in the
    # sea, outside every 2025 province; most of its land lies in Vĩnh Long (86).
    my_long = _unit_id(demo_session, "29419", "pre2025")
    outside = demo_session.scalar(
        sa.select(sa.func.count())
        .select_from(AdminUnit)
        .where(
            AdminUnit.level == "province",
            AdminUnit.valid_to.is_(None),
            sa.func.ST_Covers(
                AdminUnit.geom,
                sa.select(sa.func.ST_PointOnSurface(AdminUnit.geom))
                .where(AdminUnit.id == my_long)
                .scalar_subquery(),
            ),
        )
    )
    assert outside == 0
    end = date(2025, 12, 31)
    vinh_long = province_in_force(demo_session, "86", end)
    before = communes_within(demo_session, vinh_long.id, date(2024, 12, 31), end)
    assert my_long in before
    assert len(before) == 105
    # Each old commune is counted in one province only.
    can_tho = province_in_force(demo_session, "92", end)
    assert not set(before) & set(communes_within(demo_session, can_tho.id, date(2024, 12, 31), end))


def test_cli_counts_recognised_communes_and_the_previous_year(demo_db: str) -> None:
    result = CliRunner().invoke(
        main,
        ["statutory", "--province", "86", "--month", "2025-12", "--format", "json"],
        env={"GEO_APP_DATABASE_URL": demo_db},
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["current"][RECOGNISED]["count"] == 7
    assert data["previous"]["communes"] == 105
