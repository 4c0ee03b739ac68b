"""Login throttling and lockout: per account and per address, in the database, no scrypt spent.

"Waiting" is simulated by moving ``login_failure.retry_after`` into the past, as the clock would.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from conftest import ROOT, make_settings
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from test_auth import PASSWORD, World, build_world, csrf_of, log_in

from geo_app import create_app
from geo_app.services.accounts import login as login_service
from geo_app.services.accounts.throttle import (
    FIRST_DELAY,
    LOCK_TIME,
    MAX_DELAY,
    RULES,
    delay_after,
)

API = "/api/indicators?unit=29500&month=2025-11"
WRONG = "sai-mat-khau-1"


@pytest.fixture
def world(empty_db: str, engine_for: Callable[[str], Engine]) -> Iterator[World]:
    made = build_world(empty_db, engine_for(empty_db))
    yield made
    made.app.extensions["geo_app.engine"].dispose()


@pytest.fixture
def scrypt_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password check the login service makes (the real one still runs)."""
    calls: list[str] = []
    real = login_service.check_password_hash

    def counting(hashed: str, password: str) -> bool:
        calls.append(password)
        return real(hashed, password)

    monkeypatch.setattr(login_service, "check_password_hash", counting)
    return calls


def _post(client: FlaskClient, login: str, password: str, query: str = "") -> Any:
    data = {"login": login, "password": password, "csrf_token": csrf_of(client)}
    return client.post(f"/login{query}", data=data)


def _wait_out(world: World) -> None:
    """As if every wait and lock had run out."""
    with world.engine.begin() as conn:
        conn.execute(sa.text("UPDATE login_failure SET retry_after = now() - interval '1 second'"))


def _audited(world: World, action: str) -> list[Any]:
    with world.engine.connect() as conn:
        return list(
            conn.execute(
                sa.text("SELECT row_id, after FROM audit_log WHERE action = :a ORDER BY id"),
                {"a": action},
            )
        )


def _user_id(world: World, login: str) -> str:
    with world.engine.connect() as conn:
        found = conn.scalar(sa.text("SELECT id FROM app_user WHERE login = :l"), {"l": login})
    return str(found)


def test_the_waits_grow_then_lock() -> None:
    account = RULES["account"]
    assert [delay_after(n, account) for n in range(account.free)] == [timedelta(0)] * 5
    assert delay_after(5, account) == FIRST_DELAY
    assert delay_after(6, account) == 2 * FIRST_DELAY
    assert delay_after(7, account) == 4 * FIRST_DELAY
    assert delay_after(19, account) == MAX_DELAY
    assert (
        delay_after(20, account) == delay_after(35, account) == LOCK_TIME == timedelta(minutes=15)
    )
    assert RULES["address"].free > account.free and RULES["address"].lock > account.lock


def test_twenty_wrong_passwords_lock_the_account_until_the_lock_ends(world: World) -> None:
    client = world.app.test_client()
    for _ in range(19):
        assert _post(client, "staff86", WRONG).status_code == 401
        _wait_out(world)  # a patient guesser waits out every delay
    assert _post(client, "staff86", WRONG).status_code == 401  # the twentieth locks
    refused = _post(client, "staff86", PASSWORD)
    assert refused.status_code == 429
    assert 890 <= int(refused.headers["Retry-After"]) <= 900
    assert "Đăng nhập sai quá nhiều lần. Hãy thử lại sau" in refused.get_data(as_text=True)
    english = _post(client, "staff86", PASSWORD, "?lang=en")
    assert english.status_code == 429
    assert "Too many failed logins. Try again after" in english.get_data(as_text=True)
    _wait_out(world)  # the lock ends
    assert _post(client, "staff86", PASSWORD).status_code == 302
    with world.engine.connect() as conn:
        left = conn.scalar(sa.text("SELECT count(*) FROM login_failure WHERE kind = 'account'"))
    assert left == 0  # a success clears the account's failures


