"""User accounts: logins, roles and the scope (a unit whose subtree the user may see and edit).

Every change that takes something away (a password, role, scope or activity change) also ends
the user's login sessions at once (``sessions.end_all``) and raises the account's ``version``.
Given a ``by`` (the web pages always give one), each change first checks the rule of
``admin.py`` (who may manage whom); given a ``version``, it is refused (409) when someone else
changed the account since that version was read.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from geo_app import clock
from geo_app.errors import Conflict, InvalidInput, NotFound
from geo_app.layers.admin_units import in_force
from geo_app.models import AdminUnit, Role, User
from geo_app.services import audit
from geo_app.services.accounts import sessions, throttle
from geo_app.services.accounts.admin import (
    Manager,
    _,
    check_admin_remains,
    check_may_manage,
    check_not_self,
)

LOGIN_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
MIN_PASSWORD = 10
TEMPORARY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
"""No 0/o, 1/l/i: a temporary password is read aloud or copied by hand."""


class WrongPassword(InvalidInput):
    """The current password typed in one's own change was wrong: the caller counts it against
    the login throttle (it is a guess at the account's password like any other)."""


@dataclass(frozen=True)
class Reset:
    """A reset password: the temporary password (shown once, never stored) and the sessions
    ended."""

    password: str
    ended: int


def temporary_password() -> str:
    """12 random characters in three groups, e.g. ``k7rm-p2xq-9tfa`` (about 59 bits)."""
    groups = ("".join(secrets.choice(TEMPORARY_ALPHABET) for _ in range(4)) for _ in range(3))
    return "-".join(groups)


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
    by: Manager | None = None,
    must_change: bool = False,
) -> User:
    """Add a user; the password is stored only as a salted hash. Raises on any bad value.

    ``must_change``: the password was chosen by someone else, so the user's first login opens
    only the password change page."""
    login = login.strip().lower()
    if not LOGIN_PATTERN.match(login):
        raise InvalidInput(
            "login must be 2-64 characters: lower-case letters, digits, '.', '_' or '-'"
        )
    _check_password(password)
    role_value, scope_id = _role_and_scope(session, role, scope_code)
    if by is not None:
        check_may_manage(session, by, role_value, scope_id)
    if session.execute(sa.select(User.id).where(User.login == login)).first():
        raise Conflict(f"user {login!r} already exists")
    user = User(
        login=login,
        password_hash=generate_password_hash(password),
        role=role_value,
        scope_unit_id=scope_id,
        must_change_password=must_change,
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


def _existing(
    session: Session, login: str, by: Manager | None = None, version: int | None = None
) -> User:
    """The account, locked for this transaction; checks ``by`` may manage it and that it is
    still at ``version`` (when given)."""
    user = session.scalar(
        sa.select(User).where(User.login == login.strip().lower()).with_for_update()
    )
    if user is None:
        raise NotFound(f"no user {login!r}")
    if by is not None:
        check_may_manage(session, by, user.role, user.scope_unit_id)
    if version is not None and version != user.version:
        raise Conflict(
            _("Someone else has changed this user meanwhile: reload the page and try again.")
        )
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
    user.version += 1
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


def set_role(
    session: Session,
    *,
    login: str,
    role: str,
    scope_code: str | None,
    actor: str,
    by: Manager | None = None,
    version: int | None = None,
) -> int:
    """A new role and scope for the user; the user's sessions end. Returns the sessions ended."""
    user = _existing(session, login, by, version)
    check_not_self(by, user)
    new_role, new_scope = _role_and_scope(session, role, scope_code)
    if by is not None:
        check_may_manage(session, by, new_role, new_scope)
    check_admin_remains(session, user, role=new_role, active=user.is_active)
    before = {"role": user.role.value, "scope_unit_id": user.scope_unit_id}
    user.role, user.scope_unit_id = new_role, new_scope
    after = {"role": user.role.value, "scope_unit_id": user.scope_unit_id, "scope": scope_code}
    return _changed(session, user, actor=actor, reason="set-role", before=before, after=after)


def set_active(
    session: Session,
    *,
    login: str,
    active: bool,
    actor: str,
    by: Manager | None = None,
    version: int | None = None,
) -> int:
    """Deactivate (or reactivate) the user; the user's sessions end. Returns the sessions ended."""
    user = _existing(session, login, by, version)
    check_not_self(by, user)
    check_admin_remains(session, user, role=user.role, active=active)
    before = {"is_active": user.is_active}
    user.is_active = active
    reason = "activate-user" if active else "deactivate-user"
    return _changed(
        session, user, actor=actor, reason=reason, before=before, after={"is_active": active}
    )


def unlock(
    session: Session, *, login: str, secret: bytes, actor: str, by: Manager | None = None
) -> bool:
    """Lift the throttle's waits and lock on ``login`` (e.g. once its owner was given a new
    password); audited. ``secret`` is the app's, which keys the throttle's counters."""
    user = _existing(session, login, by)
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


def reset_password(
    session: Session,
    *,
    login: str,
    actor: str,
    by: Manager | None = None,
    version: int | None = None,
) -> Reset:
    """A generated temporary password that the user must change at the next login; the user's
    sessions end. The password is returned once and stored only hashed."""
    user = _existing(session, login, by, version)
    password = temporary_password()
    user.password_hash = generate_password_hash(password)
    user.must_change_password = True
    after = {"password": "reset", "must_change_password": True}
    ended = _changed(session, user, actor=actor, reason="reset-password", before={}, after=after)
    return Reset(password, ended)


def change_own_password(
    session: Session, *, user_id: int, current: str, new: str, repeated: str, actor: str
) -> int:
    """The user's own change: the current password proves it is them, the new one is typed
    twice. Clears ``must_change_password`` and ends every session of the user (the caller
    opens a new one for the browser that made the change). Returns the sessions ended."""
    user = session.scalar(sa.select(User).where(User.id == user_id).with_for_update())
    if user is None or not user.is_active:
        raise NotFound(f"no user {user_id}")
    if not check_password_hash(user.password_hash, current):
        raise WrongPassword(_("The current password is wrong."))
    if new != repeated:
        raise InvalidInput(_("The two new passwords differ."))
    if new == current:
        raise InvalidInput(_("The new password must differ from the current one."))
    _check_password(new)
    before = {"must_change_password": user.must_change_password}
    user.password_hash = generate_password_hash(new)
    user.must_change_password = False
    after = {"password": "changed", "must_change_password": False}
    return _changed(
        session, user, actor=actor, reason="change-own-password", before=before, after=after
    )
