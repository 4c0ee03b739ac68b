"""Export one layer, or several into one GeoPackage, for a user: the rules, the file, the log.

The rules are checked here, on the server, for every caller (API, dialog, CLI): officers may
export only generalised data; viewers and generalised exports never get a sensitive field;
rows always stay inside the asker's scope (the layers' own scope filter). Every export leaves
an audit row (action ``export``) naming who, the layers, the filters, the format, the row
counts and whether it was generalised; ``/admin/exports`` lists them.
"""

from __future__ import annotations

import dataclasses
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app import clock, features
from geo_app.errors import GeoAppError, InvalidInput
from geo_app.exports import schema
from geo_app.exports.formats import Format, get_format
from geo_app.exports.shapefile import mapping_csv, short_names
from geo_app.exports.writers import WRITERS, write_ogr
from geo_app.layers.base import Lang, LayerQuery, requested_filters
from geo_app.layers.filters import scope_filter
from geo_app.models import AdminUnit
from geo_app.services import audit
from geo_app.services.accounts.scope import OutOfScope

GENERALISED_MARK = "đã khái quát hóa"
ACTION = "export"


class ExportForbidden(GeoAppError):
    """The asker's role may not make this export (an officer asking for exact data)."""

    status = 403


@dataclass(frozen=True)
class ExportRequest:
    """One export as asked: the layers, the format, the map's filters (with the asker's scope
    and language), who asks and whether it is generalised."""

    layers: tuple[str, ...]
    format: str
    filters: LayerQuery
    actor: str
    role: str
    generalised: bool = False
    month: str | None = None
    """The month as asked (``YYYY-MM``), for the file name and the log."""

    @property
    def lang(self) -> Lang:
        return self.filters.lang


@dataclass(frozen=True)
class ExportFile:
    """The written file, the name to give it, its media type and the rows per layer."""

    path: Path
    filename: str
    media_type: str
    rows: dict[str, int]


def _say(lang: Lang, vi: str, en: str) -> str:
    return vi if lang == "vi" else en


def authorise(asked: ExportRequest) -> None:
    """Officers export only generalised data (403 otherwise)."""
    if asked.role == "officer" and not asked.generalised:
        raise ExportForbidden(
            _say(
                asked.lang,
                "cán bộ địa bàn chỉ được xuất dữ liệu đã khái quát hóa (generalised=1)",
                "field officers may export only generalised data (generalised=1)",
            )
        )


def watermark(asked: ExportRequest) -> str | None:
    """Who, when and the mark, for a generalised export's metadata and column."""
    if not asked.generalised:
        return None
    return f"{asked.actor}, {clock.today().isoformat()}, {GENERALISED_MARK}"


def _filters_for(asked: ExportRequest, honoured: tuple[str, ...]) -> LayerQuery:
    """The request's filters for one layer: the month only where the layer is dated; with
    several layers, each gets the filters it honours (one layer: an unknown one is a 400)."""
    filters = asked.filters
    if "date" not in honoured:
        filters = dataclasses.replace(filters, as_of=None)
    if len(asked.layers) == 1:
        return filters
    dropped = requested_filters(filters) - set(honoured)
    blanks = {"area": {"area_code": None}, "status": {"status": ()}}
    blanks |= {"campaign": {"campaign_id": None}, "bbox": {"bbox": None}}
    for name in dropped:
        filters = dataclasses.replace(filters, **blanks[name])  # type: ignore[arg-type]
    return filters


def plan(session: Session, asked: ExportRequest, name: str) -> schema.Plan:
    """What one layer of the export reads (checked by the feature service: 404/400)."""
    spec = features.layer(name, asked.lang)
    if asked.generalised and not schema.generalisable(spec):
        raise InvalidInput(
            _say(
                asked.lang,
                f"lớp {name} (đường) không xuất khái quát hóa được",
                f"layer {name} (lines) cannot be exported generalised",
            )
        )
    sensitive = features.may_see_sensitive(asked.role) and not asked.generalised
    cols = schema.columns(spec, sensitive=sensitive, generalised=asked.generalised)
    names = [c.name for c in cols if c.name != schema.WATERMARK]
    properties = tuple(dict.fromkeys([*names, spec.id_field]))
    query = features.FeatureQuery(
        layer=name,
        filters=_filters_for(asked, spec.filters),
        sensitive=sensitive,
        properties=properties,
    )
    features.check(session, query)
    return schema.Plan(spec, query, cols, asked.generalised, watermark(asked))


