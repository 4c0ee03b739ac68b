"""The history of one feature, indicator row or evaluation, read from the audit log.

Why from the audit log: every write already lands there with who, when, before, after and the
reason, hash-chained, so the history a user reads is the record that is kept, not a second copy
that could drift from it. A board's checks and a box's openings are rows of their own tables
(audited under them), so a feature's history also takes the audit rows of every table that
refers to it by a foreign key (found in the models, never listed here).

Who may read it: the row must lie in the reader's scope (else 404, as for an unknown id), and
sensitive or undeclared fields show their values only to readers who may see them on the layers
API (``features.query.may_see_sensitive``); to others they read "changed".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app.domain.indicators import COLUMNS as INDICATOR_COLUMNS
from geo_app.domain.indicators import LABELS as INDICATOR_LABELS
from geo_app.errors import NotFound
from geo_app.layers import REGISTRY
from geo_app.layers.base import Lang
from geo_app.layers.fields import UNIT_CODE, Field
from geo_app.layers.vocab import LABELS
from geo_app.models import AdminUnit, AuditLog, Base, Evaluation, Indicator
from geo_app.services.accounts.scope import unit_in_scope
from geo_app.services.field.edit import WRITTEN_AS
from geo_app.services.field.rows import MODELS

MAX_ENTRIES = 200
"""The most entries one page of a history holds (50 unless asked)."""
DEFAULT_ENTRIES = 50
BOOKKEEPING = frozenset(
    (
        "id",
        "version",
        "client_id",
        "created_at",
        "created_by",
        "updated_at",
        "updated_by",
        "deleted_at",
        "deleted_by",
        "is_demo",
        "admin_unit_id",
        "campaign_id",
    )
)
"""Columns that say how a row is kept, not what it says: never listed as a change (who and
when are the entry's own; a foreign key to the row is the row itself)."""

EXTRA_FIELDS = (
    Field("geom", "str", "Vị trí", "Location"),
    Field("checked_on", "date", "Ngày kiểm tra", "Checked on"),
    Field("inspected_on", "date", "Ngày mở hòm", "Opened on"),
    Field("month", "date", "Tháng", "Month"),
    Field("rule_set", "str", "Bộ tiêu chí", "Rule set"),
    Field("inputs", "str", "Số liệu đầu vào", "Inputs"),
    Field("criteria", "str", "Kết quả từng tiêu chí", "Criteria"),
    Field(
        "override_verdict",
        "str",
        "Kết luận điều chỉnh",
        "Overridden verdict",
        vocabulary="evaluation_verdict",
    ),
)
"""Labels of the columns a history shows that no layer's field schema declares."""

ACTIONS: Mapping[str, tuple[str, str]] = {
    "field_create": ("Tạo mới", "Created"),
    "field_update": ("Sửa", "Edited"),
    "field_delete": ("Xóa", "Deleted"),
    "field_check": ("Kiểm tra bảng", "Board checked"),
    "field_inspection": ("Mở hòm thư", "Box opened"),
    "insert": ("Nhập mới", "Entered"),
    "update": ("Sửa", "Edited"),
    "evaluate": ("Đánh giá", "Evaluated"),
    "re-evaluate": ("Đánh giá lại", "Re-evaluated"),
    "override_verdict": ("Điều chỉnh kết luận", "Verdict overridden"),
}
"""What each audited action is called in a history (an unknown one shows its code)."""
MOVED = ("Di chuyển vị trí", "Moved")
STATUS_CHANGED = ("Đổi tình trạng", "Status changed")
CHANGED = ("đã thay đổi", "changed")
YES_NO = {True: ("có", "yes"), False: ("không", "no")}


@dataclass(frozen=True)
class Subject:
    """What has a history: its model, the fields that label its columns and its title."""

    kind: str
    model: Any
    fields: tuple[Field, ...]
    title: tuple[str, str]
    renamed: Mapping[str, str]
    """Column → field name where a field is written under another column's name."""

    @property
    def table(self) -> str:
        return str(self.model.__tablename__)

    def field(self, column: str) -> Field | None:
        name = self.renamed.get(column, column)
        return next((f for f in (*self.fields, *EXTRA_FIELDS) if f.name == name), None)


def _layer_subject(name: str) -> Subject:
    spec = REGISTRY[name]
    assert spec.table == MODELS[name].__tablename__  # one table per layer, as registered
    renamed = {column: field for (layer, field), column in WRITTEN_AS.items() if layer == name}
    return Subject(name, MODELS[name], spec.fields, (spec.title_vi, spec.title_en), renamed)


def _subjects() -> dict[str, Subject]:
    subjects = {name: _layer_subject(name) for name in MODELS}
    indicator_fields = tuple(
        Field(c, "int", INDICATOR_LABELS[c][0], INDICATOR_LABELS[c][1]) for c in INDICATOR_COLUMNS
    )
    subjects["indicators"] = Subject(
        "indicators",
        Indicator,
        (*indicator_fields, UNIT_CODE),
        ("Chỉ tiêu tháng", "Monthly indicators"),
        {},
    )
    subjects["evaluations"] = Subject(
        "evaluations",
        Evaluation,
        REGISTRY["campaign_progress"].fields,
        ("Đánh giá địa bàn mục tiêu", "Target area evaluation"),
        {},
    )
    return subjects


SUBJECTS: dict[str, Subject] = _subjects()
"""Everything with a history: the layers written in the field, indicator rows, evaluations."""
FEATURE_LAYERS = tuple(MODELS)
"""The map layers whose features have a history (their popups link to it)."""


@dataclass(frozen=True)
class Reader:
    """Who reads a history: their language, scope (None = national) and whether they may see
    sensitive fields."""

    lang: Lang
    scope_unit_id: int | None
    sensitive: bool


@dataclass(frozen=True)
class Change:
    """One field's change; ``before``/``after`` are None when the reader may not see them."""

    field: str
    label: str
    before: str | None
    after: str | None
    hidden: bool

    def as_dict(self, lang: Lang) -> dict[str, Any]:
        shown = {"field": self.field, "label": self.label, "hidden": self.hidden}
        if self.hidden:
            return {**shown, "before": None, "after": None, "note": _say(CHANGED, lang)}
        return {**shown, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class Entry:
    """One audited write of the row (or of a row that belongs to it)."""

    id: int
    at: datetime
    actor: str
    action: str
    action_label: str
    table: str
    reason: str | None
    changes: tuple[Change, ...]

    def as_dict(self, lang: Lang) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "action_label": self.action_label,
            "table": self.table,
            "reason": self.reason,
            "changes": [c.as_dict(lang) for c in self.changes],
        }


@dataclass(frozen=True)
class History:
    """One page of a row's history, newest first."""

    kind: str
    row_id: int
    title: str
    entries: tuple[Entry, ...]
    matched: int
    offset: int
    limit: int
    lang: Lang

    @property
    def next_offset(self) -> int | None:
        following = self.offset + self.limit
        return following if following < self.matched else None

    @property
    def prev_offset(self) -> int | None:
        return max(self.offset - self.limit, 0) if self.offset > 0 else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.row_id,
            "title": self.title,
            "entries": [e.as_dict(self.lang) for e in self.entries],
            "numberMatched": self.matched,
            "numberReturned": len(self.entries),
        }


