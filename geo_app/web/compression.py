"""gzip for HTML, JS, CSS and JSON when the client accepts it.

Why: a first visit of a map page is ~800 KiB of text that shrinks to a quarter; on a phone's
line that is most of the wait. Static files are compressed once and kept (keyed by path, size
and modification time), pages and JSON on the way out. Tiles come already gzipped (their own
cache keeps both forms) and are left alone, as is anything already encoded, partial or small.
"""

from __future__ import annotations

import gzip
import os
import threading
from pathlib import Path

from flask import Flask, Response, current_app, request

COMPRESSIBLE = frozenset(
    {
        "text/html",
        "text/css",
        "text/plain",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/geo+json",
        "image/svg+xml",
    }
)
MIN_SIZE = 512  # bytes: below this gzip's own header and the CPU are not worth it
PAGE_LEVEL = 5  # pages and JSON, made per request: most of level 9's gain at a third the time
STATIC_LEVEL = 9  # static files, compressed once

_static: dict[tuple[str, int, int], bytes] = {}
_lock = threading.Lock()


def register(app: Flask) -> None:
    """Compress the app's responses (see the module docstring)."""
    app.after_request(compress)


def compress(response: Response) -> Response:
    """``response`` gzipped when the client takes gzip and it is worth it, else as it was."""
    if not _worth_it(response):
        return response
    response.vary.add("Accept-Encoding")
    if not request.accept_encodings["gzip"]:
        return response
    if response.direct_passthrough:
        body = _static_body()
    else:
        data = response.get_data()
        body = gzip.compress(data, PAGE_LEVEL, mtime=0) if len(data) >= MIN_SIZE else None
    if body is None:
        return response
    if response.direct_passthrough:
        response.close()  # the file it would have sent
    response.direct_passthrough = False
    response.set_data(body)
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag and not weak:
        response.set_etag(etag, weak=True)  # same content, other bytes: a weak validator
    return response


def _worth_it(response: Response) -> bool:
    if response.status_code != 200 or response.mimetype not in COMPRESSIBLE:
        return False
    if "Content-Encoding" in response.headers:
        return False
    if response.direct_passthrough:  # a file being sent: only the app's static files
        return request.endpoint == "static"
    return not response.is_streamed


def _static_body() -> bytes | None:
    """The gzip form of the static file answered, made once per version of the file."""
    if not current_app.static_folder:
        return None
    name = (request.view_args or {}).get("filename", "")
    folder = Path(current_app.static_folder).resolve()
    path = (folder / name).resolve()
    if folder not in path.parents:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    if stat.st_size < MIN_SIZE:
        return None
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _lock:
        found = _static.get(key)
    if found is None:
        found = gzip.compress(path.read_bytes(), STATIC_LEVEL, mtime=0)
        with _lock:
            _static[key] = found
    return found
