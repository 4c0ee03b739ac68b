"""Load benchmark of field capture (prints figures; not a test).

    .venv/bin/python scripts/bench/field.py [--seconds 60] [--officers 50] [--pause 3]
                                            [--floor 150] [--rebuild]

On the bench database (``bench_data``: the real 2025 communes, synthetic hamlets, 50,000
hotspots and the demo's boards and boxes), ``--officers`` field officers, each with their own
account scoped to their own commune (made here once, ``bench.officer.NN``), work at once for
``--seconds`` against the app served as ``geo-app serve`` serves it (``bench_servers``):

- each logs in with the form (a session cookie; the CSRF token comes back on every answer), then
  loops, pausing about ``--pause`` seconds between actions (``PAUSE``; 0 saturates): mark a
  hotspot (POST with a new ``client_id``), change the status of one it marked (PATCH with
  ``If-Match``), record a tip-off box opening or a board check in its commune; about one
  request in ten is sent again at once with the same ``client_id`` (a phone that lost the
  answer), and the resend must answer the same row;
- p50/p95/p99 per action, errors, throughput, beside the floor: the same transactions (the
  service functions the views call, with their audit row and receipt) run one at a time over
  psycopg2 on a plain Session, without HTTP;
- then the count: zero lost (every acknowledged ``client_id`` has its receipt and its row) and
  zero duplicated (every ``client_id`` sent exists at most once, and each write made one audit
  row).

Target: p95 ≤ 300 ms for every action on this 2-core machine (the client runs on the same two
cores, so the figures are a ceiling of what a phone would wait on the server). The rows the
officers write stay in the bench database (flagged by their ``bench.officer.`` actor);
``maps.py --drop`` removes the database.
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_data
import bench_login
import bench_servers
from bench_load import LeanResponse, LeanSession, Timing

from geo_app import clock
from geo_app.config import Settings
from geo_app.db import embedded_cluster, make_engine, session_scope
from geo_app.domain.vocabulary import STATUS_TRANSITIONS
from geo_app.models import User
from geo_app.services.accounts.users import create_user
from geo_app.services.field import actions as field_actions
from geo_app.services.field import edit
from geo_app.services.field.inputs import Outcome, Writer

OFFICER = "bench.officer.{:02d}"
PASSWORD = bench_data.BENCH_PASSWORD
ACTIONS = ("create", "status", "box_opening", "board_check")
WEIGHTS = (4, 3, 2, 2)
"""How often each action is chosen: marking and updating hotspots most, then the checks."""
RESEND = 0.1
"""The share of requests sent again at once with the same client_id."""
PAUSE = 3.0
"""Mean seconds an officer pauses between two actions (exponential, so arrivals are random): a
fast officer. Without a pause, 50 officers keep the server saturated and each request waits
for about 50 / throughput seconds whatever the server does; ``--pause 0`` measures that ceiling."""
POINTS_PER_OFFICER = 400
TARGET_P95_MS = 300.0
KINDS = ("complex_point", "den", "retail", "use_site")
SEED = 20251231
JSON = {"Content-Type": "application/json", "Accept": "application/json"}

# The officers' communes: 2025 communes in force owning at least one board and one box that
# are not missing (the demo's), so each officer can open a box and check a board of its own.
COMMUNES = """
SELECT c.id, c.code,
       ARRAY(SELECT b.id FROM hotline_board b
             WHERE b.deleted_at IS NULL AND ST_Contains(c.geom, b.geom) ORDER BY b.id) AS boards,
       ARRAY(SELECT x.id FROM tipoff_box x
             WHERE x.deleted_at IS NULL AND x.condition <> 'missing'
               AND ST_Contains(c.geom, x.geom) ORDER BY x.id) AS boxes
