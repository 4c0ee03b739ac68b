"""The "Xuất dữ liệu" dialog in a real browser: it opens, downloads the chosen layers as one
GeoPackage with the page's filters, and shows a refusal inside the dialog (no CSP violation)."""

from __future__ import annotations

from pathlib import Path

import pyogrio
from _browser import open_page
from playwright.sync_api import Browser


def test_the_export_dialog_downloads_the_page_layers(
    browser: Browser, live_url: str, tmp_path: Path
) -> None:
    page, watch = open_page(browser, live_url + "/map/province/86?month=2025-12", 1280, 800)
    page.click("[data-export-open]")
    assert page.locator("#export-dialog").is_visible()
    page.check("#export-dialog input[name=layers][value=hotspots]")
    page.select_option("#export-format", "gpkg")
    with page.expect_download() as info:
        page.click("#export-dialog button[type=submit]")
    download = info.value
    assert download.suggested_filename == "classification+hotspots_86_2025-12.gpkg"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    assert {str(name) for name, _ in pyogrio.list_layers(saved)} == {"classification", "hotspots"}
    assert pyogrio.read_info(saved, layer="hotspots")["features"] > 0

    page.select_option("#export-format", "csv")
    page.click("#export-dialog button[type=submit]")
    status = page.locator("#export-dialog [data-export-status]")
    status.filter(has_text="gpkg").wait_for()
    assert page.locator("#export-dialog").is_visible()
    expected = ("HTTP 400", "status of 400")  # the refusal itself, logged by the browser
    assert [e for e in watch.errors if not any(word in e for word in expected)] == []
    page.close()
