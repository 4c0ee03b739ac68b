"""audit.record_many: bulk appends keep one unbroken, verifiable chain with single records."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from geo_app.services import audit


def _entry(i: int) -> audit.Entry:
    return audit.Entry(
        actor="test",
        action="insert",
        table="classification",
        row_id=i,
        before=None if i % 2 else {"class_": "type_3", "n": Decimal("1.50")},
        after={"class_": "drug_free", "i": i, "text": "Xã Một"},
        reason=None if i % 3 else "thay đổi",
    )


def test_bulk_rows_chain_with_single_rows(
    empty_db: str, engine_for: Callable[[str], Engine]
) -> None:
    engine = engine_for(empty_db)
    with Session(engine) as session, session.begin():
        audit.record(
            session, actor="t", action="a", table="x", row_id=1, before=None, after={"k": 1}
        )
        assert audit.record_many(session, [_entry(i) for i in range(50)]) == 50
        audit.record(
            session, actor="t", action="b", table="x", row_id=2, before={"k": 1}, after=None
        )
        assert audit.record_many(session, []) == 0
    with Session(engine) as session:
        assert audit.verify_chain(session) == []
        rows = session.execute(
            sa.text("SELECT before IS NULL AS no_before, after FROM audit_log ORDER BY id")
        ).all()
    assert len(rows) == 52
    assert rows[2].no_before is True  # None is stored as SQL NULL, like record() does
    assert rows[1].after == {"class_": "drug_free", "i": 0, "text": "Xã Một"}


def test_tampering_with_a_bulk_row_is_detected(
    empty_db: str, engine_for: Callable[[str], Engine]
) -> None:
    engine = engine_for(empty_db)
    with Session(engine) as session, session.begin():
        audit.record_many(session, [_entry(i) for i in range(5)])
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        conn.execute(
            sa.text(
                "UPDATE audit_log SET after = jsonb_set(after, '{class_}', '\"type_1\"') "
                "WHERE id = (SELECT min(id) + 2 FROM audit_log)"
            )
        )
        conn.execute(sa.text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
    with Session(engine) as session:
        broken = audit.verify_chain(session)
        first = session.scalar(sa.text("SELECT min(id) FROM audit_log"))
    assert broken == [first + 2]
