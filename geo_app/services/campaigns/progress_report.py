"""What the campaign page shows for one month, inside the user's scope.

The headline ("7/21 targets recognised; goal 21 (20 % of 104)"), the phase on the date, the
phase timeline, and every target in scope with its progress class (the map's colour) and its
checklist as last evaluated. Targets outside the user's scope are never read into the report,
so neither the list nor the counts say anything about them. Read-only; dates are plain dates.

A month means its last day, or today for the current month (nothing after today is known), so
the page, its JSON and its tiles (``?month=<that date>``) all show the same moment.

The headline, phase and scope-note texts are page chrome in the page's language: Flask-Babel
messages read in ``lang`` (``i18n.language``, so they work outside a request too). The page's
JSON is that page's data, not an export: the language-free figures sit beside them (``counts``,
``phase.position``). Phase names, checklist texts and vocabulary labels are data and keep their
(Vietnamese, English) pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Session

from geo_app import rules
from geo_app.domain.checklist import ChecklistRules
from geo_app.domain.month import as_of as parse_as_of
from geo_app.errors import NotFound
from geo_app.i18n import language
from geo_app.layers.base import Lang
from geo_app.layers.campaign_progress import PROGRESS_CLASSES, PROGRESS_COLOURS, progress_class
from geo_app.layers.vocab import label
from geo_app.models import AdminUnit, Campaign, CampaignTarget, Evaluation
from geo_app.services import areas
from geo_app.services.campaigns.lookup import PhaseOn, campaign_by_id, phase_on, phases_of
from geo_app.services.campaigns.map2025 import targets_on_2025_map
from geo_app.services.campaigns.progress import (
    CampaignProgress,
    TargetProgress,
    goal_text,
    percent,
    target_progress,
)
from geo_app.services.scope import OutOfScope, scope_filter, unit_in_scope

NOT_CHECKED = "not_checked"
COMMUNE_PAGE = "/map/commune/"

NO_GOAL_VI = "chưa đặt chỉ tiêu"
"""``goal_text_vi`` without a goal (``goal_text``'s "no goal set")."""


def _position_text(position: str) -> str:
    """The phase line for a date outside every phase, in the current Flask-Babel language."""
    if position == "before":
        return gettext("Before the phases")
    if position == "between":
        return gettext("Between phases")
    return gettext("After the phases")


# --- which campaign, which targets ---------------------------------------------------------


def visible_campaign(session: Session, campaign_id: int, scope_unit_id: int | None) -> Campaign:
    """The campaign, if the user may see it: national users see every campaign; others those
    with a target in their scope or whose province contains their scope or lies inside it.

    NotFound for an unknown (or deleted) id, OutOfScope (403) for one outside the scope.
    """
    campaign = campaign_by_id(session, campaign_id)
    if scope_unit_id is None or targets_in_scope(session, campaign.id, scope_unit_id):
        return campaign
    province = _province_id(session, campaign)
    if province is not None and (
        unit_in_scope(session, scope_unit_id, province)
        or unit_in_scope(session, province, scope_unit_id)
    ):
        return campaign
    raise OutOfScope("this campaign is outside your scope")


def _province_id(session: Session, campaign: Campaign) -> int | None:
    if not campaign.province_code:
        return None
    try:
        return areas.unit_in_force(session, campaign.province_code, "province").id
    except NotFound:
        return None


def targets_in_scope(session: Session, campaign_id: int, scope_unit_id: int | None) -> set[int]:
    """Unit ids of the campaign's targets inside the scope (the rule of services.scope)."""
    rows = session.scalars(
        sa.select(CampaignTarget.admin_unit_id)
        .join(AdminUnit, AdminUnit.id == CampaignTarget.admin_unit_id)
        .where(CampaignTarget.campaign_id == campaign_id, scope_filter(scope_unit_id))
    )
    return set(rows)


def targets_bounds(
    session: Session, unit_ids: set[int]
) -> tuple[float, float, float, float] | None:
    """(south, west, north, east) around the given targets, for fitting the map to them."""
    if not unit_ids:
        return None
    extent = sa.func.ST_Extent(AdminUnit.geom)
    row = session.execute(
        sa.select(
            sa.func.ST_YMin(extent),
            sa.func.ST_XMin(extent),
            sa.func.ST_YMax(extent),
            sa.func.ST_XMax(extent),
        ).where(AdminUnit.id.in_(sorted(unit_ids)))
    ).one()
    if row[0] is None:
        return None
    return float(row[0]), float(row[1]), float(row[2]), float(row[3])


# --- months -----------------------------------------------------------------------------------


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def as_of(text: str | None, today: date) -> date:
    """The date a ``month`` parameter stands for: its last day, never after today.

    ``YYYY-MM-DD`` is taken as that day (tile URLs carry the date the JSON answered), and no
    parameter means today; ``geo_app.domain.month.as_of`` reads it (MonthError, 400, if bad).
    """
    return parse_as_of(text, today=today)


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


# --- the report -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Headline:
    recognised: int
    targets: int
    evaluated: int
    text: str


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


def headline(campaign: Campaign, targets: list[TargetProgress], on: date, lang: Lang) -> Headline:
    recognised = sum(1 for t in targets if t.verdict == "recognised")
    evaluated = sum(1 for t in targets if t.evaluation_id is not None)
    if lang == "vi":
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
    with language(lang):
        text = gettext(
            "%(n)s of %(m)s targets recognised; %(goal)s", n=recognised, m=len(targets), goal=goal
        )
    return Headline(recognised, len(targets), evaluated, text)


def phase_text(phase: PhaseOn, lang: Lang) -> str:
    """ "Phase 2: <its name>", or where the date lies outside the phases, in ``lang``."""
    with language(lang):
        if phase.position == "in":
            name = phase.name_vi if lang == "vi" else (phase.name_en or phase.name_vi)
            return gettext("Phase %(n)s: %(name)s", n=phase.ordinal, name=name)
        return _position_text(phase.position)


def legend(lang: Lang) -> list[dict[str, str]]:
    return [
        {"class": c, "label": label("campaign_progress", c, lang), "colour": PROGRESS_COLOURS[c]}
        for c in PROGRESS_CLASSES
    ]


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


def report(
    session: Session,
    campaign: Campaign,
    on: date,
    scope_unit_id: int | None,
    lang: Lang,
) -> dict[str, Any]:
    """The campaign page's data on ``on`` (JSON-ready): see the module docstring."""
    in_scope = targets_in_scope(session, campaign.id, scope_unit_id)
    targets = [t for t in target_progress(session, campaign.id, on) if t.unit_id in in_scope]
    phase = phase_on(phases_of(session, campaign.id), on)
    head = headline(campaign, targets, on, lang)
    criteria = _criteria(session, [t.evaluation_id for t in targets if t.evaluation_id])
    checklist = rules.load_checklist(campaign.checklist_rule_set)
    blank = _blank_checklist(checklist, lang)
    links = _links(session, campaign.id, in_scope)
    items = [_target(t, criteria, blank, links.get(t.unit_id), lang) for t in targets]
    items.sort(key=lambda item: (str(item["name"]), str(item["code"])))
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
        "scope_note": _scope_note(lang) if scope_unit_id is not None else None,
        "phase": {
            "position": phase.position,
            "ordinal": phase.ordinal,
            "text": phase_text(phase, lang),
        },
        "targets": items,
        "not_checked": _not_checked(checklist, lang),
    }


def _scope_note(lang: Lang) -> str:
    with language(lang):
        return gettext("Counting only the targets inside your scope.")


def _criteria(session: Session, evaluation_ids: list[int]) -> dict[int, list[Any]]:
    if not evaluation_ids:
        return {}
    rows = session.execute(
        sa.select(Evaluation.id, Evaluation.criteria).where(Evaluation.id.in_(evaluation_ids))
    )
    return {row.id: row.criteria if isinstance(row.criteria, list) else [] for row in rows}


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


def _links(session: Session, campaign_id: int, in_scope: set[int]) -> dict[int, dict[str, str]]:
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
        "link": COMMUNE_PAGE + successor["code"] if successor else None,
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
