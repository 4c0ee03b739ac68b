"""geo-app create-user: hashed passwords, known roles, a scope that exists, no duplicates."""

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
