"""Login, logout and the request's user: a server-side session, or HTTP Basic for scripts.

Browsers log in with the form; the signed session cookie (HttpOnly, SameSite=Lax) then carries
only a random session id, checked against ``app_session`` on every request (see
``services/accounts/sessions.py``): logout, a password, role, scope or activity change, idle
time and the absolute lifetime end it on the server. Every state-changing request from a
browser also carries the session's CSRF token, as the form field ``csrf_token`` or the header
``X-CSRF-Token`` (before login, the token lives in the cookie). Scripts may instead send HTTP
Basic credentials on each ``/api/`` request (``curl -u login:password``); such requests need no
CSRF token because a browser cannot be tricked into sending them: the API only accepts
``application/json`` bodies, which a cross-site form cannot produce. A verified Basic check is
remembered for a minute (``services/accounts/credentials.py``).

Both doors sit behind the login throttle (``services/accounts/throttle.py``): a refused attempt
answers 429 with ``Retry-After``. The client address is ``request.remote_addr``; behind a
reverse proxy, wrap the app in werkzeug's ``ProxyFix`` so it is the client's, not the proxy's.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta, timezone
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
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
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session as DbSession
from werkzeug.wrappers import Response as BaseResponse

from geo_app import urls
from geo_app.db import session_scope
from geo_app.domain.vocabulary import USER_ROLES
from geo_app.errors import N_
from geo_app.models import Role
from geo_app.services.accounts import sessions
from geo_app.services.accounts.admin import MANAGERS
from geo_app.services.accounts.credentials import CredentialCache
from geo_app.services.accounts.login import Account, active_account, attempt
from geo_app.services.accounts.throttle import Refusal
from geo_app.web.context import engine, lang, on_bare_connection, settings
from geo_app.web.negotiation import is_ogc_path, wants_page

bp = Blueprint("auth", __name__)

View = TypeVar("View", bound=Callable[..., Any])

SESSION_KEY = "sid"
CSRF_KEY = "csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
VIETNAM_TIME = timezone(timedelta(hours=7))
"""When to retry is said in the users' own clock (Vietnam has no daylight saving)."""
OPEN_TO_MUST_CHANGE = "geo_app_open_to_must_change"
PASSWORD_PAGE = "/account/password"
"""One's own password change (``web/users.py``): where the gate sends a user who must."""


@bp.record_once
def _configure(state: BlueprintSetupState) -> None:
    """Registering the blueprint hardens the session cookie and offers the token to templates."""
    state.app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    state.app.jinja_env.globals.update(
        csrf_token=csrf_token, current_user=current_user, user_bar=user_bar
    )


def app_secret() -> bytes:
    """The app's secret key as bytes: it names the throttle's counters and keys the
    remembered HTTP Basic checks."""
    return settings().secret_key.encode()


def _credential_cache() -> CredentialCache:
    found = current_app.extensions.get("geo_app.credential_cache")
    if found is None:
        made = CredentialCache(app_secret())
        found = current_app.extensions.setdefault("geo_app.credential_cache", made)
    assert isinstance(found, CredentialCache)
    return found


def csrf_token() -> str:
    """This session's CSRF token: the server session's once logged in, else the cookie's
    (made on first use)."""
    if current_user() is not None and g.get("geo_app_csrf"):
        return cast(str, g.geo_app_csrf)
    if CSRF_KEY not in session:
        session[CSRF_KEY] = secrets.token_urlsafe(32)
    return cast(str, session[CSRF_KEY])


def check_csrf() -> None:
    """Refuse (400) a browser's state-changing request without the session's token.

    Requests authenticated by HTTP Basic are exempt (see the module docstring).
    """
    logged_in = current_user() is not None
    if g.get("geo_app_auth") == "basic":
        return
    expected = g.get("geo_app_csrf") if logged_in else session.get(CSRF_KEY)
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if not expected or not hmac.compare_digest(sent.encode(), str(expected).encode()):
        abort(400, description="missing or wrong CSRF token; reload the page and try again")


