"""The report pages in real headless Chromium, on a phone: the statutory page renders its chart
under the CSP with no console error and nothing from the internet, its XLSX and PDF download,
the monthly report lists the targets, and the targets form saves. Screenshots go to
test-output/."""

from __future__ import annotations

from pathlib import Path

from _browser import PageWatch, assert_local
from conftest import browser_log_in
from openpyxl import load_workbook
from playwright.sync_api import Browser, Page

PHONE = {"width": 390, "height": 844}


def _phone_page(browser: Browser, live_url: str, login: str) -> tuple[Page, PageWatch]:
    page = browser.new_context(viewport=PHONE, accept_downloads=True).new_page()
    browser_log_in(page, live_url, login)
    return page, PageWatch(page)


def _fits_the_screen(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_statutory_page_chart_and_downloads(
    browser: Browser, live_url: str, output_dir: Path, tmp_path: Path
) -> None:
    page, watch = _phone_page(browser, live_url, "vinhlong")
    page.goto(f"{live_url}/reports/statutory?month=2025-12", wait_until="networkidle")
    assert page.inner_text("h1") == "Báo cáo thống kê: Tỉnh Vĩnh Long, tháng 2025-12"
    assert page.locator("svg.statutory-chart rect.bar-now").count() == 8
    width = page.locator("svg.statutory-chart").bounding_box()
    assert width is not None and 0 < width["width"] <= PHONE["width"]
    assert page.locator(".statutory-table tbody tr").count() == 9
    assert _fits_the_screen(page)
    page.screenshot(path=str(output_dir / "report_statutory_phone.png"), full_page=True)

    with page.expect_download() as xlsx:
        page.click("a.download-xlsx")
    saved = tmp_path / xlsx.value.suggested_filename
    xlsx.value.save_as(saved)
    assert saved.name == "bao-cao-86-2025-12.xlsx"
    rows = list(load_workbook(saved).active.iter_rows(values_only=True))
    assert rows[1][1] == 124
    with page.expect_download() as pdf:
        page.click("a.download-pdf")
    assert Path(pdf.value.path()).read_bytes().startswith(b"%PDF")

    assert watch.errors == []
    assert_local(watch, live_url)
    page.close()


def test_monthly_report_and_targets_form(browser: Browser, live_url: str) -> None:
    page, watch = _phone_page(browser, live_url, "quantri")
    page.goto(f"{live_url}/reports/campaign/tra-vinh-2025/monthly?month=2025-12")
    assert page.locator(".monthly-table tbody tr").count() == 21
    assert "7/21" in page.inner_text(".monthly-summary")
    assert _fits_the_screen(page)

    page.goto(f"{live_url}/reports/targets")
    page.select_option("#target-province", "86")
    page.fill("#target-year", "2031")
    page.fill("#target-share", "55")
    page.fill("#target-basis", "Kế hoạch thử")
    with page.expect_navigation():
        page.click(".target-form button[type=submit]")
    assert "Đã lưu chỉ tiêu: 86-2031" in page.inner_text(".form-ok")
    assert "Kế hoạch thử" in page.inner_text(".targets-table")
    assert watch.errors == []
    assert_local(watch, live_url)
    page.close()
