"""Login sessions kept on the server: a copied cookie stops working the moment its session ends.

Each test runs on the small world of ``test_auth`` (its own database). A "kept" cookie is the
session cookie copied into a second client before the change, as an attacker would copy it.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import make_settings
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from test_auth import PASSWORD, World, build_world, csrf_of, log_in
from werkzeug.test import Client

from geo_app import create_app
from geo_app.config import Settings
from geo_app.services.accounts import users
from geo_app.services.accounts.sessions import (
    GATE,
    LOOKUP_NAME,
    TOUCH_EVERY,
    gate_values,
    token_hash,
)
from geo_app.services.tiles.render import plan, prepared_tile, tile_params, tiled_layers
from geo_app.web.context import bare_engine
from geo_app.web.tile_door import TileDoor

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


# --- the tiles' fast door: one round trip a tile once the session is known -------------------

TILE = "/tiles/admin/9/407/241.mvt"  # Trà Vinh, inside staff86's province


def _tile_browser(world: World, client: FlaskClient) -> Client:
    """A browser asking tiles straight at the fast door with ``client``'s session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    browser = Client(world.app.wsgi_app)
    browser.set_cookie("session", cookie.value)
    return browser


def _door(world: World) -> TileDoor:
    door = world.app.wsgi_app
    assert isinstance(door, TileDoor)
    return door


def _executed(world: World, ask: Callable[[], int]) -> tuple[int, list[str]]:
    """``ask()``'s status and the statements it ran on the bare pool (PREPAREs left out)."""
    statements: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if not statement.startswith("PREPARE "):
            statements.append(statement)

    with world.app.app_context():
        pool = bare_engine()
    sa.event.listen(pool, "before_cursor_execute", count)
    try:
        return ask(), statements
    finally:
        sa.event.remove(pool, "before_cursor_execute", count)


def test_a_known_session_gets_each_tile_in_one_round_trip(world: World) -> None:
    door = _door(world)
    browser = _tile_browser(world, _logged_in(world))
    served = door.served
    status, first = _executed(world, lambda: browser.get(TILE).status_code)
    assert status == 200
    assert first[0].startswith(f"EXECUTE {LOOKUP_NAME} ") and len(first) == 2  # then the tile
    status, hit = _executed(world, lambda: browser.get(TILE).status_code)
    assert status == 200 and len(hit) == 1
    assert hit[0].startswith(f"EXECUTE geo_app_tile_check_{GATE.name} ")
    status, drawn = _executed(world, lambda: browser.get("/tiles/admin/10/815/483.mvt").status_code)
    assert status == 200 and len(drawn) == 1 and drawn[0].startswith("EXECUTE geo_app_tile_")
    assert door.served == served + 3
    fast = browser.get("/tiles/admin/10/815/483.mvt", headers={"Accept-Encoding": "gzip"})
    cookie = browser.get_cookie("session")
    assert cookie is not None
    slow = Client(door.inner)
    slow.set_cookie("session", cookie.value)
    flask = slow.get("/tiles/admin/10/815/483.mvt", headers={"Accept-Encoding": "gzip"})
    assert fast.get_data() == flask.get_data() and len(gzip.decompress(fast.get_data())) > 100
    assert dict(fast.headers) == dict(flask.headers)


def _log_out(world: World, client: FlaskClient) -> None:
    assert client.post("/logout", data={"csrf_token": csrf_of(client, PAGE)}).status_code == 302


def _by_sql(statement: str) -> Callable[[World, FlaskClient], None]:
    """A change made in the database behind the app's back (no session is ended by it)."""
    return lambda world, client: _sql(world, statement)


