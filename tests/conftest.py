"""Fixtures: every test runs against real PostGIS.

The server is ``GEO_APP_TEST_ADMIN_URL`` (a maintenance database on a server where tests may
create databases) or, by default, the embedded cluster of this checkout, started here. Tests get
their own databases, never the one ``make run`` serves. Fixtures that load or reset data connect
with the admin URL (the owner's rights); the web app under test connects as the app role
(``GEO_APP_TEST_APP_USER`` / ``GEO_APP_TEST_APP_PASSWORD``, the embedded cluster's by default),
which proves the rights ``geo-app db upgrade`` grants it are enough.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from geo_app.config import Settings

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "test-output"


def pytest_configure(config: pytest.Config) -> None:
    """Pin the app's today to the demo's day, start the embedded cluster once and point every
    helper at it.

    One "today" for the demo data and the tests (the CLI subprocesses inherit it), so every
    result is the same on whatever day the suite runs.
    """
    from geo_app import clock
    from geo_app.demo.synth import DEMO_TODAY

    os.environ["GEO_APP_TODAY"] = DEMO_TODAY.isoformat()
    clock.pin(DEMO_TODAY)
    if os.environ.get("GEO_APP_TEST_ADMIN_URL"):
        return
    from geo_app.db import embedded_cluster
    from geo_app.embedded_pg import APP_ROLE

    settings = Settings.from_env({"GEO_APP_STATE_DIR": str(ROOT / "var")})
    info = embedded_cluster(settings).start()
    os.environ["GEO_APP_TEST_ADMIN_URL"] = info.url("postgres")
    os.environ["GEO_APP_TEST_APP_USER"] = APP_ROLE
    os.environ["GEO_APP_TEST_APP_PASSWORD"] = info.passwords[APP_ROLE]


def app_role_url(url: str) -> str | None:
    """``url`` with the app role's login instead of the admin's; None when no app role is
    configured for the test server."""
    user = os.environ.get("GEO_APP_TEST_APP_USER")
    if not user:
        return None
    login = make_url(url).set(username=user, password=os.environ.get("GEO_APP_TEST_APP_PASSWORD"))
    return login.render_as_string(hide_password=False)


def _admin_engine() -> Engine:
    return sa.create_engine(
        os.environ["GEO_APP_TEST_ADMIN_URL"], isolation_level="AUTOCOMMIT", poolclass=sa.NullPool
    )


def create_database(prefix: str) -> str:
    """A new empty database on the test server; returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return (
        make_url(os.environ["GEO_APP_TEST_ADMIN_URL"])
        .set(database=name)
        .render_as_string(hide_password=False)
    )


def drop_database(url: str) -> None:
    name = make_url(url).database
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def migrated_template() -> Iterator[str]:
    """A migrated, empty database used as a template for fast per-test copies."""
    from geo_app.migrations_api import upgrade

    url = create_database("geo_app_test_tpl")
    upgrade(url)
    yield url
    drop_database(url)


@pytest.fixture
def empty_db(migrated_template: str) -> Iterator[str]:
    """A fresh, migrated database with no data, for tests that write."""
    name = f"geo_app_test_{uuid.uuid4().hex[:8]}"
    template = make_url(migrated_template).database
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()
    url = make_url(migrated_template).set(database=name).render_as_string(hide_password=False)
    yield url
    drop_database(url)


@contextmanager
def loaded_demo(name: str) -> Iterator[str]:
    """A database ``name`` with the real boundaries and the demo data, dropped afterwards."""
    from geo_app.db import make_engine, session_scope
    from geo_app.demo.pipeline import load_demo
    from geo_app.migrations_api import upgrade

    url = create_database(name)
    upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as session, session.begin():
        load_demo(session, actor="test")
    engine.dispose()
    try:
        yield url
    finally:
        drop_database(url)


@pytest.fixture(scope="session")
def demo_db() -> Iterator[str]:
    """A database with the real boundaries and the demo data, loaded once per run."""
    with loaded_demo("geo_app_test_demo") as url:
        yield url


@pytest.fixture
def engine_for() -> Iterator[Callable[[str], Engine]]:
    """Make engines for URLs and dispose of them after the test."""
    made: list[Engine] = []

    def make(url: str) -> Engine:
        engine = sa.create_engine(url, poolclass=sa.NullPool)
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.dispose()


