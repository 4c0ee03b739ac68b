"""Reports: the statutory table of a province, a campaign's monthly report and the province
targets (goals per year). Each report is a page, and with ``?format=xlsx`` or ``?format=pdf``
its download; every view needs a login and checks the scope through its page function.

Targets are registered by the office (admin, staff): the form sends its CSRF token and the
version it read, so an edit of a goal someone else changed meanwhile is refused (409).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from geo_app import clock, urls
from geo_app.db import session_scope
from geo_app.errors import Conflict, InvalidInput
from geo_app.exports.xlsx import Cell, write_xlsx
from geo_app.models import Role
from geo_app.pages import reports as pages
from geo_app.parsing import whole_number
from geo_app.printing import reports as printing
from geo_app.services.reports.targets import TargetInvalid, parse_target, set_target
from geo_app.web.access import account, require_login, viewer
from geo_app.web.auth import check_csrf, roles_required
from geo_app.web.context import engine, lang, read_session

bp = Blueprint("reports", __name__)
require_login(bp)

TARGET_WRITERS = (Role.admin, Role.staff)
"""Goals are the office's: staff register them, admins too."""
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(data: bytes, mimetype: str, name: str) -> Response:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", name)
    return Response(
        data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{safe}"'}
    )


Table = tuple[Sequence[str], Sequence[Sequence[Cell]]]


def _xlsx(title: str, table: Table) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(buffer, title, table[0], table[1])
    return buffer.getvalue()


def _answer(
    template: str,
    page: Any,
    name: str,
    table: Callable[[Any], Table],
    pdf: Callable[[Any], bytes],
) -> Response | str:
    """The page, or its download as ``?format=`` asks (400 for another format)."""
    wanted = request.args.get("format", "html")
    if wanted == "xlsx":
        return _download(_xlsx(page.title, table(page)), XLSX_TYPE, f"{name}.xlsx")
    if wanted == "pdf":
        return _download(pdf(page), "application/pdf", f"{name}.pdf")
    if wanted != "html":
        raise InvalidInput(_("Unknown format: choose xlsx or pdf."))
    return render_template(template, page=page, title=page.title, demo=page.demo, lang=lang())


@bp.get(urls.REPORTS_STATUTORY)
def statutory() -> Response | str:
    """Communes per class and recognised, year on year, with the province's goals."""
    month = pages.report_month(request.args.get("month"), clock.today())
    with read_session() as session:
        page = pages.statutory_page(session, request.args.get("province"), month, viewer())
    name = f"bao-cao-{page.province_code}-{page.month}"
    return _answer(
        "report_statutory.html",
        page,
        name,
        pages.statutory_table_rows,
        printing.statutory_pdf,
    )


@bp.get(urls.REPORTS_MONTHLY_RULE)
def monthly(key: str) -> Response | str:
    """A campaign's monthly report (by its code or id) for the targets in the user's scope."""
    month = pages.report_month(request.args.get("month"), clock.today())
    with read_session() as session:
        page = pages.monthly_page(session, key, month, viewer())
    name = f"bao-cao-thang-{key}-{page.month}"
    return _answer(
        "report_monthly.html", page, name, pages.monthly_table_rows, printing.monthly_pdf
    )


def _targets_form(
    code: str,
    year: str,
    entered: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> tuple[str, int]:
    """The list and the form: what was entered (after an error), else the stored goal of
    ``code`` and ``year`` with its version (to edit it), else an empty form."""
    with read_session() as session:
        page = pages.targets_page(session, viewer())
    values = {"province": code, "year": year, "share": "", "basis": "", "version": ""}
    for t in page.targets:
        if t.province_code == code and str(t.year) == year:
            values |= {"share": t.percent, "basis": t.basis, "version": str(t.version)}
    body = render_template(
        "report_targets.html",
        page=page,
        title=page.title,
        demo=page.demo,
        lang=lang(),
        values=values if entered is None or status == 409 else entered,
        entered=entered if status == 409 else None,
        errors=errors or {},
        conflict=status == 409,
        can_write=account().role in TARGET_WRITERS,
        saved=request.args.get("saved"),
    )
    return body, status


@bp.get(urls.REPORTS_TARGETS)
def targets() -> tuple[str, int]:
    """The goals in scope; ``?province=&year=`` fills the form with a stored goal to edit."""
    return _targets_form(request.args.get("province", ""), request.args.get("year", ""))


@bp.post(urls.REPORTS_TARGETS)
@roles_required(*TARGET_WRITERS)
def save_target() -> tuple[str, int] | BaseResponse:
    """Register or change a goal, then back to the list (errors beside the fields; a stale
    edit shows the stored goal and what was entered)."""
    check_csrf()
    form = {k: request.form.get(k, "").strip() for k in ("province", "year", "share", "basis")}
    version = request.form.get("version", "").strip()
    try:
        entry = parse_target(form["province"], form["year"], form["share"], form["basis"])
        with session_scope(engine()) as db, db.begin():
            saved = set_target(
                db,
                entry,
                actor=f"web:{account().login}",
                scope_unit_id=account().scope_unit_id,
                version=whole_number(version),
            )
    except TargetInvalid as error:
        errors: dict[str, list[str]] = {}
        for problem in error.problems:
            errors.setdefault(problem.field, []).append(_(problem.message))
        return _targets_form(
            form["province"], form["year"], form | {"version": version}, errors, 400
        )
    except Conflict:
        return _targets_form(form["province"], form["year"], form, status=409)
    done = {"saved": f"{saved.province_code}-{saved.year}"} | (
        {"lang": "en"} if lang() == "en" else {}
    )
    return redirect(urls.report_url(urls.REPORTS_TARGETS, done))