@pytest.mark.parametrize(
    ("end", "status"),
    [
        (_log_out, 401),
        (_by_sql("UPDATE app_user SET is_active = false"), 401),
        (_by_sql("UPDATE app_session SET last_seen_at = now() - interval '9 hours'"), 401),
        (_by_sql("UPDATE app_session SET created_at = now() - interval '8 days'"), 401),
        (_by_sql("UPDATE app_user SET scope_unit_id = NULL WHERE login = 'staff86'"), 200),
        (_by_sql("UPDATE app_user SET must_change_password = true"), 403),
    ],
    ids=["logout", "deactivated", "idle", "lifetime", "scope-changed", "must-change-password"],
)
def test_a_session_the_door_remembers_is_checked_again_in_the_tiles_statement(
    world: World, end: Callable[[World, FlaskClient], None], status: int
) -> None:
    """The door remembers the session's account after its first tile; an ended session gets
    nothing from the next tile's statement, and a changed account is checked afresh (the
    scope changed behind the app's back here: the tile is drawn for the new scope)."""
    door = _door(world)
    client = _logged_in(world)
    browser = _tile_browser(world, client)
    assert browser.get(TILE).status_code == 200  # remembered from here on
    cache = world.app.extensions["geo_app.tile_cache"]
    before = len(cache)
    served = door.served
    end(world, client)
    answer, statements = _executed(world, lambda: browser.get(TILE + "?v=1").status_code)
    assert answer == status
    assert statements[0].startswith(f"EXECUTE geo_app_tile_check_{GATE.name} ")
    if status == 200:  # asked again with the lookup, then drawn for the national scope
        assert statements[1].startswith(f"EXECUTE {LOOKUP_NAME} ")
        assert door.served == served + 1 and len(cache) == before + 1
    else:  # nothing drawn or sent; Flask answered
        assert door.served == served and len(cache) == before


def test_a_gated_tile_is_not_drawn_for_a_session_that_is_not_live(world: World) -> None:
    """PostgreSQL's own account of the gated statement: with no live session the tile's
    subqueries never run; with one they do."""
    raw_id = _door(world)._session_id(f"session={_cookie(_logged_in(world))}")
    assert raw_id is not None
    specs = tiled_layers("admin")
    chosen = tuple((spec.name, mode) for spec, mode in plan(specs, 9))
    prepared = prepared_tile(chosen, tuple(s.name for s in specs), GATE)
    tile = tile_params(9, 407, 241, date(2025, 12, 31))
    settings = world.app.extensions["geo_app.settings"]
    with world.engine.connect() as conn:
        conn.exec_driver_sql(prepared.prepare)

        def loops(session_id: str) -> list[int]:
            values = {
                **tile,
                **gate_values(
                    session_id, idle=settings.session_idle, max_age=settings.session_max_age
                ),
            }
            plan_json = conn.exec_driver_sql(
                "EXPLAIN (ANALYZE, FORMAT JSON) " + prepared.execute,
                {**prepared.defaults, **values},
            ).scalar_one()
            return [node.get("Actual Loops", 0) for node in _init_plans(plan_json[0]["Plan"])]

        dead, live = loops("no such session"), loops(raw_id)
    assert dead and all(n == 0 for n in dead)
    assert any(n > 0 for n in live)


def _cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _init_plans(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The plan's InitPlan nodes (the scalar subqueries that draw the tile's layers)."""
    for child in node.get("Plans", []):
        if str(child.get("Subplan Name", "")).startswith("InitPlan"):
            yield child
        yield from _init_plans(child)


def test_the_door_writes_a_stale_last_use_as_the_app_does(world: World) -> None:
    browser = _tile_browser(world, _logged_in(world))
    assert browser.get(TILE).status_code == 200  # remembered: the next tiles are gated
    _sql(world, "UPDATE app_session SET last_seen_at = now() - interval '30 seconds'")
    before = _last_seen(world)
    assert browser.get(TILE).status_code == 200
    assert _last_seen(world) == before
    _sql(world, "UPDATE app_session SET last_seen_at = now() - interval '61 seconds'")
    before = _last_seen(world)
    status, statements = _executed(world, lambda: browser.get(TILE).status_code)
    assert status == 200 and statements[0].startswith(f"EXECUTE geo_app_tile_check_{GATE.name}")
    assert _last_seen(world) > before  # type: ignore[operator]