FROM admin_unit c
WHERE c.level = 'commune' AND c.layout = '2025' AND c.valid_to IS NULL
ORDER BY c.code
"""
POINTS = """
SELECT ST_X(d.geom) AS lon, ST_Y(d.geom) AS lat
FROM admin_unit c
CROSS JOIN LATERAL ST_Dump(ST_GeneratePoints(c.geom, :n, :seed)) d
WHERE c.id = :id
"""


def say(text: str) -> None:
    print(text, flush=True)


@dataclass(frozen=True)
class Officer:
    login: str
    commune_id: int
    commune_code: str
    boards: tuple[int, ...]
    boxes: tuple[int, ...]
    points: tuple[tuple[float, float], ...]


@dataclass
class Sent:
    """One request: its action, latency, status, and the client_id it carried."""

    action: str
    millis: float
    status: int
    client_id: str
    acked: bool


@dataclass
class Record:
    """Everything the officers sent, shared by their threads."""

    sent: list[Sent] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, item: Sent) -> None:
        with self.lock:
            self.sent.append(item)

    def mismatch(self, text: str) -> None:
        with self.lock:
            self.mismatches.append(text)


def officers(url: str, count: int) -> list[Officer]:
    """``count`` officers, one per commune with a board and a box, their accounts made once."""
    engine = make_engine(url)
    found: list[Officer] = []
    with session_scope(engine) as session, session.begin():
        rows = [
            r for r in session.execute(sa.text(COMMUNES)).mappings() if r["boards"] and r["boxes"]
        ]
        if len(rows) < count:
            raise RuntimeError(f"only {len(rows)} communes have a board and a box")
        for index, row in enumerate(rows[:count]):
            login = OFFICER.format(index + 1)
            if session.scalar(sa.select(User.id).where(User.login == login)) is None:
                create_user(
                    session,
                    login=login,
                    password=PASSWORD,
                    role="officer",
                    scope_code=row["code"],
                    actor="bench",
                )
            params = {"n": POINTS_PER_OFFICER, "seed": SEED + index, "id": row["id"]}
            points = tuple(
                (float(p["lon"]), float(p["lat"]))
                for p in session.execute(sa.text(POINTS), params).mappings()
            )
            found.append(
                Officer(
                    login, row["id"], row["code"], tuple(row["boards"]), tuple(row["boxes"]), points
                )
            )
    engine.dispose()
    return found


# -- what an officer sends ------------------------------------------------------------------------


def hotspot_feature(rng: random.Random, point: tuple[float, float]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [point[0], point[1]]},
        "properties": {
            "client_id": str(uuid.uuid4()),
            "kind": rng.choice(KINDS),
            "source": "patrol",
            "notes": "bench",
            "placed_by": rng.choice(("gps", "tap")),
            "accuracy_m": round(rng.uniform(3, 40), 1),
        },
    }


def status_change(rng: random.Random, status: str) -> dict[str, Any]:
    after = rng.choice(sorted(STATUS_TRANSITIONS[status]))
    return {
        "client_id": str(uuid.uuid4()),
        "properties": {"status": after, "status_on": clock.today().isoformat()},
        "reason": "bench",
    }


def box_opening(rng: random.Random) -> dict[str, Any]:
    received = rng.randint(0, 3)
    return {
        "client_id": str(uuid.uuid4()),
        "inspected_on": clock.today().isoformat(),
        "letters_received": received,
        "letters_forwarded": rng.randint(0, received),
    }


def board_check(rng: random.Random) -> dict[str, Any]:
    return {
        "client_id": str(uuid.uuid4()),
        "checked_on": clock.today().isoformat(),
        "condition": rng.choice(("good", "good", "good", "damaged")),
    }


@dataclass
class Desk:
    """One officer's client: its login, its hotspots of this run and the request it sends."""

    officer: Officer
    base: str
    rng: random.Random
    client: LeanSession
    token: str
    mine: dict[int, tuple[int, str]] = field(default_factory=dict)
    """hotspot id -> (version, status)"""

    def send(
        self, method: str, path: str, body: dict[str, Any], extra: dict[str, str]
    ) -> LeanResponse:
        headers = {**JSON, "X-CSRF-Token": self.token, **extra}
        answer = self.client.request(method, self.base + path, json.dumps(body).encode(), headers)
        self.token = answer.headers.get("X-CSRF-Token") or self.token
        return answer

    def next_request(self) -> tuple[str, str, str, dict[str, Any], dict[str, str]]:
        """(action, method, path, body, headers) of the officer's next action."""
        action = self.rng.choices(ACTIONS, WEIGHTS)[0]
        if action == "status" and self.mine:
            row_id = self.rng.choice(list(self.mine))
            version, status = self.mine[row_id]
            body = status_change(self.rng, status)
            return action, "PATCH", f"/api/hotspots/{row_id}", body, {"If-Match": f'"{version}"'}
        if action == "box_opening":
            box = self.rng.choice(self.officer.boxes)
            return action, "POST", f"/api/tipoff_boxes/{box}/inspections", box_opening(self.rng), {}
        if action == "board_check":
            board = self.rng.choice(self.officer.boards)
            return action, "POST", f"/api/hotline_boards/{board}/checks", board_check(self.rng), {}
        point = self.rng.choice(self.officer.points)
        return "create", "POST", "/api/hotspots", hotspot_feature(self.rng, point), {}

    def remember(self, action: str, answer: LeanResponse) -> int | None:
        """Keep the hotspot's version and status from a write's answer; the row's id."""
        if answer.status_code >= 300:
            return None
        body = json.loads(answer.content)
        feature = body.get("feature", body)
        if action in ("create", "status"):
            props = feature["properties"]
            self.mine[int(feature["id"])] = (int(props["version"]), str(props["status"]))
        inner = body.get("inspection") or body.get("check") or feature
        return int(inner["id"])


