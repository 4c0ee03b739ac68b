"""What the report pages show, assembled without Flask (the web pages, the XLSX and the PDF read
the same data): the statutory table of a province with its goals (planned vs achieved), a
campaign's monthly report, and the province targets form's list.

Labels and colours of the legend come from ``domain/vocabulary.py`` (through the statutory
table); every figure from ``services/classification/statutory.py`` and ``services/reports/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app import urls
from geo_app.domain.month import Month
from geo_app.domain.vocabulary import (
    CAMPAIGN_PROGRESS,
    CLASSIFICATION_CLASSES,
    EVALUATION_VERDICTS,
    NO_DATA,
)
from geo_app.errors import NotFound
from geo_app.layers.admin_units import in_force
from geo_app.layers.base import Lang
from geo_app.layers.filters import scope_filter
from geo_app.models import AdminLevel, AdminUnit
from geo_app.pages.common import Viewer, day_text
from geo_app.services.accounts.scope import OutOfScope, unit_in_scope
from geo_app.services.boundaries import areas
from geo_app.services.campaigns.lookup import PhaseOn
from geo_app.services.classification.province import province_in_force
from geo_app.services.classification.statutory import (
    NOT_CLASSIFIED,
    RECOGNISED,
    StatutoryTable,
    percent,
    table,
)
from geo_app.services.reports.monthly import (
    MonthlyReport,
    TargetMonth,
    campaign_for_report,
    monthly_report,
)
from geo_app.services.reports.targets import (
    PlannedAchieved,
    TargetRecord,
    achieved_on,
    current_goal,
    planned_vs_achieved,
    targets_of,
)

COLOURS: dict[str, str] = {
    **CLASSIFICATION_CLASSES.colours,
    NOT_CLASSIFIED: CLASSIFICATION_CLASSES.colours[NO_DATA],
    RECOGNISED: CAMPAIGN_PROGRESS.colours[RECOGNISED],
}
"""The one fixed legend's colours: the map's classes; "not classified" is the map's "no data"."""

Cell = str | int | float | None


@dataclass(frozen=True)
class Option:
    value: str
    text: str


@dataclass(frozen=True)
class StatutoryRow:
    """One legend entry: this month's and a year before's count and share."""

    key: str
    label: str
    colour: str
    count: int
    share: Fraction | None
    previous_count: int
    previous_share: Fraction | None

    @property
    def percent(self) -> str:
        return percent(self.share)

    @property
    def previous_percent(self) -> str:
        return percent(self.previous_share)

    def bar(self, previous: bool = False) -> float:
        """The bar's length in percent of the chart's width (the share itself)."""
        share = self.previous_share if previous else self.share
        return round(float(share or 0) * 100, 2)


@dataclass(frozen=True)
class GoalRow:
    """A registered goal beside what is achieved in the report's month."""

    year: int
    goal: str
    planned: int
    achieved: str
    recognised: int
    status: str
    met: bool
    basis: str


@dataclass(frozen=True)
class StatutoryPage:
    title: str
    lang: Lang
    demo: bool
    province_code: str
    province_name: str
    month: str
    previous_month: str
    communes: int
    previous_communes: int
    rows: tuple[StatutoryRow, ...]
    goals: tuple[GoalRow, ...]
    provinces: tuple[Option, ...]
    xlsx: str
    pdf: str
    headings: dict[str, str]


def _lang(viewer: Viewer) -> dict[str, str]:
    """What a link carries to keep the page's language (Vietnamese needs nothing)."""
    return {"lang": "en"} if viewer.lang == "en" else {}


def report_month(text: str | None, today: date) -> Month:
    """``?month=YYYY-MM`` (a MonthError, 400, when bad or to come); this month when none."""
    return Month.parse(text, today=today) if text else Month.of(today)


