"""Timing loops: one request at a time for latencies, eight threads for throughput.

The client is Python's own ``http.client`` over keep-alive connections (``LeanSession``): about
0.7 ms per request cheaper than ``requests`` here, so the latencies are the servers' rather than
the client library's. It runs on the same two cores as the servers and PostgreSQL, so the
throughput figures are a floor for what a separate client machine would see.
"""

from __future__ import annotations

import base64
import gzip
import http.client
import math
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from email.message import Message
from typing import Any, Protocol
from urllib.parse import urlsplit

Tile = tuple[int, int, int]
GZIP = {"Accept-Encoding": "gzip"}


@dataclass(frozen=True)
class Timing:
    """Milliseconds per request and bytes (as sent, and decoded)."""

    millis: list[float]
    sent: list[int]
    decoded: list[int]

    def p(self, q: float) -> float:
        ordered = sorted(self.millis)
        return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]

    @property
    def p50(self) -> float:
        return statistics.median(self.millis)


class Response(Protocol):
    """What the timing loops read of a response (``requests`` and ``LeanResponse`` both fit)."""

    status_code: int

    @property
    def headers(self) -> Any: ...

    @property
    def content(self) -> bytes: ...

    def raise_for_status(self) -> None: ...


class LeanResponse:
    """A response as read off the wire; ``content`` is decoded only when asked (not timed)."""

    def __init__(self, url: str, status: int, headers: Message, body: bytes) -> None:
        self.url = url
        self.status_code = status
        self.headers = headers
        self.sent = len(body)
        self._body = body

    @property
    def content(self) -> bytes:
        if (self.headers.get("Content-Encoding") or "").lower() == "gzip":
            return gzip.decompress(self._body)
        return self._body

    def raise_for_status(self) -> None:
        if self.status_code >= 400:
            raise RuntimeError(f"HTTP {self.status_code} for {self.url}")


class LeanSession:
    """GET over one keep-alive ``http.client`` connection per host, with fixed headers (the
    login cookie, or HTTP Basic credentials)."""

    def __init__(self, cookie: str = "", auth: tuple[str, str] | None = None) -> None:
        self.headers: dict[str, str] = {}
        if cookie:
            self.headers["Cookie"] = cookie
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            self.headers["Authorization"] = f"Basic {token}"
        self._connections: dict[str, http.client.HTTPConnection] = {}

    def get(
        self, url: str, headers: dict[str, str] | None = None, timeout: float = 60
    ) -> LeanResponse:
        return self.request("GET", url, headers=headers, timeout=timeout)

    def request(
        self,
        method: str,
        url: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 60,
    ) -> LeanResponse:
        """Any method (the field benchmark writes with POST and PATCH); a body is sent as is."""
        parts = urlsplit(url)
        path = parts.path + ("?" + parts.query if parts.query else "")
        sent = {**self.headers, **(headers or {})}
        call = (method, url, path, body, sent)
        connection = self._connections.pop(parts.netloc, None)
        if connection is not None:
            try:
                return self._send(connection, parts.netloc, call)
            except (http.client.HTTPException, OSError):  # a dropped keep-alive: once more
                connection.close()
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=timeout)
        return self._send(connection, parts.netloc, call)

    def _send(
        self,
        connection: http.client.HTTPConnection,
        host: str,
        call: tuple[str, str, str, bytes | None, dict[str, str]],
    ) -> LeanResponse:
        method, url, path, body, headers = call
        connection.request(method, path, body=body, headers=headers)
        answer = connection.getresponse()
        body = answer.read()
        if answer.will_close:
            connection.close()
        else:
            self._connections[host] = connection
        return LeanResponse(url, answer.status, answer.headers, body)


def tile_of(lon: float, lat: float, z: int) -> Tile:
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return z, int((lon + 180) / 360 * n), int(y)


def tile_bbox(tile: Tile) -> tuple[float, float, float, float]:
    z, x, y = tile
    n = 2**z

    def lat(row: int) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return x / n * 360 - 180, lat(y + 1), (x + 1) / n * 360 - 180, lat(y)


def sample_tiles(points: Sequence[tuple[float, float]], zooms: range, total: int) -> list[Tile]:
    """``total`` distinct tiles over ``zooms``, as even as the country's extent allows."""
    per_zoom = {z: list(dict.fromkeys(tile_of(lon, lat, z) for lon, lat in points)) for z in zooms}
    chosen: list[Tile] = []
    share = total // len(zooms)
    for z in zooms:
        chosen += per_zoom[z][:share]
    for z in reversed(zooms):  # fill what the coarse zooms could not offer from the fine ones
        spare = [t for t in per_zoom[z][share:] if t not in chosen]
        chosen += spare[: total - len(chosen)]
    return sorted(chosen[:total])


def timed(get: Callable[[], Response]) -> tuple[float, int, int]:
    started = time.perf_counter()
    response = get()
    elapsed = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    content = response.content
    sent = getattr(response, "sent", None) or response.headers.get("Content-Length")
    return elapsed, int(sent or len(content)), len(content)


def sequential(requests_: Sequence[Callable[[], Response]]) -> Timing:
    results = [timed(get) for get in requests_]
    return Timing([r[0] for r in results], [r[1] for r in results], [r[2] for r in results])


def concurrent(
    jobs: Sequence[Callable[[LeanSession], None]],
    threads: int = 8,
    make_session: Callable[[], LeanSession] = LeanSession,
) -> float:
    """Jobs per second with ``threads`` workers, each with its own keep-alive session (made by
    ``make_session``, e.g. one carrying the login cookie)."""
    local = threading.local()

    def run(job: Callable[[LeanSession], None]) -> None:
        if not hasattr(local, "session"):
            local.session = make_session()
        job(local.session)

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(run, jobs))
    return len(jobs) / (time.perf_counter() - started)


def gzip_size(body: bytes) -> int:
    return len(gzip.compress(body, 6))
