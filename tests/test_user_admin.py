"""User administration: who may manage whom, every action in the web pages (CSRF, optimistic
locking, audit rows, sessions ended), the forced password change after a reset, one's own
password change, and the CLI's ``users list`` / ``users reset-password``.

Each test runs on the small world of ``test_auth`` (its own database): provinces 86 and 79,
communes 29500 and 29501 in 86 and 26734 in 79, and users of every role.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from test_auth import PASSWORD, World, build_world, csrf_of, log_in

from geo_app.cli import main
from geo_app.models import Role
from geo_app.services.accounts import throttle
from geo_app.services.accounts.admin import Manager, may_manage

API = "/api/indicators?unit=29500&month=2025-11"
NEW_PASSWORD = "mat-khau-moi-rat-dai-2"


@pytest.fixture
def world(empty_db: str, engine_for: Callable[[str], Engine]) -> Iterator[World]:
    made = build_world(empty_db, engine_for(empty_db))
    yield made
    made.app.extensions["geo_app.engine"].dispose()


def _client(world: World, login: str, password: str = PASSWORD) -> FlaskClient:
    client = world.app.test_client()
    assert log_in(client, login, password) == 302
    return client


def _scalar(world: World, sql: str, **params: object) -> object:
    with world.engine.connect() as conn:
        return conn.scalar(sa.text(sql), params)


def _user(world: World, login: str) -> sa.Row:
    with world.engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT u.id, u.role::text AS role, a.code AS scope, u.is_active, u.version,"
                " u.must_change_password, u.password_hash"
                " FROM app_user u LEFT JOIN admin_unit a ON a.id = u.scope_unit_id"
                " WHERE u.login = :login"
            ),
            {"login": login},
        ).one()


def _reasons(world: World, login: str) -> list[str]:
    with world.engine.connect() as conn:
        return list(
            conn.scalars(
                sa.text(
                    "SELECT reason FROM audit_log WHERE table_name = 'app_user'"
                    " AND row_id = (SELECT id::text FROM app_user WHERE login = :l)"
                    " AND reason IS NOT NULL ORDER BY id"
                ),
                {"l": login},
            )
        )


def _post(
    client: FlaskClient, path: str, data: dict[str, str], page: str = "/account/password"
) -> Any:
    """POST a form with the session's CSRF token (read from ``page``)."""
    return client.post(path, data={"csrf_token": csrf_of(client, page), **data})


def _version(world: World, login: str) -> str:
    return str(_user(world, login).version)


# The rule ------------------------------------------------------------------------------------


def test_the_rule_admins_manage_everyone_commanders_officers_and_viewers_inside() -> None:
    admin = Manager(1, Role.admin, None)
    commander = Manager(2, Role.commander, 10)
    for role in Role:
        assert may_manage(admin, role, scope_inside=False)
        assert may_manage(commander, role, scope_inside=True) is (
            role in {Role.officer, Role.viewer}
        )
        assert not may_manage(commander, role, scope_inside=False)
        for other in (Role.staff, Role.officer, Role.viewer):
            assert not may_manage(Manager(3, other, None), role, scope_inside=True)


# The list ------------------------------------------------------------------------------------


def _listed(client: FlaskClient, query: str = "") -> set[str]:
    response = client.get("/admin/users" + query)
    assert response.status_code == 200
    return set(re.findall(r'data-login="([^"]+)"', response.get_data(as_text=True)))


def test_the_list_shows_only_the_users_the_actor_may_manage(world: World) -> None:
    admin = _client(world, "admin1")
    everyone = {"admin1", "staff86", "staff79", "officer29500", "commander86", "viewer86"}
    assert _listed(admin) == everyone
    assert _listed(admin, "?role=staff") == {"staff86", "staff79"}
    assert _listed(admin, "?q=86") == {"staff86", "commander86", "viewer86"}
    assert _listed(admin, "?q=Hai") == set()
    assert _listed(admin, "?q=V%C4%A9nh") == {"staff86", "commander86", "viewer86"}
    assert _listed(_client(world, "commander86")) == {"officer29500", "viewer86"}
    for login in ("staff86", "officer29500", "viewer86"):
        assert _client(world, login).get("/admin/users").status_code == 403
    page = admin.get("/admin/users").get_data(as_text=True)
    assert "Người xem" in page and "Tỉnh Vĩnh Long (86)" in page
    assert 'href="/admin/users"' in page  # the user bar links to the page


