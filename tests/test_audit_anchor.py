"""The audit chain is anchored outside the database: an HMAC key the database never sees, and
checkpoints in a file. Someone who can write to the database (even its owner, triggers off)
cannot rewrite history or cut off the newest rows without ``verify-audit`` saying so."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from geo_app.cli import main
from geo_app.services import audit


@pytest.fixture
def engine(empty_db: str, engine_for: Callable[[str], Engine]) -> Engine:
    """An owner engine on a fresh database whose log has six rows."""
    engine = engine_for(empty_db)
    with Session(engine) as session, session.begin():
        for i in range(3):
            audit.record(
                session,
                actor="canbo",
                action="update",
                table="hotspot",
                row_id=i,
                before={"status": "active"},
                after={"status": "cleared"},
            )
        audit.record_many(
            session,
            [audit.Entry("import", "insert", "indicator", i, None, {"n": i}) for i in range(3)],
        )
    return engine


@pytest.fixture
def checkpoints(tmp_path: Path) -> Path:
    return tmp_path / "audit-checkpoint.json"


def _verify(engine: Engine, checkpoints: Path, key: bytes | None = None) -> audit.Verdict:
    with Session(engine) as session:
        database = session.scalar(sa.select(sa.func.current_database()))
        verdict = audit.verify(
            session, key=key, checkpoint=audit.last_checkpoint(checkpoints, str(database))
        )
    if not verdict.problems:
        audit.append_checkpoint(checkpoints, verdict.seen)
    return verdict


def _as_owner(engine: Engine, *statements: str) -> None:
    """Run ``statements`` with the append-only triggers off, as the schema owner could."""
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        for statement in statements:
            conn.execute(sa.text(statement))
        conn.execute(sa.text("ALTER TABLE audit_log ENABLE TRIGGER USER"))


def _rechain(engine: Engine, sign: Callable[[str, str], str], from_id: int) -> None:
    """Recompute every hash from ``from_id`` on with ``sign(prev, body)``: the forger's move."""
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
        rows = conn.execute(sa.text("SELECT * FROM audit_log ORDER BY id")).mappings().all()
        prev = audit.GENESIS_HASH
        for row in rows:
            if row["id"] >= from_id:
                body = audit.canonical_json(
                    {
                        "at": audit.to_jsonable(row["at"]),
                        "actor": row["actor"],
                        "action": row["action"],
                        "table_name": row["table_name"],
                        "row_id": row["row_id"],
                        "before": row["before"],
                        "after": row["after"],
                        "reason": row["reason"],
                    }
                )
                digest = sign(prev, body)
                conn.execute(
                    sa.text("UPDATE audit_log SET prev_hash = :p, hash = :h WHERE id = :i"),
                    {"p": prev, "h": digest, "i": row["id"]},
                )
                prev = digest
            else:
                prev = row["hash"]
        conn.execute(sa.text("ALTER TABLE audit_log ENABLE TRIGGER USER"))


