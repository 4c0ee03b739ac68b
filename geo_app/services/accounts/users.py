"""User accounts: logins, roles and the scope (a unit whose subtree the user may see and edit).

Every change that takes something away (a password, role, scope or activity change) also ends
the user's login sessions at once (``sessions.end_all``).
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from geo_app import clock
from geo_app.errors import Conflict, InvalidInput, NotFound
from geo_app.layers.admin_units import in_force
from geo_app.models import AdminUnit, Role, User
from geo_app.services import audit
from geo_app.services.accounts import sessions, throttle

LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 10


def _role_and_scope(session: Session, role: str, scope_code: str | None) -> tuple[Role, int | None]:
    """The role and the id of the scope unit in force today; raises on any bad value."""
    try:
        role_value = Role(role)
    except ValueError:
        raise InvalidInput(
            f"unknown role {role!r}; expected one of {', '.join(r.value for r in Role)}"
        ) from None
    if scope_code is None and role_value is not Role.admin:
        raise InvalidInput("only an admin may have national scope; give --scope CODE")
    if scope_code is None:
        return role_value, None
    scope_id = session.execute(
        sa.select(AdminUnit.id).where(
            AdminUnit.code == scope_code, in_force(AdminUnit, clock.today())
        )
    ).scalar_one_or_none()
    if scope_id is None:
        raise InvalidInput(f"no unit with code {scope_code!r} is in force today")
    return role_value, scope_id


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"password must have at least {MIN_PASSWORD} characters")


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
    _check_password(password)
    role_value, scope_id = _role_and_scope(session, role, scope_code)
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


def _existing(session: Session, login: str) -> User:
    user = session.scalar(sa.select(User).where(User.login == login.strip().lower()))
    if user is None:
        raise NotFound(f"no user {login!r}")
    return user


def _changed(
    session: Session,
    user: User,
    *,
    actor: str,
    reason: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> int:
    """Audit a change to an account and end every session of it; returns the sessions ended.

    Why end them: a session opened under the old password, role, scope or activity must not
    keep what the change took away.
    """
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="update",
        table="app_user",
        row_id=user.id,
        before=before,
        after=after,
        reason=reason,
    )
    return sessions.end_all(session, user.id)


def set_password(session: Session, *, login: str, password: str, actor: str) -> int:
    """A new password (stored hashed); the user's sessions end. Returns the sessions ended."""
    _check_password(password)
    user = _existing(session, login)
    user.password_hash = generate_password_hash(password)
    # The hash is never written to the log; that it changed is.
    changed = {"password": "changed"}
    return _changed(session, user, actor=actor, reason="set-password", before={}, after=changed)


def set_role(session: Session, *, login: str, role: str, scope_code: str | None, actor: str) -> int:
    """A new role and scope for the user; the user's sessions end. Returns the sessions ended."""
    user = _existing(session, login)
    before = {"role": user.role.value, "scope_unit_id": user.scope_unit_id}
    user.role, user.scope_unit_id = _role_and_scope(session, role, scope_code)
    after = {"role": user.role.value, "scope_unit_id": user.scope_unit_id, "scope": scope_code}
    return _changed(session, user, actor=actor, reason="set-role", before=before, after=after)


def set_active(session: Session, *, login: str, active: bool, actor: str) -> int:
    """Deactivate (or reactivate) the user; the user's sessions end. Returns the sessions ended."""
    user = _existing(session, login)
    before = {"is_active": user.is_active}
    user.is_active = active
    reason = "activate-user" if active else "deactivate-user"
    return _changed(
        session, user, actor=actor, reason=reason, before=before, after={"is_active": active}
    )


def unlock(session: Session, *, login: str, secret: bytes, actor: str) -> bool:
    """Lift the throttle's waits and lock on ``login`` (e.g. once its owner was given a new
    password); audited. ``secret`` is the app's, which keys the throttle's counters."""
    user = _existing(session, login)
    lifted = throttle.unlock(session, throttle.keys_for(user.login, "", secret).account)
    audit.record(
        session,
        actor=actor,
        action="update",
        table="app_user",
        row_id=user.id,
        before={"locked": lifted},
        after={"locked": False},
        reason="unlock-user",
    )
    return lifted
