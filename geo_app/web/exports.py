"""Layer exports: ``GET /api/exports/<layer>`` and ``GET /api/exports?layers=a,b`` (one
GeoPackage), the "Xuất dữ liệu" dialog's data, and the admin's export log ``/admin/exports``.

Query parameters: ``format`` (a name of ``exports.formats.FORMATS``), ``area`` (a unit code),
``month`` (YYYY-MM), ``status`` (comma-separated), ``campaign`` (an id), ``generalised=1`` and
``lang``. The rules (officers export only generalised data, sensitive fields, the scope) and
the log are in ``geo_app.exports.layers``; this module parses, calls and sends the file.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, render_template, request, send_file
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from werkzeug.wrappers import Response as BaseResponse

from geo_app.db import session_scope
from geo_app.errors import InvalidInput
from geo_app.exports.formats import FORMATS
from geo_app.exports.layers import ExportRequest, export
from geo_app.exports.log import PER_PAGE, export_log
from geo_app.layers import REGISTRY
from geo_app.layers.base import LayerQuery
from geo_app.models import Role
from geo_app.parsing import whole_number
from geo_app.web.access import account, require_login
from geo_app.web.api_schemas import ExportArgs, ExportsArgs, documented, export_answer
from geo_app.web.auth import current_user, roles_required
from geo_app.web.context import engine, lang, month_as_of, read_session, replica_session

bp = Blueprint("exports", __name__)
require_login(bp)

PAGE_LAYERS: dict[str, tuple[str, ...]] = {
    "maps.province": ("classification", "communes", "hotspots", "hotline_boards", "tipoff_boxes"),
    "maps.commune": ("hotspots", "hotline_boards", "tipoff_boxes", "hamlets", "cultivation_sites"),
    "campaign_map.campaign_page": ("campaign_progress", "hotspots"),
}
"""The layers the dialog offers on each page (the first one ticked)."""
YES, NO = ("1", "true", "on", "yes"), ("", "0", "false", "off", "no")


@bp.get("/api/exports/<layer>")
@documented(
    "exports",
    lazy_gettext("Export one layer"),
    {200: export_answer()},
    query=ExportArgs,
    path={"layer": {"type": "string", "enum": list(REGISTRY)}},
)
def one_layer(layer: str) -> BaseResponse:
    """One layer in any format."""
    return _send((layer,))


@bp.get("/api/exports")
@documented(
    "exports", lazy_gettext("Export several layers"), {200: export_answer()}, query=ExportsArgs
)
def several_layers() -> BaseResponse:
    """Several layers (``layers=a,b`` or repeated ``layers``), one table each (GeoPackage)."""
    names = [n.strip() for v in request.args.getlist("layers") for n in v.split(",")]
    return _send(tuple(n for n in names if n))


def _send(layers: tuple[str, ...]) -> BaseResponse:
    """Write the export in a scratch folder (its rows read from the replica, if any), log it
    on the primary, and send it as an attachment."""
    asked = _asked(layers)
    workdir = Path(tempfile.mkdtemp(prefix="geo_app_export_"))
    try:
        with session_scope(engine()) as session, replica_session(session) as rows:
            done = export(rows, asked, workdir, log_to=session)
            session.commit()
        handle = done.path.open("rb")  # kept open: the folder goes now, the file when sent
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return send_file(
        handle, mimetype=done.media_type, as_attachment=True, download_name=done.filename
    )


def _asked(layers: tuple[str, ...]) -> ExportRequest:
    """The request's parameters (400 on a malformed one)."""
    user = account()
    month = request.args.get("month") or None
    filters = LayerQuery(
        area_code=request.args.get("area") or None,
        as_of=month_as_of() if month else None,
        status=tuple(s.strip() for s in request.args.get("status", "").split(",") if s.strip()),
        lang=lang(),
        scope_unit_id=user.scope_unit_id,
        campaign_id=_campaign(request.args.get("campaign")),
    )
    return ExportRequest(
        layers=layers,
        format=request.args.get("format") or "gpkg",
        filters=filters,
        actor=user.login,
        role=str(user.role),
        generalised=_yes_no("generalised", request.args.get("generalised", "")),
        month=month,
    )


def _campaign(text: str | None) -> int | None:
    if not text:
        return None
    number = whole_number(text)
    if number is None:
        raise InvalidInput(_("campaign «%(value)s» is not a campaign id", value=text))
    return number


def _yes_no(name: str, text: str) -> bool:
    if text.lower() in YES:
        return True
    if text.lower() in NO:
        return False
    raise InvalidInput(_("%(name)s «%(value)s» is not 1 or 0", name=name, value=text))


@bp.get("/admin/exports")
@roles_required(Role.admin)
def log_page() -> str:
    """Every export, newest first, a page at a time (``?page=N``)."""
    text = request.args.get("page", "1")
    page = whole_number(text, most=100_000)
    if not page:
        raise InvalidInput(_("page «%(value)s» is not a page number", value=text))
    with read_session() as session:
        found = export_log(session, page, PER_PAGE)
    title = _("Export log")
    return render_template("admin_exports.html", log=found, title=title, lang=lang())


@bp.app_context_processor
def dialog_context() -> dict[str, Any]:
    """``export_dialog()`` for ``_export_dialog.html``: what the dialog offers on this page."""
    return {"export_dialog": export_dialog}


def export_dialog() -> dict[str, Any] | None:
    """The dialog's layers, formats and pre-filled filters; None where it has no place (another
    page, nobody logged in). Officers get the generalised box ticked and locked."""
    offered = PAGE_LAYERS.get(request.endpoint or "")
    user = current_user()
    if offered is None or user is None:
        return None
    args = request.view_args or {}
    language = lang()
    return {
        "layers": [(name, REGISTRY[name].title(language)) for name in offered],
        "formats": [(f.name, f.title, f.multi_layer) for f in FORMATS.values()],
        "area": args.get("code", ""),
        "campaign": args.get("campaign_id", ""),
        "month": request.args.get("month", ""),
        "forced": str(user.role) == "officer",
        "lang": language,
    }
