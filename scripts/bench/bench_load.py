"""Timing loops: one request at a time for latencies, eight threads for throughput.

The client is Python (requests), on the same two cores as the servers and PostgreSQL, so the
throughput figures are a floor for what a separate client machine would see.
"""

from __future__ import annotations

import gzip
import math
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests

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


def timed(get: Callable[[], requests.Response]) -> tuple[float, int, int]:
    started = time.perf_counter()
    response = get()
    elapsed = (time.perf_counter() - started) * 1000
    response.raise_for_status()
    sent = int(response.headers.get("Content-Length") or len(response.content))
    return elapsed, sent, len(response.content)


def sequential(requests_: Sequence[Callable[[], requests.Response]]) -> Timing:
    results = [timed(get) for get in requests_]
    return Timing([r[0] for r in results], [r[1] for r in results], [r[2] for r in results])


def concurrent(jobs: Sequence[Callable[[requests.Session], None]], threads: int = 8) -> float:
    """Jobs per second with ``threads`` workers, each with its own keep-alive session."""
    local = threading.local()

    def run(job: Callable[[requests.Session], None]) -> None:
        if not hasattr(local, "session"):
            local.session = requests.Session()
        job(local.session)

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(run, jobs))
    return len(jobs) / (time.perf_counter() - started)


def gzip_size(body: bytes) -> int:
    return len(gzip.compress(body, 6))
