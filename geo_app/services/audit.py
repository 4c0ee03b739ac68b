"""The audit trail: every write lands here, hash-chained so a rewritten history is detectable.

``record`` runs inside the caller's transaction. It takes a transaction-scoped advisory lock so
concurrent writers form one chain (run writers at READ COMMITTED, the default: the lock is only
useful if the statement after it sees the previous writer's committed row).

Two anchors keep the chain honest against someone who can write to the database: each hash is
an HMAC with a key that is not in the database (``GEO_APP_AUDIT_KEY`` or the state folder), so
a rewritten row cannot be re-signed; and :func:`verify` compares the log with the last
checkpoint kept outside the database (row count, last id, last hash), so cutting off the newest
rows, which leaves a shorter but valid chain, is caught too.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import hmac
import json
import math
import os
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeAlias

import sqlalchemy as sa
from geoalchemy2.elements import WKBElement, WKTElement
from geoalchemy2.shape import to_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from geo_app.config import Settings
from geo_app.models.audit import GENESIS_HASH, AuditLog

AUDIT_LOCK_KEY = 0x67656F5F61756469
"""Advisory lock key ("geo_audi") that serialises audit writers across connections."""

JsonValue: TypeAlias = None | bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"]


@lru_cache(maxsize=1)
def installation_key() -> bytes:
    """This installation's audit key (read once: every writer and checker must agree on it)."""
    return Settings.from_env().audit_key.encode("utf-8")


def to_jsonable(value: Any) -> JsonValue:
    """``value`` as plain JSON data: dates as ISO strings, Decimal as exact strings, geometry as
    EWKT, UUIDs and enums as their text; anything else unknown is an error, never ``str()``.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, enum.Enum):
        return to_jsonable(value.value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, WKTElement):
        return f"SRID={value.srid};{value.data}" if value.srid > 0 else str(value.data)
    if isinstance(value, WKBElement):
        shape = to_shape(value)
        return f"SRID={value.srid};{shape.wkt}" if value.srid > 0 else shape.wkt
    if isinstance(value, BaseGeometry):
        return value.wkt
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted((to_jsonable(v) for v in value), key=canonical_json)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_jsonable(dataclasses.asdict(value))
    raise TypeError(f"cannot store {type(value).__name__} in the audit log")


def snapshot(obj: Any, *, exclude: tuple[str, ...] = ()) -> dict[str, JsonValue]:
    """A mapped object's column values as JSON data, for ``before``/``after``."""
    mapper = sa.inspect(obj).mapper
    return {
        attr.key: to_jsonable(getattr(obj, attr.key))
        for attr in mapper.column_attrs
        if attr.key not in exclude
    }


def canonical_json(value: Any) -> str:
    """The one text form that is hashed: sorted keys, no spaces, UTF-8 characters kept."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def compute_hash(
    prev_hash: str,
    *,
    key: bytes,
    at: datetime,
    actor: str,
    action: str,
    table_name: str,
    row_id: str | None,
    before: Any,
    after: Any,
    reason: str | None,
) -> str:
    """HMAC-SHA256 under ``key`` of the previous hash followed by the canonical JSON of the row's
    content: without the key nobody can make a rewritten row hash right."""
    content = {
        "at": at,
        "actor": actor,
        "action": action,
        "table_name": table_name,
        "row_id": row_id,
        "before": before,
        "after": after,
        "reason": reason,
    }
    body = _body(content)
    return hmac.new(key, (prev_hash + body).encode("utf-8"), hashlib.sha256).hexdigest()


CONTENT = ("at", "actor", "action", "table_name", "row_id", "before", "after", "reason")
"""The columns of an audit row that its hash covers (besides the previous hash)."""


def _body(content: Mapping[str, Any]) -> str:
    """The one text form of a row's content that is hashed."""
    return canonical_json(
        {name: to_jsonable(content[name]) if name == "at" else content[name] for name in CONTENT}
    )


def _stored_body(row: Any) -> str:
    """:func:`_body` of a row read back from ``audit_log``."""
    return _body({name: getattr(row, name) for name in CONTENT})


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    table: str,
    row_id: str | int | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str | None = None,
    key: bytes | None = None,
) -> AuditLog:
    """Append one audit row (flushed, not committed) chained to the last one; ``key`` defaults
    to the installation's."""
    session.execute(sa.select(sa.func.pg_advisory_xact_lock(AUDIT_LOCK_KEY)))
    last_hash = sa.select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1).scalar_subquery()
    # Round-trip the documents through jsonb so the hash is over exactly what is stored
    # (jsonb may rewrite numbers such as 1e300); the clock is read after taking the lock so
    # ``at`` grows along the chain.
    row = session.execute(
        sa.select(
            sa.func.clock_timestamp(),
            last_hash,
            sa.cast(sa.bindparam("b", to_jsonable(before), type_=JSONB(none_as_null=True)), JSONB),
            sa.cast(sa.bindparam("a", to_jsonable(after), type_=JSONB(none_as_null=True)), JSONB),
        )
    ).one()
    at, prev, stored_before, stored_after = row
    prev_hash = prev.strip() if prev is not None else GENESIS_HASH
    row_text = None if row_id is None else str(row_id)
    entry = AuditLog(
        at=at,
        actor=actor,
        action=action,
        table_name=table,
        row_id=row_text,
        before=stored_before,
        after=stored_after,
        reason=reason,
        prev_hash=prev_hash,
        hash=compute_hash(
            prev_hash,
            key=key or installation_key(),
            at=at,
            actor=actor,
            action=action,
            table_name=table,
            row_id=row_text,
            before=stored_before,
            after=stored_after,
            reason=reason,
        ),
    )
    session.add(entry)
    session.flush()
    return entry


