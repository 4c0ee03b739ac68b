"""Map pages: the national overview, a province's communes, a commune's hamlets.

Each view parses the request, calls its page function (``geo_app.pages``: what the page shows,
assembled without Flask, inside the user's scope), draws the map (``geo_app.maps.page_maps``)
and renders the template. The province and commune pages show the classification as of a month
(``?month=YYYY-MM``, default today); a page outside the user's scope is a 403.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol

import folium
from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from geo_app import clock, urls
from geo_app.domain.month import Month
from geo_app.maps import builder, page_maps
from geo_app.pages import presentation as slides
from geo_app.pages.common import Crumb, PageMonth, PanelItem
from geo_app.pages.commune import commune_page
from geo_app.pages.national import national_page
from geo_app.pages.presentation import Presentation, enter_query, exit_query, wanted
from geo_app.pages.province import province_page
from geo_app.web.access import home_path, require_login, viewer
from geo_app.web.context import lang, read_session, settings
from geo_app.web.headers import csp_nonce

bp = Blueprint("maps", __name__)
require_login(bp)


def page_month(text: str | None, today: date | None = None) -> PageMonth:
    """``?month=YYYY-MM`` as the month's last day (today for the current month or none);
    a MonthError (400) for anything else or a month still to come."""
    today = today or clock.today()
    if not text:
        return PageMonth(None, today)
    month = Month.parse(text, today=today)
    return PageMonth(str(month), min(month.last_day, today))


def _script_url() -> str:
    return url_for("static", filename="js/vector_tiles.js")


class MapPage(Protocol):
    """What the map page template reads of every page (the rest is optional)."""

    @property
    def title(self) -> str: ...

    @property
    def demo(self) -> bool: ...

    @property
    def crumbs(self) -> tuple[Crumb, ...]: ...

    @property
    def panel(self) -> tuple[PanelItem, ...]: ...


def presenting() -> bool:
    """Whether the page is asked in briefing mode (``?present=1``; a 400 for other values)."""
    return wanted(request.args.get("present"), viewer().gettext)


def present_context(shown: Presentation | None, fmap: folium.Map) -> dict[str, Any]:
    """What ``_present.html`` reads: the briefing's JSON (None on the normal page) and the
    links into and out of the mode, keeping the page's other parameters."""
    args = list(request.args.items(multi=True))
    return {
        "presentation": None
        if shown is None
        else shown.as_json(fmap.get_name(), request.path + exit_query(args)),
        "present_url": request.path + enter_query(args),
    }


def _render(page: MapPage, fmap: folium.Map, present: dict[str, Any] | None = None) -> str:
    """The map page template around the drawn map, in the page's language; ``present`` is
    ``present_context`` on the pages that have a briefing mode."""
    language = lang()
    parts = builder.components(
        fmap, lambda path: url_for("static", filename=path), language, nonce=csp_nonce()
    )
    return render_template(
        "map_page.html",
        page=page,
        title=page.title,
        crumbs=page.crumbs,
        demo=page.demo,
        map=parts,
        lang=language,
        **(present or {}),
    )


@bp.get(urls.NATIONAL_PATH)
def national() -> str | BaseResponse:
    """The whole country for national scope; a scoped user is taken to their own area."""
    reader = viewer()
    with read_session() as session:
        home = home_path(session)
        if home is not None:
            return redirect(home + urls.query(lang=reader.lang))
        page = national_page(session, reader)
    fmap = page_maps.draw_national(page, settings().basemap, _script_url())
    return _render(page, fmap)


@bp.get(urls.PROVINCE_RULE)
def province(code: str) -> str:
    """A province's communes coloured by class as of ``?month=``."""
    month, present = page_month(request.args.get("month")), presenting()
    with read_session() as session:
        page = province_page(session, code, month, viewer())
        shown = slides.province_presentation(session, page, viewer()) if present else None
    fmap = page_maps.draw_province(page, settings().basemap, _script_url())
    return _render(page, fmap, present_context(shown, fmap))


@bp.get(urls.COMMUNE_RULE)
def commune(code: str) -> str:
    """A commune (or its former parts) and its hamlets as of ``?month=``."""
    month, present = page_month(request.args.get("month")), presenting()
    with read_session() as session:
        page = commune_page(session, code, month, viewer())
    shown = slides.commune_presentation(page, viewer()) if present else None
    fmap = page_maps.draw_commune(page, settings().basemap)
    return _render(page, fmap, present_context(shown, fmap))
