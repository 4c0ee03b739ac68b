"""Briefing mode (``?present=1``): the steps a projector walks through, delivered in the page.

Why a shape of its own: the province, commune and campaign pages each know what they show, but
a briefing needs it as a cover and a list of steps, each saying where to zoom and what to write
in large type, all in the page as JSON so the briefing runs offline once loaded and needs no
extra request. Built from the page modules' frozen data (plus the places' extents), never from
Flask; ``static/js/present.js`` draws it.

Which steps: a campaign steps through its targets in the page's order; a province through its
key areas (types I–III, the most serious first), the communes a briefing talks about; a commune
page shows one place, so it has the cover (the overview) only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app import features
from geo_app.domain.vocabulary import RANKED_CLASSES
from geo_app.errors import InvalidInput
from geo_app.features import FeatureQuery
from geo_app.layers.base import LayerQuery
from geo_app.layers.classification import CLASS_COLOURS
from geo_app.models import AdminUnit
from geo_app.pages.campaign import CampaignPage
from geo_app.pages.common import Translate, Viewer, day_text
from geo_app.pages.commune import CommunePage
from geo_app.pages.province import ProvincePage

PARAMETER = "present"
ON, OFF = "1", "0"
KEY_CLASSES: tuple[str, ...] = RANKED_CLASSES[:3]
"""The key areas (types I, II, III): the communes a province briefing steps through."""
STEP_SIMPLIFY = 0.001  # degrees: only the extents of the province's communes are used
BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class Check:
    """One checklist criterion and its verdict (``met``, ``not_met``, ``not_checked`` …)."""

    text: str
    verdict: str
    label: str


@dataclass(frozen=True)
class Step:
    """What one step shows: its place (zoomed to ``bounds``), a badge in the map's colour, a
    few facts as (label, value) and the checklist verdicts, if any."""

    code: str
    title: str
    bounds: BBox | None
    badge: str = ""
    colour: str = ""
    facts: tuple[tuple[str, str], ...] = ()
    checks: tuple[Check, ...] = ()


@dataclass(frozen=True)
class Presentation:
    """The headline (always on screen), the cover (the whole page) and the steps in order."""

    headline: str
    subtitle: str
    cover: Step
    steps: tuple[Step, ...] = ()
    labels: dict[str, str] = field(default_factory=dict)

    def as_json(self, map_name: str, exit_url: str) -> dict[str, Any]:
        """The page's JSON block: the folium map to drive and where "exit" goes, too."""
        return {
            "map": map_name,
            "exit": exit_url,
            "headline": self.headline,
            "subtitle": self.subtitle,
            "cover": _step_json(self.cover),
            "steps": [_step_json(step) for step in self.steps],
            "labels": self.labels,
        }


def _step_json(step: Step) -> dict[str, Any]:
    return {
        "code": step.code,
        "title": step.title,
        "bounds": list(step.bounds) if step.bounds else None,
        "badge": step.badge,
        "colour": step.colour,
        "facts": [list(fact) for fact in step.facts],
        "checks": [{"text": c.text, "verdict": c.verdict, "label": c.label} for c in step.checks],
    }


# --- the parameter ------------------------------------------------------------------------------


def wanted(text: str | None, gettext: Translate) -> bool:
    """Whether ``?present=`` asks for briefing mode: ``1`` yes, ``0`` or none no, else a 400."""
    if text is None or text == OFF:
        return False
    if text == ON:
        return True
    raise InvalidInput(gettext("present must be 1 or 0"))


def exit_query(args: Iterable[tuple[str, str]]) -> str:
    """The query of the normal page: the same parameters (month, language) without ``present``."""
    kept = [(key, value) for key, value in args if key != PARAMETER]
    return "?" + urlencode(kept) if kept else ""


def enter_query(args: Iterable[tuple[str, str]]) -> str:
    """The query of the same page in briefing mode."""
    kept = [(key, value) for key, value in args if key != PARAMETER]
    return "?" + urlencode([*kept, (PARAMETER, ON)])


def _labels(gettext: Translate) -> dict[str, str]:
    """The words ``present.js`` writes itself (the buttons are in the template)."""
    return {"overview": gettext("Overview"), "checklist": gettext("Checklist")}


# --- the campaign: cover, then each target --------------------------------------------------------


def campaign_presentation(session: Session, page: CampaignPage, viewer: Viewer) -> Presentation:
    """The campaign's headline, a cover with the targets counted by progress, and a step per
    target in the page's order (zoomed to it, with its progress, phase and checklist)."""
    _ = viewer.gettext
    report = page.report
    targets = report["targets"]
    extents = _extents(session, [int(t["unit_id"]) for t in targets])
    counted = Counter(str(t["progress"]) for t in targets)
    phases = {int(p["ordinal"]): str(p["name"]) for p in page.timeline["phases"]}
    cover = Step(
        code="",
        title=page.title,
        bounds=page.bounds,
        facts=tuple(
            (i["label"], str(counted[i["class"]])) for i in page.legend if counted[i["class"]]
        ),
    )
    return Presentation(
        headline=str(report["headline"]),
        subtitle=f"{report['phase']['text']} · {_('As of %(day)s', day=_iso_day(report['as_of']))}",
        cover=cover,
        steps=tuple(
            _target_step(t, extents.get(int(t["unit_id"])), phases, report["phase"]["text"], _)
            for t in targets
        ),
        labels=_labels(_),
    )