def _ids(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return list(conn.scalars(sa.text("SELECT id FROM audit_log ORDER BY id")))


def test_a_clean_log_passes_and_each_run_adds_a_checkpoint(
    engine: Engine, checkpoints: Path
) -> None:
    first = _verify(engine, checkpoints)
    assert first.problems == [] and first.broken == []
    assert first.seen.rows == 6 and first.seen.last_id == _ids(engine)[-1]
    with Session(engine) as session, session.begin():
        audit.record(session, actor="a", action="x", table="t", row_id=1, before=None, after={})
    second = _verify(engine, checkpoints)
    assert second.problems == []
    lines = [json.loads(line) for line in checkpoints.read_text().splitlines()]
    assert [line["rows"] for line in lines] == [6, 7]
    assert lines[1]["last_hash"] == second.seen.last_hash
    assert checkpoints.stat().st_mode & 0o077 == 0


def test_the_hash_is_keyed(engine: Engine) -> None:
    """The stored hash is not what anyone can compute without the key."""
    with engine.connect() as conn:
        row = conn.execute(sa.text("SELECT * FROM audit_log ORDER BY id LIMIT 1")).mappings().one()
    fields = {k: row[k] for k in ("at", "actor", "action", "table_name", "row_id", "reason")}
    fields.update(before=row["before"], after=row["after"])
    assert row["hash"] == audit.compute_hash(
        row["prev_hash"], key=audit.installation_key(), **fields
    )
    assert row["hash"] != audit.compute_hash(row["prev_hash"], key=b"guess", **fields)


@pytest.mark.parametrize(
    "sign",
    [
        lambda prev, body: hashlib.sha256((prev + body).encode()).hexdigest(),
        lambda prev, body: hmac.new(b"not the key", (prev + body).encode(), "sha256").hexdigest(),
    ],
    ids=["plain-sha256", "wrong-key"],
)
def test_an_edited_row_with_every_later_hash_recomputed_is_caught(
    engine: Engine, checkpoints: Path, sign: Callable[[str, str], str]
) -> None:
    assert _verify(engine, checkpoints).problems == []
    ids = _ids(engine)
    _as_owner(engine, f"UPDATE audit_log SET actor = 'someone else' WHERE id = {ids[2]}")
    _rechain(engine, sign, ids[2])
    verdict = _verify(engine, checkpoints)
    assert verdict.broken == ids[2:]
    assert f"first break at id {ids[2]}" in verdict.problems[0]
    assert any("no longer has the hash" in p for p in verdict.problems)
    assert len(checkpoints.read_text().splitlines()) == 1  # no checkpoint of a broken log


def test_deleting_the_newest_rows_is_caught_by_the_checkpoint(
    engine: Engine, checkpoints: Path
) -> None:
    assert _verify(engine, checkpoints).problems == []
    ids = _ids(engine)
    _as_owner(engine, f"DELETE FROM audit_log WHERE id >= {ids[4]}")
    verdict = _verify(engine, checkpoints)
    assert verdict.broken == []  # what is left is a valid chain: only the anchor tells
    assert any("4 rows, fewer than the 6" in p for p in verdict.problems)
    assert any(f"row {ids[-1]}, the last one at the checkpoint" in p for p in verdict.problems)


def test_a_wrong_key_is_caught(engine: Engine, checkpoints: Path) -> None:
    verdict = _verify(engine, checkpoints, key=b"another installation")
    assert verdict.broken == _ids(engine)


def test_an_unreadable_checkpoint_file_is_an_error(checkpoints: Path) -> None:
    checkpoints.write_text('{"database": "x"}\n')
    with pytest.raises(ValueError, match="line 1 is not a checkpoint"):
        audit.last_checkpoint(checkpoints, "x")


@pytest.fixture
def key_from_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Set ``GEO_APP_AUDIT_KEY`` for the process (the key is read once, so re-read it)."""

    def use(key: str) -> None:
        monkeypatch.setenv("GEO_APP_AUDIT_KEY", key)
        audit.installation_key.cache_clear()

    yield use
    monkeypatch.delenv("GEO_APP_AUDIT_KEY", raising=False)
    audit.installation_key.cache_clear()


def _cli(url: str, checkpoints: Path) -> Result:
    env = {"GEO_APP_DATABASE_URL": url}
    return CliRunner().invoke(main, ["verify-audit", "--checkpoint", str(checkpoints)], env=env)


def test_verify_audit_command(
    empty_db: str, engine: Engine, checkpoints: Path, key_from_env: Callable[[str], None]
) -> None:
    intact = _cli(empty_db, checkpoints)
    assert intact.exit_code == 0, intact.output
    assert "audit log intact: 6 rows" in intact.output
    assert len(checkpoints.read_text().splitlines()) == 1

    key_from_env("a key from elsewhere")
    wrong = _cli(empty_db, checkpoints)
    assert wrong.exit_code == 1
    assert "signed with another key" in wrong.output
    key_from_env("")

    ids = _ids(engine)
    _as_owner(engine, f"DELETE FROM audit_log WHERE id = {ids[-1]}")
    cut = _cli(empty_db, checkpoints)
    assert cut.exit_code == 1
    assert f"row {ids[-1]}, the last one at the checkpoint" in cut.output
    assert len(checkpoints.read_text().splitlines()) == 1


def test_a_log_from_before_the_key_is_re_signed_once(engine: Engine, checkpoints: Path) -> None:
    """`geo-app audit-rekey`: an intact plain-sha256 log becomes a keyed one; a broken one is
    refused and left as it was."""
    ids = _ids(engine)
    _rechain(engine, lambda prev, body: hashlib.sha256((prev + body).encode()).hexdigest(), ids[0])
    assert _verify(engine, checkpoints).broken == ids
    env = {"GEO_APP_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    done = CliRunner().invoke(main, ["audit-rekey"], env=env)
    assert done.exit_code == 0, done.output
    assert "6 audit rows re-signed" in done.output
    assert _verify(engine, checkpoints).problems == []

    again = CliRunner().invoke(main, ["audit-rekey"], env=env)  # now keyed: not a legacy chain
    assert again.exit_code == 1
    assert f"row {ids[0]} is not part of an intact sha256 chain" in again.output
    assert _verify(engine, checkpoints).problems == []
