"""The audit log on real PostGIS: append-only triggers, the hash chain, concurrent writers."""

from __future__ import annotations

import enum
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from _schema_helpers import add_unit, migrated_database
from geoalchemy2 import WKTElement
from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy.engine import URL, Engine
from sqlalchemy.orm import Session

from geo_app.models import (
    GENESIS_HASH,
    AuditLog,
    Hotspot,
    HotspotKind,
    HotspotSource,
    HotspotStatus,
)
from geo_app.services import audit


@pytest.fixture(scope="module")
def db_url() -> Iterator[URL]:
    with migrated_database() as url:
        yield url


@pytest.fixture(scope="module")
def engine(db_url: URL) -> Iterator[Engine]:
    engine = sa.create_engine(db_url, poolclass=sa.NullPool)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session inside an outer transaction that is rolled back, so audit_log starts empty."""
    with engine.connect() as conn:
        outer = conn.begin()
        with Session(bind=conn, join_transaction_mode="create_savepoint") as session:
            yield session
        outer.rollback()


def write(session: Session, n: int, **overrides: Any) -> list[AuditLog]:
    rows = []
    for i in range(n):
        fields: dict[str, Any] = {
            "actor": "staff.travinh",
            "action": "update",
            "table": "hotspot",
            "row_id": i + 1,
            "before": {"status": "active"},
            "after": {"status": "cleared", "cleared_on": date(2025, 3, i + 1)},
            "reason": "Triệt xóa theo biên bản",
        }
        fields.update(overrides)
        rows.append(audit.record(session, **fields))
    return rows


# --- to_jsonable --------------------------------------------------------------------------


class Colour(enum.Enum):
    red = "đỏ"


def test_to_jsonable_converts_what_services_pass() -> None:
    value = {
        "d": date(2025, 7, 1),
        "t": datetime(2025, 7, 1, 8, 30, tzinfo=timezone(timedelta(hours=7))),
        "n": Decimal("0.125"),
        "u": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "e": Colour.red,
        "wkt": WKTElement("POINT(106.3 9.9)", srid=4326),
        "wkb": from_shape(Point(106.3, 9.9), srid=4326),
        "shape": Point(1, 2),
        "nested": [(1, 2.5), {"x": None, "ok": True}],
        "nan": float("nan"),
        3: "int key",
    }
    assert audit.to_jsonable(value) == {
        "d": "2025-07-01",
        "t": "2025-07-01T01:30:00+00:00",
        "n": "0.125",
        "u": "12345678-1234-5678-1234-567812345678",
        "e": "đỏ",
        "wkt": "SRID=4326;POINT(106.3 9.9)",
        "wkb": "SRID=4326;POINT (106.3 9.9)",
        "shape": "POINT (1 2)",
        "nested": [[1, 2.5], {"x": None, "ok": True}],
        "nan": "nan",
        "3": "int key",
    }
    with pytest.raises(TypeError, match="object"):
        audit.to_jsonable({"x": object()})


def test_canonical_json_is_stable_and_keeps_vietnamese() -> None:
    a = audit.canonical_json({"b": 1, "a": "Phường Trà Vinh"})
    b = audit.canonical_json({"a": "Phường Trà Vinh", "b": 1})
    assert a == b == '{"a":"Phường Trà Vinh","b":1}'


# --- the chain ----------------------------------------------------------------------------


def test_records_form_a_chain(session: Session) -> None:
    first, second, third = write(session, 3)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert len({first.hash, second.hash, third.hash}) == 3
    assert third.row_id == "3"
    assert third.after == {"status": "cleared", "cleared_on": "2025-03-03"}
    assert first.at <= second.at <= third.at
    assert audit.verify_chain(session) == []


def test_stored_values_hash_the_same_when_read_back(session: Session) -> None:
    """jsonb rewrites some numbers (1e300 comes back as an integer); the hash must not care."""
    odd = {"big": 1e300, "tiny": 1e-7, "float": 0.1, "unicode": "ngáo đá", "list": [3, 1, 2]}
    write(session, 2, after=odd, before=None, row_id=None, reason=None)
    session.expire_all()
    assert audit.verify_chain(session) == []
    stored = session.scalars(sa.select(AuditLog).order_by(AuditLog.id)).all()
    assert stored[0].before is None and stored[0].row_id is None
    assert stored[0].after["unicode"] == "ngáo đá"


def test_snapshot_of_a_model(session: Session) -> None:
    unit = add_unit(session.connection())
    spot = Hotspot(
        geom=WKTElement("POINT(106.305 9.905)", srid=4326),
        kind=HotspotKind.den,
        status=HotspotStatus.active,
        detected_on=date(2025, 1, 5),
        source=HotspotSource.patrol,
        admin_unit_id=unit,
    )
    session.add(spot)
    session.flush()
    session.refresh(spot)
    snap = audit.snapshot(spot, exclude=("notes",))
    assert snap["kind"] == "den"
    assert snap["detected_on"] == "2025-01-05"
    assert snap["geom"] == "SRID=4326;POINT (106.305 9.905)"
    assert snap["version"] == 1
    assert "notes" not in snap
    entry = audit.record(
        session,
        actor="a",
        action="insert",
        table="hotspot",
        row_id=spot.id,
        before=None,
        after=snap,
    )
    assert entry.after == snap


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET reason = 'rewritten'",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ],
)
def test_audit_rows_are_append_only(session: Session, statement: str) -> None:
    write(session, 2)
    with pytest.raises(sa.exc.IntegrityError, match="append-only"), session.begin_nested():
        session.execute(sa.text(statement))
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == 2


def test_tampering_is_detected(session: Session) -> None:
    """A superuser can bypass the trigger; the chain still shows which rows were touched."""
    rows = write(session, 5)
    ids = [row.id for row in rows]
    session.execute(sa.text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
    session.execute(
        sa.text('UPDATE audit_log SET after = \'{"status": "active"}\' WHERE id = :i'),
        {"i": ids[1]},
    )
    assert audit.verify_chain(session) == [ids[1]]

    # Rewriting the row and recomputing its hash (even with the key) breaks the link from the
    # row after it.
    forged = audit.compute_hash(
        rows[1].prev_hash,
        key=audit.installation_key(),
        at=rows[1].at,
        actor=rows[1].actor,
        action=rows[1].action,
        table_name=rows[1].table_name,
        row_id=rows[1].row_id,
        before=rows[1].before,
        after={"status": "active"},
        reason=rows[1].reason,
    )
    session.execute(
        sa.text("UPDATE audit_log SET hash = :h WHERE id = :i"), {"h": forged, "i": ids[1]}
    )
    assert audit.verify_chain(session) == [ids[2]]

    # Deleting a row breaks the link of its successor.
    session.execute(sa.text("DELETE FROM audit_log WHERE id = :i"), {"i": ids[3]})
    assert audit.verify_chain(session) == [ids[2], ids[4]]
    session.execute(sa.text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))


def test_concurrent_writers_form_one_chain() -> None:
    """Without the advisory lock, two writers would read the same last hash and fork."""
    with migrated_database() as url:
        engine = sa.create_engine(url, pool_size=4)
        errors: list[BaseException] = []
        start = threading.Barrier(4)

        def writer(n: int) -> None:
            try:
                start.wait()
                for i in range(15):
                    with Session(engine) as s, s.begin():
                        audit.record(
                            s,
                            actor=f"writer{n}",
                            action="insert",
                            table="indicator",
                            row_id=i,
                            before=None,
                            after={"n": n, "i": i},
                        )
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        try:
            assert errors == []
            with Session(engine) as s:
                rows = s.execute(sa.select(AuditLog.prev_hash, AuditLog.at)).all()
                assert len(rows) == 60
                assert len({row.prev_hash for row in rows}) == 60  # no fork
                assert audit.verify_chain(s) == []
                first_at = s.scalar(sa.select(sa.func.min(AuditLog.at)))
                assert first_at is not None and first_at <= datetime.now(UTC)  # clock-ok
        finally:
            engine.dispose()
