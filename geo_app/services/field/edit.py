"""Field writes of features: create, update (status, move, properties) and soft delete.

Plain functions over a session; the caller owns the transaction. Each write is the row(s), one
receipt (``write_receipt``, keyed by the phone's UUID) and one audit row, together; an action
whose UUID already has a receipt changes nothing and answers the row as it stands. The tiles
an edit touches are invalidated by the tables' triggers (migration 0003).

Which properties may be written is the layers' declaration (``editable`` fields); a coded one
is checked against its vocabulary, a hotspot's status against ``domain.vocabulary.can_change``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app import clock
from geo_app.domain.vocabulary import HOTSPOT_STATUSES, can_change
from geo_app.errors import InvalidInput, InvalidProperty, NotFound, PreconditionRequired, Stale
from geo_app.features.service import layer as layer_spec
from geo_app.layers.base import LayerQuery, LayerSpec
from geo_app.layers.fields import Field
from geo_app.models import SRID, HotspotStatusChange
from geo_app.services import audit
from geo_app.services.field.inputs import (
    Outcome,
    Writer,
    client_id,
    day,
    field_value,
    placement,
    properties_of,
    say,
    text,
)
from geo_app.services.field.rows import (
    MODELS,
    add_receipt,
    load_row,
    lock,
    nearest,
    place,
    receipt_of,
    reused,
    stored_feature,
)

WRITTEN_AS = {("hotline_boards", "status"): "condition", ("tipoff_boxes", "status"): "condition"}
"""A facility's ``status`` field is its condition, written under the column's name."""
DEFAULTS: dict[str, dict[str, Any]] = {
    "hotspots": {"detected_on": clock.today, "status": lambda: "active"},
    "cultivation_sites": {"detected_on": clock.today},
    "hotline_boards": {"phones": list},
}
"""What a new feature gets when the phone leaves it out (made per write); any other column the
database requires must be given."""


def field_layer(name: str, writer: Writer) -> LayerSpec:
    """The registered layer, if it is one written in the field (404 otherwise)."""
    if name not in MODELS:
        known = ", ".join(MODELS)
        raise NotFound(
            say(
                writer.lang,
                f"lớp «{name}» không ghi được; các lớp: {known}",
                f"layer «{name}» is not written in the field; known: {known}",
            )
        )
    return layer_spec(name, writer.lang)


def _columns(spec: LayerSpec, props: dict[str, Any], writer: Writer) -> dict[str, Any]:
    """The editable properties given, checked, by column (a hotspot's status excluded: it
    changes through :func:`_change_status`)."""
    values: dict[str, Any] = {}
    table = MODELS[spec.name].__table__
    for f in spec.fields:
        name = WRITTEN_AS.get((spec.name, f.name), f.name)
        if not f.editable or name not in props or (spec.name, name) == ("hotspots", "status"):
            continue
        values[name] = field_value(f, props[name], writer.lang)
        if values[name] is None and not table.c[name].nullable:
            raise _missing(name, writer)
    return values


def writable(spec: LayerSpec) -> list[tuple[str, Field, bool]]:
    """What a write may set: each editable field by the name it is written as, and whether a
    create must give it (a column the database requires, with no default here or there); the
    API's description reads this too."""
    table = MODELS[spec.name].__table__
    found = []
    for f in spec.fields:
        name = WRITTEN_AS.get((spec.name, f.name), f.name)
        column = table.c.get(name)
        required = column is not None and not column.nullable and column.server_default is None
        if f.editable:
            found.append((name, f, required and name not in DEFAULTS.get(spec.name, {})))
    return found


def _complete(spec: LayerSpec, values: dict[str, Any], writer: Writer) -> None:
    """Defaults for what was left out; a 400 naming the first required property missing."""
    for name, make in DEFAULTS.get(spec.name, {}).items():
        values.setdefault(name, make())
    for name, _field, required in writable(spec):
        if required and name not in values:
            raise _missing(name, writer)


def _missing(name: str, writer: Writer) -> InvalidProperty:
    message = say(writer.lang, f"{name}: cần có giá trị", f"{name}: a value is required")
    return InvalidProperty(message, field=name)


