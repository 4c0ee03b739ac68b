"""Briefing packs: one PDF for a commune, or for every target of a campaign.

A commune's pack is one page: its map, its class and the criteria that fired, each campaign
that targets it (phase, progress, verdict, the checklist with each criterion's verdict) and its
indicators over the last 12 months. A campaign's pack is a cover (the headline "N/M targets
recognised", the phase timeline, the map and the list of targets) and then that page for every
target in the reader's scope. Everything comes from the page modules, so the pack says what the
commune and campaign pages say for the same month. ``progress(done, total)`` is called after
each page (the job runner shows it on the page).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from sqlalchemy.orm import Session

from geo_app.domain.indicators import LABELS as INDICATOR_LABELS
from geo_app.models import AdminUnit, Campaign, Indicator
from geo_app.pages import campaign as campaign_pages
from geo_app.pages.common import PageMonth, Viewer, day_text, month_label
from geo_app.pages.commune import CommunePage, commune_page
from geo_app.printing.briefing_map import (
    BriefingSheet,
    Words,
    campaign_sheet,
    commune_layers,
    data_month,
    draw_map,
)
from geo_app.printing.cartography import from_page_bounds
from geo_app.printing.kit import Paper, new_page, pdf_document
from geo_app.services.campaigns.listing import campaigns_touching

PACK_PAPER = Paper("A4", "portrait")
TREND = ("drug_users", "addicts_registered", "suspected_users", "drug_cases_by_residents")
"""The indicators charted over 12 months (the ones the classification weighs most)."""
TREND_MONTHS = 12
VERDICT_COLOURS = {"met": "#1a9850", "not_met": "#b2182b"}
CHECKLIST_LINES = 24
WIDE_PHASE = 25
"""A phase narrower than this share of the timeline (%) is labelled by its number only."""
Progress = Callable[[int, int], None]
AUTHOR = "geo_app"


@dataclass(frozen=True)
class TargetLine:
    """A campaign's view of one target: phase, progress, verdict and the checklist."""

    campaign: str
    phase: str
    progress: str
    verdict: str
    checklist: tuple[dict[str, str], ...]


# --- data ------------------------------------------------------------------------------------


def indicator_trend(
    session: Session, unit_id: int, on: date, lang: str
) -> tuple[list[str], dict[str, list[int | None]]]:
    """The last 12 months up to ``on`` (``MM/YYYY``) and each charted indicator's values."""
    first = date(on.year - 1, on.month, 1) + timedelta(days=32)
    first = first.replace(day=1)
    rows = session.execute(
        sa.select(Indicator.month, *(getattr(Indicator, c) for c in TREND))
        .where(Indicator.admin_unit_id == unit_id, Indicator.month.between(first, on))
        .order_by(Indicator.month)
    ).all()
    by_month = {row[0]: row[1:] for row in rows}
    months, cursor = [], first
    for _ in range(TREND_MONTHS):
        months.append(cursor)
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    pick = 0 if lang == "vi" else 1
    series = {
        INDICATOR_LABELS[c][pick]: [by_month.get(m, (None,) * len(TREND))[i] for m in months]
        for i, c in enumerate(TREND)
    }
    return [month_label(m) for m in months], series


def _target_line(report: dict[str, Any], target: dict[str, Any], viewer: Viewer) -> TargetLine:
    _ = viewer.gettext
    verdict = target["verdict_label"] or _("No evaluation up to this month")
    if target["evaluated_on"]:
        verdict = f"{verdict} ({target['evaluated_on']})"
    return TargetLine(
        campaign=str(report["campaign"]["title"]),
        phase=str(report["phase"]["text"]),
        progress=str(target["progress_label"]),
        verdict=verdict,
        checklist=tuple(target["criteria"]),
    )