def export(
    session: Session, asked: ExportRequest, workdir: Path, *, log_to: Session | None = None
) -> ExportFile:
    """Write the export into ``workdir`` and log it (the caller commits the audit row) in
    ``log_to`` when the rows are read elsewhere (a replica, which takes no writes)."""
    fmt = get_format(asked.format, asked.lang)
    authorise(asked)
    if not asked.layers:
        raise InvalidInput(_say(asked.lang, "hãy chọn ít nhất một lớp", "choose a layer"))
    if len(asked.layers) > 1 and not fmt.multi_layer:
        raise InvalidInput(
            _say(
                asked.lang,
                f"định dạng {fmt.name} chỉ chứa một lớp; nhiều lớp: dùng gpkg",
                f"format {fmt.name} holds one layer; for several use gpkg",
            )
        )
    _check_scope(session, asked)
    plans = [plan(session, asked, name) for name in dict.fromkeys(asked.layers)]
    name = filename(asked, fmt)
    path = workdir / name
    rows = _write(session, fmt, plans, path, asked.lang)
    _log(log_to or session, asked, fmt, rows)
    return ExportFile(path, name, fmt.media_type, rows)


def _check_scope(session: Session, asked: ExportRequest) -> None:
    """An area outside the user's scope is refused (403), not answered with an empty file
    that would look like "nothing there"."""
    code, scope = asked.filters.area_code, asked.filters.scope_unit_id
    if code is None or scope is None:
        return
    inside = sa.exists().where(AdminUnit.code == code, scope_filter(scope))
    if not session.scalar(sa.select(inside)):
        raise OutOfScope(
            _say(
                asked.lang,
                f"địa bàn «{code}» nằm ngoài phạm vi của bạn",
                f"area «{code}» is outside your scope",
            )
        )


def _write(
    session: Session, fmt: Format, plans: list[schema.Plan], path: Path, lang: Lang
) -> dict[str, int]:
    if fmt.zipped:
        return _write_shapefile(session, fmt, plans[0], path, lang)
    write = WRITERS[fmt.writer]
    return {p.spec.name: write(session, path, fmt, p, lang) for p in plans}


def _write_shapefile(
    session: Session, fmt: Format, plan: schema.Plan, path: Path, lang: Lang
) -> dict[str, int]:
    """A zip of .shp/.shx/.dbf/.prj/.cpg (UTF-8) with short field names, and their mapping."""
    folder = path.with_suffix(".d")
    folder.mkdir()
    names = short_names([c.name for c in plan.columns])
    count = write_ogr(session, folder / f"{plan.spec.name}.shp", fmt, plan, lang, names)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(folder.iterdir()):
            archive.write(part, part.name)
        archive.writestr(f"{plan.spec.name}_fields.csv", mapping_csv(plan.columns, names))
    for part in folder.iterdir():
        part.unlink()
    folder.rmdir()
    return {plan.spec.name: count}


def filename(asked: ExportRequest, fmt: Format) -> str:
    """``hotspots_29410_2025-12_khai-quat.gpkg``: ASCII only, so every browser and archive
    keeps it (the names of layers, codes and months are ASCII; anything else is folded)."""
    parts = ["+".join(dict.fromkeys(asked.layers))]
    parts.append(asked.filters.area_code or "pham-vi")
    if asked.filters.campaign_id is not None:
        parts.append(f"ke-hoach-{asked.filters.campaign_id}")
    parts.append(asked.month or clock.today().strftime("%Y-%m"))
    if asked.generalised:
        parts.append("khai-quat")
    return _ascii("_".join(parts)) + fmt.extension


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    kept = (ch for ch in folded if ch.isascii() and (ch.isalnum() or ch in "+-_."))
    return "".join(kept)[:120] or "export"


def _log(session: Session, asked: ExportRequest, fmt: Format, rows: dict[str, int]) -> None:
    filters = asked.filters
    audit.record(
        session,
        actor=asked.actor,
        action=ACTION,
        table=",".join(rows),
        row_id=None,
        before=None,
        after={
            "layers": list(rows),
            "format": fmt.name,
            "rows": rows,
            "generalised": asked.generalised,
            "filters": {
                "area": filters.area_code,
                "month": asked.month,
                "status": list(filters.status),
                "campaign": filters.campaign_id,
                "scope_unit_id": filters.scope_unit_id,
            },
        },
    )