def test_bad_filters_are_a_400_in_the_page_language(world: World) -> None:
    admin = _client(world, "admin1")
    response = admin.get("/admin/users?active=maybe&lang=en")
    assert response.status_code == 400 and "is not 1 or 0" in response.get_data(as_text=True)
    response = admin.get("/admin/users?role=king")
    assert response.status_code == 400 and "không phải là vai trò" in response.get_data(
        as_text=True
    )
    assert admin.get("/admin/users?active=0").status_code == 200


def test_the_list_marks_locked_accounts_and_unlock_lifts_the_lock(world: World) -> None:
    key = throttle.keys_for("viewer86", "", world.app.config["SECRET_KEY"].encode()).account
    with world.engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO login_failure (kind, key, failures, retry_after)"
                " VALUES ('account', :k, 20, now() + interval '15 minutes')"
            ),
            {"k": key},
        )
    admin = _client(world, "admin1")
    page = admin.get("/admin/users/viewer86").get_data(as_text=True)
    assert 'data-action="unlock"' in page
    response = _post(admin, "/admin/users/viewer86/unlock", {}, "/admin/users/viewer86")
    assert response.status_code == 302
    assert _scalar(world, "SELECT count(*) FROM login_failure WHERE key = :k", k=key) == 0
    assert "unlock-user" in _reasons(world, "viewer86")
    assert 'data-action="unlock"' not in admin.get("/admin/users/viewer86").get_data(as_text=True)


# Creating ------------------------------------------------------------------------------------


def test_an_admin_creates_a_user_with_a_generated_password_shown_once(world: World) -> None:
    admin = _client(world, "admin1")
    form = {"login": "Moi.Nguoi", "role": "officer", "scope": "29501", "password": ""}
    response = _post(admin, "/admin/users", form, "/admin/users/new")
    assert response.status_code == 201
    html = response.get_data(as_text=True)
    password = re.search(r"data-temporary-password>([^<]+)<", html)
    assert password, html
    created = _user(world, "moi.nguoi")
    assert (created.role, created.scope, created.must_change_password) == (
        "officer",
        "29501",
        True,
    )
    assert password[1] not in admin.get("/admin/users/moi.nguoi").get_data(as_text=True)
    assert "create-user" in _reasons(world, "moi.nguoi")
    newcomer = _client(world, "moi.nguoi", password[1])
    assert newcomer.get("/indicators/29501/2025-11").headers["Location"] == "/account/password"


def test_commanders_create_only_officers_and_viewers_inside_their_scope(world: World) -> None:
    commander = _client(world, "commander86")
    new = "/admin/users/new"
    page = commander.get(new).get_data(as_text=True)
    assert 'value="29500"' in page and 'value="26734"' not in page and 'value="staff"' not in page
    typed = {"password": "mot-mat-khau-du-dai"}
    ok = _post(
        commander, "/admin/users", {"login": "cb2", "role": "officer", "scope": "29500"}, new
    )
    assert ok.status_code == 201
    refused = [
        {"login": "cb3", "role": "officer", "scope": "26734"},  # province 79
        {"login": "cb4", "role": "staff", "scope": "29500"},
        {"login": "cb5", "role": "admin", "scope": ""},
        {"login": "cb6", "role": "commander", "scope": "86"},
    ]
    for form in refused:
        response = _post(commander, "/admin/users", {**form, **typed}, new)
        assert response.status_code == 403, form
        assert "Bạn không được quản lý" in response.get_data(as_text=True)
    assert _scalar(world, "SELECT count(*) FROM app_user WHERE login LIKE 'cb_'") == 1