@dataclasses.dataclass(frozen=True)
class Entry:
    """One audit row to append with :func:`record_many`."""

    actor: str
    action: str
    table: str
    row_id: str | int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None = None


def record_many(session: Session, entries: list[Entry], *, key: bytes | None = None) -> int:
    """Append many audit rows in one round trip, chained in order (bulk writes: a province's
    classifications, an indicator import). Same guarantees as :func:`record`; the rows share
    one timestamp, so ``at`` never decreases along the chain.
    """
    if not entries:
        return 0
    session.flush()
    session.execute(sa.select(sa.func.pg_advisory_xact_lock(AUDIT_LOCK_KEY)))
    at, prev = session.execute(
        sa.select(
            sa.func.clock_timestamp(),
            sa.select(AuditLog.hash).order_by(AuditLog.id.desc()).limit(1).scalar_subquery(),
        )
    ).one()
    # Round-trip every document through jsonb so each hash is over exactly what is stored.
    texts = [[_json_or_none(e.before), _json_or_none(e.after)] for e in entries]
    stored = session.execute(
        sa.text(
            "SELECT CAST(b AS jsonb), CAST(a AS jsonb) FROM unnest(CAST(:b AS text[]), "
            "CAST(:a AS text[])) WITH ORDINALITY AS t(b, a, n) ORDER BY n"
        ),
        {"b": [t[0] for t in texts], "a": [t[1] for t in texts]},
    ).all()
    prev_hash = prev.strip() if prev is not None else GENESIS_HASH
    key = key or installation_key()
    rows: list[dict[str, Any]] = []
    for entry, (before, after) in zip(entries, stored, strict=True):
        row_text = None if entry.row_id is None else str(entry.row_id)
        digest = compute_hash(
            prev_hash,
            key=key,
            at=at,
            actor=entry.actor,
            action=entry.action,
            table_name=entry.table,
            row_id=row_text,
            before=before,
            after=after,
            reason=entry.reason,
        )
        rows.append(
            {
                "at": at,
                "actor": entry.actor,
                "action": entry.action,
                "table_name": entry.table,
                "row_id": row_text,
                "before": before,
                "after": after,
                "reason": entry.reason,
                "prev_hash": prev_hash,
                "hash": digest,
            }
        )
        prev_hash = digest
    session.execute(sa.insert(AuditLog), rows)
    return len(rows)


def _json_or_none(document: dict[str, Any] | None) -> str | None:
    return None if document is None else canonical_json(to_jsonable(document))


def verify_chain(session: Session, *, key: bytes | None = None) -> list[int]:
    """Ids of rows whose hash does not match their content under ``key`` (the installation's by
    default) or whose link to the row before is broken (a row after a deleted or rewritten one).
    Empty means the chain is intact.
    """
    return verify(session, key=key).broken