def statutory_page(
    session: Session, province_code: str | None, month: Month, viewer: Viewer
) -> StatutoryPage:
    """The statutory table of a province in the reader's scope (403 outside, 404 unknown)."""
    _ = viewer.gettext
    provinces = province_options(session, month.last_day, viewer)
    code = province_code or _first_with_goal(session, provinces)
    if not code:
        raise OutOfScope(_("this area is outside your scope"))
    try:
        province = province_in_force(session, code, month.last_day)
    except NotFound:
        raise NotFound(_("no province with code %(code)s", code=repr(code[:20]))) from None
    if not unit_in_scope(session, viewer.scope_unit_id, province.id):
        raise OutOfScope(_("this area is outside your scope"))
    result = table(session, province_code=code, month=month.first_day)
    goals = planned_vs_achieved(
        targets_of(session, code),
        month.last_day,
        result.current.communes,
        result.current.recognised,
    )
    query = {"province": code, "month": str(month)} | (
        {"lang": "en"} if viewer.lang == "en" else {}
    )
    return StatutoryPage(
        title=_("Statutory report: %(name)s, %(month)s", name=province.name, month=str(month)),
        lang=viewer.lang,
        demo=areas.demo_loaded(session),
        province_code=code,
        province_name=province.name,
        month=str(month),
        previous_month=f"{result.previous.month:%Y-%m}",
        communes=result.current.communes,
        previous_communes=result.previous.communes,
        rows=statutory_rows(result, viewer.lang),
        goals=tuple(goal_row(g, viewer) for g in goals),
        provinces=provinces,
        xlsx=urls.report_url(urls.REPORTS_STATUTORY, {**query, "format": "xlsx"}),
        pdf=urls.report_url(urls.REPORTS_STATUTORY, {**query, "format": "pdf"}),
        headings=statutory_headings(viewer),
    )


def _first_with_goal(session: Session, provinces: tuple[Option, ...]) -> str:
    """The province a report opens on: the first in scope with a goal, else the first."""
    with_goal = {t.province_code for t in targets_of(session)}
    first = next((p for p in provinces if p.value in with_goal), None) or next(
        iter(provinces), None
    )
    return first.value if first else ""


def statutory_headings(viewer: Viewer) -> dict[str, str]:
    """The words of the table, the chart and the goals, in the reader's language."""
    _ = viewer.gettext
    return {
        "class": _("Class"),
        "count": _("Communes"),
        "share": _("Share"),
        "total": _("Communes and wards"),
        "chart": _("Share of communes per class, this year and a year before"),
        "goals": _("Targets: planned and achieved"),
        "year": _("Year"),
        "goal": _("Goal (at least)"),
        "planned": _("Planned (communes)"),
        "achieved": _("Achieved"),
        "status": _("Status"),
        "basis": _("Basis"),
        "no_goals": _("No target registered for this province."),
    }


def statutory_rows(result: StatutoryTable, lang: Lang) -> tuple[StatutoryRow, ...]:
    pick = 0 if lang == "vi" else 1
    return tuple(
        StatutoryRow(key, (vi, en)[pick], COLOURS[key], now, share, then, then_share)
        for key, vi, en, now, share, then, then_share in result.rows()
    )


def goal_row(goal: PlannedAchieved, viewer: Viewer) -> GoalRow:
    _ = viewer.gettext
    if goal.met:
        status = _("Met")
    elif goal.due:
        status = _("Not met")
    else:
        status = _("In progress")
    return GoalRow(
        year=goal.target.year,
        goal=f"{goal.target.percent} %",
        planned=goal.planned,
        achieved=percent(goal.achieved),
        recognised=goal.recognised,
        status=status,
        met=goal.met,
        basis=goal.target.basis,
    )


def province_options(session: Session, on: date, viewer: Viewer) -> tuple[Option, ...]:
    """The provinces in force on ``on`` inside the reader's scope, by name."""
    rows = session.execute(
        sa.select(AdminUnit.code, AdminUnit.name)
        .where(
            AdminUnit.level == AdminLevel.province,
            in_force(AdminUnit, on),
            scope_filter(viewer.scope_unit_id),
        )
        .order_by(AdminUnit.name)
    ).all()
    return tuple(Option(row.code, row.name) for row in rows)


