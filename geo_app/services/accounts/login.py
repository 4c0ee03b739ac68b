"""Logging in: check a password, stamp the login, audit it; never say whether a login exists.

A failed attempt costs the same whether the login is unknown, inactive or has the wrong
password (a hash is always checked), and the caller only ever learns "no".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from geo_app.models import AdminUnit, Role, User
from geo_app.services import audit


@dataclass(frozen=True)
class Account:
    """What a request needs to know about its user; never the password hash."""

    id: int
    login: str
    role: Role
    scope_unit_id: int | None
    scope_code: str | None


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    """A hash to check against when the login is unknown, so both paths take as long."""
    return generate_password_hash("decoy password, never valid")


def _find(session: Session, login: str) -> tuple[User, str | None] | None:
    row = session.execute(
        sa.select(User, AdminUnit.code)
        .outerjoin(AdminUnit, AdminUnit.id == User.scope_unit_id)
        .where(User.login == login.strip().lower())
    ).one_or_none()
    return None if row is None else (row[0], row[1])


def _account(user: User, scope_code: str | None) -> Account:
    return Account(user.id, user.login, user.role, user.scope_unit_id, scope_code)


def authenticate(
    session: Session, login: str, password: str, *, record_login: bool = True
) -> Account | None:
    """The account when ``login``/``password`` are right and the user is active, else None.

    With ``record_login`` (interactive logins) a success stamps ``last_login_at`` and every
    attempt is audited; per-request HTTP Basic checks pass False so scripts do not flood the
    log. Runs in the caller's transaction; the caller commits, also after a failure.
    """
    found = _find(session, login) if len(login) <= 64 else None
    user, scope_code = found if found is not None else (None, None)
    ok = check_password_hash(user.password_hash if user else _decoy_hash(), password)
    if not (ok and user is not None and user.is_active):
        if record_login:
            _audit_failure(session, user)
        return None
    if record_login:
        before = user.last_login_at
        user.last_login_at = datetime.now(UTC)
        audit.record(
            session,
            actor=f"web:{user.login}",
            action="login",
            table="app_user",
            row_id=user.id,
            before={"last_login_at": before},
            after={"last_login_at": user.last_login_at},
        )
    return _account(user, scope_code)


def _audit_failure(session: Session, user: User | None) -> None:
    """A failed login against a known account is kept (row id only); unknown logins are
    counted without the typed text, which may hold a mistyped password or a person's name.
    """
    audit.record(
        session,
        actor="web:anonymous",
        action="login_failed",
        table="app_user",
        row_id=user.id if user is not None else None,
        before=None,
        after=None,
    )


def active_account(session: Session, user_id: int) -> Account | None:
    """The account behind a session cookie, re-read on every request so a deactivated user
    loses access at once.
    """
    row = session.execute(
        sa.select(User, AdminUnit.code)
        .outerjoin(AdminUnit, AdminUnit.id == User.scope_unit_id)
        .where(User.id == user_id, User.is_active)
    ).one_or_none()
    return None if row is None else _account(row[0], row[1])
