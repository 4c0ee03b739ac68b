"""User administration under ``/admin/users`` (admins: every user; commanders: the officers and
viewers inside their scope) and one's own password change at ``/account/password``.

Thin views: the rule of who may manage whom is ``services/accounts/admin.py``, the changes are
``services/accounts/users.py`` (audited, ending the user's sessions), the lists
``pages/users.py``. Every form carries the CSRF token; the forms that change an account also
carry the version they were read at, and a change made meanwhile by someone else answers 409.
A generated password is shown once, in the answer to the request that made it, never in a URL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, abort, redirect, render_template, request
from flask_babel import gettext as _
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from geo_app.db import session_scope
from geo_app.domain.vocabulary import USER_ROLES
from geo_app.errors import N_, GeoAppError, InvalidInput
from geo_app.pages.users import Filters, one_user, role_choices, scope_choices, user_list
from geo_app.parsing import whole_number
from geo_app.services.accounts import login as logins
from geo_app.services.accounts import users
from geo_app.services.accounts.admin import MANAGERS, Manager
from geo_app.web.access import account, require_login
from geo_app.web.auth import (
    PASSWORD_PAGE,
    app_secret,
    check_csrf,
    keep_session,
    open_while_password_must_change,
    start_session,
    throttle_text,
)
from geo_app.web.context import engine, lang, read_session
from geo_app.web.errors import message

bp = Blueprint("users", __name__)
require_login(bp)

LIST_PATH = "/admin/users"
T = TypeVar("T")
Page = tuple[str, int]


def _manager() -> Manager:
    """The logged-in user as the rule sees them; 403 for roles that manage nobody."""
    user = account()
    if user.role not in MANAGERS:
        abort(403, description=N_("your role may not do this"))
    return Manager(user.id, user.role, user.scope_unit_id)


def _actor() -> str:
    return f"web:{account().login}"


def _write(work: Callable[[Session], T]) -> T:
    """Run ``work`` in one committed transaction."""
    with session_scope(engine()) as db, db.begin():
        return work(db)


def _version() -> int:
    found = whole_number(request.form.get("version", ""), most=10**9 - 1)
    if found is None:
        raise InvalidInput(_("The form is incomplete: reload the page and try again."))
    return found


def _filters() -> Filters:
    """The list's ``role``, ``active`` (1 or 0) and ``q`` (a piece of a login or unit name)."""
    role, active, text = (request.args.get(k, "").strip() for k in ("role", "active", "q"))
    if role and role not in USER_ROLES.codes:
        raise InvalidInput(_("role «%(value)s» is not a role", value=role))
    if active not in ("", "1", "0"):
        raise InvalidInput(_("active «%(value)s» is not 1 or 0", value=active))
    if len(text) > 64:
        raise InvalidInput(_("The search text is too long (at most 64 characters)."))
    return Filters(role or None, None if active == "" else active == "1", text)


def _form_page(actor: Manager, **shown: Any) -> str:
    """The create form (no ``user``) or one user's page, with the choices the actor may give."""
    with read_session() as db:
        scopes = scope_choices(db, actor, lang())
    return render_template(
        "admin_user_form.html",
        lang=lang(),
        roles=role_choices(actor, lang()),
        scopes=scopes,
        national=actor.role.value == "admin",
        list_path=LIST_PATH,
        **shown,
    )


def _user_page(actor: Manager, login: str, **shown: Any) -> str:
    with read_session() as db:
        user = one_user(db, actor, login, app_secret(), lang())
    return _form_page(actor, user=user, title=user.login, **shown)


@bp.get(LIST_PATH)
def list_page() -> str:
    """The users the actor may manage, filtered."""
    actor = _manager()
    filters = _filters()
    with read_session() as db:
        found = user_list(db, actor, filters, app_secret(), lang())
    roles = role_choices(actor, lang())
    return render_template(
        "admin_users.html", title=_("Users"), lang=lang(), found=found, filters=filters, roles=roles
    )


@bp.get(LIST_PATH + "/new")
def new_page() -> str:
    return _form_page(_manager(), title=_("New user"), user=None)


@bp.post(LIST_PATH)
def create() -> Page:
    """A new user who must change the password at the first login; a password left empty is
    generated and shown once."""
    check_csrf()
    actor = _manager()
    form = request.form
    typed = form.get("password", "")
    password = typed or users.temporary_password()
    try:
        login = _write(
            lambda db: (
                users.create_user(
                    db,
                    login=form.get("login", ""),
                    password=password,
                    role=form.get("role", ""),
                    scope_code=form.get("scope") or None,
                    actor=_actor(),
                    by=actor,
                    must_change=True,
                ).login
            )
        )
    except GeoAppError as error:
        page = _form_page(actor, title=_("New user"), user=None, error=message(error), typed=form)
        return page, error.status
    shown = None if typed else password
    return _user_page(actor, login, done=_("User created."), password=shown), 201