def _is_api() -> bool:
    """Machine paths: HTTP Basic is accepted and a missing login is a 401, not a redirect (the
    OGC API's HTML pages still send a browser to the login form)."""
    return request.path.startswith(("/api/", "/tiles/")) or is_ogc_path()


def current_user() -> Account | None:
    """The logged-in account of this request (cached for the request), or None.

    On ``/api/`` paths HTTP Basic credentials win over the cookie; wrong ones give None, and a
    throttled attempt ends the request with a 429.
    """
    if "geo_app_user" in g:
        return cast(Account | None, g.geo_app_user)
    account: Account | None = None
    basic = request.authorization if _is_api() else None
    if basic is not None and basic.type == "basic":
        g.geo_app_auth = "basic"
        account = _basic_account(basic.username or "", basic.password or "")
    elif isinstance(session.get(SESSION_KEY), str):
        g.geo_app_auth = "session"
        account = _session_account(session[SESSION_KEY])
    g.geo_app_user = account
    return account


def _session_account(raw_id: str) -> Account | None:
    """The account of a live server session; a dead one is dropped from the cookie."""
    config = settings()
    live = on_bare_connection(
        lambda connection: sessions.lookup(
            connection, raw_id, idle=config.session_idle, max_age=config.session_max_age
        )
    )
    if live is None:
        session.pop(SESSION_KEY, None)
        return None
    g.geo_app_csrf = live.csrf_token
    return live.account


def _basic_account(name: str, password: str) -> Account | None:
    """HTTP Basic: a check remembered for a minute costs one read; otherwise a full login
    attempt behind the throttle (a refusal aborts with 429)."""
    cache = _credential_cache()
    remembered = cache.get(name, password)
    if remembered is not None:
        account = on_bare_connection(lambda c: active_account(c, remembered.user_id))
        if account is not None and account.password_tag == remembered.password_tag:
            return account
        cache.drop(name, password)
    with session_scope(engine()) as db, db.begin():
        outcome = attempt(
            db,
            name,
            password,
            address=request.remote_addr or "",
            secret=app_secret(),
            via="basic",
            record_login=False,
        )
    if isinstance(outcome, Refusal):
        abort(throttled(outcome))
    if outcome is not None:
        cache.put(name, password, outcome.id, outcome.password_tag)
    return outcome


def throttle_text(refusal: Refusal) -> str:
    """When the throttled user may try again, in the page's language."""
    at = refusal.retry_at.astimezone(VIETNAM_TIME).strftime("%H:%M:%S")
    return gettext(
        "Too many failed logins. Try again after %(time)s (in %(seconds)s s).",
        time=at,
        seconds=refusal.seconds,
    )


def throttled(refusal: Refusal) -> Response:
    """429 saying when to retry: JSON on machine paths, the login form for people."""
    text = throttle_text(refusal)
    if _is_api():
        response = jsonify({"error": text, "retry_after": refusal.retry_at.isoformat()})
    else:
        response = current_app.make_response(_login_page(error=text))
    response.status_code = 429
    response.headers["Retry-After"] = str(refusal.seconds)
    return response


@dataclass(frozen=True)
class UserBar:
    """Who is logged in, as the top bar of every page shows it."""

    login: str
    role: str
    scope: str
    manages_users: bool = False
    """Whether the user administration (``/admin/users``) is open to this user."""


def user_bar() -> UserBar | None:
    """The logged-in user's login, role and scope in the page's language (None for visitors)."""
    try:
        user = current_user()
    except SQLAlchemyError:  # the error page of a failing database still renders
        return None
    if user is None:
        return None
    if user.scope_unit_id is None:
        scope = gettext("national")
    else:
        scope = f"{user.scope_name} ({user.scope_code})"
    role = USER_ROLES.label(user.role.value, lang())
    return UserBar(user.login, role, scope, user.role in MANAGERS)


