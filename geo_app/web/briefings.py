"""Printed briefings: a map as PDF/PNG, and briefing packs made as background jobs.

- ``GET /briefing/<province|commune|campaign>/<code>.<pdf|png>?paper=A4|A3&orientation=…&month=``
  draws the page's map on one sheet (``geo_app.printing.briefing_map``), inside the user's
  scope as the page is (403/404 as the page; bad paper or orientation: 400).
- ``POST /briefing/pack/<commune|campaign>/<code>`` queues a pack (``geo_app.printing.pack``);
  ``GET /jobs/<id>`` is its progress (JSON, the requester or an admin only) and
  ``GET /jobs/<id>/file`` its PDF once done. The runner (``services.jobs.Runner``, one worker
  thread) starts with the app: a job the last process left running is failed then.

A campaign's ``<code>`` is its id or its code (``tra-vinh-2025``).
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any, cast

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    request,
    send_file,
    url_for,
)
from flask.blueprints import BlueprintSetupState
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy.orm import Session

from geo_app import clock
from geo_app.errors import InvalidInput, NotFound
from geo_app.i18n import translator
from geo_app.layers.base import Lang
from geo_app.pages import campaign as campaign_pages
from geo_app.pages.common import Viewer, unit_for_page
from geo_app.parsing import whole_number
from geo_app.printing import briefing_map, pack
from geo_app.printing.kit import PAPER_MM, Paper
from geo_app.services import jobs
from geo_app.services.accounts.login import Account
from geo_app.services.campaigns import campaign_by_code
from geo_app.web import access
from geo_app.web.api_schemas import OK, Answer, Job, PackArgs, documented
from geo_app.web.auth import check_csrf
from geo_app.web.context import engine, read_session, settings
from geo_app.web.maps import page_month

bp = Blueprint("briefings", __name__)
access.require_login(bp)
ORIENTATIONS = ("landscape", "portrait")
PACK_KINDS = ("commune", "campaign")
MIMETYPES = {"pdf": "application/pdf", "png": "image/png"}
RUNNER_KEY = "geo_app.jobs"
MAX_ID = 2**63 - 1
"""The largest id a ``bigint`` holds: a longer number in a URL names nothing (404, not 500)."""


def paper_from(args: Any) -> Paper:
    """``?paper=A4|A3&orientation=landscape|portrait`` (A4 landscape by default); 400 else."""
    name = args.get("paper", "A4")
    orientation = args.get("orientation", "landscape")
    if name not in PAPER_MM:
        raise InvalidInput(_("paper must be one of: %(allowed)s", allowed=", ".join(PAPER_MM)))
    if orientation not in ORIENTATIONS:
        raise InvalidInput(
            _("orientation must be one of: %(allowed)s", allowed=", ".join(ORIENTATIONS))
        )
    return Paper(name, orientation)


def campaign_id(session: Session, code: str) -> int:
    """A campaign named by its id or its code; 404 in the reader's language."""
    number = whole_number(code, most=MAX_ID)
    if number is not None:
        return number
    try:
        return int(campaign_by_code(session, code).id)
    except NotFound:
        raise NotFound(_("no campaign with code %(code)s", code=repr(code[:40]))) from None


def _sheet(
    session: Session, kind: str, code: str, month: str | None, reader: Viewer
) -> briefing_map.BriefingSheet:
    if kind == "province":
        return briefing_map.province_sheet(session, code, page_month(month), reader)
    if kind == "commune":
        return briefing_map.commune_sheet(session, code, page_month(month), reader)
    on = campaign_pages.as_of(month, reader)
    return briefing_map.campaign_sheet(session, campaign_id(session, code), on, reader)


def _known(kind: str, kinds: tuple[str, ...]) -> None:
    if kind not in kinds:
        raise NotFound(_("no briefing for %(kind)s", kind=repr(kind[:20])))


@bp.get("/briefing/<kind>/<code>.<fmt>")
def briefing_map_file(kind: str, code: str, fmt: str) -> Response:
    """The page's map on one sheet, as PDF or PNG."""
    _known(kind, briefing_map.KINDS)
    if fmt not in briefing_map.FORMATS:
        raise InvalidInput(_("format must be one of: %(allowed)s", allowed="pdf, png"))
    paper = paper_from(request.args)
    reader = access.viewer()
    with read_session() as session:
        sheet = _sheet(session, kind, code, request.args.get("month"), reader)
    body = briefing_map.render(sheet, paper, fmt, author=access.account().login)
    name = f"ban-do-{kind}-{code}-{paper.name}-{paper.orientation}.{fmt}"
    return Response(
        body, mimetype=MIMETYPES[fmt], headers={"Content-Disposition": f'inline; filename="{name}"'}
    )