def test_the_lock_is_set_by_the_twentieth_failure(world: World) -> None:
    client = world.app.test_client()
    for _ in range(20):
        _post(client, "staff86", WRONG)
        _wait_out(world)
    _post(client, "staff86", WRONG)  # the 21st, after waiting: locked again at once
    with world.engine.connect() as conn:
        failures, locked_for = conn.execute(
            sa.text(
                "SELECT failures, extract(epoch FROM retry_after - now()) "
                "FROM login_failure WHERE kind = 'account'"
            )
        ).one()
    assert failures == 21 and 890 <= float(locked_for) <= 900


def test_a_throttled_attempt_checks_no_password_and_is_audited(
    world: World, scrypt_calls: list[str]
) -> None:
    client = world.app.test_client()
    for _ in range(5):
        assert _post(client, "staff86", WRONG).status_code == 401
    assert len(scrypt_calls) == 5
    refused = _post(client, "staff86", PASSWORD)
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 2
    assert len(scrypt_calls) == 5  # no scrypt for a refused attempt
    ((row_id, after),) = _audited(world, "login_throttled")
    assert row_id == _user_id(world, "staff86")
    assert after["via"] == "form" and after["address"] == "127.0.0.1" and after["retry_after"]


def test_unknown_logins_are_throttled_alike_and_never_written_down(
    world: World, scrypt_calls: list[str]
) -> None:
    client = world.app.test_client()
    for _ in range(5):
        assert _post(client, "nguyen.van.a", WRONG).status_code == 401
    assert _post(client, "nguyen.van.a", WRONG).status_code == 429
    assert len(scrypt_calls) == 5
    ((row_id, after),) = _audited(world, "login_throttled")
    assert row_id is None and "nguyen" not in str(after)
    with world.engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT kind, key FROM login_failure")).all()
    assert all("nguyen" not in key for _kind, key in stored)


def test_http_basic_is_throttled_too(world: World, scrypt_calls: list[str]) -> None:
    client = world.app.test_client()
    for _ in range(5):
        assert client.get(API, auth=("staff86", WRONG)).status_code == 401
    refused = client.get(API, auth=("staff86", PASSWORD))
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    body = refused.get_json()
    assert body["retry_after"] and "Đăng nhập sai quá nhiều lần" in body["error"]
    english = client.get(API + "&lang=en", auth=("staff86", PASSWORD)).get_json()
    assert english["error"].startswith("Too many failed logins")
    assert len(scrypt_calls) == 5
    assert [a["via"] for _r, a in _audited(world, "login_throttled")] == ["basic", "basic"]
    _wait_out(world)
    assert client.get(API, auth=("staff86", PASSWORD)).status_code == 200


def test_one_address_guessing_many_logins_is_throttled(world: World) -> None:
    client = world.app.test_client()
    for n in range(RULES["address"].free):
        assert _post(client, f"guess{n}", WRONG).status_code == 401  # each login fails once
    assert _post(client, "staff86", PASSWORD).status_code == 429  # the address must wait
    elsewhere = world.app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "10.1.2.3"
    assert _post(elsewhere, "staff86", PASSWORD).status_code == 302


def test_a_success_clears_the_accounts_failures_only(world: World) -> None:
    client = world.app.test_client()
    for _ in range(4):
        _post(client, "staff86", WRONG)
    assert _post(client, "staff86", PASSWORD).status_code == 302
    with world.engine.connect() as conn:
        kinds = conn.execute(sa.text("SELECT kind, failures FROM login_failure")).all()
    assert kinds == [("address", 4)]


def test_the_counters_survive_a_restart(world: World) -> None:
    client = world.app.test_client()
    for _ in range(5):
        _post(client, "staff86", WRONG)
    restarted = create_app(make_settings(), database_url=world.url)
    assert _post(restarted.test_client(), "staff86", PASSWORD).status_code == 429
    restarted.extensions["geo_app.engine"].dispose()


