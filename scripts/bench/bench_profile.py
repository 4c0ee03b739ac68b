"""Where a page's build time goes: each SQL statement, and the view's steps under cProfile.

Runs the app in this process on the bench database (Flask's test client, logged in with the
form first, not timed), so no HTTP server or socket is involved:

- ``build_ms``: the median of five builds, without any profiler;
- ``sql``: every statement of one build with its time, grouped by the geo_app function that
  ran it (timed with SQLAlchemy's cursor events; the rest of the build is Python);
- ``steps``: the view's callees (and theirs, two levels) with their cumulative time, measured
  once under cProfile (which slows Python down, so read them as shares).
"""

from __future__ import annotations

import cProfile
import pstats
import statistics
import time
import traceback
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from bench_login import form_token
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

import geo_app
from geo_app import create_app
from geo_app.config import Settings

PACKAGE = str(Path(next(iter(geo_app.__path__))).resolve())
Key = tuple[str, int, str]


@dataclass(frozen=True)
class Profile:
    """One page's build, taken apart."""

    build_ms: float
    timed_ms: float  # the one build whose statements were timed
    sql_ms: float
    statements: int
    sql: list[tuple[str, int, float]]  # (where, statements, ms), slowest first
    steps: list[tuple[int, str, float]]  # (depth, function, ms under cProfile), in call order
    profiled_ms: float


