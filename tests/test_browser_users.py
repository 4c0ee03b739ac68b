"""The user administration in real Chromium on a 390 px phone: an admin deactivates a user in
the page and that user's open session stops at once; a reset password must be changed at the
next login. No console error, no CSP violation, nothing wider than the screen.

The module writes, so it runs on its own small world (``test_auth``'s units and users; the
``app`` fixture is overridden here), never on the demo database the other tests read.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from _browser import PageWatch
from conftest import create_database, drop_database
from flask import Flask
from playwright.sync_api import Browser, Page
from test_auth import PASSWORD, build_world

PHONE = {"width": 390, "height": 844}
NEW_PASSWORD = "mat-khau-moi-rat-dai-3"


@pytest.fixture(scope="module")
def world_url() -> Iterator[str]:
    from geo_app.migrations_api import upgrade

    url = create_database("geo_app_test_users")
    upgrade(url)
    yield url
    drop_database(url)


@pytest.fixture(scope="module")
def app(world_url: str) -> Iterator[Flask]:
    """The web app on this module's own database (``live_url`` serves it)."""
    engine = sa.create_engine(world_url, poolclass=sa.NullPool)
    world = build_world(world_url, engine)
    yield world.app
    world.app.extensions["geo_app.engine"].dispose()
    engine.dispose()


def _phone(browser: Browser, base: str, login: str, password: str, then: str) -> Page:
    """A phone-sized page of its own browser context, logged in through the form."""
    page = browser.new_context(viewport=PHONE).new_page()
    page.goto(f"{base}/login?next={then}")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    assert "/login" not in page.url, f"login {login} refused"
    return page


def _fits(page: Page) -> None:
    """Nothing is wider than the phone's screen (no sideways scrolling of the page)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_an_admin_deactivates_a_user_whose_open_session_stops_at_once(
    browser: Browser, live_url: str
) -> None:
    viewer = _phone(browser, live_url, "viewer86", PASSWORD, "/account/password")
    admin = _phone(browser, live_url, "admin1", PASSWORD, "/admin/users")
    watch = PageWatch(admin)
    admin.reload()
    _fits(admin)
    assert admin.locator("tr[data-login=viewer86]").is_visible()
    admin.click("tr[data-login=viewer86] a")
    admin.wait_for_url("**/admin/users/viewer86")
    _fits(admin)
    admin.click("[data-action=deactivate]")
    admin.wait_for_url("**/admin/users/viewer86?done=deactivated")
    assert admin.locator("[data-action=activate]").is_visible()
    assert watch.errors == []

    # As the pages' own scripts ask (no Basic challenge, which would open a password dialog).
    status = viewer.evaluate(
        "fetch('/api/indicators?unit=29500&month=2025-11',"
        " {headers: {'X-Requested-With': 'XMLHttpRequest'}}).then(r => r.status)"
    )
    assert status == 401
    viewer.goto(f"{live_url}/account/password")
    assert "/login" in viewer.url
    viewer.context.close()
    admin.context.close()


def test_a_reset_password_is_changed_at_the_next_login(browser: Browser, live_url: str) -> None:
    admin = _phone(browser, live_url, "admin1", PASSWORD, "/admin/users/staff86")
    watch = PageWatch(admin)
    admin.click("[data-action=reset-password]")
    temporary = admin.locator("[data-temporary-password]").inner_text().strip()
    assert len(temporary) >= 10
    _fits(admin)
    assert watch.errors == []

    user = _phone(browser, live_url, "staff86", temporary, "/indicators/29500/2025-11")
    user_watch = PageWatch(user)
    assert user.url.endswith("/account/password")
    assert user.locator(".form-alert").is_visible()  # "your password was reset"
    _fits(user)
    user.fill("#current", temporary)
    user.fill("#new", NEW_PASSWORD)
    user.fill("#repeated", NEW_PASSWORD)
    user.click("main button[type=submit]")
    user.wait_for_url("**/account/password?done=1")
    user.goto(f"{live_url}/indicators/29500/2025-11")
    assert user.url.endswith("/indicators/29500/2025-11")
    assert user_watch.errors == []
    admin.context.close()
    user.context.close()