def _commune_lines(session: Session, page: CommunePage, viewer: Viewer) -> tuple[TargetLine, ...]:
    """The campaigns targeting the commune (or one of its former parts), as of the page."""
    lines = []
    for link in campaigns_touching(session, page.unit.id, None, viewer.scope_unit_id):
        campaign = campaign_pages.campaign_for(session, link.id, viewer)
        report = campaign_pages.report(session, campaign, page.shown.on, viewer)
        for target in report["targets"]:
            now_in = (target.get("now_in") or {}).get("code")
            if target["unit_id"] == page.unit.id or now_in == page.unit.code:
                lines.append(_target_line(report, target, viewer))
    return tuple(lines)


# --- drawing ---------------------------------------------------------------------------------


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def draw_target_page(
    page: CommunePage,
    lines: Sequence[TargetLine],
    trend: tuple[list[str], dict[str, list[int | None]]],
    viewer: Viewer,
) -> Figure:
    """One commune or target on an A4 portrait page (see the module docstring)."""
    _ = viewer.gettext
    figure = new_page(PACK_PAPER)
    words = Words.for_viewer(viewer, data_month(page))
    sheet = BriefingSheet(
        "commune",
        page.title,
        "",
        commune_layers(page),
        from_page_bounds(page.bounds),
        (),
        words,
        page.demo,
    )
    figure.text(0.05, 0.97, _("Briefing pack").upper(), fontsize=9, color="#555555", va="top")
    figure.text(
        0.05, 0.95, f"{page.title} ({page.unit.code})", fontsize=16, weight="bold", va="top"
    )
    figure.text(
        0.95, 0.97, f"{words.printed}\n{words.data_month}", fontsize=8, ha="right", va="top"
    )
    draw_map(figure.add_axes((0.05, 0.60, 0.48, 0.32)), sheet)
    _class_box(figure, page, viewer)
    _campaign_box(figure, lines, viewer)
    _trend_chart(figure.add_axes((0.09, 0.085, 0.84, 0.12)), trend, viewer)
    _foot(figure, words, page.demo)
    return figure


def _class_box(figure: Figure, page: CommunePage, viewer: Viewer) -> None:
    found = page.unit_class
    y = 0.91
    if found is None:
        figure.text(0.57, y, viewer.gettext("No data"), fontsize=10, va="top")
        return
    figure.patches.append(
        _swatch(figure, 0.57, y - 0.018, found.colour, "///" if found.hatch else None)
    )
    figure.text(0.60, y, f"{found.heading}: {found.label}", fontsize=10, weight="bold", va="top")
    if found.why:
        figure.text(
            0.57, y - 0.03, f"{found.why_label}:\n{_wrap(found.why, 50)}", fontsize=7.5, va="top"
        )


def _swatch(figure: Figure, x: float, y: float, colour: str, hatch: str | None) -> Rectangle:
    return Rectangle(
        (x, y),
        0.022,
        0.015,
        facecolor=colour,
        edgecolor="#333333",
        hatch=hatch,
        transform=figure.transFigure,
        figure=figure,
    )


