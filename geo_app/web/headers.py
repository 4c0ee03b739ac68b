"""Security and cache headers on every response, set once after the view.

- A Content-Security-Policy that lets the page load only the app's own files: scripts from
  ``/static/`` and inline scripts carrying this response's nonce (templates write
  ``nonce="{{ csp_nonce() }}"``; the folium parts get it from ``maps.builder.components``);
  no ``'unsafe-inline'`` or ``'unsafe-eval'`` for scripts, so an injected ``<script>`` or
  ``onclick=`` does not run. Styles allow inline: Leaflet positions everything with style
  attributes. Images may also come from the configured basemap's host.
- ``nosniff``, ``same-origin`` referrers, no framing, and HSTS when the cookie is Secure.
- ``Cache-Control: private, no-store`` on everything but static files and tiles, which keep
  their own caching (tiles: ``private`` with an ETag): pages and JSON are per user and scope.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from flask import Flask, g, request
from werkzeug.wrappers import Response

from geo_app.config import Settings

CACHING_ENDPOINTS = frozenset({"static", "tiles.tile", "field.worker"})
"""Endpoints that set their own Cache-Control (static files, tiles with their ETag, the field
page's service worker: revalidated, never kept stale)."""
NO_STORE = "private, no-store"
HSTS = "max-age=31536000"
FIXED_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def csp_nonce() -> str:
    """This response's script nonce (a template global), made on first use."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(18)
    return str(g.csp_nonce)


def policy(images: str, nonce: str | None) -> str:
    """The Content-Security-Policy for a response: ``images`` from :func:`image_sources`,
    ``nonce`` the one its page used, if any."""
    scripts = "'self'" + (f" 'nonce-{nonce}'" if nonce else "")
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline'; "
        f"img-src {images}; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; "
        "form-action 'self'"
    )


def image_sources(basemap: str) -> str:
    """Where images may come from: the app, data and blob URLs, and the basemap's host."""
    return " ".join(filter(None, ("'self' data: blob:", basemap_source(basemap))))


def basemap_source(basemap: str) -> str | None:
    """The CSP source of the basemap's tiles: ``scheme://host`` of its URL template (``{s}``
    subdomains as ``*.``); None without a basemap or for one served by the app itself."""
    if basemap == "none":
        return None
    template = basemap
    if basemap == "osm":
        import folium  # the basemap's URL is folium's, named once there

        template = str(folium.TileLayer("OpenStreetMap").tiles)
    parts = urlsplit(template.replace("{s}", "*"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def security_headers(images: str, nonce: str | None, secure: bool) -> dict[str, str]:
    """The CSP and the fixed headers of a response (HSTS when the cookie is Secure)."""
    found = {"Content-Security-Policy": policy(images, nonce), **FIXED_HEADERS}
    if secure:
        found["Strict-Transport-Security"] = HSTS
    return found


PLAIN = "geo_app.plain_headers"
"""``app.extensions`` key: the security headers of a response without inline scripts (tiles'
fast door, ``web/tile_door.py``, sends them as they are)."""


def register(app: Flask, settings: Settings) -> None:
    """Install the headers, the Secure cookie setting and the ``csp_nonce()`` template global."""
    secure = bool(settings.cookie_secure)
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.add_template_global(csp_nonce, "csp_nonce")
    images = image_sources(settings.basemap)
    app.extensions[PLAIN] = security_headers(images, None, secure)

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        headers.update(security_headers(images, g.get("csp_nonce"), secure))
        if request.endpoint not in CACHING_ENDPOINTS or "Cache-Control" not in headers:
            headers["Cache-Control"] = NO_STORE
        return response