def _say(pair: tuple[str, str], lang: Lang) -> str:
    return pair[0] if lang == "vi" else pair[1]


def subject(kind: str, lang: Lang) -> Subject:
    """What ``kind`` names; 404 naming the kinds that have a history."""
    found = SUBJECTS.get(kind)
    if found is None:
        known = ", ".join(SUBJECTS)
        words = (f"«{kind}» không có lịch sử; có: {known}", f"«{kind}» has no history: {known}")
        raise NotFound(_say(words, lang))
    return found


def feature_layer(name: str, lang: Lang) -> str:
    """``name`` if it is a map layer whose features have a history (404 otherwise)."""
    if name not in FEATURE_LAYERS:
        known = ", ".join(FEATURE_LAYERS)
        words = (
            f"lớp «{name}» không có lịch sử; có: {known}",
            f"layer «{name}» has no history: {known}",
        )
        raise NotFound(_say(words, lang))
    return name


def history(
    session: Session,
    kind: str,
    row_id: int,
    reader: Reader,
    *,
    limit: int = DEFAULT_ENTRIES,
    offset: int = 0,
) -> History:
    """One page of the history of row ``row_id`` of ``kind``, newest first; 404 when the row
    does not exist or lies outside the reader's scope (deleted features keep their history)."""
    found = subject(kind, reader.lang)
    _visible_row(session, found, row_id, reader)
    where = _audited(found, row_id)
    matched = session.scalar(sa.select(sa.func.count()).select_from(AuditLog).where(where)) or 0
    rows = session.scalars(
        sa.select(AuditLog).where(where).order_by(AuditLog.id.desc()).limit(limit).offset(offset)
    ).all()
    return History(
        kind,
        row_id,
        f"{_say(found.title, reader.lang)} #{row_id}",
        tuple(_entry(found, row, reader) for row in rows),
        matched,
        offset,
        limit,
        reader.lang,
    )