def statutory_table_rows(page: StatutoryPage) -> tuple[list[str], list[list[Cell]]]:
    """The XLSX sheet: one row per legend entry (counts and shares of both months)."""
    h = page.headings
    headers = [
        h["class"],
        f"{h['count']} {page.month}",
        f"{h['share']} {page.month} (%)",
        f"{h['count']} {page.previous_month}",
        f"{h['share']} {page.previous_month} (%)",
    ]
    rows: list[list[Cell]] = [[h["total"], page.communes, 100.0, page.previous_communes, 100.0]]
    for r in page.rows:
        rows.append([r.label, r.count, _pct(r.share), r.previous_count, _pct(r.previous_share)])
    for g in page.goals:
        rows.append([f"{h['goal']} {g.year} {g.goal}", g.planned, None, None, None])
    return headers, rows


def _pct(share: Fraction | None) -> float | None:
    return None if share is None else round(float(share) * 100, 1)


# --- the monthly report of a campaign -----------------------------------------------------------


@dataclass(frozen=True)
class MonthlyRow:
    code: str
    name: str
    phase: str
    criteria: str
    change: str
    verdict: str
    recognised: bool
    cleared: int
    relapsed: int


@dataclass(frozen=True)
class MonthlyPage:
    title: str
    lang: Lang
    demo: bool
    campaign_title: str
    campaign_link: str
    month: str
    on: str
    summary: str
    rows: tuple[MonthlyRow, ...]
    headers: tuple[str, ...]
    xlsx: str
    pdf: str


def monthly_page(session: Session, key: str, month: Month, viewer: Viewer) -> MonthlyPage:
    """A campaign's report of ``month`` for the reader's scope (404/403 as the campaign page)."""
    _ = viewer.gettext
    campaign = campaign_for_report(session, key, viewer.scope_unit_id)
    report = monthly_report(session, campaign, month.first_day, viewer.scope_unit_id)
    query = {"month": str(month), **_lang(viewer)}
    path = urls.monthly_report_path(campaign.code)
    return MonthlyPage(
        title=_("Monthly report %(month)s: %(code)s", month=str(month), code=campaign.code),
        lang=viewer.lang,
        demo=areas.demo_loaded(session),
        campaign_title=campaign.title,
        campaign_link=urls.campaign_url(campaign.id, str(month), viewer.lang),
        month=str(month),
        on=day_text(report.on),
        summary=monthly_summary(report, viewer),
        rows=tuple(monthly_row(t, viewer) for t in report.targets),
        headers=monthly_headers(viewer),
        xlsx=urls.report_url(path, {**query, "format": "xlsx"}),
        pdf=urls.report_url(path, {**query, "format": "pdf"}),
    )


def monthly_headers(viewer: Viewer) -> tuple[str, ...]:
    _ = viewer.gettext
    return (
        _("Code"),
        _("Target"),
        _("Phase"),
        _("Criteria met"),
        _("Changes since last month"),
        _("Verdict"),
        _("Hotspots cleared"),
        _("Relapse candidates"),
    )


def monthly_summary(report: MonthlyReport, viewer: Viewer) -> str:
    return viewer.gettext(
        "%(recognised)s of %(targets)s targets recognised; %(cleared)s hotspots cleared and "
        "%(relapsed)s relapse candidates this month.",
        recognised=report.recognised,
        targets=len(report.targets),
        cleared=report.cleared,
        relapsed=report.relapsed,
    )


def monthly_row(target: TargetMonth, viewer: Viewer) -> MonthlyRow:
    met = target.criteria_met
    return MonthlyRow(
        code=target.code,
        name=target.name,
        phase=phase_text(target.phase, viewer),
        criteria="—" if met is None else f"{met}/{target.criteria_total}",
        change=change_text(target, viewer),
        verdict=verdict_text(target.verdict, viewer),
        recognised=target.verdict == RECOGNISED,
        cleared=target.cleared,
        relapsed=target.relapsed,
    )