def test_an_admin_unlocks_an_account_and_a_new_password_lifts_the_lock(world: World) -> None:
    from click.testing import CliRunner

    from geo_app.cli import main

    env = {"GEO_APP_DATABASE_URL": world.url, "GEO_APP_STATE_DIR": str(ROOT / "var")}
    client = world.app.test_client()

    def lock() -> None:
        for _ in range(20):
            _post(client, "staff86", WRONG)
            _wait_out(world)
        _post(client, "staff86", WRONG)  # locked again at once
        assert _post(client, "staff86", PASSWORD).status_code == 429

    def owner_logs_in(password: str) -> int:
        """From the owner's own address: the guesser's address stays throttled."""
        owner = world.app.test_client()
        owner.environ_base["REMOTE_ADDR"] = "10.0.0.2"
        data = {"login": "staff86", "password": password, "csrf_token": csrf_of(owner)}
        return int(owner.post("/login", data=data).status_code)

    lock()
    assert owner_logs_in(PASSWORD) == 429  # the account is locked wherever one comes from
    result = CliRunner().invoke(main, ["unlock-user", "staff86"], env=env)
    assert result.exit_code == 0 and "staff86 unlocked" in result.output, result.output
    assert owner_logs_in(PASSWORD) == 302
    again = CliRunner().invoke(main, ["unlock-user", "staff86"], env=env)
    assert "was not locked" in again.output
    lock()
    new = "mat-khau-moi-hoan-toan"
    changed = CliRunner().invoke(
        main, ["set-password", "staff86", "--password-stdin"], input=new + "\n", env=env
    )
    assert changed.exit_code == 0, changed.output
    assert owner_logs_in(new) == 302
    with world.engine.connect() as conn:
        lifts = conn.execute(
            sa.text(
                "SELECT before FROM audit_log WHERE reason = 'unlock-user' AND row_id = :u "
                "ORDER BY id"
            ),
            {"u": _user_id(world, "staff86")},
        ).scalars()
        assert list(lifts) == [{"locked": True}, {"locked": False}, {"locked": True}]


def _change_password(client: FlaskClient, current: str) -> Any:
    data = {
        "current": current,
        "new": "mat-khau-moi-2026",
        "repeated": "mat-khau-moi-2026",
        "csrf_token": csrf_of(client, "/account/password"),
    }
    return client.post("/account/password", data=data)


def test_wrong_current_passwords_on_one_s_own_change_count_like_failed_logins(
    world: World,
) -> None:
    """A stolen session must not give unlimited guesses at the account's password: the
    change's wrong current passwords share the login's counters, waits and lock."""
    client = world.app.test_client()
    assert log_in(client, "staff86") == 302
    hash_of = sa.text("SELECT password_hash FROM app_user WHERE login = 'staff86'")
    with world.engine.connect() as conn:
        before = conn.scalar(hash_of)
    for _ in range(19):
        wrong = _change_password(client, WRONG)
        assert wrong.status_code == 400
        assert "Mật khẩu hiện tại sai." in wrong.get_data(as_text=True)
        _wait_out(world)  # a patient guesser waits out every delay
    assert _change_password(client, WRONG).status_code == 400  # the twentieth locks
    refused = _change_password(client, PASSWORD)  # the right one, refused unchecked
    assert refused.status_code == 429
    assert 890 <= int(refused.headers["Retry-After"]) <= 900
    assert "Đăng nhập sai quá nhiều lần" in refused.get_data(as_text=True)
    assert _post(world.app.test_client(), "staff86", PASSWORD).status_code == 429  # one lock
    vias = [after["via"] for _row, after in _audited(world, "login_throttled")]
    assert vias[-2:] == ["password_change", "form"]
    with world.engine.connect() as conn:
        assert conn.scalar(hash_of) == before  # never changed
