"""Where field writes meet the database: the geometry checked by PostGIS, the owning unit by
containment, the scope, the receipts of replayed actions and the Feature sent back.

A point is placed by the server, never by the phone: its unit is the smallest one in force
that covers it (``unit_at_point``, residential group, then hamlet, then commune), and a point
that no commune in force covers lies outside Vietnam.
"""

from __future__ import annotations

import json
import math
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from geoalchemy2 import Geography, WKTElement
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from geo_app import clock
from geo_app.errors import Conflict, InvalidInput, InvalidProperty, NotFound
from geo_app.features.query import FeatureQuery, may_see_sensitive
from geo_app.features.service import get as get_feature
from geo_app.features.service import layer as get_layer
from geo_app.layers.base import Lang, LayerQuery
from geo_app.models import (
    SRID,
    AdminUnit,
    CultivationSite,
    HotlineBoard,
    Hotspot,
    TipoffBox,
    WriteReceipt,
)
from geo_app.services.accounts.scope import OutOfScope, unit_in_scope
from geo_app.services.field.inputs import Writer, say

MODELS: dict[str, Any] = {
    "hotspots": Hotspot,
    "hotline_boards": HotlineBoard,
    "tipoff_boxes": TipoffBox,
    "cultivation_sites": CultivationSite,
}
"""The layers written in the field (registry names) and their tables."""
MAX_POSITIONS = 10_000
GEOMETRY_TYPES = {"Point": ("Point",), "MultiPolygon": ("Polygon", "MultiPolygon")}
"""The GeoJSON types a layer of each geometry type accepts."""

_PLACE_SQL = sa.text(
    """
    SELECT COALESCE(unit_at_point(p, 'residential_group', :day),
                    unit_at_point(p, 'hamlet', :day),
                    unit_at_point(p, 'commune', :day)) AS owner,
           unit_at_point(p, 'commune', :day) AS commune
    FROM (SELECT ST_PointOnSurface(ST_GeomFromText(:wkt, 4326)) AS p) AS point
    """
)


@dataclass(frozen=True)
class Place:
    """A checked geometry and the unit that owns it."""

    geom: WKTElement
    unit_id: int


def _positions(coordinates: Any, depth: int) -> list[Any]:
    """The positions of a GeoJSON coordinate array ``depth`` levels deep (0 = a position)."""
    if depth == 0:
        return [coordinates]
    if not isinstance(coordinates, list):
        return [None]
    return [p for part in coordinates for p in _positions(part, depth - 1)]


def _position_ok(position: Any) -> bool:
    return (
        isinstance(position, list)
        and len(position) in (2, 3)
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in position)
        and all(math.isfinite(v) for v in position)
        and -180 <= position[0] <= 180
        and -90 <= position[1] <= 90
    )


def _bad_geometry(writer: Writer, why_vi: str, why_en: str) -> InvalidProperty:
    message = say(writer.lang, f"Vị trí không hợp lệ: {why_vi}", f"Invalid geometry: {why_en}")
    return InvalidProperty(message, field="geometry")


def checked_geometry(
    session: Session, geometry: Any, geometry_type: str, writer: Writer
) -> WKTElement:
    """GeoJSON of the layer's type, finite and in range, valid for PostGIS (SRID 4326)."""
    allowed = GEOMETRY_TYPES[geometry_type]
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind not in allowed:
        need = " / ".join(allowed)
        raise _bad_geometry(writer, f"cần GeoJSON {need}", f"GeoJSON {need} expected")
    depth = {"Point": 0, "Polygon": 2, "MultiPolygon": 3}[kind]
    positions = _positions(geometry.get("coordinates"), depth)[: MAX_POSITIONS + 1]
    if len(positions) > MAX_POSITIONS or not all(_position_ok(p) for p in positions):
        raise _bad_geometry(
            writer,
            "tọa độ phải là số hữu hạn, kinh độ ±180, vĩ độ ±90",
            "coordinates must be finite numbers, longitude ±180, latitude ±90",
        )
    multi = "ST_Multi(g)" if geometry_type == "MultiPolygon" else "g"
    sql = sa.text(
        f"SELECT ST_AsText({multi}), ST_IsValid(g), ST_IsValidReason(g), ST_IsEmpty(g) "  # noqa: S608 (constant)
        "FROM (SELECT ST_SetSRID(ST_Force2D(ST_GeomFromGeoJSON(:json)), 4326) AS g) AS given"
    )
    try:
        with session.begin_nested():
            wkt, valid, reason, empty = session.execute(sql, {"json": _json(geometry)}).one()
    except DBAPIError:
        raise _bad_geometry(writer, "GeoJSON không đọc được", "unreadable GeoJSON") from None
    if empty or not valid:
        raise _bad_geometry(writer, f"hình không hợp lệ ({reason})", f"not valid ({reason})")
    return WKTElement(wkt, srid=SRID)


