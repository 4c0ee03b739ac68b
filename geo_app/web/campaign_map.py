"""The campaign page and its progress JSON (``/api/campaigns/<id>/progress?month=YYYY-MM``).

The page draws the campaign's targets coloured by progress (``campaign_progress`` tiles with
``&campaign=``) and the hotspots (boards and boxes on demand) from vector tiles, all
``&month=``-dated, over the province outline (the one polygon embedded). Its month slider asks
the JSON for the headline, phase and target list of another month and points the tiles at the
date it answered for (``static/js/campaign.js``). What the page shows is assembled without
Flask by ``geo_app.pages.campaign``, inside the logged-in user's scope, as the tiles' SQL is.
"""

from __future__ import annotations

from typing import Any

import folium
from flask import Blueprint, Response, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from geo_app import urls
from geo_app.maps import builder, page_maps
from geo_app.pages import campaign as pages
from geo_app.pages.presentation import campaign_presentation
from geo_app.web import access
from geo_app.web.api_schemas import OK, Answer, Progress, ProgressArgs, documented
from geo_app.web.context import read_session, settings
from geo_app.web.headers import csp_nonce
from geo_app.web.maps import present_context, presenting

bp = Blueprint("campaign_map", __name__)
access.require_login(bp)


def _panel_labels() -> dict[str, str]:
    """What ``campaign.js`` writes around the data of the target panel."""
    return {
        "evaluatedOn": _("Evaluated on"),
        "notEvaluated": _("No evaluation up to this month"),
        "verdict": _("Verdict"),
        "computed": _("Computed verdict"),
        "overridden": _("Verdict overridden; reason"),
        "nowIn": _("Now part of"),
        "open": _("Open the commune map →"),
        "met": _("criteria met"),
        "phase": _("Phase"),
        "failed": _("Could not load this month:"),
    }


@bp.get("/api/campaigns/<int:campaign_id>/progress")
@documented(
    "campaigns",
    lazy_gettext("A campaign's headline, phase and targets in a month"),
    {200: Answer(OK, Progress)},
    query=ProgressArgs,
)
def progress_json(campaign_id: int) -> Response:
    """The headline, phase and targets in scope as of ``?month=`` (default: today)."""
    reader = access.viewer()
    on = pages.as_of(request.args.get("month"), reader)
    with read_session() as session:
        campaign = pages.campaign_for(session, campaign_id, reader)
        data = pages.report(session, campaign, on, reader)
    return jsonify(data)


@bp.get(urls.CAMPAIGN_RULE)
def campaign_page(campaign_id: int) -> str:
    reader = access.viewer()
    on, present = pages.as_of(request.args.get("month"), reader), presenting()
    with read_session() as session:
        page = pages.campaign_page(session, campaign_id, on, reader)
        shown = campaign_presentation(session, page, reader) if present else None
    fmap, grids = page_maps.draw_campaign(page, settings().basemap, _static("js/vector_tiles.js"))
    return render_template(
        "campaign_page.html",
        page=page,
        title=page.title,
        campaign=page.campaign,
        report=page.report,
        timeline=page.timeline,
        months=list(page.months),
        map=builder.components(fmap, _static, reader.lang, nonce=csp_nonce()),
        page_config=_page_config(page, fmap, grids),
        lang=reader.lang,
        demo=page.demo,
        crumbs=page.crumbs,
        summary_panel=page.summary,
        **present_context(shown, fmap),
    )


def _static(path: str) -> str:
    return url_for("static", filename=path)


def _page_config(
    page: pages.CampaignPage, fmap: folium.Map, grids: dict[str, str]
) -> dict[str, Any]:
    """What ``campaign.js`` reads: the map and its tile grids, the months, the JSON's URL and
    the first month's report, the legends and the panel's labels."""
    return {
        "map": fmap.get_name(),
        "grids": grids,
        "progressGrid": next(iter(grids)),
        "monthToken": pages.MONTH_TOKEN,
        "progressUrl": url_for("campaign_map.progress_json", campaign_id=page.campaign["id"]),
        "months": page.months,
        "lang": page.lang,
        "timeline": {"start": page.timeline["start"], "end": page.timeline["end"]},
        "legend": page.legend,
        "legendTitle": page.legend_title,
        "pointLegend": page.point_legend,
        "initial": page.report,
        "labels": _panel_labels(),
        "summaryUrl": url_for("summary_api.summary_json"),
        "summaryArea": page.summary.area.code if page.summary.area is not None else "",
    }
