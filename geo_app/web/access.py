"""Who may see what: every map page, tile and layer API needs a login, and the user's scope.

Why a blueprint-wide gate rather than a decorator per view: a new view on these blueprints is
closed by default. Scope is then checked per page on the server (the page functions of
``geo_app.pages`` read the ``viewer()`` built here), and the layers keep their rows inside
``LayerQuery.scope_unit_id``.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint
from flask_babel import gettext
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from geo_app import clock, urls
from geo_app.models import AdminUnit
from geo_app.pages.common import Viewer
from geo_app.services.accounts.login import Account
from geo_app.web.auth import current_user, unauthorized
from geo_app.web.context import lang


def require_login(bp: Blueprint) -> None:
    """Every view of ``bp`` answers only to a logged-in user (401 on APIs, else the login form)."""

    def gate() -> BaseResponse | None:
        return unauthorized() if current_user() is None else None

    bp.before_request(gate)


def account() -> Account:
    """The logged-in account of a gated view."""
    user = current_user()
    if user is None:  # a gated blueprint never gets here without one
        raise RuntimeError("account() outside a login-gated view")
    return user


def scope_unit_id() -> int | None:
    """The logged-in user's scope unit (None = national)."""
    return account().scope_unit_id


def home_path(session: Session) -> str | None:
    """Where a scoped user's map starts: their own unit's page (None for national scope)."""
    user = account()
    if user.scope_unit_id is None:
        return None
    level = session.scalar(
        sa.select(sa.cast(AdminUnit.level, sa.String)).where(AdminUnit.id == user.scope_unit_id)
    )
    return urls.unit_url(str(level), str(user.scope_code))


def viewer() -> Viewer:
    """The reader of a gated page: the request's language (Flask-Babel speaks it too), the
    user's scope and today."""
    return Viewer(lang(), scope_unit_id(), clock.today(), gettext)