def open_while_password_must_change(view: View) -> View:
    """Mark a view that a user who must change their password may still open (the change page
    itself, logging in and out); every other view is closed to them by the gate below."""
    setattr(view, OPEN_TO_MUST_CHANGE, True)
    return view


@bp.before_app_request
def _password_change_gate() -> BaseResponse | None:
    """After a reset, an account opens nothing but the password change page: pages send the
    browser there, APIs (and HTTP Basic) answer 403 saying so."""
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or request.endpoint == "static" or getattr(view, OPEN_TO_MUST_CHANGE, False):
        return None
    user = current_user()
    if user is None or not user.must_change_password:
        return None
    if _is_api():
        text = gettext("Change your password in the web page (log in there) before going on.")
        response = jsonify({"error": text})
        response.status_code = 403
        return response
    return redirect(PASSWORD_PAGE + ("?lang=en" if lang() == "en" else ""))


def unauthorized() -> BaseResponse:
    """401 with a JSON message on machine paths, else a redirect to the login form.

    A page's own script (``X-Requested-With: XMLHttpRequest``) gets no Basic challenge: the
    browser would answer it with its password dialog, which blocks the page (the field page
    sends its officer to the login form instead)."""
    if _is_api() and not wants_page():
        response = jsonify({"error": "log in first (session cookie or HTTP Basic credentials)"})
        response.status_code = 401
        if request.headers.get("X-Requested-With") != "XMLHttpRequest":
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
                abort(403, description=N_("your role may not do this"))
            return view(*args, **kwargs)

        return cast(View, wrapper)

    return decorate


def _safe_next(target: str | None) -> str:
    """Only a path on this site, so the login page cannot be used to send users elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else "/"


def _login_page(error: str | None, status: int = 200) -> tuple[str, int]:
    language = lang()
    title = gettext("Log in")
    next_path = _safe_next(request.values.get("next"))
    page = render_template(
        "login.html",
        title=title,
        lang=language,
        error=error,
        next=next_path,
        field_path=urls.FIELD_PATH,
    )
    return page, status


@bp.get("/login")
@open_while_password_must_change
def login() -> tuple[str, int] | BaseResponse:
    if current_user() is not None:
        return redirect(_safe_next(request.args.get("next")))
    return _login_page(error=None)


@bp.post("/login")
@open_while_password_must_change
def login_post() -> tuple[str, int] | BaseResponse:
    """Same answer for an unknown login, a wrong password and an inactive account; a new
    session id at every login (no fixation)."""
    check_csrf()
    name = request.form.get("login", "")
    password = request.form.get("password", "")
    previous = session.get(SESSION_KEY)
    with session_scope(engine()) as db, db.begin():
        outcome = attempt(
            db, name, password, address=request.remote_addr or "", secret=app_secret(), via="form"
        )
        if isinstance(outcome, Account):
            if isinstance(previous, str):
                sessions.end(db, previous)
            started = start_session(db, outcome.id)
    if isinstance(outcome, Refusal):
        return throttled(outcome)
    if outcome is None:
        return _login_page(error=gettext("Wrong login or password."), status=401)
    keep_session(started)
    return redirect(_safe_next(request.form.get("next")))


def start_session(db: DbSession, user_id: int) -> sessions.Started:
    """A new server session for the user (the caller commits, then ``keep_session``)."""
    config = settings()
    return sessions.start(db, user_id, idle=config.session_idle, max_age=config.session_max_age)


def keep_session(started: sessions.Started) -> None:
    """This browser's cookie now carries ``started`` and nothing else (a fresh id)."""
    session.clear()
    session[SESSION_KEY] = started.raw_id


@bp.post("/logout")
@open_while_password_must_change
def logout() -> Response | BaseResponse:
    """Ends every session of the user, on every device, not only this browser's."""
    check_csrf()
    user = current_user()
    if user is not None and g.get("geo_app_auth") == "session":
        with session_scope(engine()) as db, db.begin():
            sessions.end_all(db, user.id)
    session.clear()
    return redirect(url_for("auth.login"))
