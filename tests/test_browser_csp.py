"""The Content-Security-Policy in a real browser: the pages run under it without a violation,
an injected inline script or handler is blocked (and the watcher reports it), and the month
selector still submits through ``static/js/page.js``."""

from __future__ import annotations

from _browser import open_page
from playwright.sync_api import Browser


def test_an_injected_inline_script_is_blocked_and_reported(browser: Browser, live_url: str) -> None:
    page, watch = open_page(browser, live_url + "/map/province/86", 1280, 800)
    assert watch.errors == []
    page.evaluate(
        """() => {
          const s = document.createElement("script");
          s.textContent = "window.injected = true";
          document.body.appendChild(s);
          const b = document.createElement("button");
          b.setAttribute("onclick", "window.clicked = true");
          document.body.appendChild(b);
          b.click();
        }"""
    )
    page.wait_for_timeout(300)
    assert page.evaluate("window.injected === undefined && window.clicked === undefined")
    assert any("CSP violation" in e for e in watch.errors), watch.errors
    page.close()


def test_the_month_selector_submits_without_an_inline_handler(
    browser: Browser, live_url: str
) -> None:
    page, watch = open_page(browser, live_url + "/map/province/86", 1280, 800)
    options = page.locator("#month-select option").evaluate_all("o => o.map(x => x.value)")
    month = next(value for value in options if value)
    with page.expect_navigation():
        page.select_option("#month-select", month)
    assert f"month={month}" in page.url
    assert watch.errors == []
    page.close()