@pytest.fixture
def demo_session(demo_db: str, engine_for: Callable[[str], Engine]) -> Iterator[Session]:
    """A read session on the demo database; whatever a test writes is rolled back."""
    with Session(engine_for(demo_db)) as session:
        yield session
        session.rollback()


def make_settings(**overrides: str) -> Settings:
    env = {"GEO_APP_STATE_DIR": str(ROOT / "var"), "GEO_APP_BASEMAP": "none"}
    env.update(overrides)
    return Settings.from_env(env)


@pytest.fixture(scope="session")
def app(demo_db: str) -> Flask:
    """The web app on the demo database, connected as the app role (as in production)."""
    from geo_app import create_app

    application = create_app(make_settings(), database_url=app_role_url(demo_db) or demo_db)
    application.config["TESTING"] = True
    return application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(scope="session")
def output_dir() -> Path:
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT


# Logging in. Every map page, tile and layer API needs a user; the demo data has four
# (geo_app/demo/accounts.py): quantri (admin, national), vinhlong (commander, province 86),
# canbo.hoaminh (officer, commune 29410), xem.vinhlong (viewer, 86).
NATIONAL_LOGIN = "quantri"
PROVINCE_LOGIN = "vinhlong"


def log_in(client: FlaskClient, login: str, password: str | None = None) -> FlaskClient:
    """Log ``client`` in through the form (with its CSRF token); fails the test if refused."""
    import re

    from geo_app.demo.accounts import DEMO_PASSWORD

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "no CSRF token on the login page"
    response = client.post(
        "/login",
        data={"login": login, "password": password or DEMO_PASSWORD, "csrf_token": token[1]},
    )
    assert response.status_code == 302, f"login {login} refused: {response.status_code}"
    return client


def browser_log_in(page: Any, base_url: str, login: str = NATIONAL_LOGIN) -> None:
    """Log a Playwright page in through the login form (the session cookie stays on its
    browser context)."""
    from geo_app.demo.accounts import DEMO_PASSWORD

    page.goto(f"{base_url}/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_load_state("load")
    assert "/login" not in page.url, f"login {login} refused"


@pytest.fixture
def national_client(app: Flask) -> FlaskClient:
    """A client logged in with national scope (the demo admin)."""
    return log_in(app.test_client(), NATIONAL_LOGIN)


@pytest.fixture
def province_client(app: Flask) -> FlaskClient:
    """A client logged in as the commander of province 86 (Vĩnh Long)."""
    return log_in(app.test_client(), PROVINCE_LOGIN)


def add_national_admin(url: str) -> None:
    """Give a test database (one without demo data) the national admin login."""
    from geo_app.db import make_engine, session_scope
    from geo_app.demo.accounts import DEMO_PASSWORD
    from geo_app.services.accounts.users import create_user

    engine = make_engine(url)
    with session_scope(engine) as session, session.begin():
        create_user(
            session,
            login=NATIONAL_LOGIN,
            password=DEMO_PASSWORD,
            role="admin",
            scope_code=None,
            actor="test",
        )
    engine.dispose()


@pytest.fixture(scope="module")
def live_url(app: Flask) -> Iterator[str]:
    """The app served by waitress on a free loopback port, in a thread (browser tests)."""
    import threading

    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    stopping = threading.Event()

    def serve() -> None:
        # Closing the server from this thread pulls its socket from under the loop's select():
        # the EBADF that follows is the loop ending, not an error.
        try:
            server.run()
        except OSError:
            if not stopping.is_set():
                raise

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.effective_port}"  # type: ignore[union-attr]
    stopping.set()
    server.close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright, one per test module."""
    from _browser import CHROMIUM, FLAGS
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def tra_vinh(demo_db: str) -> int:
    """The id of the demo's Trà Vinh 2025 campaign (21 targets)."""
    from geo_app.services.campaigns import campaign_by_code

    engine = sa.create_engine(demo_db, poolclass=sa.NullPool)
    with Session(engine) as session:
        campaign_id = campaign_by_code(session, "tra-vinh-2025").id
    engine.dispose()
    return campaign_id
