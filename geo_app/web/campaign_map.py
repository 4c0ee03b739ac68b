"""The campaign page (``/map/campaign/<id>``) and its progress JSON
(``/api/campaigns/<id>/progress?month=YYYY-MM``).

The page draws the campaign's targets coloured by progress (``campaign_progress`` tiles with
``&campaign=``) and the hotspots (boards and boxes on demand) from vector tiles, all
``&month=``-dated, over the province outline (the one polygon embedded). Its month slider asks
the JSON for the headline, phase and target list of another month and points the tiles at the
date it answered for (``static/js/campaign.js``). Everything stays inside the user's scope on
the server: the tiles' SQL, the JSON and the page all read the scope of the logged-in user.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import folium
from flask import Blueprint, Response, jsonify, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy.orm import Session

from geo_app import clock, features
from geo_app.errors import NotFound
from geo_app.features import FeatureQuery, bounds
from geo_app.layers import get_layer
from geo_app.layers.base import Lang, LayerQuery
from geo_app.layers.campaign_progress import CAMPAIGN_PROGRESS, PROGRESS_COLOURS
from geo_app.layers.hotspots import STATUS_COLOURS
from geo_app.layers.vocab import LABELS, label
from geo_app.maps import builder
from geo_app.maps.tile_styles import tile_config
from geo_app.models import Campaign
from geo_app.services import areas
from geo_app.services.campaigns import progress_report
from geo_app.services.layer_api import layer_versions, tile_url
from geo_app.services.scope import OutOfScope
from geo_app.services.summary import Summary, summary
from geo_app.web import access
from geo_app.web.context import lang, read_session, settings

bp = Blueprint("campaign_map", __name__)
access.require_login(bp)

PROVINCE_SIMPLIFY = 0.0002  # degrees, as the province page
MONTH_TOKEN = "__MONTH__"  # replaced by the as-of date in the tile URLs (campaign.js too)
POINT_LAYERS = (("hotspots", True), ("hotline_boards", False), ("tipoff_boxes", False))
"""Point layers drawn from tiles as of the month: hotspots shown, boards and boxes on demand."""
OUTLINE_STYLE = {"color": "#1f3b57", "weight": 2.5, "opacity": 0.9, "fill": False}


def _popup_labels() -> dict[str, str]:
    """Labels of the progress tiles' popup fields, in the page's language."""
    return {
        "name": _("Name"),
        "code": _("Code"),
        "progress": _("Progress"),
        "verdict": _("Verdict"),
        "met": _("Criteria met"),
        "total": _("Criteria"),
        "phase": _("Phase"),
        "evaluated_on": _("Evaluated on"),
        "overridden": _("Verdict overridden"),
    }


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


def _labels(vocabulary: str, language: Lang) -> dict[str, str]:
    return {code: label(vocabulary, code, language) for code in LABELS[vocabulary]}


@bp.get("/api/campaigns/<int:campaign_id>/progress")
def progress_json(campaign_id: int) -> Response:
    """The headline, phase and targets in scope as of ``?month=`` (default: today)."""
    language = lang()
    on = progress_report.as_of(request.args.get("month"), clock.today())
    scope = access.scope_unit_id()
    with read_session() as session:
        campaign = progress_report.visible_campaign(session, campaign_id, scope)
        data = progress_report.report(session, campaign, on, scope, language)
    return jsonify(data)


@bp.get("/map/campaign/<int:campaign_id>")
def campaign_page(campaign_id: int) -> str:
    language = lang()
    today = clock.today()
    on = progress_report.as_of(request.args.get("month"), today)
    scope = access.scope_unit_id()
    with read_session() as session:
        campaign = progress_report.visible_campaign(session, campaign_id, scope)
        data = progress_report.report(session, campaign, on, scope, language)
        timeline = progress_report.timeline(session, campaign, today, language)
        in_scope = progress_report.targets_in_scope(session, campaign.id, scope)
        target_bounds = progress_report.targets_bounds(session, in_scope)
        outline = _outline(session, campaign)
        versions = layer_versions(session)
        demo = areas.demo_loaded(session)
        figures = campaign_summary(session, campaign, on, scope)
    months = sorted(set(progress_report.months(campaign, today)) | {data["month"]})
    fmap = builder.new_map(settings().basemap)
    _draw_outline(fmap, outline)
    builder.fit(fmap, target_bounds or bounds(outline))  # before the tiles: they load once
    grids = _add_tile_grids(fmap, versions, campaign.id, data["as_of"], timeline, language)
    parts = builder.components(fmap, lambda path: url_for("static", filename=path), language)
    page_config = {
        "map": fmap.get_name(),
        "grids": grids,
        "progressGrid": next(iter(grids)),
        "monthToken": MONTH_TOKEN,
        "progressUrl": url_for("campaign_map.progress_json", campaign_id=campaign.id),
        "months": months,
        "lang": language,
        "timeline": {"start": timeline["start"], "end": timeline["end"]},
        "legend": progress_report.legend(language),
        "legendTitle": CAMPAIGN_PROGRESS.title(language),
        "pointLegend": _hotspot_legend(language),
        "initial": data,
        "labels": _panel_labels(),
        "summaryUrl": url_for("summary_api.summary_json"),
        "summaryArea": figures.area.code if figures.area is not None else "",
    }
    suffix = "?lang=en" if language == "en" else ""
    crumbs = [{"name": _("Viet Nam"), "link": "/" + suffix}]
    if campaign.province_code and outline["features"]:
        name = Markup(outline["features"][0]["properties"].get("name"))  # escaped by features
        crumbs.append({"name": name, "link": f"/map/province/{campaign.province_code}{suffix}"})
    return render_template(
        "campaign_page.html",
        title=campaign.title,
        campaign=_about(campaign),
        report=data,
        timeline=timeline,
        months=months,
        map=parts,
        page_config=page_config,
        lang=language,
        demo=demo,
        crumbs=crumbs,
        summary_panel=figures,
    )


def campaign_summary(session: Session, campaign: Campaign, on: date, scope: int | None) -> Summary:
    """The summary panel beside a campaign: its province as of ``on``; the whole scope when the
    campaign names no province or the province is wider than the user's scope."""
    if campaign.province_code:
        try:
            return summary(session, area_code=campaign.province_code, on=on, scope_unit_id=scope)
        except (OutOfScope, NotFound):
            pass
    return summary(session, area_code=None, on=on, scope_unit_id=scope)


