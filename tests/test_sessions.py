"""Login sessions kept on the server: a copied cookie stops working the moment its session ends.

Each test runs on the small world of ``test_auth`` (its own database). A "kept" cookie is the
session cookie copied into a second client before the change, as an attacker would copy it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from conftest import make_settings
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from test_auth import PASSWORD, World, build_world, csrf_of, log_in

from geo_app import create_app
from geo_app.config import Settings
from geo_app.services.accounts import users
from geo_app.services.accounts.sessions import LOOKUP_NAME, TOUCH_EVERY, token_hash

API = "/api/indicators?unit=29500&month=2025-11"
PAGE = "/indicators/29500/2025-11"


@pytest.fixture
def world(empty_db: str, engine_for: Callable[[str], Engine]) -> Iterator[World]:
    made = build_world(empty_db, engine_for(empty_db))
    yield made
    made.app.extensions["geo_app.engine"].dispose()


def _logged_in(world: World, login: str = "staff86") -> FlaskClient:
    client = world.app.test_client()
    assert log_in(client, login) == 302
    return client


def _kept_copy(world: World, client: FlaskClient) -> FlaskClient:
    """A second browser holding a copy of ``client``'s session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    copy = world.app.test_client()
    copy.set_cookie("session", cookie.value)
    return copy


def _assert_shut_out(client: FlaskClient) -> None:
    assert client.get(API).status_code == 401
    page = client.get(PAGE)
    assert page.status_code == 302 and "/login?next=" in page.headers["Location"]


def _assert_let_in(client: FlaskClient) -> None:
    assert client.get(API).status_code == 200
    assert client.get(PAGE).status_code == 200


def _sql(world: World, statement: str) -> None:
    with world.engine.begin() as conn:
        conn.execute(sa.text(statement))


def test_a_cookie_kept_from_before_logout_is_refused_after_it(world: World) -> None:
    client = _logged_in(world)
    kept = _kept_copy(world, client)
    _assert_let_in(kept)
    other_device = _logged_in(world)
    bystander = _logged_in(world, "commander86")
    response = client.post("/logout", data={"csrf_token": csrf_of(client, PAGE)})
    assert response.status_code == 302
    _assert_shut_out(kept)
    _assert_shut_out(other_device)  # logout ends every session of the user
    _assert_let_in(bystander)  # nobody else's


@pytest.mark.parametrize(
    "change",
    [
        lambda s: users.set_password(s, login="staff86", password="mat-khau-moi-2", actor="t"),
        lambda s: users.set_role(s, login="staff86", role="viewer", scope_code="86", actor="t"),
        lambda s: users.set_role(s, login="staff86", role="staff", scope_code="79", actor="t"),
        lambda s: users.set_active(s, login="staff86", active=False, actor="t"),
    ],
    ids=["password", "role", "scope", "deactivation"],
)
def test_a_change_to_the_account_ends_its_sessions(
    world: World, change: Callable[[Session], int]
) -> None:
    kept = _kept_copy(world, _logged_in(world))
    _assert_let_in(kept)
    bystander = _logged_in(world, "commander86")
    with Session(world.engine) as session, session.begin():
        assert change(session) == 1
    _assert_shut_out(kept)
    _assert_let_in(bystander)
    with world.engine.connect() as conn:
        reasons = conn.scalars(
            sa.text("SELECT reason FROM audit_log WHERE action = 'update' ORDER BY id")
        ).all()
    assert len(reasons) == 1 and reasons[0] in {"set-password", "set-role", "deactivate-user"}


def test_an_idle_session_ends_after_the_idle_time(world: World) -> None:
    client = _logged_in(world)
    _sql(world, "UPDATE app_session SET last_seen_at = now() - interval '7 hours 59 minutes'")
    _assert_let_in(client)  # still alive, and that use counts
    _sql(world, "UPDATE app_session SET last_seen_at = now() - interval '8 hours 1 minute'")
    _assert_shut_out(client)


def test_a_session_ends_after_its_lifetime_however_busy(world: World) -> None:
    client = _logged_in(world)
    _sql(world, "UPDATE app_session SET created_at = now() - interval '6 days 23 hours'")
    _assert_let_in(client)
    _sql(world, "UPDATE app_session SET created_at = now() - interval '7 days 1 minute'")
    _assert_shut_out(client)