def client_id_of(body: dict[str, Any]) -> str:
    return str(body.get("client_id") or body["properties"]["client_id"])


def work(desk: Desk, deadline: float, record: Record, pause: float) -> None:
    """Send the officer's actions until the deadline, each resent at once now and then, with a
    pause between actions drawn around ``pause`` seconds (none when 0)."""
    while time.monotonic() < deadline:
        if pause > 0:
            time.sleep(min(desk.rng.expovariate(1 / pause), max(0.0, deadline - time.monotonic())))
            if time.monotonic() >= deadline:
                break
        action, method, path, body, headers = desk.next_request()
        cid = client_id_of(body)
        first = _timed(desk, record, action, (method, path, body, headers), cid)
        if first is None or desk.rng.random() >= RESEND:
            continue
        again = _timed(desk, record, "resend", (method, path, body, headers), cid)
        if again is not None and again != first:
            record.mismatch(f"{cid}: first answered row {first}, the resend row {again}")


def _timed(
    desk: Desk,
    record: Record,
    action: str,
    request: tuple[str, str, dict[str, Any], dict[str, str]],
    cid: str,
) -> int | None:
    started = time.perf_counter()
    try:
        answer = desk.send(*request)
    except OSError:
        record.add(Sent(action, (time.perf_counter() - started) * 1000, 0, cid, False))
        return None
    millis = (time.perf_counter() - started) * 1000
    acked = answer.status_code < 300
    record.add(Sent(action, millis, answer.status_code, cid, acked))
    if not acked:
        record.mismatch(
            f"{action} {request[1]}: HTTP {answer.status_code} {answer.content[:200]!r}"
        )
        return None
    return desk.remember(
        "status" if action == "resend" and request[0] == "PATCH" else action, answer
    )


def open_desk(officer: Officer, base: str, index: int) -> Desk:
    """The officer logged in with the form; the CSRF token read off a first answer."""
    session, _took = bench_login.login(base, officer.login, PASSWORD)
    client = bench_login.copy_of(session)
    answer = client.get(f"{base}/api/field/today")
    answer.raise_for_status()
    token = answer.headers.get("X-CSRF-Token")
    if not token:
        raise RuntimeError("no X-CSRF-Token on the answer to a logged-in officer")
    return Desk(officer, base, random.Random(SEED + index), client, token)