def test_bad_input_to_the_create_form_is_a_4xx_and_writes_nothing(world: World) -> None:
    admin = _client(world, "admin1")
    new = "/admin/users/new"
    cases = [
        ({"login": "x", "role": "viewer", "scope": "86"}, 400),
        ({"login": "viewer86", "role": "viewer", "scope": "86"}, 409),
        ({"login": "ok.user", "role": "viewer", "scope": "99"}, 400),
        ({"login": "ok.user", "role": "viewer", "scope": "", "password": "short"}, 400),
    ]
    for form, status in cases:
        assert _post(admin, "/admin/users", form, new).status_code == status, form
    assert _scalar(world, "SELECT count(*) FROM app_user") == 6


# Changing ------------------------------------------------------------------------------------


def test_every_form_needs_the_csrf_token(world: World) -> None:
    admin = _client(world, "admin1")
    version = _version(world, "viewer86")
    for action, data in [
        ("role", {"role": "officer", "scope": "29500"}),
        ("active", {"active": "0"}),
        ("password", {}),
        ("unlock", {}),
    ]:
        response = admin.post(f"/admin/users/viewer86/{action}", data={"version": version, **data})
        assert response.status_code == 400, action
    response = admin.post("/admin/users", data={"login": "a.b", "role": "viewer", "scope": "86"})
    assert response.status_code == 400
    assert _user(world, "viewer86").version == int(version)
    assert _reasons(world, "viewer86") == ["create-user"]


def test_a_role_and_scope_change_is_audited_and_ends_the_users_sessions(world: World) -> None:
    viewer = _client(world, "viewer86")
    assert viewer.get(API).status_code == 200
    admin = _client(world, "admin1")
    data = {"role": "officer", "scope": "29500", "version": _version(world, "viewer86")}
    response = _post(admin, "/admin/users/viewer86/role", data)
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/users/viewer86?done=role"
    changed = _user(world, "viewer86")
    assert (changed.role, changed.scope) == ("officer", "29500")
    assert viewer.get(API).status_code == 401
    assert "set-role" in _reasons(world, "viewer86")
    assert "Đã lưu vai trò" in admin.get(response.headers["Location"]).get_data(as_text=True)


def test_a_stale_version_is_a_409_and_changes_nothing(world: World) -> None:
    admin = _client(world, "admin1")
    stale = _version(world, "viewer86")
    first = {"role": "viewer", "scope": "29501", "version": stale}
    assert _post(admin, "/admin/users/viewer86/role", first).status_code == 302
    second = {"role": "officer", "scope": "29500", "version": stale}
    response = _post(admin, "/admin/users/viewer86/role", second)
    assert response.status_code == 409
    assert "Người khác vừa thay đổi" in response.get_data(as_text=True)
    for action, data in [("active", {"active": "0"}), ("password", {})]:
        response = _post(admin, f"/admin/users/viewer86/{action}", {"version": stale, **data})
        assert response.status_code == 409, action
    now = _user(world, "viewer86")
    assert (now.role, now.scope, now.is_active) == ("viewer", "29501", True)
    assert _post(admin, "/admin/users/viewer86/active", {"active": "0"}).status_code == 400


def test_commanders_are_refused_users_outside_their_reach_with_403(world: World) -> None:
    commander = _client(world, "commander86")
    assert commander.get("/admin/users/staff79").status_code == 403
    assert commander.get("/admin/users/staff86").status_code == 403
    assert commander.get("/admin/users/nobody").status_code == 404
    for login in ("staff86", "admin1", "commander86"):
        version = _version(world, login)
        for action, data in [("active", {"active": "0"}), ("password", {}), ("unlock", {})]:
            response = _post(
                commander, f"/admin/users/{login}/{action}", {"version": version, **data}
            )
            assert response.status_code == 403, (login, action)
    # Their own officer may not be moved out of their scope, nor promoted.
    version = _version(world, "officer29500")
    for data in ({"role": "officer", "scope": "26734"}, {"role": "staff", "scope": "29500"}):
        response = _post(commander, "/admin/users/officer29500/role", {"version": version, **data})
        assert response.status_code == 403, data
    assert _user(world, "officer29500").scope == "29500"
    data = {"role": "viewer", "scope": "29501", "version": version}
    assert _post(commander, "/admin/users/officer29500/role", data).status_code == 302
    assert _user(world, "officer29500").role == "viewer"


