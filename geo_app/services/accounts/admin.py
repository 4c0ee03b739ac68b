"""Who may administer whom: one rule, checked on the server for every change to an account.

An admin manages every user. A commander manages only officers and viewers whose scope lies
inside the commander's own, and may only give those roles and scopes inside their own. Nobody
else manages users. Nobody deactivates themselves or changes their own role or scope, and the
last active admin can be neither deactivated nor demoted (someone must be left to administer).

The CLI runs as the database's owner on the server itself and passes no ``Manager``: it is not
limited by this rule, but the last-admin guard holds there too.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app.errors import Conflict, GeoAppError
from geo_app.layers.filters import scope_filter
from geo_app.models import AdminUnit, Role, User
from geo_app.services.accounts.scope import unit_in_scope


def _(message: str) -> str:
    """Marks a fixed sentence for the catalog (babel extracts ``_("...")``); the web layer
    shows it translated (``web/errors.py``). Also used by ``users.py``."""
    return message


MANAGERS = frozenset({Role.admin, Role.commander})
"""The roles that may open the user administration at all."""
COMMANDER_MAY_MANAGE = frozenset({Role.officer, Role.viewer})
NOT_YOURS = _("You may not manage this user, this role or this scope.")


class NotAllowed(GeoAppError):
    """The acting user may not make this change; nothing was changed."""

    status = 403


@dataclass(frozen=True)
class Manager:
    """The user who makes a change, as the rule needs them."""

    user_id: int
    role: Role
    scope_unit_id: int | None


def may_manage(actor: Manager, target_role: Role, scope_inside: bool) -> bool:
    """The rule itself (pure): may ``actor`` manage, or give, ``target_role`` with a scope that
    lies (``scope_inside``) or does not lie inside the actor's own?"""
    if actor.role is Role.admin:
        return True
    return actor.role is Role.commander and target_role in COMMANDER_MAY_MANAGE and scope_inside


def check_may_manage(
    session: Session, actor: Manager, target_role: Role, target_scope_unit_id: int | None
) -> None:
    """Raise ``NotAllowed`` unless ``actor`` may manage (or give) this role and scope."""
    inside = target_scope_unit_id is not None and unit_in_scope(
        session, actor.scope_unit_id, target_scope_unit_id
    )
    if not may_manage(actor, target_role, inside):
        raise NotAllowed(NOT_YOURS)


def check_not_self(actor: Manager | None, user: User) -> None:
    """Nobody deactivates themselves or changes their own role or scope."""
    if actor is not None and actor.user_id == user.id:
        raise NotAllowed(_("You may not deactivate yourself or change your own role or scope."))


def check_admin_remains(session: Session, user: User, *, role: Role, active: bool) -> None:
    """Refuse to deactivate or demote the last active admin.

    The active admins' rows are locked first, so two admins demoting each other at once
    cannot both succeed."""
    if not (user.role is Role.admin and user.is_active) or (role is Role.admin and active):
        return
    admins = session.scalars(
        sa.select(User.id).where(User.role == Role.admin, User.is_active).with_for_update()
    ).all()
    if set(admins) <= {user.id}:
        raise Conflict(_("The last active administrator cannot be deactivated or demoted."))


def manageable(actor: Manager) -> sa.ColumnElement[bool]:
    """A WHERE clause on ``User`` keeping the users ``actor`` may manage (the same rule as
    ``may_manage``, in SQL, for the list)."""
    if actor.role is Role.admin:
        return sa.true()
    if actor.role is not Role.commander:
        return sa.false()
    inside = sa.select(AdminUnit.id).where(scope_filter(actor.scope_unit_id))
    return sa.and_(User.role.in_(sorted(COMMANDER_MAY_MANAGE)), User.scope_unit_id.in_(inside))