def _json(geometry: dict[str, Any]) -> str:
    """Only the geometry's type and coordinates reach PostGIS (a "crs" member is not honoured:
    every position is WGS 84 longitude/latitude)."""
    return json.dumps({"type": geometry["type"], "coordinates": geometry["coordinates"]})


def place(session: Session, geometry: Any, geometry_type: str, writer: Writer) -> Place:
    """The checked geometry and its owning unit; 400 outside Vietnam, 403 outside the scope."""
    geom = checked_geometry(session, geometry, geometry_type, writer)
    row = session.execute(_PLACE_SQL, {"wkt": geom.data, "day": clock.today()}).one()
    if row.commune is None:
        message = say(
            writer.lang, "Vị trí nằm ngoài lãnh thổ Việt Nam", "The place is outside Vietnam"
        )
        raise InvalidProperty(message, field="geometry")
    if not unit_in_scope(session, writer.scope_unit_id, int(row.owner)):
        raise OutOfScope(out_of_scope(writer))
    return Place(geom, int(row.owner))


def out_of_scope(writer: Writer) -> str:
    return say(writer.lang, "Vị trí nằm ngoài địa bàn của bạn", "The place is outside your area")


def lock(session: Session, layer: str, row_id: int) -> None:
    """Wait for any write in progress on the row, so a twin of it then finds its receipt."""
    model = MODELS[layer]
    session.execute(sa.select(model.id).where(model.id == row_id).with_for_update())


def load_row(session: Session, layer: str, row_id: int, writer: Writer) -> Any:
    """The live row (locked for this transaction); 404 when missing or deleted, 403 outside
    the scope."""
    model = MODELS[layer]
    row = session.get(model, row_id, with_for_update=True, populate_existing=True)
    if row is None or row.deleted_at is not None:
        raise NotFound(
            say(
                writer.lang,
                f"không có đối tượng #{row_id} trong lớp {layer}",
                f"no feature #{row_id} in layer {layer}",
            )
        )
    if row.admin_unit_id is None or not unit_in_scope(
        session, writer.scope_unit_id, row.admin_unit_id
    ):
        raise OutOfScope(out_of_scope(writer))
    return row


# -- distances -----------------------------------------------------------------------------------

BOX_DEGREES_PER_METRE = 1 / 50_000
"""A search box this many degrees per metre of radius holds every point within the radius at
Vietnam's latitudes (about twice the radius); it only lets the GiST index help."""
_GEOGRAPHY = Geography()


def nearest(
    session: Session, layer: str, asked: LayerQuery, point: Any, metres: float, limit: int
) -> list[dict[str, Any]]:
    """The layer's features (its own query: status, labels, scope) within ``metres`` of
    ``point``, nearest first, with geodesic distances (never Web Mercator)."""
    spec = get_layer(layer, asked.lang)
    rows = spec.build_query(asked).subquery("q")
    model = MODELS[layer]
    distance = sa.func.ST_Distance(sa.cast(rows.c.geom, _GEOGRAPHY), sa.cast(point, _GEOGRAPHY))
    box = sa.func.ST_Expand(point, metres * BOX_DEGREES_PER_METRE)
    stmt = (
        sa.select(
            rows.c.id,
            model.version,
            rows.c[spec.field(spec.tooltip_field).shown_column].label("label"),
            rows.c.status,
            rows.c[spec.field("status").shown_column].label("status_label"),
            distance.label("distance_m"),
            sa.cast(sa.func.ST_AsGeoJSON(rows.c.geom, 6), sa.JSON).label("geometry"),
        )
        .join(model, model.id == rows.c.id)
        .where(
            rows.c.geom.op("&&")(box),
            sa.func.ST_DWithin(
                sa.cast(rows.c.geom, _GEOGRAPHY), sa.cast(point, _GEOGRAPHY), metres
            ),
        )
        .order_by(distance, rows.c.id)
        .limit(limit)
    )
    return [
        {"layer": layer, **row._asdict(), "distance_m": round(float(row.distance_m), 1)}
        for row in session.execute(stmt)
    ]