class _SqlTimer:
    """Times each cursor execution and charges it to the innermost geo_app frame."""

    def __init__(self) -> None:
        self.active = False
        self.spent: dict[str, list[float]] = defaultdict(list)

    def before(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def after(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        started = conn.info["bench_started"].pop()
        if self.active:
            self.spent[_caller()].append((time.perf_counter() - started) * 1000)


def _caller() -> str:
    for frame in reversed(traceback.extract_stack()):
        if frame.filename.startswith(PACKAGE) and not frame.filename.endswith("/db.py"):
            where = Path(frame.filename).relative_to(PACKAGE).with_suffix("")
            return f"{'.'.join(where.parts)}.{frame.name}"
    return "(outside geo_app)"


def _client(app: Flask, user: str, password: str) -> FlaskClient:
    client = app.test_client()
    form = client.get("/login")
    answer = client.post(
        "/login",
        data={
            "csrf_token": form_token(form.text),
            "login": user,
            "password": password,
            "next": "/",
        },
    )
    if answer.status_code != 302:
        raise RuntimeError(f"in-process login failed: HTTP {answer.status_code}")
    return client


def _view_key(app: Flask, path: str) -> Key:
    adapter = app.url_map.bind("localhost")
    endpoint, _ = adapter.match(path.split("?")[0])
    code = app.view_functions[endpoint].__code__
    return code.co_filename, code.co_firstlineno, code.co_name


def _label(key: Key) -> str:
    filename, _, name = key
    if filename.startswith(PACKAGE):
        return f"{'.'.join(Path(filename).relative_to(PACKAGE).with_suffix('').parts)}.{name}"
    if filename.startswith("~") or filename.startswith("<"):
        return name
    parts = Path(filename).parts
    package = parts[parts.index("site-packages") + 1] if "site-packages" in parts else parts[-1]
    return f"{package}:{name}"


def _steps(stats: pstats.Stats, root: Key, total: float) -> list[tuple[int, str, float]]:
    raw: dict[Key, tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    callees: dict[Key, list[tuple[Key, float]]] = defaultdict(list)
    for func, (_, _, _, _, callers) in raw.items():
        for caller, timing in callers.items():
            callees[caller].append((func, float(timing[3]) * 1000))
    out: list[tuple[int, str, float]] = []

    def walk(key: Key, depth: int) -> None:
        for func, ms in sorted(callees.get(key, []), key=lambda item: -item[1]):
            if ms < max(total * 0.04, 1.0):
                continue
            out.append((depth, _label(func), ms))
            if depth < 3 and func[0].startswith(PACKAGE):
                walk(func, depth + 1)

    walk(root, 1)
    return out


def profile_pages(url: str, pages: dict[str, str], user: str, password: str) -> dict[str, Profile]:
    """Each page of ``pages`` (name -> path) built in this process and taken apart."""
    app = create_app(Settings.from_env({"GEO_APP_BASEMAP": "none"}), database_url=url)
    timer = _SqlTimer()
    sa.event.listen(Engine, "before_cursor_execute", timer.before)
    sa.event.listen(Engine, "after_cursor_execute", timer.after)
    try:
        client = _client(app, user, password)
        found = {}
        for name, path in pages.items():
            found[name] = _profile(app, client, timer, path)
        return found
    finally:
        sa.event.remove(Engine, "before_cursor_execute", timer.before)
        sa.event.remove(Engine, "after_cursor_execute", timer.after)
        for key in ("geo_app.engine", "geo_app.bare_engine"):
            engine = app.extensions.get(key)
            if isinstance(engine, Engine):
                engine.dispose()


@dataclass(frozen=True)
class TileProfile:
    """Tile requests in-process (no HTTP), on a cold cache: medians per request, in ms."""

    count: int
    total_ms: float
    sql: list[tuple[str, float]]  # (where, median ms per request), slowest first
    python_ms: float


def profile_tiles(url: str, paths: list[str], user: str, password: str) -> TileProfile:
    """Each tile path asked once through Flask's test client on an empty tile cache, with
    every statement timed: what the endpoint adds to the tile's own statement."""
    app = create_app(Settings.from_env({"GEO_APP_BASEMAP": "none"}), database_url=url)
    timer = _SqlTimer()
    sa.event.listen(Engine, "before_cursor_execute", timer.before)
    sa.event.listen(Engine, "after_cursor_execute", timer.after)
    totals: list[float] = []
    per_site: dict[str, list[float]] = defaultdict(list)
    try:
        client = _client(app, user, password)
        _get(client, paths[0])  # warm: pools, statement caches
        app.extensions.pop("geo_app.tile_cache", None)  # cold again
        for path in paths:
            timer.spent.clear()
            timer.active = True
            totals.append(_get(client, path, {"Accept-Encoding": "gzip"}))
            timer.active = False
            for where, ms in timer.spent.items():
                per_site[where].append(sum(ms))
    finally:
        sa.event.remove(Engine, "before_cursor_execute", timer.before)
        sa.event.remove(Engine, "after_cursor_execute", timer.after)
        for key in ("geo_app.engine", "geo_app.bare_engine"):
            engine = app.extensions.get(key)
            if isinstance(engine, Engine):
                engine.dispose()
    count = len(paths)
    sql = sorted(
        (
            (where, statistics.median(ms + [0.0] * (count - len(ms))))
            for where, ms in per_site.items()
        ),
        key=lambda item: -item[1],
    )
    total = statistics.median(totals)
    return TileProfile(count, total, sql, total - sum(ms for _, ms in sql))


def _get(client: FlaskClient, path: str, headers: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    response = client.get(path, headers=headers or {})
    took = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{path}: HTTP {response.status_code}")
    return took


def _profile(app: Flask, client: FlaskClient, timer: _SqlTimer, path: str) -> Profile:
    _get(client, path)  # warm: imports, caches, the pool's connection
    build = statistics.median(_get(client, path) for _ in range(5))
    timer.spent.clear()
    timer.active = True
    timed = _get(client, path)
    timer.active = False
    sql = sorted(
        ((where, len(ms), sum(ms)) for where, ms in timer.spent.items()), key=lambda r: -r[2]
    )
    profiler = cProfile.Profile()
    profiler.enable()
    profiled = _get(client, path)
    profiler.disable()
    steps = _steps(pstats.Stats(profiler), _view_key(app, path), profiled)
    return Profile(
        build_ms=build,
        timed_ms=timed,
        sql_ms=sum(r[2] for r in sql),
        statements=sum(r[1] for r in sql),
        sql=sql,
        steps=steps,
        profiled_ms=profiled,
    )