def test_nobody_deactivates_or_demotes_themselves_nor_the_last_admin(world: World) -> None:
    admin = _client(world, "admin1")
    for action, data in [("active", {"active": "0"}), ("role", {"role": "staff", "scope": "86"})]:
        data = {**data, "version": _version(world, "admin1")}
        response = _post(admin, f"/admin/users/admin1/{action}", data)
        assert response.status_code == 403, action
    assert _user(world, "admin1").is_active
    form = {"login": "admin2", "role": "admin", "scope": "", "password": PASSWORD}
    assert _post(admin, "/admin/users", form, "/admin/users/new").status_code == 201
    data = {"role": "staff", "scope": "86", "version": _version(world, "admin1")}
    with world.engine.begin() as conn:  # admin2 has changed its password already
        conn.execute(sa.text("UPDATE app_user SET must_change_password = false"))
    second = _client(world, "admin2")
    assert _post(second, "/admin/users/admin1/role", data).status_code == 302
    assert _user(world, "admin1").role == "staff"
    # admin2 is now the last active admin: the CLI may not deactivate it either.
    result = CliRunner().invoke(
        main, ["deactivate-user", "admin2"], env={"GEO_APP_DATABASE_URL": world.url}
    )
    assert result.exit_code == 2 and "last active administrator" in result.output
    assert _user(world, "admin2").is_active


def test_deactivating_ends_the_open_session_at_once_and_reactivating_lets_in(world: World) -> None:
    viewer = _client(world, "viewer86")
    assert viewer.get(API).status_code == 200
    admin = _client(world, "admin1")
    data = {"active": "0", "version": _version(world, "viewer86")}
    assert _post(admin, "/admin/users/viewer86/active", data).status_code == 302
    assert viewer.get(API).status_code == 401
    assert viewer.get("/indicators/29500/2025-11").status_code == 302
    assert log_in(world.app.test_client(), "viewer86") == 401
    data = {"active": "1", "version": _version(world, "viewer86")}
    assert _post(admin, "/admin/users/viewer86/active", data).status_code == 302
    assert log_in(world.app.test_client(), "viewer86") == 302
    assert _reasons(world, "viewer86")[-2:] == ["deactivate-user", "activate-user"]


# Reset and one's own password ----------------------------------------------------------------


def _reset(world: World, admin: FlaskClient, login: str) -> str:
    data = {"version": _version(world, login)}
    response = _post(admin, f"/admin/users/{login}/password", data)
    assert response.status_code == 200
    found = re.search(r"data-temporary-password>([^<]+)<", response.get_data(as_text=True))
    assert found
    return found[1]


def test_a_reset_forces_a_password_change_at_the_next_login(world: World) -> None:
    viewer = _client(world, "viewer86")
    temporary = _reset(world, _client(world, "admin1"), "viewer86")
    assert viewer.get(API).status_code == 401  # the reset ended the open session
    assert log_in(world.app.test_client(), "viewer86") == 401  # the old password is gone
    fresh = _client(world, "viewer86", temporary)
    response = fresh.get("/indicators/29500/2025-11")
    assert response.status_code == 302 and response.headers["Location"] == "/account/password"
    english = fresh.get("/?lang=en")
    assert english.headers["Location"] == "/account/password?lang=en"
    refused = fresh.get(API)
    assert refused.status_code == 403 and "Đổi mật khẩu" in refused.get_json()["error"]
    tiles = world.app.wsgi_app.served
    assert fresh.get("/tiles/hotspots/10/812/450.mvt").status_code == 403  # not by the tile door
    assert world.app.wsgi_app.served == tiles
    basic = world.app.test_client().get(API, auth=("viewer86", temporary))
    assert basic.status_code == 403 and "web" in basic.get_json()["error"]
    page = fresh.get("/account/password")
    assert page.status_code == 200 and "đặt lại" in page.get_data(as_text=True)
    assert "reset-password" in _reasons(world, "viewer86")