@dataclasses.dataclass(frozen=True)
class Checkpoint:
    """What a verification saw of one database's log, kept outside the database."""

    database: str
    rows: int
    last_id: int | None
    last_hash: str
    at: str


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The outcome of :func:`verify`: broken row ids, every problem in words, and what was seen
    (the next checkpoint, to be written only when there is no problem)."""

    broken: list[int]
    problems: list[str]
    seen: Checkpoint


def verify(
    session: Session, *, key: bytes | None = None, checkpoint: Checkpoint | None = None
) -> Verdict:
    """Check every row's HMAC and link, then that the log still holds what ``checkpoint`` saw:
    the row at its last id with its last hash, and as many rows up to there (a cut tail or a
    deleted row shows, even though what is left is a valid chain)."""
    key = key or installation_key()
    database, now = session.execute(sa.select(sa.func.current_database(), sa.func.now())).one()
    broken: list[int] = []
    rows, last_id, last_hash = 0, None, GENESIS_HASH
    anchored_rows, anchored_hash = 0, None
    anchor = checkpoint.last_id if checkpoint is not None and checkpoint.last_id else 0
    for row in _rows(session):
        body = (row.prev_hash + _stored_body(row)).encode("utf-8")
        expected = hmac.new(key, body, hashlib.sha256).hexdigest()
        if row.prev_hash != last_hash or row.hash != expected:
            broken.append(row.id)
        rows, last_id, last_hash = rows + 1, row.id, row.hash
        if row.id <= anchor:
            anchored_rows += 1
            anchored_hash = row.hash if row.id == anchor else anchored_hash
    seen = Checkpoint(database, rows, last_id, last_hash, now.isoformat())
    problems = [_broken_text(broken)] if broken else []
    if checkpoint is not None:
        problems += _against(checkpoint, seen, anchored_rows, anchored_hash)
    return Verdict(broken, problems, seen)


def _rows(session: Session) -> Iterator[sa.Row[Any]]:
    stmt = (
        sa.select(
            AuditLog.id,
            AuditLog.at,
            AuditLog.actor,
            AuditLog.action,
            AuditLog.table_name,
            AuditLog.row_id,
            AuditLog.before,
            AuditLog.after,
            AuditLog.reason,
            AuditLog.prev_hash,
            AuditLog.hash,
        )
        .order_by(AuditLog.id)
        .execution_options(yield_per=1000)
    )
    yield from session.execute(stmt)


def _broken_text(broken: list[int]) -> str:
    shown = ", ".join(str(i) for i in broken[:50]) + (" …" if len(broken) > 50 else "")
    return (
        f"{len(broken)} row(s) do not match their hash or link (edited, deleted before them, or "
        f"signed with another key); first break at id {broken[0]}: {shown}"
    )


def _against(
    checkpoint: Checkpoint, seen: Checkpoint, anchored_rows: int, anchored_hash: str | None
) -> list[str]:
    """What differs from the checkpoint: rows gone, or the anchored row missing or changed."""
    since = f"the checkpoint of {checkpoint.at}"
    problems: list[str] = []
    if seen.rows < checkpoint.rows:
        problems.append(
            f"the log has {seen.rows} rows, fewer than the {checkpoint.rows} of {since}: "
            "rows were deleted"
        )
    if checkpoint.last_id is None:
        return problems
    if anchored_hash is None:
        problems.append(f"row {checkpoint.last_id}, the last one at {since}, is missing")
    elif not hmac.compare_digest(anchored_hash, checkpoint.last_hash):
        problems.append(f"row {checkpoint.last_id} no longer has the hash recorded at {since}")
    if anchored_rows != checkpoint.rows:
        problems.append(
            f"{anchored_rows} rows up to id {checkpoint.last_id}, {since} counted {checkpoint.rows}"
        )
    return problems


def last_checkpoint(path: Path, database: str) -> Checkpoint | None:
    """The newest checkpoint of ``database`` in the file (one JSON object a line), if any.

    A line that is not a checkpoint is an error, never skipped: the file is evidence.
    """
    if not path.is_file():
        return None
    found: Checkpoint | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            checkpoint = Checkpoint(**json.loads(line))
        except (ValueError, TypeError) as error:
            raise ValueError(f"{path} line {number} is not a checkpoint: {error}") from None
        if checkpoint.database == database:
            found = checkpoint
    return found


def append_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """Add ``checkpoint`` as one line at the end of the file (made private on first use) and
    flush it to disk, so a crash cannot lose a checkpoint that was reported written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(canonical_json(dataclasses.asdict(checkpoint)) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


class LegacyChainError(ValueError):
    """A log offered for re-signing is not an intact plain-sha256 chain."""


def rekey_legacy(session: Session, *, key: bytes | None = None) -> int:
    """Re-sign a log written before the HMAC (plain sha256 of the same text) with ``key``, after
    checking that old chain row by row; returns the number of rows. A one-off for logs from
    before the change: it needs the owner (the append-only trigger is off for the rewrite,
    inside the caller's transaction) and refuses any row that does not verify.
    """
    key = key or installation_key()
    session.execute(sa.select(sa.func.pg_advisory_xact_lock(AUDIT_LOCK_KEY)))
    rows = list(_rows(session))
    prev = GENESIS_HASH
    for row in rows:
        body = _stored_body(row)
        if row.prev_hash != prev or row.hash != hashlib.sha256((prev + body).encode()).hexdigest():
            raise LegacyChainError(f"row {row.id} is not part of an intact sha256 chain")
        prev = row.hash
    updates: list[dict[str, Any]] = []
    prev = GENESIS_HASH
    for row in rows:
        digest = hmac.new(key, (prev + _stored_body(row)).encode(), hashlib.sha256).hexdigest()
        updates.append({"i": row.id, "p": prev, "h": digest})
        prev = digest
    session.execute(sa.text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
    session.execute(
        sa.text("UPDATE audit_log SET prev_hash = :p, hash = :h WHERE id = :i"), updates
    )
    session.execute(sa.text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
    return len(rows)