@bp.post("/briefing/pack/<kind>/<code>")
@documented(
    "jobs",
    lazy_gettext("Queue a briefing pack (cookie login)"),
    {202: Answer(lazy_gettext("Accepted: queued"), Job)},
    query=PackArgs,
    path={"kind": {"type": "string", "enum": list(PACK_KINDS)}},
    headers={
        "X-CSRF-Token": lazy_gettext("The session's token, for a write by cookie (not with Basic).")
    },
)
def queue_pack(kind: str, code: str) -> tuple[Response, int]:
    """Queue the pack of a commune or a campaign (checked now, made by the runner)."""
    check_csrf()
    _known(kind, PACK_KINDS)
    reader, user = access.viewer(), access.account()
    month = request.args.get("month") or None
    with read_session() as session, session.begin():
        if kind == "campaign":
            code = str(campaign_pages.campaign_for(session, campaign_id(session, code), reader).id)
            campaign_pages.as_of(month, reader)
        else:
            unit_for_page(session, code, "commune", page_month(month), reader)
        params = {"code": code, "month": month, "lang": reader.lang, "scope": user.scope_unit_id}
        job_id = jobs.enqueue(session, f"{kind}_pack", params, user.id)
    runner().wake()
    return jsonify(_job_json(job_id, "queued", 0, 0, None)), 202


@bp.get("/jobs/<int:job_id>")
@documented(
    "jobs", lazy_gettext("A job's state and progress (cookie login)"), {200: Answer(OK, Job)}
)
def job_status(job_id: int) -> Response:
    """A job's state and progress, and its file's URL once done."""
    with read_session() as session:
        job = _job(session, job_id, access.account())
    return jsonify(_job_json(job.id, job.state, job.done, job.total, job.error))


@bp.get("/jobs/<int:job_id>/file")
@documented(
    "jobs",
    lazy_gettext("A finished job's PDF (cookie login)"),
    {200: Answer(lazy_gettext("The PDF"), None, ("application/pdf",))},
)
def job_file(job_id: int) -> Response:
    """A finished job's PDF."""
    with read_session() as session:
        job = _job(session, job_id, access.account())
        path = jobs.store.result_path(session, job_id) if job.has_file else None
    if path is None:
        raise NotFound(_("job %(id)s has no file yet", id=job_id))
    name = f"tap-tai-lieu-{job.params.get('code', job_id)}.pdf"
    return send_file(runner().path(path), mimetype="application/pdf", download_name=name)


def _job(session: Session, job_id: int, user: Account) -> jobs.JobView:
    try:
        if job_id > MAX_ID:
            raise NotFound(str(job_id))
        return jobs.job_view(session, job_id, user.id, user.role == "admin")
    except NotFound:
        raise NotFound(_("no job %(id)s", id=job_id)) from None


def _job_json(job_id: int, state: str, done: int, total: int, error: str | None) -> dict[str, Any]:
    file_url = url_for("briefings.job_file", job_id=job_id) if state == "done" else None
    return {
        "id": job_id,
        "state": state,
        "done": done,
        "total": total,
        "error": error,
        "url": url_for("briefings.job_status", job_id=job_id),
        "file": file_url,
    }


# --- the runner --------------------------------------------------------------------------------


def _job_viewer(params: dict[str, Any]) -> Viewer:
    """The requester as the page saw them: their language and scope, today."""
    lang: Lang = "en" if params.get("lang") == "en" else "vi"
    return Viewer(lang, params.get("scope"), clock.today(), translator(lang))


def _commune_job(session: Session, params: dict[str, Any], progress: jobs.Progress) -> bytes:
    buffer = io.BytesIO()
    month = page_month(params.get("month"))
    pack.commune_pack(session, params["code"], month, _job_viewer(params), buffer, progress)
    return buffer.getvalue()


def _campaign_job(session: Session, params: dict[str, Any], progress: jobs.Progress) -> bytes:
    reader = _job_viewer(params)
    on: date = campaign_pages.as_of(params.get("month"), reader)
    buffer = io.BytesIO()
    pack.campaign_pack(session, int(params["code"]), on, reader, buffer, progress)
    return buffer.getvalue()


def runner() -> jobs.Runner:
    return cast(jobs.Runner, current_app.extensions[RUNNER_KEY])


def _start_runner(state: BlueprintSetupState) -> None:
    """The app's job runner, started once it is registered (recovering interrupted jobs)."""
    app = cast(Flask, state.app)
    with app.app_context():
        made = jobs.Runner(
            engine(),
            settings().state_dir,
            {"commune_pack": _commune_job, "campaign_pack": _campaign_job},
        )
        app.extensions[RUNNER_KEY] = made
        made.start()


bp.record_once(_start_runner)