# -- receipts -----------------------------------------------------------------------------------


def receipt_of(
    session: Session, key: uuid.UUID, writer: Writer, layer: str, action: str
) -> WriteReceipt | None:
    """The receipt of an action already done with this UUID (None: a new action). A UUID used
    by someone else or for another action is a 409, never that action's row."""
    found = session.get(WriteReceipt, key)
    if found is None:
        return None
    if (found.actor, found.layer, found.action) != (writer.actor, layer, action):
        raise reused(writer)
    return found


def reused(writer: Writer) -> Conflict:
    """The 409 of a UUID already used for another action (or by another user)."""
    return Conflict(
        say(
            writer.lang,
            "client_id này đã được dùng cho một thao tác khác; hãy tạo mã mới",
            "this client_id was used for another action; make a new one",
        )
    )


def add_receipt(
    session: Session, key: uuid.UUID, writer: Writer, layer: str, action: str, row_id: int
) -> None:
    """The receipt, in the write's transaction (its primary key refuses a racing twin)."""
    session.add(
        WriteReceipt(
            client_id=key,
            actor=writer.actor,
            layer=layer,
            action=action,
            row_id=row_id,
            day=clock.today(),
        )
    )
    session.flush()


# -- the Feature sent back ------------------------------------------------------------------------


def stored_feature(session: Session, layer: str, row_id: int, writer: Writer) -> dict[str, Any]:
    """The row as its layer shows it to this writer, with version, client_id, commune and
    the relapse flag."""
    asked = FeatureQuery(
        layer,
        filters=LayerQuery(lang=writer.lang, scope_unit_id=writer.scope_unit_id),
        sensitive=may_see_sensitive(writer.role),
    )
    feature = get_feature(session, asked, str(row_id))
    model = MODELS[layer]
    commune = sa.func.unit_at_point(
        sa.func.ST_PointOnSurface(model.geom),
        sa.literal_column("'commune'::admin_level"),
        clock.today(),
    )
    code = sa.select(AdminUnit.code).where(AdminUnit.id == commune).scalar_subquery()
    flagged = model.relapse_of_id.is_not(None) if layer == "hotspots" else sa.false()
    extra = session.execute(
        sa.select(model.version, model.client_id, code, flagged).where(model.id == row_id)
    ).one()
    properties = feature["properties"]
    properties.update(
        version=extra[0],
        client_id=None if extra[1] is None else str(extra[1]),
        commune_code=extra[2],
    )
    feature["id"] = row_id
    feature["flags"] = {"relapse_candidate": _relapse_flag(properties, writer, bool(extra[3]))}
    return feature


def _relapse_flag(
    properties: dict[str, Any], writer: Writer, flagged: bool
) -> dict[str, Any] | None:
    """The relapse flag in the writer's words; a cleared point outside the writer's scope is
    named by neither id nor distance (the layer gives neither: ``hotspots.relapse_link``)."""
    if not flagged:
        return None
    near = properties.get("relapse_of_id")
    if near is None:
        message = say(
            writer.lang,
            "Gần một điểm đã triệt xóa ở ngoài địa bàn của bạn",
            "Near a cleared hotspot outside your area",
        )
        return {"id": None, "distance_m": None, "message": message}
    metres = round(float(properties.get("relapse_distance_m") or 0))
    message = say(
        writer.lang,
        f"Gần điểm đã triệt xóa #{near} ({metres} m)",
        f"Near cleared hotspot #{near} ({metres} m)",
    )
    return {"id": near, "distance_m": metres, "message": message}


def is_twin(error: IntegrityError) -> bool:
    """Whether a failed write clashed with a twin of the same action (the same UUID)."""
    constraint = getattr(getattr(error.orig, "diag", None), "constraint_name", None) or ""
    return constraint == "pk_write_receipt" or constraint.endswith("_client_id")


def rule_broken(error: IntegrityError, lang: Lang) -> InvalidInput:
    """A write the database refused by one of its rules (a check or a reference): a 400."""
    constraint = getattr(getattr(error.orig, "diag", None), "constraint_name", None) or "?"
    return InvalidInput(
        say(
            lang,
            f"Dữ liệu không hợp lệ: vi phạm quy tắc {constraint}",
            f"Invalid data: it breaks the rule {constraint}",
        )
    )
