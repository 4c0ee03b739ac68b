"""The reports on paper: the statutory table (a table, the bar chart on the fixed legend and the
goals) and a campaign's monthly report (a table per target), drawn with the print kit from the
same page data the web pages show (``geo_app.pages.reports``), in the reader's language.
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from geo_app.pages.reports import MonthlyPage, StatutoryPage
from geo_app.printing.kit import Paper, new_page, pdf_bytes

AUTHOR = "geo_app"
DEMO_FLAG = "DỮ LIỆU MINH HỌA / DEMO DATA"
PREVIOUS_ALPHA = 0.45
"""The year before is drawn in the same colour, lighter: one legend for both years."""
MONTHLY_ROWS_PER_PAGE = 22


def statutory_pdf(page: StatutoryPage) -> bytes:
    """One A4 portrait sheet: heading, table, chart and goals."""
    figure = new_page(Paper("A4", "portrait"))
    _heading(figure, page.title, page.demo)
    _statutory_table(figure.add_axes((0.06, 0.62, 0.88, 0.28)), page)
    _statutory_chart(figure.add_axes((0.3, 0.3, 0.62, 0.28)), page)
    _goals(figure.add_axes((0.06, 0.06, 0.88, 0.17)), page)
    return pdf_bytes([figure], title=page.title, author=AUTHOR)


def _heading(figure: Figure, title: str, demo: bool) -> None:
    figure.text(0.06, 0.95, title, fontsize=14, fontweight="bold", va="top")
    if demo:
        figure.text(0.94, 0.975, DEMO_FLAG, fontsize=8, color="#b2182b", ha="right", va="top")


def _table(ax: Axes, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain table filling the axes (header in bold, one line per row)."""
    ax.axis("off")
    cells = [["" if v is None else str(v) for v in row] for row in rows] or [[""] * len(headers)]
    drawn = ax.table(cellText=cells, colLabels=list(headers), loc="upper center", cellLoc="left")
    drawn.auto_set_font_size(False)
    drawn.set_fontsize(7.5)
    drawn.auto_set_column_width(list(range(len(headers))))
    for (row, _column), cell in drawn.get_celld().items():
        if row == 0:
            cell.set_text_props(fontweight="bold")
            cell.set_facecolor("#dddddd")


def _statutory_table(ax: Axes, page: StatutoryPage) -> None:
    h = page.headings
    headers = [
        h["class"],
        f"{h['count']} {page.month}",
        h["share"],
        f"{h['count']} {page.previous_month}",
        h["share"],
    ]
    rows: list[list[object]] = [[h["total"], page.communes, "", page.previous_communes, ""]]
    rows += [[r.label, r.count, r.percent, r.previous_count, r.previous_percent] for r in page.rows]
    _table(ax, headers, rows)


def _statutory_chart(ax: Axes, page: StatutoryPage) -> None:
    """Horizontal bars: each legend entry's share now (solid) and a year before (lighter)."""
    labels = [r.label for r in page.rows]
    places = range(len(page.rows))
    ax.barh(
        [y - 0.2 for y in places],
        [r.bar() for r in page.rows],
        height=0.4,
        color=[r.colour for r in page.rows],
        edgecolor="#555555",
        label=page.month,
    )
    ax.barh([y + 0.2 for y in places], [r.bar(previous=True) for r in page.rows], height=0.4,
            color=[r.colour for r in page.rows], alpha=PREVIOUS_ALPHA, edgecolor="#999999",
            label=page.previous_month)  # fmt: skip
    ax.set_yticks(list(places), labels, fontsize=7.5)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("%", fontsize=8)
    ax.tick_params(axis="x", labelsize=7.5)
    ax.set_title(page.headings["chart"], fontsize=9)
    ax.legend(fontsize=7.5, loc="lower right")


def _goals(ax: Axes, page: StatutoryPage) -> None:
    h = page.headings
    if not page.goals:
        ax.axis("off")
        ax.text(0, 1, h["no_goals"], fontsize=8, va="top")
        return
    headers = [h["year"], h["goal"], h["planned"], h["achieved"], h["status"], h["basis"]]
    rows = [
        [g.year, g.goal, g.planned, f"{g.achieved} ({g.recognised})", g.status, g.basis]
        for g in page.goals
    ]
    ax.set_title(h["goals"], fontsize=9, loc="left")
    _table(ax, headers, rows)


def monthly_pdf(page: MonthlyPage) -> bytes:
    """A4 landscape sheets: the heading and summary, then the targets' table."""
    figures = []
    chunks = [
        page.rows[i : i + MONTHLY_ROWS_PER_PAGE]
        for i in range(0, max(len(page.rows), 1), MONTHLY_ROWS_PER_PAGE)
    ]
    for chunk in chunks:
        figure = new_page(Paper("A4", "landscape"))
        _heading(figure, page.title, page.demo)
        figure.text(0.06, 0.9, page.campaign_title, fontsize=9, va="top", wrap=True)
        figure.text(0.06, 0.86, f"{page.on} — {page.summary}", fontsize=9, va="top")
        rows = [
            [r.code, r.name, r.phase, r.criteria, r.change, r.verdict, r.cleared, r.relapsed]
            for r in chunk
        ]
        _table(figure.add_axes((0.03, 0.05, 0.94, 0.78)), page.headers, rows)
        figures.append(figure)
    return pdf_bytes(figures, title=page.title, author=AUTHOR)
