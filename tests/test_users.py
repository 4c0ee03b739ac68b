"""geo-app create-user: hashed passwords, known roles, a scope that exists, no duplicates;
and the changes to an account (password, role, scope, activity), which end its sessions."""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import sqlalchemy as sa
from click.testing import CliRunner
from shapely.geometry import box
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from geo_app.cli import main
from geo_app.domain.vocabulary import USER_ROLES
from geo_app.models import Role
from geo_app.services.boundaries.importer import FieldMap, import_frame


def _province(url: str, engine_for: Callable[[str], Engine]) -> None:
    frame = gpd.GeoDataFrame(
        {"code": ["86"], "name": ["Tỉnh Vĩnh Long"]},
        geometry=[box(105.8, 9.5, 106.8, 10.4)],
        crs=4326,
    )
    with Session(engine_for(url)) as session, session.begin():
        import_frame(
            session,
            frame,
            level="province",
            layout="2025",
            fields=FieldMap(),
            actor="t",
            source="t",
        )


def _create(url: str, *args: str, password: str = "mat-khau-an-toan") -> tuple[int, str]:
    result = CliRunner().invoke(
        main,
        ["create-user", *args, "--password-stdin"],
        input=password + "\n",
        env={"GEO_APP_DATABASE_URL": url},
    )
    return result.exit_code, result.output


def test_create_user_with_scope(empty_db: str, engine_for: Callable[[str], Engine]) -> None:
    _province(empty_db, engine_for)
    code, output = _create(empty_db, "Chi.Huy", "--role", "commander", "--scope", "86")
    assert code == 0, output
    with engine_for(empty_db).connect() as conn:
        user = conn.execute(
            sa.text(
                "SELECT u.login, u.role::text AS role, u.password_hash, a.code "
                "FROM app_user u JOIN admin_unit a ON a.id = u.scope_unit_id"
            )
        ).one()
        audited = conn.scalar(
            sa.text("SELECT count(*) FROM audit_log WHERE table_name = 'app_user'")
        )
    assert (user.login, user.role, user.code) == ("chi.huy", "commander", "86")
    assert "mat-khau" not in user.password_hash
    assert check_password_hash(user.password_hash, "mat-khau-an-toan")
    assert audited == 1


def test_bad_users_are_refused_and_nothing_is_written(
    empty_db: str, engine_for: Callable[[str], Engine]
) -> None:
    _province(empty_db, engine_for)
    assert _create(empty_db, "staff1", "--role", "staff", "--scope", "86")[0] == 0
    cases = [
        (("staff1", "--role", "staff", "--scope", "86"), "already exists"),
        (("officer1", "--role", "officer", "--scope", "99"), "no unit with code '99'"),
        (("officer2", "--role", "officer"), "only an admin may have national scope"),
        (("x", "--role", "admin"), "login must be"),
    ]
    for args, message in cases:
        code, output = _create(empty_db, *args)
        assert code == 2 and message in output, output
    code, output = _create(empty_db, "admin1", "--role", "admin", password="short")
    assert code == 2 and "at least 10 characters" in output
    with engine_for(empty_db).connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM app_user")) == 1


def _run(url: str, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), input=stdin, env={"GEO_APP_DATABASE_URL": url})
    return result.exit_code, result.output


def _account(engine: Engine) -> sa.Row:
    with engine.connect() as conn:
        return conn.execute(
            sa.text(
                "SELECT u.role::text AS role, u.is_active, u.password_hash, a.code "
                "FROM app_user u LEFT JOIN admin_unit a ON a.id = u.scope_unit_id "
                "WHERE u.login = 'staff1'"
            )
        ).one()


def _open_sessions(engine: Engine) -> int:
    with engine.begin() as conn:
        user_id = conn.scalar(sa.text("SELECT id FROM app_user WHERE login = 'staff1'"))
        for n in range(2):
            conn.execute(
                sa.text(
                    "INSERT INTO app_session (token_hash, user_id, csrf_token) VALUES (:h, :u, 't')"
                ),
                {"h": f"{n:064x}", "u": user_id},
            )
        return int(conn.scalar(sa.text("SELECT count(*) FROM app_session")))


def test_account_changes_end_the_users_sessions(
    empty_db: str, engine_for: Callable[[str], Engine]
) -> None:
    _province(empty_db, engine_for)
    engine = engine_for(empty_db)
    assert _create(empty_db, "staff1", "--role", "staff", "--scope", "86")[0] == 0
    # Another admin, so staff1 (made an admin below) is not the last one and may be deactivated.
    assert _create(empty_db, "admin0", "--role", "admin")[0] == 0
    runs = [
        (("set-password", "staff1", "--password-stdin"), "mat-khau-moi-moi\n"),
        (("set-role", "staff1", "--role", "commander", "--scope", "86"), None),
        (("set-role", "staff1", "--role", "admin"), None),
        (("deactivate-user", "staff1"), None),
        (("activate-user", "staff1"), None),
    ]
    for args, stdin in runs:
        assert _open_sessions(engine) == 2
        code, output = _run(empty_db, *args, stdin=stdin)
        assert code == 0 and "2 session(s) ended" in output, output
    account = _account(engine)
    assert (account.role, account.is_active, account.code) == ("admin", True, None)
    assert check_password_hash(account.password_hash, "mat-khau-moi-moi")
    with engine.connect() as conn:
        reasons = conn.scalars(
            sa.text("SELECT reason FROM audit_log WHERE action = 'update' ORDER BY id")
        ).all()
        logged = conn.scalar(sa.text("SELECT string_agg(after::text, ' ') FROM audit_log"))
    assert reasons == [
        "set-password",
        "unlock-user",  # a new password also lifts the login throttle's lock
        "set-role",
        "set-role",
        "deactivate-user",
        "activate-user",
    ]
    assert "mat-khau-moi" not in logged and account.password_hash not in logged


def test_account_changes_refuse_bad_input(
    empty_db: str, engine_for: Callable[[str], Engine]
) -> None:
    _province(empty_db, engine_for)
    assert _create(empty_db, "staff1", "--role", "staff", "--scope", "86")[0] == 0
    before = _account(engine_for(empty_db))
    cases = [
        (("set-password", "nobody", "--password-stdin"), "long-enough-pw\n", "no user 'nobody'"),
        (("set-password", "staff1", "--password-stdin"), "short\n", "at least 10 characters"),
        (("set-role", "staff1", "--role", "officer"), None, "only an admin may have national"),
        (("set-role", "staff1", "--role", "viewer", "--scope", "99"), None, "no unit with code"),
        (("deactivate-user", "ghost"), None, "no user 'ghost'"),
    ]
    for args, stdin, message in cases:
        code, output = _run(empty_db, *args, stdin=stdin)
        assert code == 2 and message in output, output
    assert _run(empty_db, "set-role", "staff1", "--role", "chief")[0] == 2  # not a role
    assert _account(engine_for(empty_db)) == before


def test_the_roles_and_their_labels_are_one_vocabulary() -> None:
    assert tuple(r.value for r in Role) == USER_ROLES.codes
    assert USER_ROLES.label("commander", "vi") == "Chỉ huy"
    assert USER_ROLES.label("viewer", "en") == "Viewer"