def create(
    session: Session, writer: Writer, layer: str, feature: Any, *, relapse_radius_m: float
) -> Outcome:
    """A new feature from a GeoJSON Feature (201), or the stored one on a replay (200)."""
    spec = field_layer(layer, writer)
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise InvalidInput(
            say(writer.lang, "cần một GeoJSON Feature", "a GeoJSON Feature expected")
        )
    props = properties_of(feature, writer.lang)
    key = client_id(props, writer.lang)
    if (done := receipt_of(session, key, writer, layer, "create")) is not None:
        return Outcome(stored_feature(session, layer, done.row_id, writer), created=False)
    where = place(session, feature.get("geometry"), spec.geometry_type, writer)
    values = _columns(spec, props, writer)
    _complete(spec, values, writer)
    _eradication(layer, values, values.get("detected_on"))
    row = MODELS[layer](
        geom=where.geom,
        admin_unit_id=where.unit_id,
        client_id=key,
        created_by=writer.actor,
        **placement(props, writer.lang),
        **values,
    )
    if layer == "hotspots":
        _flag_relapse(session, row, relapse_radius_m, writer)
    session.add(row)
    session.flush()
    add_receipt(session, key, writer, layer, "create", row.id)
    answer = stored_feature(session, layer, row.id, writer)
    audit.record(  # last: the audit chain's lock is held from here to the commit
        session,
        actor=writer.actor,
        action="field_create",
        table=spec.table,
        row_id=row.id,
        before=None,
        after=audit.snapshot(row),
    )
    return Outcome(answer, created=True)


def _eradication(layer: str, values: dict[str, Any], on: date | None) -> None:
    """An eradicated cultivation site is dated (the database requires it)."""
    if layer == "cultivation_sites" and values.get("status") == "eradicated":
        values.setdefault("eradicated_on", on or clock.today())


def _flag_relapse(session: Session, row: Any, radius: float, writer: Writer) -> None:
    """Link a new hotspot to the nearest one cleared on the day within ``radius`` metres, by
    the hotspot layer's own status rule, wherever that one lies (a relapse ignores borders)."""
    cleared = LayerQuery(as_of=clock.today(), status=("cleared",), lang=writer.lang)
    point = sa.func.ST_GeomFromText(row.geom.data, SRID)
    found = nearest(session, "hotspots", cleared, point, radius, 1)
    if found:
        row.relapse_of_id = found[0]["id"]
        row.relapse_distance_m = found[0]["distance_m"]


def _replayed(
    session: Session, writer: Writer, layer: str, row_id: int, key: Any, action: str
) -> bool:
    """Whether this action was done already (to this row; another row is a 409)."""
    done = receipt_of(session, key, writer, layer, action)
    if done is None:
        return False
    if done.row_id != row_id:
        raise reused(writer)
    return True


def _checked_version(
    session: Session, writer: Writer, layer: str, row: Any, version: int | None
) -> None:
    """428 without the version read, 409 with the current Feature when it is not the latest."""
    if version is None:
        raise PreconditionRequired(
            say(
                writer.lang,
                'cần phiên bản đã đọc (tiêu đề If-Match: "<version>")',
                'send the version you read (header If-Match: "<version>")',
            )
        )
    if version != row.version:
        raise stale(session, writer, layer, row.id)


def stale(session: Session, writer: Writer, layer: str, row_id: int) -> Stale:
    """The 409 of an edit based on an older version, carrying the current Feature."""
    message = say(
        writer.lang,
        "Dữ liệu đã được người khác sửa; xem bản hiện tại rồi sửa lại",
        "Someone changed this in the meantime; look at the current version and edit again",
    )
    return Stale(message, current=stored_feature(session, layer, row_id, writer))


def update(
    session: Session, writer: Writer, layer: str, row_id: int, body: Any, version: int | None
) -> Outcome:
    """Changes to a feature at the version the phone read: properties, a hotspot's status
    (with its date and a reason), a move (with a reason)."""
    spec = field_layer(layer, writer)
    if not isinstance(body, dict):
        raise InvalidInput(say(writer.lang, "cần một đối tượng JSON", "a JSON object expected"))
    key = client_id(body, writer.lang)
    lock(session, layer, row_id)
    if _replayed(session, writer, layer, row_id, key, "update"):
        return Outcome(stored_feature(session, layer, row_id, writer), created=False)
    row = load_row(session, layer, row_id, writer)
    _checked_version(session, writer, layer, row, _version(body, version))
    before = audit.snapshot(row)
    props = properties_of(body, writer.lang)
    reason = text(body.get("reason"), "reason", writer.lang)
    if body.get("geometry") is not None:
        if reason is None:
            raise _missing("reason", writer)
        where = place(session, body["geometry"], spec.geometry_type, writer)
        row.geom, row.admin_unit_id = where.geom, where.unit_id
        for name, value in placement(props, writer.lang).items():
            setattr(row, name, value)  # a new position comes with its own method and accuracy
    if layer == "hotspots" and "status" in props:
        _change_status(session, writer, row, props, reason)
    values = _columns(spec, props, writer)
    _eradication(layer, values, _status_on(props, writer))
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_by = writer.actor
    session.flush()
    add_receipt(session, key, writer, layer, "update", row.id)
    answer = stored_feature(session, layer, row.id, writer)
    audit.record(  # last: the audit chain's lock is held from here to the commit
        session,
        actor=writer.actor,
        action="field_update",
        table=spec.table,
        row_id=row.id,
        before=before,
        after=audit.snapshot(row),
        reason=reason,
    )
    return Outcome(answer, created=False)


