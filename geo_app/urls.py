"""Every URL of a map page, in one place: the routes, the links between pages, the layers'
drill-down prefixes and a scoped user's home page all read them from here.

A link keeps the page's month (``?month=YYYY-MM``) where given and the page's language
(``lang=en``; Vietnamese is the default and needs nothing).
"""

from __future__ import annotations

from urllib.parse import urlencode

MAP_ROOT = "/map/"
PROVINCE_PREFIX = MAP_ROOT + "province/"
COMMUNE_PREFIX = MAP_ROOT + "commune/"
CAMPAIGN_PREFIX = MAP_ROOT + "campaign/"
NATIONAL_PATH = "/"

PROVINCE_RULE = PROVINCE_PREFIX + "<code>"
COMMUNE_RULE = COMMUNE_PREFIX + "<code>"
CAMPAIGN_RULE = CAMPAIGN_PREFIX + "<int:campaign_id>"

UNIT_PREFIXES = {"province": PROVINCE_PREFIX, "commune": COMMUNE_PREFIX}
"""The page prefix of each level that has a page (a unit of another level has none)."""


def query(month: str | None = None, lang: str | None = None) -> str:
    """``?month=…&lang=en`` for what is given ("" when nothing is): the tail of a page link."""
    asked: dict[str, str] = {}
    if month:
        asked["month"] = month
    if lang == "en":
        asked["lang"] = "en"
    return "?" + urlencode(asked) if asked else ""


def national_url(lang: str | None = None) -> str:
    return NATIONAL_PATH + query(lang=lang)


def province_url(code: str, month: str | None = None, lang: str | None = None) -> str:
    return PROVINCE_PREFIX + code + query(month, lang)


def commune_url(code: str, month: str | None = None, lang: str | None = None) -> str:
    return COMMUNE_PREFIX + code + query(month, lang)


def unit_url(level: str, code: str, month: str | None = None, lang: str | None = None) -> str:
    """The page of a province or a commune (a lower level falls back on the commune page, as
    a scoped user's home does)."""
    return UNIT_PREFIXES.get(level, COMMUNE_PREFIX) + code + query(month, lang)


def campaign_url(campaign_id: int, month: str | None = None, lang: str | None = None) -> str:
    return f"{CAMPAIGN_PREFIX}{campaign_id}{query(month, lang)}"


FIELD_PATH = "/field/"
FIELD_WORKER = FIELD_PATH + "sw.js"
"""The field page's service worker: served from the page's folder, its scope is ``/field/``."""
FIELD_TOKEN = FIELD_PATH + "token"
LOGIN_PATH = "/login"

FIELD_API = {
    "create": "/api/{layer}",
    "item": "/api/{layer}/{id}",
    "inspections": "/api/tipoff_boxes/{id}/inspections",
    "checks": "/api/hotline_boards/{id}/checks",
    "nearby": "/api/field/nearby",
    "today": "/api/field/today",
    "token": FIELD_TOKEN,
}
"""What the field page calls (``{layer}`` and ``{id}`` are filled in by its script)."""


def login_url(next_path: str, lang: str | None = None) -> str:
    """The login form, coming back to ``next_path`` afterwards."""
    asked = {"next": next_path, **({"lang": "en"} if lang == "en" else {})}
    return LOGIN_PATH + "?" + urlencode(asked)


REPORTS_ROOT = "/reports/"
REPORTS_STATUTORY = REPORTS_ROOT + "statutory"
REPORTS_TARGETS = REPORTS_ROOT + "targets"
REPORTS_MONTHLY_RULE = REPORTS_ROOT + "campaign/<key>/monthly"
"""Report pages; ``?format=xlsx`` or ``pdf`` on a report gives its download."""


def monthly_report_path(campaign_key: str | int) -> str:
    """A campaign's monthly report (by its code or its id)."""
    return f"{REPORTS_ROOT}campaign/{campaign_key}/monthly"


def report_url(path: str, asked: dict[str, str]) -> str:
    """A report page or download with its parameters (province, month, format, lang)."""
    return path + ("?" + urlencode(asked) if asked else "")


HISTORY_ROOT = "/history/"
HISTORY_RULE = HISTORY_ROOT + "<kind>/<int:row_id>"
FEATURE_HISTORY_API = "/api/layers/<layer>/features/<int:feature_id>/history"
INDICATOR_HISTORY_API = "/api/indicators/history"
EVALUATION_HISTORY_API = "/api/campaigns/<int:campaign_id>/evaluations/<int:evaluation_id>/history"
"""A history's page (a feature, ``indicators`` or ``evaluations`` by row id) and its JSON:
beside the layers API, the indicators API (``?unit=CODE&month=YYYY-MM``) and a campaign's."""


def history_url(kind: str, row_id: int, lang: str | None = None) -> str:
    """The history page of one feature (by layer name), indicator row or evaluation."""
    return f"{HISTORY_ROOT}{kind}/{row_id}{query(lang=lang)}"


OGC_ROOT = "/ogc"
"""The OGC API – Features (QGIS, GDAL): machine paths like ``/api/`` (HTTP Basic, a 401 rather
than the login form), except for a browser asking for its HTML pages."""