def test_the_lifetimes_are_settings(world: World) -> None:
    app = create_app(
        make_settings(GEO_APP_SESSION_IDLE_HOURS="1", GEO_APP_SESSION_MAX_DAYS="0.5"),
        database_url=world.url,
    )
    client = app.test_client()
    assert log_in(client, "staff86") == 302
    _sql(world, "UPDATE app_session SET last_seen_at = now() - interval '61 minutes'")
    assert client.get(API).status_code == 401
    assert log_in(client, "staff86") == 302
    _sql(world, "UPDATE app_session SET created_at = now() - interval '13 hours'")
    assert client.get(API).status_code == 401
    app.extensions["geo_app.engine"].dispose()


def test_session_settings_are_read_and_checked() -> None:
    defaults = Settings.from_env({"GEO_APP_SECRET_KEY": "k"})
    assert defaults.session_idle.total_seconds() == 8 * 3600
    assert defaults.session_max_age.days == 7
    for bad in ("0", "-1", "soon", "nan"):
        with pytest.raises(ValueError, match="GEO_APP_SESSION_IDLE_HOURS"):
            Settings.from_env({"GEO_APP_SECRET_KEY": "k", "GEO_APP_SESSION_IDLE_HOURS": bad})


def _session_rows(world: World) -> list[tuple[str, str]]:
    with world.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(sa.text("SELECT token_hash, csrf_token FROM app_session"))
        ]


def test_a_new_session_id_at_every_login_and_only_its_hash_is_stored(world: World) -> None:
    client = world.app.test_client()
    assert log_in(client, "staff86") == 302
    first = client.get_cookie("session")
    assert first is not None
    kept = _kept_copy(world, client)
    again = {"login": "staff86", "password": PASSWORD, "csrf_token": csrf_of(client, PAGE)}
    assert client.post("/login", data=again).status_code == 302  # the same browser, again
    second = client.get_cookie("session")
    assert second is not None and second.value != first.value
    _assert_shut_out(kept)  # the id it replaced is gone
    rows = _session_rows(world)
    assert len(rows) == 1
    serializer = world.app.session_interface.get_signing_serializer(world.app)  # type: ignore[attr-defined]
    payload = serializer.loads(second.value)
    assert set(payload) == {"sid"}  # the cookie carries the session id and nothing else
    assert rows[0][0] == token_hash(payload["sid"]) != payload["sid"]


def test_forms_carry_the_server_sessions_csrf_token(world: World) -> None:
    client = _logged_in(world)
    token = csrf_of(client, PAGE)
    assert _session_rows(world)[0][1] == token
    other = _logged_in(world, "staff79")
    stolen = csrf_of(other, PAGE)
    assert client.post("/logout", data={"csrf_token": stolen}).status_code == 400
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


def _last_seen(world: World) -> object:
    with world.engine.connect() as conn:
        return conn.scalar(sa.text("SELECT last_seen_at FROM app_session"))


def test_last_seen_is_written_at_most_once_a_minute(world: World) -> None:
    client = _logged_in(world)
    _sql(world, "UPDATE app_session SET last_seen_at = now() - interval '30 seconds'")
    before = _last_seen(world)
    assert client.get(API).status_code == 200
    assert _last_seen(world) == before
    assert TOUCH_EVERY.total_seconds() == 60
    _sql(world, "UPDATE app_session SET last_seen_at = now() - interval '61 seconds'")
    before = _last_seen(world)
    assert client.get(API).status_code == 200
    assert _last_seen(world) > before  # type: ignore[operator]


def test_the_per_request_check_is_one_core_read(world: World) -> None:
    client = _logged_in(world)
    assert client.get(API).status_code == 200  # the check's pool exists now
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement)

    auth_engine = world.app.extensions["geo_app.bare_engine"]
    sa.event.listen(auth_engine, "before_cursor_execute", count)
    try:
        assert client.get(API).status_code == 200
    finally:
        sa.event.remove(auth_engine, "before_cursor_execute", count)
    assert len(statements) == 1 and statements[0].startswith(f"EXECUTE {LOOKUP_NAME} ")