def _campaign_box(figure: Figure, lines: Sequence[TargetLine], viewer: Viewer) -> None:
    """Each campaign's phase, progress, verdict and then its checklist, line by line."""
    _ = viewer.gettext
    y = 0.57
    if not lines:
        figure.text(0.05, y, _("No campaign here."), fontsize=9, va="top")
        return
    for line in lines[:2]:
        figure.text(0.05, y, _wrap(line.campaign, 95), fontsize=9.5, weight="bold", va="top")
        y -= 0.022 * (1 + line.campaign.count("\n") + len(line.campaign) // 95)
        figure.text(
            0.05,
            y,
            f"{line.phase} · {line.progress} · {_('Verdict')}: {line.verdict}",
            fontsize=8,
            va="top",
            color="#333333",
        )
        y -= 0.02
        y = _checklist(figure, line.checklist, y)
        if y < 0.24:
            return
        y -= 0.01


def _checklist(figure: Figure, items: Sequence[dict[str, str]], y: float) -> float:
    """The criteria as one block and their verdicts as one block per colour, lines aligned
    (a text object per line costs ten times as much in the PDF); the y below it."""
    texts: list[str] = []
    verdicts: dict[str, list[str]] = {colour: [] for colour in (*VERDICT_COLOURS.values(), "")}
    for item in items[:CHECKLIST_LINES]:
        wrapped = _wrap(item["text"], 105).split("\n")
        texts.extend(wrapped)
        colour = VERDICT_COLOURS.get(item["verdict"], "")
        for key, column in verdicts.items():
            column.extend(
                [item["verdict_label"] if key == colour else ""] + [""] * (len(wrapped) - 1)
            )
    figure.text(0.07, y, "\n".join(texts), fontsize=7, va="top", linespacing=1.35)
    for colour, column in verdicts.items():
        if any(column):
            figure.text(
                0.95,
                y,
                "\n".join(column),
                fontsize=7,
                va="top",
                ha="right",
                linespacing=1.35,
                weight="bold",
                color=colour or "#555555",
            )
    return y - 0.0128 * len(texts) - 0.01


def _trend_chart(
    ax: Any, trend: tuple[list[str], dict[str, list[int | None]]], viewer: Viewer
) -> None:
    months, series = trend
    positions = list(range(len(months)))
    for name, values in series.items():
        points = [(x, v) for x, v in zip(positions, values, strict=True) if v is not None]
        if points:
            xs, ys = zip(*points, strict=True)
            ax.plot(xs, ys, marker="o", markersize=2.5, linewidth=1.2, label=name)
    ax.set_xticks(positions, months, fontsize=6.5, rotation=0)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_title(viewer.gettext("Indicators over the last 12 months"), fontsize=9, loc="left")
    ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(0, -0.15), ncol=4, frameon=False)
    ax.grid(alpha=0.3)


def _foot(figure: Figure, words: Words, demo: bool) -> None:
    figure.text(0.05, 0.012, _wrap(words.source, 150), fontsize=5.5, color="#444444")
    if demo:
        figure.text(
            0.95,
            0.028,
            words.demo,
            fontsize=7.5,
            weight="bold",
            color="#b2182b",
            ha="right",
            va="bottom",
        )


# --- packs -----------------------------------------------------------------------------------


def commune_pack(
    session: Session,
    code: str,
    month: PageMonth,
    viewer: Viewer,
    target: Any,
    progress: Progress | None = None,
) -> None:
    """The commune's pack (one page) written to ``target`` (a path or a binary file)."""
    page = commune_page(session, code, month, viewer)
    lines = _commune_lines(session, page, viewer)
    trend = indicator_trend(session, page.unit.id, page.shown.on, viewer.lang)
    title = f"{viewer.gettext('Briefing pack')}: {page.title}"
    with pdf_document(target, title, AUTHOR) as document:
        document.savefig(draw_target_page(page, lines, trend, viewer))
    if progress is not None:
        progress(1, 1)


def campaign_pack(
    session: Session,
    campaign_id: int,
    on: date,
    viewer: Viewer,
    target: Any,
    progress: Progress | None = None,
) -> int:
    """The campaign's pack written to ``target``: the cover, then a page per target in the
    reader's scope; how many pages."""
    campaign = campaign_pages.campaign_for(session, campaign_id, viewer)
    report = campaign_pages.report(session, campaign, on, viewer)
    targets = report["targets"]
    total = len(targets) + 1
    title = f"{viewer.gettext('Briefing pack')}: {campaign.title}"
    with pdf_document(target, title, AUTHOR) as document:
        document.savefig(_cover(session, campaign, on, report, viewer))
        if progress is not None:
            progress(1, total)
        for done, item in enumerate(targets, start=2):
            page = _target_page(session, item, on, viewer)
            trend = indicator_trend(session, item["unit_id"], page.shown.on, viewer.lang)
            document.savefig(
                draw_target_page(page, [_target_line(report, item, viewer)], trend, viewer)
            )
            if progress is not None:
                progress(done, total)
    return total