def test_ones_own_password_change_checks_ends_other_sessions_and_keeps_this_one(
    world: World,
) -> None:
    other = _client(world, "staff86")
    this = _client(world, "staff86")
    page = "/account/password"
    bad = [
        ({"current": "wrong-password-1", "new": NEW_PASSWORD, "repeated": NEW_PASSWORD}, "sai"),
        ({"current": PASSWORD, "new": NEW_PASSWORD, "repeated": NEW_PASSWORD + "x"}, "khác nhau"),
        ({"current": PASSWORD, "new": "short", "repeated": "short"}, "10"),
        ({"current": PASSWORD, "new": PASSWORD, "repeated": PASSWORD}, "khác mật khẩu"),
    ]
    for form, said in bad:
        response = _post(this, page, form, page)
        assert response.status_code == 400 and said in response.get_data(as_text=True), form
    form = {"current": PASSWORD, "new": NEW_PASSWORD, "repeated": NEW_PASSWORD}
    response = _post(this, page, form, page)
    assert response.status_code == 302 and response.headers["Location"] == page + "?done=1"
    assert this.get(API).status_code == 200
    assert other.get(API).status_code == 401
    assert log_in(world.app.test_client(), "staff86", NEW_PASSWORD) == 302
    assert _reasons(world, "staff86")[-1] == "change-own-password"
    assert _post(this, page, {**form, "current": PASSWORD}, page).status_code == 400


def test_the_change_clears_the_forced_change(world: World) -> None:
    temporary = _reset(world, _client(world, "admin1"), "viewer86")
    fresh = _client(world, "viewer86", temporary)
    form = {"current": temporary, "new": NEW_PASSWORD, "repeated": NEW_PASSWORD}
    assert _post(fresh, "/account/password", form, "/account/password").status_code == 302
    assert fresh.get(API).status_code == 200
    assert not _user(world, "viewer86").must_change_password
    assert world.app.test_client().get(API, auth=("viewer86", NEW_PASSWORD)).status_code == 200


def test_the_password_page_needs_a_login_and_the_csrf_token(world: World) -> None:
    anonymous = world.app.test_client()
    assert anonymous.get("/account/password").status_code == 302
    client = _client(world, "staff86")
    form = {"current": PASSWORD, "new": NEW_PASSWORD, "repeated": NEW_PASSWORD}
    assert client.post("/account/password", data=form).status_code == 400
    assert 'href="/account/password"' in client.get("/account/password").get_data(as_text=True)


# The CLI -------------------------------------------------------------------------------------


def test_the_cli_lists_users_and_resets_a_password(world: World) -> None:
    env = {"GEO_APP_DATABASE_URL": world.url}
    listed = CliRunner().invoke(main, ["users", "list", "--role", "viewer"], env=env)
    assert listed.exit_code == 0, listed.output
    lines = listed.output.splitlines()
    assert lines[0].startswith("login\trole\tscope") and len(lines) == 2
    assert lines[1].split("\t")[:4] == ["viewer86", "viewer", "86", "yes"]
    reset = CliRunner().invoke(main, ["users", "reset-password", "viewer86"], env=env)
    assert reset.exit_code == 0, reset.output
    temporary = re.search(r"temporary password of viewer86: (\S+)", reset.output)
    assert temporary and _user(world, "viewer86").must_change_password
    fresh = _client(world, "viewer86", temporary[1])
    assert fresh.get(API).status_code == 403
    listed = CliRunner().invoke(main, ["users", "list", "--search", "viewer"], env=env)
    assert listed.output.splitlines()[1].endswith("\tyes")  # must change
    missing = CliRunner().invoke(main, ["users", "reset-password", "nobody"], env=env)
    assert missing.exit_code == 2 and "no user" in missing.output