def phase_text(phase: PhaseOn, viewer: Viewer) -> str:
    _ = viewer.gettext
    if phase.position == "in":
        name = phase.name_vi if viewer.lang == "vi" else (phase.name_en or phase.name_vi)
        return _("Phase %(number)s: %(name)s", number=phase.ordinal, name=name)
    return {
        "before": _("Before the phases"),
        "between": _("Between phases"),
    }.get(phase.position, _("After the phases"))


def verdict_text(verdict: str | None, viewer: Viewer) -> str:
    if verdict is None:
        return viewer.gettext("Not evaluated")
    return EVALUATION_VERDICTS.label(verdict, viewer.lang)


def change_text(target: TargetMonth, viewer: Viewer) -> str:
    """What changed since the previous month's end, in words ("—" when nothing did)."""
    _ = viewer.gettext
    parts = []
    if target.phase_changed:
        parts.append(_("now %(phase)s", phase=phase_text(target.phase, viewer)))
    if target.met_change:
        parts.append(_("criteria met %(change)+d", change=target.met_change))
    elif target.previous_met is None and target.criteria_met is not None:
        parts.append(_("first evaluation"))
    if target.verdict_changed and target.previous_verdict is not None:
        parts.append(
            _(
                "verdict: %(before)s → %(now)s",
                before=verdict_text(target.previous_verdict, viewer),
                now=verdict_text(target.verdict, viewer),
            )
        )
    return "; ".join(parts) or "—"


def monthly_table_rows(page: MonthlyPage) -> tuple[list[str], list[list[Cell]]]:
    """The XLSX sheet: one row per target."""
    rows: list[list[Cell]] = [
        [r.code, r.name, r.phase, r.criteria, r.change, r.verdict, r.cleared, r.relapsed]
        for r in page.rows
    ]
    return list(page.headers), rows


# --- the province targets form ------------------------------------------------------------------


@dataclass(frozen=True)
class TargetsPage:
    title: str
    lang: Lang
    demo: bool
    provinces: tuple[Option, ...]
    targets: tuple[TargetRecord, ...]
    names: dict[str, str]


def targets_page(session: Session, viewer: Viewer) -> TargetsPage:
    """The goals of the provinces in the reader's scope and the form's province choices."""
    provinces = province_options(session, viewer.today, viewer)
    codes = {p.value for p in provinces}
    return TargetsPage(
        title=viewer.gettext("Province targets"),
        lang=viewer.lang,
        demo=areas.demo_loaded(session),
        provinces=provinces,
        targets=tuple(t for t in targets_of(session) if t.province_code in codes),
        names={p.value: p.text for p in provinces},
    )


# --- planned vs achieved on the national page ---------------------------------------------------


@dataclass(frozen=True)
class NationalGoal:
    """A province's goal that counts this year beside its recognised communes today."""

    name: str
    link: str
    year: int
    goal: str
    planned: int
    recognised: int
    achieved: str
    status: str


def national_goals(session: Session, viewer: Viewer) -> tuple[NationalGoal, ...]:
    """Every province in scope with a goal for this year or later: planned vs achieved today."""
    names = {o.value: o.text for o in province_options(session, viewer.today, viewer)}
    by_province: dict[str, list[TargetRecord]] = {}
    for t in targets_of(session):
        if t.province_code in names:
            by_province.setdefault(t.province_code, []).append(t)
    out = []
    for code, goals in by_province.items():
        goal = current_goal(goals, viewer.today.year)
        if goal is None:
            continue
        communes, recognised = achieved_on(session, code, viewer.today)
        [row] = planned_vs_achieved([goal], viewer.today, communes, recognised)
        statutory = {"province": code, **_lang(viewer)}
        out.append(
            NationalGoal(
                name=names[code],
                link=urls.report_url(urls.REPORTS_STATUTORY, statutory),
                year=goal.year,
                goal=f"{goal.percent} %",
                planned=row.planned,
                recognised=recognised,
                achieved=percent(row.achieved),
                status=goal_row(row, viewer).status,
            )
        )
    return tuple(sorted(out, key=lambda g: g.name))