def _outline(session: Session, campaign: Campaign) -> dict[str, Any]:
    if not campaign.province_code:
        return {"type": "FeatureCollection", "features": []}
    return features.collection(
        session,
        FeatureQuery(
            "provinces",
            LayerQuery(area_code=campaign.province_code, simplify_degrees=PROVINCE_SIMPLIFY),
            decimals=5,
        ),
    ).geojson


def _draw_outline(fmap: folium.Map, outline: dict[str, Any]) -> None:
    """The province boundary as a line only: the targets' colours stay readable under it."""
    if outline["features"]:
        folium.GeoJson(
            outline,
            name=_("Province boundary"),
            style_function=lambda _feature: OUTLINE_STYLE,
            interactive=False,
        ).add_to(fmap)


def _add_tile_grids(
    fmap: folium.Map,
    versions: dict[str, int],
    campaign_id: int,
    as_of: str,
    timeline: dict[str, Any],
    language: Lang,
) -> dict[str, str]:
    """The progress tiles, then the point layers', all dated ``as_of``.

    Returns each grid's JS variable name with its URL template (``MONTH_TOKEN`` for the date),
    the progress grid first, for ``campaign.js`` to re-date them.
    """
    script = url_for("static", filename="js/vector_tiles.js")
    progress = CAMPAIGN_PROGRESS.name
    layers: list[tuple[str, str, dict[str, Any], bool]] = [
        (
            progress,
            f"{tile_url(progress, versions)}&campaign={campaign_id}",
            progress_tile_config(language, timeline["phases"]),
            True,
        )
    ]
    for name, shown in POINT_LAYERS:
        layers.append((name, tile_url(name, versions), tile_config(name, language), shown))
    templates: dict[str, str] = {}
    for name, url, config, shown in layers:
        template = f"{url}&month={MONTH_TOKEN}"
        grid = builder.add_vector_tiles(
            fmap,
            template.replace(MONTH_TOKEN, as_of),
            config,
            name=get_layer(name).title(language),
            script_url=script,
            show=shown,
        )
        templates[grid.get_name()] = template
    return templates


def _hotspot_legend(language: Lang) -> dict[str, Any]:
    """Hotspot colours by status (a cleared one is green too, so the legend tells them apart)."""
    return {
        "title": get_layer("hotspots").title(language),
        "items": [
            {"label": label("hotspot_status", status, language), "colour": colour}
            for status, colour in STATUS_COLOURS.items()
        ],
    }


def _about(campaign: Campaign) -> dict[str, Any]:
    return {
        "id": campaign.id,
        "code": campaign.code,
        "title": campaign.title,
        "issuer": campaign.issuer,
        "document_number": campaign.document_number,
        "document_date": campaign.document_date,
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
        "baseline_date": campaign.baseline_date,
    }


def progress_tile_config(language: Lang, phases: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``vector_tiles.js`` config of the ``campaign_progress`` tiles: colours by progress
    and a popup with the target's progress, verdict, criteria met and phase."""
    style = CAMPAIGN_PROGRESS.style
    labels = _popup_labels()  # the popup's fields, in order
    return {
        "layers": {
            CAMPAIGN_PROGRESS.name: {
                "kind": "area",
                "title": CAMPAIGN_PROGRESS.title(language),
                "style": {
                    "color": style.color,
                    "weight": style.weight,
                    "fillColor": style.fill_color,
                    "fillOpacity": style.fill_opacity,
                },
                "fillBy": ["progress", PROGRESS_COLOURS],
                "fields": [[field, text] for field, text in labels.items()],
                "values": {
                    "progress": _labels("campaign_progress", language),
                    "verdict": _labels("evaluation_verdict", language),
                    "phase": {str(p["ordinal"]): f"{p['ordinal']}. {p['name']}" for p in phases},
                    "overridden": {"true": _("Yes"), "false": _("No")},
                },
            }
        },
        "linkLabel": _("Open →"),
        "linkSuffix": "?lang=en" if language == "en" else "",
    }