def _visible_row(session: Session, found: Subject, row_id: int, reader: Reader) -> None:
    """404 unless the row exists inside the reader's scope (the same answer for both, so an id
    outside the scope says nothing about what is there)."""
    unit_id = session.scalar(sa.select(found.model.admin_unit_id).where(found.model.id == row_id))
    if unit_id is None or not unit_in_scope(session, reader.scope_unit_id, unit_id):
        raise NotFound(
            _say(
                (f"không có #{row_id} trong «{found.kind}»", f"no #{row_id} in «{found.kind}»"),
                reader.lang,
            )
        )


def _audited(found: Subject, row_id: int) -> sa.ColumnElement[bool]:
    """The audit rows of the row itself and of the rows of other tables that refer to it."""
    table = found.model.__table__
    parts = [sa.and_(AuditLog.table_name == found.table, AuditLog.row_id == str(row_id))]
    for other in Base.metadata.tables.values():
        if other is table:
            continue
        for key in other.foreign_keys:
            if key.column.table is table and "id" in other.c:
                owned = sa.select(sa.cast(other.c.id, sa.Text)).where(key.parent == row_id)
                parts.append(sa.and_(AuditLog.table_name == other.name, AuditLog.row_id.in_(owned)))
    return sa.or_(*parts)


def _entry(found: Subject, row: AuditLog, reader: Reader) -> Entry:
    before, after = row.before or {}, row.after or {}
    changes = tuple(
        _change(found, column, before.get(column), after.get(column), reader)
        for column in _changed_columns(row, before, after)
    )
    return Entry(
        row.id,
        row.at,
        row.actor,
        row.action,
        _action_label(row.action, changes, reader.lang),
        row.table_name,
        # A reason is free text: it reaches only readers who may see the free-text fields.
        row.reason if reader.sensitive else None,
        changes,
    )


