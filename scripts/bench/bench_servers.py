"""The two servers measured side by side, each a child process on a loopback port.

geo_app runs under waitress with 8 threads; pygeoapi runs from its own virtualenv
(``var/bench/pygeoapi-venv``, made here with pip on first use, so its pins never touch the
app's) under the same waitress settings, serving plain copies of the same tables.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import requests
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "var" / "bench"
PYGEOAPI_VENV = WORK / "pygeoapi-venv"
PYGEOAPI_PACKAGES = ("pygeoapi", "geoalchemy2", "psycopg2-binary", "waitress")
THREADS = 8

APP_SERVER = """
import logging
import sys
from waitress import serve
logging.getLogger("waitress.queue").setLevel(logging.ERROR)
from geo_app import create_app
from geo_app.config import Settings
app = create_app(Settings.from_env(), database_url=sys.argv[1])
from geo_app.web.tiles import start_warming
start_warming(app).wait(300)  # as `geo-app serve` does, and measured once it is warm
serve(app, host="127.0.0.1", port=int(sys.argv[2]), threads={threads}, _quiet=True)
"""


@dataclass
class Server:
    """A running child server: its base URL and process."""

    name: str
    url: str
    process: subprocess.Popen[bytes]

    def peak_memory_mib(self) -> float:
        """The process's peak resident set (VmHWM) so far."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(row for row in status.splitlines() if row.startswith("VmHWM:"))
        return int(line.split()[1]) / 1024

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _die_with_parent() -> None:
    """In the child, before exec: be sent SIGTERM when the bench process dies, however it dies
    (Linux ``prctl(PR_SET_PDEATHSIG)``), so no server outlives a killed bench."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_ready(server: Server, path: str) -> Server:
    deadline = time.monotonic() + 300  # geo_app warms its pages' tiles first (~40 s)
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}")
        try:
            if requests.get(server.url + path, timeout=5).status_code == 200:
                return server
        except requests.ConnectionError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{server.name} did not answer {path} within 300 s")


def start_app(database_url: str) -> Server:
    port = free_port()
    env = {**os.environ, "GEO_APP_BASEMAP": "none", "GEO_APP_STATE_DIR": str(ROOT / "var")}
    process = subprocess.Popen(
        [sys.executable, "-c", APP_SERVER.format(threads=THREADS), database_url, str(port)],
        env=env,
        preexec_fn=_die_with_parent,
    )
    return _wait_ready(Server("geo_app", f"http://127.0.0.1:{port}", process), "/healthz")


def ensure_pygeoapi(say: object = print) -> Path:
    """pygeoapi's own virtualenv, made with pip on first use."""
    python = PYGEOAPI_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PYGEOAPI_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *PYGEOAPI_PACKAGES], check=True
        )
    return python


def _collection(table: str, data: Mapping[str, object]) -> dict[str, object]:
    common = {"data": data, "id_field": "id", "table": table, "geom_field": "geom"}
    return {
        "type": "collection",
        "title": table,
        "description": table,
        "keywords": [table],
        "extents": {"spatial": {"bbox": [102, 6, 118, 24]}},
        "providers": [
            {"type": "feature", "name": "PostgreSQL", **common},
            {
                "type": "tile",
                "name": "MVT-postgresql",
                **common,
                "options": {"zoom": {"min": 0, "max": 22}},
                "format": {"name": "pbf", "mimetype": "application/vnd.mapbox-vector-tile"},
            },
        ],
    }


def _pygeoapi_config(database_url: str, port: int, tables: tuple[str, ...]) -> dict[str, object]:
    url = make_url(database_url)
    data = {
        "host": url.host,
        "port": url.port,
        "dbname": url.database,
        "user": url.username,
        "password": url.password,
        "search_path": ["public"],
    }
    contact = {"name": "bench", "url": "http://127.0.0.1", "role": "pointOfContact"}
    return {
        "server": {
            "bind": {"host": "127.0.0.1", "port": port},
            "url": f"http://127.0.0.1:{port}",
            "mimetype": "application/json; charset=UTF-8",
            "encoding": "utf-8",
            "languages": ["en-US"],
            "limits": {"default_items": 5000, "max_items": 5000},
            "map": {"url": "http://127.0.0.1/{z}/{x}/{y}.png", "attribution": "none"},
        },
        "logging": {"level": "ERROR"},
        "metadata": {
            "identification": {
                "title": "bench",
                "description": "bench",
                "keywords": ["bench"],
                "terms_of_service": "none",
                "url": "http://127.0.0.1",
            },
            "license": {"name": "none", "url": "http://127.0.0.1"},
            "provider": {"name": "bench", "url": "http://127.0.0.1"},
            "contact": contact,
        },
        "resources": {table.removeprefix("bench_"): _collection(table, data) for table in tables},
    }


def start_pygeoapi(database_url: str, tables: tuple[str, ...]) -> Server:
    python = ensure_pygeoapi()
    port = free_port()
    WORK.mkdir(parents=True, exist_ok=True)
    config = WORK / "pygeoapi.config.json"  # JSON is YAML too
    config.write_text(json.dumps(_pygeoapi_config(database_url, port, tables), indent=1))
    openapi = WORK / "pygeoapi.openapi.yml"
    pygeoapi = python.parent / "pygeoapi"
    with openapi.open("w") as out:
        subprocess.run([str(pygeoapi), "openapi", "generate", str(config)], check=True, stdout=out)
    env = {**os.environ, "PYGEOAPI_CONFIG": str(config), "PYGEOAPI_OPENAPI": str(openapi)}
    process = subprocess.Popen(
        [
            str(python),
            "-m",
            "waitress",
            "--host=127.0.0.1",
            f"--port={port}",
            f"--threads={THREADS}",
            "pygeoapi.flask_app:APP",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_die_with_parent,
    )
    return _wait_ready(Server("pygeoapi", f"http://127.0.0.1:{port}", process), "/collections")
