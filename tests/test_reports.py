"""The report pages and their downloads on the demo data: the statutory table of a province
(with its goals, planned vs achieved), a campaign's monthly report, scope and bad input.
XLSX files are read back with openpyxl, PDFs with pdftotext and pdffonts."""

from __future__ import annotations

import io
import re
import subprocess
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from conftest import log_in
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from geo_app.domain.month import Month
from geo_app.domain.vocabulary import CLASSIFICATION_CLASSES
from geo_app.models import AdminUnit
from geo_app.pages.common import Viewer
from geo_app.pages.reports import monthly_page, national_goals, statutory_page
from geo_app.services.campaigns import campaign_by_code
from geo_app.services.reports.monthly import monthly_report

DECEMBER = Month(2025, 12)
STATUTORY = "/reports/statutory"
MONTHLY = "/reports/campaign/tra-vinh-2025/monthly"
CLASS_NAMES = ("Trọng điểm loại I", "Trọng điểm loại II", "Trọng điểm loại III", "Ít phức tạp")


def _viewer(lang: str = "vi", scope: int | None = None) -> Viewer:
    def identity(text: str, **values: object) -> str:
        return text % values if values else text

    return Viewer(lang, scope, date(2025, 12, 31), identity)  # type: ignore[arg-type]


def test_statutory_page_rows_legend_and_goals(demo_session: Session) -> None:
    page = statutory_page(demo_session, "86", DECEMBER, _viewer())
    assert (page.communes, page.previous_communes) == (124, 105)
    assert [r.key for r in page.rows][:5] == list(CLASSIFICATION_CLASSES.codes[:5])
    assert page.rows[0].colour == CLASSIFICATION_CLASSES.colours["type_1"]
    assert page.rows[-1].key == "recognised" and page.rows[-1].count == 7
    assert sum(r.count for r in page.rows[:-1]) == page.communes
    assert page.rows[-1].bar() == pytest.approx(7 / 124 * 100, abs=0.01)
    goals = {g.year: g for g in page.goals}  # the demo load's; other tests add later years
    due, later = goals[2025], goals[2030]
    assert (due.year, due.goal, due.planned, due.recognised) == (2025, "20 %", 25, 7)
    assert (due.met, due.status) == (False, "Not met")
    assert (later.year, later.planned, later.status) == (2030, 62, "In progress")
    assert "format=xlsx" in page.xlsx and "province=86" in page.pdf


def test_national_goals_compare_planned_with_achieved(demo_session: Session) -> None:
    goals = {g.name: g for g in national_goals(demo_session, _viewer())}
    vinh_long = goals["Tỉnh Vĩnh Long"]
    assert (vinh_long.year, vinh_long.planned, vinh_long.recognised) == (2025, 25, 7)
    assert vinh_long.achieved == "5.6 %" and "province=86" in vinh_long.link


def _add_hotspot(session: Session, unit_id: int, **values: object) -> None:
    columns = ", ".join(values)
    params = ", ".join(f":{name}" for name in values)
    session.execute(
        sa.text(
            f"INSERT INTO hotspot (geom, kind, source, admin_unit_id, {columns}) "
            f"SELECT ST_PointOnSurface(u.geom), h.kind, h.source, u.id, {params} "
            "FROM admin_unit u, (SELECT kind, source FROM hotspot LIMIT 1) h WHERE u.id = :unit"
        ),
        {"unit": unit_id, **values},
    )


def test_monthly_report_counts_cleared_and_relapsed_in_the_month(demo_session: Session) -> None:
    campaign = campaign_by_code(demo_session, "tra-vinh-2025")
    hoa_minh = demo_session.scalar(
        sa.select(AdminUnit.id).where(AdminUnit.code == "29410", AdminUnit.layout == "pre2025")
    )
    assert hoa_minh is not None

    def counts(month: date) -> tuple[int, int]:
        report = monthly_report(demo_session, campaign, month, None)
        [row] = [t for t in report.targets if t.unit_id == hoa_minh]
        return row.cleared, row.relapsed

    before = {m: counts(m) for m in (date(2025, 11, 1), date(2025, 12, 1))}
    _add_hotspot(
        demo_session,
        hoa_minh,
        status="cleared",
        detected_on=date(2025, 10, 5),
        cleared_on=date(2025, 12, 10),
    )
    cleared_id = demo_session.scalar(sa.text("SELECT max(id) FROM hotspot"))
    _add_hotspot(
        demo_session,
        hoa_minh,
        status="active",
        detected_on=date(2025, 12, 20),
        relapse_of_id=cleared_id,
        relapse_distance_m=80,
    )
    assert counts(date(2025, 11, 1)) == before[date(2025, 11, 1)]
    cleared, relapsed = before[date(2025, 12, 1)]
    assert counts(date(2025, 12, 1)) == (cleared + 1, relapsed + 1)