def _target_step(
    target: Mapping[str, Any],
    bounds: BBox | None,
    phases: dict[int, str],
    outside: str,
    _: Translate,
) -> Step:
    """A target's step; ``outside`` is the page's phase text for a date outside the phases."""
    if target["phase"]:
        ordinal = int(target["phase"])
        phase = f"{ordinal}. {phases.get(ordinal, '')}".rstrip(". ")
    else:
        phase = outside
    facts = [(_("Phase"), phase)]
    if target["evaluated_on"]:
        facts.append((_("Evaluated on"), _iso_day(str(target["evaluated_on"]))))
        facts.append((_("Verdict"), str(target["verdict_label"] or "")))
    if target["criteria_total"]:
        facts.append((_("Criteria met"), f"{target['criteria_met']}/{target['criteria_total']}"))
    return Step(
        code=str(target["code"]),
        title=str(target["name"]),
        bounds=bounds,
        badge=str(target["progress_label"]),
        colour=str(target["colour"]),
        facts=tuple(facts),
        checks=tuple(
            Check(str(c["text"]), str(c["verdict"]), str(c["verdict_label"]))
            for c in target["criteria"]
        ),
    )


def _iso_day(text: str) -> str:
    return f"{text[8:10]}/{text[5:7]}/{text[0:4]}"


def _extents(session: Session, unit_ids: list[int]) -> dict[int, BBox]:
    """(south, west, north, east) of each unit, in one query."""
    if not unit_ids:
        return {}
    geom = AdminUnit.geom
    rows = session.execute(
        sa.select(
            AdminUnit.id,
            sa.func.ST_YMin(geom),
            sa.func.ST_XMin(geom),
            sa.func.ST_YMax(geom),
            sa.func.ST_XMax(geom),
        ).where(AdminUnit.id.in_(sorted(set(unit_ids))), geom.is_not(None))
    )
    return {int(r[0]): (float(r[1]), float(r[2]), float(r[3]), float(r[4])) for r in rows}


# --- a province: cover, then its key areas ------------------------------------------------------


def province_presentation(session: Session, page: ProvincePage, viewer: Viewer) -> Presentation:
    """The province's headline (drug-free and key-area counts), its outline as the cover and
    a step per key-area commune in scope, the most serious class first, then by name."""
    _ = viewer.gettext
    counts = page.class_counts
    key = sum(counts.get(k, 0) for k in KEY_CLASSES)
    headline = _(
        "%(free)s of %(total)s communes drug-free; %(key)s key areas",
        free=counts.get("drug_free", 0),
        total=len(page.communes),
        key=key,
    )
    steps = _key_area_steps(session, page, viewer) if key else ()
    return Presentation(
        headline=f"{page.title}: {headline}",
        subtitle=_("As of %(day)s", day=day_text(page.shown.on)),
        cover=Step(code=page.unit.code, title=page.title, bounds=features.bounds(page.outline)),
        steps=steps,
        labels=_labels(_),
    )


def _key_area_steps(session: Session, page: ProvincePage, viewer: Viewer) -> tuple[Step, ...]:
    _ = viewer.gettext
    area = LayerQuery(
        area_code=page.unit.code,
        as_of=page.shown.on,
        lang=viewer.lang,
        scope_unit_id=viewer.scope_unit_id,
        simplify_degrees=STEP_SIMPLIFY,
    )
    columns = ("code", "name", "level", "class", "class_label", "criteria", "month")
    query = FeatureQuery("classification", area, properties=columns, decimals=4)
    found = [
        f
        for f in features.collection(session, query).geojson["features"]
        if f["properties"]["level"] == "commune" and f["properties"]["class"] in KEY_CLASSES
    ]
    found.sort(key=lambda f: (KEY_CLASSES.index(f["properties"]["class"]), f["properties"]["name"]))
    steps = []
    for item in found:
        props = item["properties"]
        facts = [(_("Criteria that fired"), str(props.get("criteria") or "—"))]
        if props.get("month") not in (None, "—"):
            facts.append((_("Data month"), str(props["month"])))
        steps.append(
            Step(
                code=str(props["code"]),
                title=str(props["name"]),
                bounds=features.bounds({"type": "FeatureCollection", "features": [item]}),
                badge=str(props["class_label"]),
                colour=CLASS_COLOURS[str(props["class"])],
                facts=tuple(facts),
            )
        )
    return tuple(steps)


# --- a commune: the overview only ---------------------------------------------------------------


def commune_presentation(page: CommunePage, viewer: Viewer) -> Presentation:
    """The commune's class as the headline and the commune itself as the only view."""
    _ = viewer.gettext
    unit_class = page.unit_class
    headline = f"{page.title}: {unit_class.label}" if unit_class else page.title
    facts: list[tuple[str, str]] = []
    if unit_class and unit_class.why:
        facts.append((unit_class.why_label, unit_class.why))
    return Presentation(
        headline=headline,
        subtitle=_("As of %(day)s", day=day_text(page.shown.on)),
        cover=Step(
            code=page.unit.code,
            title=page.title,
            bounds=page.bounds,
            badge=unit_class.label if unit_class else "",
            colour=unit_class.colour if unit_class else "",
            facts=tuple(facts),
        ),
        labels=_labels(_),
    )
