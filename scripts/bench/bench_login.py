"""Logging the bench's clients in, outside every timed measurement.

Map pages, ``/tiles/`` and ``/api/`` need a login. The HTTP clients log in once with the form at
``/login`` (its CSRF token, then Flask's signed session cookie) and every timed request carries
that cookie, as a browser does (the timing loops' lean clients get copies of it). Chromium
logs in through its context's own request API, which shares the context's cookies but not its
HTTP cache, so each timed page visit is still a first visit with an empty cache.
"""

from __future__ import annotations

import re
import time

import requests
from bench_load import LeanSession
from playwright.sync_api import BrowserContext

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def form_token(html: str) -> str:
    found = CSRF.search(html)
    if found is None:
        raise RuntimeError("no CSRF token in the login form")
    return found.group(1)


def login(base: str, user: str, password: str) -> tuple[requests.Session, float]:
    """A session logged in with the form, and how long the login took (ms, GET + POST)."""
    session = requests.Session()
    started = time.perf_counter()
    form = session.get(f"{base}/login", timeout=60)
    form.raise_for_status()
    answer = session.post(
        f"{base}/login",
        data={
            "csrf_token": form_token(form.text),
            "login": user,
            "password": password,
            "next": "/",
        },
        allow_redirects=False,
        timeout=60,
    )
    took = (time.perf_counter() - started) * 1000
    if answer.status_code != 302:
        raise RuntimeError(f"login as {user!r} failed: HTTP {answer.status_code}")
    check = session.get(f"{base}/api/layers", timeout=60)
    if check.status_code != 200:
        raise RuntimeError(f"logged in, but /api/layers answered {check.status_code}")
    return session, took


def copy_of(session: requests.Session) -> LeanSession:
    """A new keep-alive client carrying ``session``'s login cookie (for the timing loops)."""
    return LeanSession(cookie="; ".join(f"{c.name}={c.value}" for c in session.cookies))


def basic(user: str, password: str) -> LeanSession:
    """A client sending HTTP Basic credentials on every request (``curl -u``)."""
    return LeanSession(auth=(user, password))


def browser_login(context: BrowserContext, base: str, user: str, password: str) -> None:
    """Log ``context`` in with the form, without loading a page (its HTTP cache stays empty)."""
    form = context.request.get(f"{base}/login", timeout=60_000)
    if not form.ok:
        raise RuntimeError(f"login form: HTTP {form.status}")
    answer = context.request.post(
        f"{base}/login",
        form={
            "csrf_token": form_token(form.text()),
            "login": user,
            "password": password,
            "next": "/",
        },
        max_redirects=0,
        timeout=60_000,
    )
    if answer.status != 302:
        raise RuntimeError(f"browser login as {user!r} failed: HTTP {answer.status}")
