"""Logging in: check a password, stamp the login, audit it; never say whether a login exists.

A failed attempt costs the same whether the login is unknown, inactive or has the wrong
password (a hash is always checked), and the caller only ever learns "no". ``attempt`` puts
the throttle (``throttle.py``) in front: a refused attempt costs no password check at all.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from geo_app.models import AdminUnit, Role, User
from geo_app.services import audit
from geo_app.services.accounts import throttle
from geo_app.services.accounts.throttle import Refusal

MAX_LOGIN = 64
"""Longer typed logins are never looked up (``app_user.login`` is at most this long)."""


@dataclass(frozen=True)
class Account:
    """What a request needs to know about its user; never the password hash."""

    id: int
    login: str
    role: Role
    scope_unit_id: int | None
    scope_code: str | None
    scope_name: str | None
    password_tag: str
    """A fingerprint of the stored password hash: it changes with the password, which is how a
    remembered HTTP Basic check notices a password change."""
    must_change_password: bool = False
    """After a reset: the account opens only the password change page until it is changed."""


_USERS = User.__table__
_UNITS = AdminUnit.__table__
ACCOUNT_COLUMNS = (
    _USERS.c.id,
    _USERS.c.login,
    _USERS.c.role,
    _USERS.c.scope_unit_id,
    _UNITS.c.code,
    _UNITS.c.name,
    _USERS.c.password_hash,
    _USERS.c.must_change_password,
)
"""The columns ``account_of`` reads, in order; joined as ``ACCOUNT_FROM``."""
ACCOUNT_FROM = _USERS.outerjoin(_UNITS, _UNITS.c.id == _USERS.c.scope_unit_id)


def password_tag(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:32]


def account_of(row: Row[Any] | tuple[Any, ...]) -> Account:
    """An ``Account`` from a row that starts with ``ACCOUNT_COLUMNS``."""
    user_id, login, role, scope_id, code, name, hashed, must_change = tuple(row)[
        : len(ACCOUNT_COLUMNS)
    ]
    tag = password_tag(hashed)
    return Account(user_id, login, Role(role), scope_id, code, name, tag, bool(must_change))


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    """A hash to check against when the login is unknown, so both paths take as long."""
    return generate_password_hash("decoy password, never valid")


def _find(session: Session, login: str) -> tuple[User, Account] | None:
    row = session.execute(
        sa.select(User, *ACCOUNT_COLUMNS)
        .select_from(ACCOUNT_FROM)
        .where(User.login == login.strip().lower())
    ).one_or_none()
    return None if row is None else (row[0], account_of(tuple(row)[1:]))


def authenticate(
    session: Session, login: str, password: str, *, record_login: bool = True
) -> Account | None:
    """The account when ``login``/``password`` are right and the user is active, else None.

    With ``record_login`` (interactive logins) a success stamps ``last_login_at`` and every
    attempt is audited; per-request HTTP Basic checks pass False so scripts do not flood the
    log. Runs in the caller's transaction; the caller commits, also after a failure.
    """
    found = _find(session, login) if len(login) <= MAX_LOGIN else None
    user, account = found if found is not None else (None, None)
    ok = check_password_hash(user.password_hash if user else _decoy_hash(), password)
    if not (ok and user is not None and account is not None and user.is_active):
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
    return account


def attempt(
    session: Session,
    login: str,
    password: str,
    *,
    address: str,
    secret: bytes,
    via: str,
    record_login: bool = True,
) -> Account | Refusal | None:
    """A login attempt behind the throttle: a ``Refusal`` (audited, no password checked) while
    the account or the address must wait, else ``authenticate``'s answer, counted.

    ``via`` says which door was used (``form`` or ``basic``) in the audit log.
    """
    keys = throttle.keys_for(login, address, secret)
    refusal = refused(session, login, address=address, secret=secret, via=via)
    if refusal is not None:
        return refusal
    account = authenticate(session, login, password, record_login=record_login)
    if account is None:
        throttle.record_failure(session, keys)
    else:
        throttle.clear(session, keys)
        if record_login:
            throttle.forget_old(session)
    return account


def refused(
    session: Session, login: str, *, address: str, secret: bytes, via: str
) -> Refusal | None:
    """The throttle's refusal for this login or address, audited, if one is in force: checked
    before any password of the account is (the login doors, one's own password change)."""
    keys = throttle.keys_for(login, address, secret)
    refusal = throttle.refusal(session, keys)
    if refusal is not None:
        _audit_refusal(session, login, address, via, refusal)
    return refusal


def count_wrong_password(session: Session, login: str, *, address: str, secret: bytes) -> None:
    """A wrong password typed for this login outside the login doors (one's own change): it
    counts towards the same waits and lock as a failed login."""
    throttle.record_failure(session, throttle.keys_for(login, address, secret))


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


def _audit_refusal(session: Session, login: str, address: str, via: str, refusal: Refusal) -> None:
    """A throttled attempt: the account's row id when the login exists, never the typed text."""
    user_id = (
        session.scalar(sa.select(User.id).where(User.login == login.strip().lower()))
        if len(login) <= MAX_LOGIN
        else None
    )
    audit.record(
        session,
        actor="web:anonymous",
        action="login_throttled",
        table="app_user",
        row_id=user_id,
        before=None,
        after={"address": address, "via": via, "retry_after": refusal.retry_at},
    )


def active_account(connection: Connection, user_id: int) -> Account | None:
    """The active account with this id, in one Core read (an HTTP Basic check remembered by
    the web layer is confirmed with it: the role and scope are always read fresh).
    """
    row = connection.execute(
        sa.select(*ACCOUNT_COLUMNS)
        .select_from(ACCOUNT_FROM)
        .where(_USERS.c.id == user_id, _USERS.c.is_active)
    ).one_or_none()
    return None if row is None else account_of(row)
