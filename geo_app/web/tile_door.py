"""The tiles' fast door: a browser's tile without Flask's request machinery.

Why: a map page asks tens of tiles at once, and Flask's request context, signed-cookie
session, routing and after-request hooks cost ~0.5 ms of the ~1 ms of Python a tile request
took (the bench's gap to the raw ``ST_AsMVT`` query). Only the plain case passes here: ``GET
/tiles/<name>/<z>/<x>/<y>.mvt`` with a live browser session and printable parameters.
Everything else goes to the Flask app unchanged, which answers as before (a 401, a 400 with
its message, a 404, HTTP Basic with its throttle, an error page): no cookie, a dead session,
``Authorization``, a control character, a bad month or tile, an unknown layer, any error.

One round trip a tile: the first tile of a session is answered after ``sessions.lookup`` (two
round trips); the door then remembers the session's account, and each next tile's statement
(the cache's validity check, or the drawing) runs behind the lookup itself (``sessions.GATE``,
a ``db.Gate``) in the same round trip, drawn for the remembered scope. An ended or expired
session, a deactivated user, a changed account or a password to change gives no row or a
different account: the door forgets the session and checks it again as above, so nothing is
drawn for or sent to a session that is not live. A second round trip cost a tile ~0.8 ms end
to end here (``scripts/bench``). With a replica (tiles read there, sessions on the primary)
the door keeps the two round trips.

Nothing is decided twice: the session is read by the same serializer and the same lookup
(``services/accounts/sessions.py``) as ``web/auth.py``, the tile and its headers come from
``web.tiles.answer`` (the view's own), the security headers from ``web/headers.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import partial
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask
from werkzeug.datastructures import ETags, MultiDict
from werkzeug.http import parse_accept_header, parse_etags

from geo_app.control_chars import IDENTIFIER_FORBIDDEN
from geo_app.services.accounts import sessions
from geo_app.services.accounts.login import Account
from geo_app.web.auth import SESSION_KEY
from geo_app.web.context import on_bare_connection, settings
from geo_app.web.headers import PLAIN
from geo_app.web.tiles import Answer, Asked, answer, answer_gated

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

KNOWN_SESSIONS = 10_000
"""Sessions whose account the door remembers (all are forgotten at once beyond this)."""

PATH = re.compile(r"/tiles/([a-z_]{1,40})/(\d{1,2})/(\d{1,7})/(\d{1,7})\.mvt")


class TileDoor:
    """WSGI middleware in front of the Flask app (``create_app`` installs it)."""

    def __init__(self, app: Flask, inner: WSGIApp) -> None:
        self.app = app
        self.inner = inner
        self.served = 0  # tiles answered here (the tests check the door is taken)
        # Flask's own cookie reader, made once (Flask makes it anew for every request).
        self._serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        self._lifetime = int(app.permanent_session_lifetime.total_seconds())
        # The account each session id (its hash) was last seen with: the scope to draw the next
        # tile for. A guess, never trusted: the tile's statement checks the session itself.
        self._known: dict[str, Account] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        found = self._plain(environ)
        if found is None:
            return self.inner(environ, start_response)
        status = f"{found.status} {HTTPStatus(found.status).phrase}"
        start_response(status, [*found.headers.items(), *self.app.extensions[PLAIN].items()])
        self.served += 1
        return [found.body]

    def _plain(self, environ: dict[str, Any]) -> Answer | None:
        """The answer of a plain tile request, or None to let Flask answer it."""
        matched = PATH.fullmatch(environ.get("PATH_INFO", ""))
        if matched is None or environ.get("REQUEST_METHOD") != "GET":
            return None
        if "HTTP_AUTHORIZATION" in environ:
            return None
        query = environ.get("QUERY_STRING", "")
        args = MultiDict(parse_qsl(query, keep_blank_values=True))
        if any(
            IDENTIFIER_FORBIDDEN.search(part) for pair in args.items(multi=True) for part in pair
        ):
            return None
        raw_id = self._session_id(environ.get("HTTP_COOKIE", ""))
        if raw_id is None:
            return None
        try:
            with self.app.app_context():
                return self._answer(environ, matched, args, raw_id)
        except Exception:  # Flask answers it again, with its message or page
            return None

    def _answer(
        self, environ: dict[str, Any], matched: re.Match[str], args: MultiDict, raw_id: str
    ) -> Answer | None:
        config = settings()
        name, z, x, y = matched.groups()
        ask = partial(Asked, name, z, x, y, args)
        etags = parse_etags(environ.get("HTTP_IF_NONE_MATCH"))
        gzip_ok = parse_accept_header(environ.get("HTTP_ACCEPT_ENCODING"))["gzip"] > 0
        hashed = sessions.token_hash(raw_id)
        known = self._known.get(hashed)
        if known is not None and config.read_database_url is None:
            values = sessions.gate_values(
                raw_id, idle=config.session_idle, max_age=config.session_max_age
            )
            gated = self._gated(raw_id, values, known, ask(known.scope_unit_id), etags, gzip_ok)
            if gated is not None:
                return gated
            self._known.pop(hashed, None)
        live = on_bare_connection(
            lambda connection: sessions.lookup(
                connection, raw_id, idle=config.session_idle, max_age=config.session_max_age
            )
        )
        if live is None or live.account.must_change_password:
            return None  # Flask answers: 401, or 403 until the password is changed
        if len(self._known) >= KNOWN_SESSIONS:
            self._known.clear()
        self._known[hashed] = live.account
        return answer(ask(live.account.scope_unit_id), etags, gzip_ok)

    def _gated(
        self,
        raw_id: str,
        values: dict[str, Any],
        known: Account,
        asked: Asked,
        etags: ETags,
        gzip_ok: bool,
    ) -> Answer | None:
        """The tile drawn behind the session check (``values``: its parameters), in one round
        trip, for the account this session had; None if the session has ended or its account
        is no longer the same."""
        found = answer_gated(asked, etags, gzip_ok, (sessions.GATE, values))
        if found is None:
            return None
        tile, row = found
        live = sessions.live_of(row)
        if live.account != known or live.account.must_change_password:
            return None
        if live.stale:
            on_bare_connection(lambda connection: sessions.touch(connection, raw_id))
        return tile

    def _session_id(self, cookie_header: str) -> str | None:
        """The session id in the signed session cookie, read as Flask's session would."""
        try:
            morsel = SimpleCookie(cookie_header).get(self.app.config["SESSION_COOKIE_NAME"])
        except CookieError:
            return None
        if morsel is None or self._serializer is None:
            return None
        try:
            data = self._serializer.loads(morsel.value, max_age=self._lifetime)
        except Exception:  # a bad or old cookie: Flask treats it as none
            return None
        found = data.get(SESSION_KEY) if isinstance(data, dict) else None
        return found if isinstance(found, str) else None