def load(base: str, crew: list[Officer], seconds: float, pause: float) -> tuple[Record, float]:
    """All officers at once for ``seconds``; what they sent and the wall time it took."""
    desks = [open_desk(officer, base, index) for index, officer in enumerate(crew)]
    record = Record()
    started = time.monotonic()
    deadline = started + seconds
    threads = [threading.Thread(target=work, args=(d, deadline, record, pause)) for d in desks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return record, time.monotonic() - started


# -- the floor: the same transactions, one at a time, over psycopg2 without HTTP -----------------


def floor(url: str, crew: list[Officer], per_action: int) -> dict[str, Timing]:
    """Each action ``per_action`` times through the service functions the views call (row,
    audit row and receipt in one transaction), on a plain Session, one at a time."""
    engine = make_engine(url)
    radius = Settings.from_env().relapse_radius_m
    rng = random.Random(SEED)
    timings: dict[str, list[float]] = defaultdict(list)

    def run(action: str, step: Callable[..., Outcome], *args: Any, **kw: Any) -> Outcome:
        started = time.perf_counter()
        with session_scope(engine) as db, db.begin():
            outcome = step(db, *args, **kw)
        timings[action].append((time.perf_counter() - started) * 1000)
        return outcome

    for turn in range(per_action):
        officer = crew[turn % len(crew)]
        writer = Writer(officer.login, "officer", officer.commune_id, "vi")
        feature = hotspot_feature(rng, rng.choice(officer.points))
        made = run("create", edit.create, writer, "hotspots", feature, relapse_radius_m=radius)
        row_id, props = int(made.body["id"]), made.body["properties"]
        change = status_change(rng, str(props["status"]))
        run("status", edit.update, writer, "hotspots", row_id, change, int(props["version"]))
        box, board = rng.choice(officer.boxes), rng.choice(officer.boards)
        run("box_opening", field_actions.inspect_box, writer, box, box_opening(rng))
        run("board_check", field_actions.check_board, writer, board, board_check(rng))
    engine.dispose()
    return {name: Timing(values, [], []) for name, values in timings.items()}


# -- the count ------------------------------------------------------------------------------------

COUNT = """
WITH sent(client_id) AS (SELECT CAST(unnest(CAST(:ids AS text[])) AS uuid))
SELECT
    (SELECT count(*) FROM sent s
     WHERE NOT EXISTS (SELECT 1 FROM write_receipt r WHERE r.client_id = s.client_id)
       AND s.client_id = ANY(CAST(:acked AS uuid[]))) AS lost,
    (SELECT count(*) FROM (
        SELECT r.client_id FROM (
            SELECT client_id FROM hotspot WHERE client_id IN (SELECT client_id FROM sent)
            UNION ALL SELECT client_id FROM tipoff_inspection
                      WHERE client_id IN (SELECT client_id FROM sent)
            UNION ALL SELECT client_id FROM hotline_board_check
                      WHERE client_id IN (SELECT client_id FROM sent)
        ) r GROUP BY r.client_id HAVING count(*) > 1
     ) twice) AS duplicated_rows,
    (SELECT count(*) FROM write_receipt r WHERE r.client_id IN (SELECT client_id FROM sent))
        AS receipts,
    (SELECT count(*) FROM sent s
     WHERE NOT EXISTS (SELECT 1 FROM write_receipt r WHERE r.client_id = s.client_id))
        AS absent,
    (SELECT count(*) FROM hotspot h WHERE h.client_id IN (SELECT client_id FROM sent)) AS hotspots,
    (SELECT count(*) FROM sent) AS distinct_sent
"""


def count(url: str, record: Record, since: float) -> dict[str, int]:
    """Lost and duplicated client_ids, and the audit rows against the receipts."""
    ids = sorted({s.client_id for s in record.sent})
    acked = sorted({s.client_id for s in record.sent if s.acked})
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    with engine.connect() as conn:
        found = dict(conn.execute(sa.text(COUNT), {"ids": ids, "acked": acked}).mappings().one())
        found["duplicated_rows"] = int(found["duplicated_rows"] or 0)
        found["audit_rows"] = int(
            conn.scalar(
                sa.text(
                    "SELECT count(*) FROM audit_log WHERE actor LIKE 'web:bench.officer.%' "
                    "AND action LIKE 'field\\_%' AND at >= to_timestamp(:since)"
                ),
                {"since": since},
            )
            or 0
        )
    engine.dispose()
    found["acked"] = len(acked)
    return {key: int(value) for key, value in found.items()}


# -- the report -----------------------------------------------------------------------------------


def _line(name: str, timing: Timing | None, errors: int | str = "") -> str:
    if timing is None or not timing.millis:
        return f"  {name:<13} {'—':>7}"
    return (
        f"  {name:<13} {len(timing.millis):>7} {timing.p50:>8.1f} {timing.p(0.95):>8.1f} "
        f"{timing.p(0.99):>8.1f} {errors!s:>7}"
    )


def report(
    record: Record, wall: float, floor_timings: dict[str, Timing], counted: dict[str, int]
) -> None:
    by_action: dict[str, list[Sent]] = defaultdict(list)
    for item in record.sent:
        by_action[item.action].append(item)
    say("\nover HTTP, all officers at once (ms)")
    say(f"  {'action':<13} {'count':>7} {'p50':>8} {'p95':>8} {'p99':>8} {'errors':>7}")
    verdicts = []
    for action in (*ACTIONS, "resend"):
        sent = by_action.get(action, [])
        timing = Timing([s.millis for s in sent], [], []) if sent else None
        say(_line(action, timing, sum(not s.acked for s in sent)))
        if timing is not None and action != "resend":
            verdicts.append(timing.p(0.95) <= TARGET_P95_MS)
    total = len(record.sent)
    say(f"  throughput: {total / wall:.1f} requests/s ({total} in {wall:.1f} s)")
    say("\nthe floor: the same transactions over psycopg2, one at a time (ms)")
    for action in ACTIONS:
        say(_line(action, floor_timings.get(action)))
    say("\nthe count")
    lost, duplicated = counted["lost"], counted["duplicated_rows"]
    say(
        f"  client_ids sent {counted['distinct_sent']}, acknowledged {counted['acked']}, "
        f"without a receipt {counted['absent']} (refused ones have none)"
    )
    receipts, audits = counted["receipts"], counted["audit_rows"]
    say(f"  receipts {receipts}, audit rows {audits}, hotspots made {counted['hotspots']}")
    say(
        f"  lost {lost} ({'OK' if lost == 0 else 'FAIL'}), duplicated {duplicated} "
        f"({'OK' if duplicated == 0 else 'FAIL'})"
    )
    if record.mismatches:
        say(
            f"  {len(record.mismatches)} refused or mismatched answers, e.g. {record.mismatches[0]}"
        )
    verdict = "PASS" if verdicts and all(verdicts) else "MISS"
    say(f"\np95 ≤ {TARGET_P95_MS:.0f} ms for every action: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--officers", type=int, default=50)
    parser.add_argument("--floor", type=int, default=150, help="floor transactions per action")
    parser.add_argument(
        "--pause",
        type=float,
        default=PAUSE,
        help="mean seconds an officer pauses between actions (0: none, the server saturated)",
    )
    parser.add_argument("--rebuild", action="store_true", help="rebuild the bench database")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _terminate)  # so the server's finally block stops it
    root = Path(__file__).resolve().parents[2]
    info = embedded_cluster(Settings.from_env({"GEO_APP_STATE_DIR": str(root / "var")})).start()
    say("bench database ...")
    url = bench_data.ensure(info.url("postgres"), rebuild=args.rebuild, say=say)
    crew = officers(url, args.officers)
    say(f"{len(crew)} officers, each in their own commune ({crew[0].commune_code} …)")
    say(f"the floor: {args.floor} transactions per action ...")
    floor_timings = floor(url, crew, args.floor)
    app = bench_servers.start_app(url)
    try:
        pace = f"{args.pause:g} s between actions on average" if args.pause else "no pause"
        say(f"{len(crew)} officers for {args.seconds:.0f} s against {app.url}, {pace} ...")
        since = time.time()
        record, wall = load(app.url, crew, args.seconds, args.pause)
        say(f"  server peak memory {app.peak_memory_mib():.0f} MiB")
    finally:
        app.stop()
    report(record, wall, floor_timings, count(url, record, since))


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    main()