def _target_page(session: Session, item: dict[str, Any], on: date, viewer: Viewer) -> CommunePage:
    """The commune page of a target unit on ``on`` kept inside the unit's validity (a pre-2025
    target shows its own former boundary, as its page does)."""
    unit = session.get(AdminUnit, item["unit_id"])
    day = on
    if unit is not None and unit.valid_to is not None and unit.valid_to <= on:
        day = unit.valid_to - timedelta(days=1)
    return commune_page(session, str(item["code"]), PageMonth(None, day), viewer)


def headline(report: dict[str, Any], viewer: Viewer) -> str:
    """ "N/M targets recognised" in the reader's language."""
    counts = report["counts"]
    return viewer.gettext(
        "%(n)s/%(m)s targets recognised", n=counts["recognised"], m=counts["targets"]
    )


def _cover(
    session: Session, campaign: Campaign, on: date, report: dict[str, Any], viewer: Viewer
) -> Figure:
    """The headline, the goal and phase, the phase timeline, the map and the list of targets."""
    sheet = campaign_sheet(session, campaign.id, on, viewer)
    line = campaign_pages.timeline(session, campaign, viewer.today, viewer.lang)
    figure = new_page(PACK_PAPER)
    words = sheet.words
    figure.text(
        0.05, 0.97, viewer.gettext("Briefing pack").upper(), fontsize=9, color="#555555", va="top"
    )
    figure.text(0.05, 0.95, _wrap(sheet.title, 46), fontsize=15, weight="bold", va="top")
    figure.text(
        0.05, 0.88, headline(report, viewer), fontsize=22, weight="bold", color="#1a9850", va="top"
    )
    figure.text(
        0.05, 0.835, f"{report['headline']}\n{report['phase']['text']}", fontsize=9, va="top"
    )
    figure.text(
        0.95, 0.97, f"{words.printed}\n{words.data_month}", fontsize=8, ha="right", va="top"
    )
    _timeline(figure.add_axes((0.05, 0.73, 0.90, 0.05)), line, viewer)
    draw_map(figure.add_axes((0.05, 0.36, 0.55, 0.33)), sheet)
    _target_list(figure, report)
    _foot(figure, words, sheet.demo)
    return figure


def _timeline(ax: Any, line: dict[str, Any], viewer: Viewer) -> None:
    """The phases on the campaign's time axis (the page's timeline) and today's line."""
    shades = ("#c6dbef", "#9ecae1", "#6baed6")
    for i, phase in enumerate(line["phases"]):
        ax.barh(0, phase["width"], left=phase["left"], color=shades[i % 3], edgecolor="white")
        wide = phase["width"] >= WIDE_PHASE
        name = f"{phase['ordinal']}. {_wrap(phase['name'], 40)}" if wide else str(phase["ordinal"])
        ax.text(phase["left"] + 0.5, 0, name, fontsize=5.5, va="center")
    ax.axvline(line["today_at"], color="#b2182b", linewidth=1.5)
    ax.set_xlim(0, 100)
    ax.set_yticks([])
    ends = [date.fromisoformat(line[key]) for key in ("start", "end")]
    ax.set_xticks([0, 100], [day_text(day) for day in ends], fontsize=7)
    ax.set_title(viewer.gettext("Phases of the campaign"), fontsize=8, loc="left")


def _target_list(figure: Figure, report: dict[str, Any]) -> None:
    y = 0.69
    step = min(0.014, 0.36 / max(len(report["targets"]), 1))
    for item in report["targets"]:
        figure.patches.append(_swatch(figure, 0.63, y - step * 0.8, item["colour"], None))
        figure.text(
            0.66,
            y,
            f"{item['name']} ({item['code']}) — {item['progress_label']}",
            fontsize=6.5,
            va="top",
        )
        y -= step
