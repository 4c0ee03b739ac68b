"""What the user administration pages show: the users an actor may manage, one user, and the
roles and scopes the actor may give. Who may manage whom is decided in
``services/accounts/admin.py``; this module only reads through that rule."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app import clock
from geo_app.domain.vocabulary import ADMIN_LEVELS, LEVEL_RANK, USER_ROLES
from geo_app.errors import NotFound
from geo_app.layers.admin_units import in_force
from geo_app.layers.base import Lang
from geo_app.layers.filters import scope_filter
from geo_app.models import AdminUnit, LoginFailure, Role, User
from geo_app.models.sessions import ACCOUNT
from geo_app.services.accounts import throttle
from geo_app.services.accounts.admin import (
    NOT_YOURS,
    Manager,
    NotAllowed,
    manageable,
    may_manage,
)

LIST_LIMIT = 500
"""The list shows at most this many users; the filters narrow it."""
SCOPE_LEVELS = ("province", "commune")
"""The levels a scope is chosen from in the forms (the CLI takes any unit's code)."""


@dataclass(frozen=True)
class UserRow:
    """One user as the list and the edit page show it."""

    login: str
    role: str
    role_label: str
    scope_code: str | None
    scope_name: str | None
    is_active: bool
    last_login_at: datetime | None
    locked: bool
    must_change: bool
    version: int


@dataclass(frozen=True)
class Filters:
    """The list's filters: a role code, active or not, a piece of a login or scope name."""

    role: str | None = None
    active: bool | None = None
    text: str = ""


@dataclass(frozen=True)
class UserList:
    rows: list[UserRow]
    more: bool
    """True when more users match than the list shows."""


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class ChoiceGroup:
    label: str
    choices: list[Choice]


def _locked(session: Session, logins: list[str], secret: bytes) -> set[str]:
    """The logins whose account the login throttle refuses now (waits or the lock)."""
    keys = {throttle.keys_for(login, "", secret).account: login for login in logins}
    if not keys:
        return set()
    found = session.scalars(
        sa.select(LoginFailure.key).where(
            LoginFailure.kind == ACCOUNT,
            LoginFailure.key.in_(sorted(keys)),
            LoginFailure.retry_after > sa.func.now(),
        )
    )
    return {keys[key] for key in found}


def _matching(filters: Filters) -> list[sa.ColumnElement[bool]]:
    found: list[sa.ColumnElement[bool]] = []
    if filters.role:
        found.append(User.role == Role(filters.role))
    if filters.active is not None:
        found.append(User.is_active.is_(filters.active))
    if filters.text:
        pattern = "%" + filters.text.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
        pattern += "%"
        found.append(sa.or_(User.login.ilike(pattern), AdminUnit.name.ilike(pattern)))
    return found


def _rows(
    session: Session, where: list[sa.ColumnElement[bool]], secret: bytes, lang: Lang, limit: int
) -> list[UserRow]:
    selected = session.execute(
        sa.select(User, AdminUnit.code, AdminUnit.name)
        .outerjoin(AdminUnit, AdminUnit.id == User.scope_unit_id)
        .where(*where)
        .order_by(User.login)
        .limit(limit)
    ).all()
    locked = _locked(session, [user.login for user, _code, _name in selected], secret)
    return [
        UserRow(
            user.login,
            user.role.value,
            USER_ROLES.label(user.role.value, lang),
            code,
            name,
            user.is_active,
            user.last_login_at,
            user.login in locked,
            user.must_change_password,
            user.version,
        )
        for user, code, name in selected
    ]


def user_list(
    session: Session, actor: Manager, filters: Filters, secret: bytes, lang: Lang
) -> UserList:
    """The users ``actor`` may manage that match ``filters``, by login."""
    where = [manageable(actor), *_matching(filters)]
    rows = _rows(session, where, secret, lang, LIST_LIMIT + 1)
    return UserList(rows[:LIST_LIMIT], len(rows) > LIST_LIMIT)


def one_user(session: Session, actor: Manager, login: str, secret: bytes, lang: Lang) -> UserRow:
    """One user: 404 for an unknown login, 403 for one the actor may not manage."""
    rows = _rows(session, [User.login == login], secret, lang, 1)
    if not rows:
        raise NotFound(f"no user {login!r}")
    if not session.scalar(sa.select(sa.exists().where(User.login == login, manageable(actor)))):
        raise NotAllowed(NOT_YOURS)
    return rows[0]


def role_choices(actor: Manager, lang: Lang) -> list[Choice]:
    """The roles ``actor`` may give, in the vocabulary's order."""
    return [
        Choice(code, USER_ROLES.label(code, lang))
        for code in USER_ROLES.codes
        if may_manage(actor, Role(code), scope_inside=True)
    ]


def scope_choices(session: Session, actor: Manager, lang: Lang) -> list[ChoiceGroup]:
    """The provinces and communes in force today inside the actor's scope, by level."""
    rows = session.execute(
        sa.select(sa.cast(AdminUnit.level, sa.String), AdminUnit.code, AdminUnit.name)
        .where(
            sa.cast(AdminUnit.level, sa.String).in_(SCOPE_LEVELS),
            in_force(AdminUnit, clock.today()),
            scope_filter(actor.scope_unit_id),
        )
        .order_by(AdminUnit.name, AdminUnit.code)
    ).all()
    groups: dict[str, list[Choice]] = {level: [] for level in SCOPE_LEVELS}
    for level, code, name in rows:
        groups[level].append(Choice(code, f"{name} ({code})"))
    ordered = sorted(groups.items(), key=lambda item: LEVEL_RANK[item[0]])
    return [ChoiceGroup(ADMIN_LEVELS.label(level, lang), found) for level, found in ordered]
