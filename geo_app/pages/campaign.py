"""The campaign page: what it shows for one month, inside the reader's scope.

The headline ("7/21 targets recognised; goal 21 (20 % of 104)"), the phase on the date, the
phase timeline, and every target in scope with its progress class (the map's colour) and its
checklist as last evaluated. Targets outside the reader's scope are never read into the report,
so neither the list nor the counts say anything about them. Read-only; dates are plain dates.

A month means its last day, or today for the current month (nothing after today is known), so
the page, its JSON (``report``) and its tiles (``?month=<that date>``) all show the same moment.
The JSON is that page's data, not an export: the language-free figures sit beside the texts
(``counts``, ``phase.position``). Phase names, checklist texts and vocabulary labels are data
and keep their (Vietnamese, English) pairs; the headline, phase and scope-note texts are page
chrome, translated by the reader's ``gettext``. The campaign rules (progress of targets, which
campaigns a reader sees, evaluation lookups) stay in ``services.campaigns``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from geo_app import features, rules, urls
from geo_app.domain.checklist import ChecklistRules
from geo_app.domain.month import as_of as parse_as_of
from geo_app.errors import NotFound
from geo_app.features import FeatureQuery, bounds
from geo_app.layers import get_layer
from geo_app.layers.base import Lang, LayerQuery
from geo_app.layers.campaign_progress import (
    CAMPAIGN_PROGRESS,
    PROGRESS_CLASSES,
    PROGRESS_COLOURS,
    progress_class,
)
from geo_app.layers.hotspots import STATUS_COLOURS
from geo_app.layers.vocab import label
from geo_app.models import Campaign
from geo_app.pages.common import Crumb, Viewer, country_crumb, province_crumb
from geo_app.pages.layers import TileLayer
from geo_app.services.accounts.scope import OutOfScope
from geo_app.services.boundaries import areas
from geo_app.services.boundaries.versions import version_for_page
from geo_app.services.campaigns.lookup import PhaseOn, phase_on, phases_of
from geo_app.services.campaigns.map2025 import targets_on_2025_map
from geo_app.services.campaigns.progress import (
    CampaignProgress,
    TargetProgress,
    goal_text,
    percent,
    target_progress,
)
from geo_app.services.campaigns.progress_report import (
    evaluation_criteria,
    targets_bounds,
    targets_in_scope,
    visible_campaign,
)
from geo_app.services.layer_api import layer_versions, tile_url
from geo_app.services.summary import Summary, summary

NOT_CHECKED = "not_checked"
NO_GOAL_VI = "chưa đặt chỉ tiêu"
"""``goal_text_vi`` without a goal (``goal_text``'s "no goal set")."""
PROVINCE_SIMPLIFY = 0.0002  # degrees, as the province page
MONTH_TOKEN = "__MONTH__"
"""Stands for the as-of date in the tile URL templates (``campaign.js`` re-dates them)."""
POINT_TILES = (("hotspots", True), ("hotline_boards", False), ("tipoff_boxes", False))
"""Point layers drawn from tiles as of the month: hotspots shown, boards and boxes on demand."""
BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class Headline:
    recognised: int
    targets: int
    evaluated: int
    text: str


@dataclass(frozen=True)
class CampaignPage:
    """Everything the campaign page shows for a month (``report`` is also its JSON)."""

    campaign: dict[str, Any]
    lang: Lang
    report: dict[str, Any]
    timeline: dict[str, Any]
    months: tuple[str, ...]
    crumbs: tuple[Crumb, ...]
    summary: Summary
    outline: dict[str, Any]
    outline_title: str
    bounds: BBox | None
    tiles: tuple[TileLayer, ...]
    """The progress tiles first, then the point layers; URLs carry ``MONTH_TOKEN``."""
    legend: tuple[dict[str, str], ...]
    legend_title: str
    point_legend: dict[str, Any]
    demo: bool

    @property
    def title(self) -> str:
        return str(self.campaign["title"])


# --- which campaign, which month -------------------------------------------------------------


def campaign_for(session: Session, campaign_id: int, viewer: Viewer) -> Campaign:
    """The campaign if the reader may see it; NotFound (404) / OutOfScope (403) in their
    language otherwise (the rule is ``services.campaigns.progress_report.visible_campaign``)."""
    _ = viewer.gettext
    try:
        return visible_campaign(session, campaign_id, viewer.scope_unit_id)
    except NotFound:
        raise NotFound(_("no campaign with id %(id)s", id=campaign_id)) from None
    except OutOfScope:
        raise OutOfScope(_("this campaign is outside your scope")) from None


def as_of(text: str | None, viewer: Viewer) -> date:
    """The date a ``month`` parameter stands for: its last day, never after today.

    ``YYYY-MM-DD`` is taken as that day (tile URLs carry the date the JSON answered), and no
    parameter means today; the one month parser reads it (MonthError, a 400, when bad).
    """
    return parse_as_of(text, today=viewer.today)


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def months(campaign: Campaign, today: date) -> list[str]:
    """``YYYY-MM`` from the baseline (or the start, if earlier) to today's month, one a month.

    A campaign starting after today gets its first month only.
    """
    first = min(d for d in (campaign.baseline_date, campaign.starts_on) if d is not None)
    last = max(today, first)
    out = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


# --- the page ----------------------------------------------------------------------------------


def campaign_page(session: Session, campaign_id: int, on: date, viewer: Viewer) -> CampaignPage:
    """The campaign page as of ``on`` (see the module docstring)."""
    campaign = campaign_for(session, campaign_id, viewer)
    data = report(session, campaign, on, viewer)
    line = timeline(session, campaign, viewer.today, viewer.lang)
    outline = _outline(session, campaign)
    in_scope = targets_in_scope(session, campaign.id, viewer.scope_unit_id)
    hotspots = get_layer("hotspots")
    return CampaignPage(
        campaign=_about(campaign),
        lang=viewer.lang,
        report=data,
        timeline=line,
        months=tuple(sorted(set(months(campaign, viewer.today)) | {data["month"]})),
        crumbs=_crumbs(session, campaign, outline, viewer),
        summary=campaign_summary(session, campaign, on, viewer.scope_unit_id),
        outline=outline,
        outline_title=viewer.gettext("Province boundary"),
        bounds=targets_bounds(session, in_scope) or bounds(outline),
        tiles=_tiles(session, campaign.id, viewer.lang),
        legend=legend(viewer.lang),
        legend_title=CAMPAIGN_PROGRESS.title(viewer.lang),
        point_legend={
            "title": hotspots.title(viewer.lang),
            "items": [
                {"label": label("hotspot_status", status, viewer.lang), "colour": colour}
                for status, colour in STATUS_COLOURS.items()
            ],
        },
        demo=areas.demo_loaded(session),
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
    area = LayerQuery(area_code=campaign.province_code, simplify_degrees=PROVINCE_SIMPLIFY)
    return features.collection(session, FeatureQuery("provinces", area, decimals=5)).geojson


def _crumbs(
    session: Session, campaign: Campaign, outline: dict[str, Any], viewer: Viewer
) -> tuple[Crumb, ...]:
    """The country, then the campaign's province (each linked only if the reader may open it)."""
    out = [country_crumb(viewer)]
    if campaign.province_code and outline["features"]:
        try:
            province = version_for_page(session, campaign.province_code, "province", viewer.today)
        except NotFound:
            return tuple(out)
        out.append(province_crumb(session, province.code, province.name, None, viewer))
    return tuple(out)


def _tiles(session: Session, campaign_id: int, lang: Lang) -> tuple[TileLayer, ...]:
    versions = layer_versions(session)
    progress = CAMPAIGN_PROGRESS.name
    layers = [
        TileLayer(
            progress,
            f"{tile_url(progress, versions)}&campaign={campaign_id}&month={MONTH_TOKEN}",
            CAMPAIGN_PROGRESS.title(lang),
        )
    ]
    for name, show in POINT_TILES:
        url = f"{tile_url(name, versions)}&month={MONTH_TOKEN}"
        layers.append(TileLayer(name, url, get_layer(name).title(lang), show))
    return tuple(layers)


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


# --- headline, phase, timeline -----------------------------------------------------------------


def goal_text_vi(campaign: Campaign) -> str:
    """The goal in Vietnamese: "chỉ tiêu 21 (20 % của 104)", as ``goal_text`` does in English."""
    count, share, base = campaign.goal_count, campaign.goal_share, campaign.goal_base_count
    if count is None and share is None:
        return NO_GOAL_VI
    if share is not None:
        of = f" ({percent(share)} % của {base})"
    else:
        of = f" (trên {base})" if base is not None else ""
    return f"chỉ tiêu {count if count is not None else '?'}{of}"


def headline(
    campaign: Campaign, targets: list[TargetProgress], on: date, viewer: Viewer
) -> Headline:
    recognised = sum(1 for t in targets if t.verdict == "recognised")
    evaluated = sum(1 for t in targets if t.evaluation_id is not None)
    if viewer.lang == "vi":
        goal = goal_text_vi(campaign)
    else:
        goal = goal_text(
            CampaignProgress(
                campaign.id,
                campaign.code,
                on,
                len(targets),
                evaluated,
                recognised,
                campaign.goal_count,
                campaign.goal_share,
                campaign.goal_base_count,
            )
        )
    text = viewer.gettext(
        "%(n)s of %(m)s targets recognised; %(goal)s", n=recognised, m=len(targets), goal=goal
    )
    return Headline(recognised, len(targets), evaluated, text)


def phase_text(phase: PhaseOn, viewer: Viewer) -> str:
    """ "Phase 2: <its name>", or where the date lies outside the phases."""
    _ = viewer.gettext
    if phase.position == "in":
        name = phase.name_vi if viewer.lang == "vi" else (phase.name_en or phase.name_vi)
        return _("Phase %(n)s: %(name)s", n=phase.ordinal, name=name)
    if phase.position == "before":
        return _("Before the phases")
    if phase.position == "between":
        return _("Between phases")
    return _("After the phases")


def legend(lang: Lang) -> tuple[dict[str, str], ...]:
    return tuple(
        {"class": c, "label": label("campaign_progress", c, lang), "colour": PROGRESS_COLOURS[c]}
        for c in PROGRESS_CLASSES
    )


def timeline(session: Session, campaign: Campaign, today: date, lang: Lang) -> dict[str, Any]:
    """The phases on a time axis from the baseline to the last phase's end (or today, if later),
    with each phase's position in percent, and today's."""
    phases = phases_of(session, campaign.id)
    start = min(
        d
        for d in (campaign.baseline_date, campaign.starts_on, *(p.starts_on for p in phases))
        if d is not None
    )
    ends = [p.ends_on or today for p in phases] + [campaign.ends_on or today, today]
    end = max(ends)
    span = max((end - start).days, 1)

    def at(day: date) -> float:
        return round(100 * (min(max(day, start), end) - start).days / span, 2)

    items = []
    for p in phases:
        stop = p.ends_on or end
        items.append(
            {
                "ordinal": p.ordinal,
                "name": p.name_vi if lang == "vi" else (p.name_en or p.name_vi),
                "starts_on": p.starts_on.isoformat(),
                "ends_on": p.ends_on.isoformat() if p.ends_on else None,
                "left": at(p.starts_on),
                "width": max(round(at(stop) - at(p.starts_on), 2), 0.5),
            }
        )
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "today": today.isoformat(),
        "today_at": at(today),
        "phases": items,
    }


# --- the report (the page's data for a month, and its JSON) ----------------------------------


def report(session: Session, campaign: Campaign, on: date, viewer: Viewer) -> dict[str, Any]:
    """The campaign page's data on ``on`` (JSON-ready): see the module docstring."""
    lang = viewer.lang
    in_scope = targets_in_scope(session, campaign.id, viewer.scope_unit_id)
    targets = [t for t in target_progress(session, campaign.id, on) if t.unit_id in in_scope]
    phase = phase_on(phases_of(session, campaign.id), on)
    head = headline(campaign, targets, on, viewer)
    criteria = evaluation_criteria(session, [t.evaluation_id for t in targets if t.evaluation_id])
    checklist = rules.load_checklist(campaign.checklist_rule_set)
    blank = _blank_checklist(checklist, lang)
    links = _now_in(session, campaign.id, in_scope)
    items = [_target(t, criteria, blank, links.get(t.unit_id), lang) for t in targets]
    items.sort(key=lambda item: (str(item["name"]), str(item["code"])))
    scoped = viewer.scope_unit_id is not None
    return {
        "campaign": {
            "id": campaign.id,
            "code": campaign.code,
            "title": campaign.title,
            "issuer": campaign.issuer,
            "document_number": campaign.document_number,
            "province_code": campaign.province_code,
        },
        "month": month_key(on),
        "as_of": on.isoformat(),
        "headline": head.text,
        "counts": {
            "recognised": head.recognised,
            "targets": head.targets,
            "evaluated": head.evaluated,
            "goal_count": campaign.goal_count,
            "goal_share": None if campaign.goal_share is None else str(campaign.goal_share),
            "goal_base_count": campaign.goal_base_count,
        },
        "scope_note": viewer.gettext("Counting only the targets inside your scope.")
        if scoped
        else None,
        "phase": {
            "position": phase.position,
            "ordinal": phase.ordinal,
            "text": phase_text(phase, viewer),
        },
        "targets": items,
        "not_checked": _not_checked(checklist, lang),
    }


def _blank_checklist(checklist: ChecklistRules, lang: Lang) -> list[dict[str, str]]:
    """The checklist's criteria, none checked yet (before a target's first evaluation)."""
    return [
        {
            "id": c.id,
            "text": c.text_vi if lang == "vi" else c.text_en,
            "verdict": NOT_CHECKED,
            "verdict_label": label("criterion_verdict", NOT_CHECKED, lang),
        }
        for c in checklist.criteria
    ]


def _not_checked(checklist: ChecklistRules, lang: Lang) -> list[dict[str, str]]:
    """Requirements of the plan that the checklist does not judge, and why (so none is silent)."""
    return [
        {"text": n.text_vi, "reason": n.reason_vi if lang == "vi" else n.reason_en}
        for n in checklist.not_checked
    ]


def _now_in(session: Session, campaign_id: int, in_scope: set[int]) -> dict[int, dict[str, str]]:
    """Per target, the 2025 commune it lies (mostly) in: the page to open for it today."""
    if not in_scope:
        return {}
    out = {}
    for target in targets_on_2025_map(session, campaign_id):
        if target.unit_id in in_scope and target.successors:
            first = target.successors[0]
            out[target.unit_id] = {"code": first.code, "name": first.name}
    return out


def _criterion(item: Any, lang: Lang) -> dict[str, str]:
    verdict = str(item.get("verdict") or NOT_CHECKED)
    text = item.get("text_vi") if lang == "vi" else item.get("text_en") or item.get("text_vi")
    return {
        "id": str(item.get("id") or ""),
        "text": str(text or item.get("id") or ""),
        "verdict": verdict,
        "verdict_label": label("criterion_verdict", verdict, lang),
    }


def _target(
    t: TargetProgress,
    criteria: dict[int, list[Any]],
    blank: list[dict[str, str]],
    successor: dict[str, str] | None,
    lang: Lang,
) -> dict[str, Any]:
    progress = progress_class(t.verdict, t.criteria_met, t.criteria_total)
    if t.evaluation_id is not None:
        checklist = [_criterion(c, lang) for c in criteria.get(t.evaluation_id, []) if c]
    else:
        checklist = blank
    return {
        "unit_id": t.unit_id,
        "code": t.code,
        "name": t.name,
        "now_in": successor,
        "link": urls.commune_url(successor["code"]) if successor else None,
        "progress": progress,
        "progress_label": label("campaign_progress", progress, lang),
        "colour": PROGRESS_COLOURS[progress],
        "phase": t.phase.ordinal,
        "evaluated_on": t.evaluated_on.isoformat() if t.evaluated_on else None,
        "verdict": t.verdict,
        "verdict_label": label("evaluation_verdict", t.verdict, lang) if t.verdict else None,
        "computed_verdict": t.computed_verdict,
        "computed_verdict_label": (
            label("evaluation_verdict", t.computed_verdict, lang) if t.computed_verdict else None
        ),
        "overridden": t.overridden,
        "override_reason": t.override_reason,
        "criteria_met": t.criteria_met,
        "criteria_total": t.criteria_total,
        "criteria": checklist,
    }