def _changed_columns(row: AuditLog, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What a write changed: a new row's values, an edit's differences, nothing for a delete."""
    if row.after is None:
        return []
    columns = [c for c in after if c not in BOOKKEEPING and not c.endswith("_id")]
    if row.before is None:
        return [c for c in columns if after[c] is not None]
    return [c for c in columns if before.get(c) != after[c]]


def _action_label(action: str, changes: tuple[Change, ...], lang: Lang) -> str:
    """The action's name; an edit that moved the feature or changed its status says so."""
    names = {c.field for c in changes}
    if action == "field_update" and "geom" in names:
        return _say(MOVED, lang)
    if action == "field_update" and "status" in names:
        return _say(STATUS_CHANGED, lang)
    return _say(ACTIONS[action], lang) if action in ACTIONS else action


def _change(found: Subject, column: str, before: Any, after: Any, reader: Reader) -> Change:
    """One column's change in the reader's words: labels from the field schema and its
    vocabulary; a sensitive or undeclared field's values only for readers who may see them."""
    declared = found.field(column)
    label = declared.label(reader.lang) if declared is not None else column
    name = declared.name if declared is not None else column
    hidden = not reader.sensitive and (declared is None or declared.sensitive)
    if hidden:
        return Change(name, label, None, None, hidden=True)
    return Change(
        name,
        label,
        _shown(declared, before, reader.lang),
        _shown(declared, after, reader.lang),
        hidden=False,
    )


def _shown(declared: Field | None, value: Any, lang: Lang) -> str | None:
    """A stored value as a person reads it: a code's label, a point's coordinates, a list
    joined; a document (an evaluation's inputs) only as "changed"."""
    if value is None:
        return None
    if isinstance(value, bool):
        return _say(YES_NO[value], lang)
    if declared is not None and declared.vocabulary is not None:
        pair = LABELS[declared.vocabulary].get(str(value))
        return _say(pair, lang) if pair is not None else str(value)
    if isinstance(value, dict):
        return _say(CHANGED, lang)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if declared is not None and declared.name == "geom":
        return _position(str(value))
    if declared is not None and declared.type == "date" and isinstance(value, str):
        return _day(value, lang)
    return str(value)


def _position(ewkt: str) -> str:
    """``SRID=4326;POINT(x y)`` as "y, x" (latitude first, as phones show it); a polygon's
    text is long and says little, so it reads as "changed" in Vietnamese and English alike."""
    text = ewkt.split(";", 1)[-1]
    if text.startswith("POINT(") and text.endswith(")"):
        x, y = (float(v) for v in text[6:-1].split())
        return f"{y:.5f}, {x:.5f}"
    return f"{_say(CHANGED, 'vi')} / {_say(CHANGED, 'en')}"


def _day(text: str, lang: Lang) -> str:
    """An ISO date as the page's language writes it (31/12/2025 in Vietnamese)."""
    try:
        day = date.fromisoformat(text[:10])
    except ValueError:
        return text
    return day.strftime("%d/%m/%Y") if lang == "vi" else day.isoformat()


def indicator_row(session: Session, code: str, month: date, lang: Lang) -> int:
    """The id of a unit's indicator row of ``month`` (404 when none was ever entered)."""
    found = session.scalar(
        sa.select(Indicator.id)
        .join(AdminUnit, AdminUnit.id == Indicator.admin_unit_id)
        .where(AdminUnit.code == code, Indicator.month == month)
        .order_by(AdminUnit.valid_from.desc())
        .limit(1)
    )
    if found is None:
        raise NotFound(
            _say(
                (
                    f"chưa có số liệu của {code} tháng {month:%m/%Y}",
                    f"no figures of {code} for {month:%Y-%m}",
                ),
                lang,
            )
        )
    return int(found)


def evaluation_row(session: Session, campaign_id: int, evaluation_id: int, lang: Lang) -> int:
    """``evaluation_id`` when it is one of the campaign's evaluations (404 otherwise)."""
    found = session.scalar(
        sa.select(Evaluation.id).where(
            Evaluation.id == evaluation_id, Evaluation.campaign_id == campaign_id
        )
    )
    if found is None:
        raise NotFound(
            _say(
                (
                    f"kế hoạch #{campaign_id} không có đánh giá #{evaluation_id}",
                    f"campaign #{campaign_id} has no evaluation #{evaluation_id}",
                ),
                lang,
            )
        )
    return int(found)