def test_monthly_page_rows_and_changes(demo_session: Session) -> None:
    page = monthly_page(demo_session, "tra-vinh-2025", DECEMBER, _viewer())
    assert len(page.rows) == 21 and page.summary.startswith("7 of 21 targets recognised")
    assert sum(r.recognised for r in page.rows) == 7
    assert all(re.fullmatch(r"\d+/11|—", r.criteria) for r in page.rows)
    assert any("criteria met" in r.change for r in page.rows)
    by_id = monthly_page(demo_session, str(page_campaign_id(demo_session)), DECEMBER, _viewer())
    assert by_id.rows == page.rows


def page_campaign_id(session: Session) -> int:
    return campaign_by_code(session, "tra-vinh-2025").id


def _pdf_text(data: bytes, tmp_path: Path) -> tuple[str, str]:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True).stdout
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True).stdout
    return text.decode(), fonts.decode()


def test_statutory_view_chart_and_downloads(province_client: FlaskClient, tmp_path: Path) -> None:
    page = province_client.get(STATUTORY)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Báo cáo thống kê: Tỉnh Vĩnh Long, tháng 2025-12" in html
    assert html.count('class="bar-now"') == 8 and html.count('class="bar-previous"') == 8
    assert "<script" not in html.split("<main", 1)[1]  # the chart is drawn on the server

    xlsx = province_client.get(STATUTORY + "?province=86&month=2025-12&format=xlsx")
    assert xlsx.status_code == 200 and "attachment" in xlsx.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Phân loại" and sheet.freeze_panes == "A2"
    assert rows[1][1:4:2] == (124, 105)
    assert rows[9][0] == "Được công nhận xã không ma túy" and rows[9][1] == 7

    pdf = province_client.get(STATUTORY + "?province=86&month=2025-12&format=pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text, fonts = _pdf_text(pdf.data, tmp_path)
    assert "Báo cáo thống kê: Tỉnh Vĩnh Long" in text
    for name in (*CLASS_NAMES, "Không ma túy", "Kết luận 132-KL/TW"):
        assert name in text
    assert "NotoSans" in fonts and " no " not in fonts.split("\n", 2)[2]


def test_statutory_view_scope_and_bad_input(app: Flask, province_client: FlaskClient) -> None:
    assert province_client.get(STATUTORY + "?province=20").status_code == 403
    wrong = province_client.get(STATUTORY + "?format=doc")
    assert wrong.status_code == 400
    assert "Định dạng không hỗ trợ" in wrong.get_data(as_text=True)
    english = province_client.get(STATUTORY + "?format=doc&lang=en").get_data(as_text=True)
    assert "Unknown format: choose xlsx or pdf." in english
    assert province_client.get(STATUTORY + "?month=2030-01").status_code == 400
    assert province_client.get(STATUTORY + "?month=bad").status_code == 400
    assert province_client.get(STATUTORY + "?province=" + "9" * 40).status_code == 404
    officer = log_in(app.test_client(), "canbo.hoaminh")
    assert officer.get(STATUTORY).status_code == 403


def test_monthly_view_downloads_and_scope(
    app: Flask, national_client: FlaskClient, tmp_path: Path
) -> None:
    html = national_client.get(MONTHLY + "?month=2025-12").get_data(as_text=True)
    assert "Báo cáo tháng 2025-12: tra-vinh-2025" in html
    assert html.count("<tr>") == 22  # the header and 21 targets
    xlsx = national_client.get(MONTHLY + "?month=2025-12&format=xlsx")
    rows = list(load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(values_only=True))
    assert rows[0][:3] == ("Mã", "Địa bàn mục tiêu", "Giai đoạn") and len(rows) == 22
    assert {r[1] for r in rows[1:]} >= {"Xã Hòa Minh", "Xã Long Hòa"}
    text, _ = _pdf_text(national_client.get(MONTHLY + "?format=pdf").data, tmp_path)
    assert "Báo cáo tháng 2025-12: tra-vinh-2025" in text and "Xã Hòa Minh" in text

    officer = log_in(app.test_client(), "canbo.hoaminh")  # scope: commune 29410
    mine = officer.get(MONTHLY + "?format=xlsx")
    assert [r[0] for r in load_workbook(io.BytesIO(mine.data)).active.iter_rows(values_only=True)][
        1:
    ] == ["29410"]
    commander = log_in(app.test_client(), "vinhlong")
    assert commander.get("/reports/campaign/hoc-mon-2024/monthly").status_code == 403
    assert national_client.get("/reports/campaign/no-such/monthly").status_code == 404


def test_reports_link_and_goals_on_the_national_page(national_client: FlaskClient) -> None:
    html = national_client.get("/").get_data(as_text=True)
    assert 'class="reports-link" href="/reports/statutory">Báo cáo</a>' in html
    assert "Chỉ tiêu: kế hoạch và kết quả" in html
    assert re.search(r"Tỉnh Vĩnh Long</a>:\s*<span class=\"goal-planned\">chỉ tiêu 2025 20 %", html)