def _version(body: dict[str, Any], header: int | None) -> int | None:
    """The version read: the If-Match header, else ``properties.version``."""
    if header is not None:
        return header
    given = (
        body.get("properties", {}).get("version")
        if isinstance(body.get("properties"), dict)
        else None
    )
    return given if isinstance(given, int) and not isinstance(given, bool) else None


def _status_on(props: dict[str, Any], writer: Writer) -> date:
    return day(props.get("status_on"), "status_on", writer.lang, default=clock.today())


def _change_status(
    session: Session, writer: Writer, row: Any, props: dict[str, Any], reason: str | None
) -> None:
    """A dated status change that the domain allows, with its reason, into the history."""
    lang = writer.lang
    after = field_value(layer_spec("hotspots", lang).field("status"), props["status"], lang)
    on = _status_on(props, writer)
    if reason is None:
        raise _missing("reason", writer)
    now, last = session.execute(
        sa.text(
            "SELECT s.status, (SELECT max(changed_on) FROM hotspot_status_change "
            "WHERE hotspot_id = :id) FROM hotspot_status_on(:id, CAST(:st AS hotspot_status), "
            ":cleared, :relapsed, :day) AS s"
        ),
        {
            "id": row.id,
            "st": str(row.status.value),
            "cleared": row.cleared_on,
            "relapsed": row.relapsed_on,
            "day": clock.today(),
        },
    ).one()
    if not can_change(now, str(after)):
        was, to = HOTSPOT_STATUSES.label(now, lang), HOTSPOT_STATUSES.label(str(after), lang)
        message = say(
            lang,
            f"Không được chuyển tình trạng từ «{was}» sang «{to}»",
            f"The status cannot change from «{was}» to «{to}»",
        )
        raise InvalidProperty(message, field="status")
    if on < row.detected_on or (last is not None and on < last):
        message = say(
            lang,
            "status_on: trước ngày phát hiện hoặc trước lần đổi tình trạng gần nhất",
            "status_on: before the detection or the latest status change",
        )
        raise InvalidProperty(message, field="status_on")
    row.status = after
    if after == "cleared":
        row.cleared_on = on
    if after == "relapsed":
        row.relapsed_on = on
    session.add(
        HotspotStatusChange(
            hotspot_id=row.id, status=after, changed_on=on, reason=reason, created_by=writer.actor
        )
    )


def delete(
    session: Session, writer: Writer, layer: str, row_id: int, body: Any, version: int | None
) -> Outcome:
    """A soft delete with its reason (the row stays for the history and the audit)."""
    spec = field_layer(layer, writer)
    if not isinstance(body, dict):
        raise InvalidInput(say(writer.lang, "cần một đối tượng JSON", "a JSON object expected"))
    key = client_id(body, writer.lang)
    model = MODELS[layer]
    lock(session, layer, row_id)
    if _replayed(session, writer, layer, row_id, key, "delete"):
        version_now = session.scalar(sa.select(model.version).where(model.id == row_id))
        return Outcome(_deleted(layer, row_id, version_now), created=False)
    row = load_row(session, layer, row_id, writer)
    _checked_version(session, writer, layer, row, _version(body, version))
    reason = text(body.get("reason"), "reason", writer.lang)
    if reason is None:
        raise _missing("reason", writer)
    before = audit.snapshot(row)
    row.deleted_at, row.deleted_by = sa.func.now(), writer.actor
    session.flush()
    add_receipt(session, key, writer, layer, "delete", row.id)
    audit.record(
        session,
        actor=writer.actor,
        action="field_delete",
        table=spec.table,
        row_id=row.id,
        before=before,
        after=None,
        reason=reason,
    )
    return Outcome(_deleted(layer, row.id, row.version), created=False)


def _deleted(layer: str, row_id: int, version: int | None) -> dict[str, Any]:
    return {"layer": layer, "id": row_id, "deleted": True, "version": version}
