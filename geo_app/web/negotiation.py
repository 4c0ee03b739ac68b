"""Which format an OGC API request wants: ``f=json|html``, else the Accept header (JSON when
it does not prefer HTML). The login gate and the error pages ask too, so a browser gets the
login form and an error page while QGIS, GDAL and scripts get a 401 and JSON."""

from __future__ import annotations

from typing import Literal

from flask import request
from flask_babel import gettext as _

from geo_app.errors import InvalidInput
from geo_app.urls import OGC_ROOT

Format = Literal["json", "html"]
FORMATS: tuple[Format, ...] = ("json", "html")
_OFFERED = ("application/json", "application/geo+json", "text/html")


def is_ogc_path() -> bool:
    return request.path == OGC_ROOT or request.path.startswith(OGC_ROOT + "/")


def asked_format() -> Format:
    """The request's format; 400 for an ``f`` that is neither."""
    asked = request.args.get("f")
    if asked is None:
        best = request.accept_mimetypes.best_match(_OFFERED)
        return "html" if best == "text/html" else "json"
    for known in FORMATS:
        if asked == known:
            return known
    raise InvalidInput(_("Unknown format f=«%(value)s»: use f=json or f=html.", value=asked))


def wants_page() -> bool:
    """An OGC API request from a browser (HTML asked, and a valid ``f``)."""
    try:
        return is_ogc_path() and asked_format() == "html"
    except InvalidInput:
        return False
