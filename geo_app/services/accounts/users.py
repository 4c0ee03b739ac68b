"""User accounts: logins, roles and the scope (a unit whose subtree the user may see and edit)."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from geo_app import clock
from geo_app.errors import Conflict, InvalidInput
from geo_app.layers.admin_units import in_force
from geo_app.models import AdminUnit, Role, User
from geo_app.services import audit

LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 10


def create_user(
    session: Session,
    *,
    login: str,
    password: str,
    role: str,
    scope_code: str | None,
    actor: str,
) -> User:
    """Add a user; the password is stored only as a salted hash. Raises on any bad value."""
    login = login.strip().lower()
    if not LOGIN_PATTERN.match(login):
        raise InvalidInput(
            "login must be 2-64 characters: lower-case letters, digits, '.', '_' or '-'"
        )
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"password must have at least {MIN_PASSWORD} characters")
    try:
        role_value = Role(role)
    except ValueError:
        raise InvalidInput(
            f"unknown role {role!r}; expected one of {', '.join(r.value for r in Role)}"
        ) from None
    if scope_code is None and role_value is not Role.admin:
        raise InvalidInput("only an admin may have national scope; give --scope CODE")
    scope_id = None
    if scope_code is not None:
        scope_id = session.execute(
            sa.select(AdminUnit.id).where(
                AdminUnit.code == scope_code, in_force(AdminUnit, clock.today())
            )
        ).scalar_one_or_none()
        if scope_id is None:
            raise InvalidInput(f"no unit with code {scope_code!r} is in force today")
    if session.execute(sa.select(User.id).where(User.login == login)).first():
        raise Conflict(f"user {login!r} already exists")
    user = User(
        login=login,
        password_hash=generate_password_hash(password),
        role=role_value,
        scope_unit_id=scope_id,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="insert",
        table="app_user",
        row_id=user.id,
        before=None,
        after={"login": login, "role": role_value.value, "scope": scope_code},
        reason="create-user",
    )
    return user
