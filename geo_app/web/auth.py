"""Login, logout and the request's user: a signed session cookie, or HTTP Basic for scripts.

Browsers log in with the form and carry Flask's signed session cookie (HttpOnly, SameSite=Lax);
every state-changing request from a browser also carries the session's CSRF token, as the form
field ``csrf_token`` or the header ``X-CSRF-Token``. Scripts may instead send HTTP Basic
credentials on each ``/api/`` request (``curl -u login:password``); such requests need no CSRF
token because a browser cannot be tricked into sending them: the API only accepts
``application/json`` bodies, which a cross-site form cannot produce.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sansio.blueprints import BlueprintSetupState
from flask_babel import gettext
from werkzeug.wrappers import Response as BaseResponse

from geo_app.db import session_scope
from geo_app.models import Role
from geo_app.services.accounts.login import Account, active_account, authenticate
from geo_app.web.context import engine, lang, read_session

bp = Blueprint("auth", __name__)

View = TypeVar("View", bound=Callable[..., Any])

USER_KEY = "uid"
CSRF_KEY = "csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


@bp.record_once
def _configure(state: BlueprintSetupState) -> None:
    """Registering the blueprint hardens the session cookie and offers the token to templates."""
    state.app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    state.app.jinja_env.globals.update(csrf_token=csrf_token, current_user=current_user)


def csrf_token() -> str:
    """This session's CSRF token, made on first use."""
    if CSRF_KEY not in session:
        session[CSRF_KEY] = secrets.token_urlsafe(32)
    return cast(str, session[CSRF_KEY])


def check_csrf() -> None:
    """Refuse (400) a browser's state-changing request without the session's token.

    Requests authenticated by HTTP Basic are exempt (see the module docstring).
    """
    if g.get("geo_app_auth") == "basic":
        return
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    expected = session.get(CSRF_KEY) or ""
    if not expected or not hmac.compare_digest(sent.encode(), str(expected).encode()):
        abort(400, description="missing or wrong CSRF token; reload the page and try again")


def _is_api() -> bool:
    """Machine paths: HTTP Basic is accepted and a missing login is a 401, not a redirect."""
    return request.path.startswith(("/api/", "/tiles/"))


def current_user() -> Account | None:
    """The logged-in account of this request (cached for the request), or None.

    On ``/api/`` paths HTTP Basic credentials win over the cookie; wrong ones give None.
    """
    if "geo_app_user" in g:
        return cast(Account | None, g.geo_app_user)
    account: Account | None = None
    basic = request.authorization if _is_api() else None
    if basic is not None and basic.type == "basic":
        g.geo_app_auth = "basic"
        with session_scope(engine()) as db:
            account = authenticate(
                db, basic.username or "", basic.password or "", record_login=False
            )
    elif isinstance(session.get(USER_KEY), int):
        g.geo_app_auth = "session"
        with read_session() as db:
            account = active_account(db, session[USER_KEY])
    g.geo_app_user = account
    return account


def unauthorized() -> BaseResponse:
    """401 with a JSON message on machine paths, else a redirect to the login form."""
    if _is_api():
        response = jsonify({"error": "log in first (session cookie or HTTP Basic credentials)"})
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Basic realm="geo_app", charset="UTF-8"'
        return response
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def login_required(view: View) -> View:
    """Anyone logged in; otherwise 401 on the API and a redirect to the login page elsewhere."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            return unauthorized()
        return view(*args, **kwargs)

    return cast(View, wrapper)


def roles_required(*roles: Role) -> Callable[[View], View]:
    """Logged in with one of ``roles``; 403 for other roles."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                return unauthorized()
            if user.role not in roles:
                abort(403, description="your role may not do this")
            return view(*args, **kwargs)

        return cast(View, wrapper)

    return decorate


def _safe_next(target: str | None) -> str:
    """Only a path on this site, so the login page cannot be used to send users elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


def _login_page(error: bool, status: int = 200) -> tuple[str, int]:
    language = lang()
    title = gettext("Log in")
    next_path = _safe_next(request.values.get("next"))
    page = render_template("login.html", title=title, lang=language, error=error, next=next_path)
    return page, status


@bp.get("/login")
def login() -> tuple[str, int] | BaseResponse:
    if current_user() is not None:
        return redirect(_safe_next(request.args.get("next")))
    return _login_page(error=False)


@bp.post("/login")
def login_post() -> tuple[str, int] | BaseResponse:
    """Same answer for an unknown login, a wrong password and an inactive account."""
    check_csrf()
    name = request.form.get("login", "")
    password = request.form.get("password", "")
    with session_scope(engine()) as db, db.begin():
        account = authenticate(db, name, password)
    if account is None:
        return _login_page(error=True, status=401)
    session.clear()  # no fixation: a fresh session and a fresh token after login
    session[USER_KEY] = account.id
    csrf_token()
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
def logout() -> Response | BaseResponse:
    check_csrf()
    session.clear()
    return redirect(url_for("auth.login"))
