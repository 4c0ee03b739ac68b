"""Field actions beside editing: a box opened, a board checked, what is near, what I sent today.

Plain functions over a session; the caller owns the transaction. An opening or a check is its
own row (``tipoff_inspection``, ``hotline_board_check``) and also moves the box's or board's
own dates (and a board's condition), with a receipt and an audit row like every field write.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app import clock
from geo_app.errors import InvalidProperty
from geo_app.layers.base import LayerQuery
from geo_app.models import HotlineBoardCheck, TipoffInspection, WriteReceipt
from geo_app.services import audit
from geo_app.services.field.inputs import Outcome, Writer, client_id, code, count, day, say
from geo_app.services.field.rows import (
    MODELS,
    add_receipt,
    load_row,
    nearest,
    receipt_of,
    stored_feature,
)

NEARBY_DEFAULT_M = 500
NEARBY_MAX_M = 3000
NEARBY_LIMIT = 50


def _on(body: dict[str, Any], name: str, installed: date | None, writer: Writer) -> date:
    on = day(body.get(name), name, writer.lang, default=clock.today())
    if installed is not None and on < installed:
        message = say(writer.lang, f"{name}: trước ngày lắp đặt", f"{name}: before installation")
        raise InvalidProperty(message, field=name)
    return on


def _recorded(
    session: Session, writer: Writer, layer: str, key: Any, record: Any, action: str
) -> None:
    """The receipt and the audit row of an opening or a check (already flushed)."""
    add_receipt(session, key, writer, layer, action, record.id)
    audit.record(
        session,
        actor=writer.actor,
        action=f"field_{action}",
        table=record.__tablename__,
        row_id=record.id,
        before=None,
        after=audit.snapshot(record),
    )


def inspect_box(session: Session, writer: Writer, box_id: int, body: dict[str, Any]) -> Outcome:
    """A tip-off box opened: letters counted (never read here), the box's last opening moved."""
    key = client_id(body, writer.lang)
    if (done := receipt_of(session, key, writer, "tipoff_boxes", "inspection")) is not None:
        found = session.get(TipoffInspection, done.row_id)
        assert found is not None  # a receipt names a row of its own transaction
        return Outcome(_inspection(session, writer, found), created=False)
    box = load_row(session, "tipoff_boxes", box_id, writer)
    on = _on(body, "inspected_on", box.installed_on, writer)
    received = count(body.get("letters_received", 0), "letters_received", writer.lang)
    forwarded = count(body.get("letters_forwarded", 0), "letters_forwarded", writer.lang)
    if forwarded > received:
        message = say(
            writer.lang,
            "letters_forwarded: không được nhiều hơn số thư nhận",
            "letters_forwarded: cannot exceed the letters received",
        )
        raise InvalidProperty(message, field="letters_forwarded")
    opening = TipoffInspection(
        box_id=box.id,
        inspected_on=on,
        letters_received=received,
        letters_forwarded=forwarded,
        client_id=key,
        created_by=writer.actor,
    )
    session.add(opening)
    box.last_opened_on = max(box.last_opened_on or on, on)
    box.updated_by = writer.actor
    session.flush()
    _recorded(session, writer, "tipoff_boxes", key, opening, "inspection")
    return Outcome(_inspection(session, writer, opening), created=True)


def _inspection(session: Session, writer: Writer, found: TipoffInspection) -> dict[str, Any]:
    return {
        "inspection": {
            "id": found.id,
            "box_id": found.box_id,
            "inspected_on": found.inspected_on.isoformat(),
            "letters_received": found.letters_received,
            "letters_forwarded": found.letters_forwarded,
            "client_id": str(found.client_id),
        },
        "feature": stored_feature(session, "tipoff_boxes", found.box_id, writer),
    }


def check_board(session: Session, writer: Writer, board_id: int, body: dict[str, Any]) -> Outcome:
    """A hotline board visited: its condition found, which becomes the board's."""
    key = client_id(body, writer.lang)
    if (done := receipt_of(session, key, writer, "hotline_boards", "check")) is not None:
        found = session.get(HotlineBoardCheck, done.row_id)
        assert found is not None  # a receipt names a row of its own transaction
        return Outcome(_check(session, writer, found), created=False)
    board = load_row(session, "hotline_boards", board_id, writer)
    on = _on(body, "checked_on", board.installed_on, writer)
    condition = code(body.get("condition"), "facility_condition", "condition", writer.lang)
    visit = HotlineBoardCheck(
        board_id=board.id,
        checked_on=on,
        condition=condition,
        client_id=key,
        created_by=writer.actor,
    )
    session.add(visit)
    if board.last_checked_on is None or on >= board.last_checked_on:
        board.last_checked_on, board.condition = on, condition
    board.updated_by = writer.actor
    session.flush()
    _recorded(session, writer, "hotline_boards", key, visit, "check")
    return Outcome(_check(session, writer, visit), created=True)


def _check(session: Session, writer: Writer, found: HotlineBoardCheck) -> dict[str, Any]:
    return {
        "check": {
            "id": found.id,
            "board_id": found.board_id,
            "checked_on": found.checked_on.isoformat(),
            "condition": str(found.condition),
            "client_id": str(found.client_id),
        },
        "feature": stored_feature(session, "hotline_boards", found.board_id, writer),
    }


def nearby(
    session: Session, writer: Writer, lon: float, lat: float, radius: float
) -> list[dict[str, Any]]:
    """The field layers' features within ``radius`` metres inside the writer's scope, nearest
    first, read through each layer's own query (its status, labels and scope rule)."""
    point = sa.func.ST_SetSRID(sa.func.ST_MakePoint(lon, lat), 4326)
    asked = LayerQuery(lang=writer.lang, scope_unit_id=writer.scope_unit_id)
    items = [
        item
        for name in MODELS
        for item in nearest(session, name, asked, point, radius, NEARBY_LIMIT)
    ]
    items.sort(key=lambda item: (item["distance_m"], item["layer"], item["id"]))
    return items[:NEARBY_LIMIT]


def today(session: Session, writer: Writer) -> list[dict[str, Any]]:
    """The writer's own field writes of today, in the order they were made."""
    rows = session.scalars(
        sa.select(WriteReceipt)
        .where(WriteReceipt.actor == writer.actor, WriteReceipt.day == clock.today())
        .order_by(WriteReceipt.at, WriteReceipt.client_id)
    )
    return [
        {
            "client_id": str(r.client_id),
            "layer": r.layer,
            "action": r.action,
            "row_id": r.row_id,
            "at": r.at.isoformat(),
        }
        for r in rows
    ]
