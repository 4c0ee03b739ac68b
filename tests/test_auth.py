"""Login, logout, roles and scope on PostGIS; also the small world the indicator tests share.

The world: 2025 provinces 86 (Vĩnh Long) and 79 (Hồ Chí Minh) with communes, the pre-2025
province 84 (Trà Vinh) lying inside 86 with one commune, and users of every role.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import geopandas as gpd
import pytest
import sqlalchemy as sa
from conftest import log_in as conftest_log_in
from conftest import make_settings
from flask import Flask
from flask.testing import FlaskClient
from shapely.geometry import box
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from geo_app import create_app
from geo_app.models import AdminUnit
from geo_app.services.accounts import login as login_service
from geo_app.services.accounts import users
from geo_app.services.accounts.credentials import CredentialCache
from geo_app.services.accounts.login import authenticate
from geo_app.services.accounts.scope import unit_in_scope
from geo_app.services.accounts.users import create_user
from geo_app.services.boundaries.importer import FieldMap, import_frame

PASSWORD = "mat-khau-an-toan-1"

# (code, name, parent code, bounds): 2025 layout, then pre-2025.
PROVINCES_2025 = [
    ("86", "Tỉnh Vĩnh Long", None, (105.8, 9.5, 106.8, 10.4)),
    ("79", "Thành phố Hồ Chí Minh", None, (106.4, 10.5, 107.0, 11.2)),
]
COMMUNES_2025 = [
    ("29500", "Phường Một", "86", (105.8, 9.5, 106.3, 10.4)),
    ("29501", "Xã Hai", "86", (106.3, 9.5, 106.8, 10.4)),
    ("26734", "Xã Ba", "79", (106.4, 10.5, 107.0, 11.2)),
]
PROVINCES_OLD = [("84", "Tỉnh Trà Vinh", None, (106.0, 9.6, 106.6, 10.2))]
COMMUNES_OLD = [("28000", "Xã Cũ", "84", (106.1, 9.7, 106.3, 9.9))]

USERS = {
    "admin1": ("admin", None),
    "staff86": ("staff", "86"),
    "staff79": ("staff", "79"),
    "officer29500": ("officer", "29500"),
    "commander86": ("commander", "86"),
    "viewer86": ("viewer", "86"),
}


@dataclass(frozen=True)
class World:
    url: str
    engine: Engine
    app: Flask


def _import(session: Session, rows: list[tuple], level: str, layout: str) -> None:
    frame = gpd.GeoDataFrame(
        {
            "code": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "parent": [r[2] for r in rows],
        },
        geometry=[box(*r[3]) for r in rows],
        crs=4326,
    )
    fields = FieldMap(parent_code="parent" if level != "province" else None)
    import_frame(
        session, frame, level=level, layout=layout, fields=fields, actor="test", source="test"
    )


def build_world(url: str, engine: Engine) -> World:
    """Units and users in a fresh database, and a Flask app on it."""
    with Session(engine) as session, session.begin():
        _import(session, PROVINCES_2025, "province", "2025")
        _import(session, COMMUNES_2025, "commune", "2025")
        _import(session, PROVINCES_OLD, "province", "pre2025")
        _import(session, COMMUNES_OLD, "commune", "pre2025")
        for login, (role, scope) in USERS.items():
            create_user(
                session, login=login, password=PASSWORD, role=role, scope_code=scope, actor="test"
            )
    app = create_app(make_settings(), database_url=url)
    app.config["TESTING"] = True
    return World(url, engine, app)


@pytest.fixture
def world(empty_db: str, engine_for: Callable[[str], Engine]) -> Iterator[World]:
    made = build_world(empty_db, engine_for(empty_db))
    yield made
    made.app.extensions["geo_app.engine"].dispose()


def csrf_of(client: FlaskClient, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def log_in(client: FlaskClient, login: str, password: str = PASSWORD) -> int:
    token = csrf_of(client)
    response = client.post(
        "/login", data={"login": login, "password": password, "csrf_token": token, "next": "/"}
    )
    return response.status_code


def _audit(engine: Engine, action: str) -> int:
    with engine.connect() as conn:
        return int(
            conn.scalar(sa.text("SELECT count(*) FROM audit_log WHERE action = :a"), {"a": action})
        )


def test_login_success_sets_a_hardened_cookie_and_audits(world: World) -> None:
    client = world.app.test_client()
    token = csrf_of(client)
    response = client.post(
        "/login",
        data={"login": "Staff86", "password": PASSWORD, "csrf_token": token, "next": "/x?y=1"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/x?y=1"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert _audit(world.engine, "login") == 1
    with world.engine.connect() as conn:
        stamped = conn.scalar(sa.text("SELECT last_login_at FROM app_user WHERE login='staff86'"))
    assert stamped is not None
    page = client.get("/indicators/29500/2025-11")
    assert page.status_code == 200


def test_failures_look_the_same_for_unknown_logins_and_wrong_passwords(world: World) -> None:
    client = world.app.test_client()
    wrong = client.post(
        "/login", data={"login": "staff86", "password": "x" * 12, "csrf_token": csrf_of(client)}
    )
    unknown = client.post(
        "/login", data={"login": "nobody", "password": "x" * 12, "csrf_token": csrf_of(client)}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_data() == unknown.get_data()
    assert "Sai tên đăng nhập hoặc mật khẩu" in wrong.get_data(as_text=True)
    assert client.get("/api/indicators?unit=29500&month=2025-11").status_code == 401
    assert _audit(world.engine, "login_failed") == 2
    assert _audit(world.engine, "login") == 0


def test_inactive_user_cannot_log_in_and_loses_an_open_session(world: World) -> None:
    client = world.app.test_client()
    assert log_in(client, "viewer86") == 302
    assert client.get("/api/indicators?unit=29500&month=2025-11").status_code == 200
    with world.engine.begin() as conn:
        conn.execute(sa.text("UPDATE app_user SET is_active = false WHERE login = 'viewer86'"))
    assert client.get("/api/indicators?unit=29500&month=2025-11").status_code == 401
    assert log_in(world.app.test_client(), "viewer86") == 401


def test_login_needs_the_csrf_token_and_next_stays_on_this_site(world: World) -> None:
    client = world.app.test_client()
    no_token = client.post("/login", data={"login": "staff86", "password": PASSWORD})
    assert no_token.status_code == 400
    token = csrf_of(client)
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = client.post(
            "/login",
            data={"login": "admin1", "password": PASSWORD, "csrf_token": token, "next": target},
        )
        assert response.headers["Location"] == "/", target
        client.post("/logout", data={"csrf_token": csrf_of(client, "/indicators/29500/2025-11")})
        token = csrf_of(client)


def test_logout_ends_the_session(world: World) -> None:
    client = world.app.test_client()
    assert log_in(client, "staff86") == 302
    token = csrf_of(client, "/indicators/29500/2025-11")
    assert client.post("/logout", data={}).status_code == 400  # no token, still logged in
    assert client.get("/indicators/29500/2025-11").status_code == 200
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    page = client.get("/indicators/29500/2025-11")
    assert page.status_code == 302 and "/login?next=" in page.headers["Location"]
    assert client.get("/api/indicators?unit=29500&month=2025-11").status_code == 401


def test_basic_credentials_work_on_the_api_only(world: World) -> None:
    client = world.app.test_client()
    ok = client.get("/api/indicators?unit=29500&month=2025-11", auth=("staff86", PASSWORD))
    assert ok.status_code == 200
    bad = client.get("/api/indicators?unit=29500&month=2025-11", auth=("staff86", "wrong-pass"))
    assert bad.status_code == 401
    assert bad.headers["WWW-Authenticate"].startswith("Basic")
    page = client.get("/indicators/29500/2025-11", auth=("staff86", PASSWORD))
    assert page.status_code == 302  # pages want the login form, not Basic
    assert _audit(world.engine, "login") == 0  # per-request checks do not flood the log


def test_authenticate_service_never_says_which_part_was_wrong(world: World) -> None:
    with Session(world.engine) as session, session.begin():
        assert authenticate(session, "staff86", PASSWORD) is not None
        assert authenticate(session, "staff86", "nope-nope-nope") is None
        assert authenticate(session, "ghost", PASSWORD) is None
        assert authenticate(session, "x" * 500, PASSWORD) is None
        account = authenticate(session, " STAFF86 ", PASSWORD)
    assert account is not None and account.scope_code == "86" and account.role.value == "staff"


def _unit_id(session: Session, code: str) -> int:
    return session.execute(sa.select(AdminUnit.id).where(AdminUnit.code == code)).scalar_one()


def test_scope_by_parent_chain_and_by_space(world: World) -> None:
    with Session(world.engine) as session:
        ids = {code: _unit_id(session, code) for code in ("86", "79", "29500", "28000", "84")}
        assert unit_in_scope(session, None, ids["79"])
        assert unit_in_scope(session, ids["86"], ids["86"])
        assert unit_in_scope(session, ids["86"], ids["29500"])  # parent chain
        assert unit_in_scope(session, ids["86"], ids["28000"])  # pre-2025, spatially
        assert unit_in_scope(session, ids["86"], ids["84"])  # the old province merged into 86
        assert not unit_in_scope(session, ids["79"], ids["28000"])
        assert not unit_in_scope(session, ids["86"], ids["79"])
        assert not unit_in_scope(session, ids["29500"], ids["86"])  # never upwards
        assert not unit_in_scope(session, ids["29500"], ids["84"])  # nor a larger old unit


# -- HTTP Basic, remembered ------------------------------------------------------------------------

API = "/api/indicators?unit=29500&month=2025-11"


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


def _change(world: World, change: Callable[[Session], int]) -> None:
    with Session(world.engine) as session, session.begin():
        change(session)


def test_basic_checks_are_remembered_and_a_password_change_ends_them(
    world: World, scrypt_calls: list[str]
) -> None:
    client = world.app.test_client()
    for _ in range(3):
        assert client.get(API, auth=("staff86", PASSWORD)).status_code == 200
    assert len(scrypt_calls) == 1  # one scrypt, then remembered
    assert client.get(API, auth=("staff86", "wrong-password")).status_code == 401
    assert len(scrypt_calls) == 2  # a wrong password is never remembered
    new = "mat-khau-moi-2"
    _change(world, lambda s: users.set_password(s, login="staff86", password=new, actor="t"))
    assert client.get(API, auth=("staff86", PASSWORD)).status_code == 401
    assert client.get(API, auth=("staff86", new)).status_code == 200


def test_remembered_basic_checks_follow_role_and_activity_changes(world: World) -> None:
    client = world.app.test_client()
    body = {"rows": []}
    headers = {"Content-Type": "application/json"}
    auth = ("staff86", PASSWORD)
    assert client.get(API, auth=auth).status_code == 200
    assert client.post("/api/indicators", json=body, auth=auth).status_code != 403
    _change(
        world,
        lambda s: users.set_role(s, login="staff86", role="viewer", scope_code="86", actor="t"),
    )
    assert client.post("/api/indicators", json=body, headers=headers, auth=auth).status_code == 403
    _change(world, lambda s: users.set_active(s, login="staff86", active=False, actor="t"))
    assert client.get(API, auth=auth).status_code == 401


def test_the_credential_cache_forgets_after_its_time() -> None:
    now = [1000.0]
    cache = CredentialCache(b"secret", seconds=60, clock=lambda: now[0])
    cache.put("Staff86", "pw", 7, "tag")
    found = cache.get(" staff86 ", "pw")
    assert found is not None and (found.user_id, found.password_tag) == (7, "tag")
    assert cache.get("staff86", "other") is None
    now[0] += 61
    assert cache.get("staff86", "pw") is None
    assert b"pw" not in repr(cache.__dict__).encode()


# -- who is logged in ------------------------------------------------------------------------------


def _bar(html: str) -> str:
    match = re.search(r'<div class="userbar">(.*?)</div>', html, re.S)
    assert match, html[:2000]
    return match.group(1)


def test_every_page_shows_who_is_logged_in(world: World) -> None:
    client = world.app.test_client()
    assert log_in(client, "staff86") == 302
    bar = _bar(client.get("/indicators/29500/2025-11").get_data(as_text=True))
    assert "staff86" in bar and "Cán bộ tham mưu" in bar and "Tỉnh Vĩnh Long (86)" in bar
    english = _bar(client.get("/indicators/29500/2025-11?lang=en").get_data(as_text=True))
    assert "Staff officer" in english
    error = client.get("/indicators/99999/2025-11")
    assert error.status_code == 404 and "staff86" in _bar(error.get_data(as_text=True))
    admin = world.app.test_client()
    assert log_in(admin, "admin1") == 302
    bar = _bar(admin.get("/indicators/29500/2025-11").get_data(as_text=True))
    assert "Quản trị hệ thống" in bar and "toàn quốc" in bar
    assert 'class="userbar"' not in world.app.test_client().get("/login").get_data(as_text=True)


def test_map_pages_show_the_user_and_its_logout_button_works(app: Flask) -> None:
    client = conftest_log_in(app.test_client(), "xem.vinhlong")
    province = "/map/province/86"
    pages = {province: 200, f"{province}?lang=en": 200, "/map/commune/29410": 200}
    pages["/map/province/79"] = 403  # outside the scope: the error page has the bar too
    for path, status in pages.items():
        page = client.get(path)
        assert page.status_code == status, path
        bar = _bar(page.get_data(as_text=True))
        assert "xem.vinhlong" in bar and ("Người xem" in bar or "Viewer" in bar), path
    form = re.search(
        r'<form method="post" action="([^"]+)" class="userbar-logout">\s*'
        r'<input type="hidden" name="csrf_token" value="([^"]+)">',
        client.get(province).get_data(as_text=True),
    )
    assert form and form.group(1) == "/logout"
    response = client.post(form.group(1), data={"csrf_token": form.group(2)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert client.get(province).status_code == 302
