"""The briefing controls in real headless Chromium: the "In bản đồ" form gives the map's PDF,
and the campaign's pack button starts a job whose progress bar comes back after a reload and
ends in a download link to the PDF. No CSP violation, nothing fetched from outside."""

from __future__ import annotations

from _browser import assert_local, open_page
from playwright.sync_api import Browser

COMMUNE = "29410"


def test_the_print_button_gives_the_commune_map(browser: Browser, live_url: str) -> None:
    page, watch = open_page(browser, f"{live_url}/map/commune/{COMMUNE}", 1280, 900)
    button = page.locator(".briefing-print-pdf")
    assert "In bản đồ" in button.inner_text()
    page.select_option(".briefing-print select[name=paper]", "A3")
    action = page.eval_on_selector(".briefing-print", "form => form.action")
    assert action.endswith(f"/briefing/commune/{COMMUNE}.pdf")
    with page.context.expect_page() as opened:
        button.click()
    printed = opened.value
    printed.wait_for_load_state()
    assert "paper=A3" in printed.url and "orientation=landscape" in printed.url
    answer = page.request.get(printed.url)
    assert answer.status == 200 and answer.body().startswith(b"%PDF")
    assert not watch.errors, watch.errors
    assert_local(watch, live_url)
    page.context.close()


def test_the_campaign_pack_job_survives_a_reload_and_ends_in_a_download(
    browser: Browser, live_url: str, tra_vinh: int
) -> None:
    page, watch = open_page(browser, f"{live_url}/map/campaign/{tra_vinh}", 1280, 900)
    page.click(".briefing-pack-start")
    page.wait_for_function(
        "() => /\\d+\\/\\d+/.test(document.querySelector('.briefing-pack-status').textContent)"
    )
    assert page.is_visible(".briefing-pack-progress")
    page.reload(wait_until="networkidle")
    page.wait_for_function(
        "() => document.querySelector('.briefing-pack-status').textContent.trim() !== ''"
    )
    assert page.is_disabled(".briefing-pack-start") or page.is_visible(".briefing-pack-link")
    page.wait_for_selector(".briefing-pack-link:not([hidden])", timeout=180_000)
    href = page.get_attribute(".briefing-pack-link", "href")
    assert href and href.endswith("/file")
    answer = page.request.get(f"{live_url}{href}")
    assert answer.status == 200 and answer.body().startswith(b"%PDF")
    assert page.locator(".briefing-pack-progress").is_hidden()
    assert "đã xong" in page.inner_text(".briefing-pack-status")
    assert not watch.errors, watch.errors
    assert_local(watch, live_url)
    page.context.close()