def _done(login: str, what: str) -> BaseResponse:
    """Back to the user's page (a reload does not repeat the change), saying what was done."""
    return redirect(f"{LIST_PATH}/{login}?done={what}" + ("&lang=en" if lang() == "en" else ""))


DONE = {
    "role": lambda: _("Role and scope saved; the user's open sessions were ended."),
    "deactivated": lambda: _("User deactivated; the user's open sessions were ended."),
    "activated": lambda: _("User reactivated."),
    "unlocked": lambda: _("Login lock lifted."),
}
"""What the page says after each change (``?done=``), in the page's language."""


@bp.get(LIST_PATH + "/<login>")
def user_page(login: str) -> str:
    said = DONE.get(request.args.get("done", ""))
    return _user_page(_manager(), login, done=said() if said else None)


@bp.post(LIST_PATH + "/<login>/role")
def change_role(login: str) -> BaseResponse:
    check_csrf()
    actor, version, form = _manager(), _version(), request.form
    _write(
        lambda db: users.set_role(
            db,
            login=login,
            role=form.get("role", ""),
            scope_code=form.get("scope") or None,
            actor=_actor(),
            by=actor,
            version=version,
        )
    )
    return _done(login, "role")


@bp.post(LIST_PATH + "/<login>/active")
def change_active(login: str) -> BaseResponse:
    """``active=1`` reactivates, ``active=0`` deactivates (the user's sessions end at once)."""
    check_csrf()
    actor, version = _manager(), _version()
    active = request.form.get("active", "")
    if active not in ("0", "1"):
        raise InvalidInput(_("active «%(value)s» is not 1 or 0", value=active))
    _write(
        lambda db: users.set_active(
            db, login=login, active=active == "1", actor=_actor(), by=actor, version=version
        )
    )
    return _done(login, "activated" if active == "1" else "deactivated")


@bp.post(LIST_PATH + "/<login>/password")
def reset_password(login: str) -> str:
    """A temporary password, shown once on the answer; the user must change it at login."""
    check_csrf()
    actor, version = _manager(), _version()
    reset = _write(
        lambda db: users.reset_password(db, login=login, actor=_actor(), by=actor, version=version)
    )
    done = _("Password reset; the user's open sessions were ended.")
    return _user_page(actor, login, done=done, password=reset.password)


@bp.post(LIST_PATH + "/<login>/unlock")
def unlock(login: str) -> BaseResponse:
    check_csrf()
    actor = _manager()
    _write(lambda db: users.unlock(db, login=login, secret=app_secret(), actor=_actor(), by=actor))
    return _done(login, "unlocked")


def _password_page(error: str | None = None, status: int = 200) -> Page:
    page = render_template(
        "account_password.html",
        title=_("Change your password"),
        lang=lang(),
        error=error,
        must_change=account().must_change_password,
        minimum=users.MIN_PASSWORD,
        changed=request.args.get("done") == "1",
    )
    return page, status


@bp.get(PASSWORD_PAGE)
@open_while_password_must_change
def own_password() -> Page:
    return _password_page()


@bp.post(PASSWORD_PAGE)
@open_while_password_must_change
def own_password_post() -> Page | tuple[str, int, dict[str, str]] | BaseResponse:
    """The user's own change: every other session of the user ends, this browser gets a new
    one, and the forced change (after a reset) is over."""
    check_csrf()
    user, form = account(), request.form
    address = request.remote_addr or ""
    refusal = _write(
        lambda db: logins.refused(
            db, user.login, address=address, secret=app_secret(), via="password_change"
        )
    )
    if refusal is not None:  # no password is checked while the account must wait
        page, _status = _password_page(throttle_text(refusal), 429)
        return page, 429, {"Retry-After": str(refusal.seconds)}

    def change(db: Session) -> Any:
        users.change_own_password(
            db,
            user_id=user.id,
            current=form.get("current", ""),
            new=form.get("new", ""),
            repeated=form.get("repeated", ""),
            actor=f"web:{user.login}",
        )
        return start_session(db, user.id)

    try:
        started = _write(change)
    except users.WrongPassword as error:  # a guess like a failed login: counted, committed
        _write(
            lambda db: logins.count_wrong_password(
                db, user.login, address=address, secret=app_secret()
            )
        )
        return _password_page(message(error), error.status)
    except GeoAppError as error:
        return _password_page(message(error), error.status)
    keep_session(started)
    return redirect(PASSWORD_PAGE + "?done=1" + ("&lang=en" if lang() == "en" else ""))
