"""The job rows: each change is its own short transaction (the caller's session commits), so a
page polling a job sees its progress while the job runs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app.errors import NotFound
from geo_app.models import Job

INTERRUPTED = "interrupted: the server stopped while the job ran; ask for it again"
"""The error of a job found running at start-up (its process is gone; see ``recover``)."""


@dataclass(frozen=True)
class JobView:
    """What the requester may know of a job (the JSON of ``GET /jobs/<id>``)."""

    id: int
    kind: str
    state: str
    done: int
    total: int
    error: str | None
    has_file: bool
    params: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "state": self.state,
            "done": self.done,
            "total": self.total,
            "error": self.error,
        }


def enqueue(session: Session, kind: str, params: dict[str, Any], requested_by: int) -> int:
    """A new queued job; its id."""
    job = Job(kind=kind, params=params, requested_by=requested_by)
    session.add(job)
    session.flush()
    return int(job.id)


def job_view(session: Session, job_id: int, user_id: int, is_admin: bool) -> JobView:
    """The job if the user asked for it or is an admin; NotFound otherwise (another's job is
    not even said to exist)."""
    job = session.get(Job, job_id)
    if job is None or (job.requested_by != user_id and not is_admin):
        raise NotFound(f"no job {job_id}")
    return JobView(
        int(job.id),
        job.kind,
        job.state,
        job.done,
        job.total,
        job.error,
        job.state == "done" and job.result_path is not None,
        dict(job.params),
    )


def result_path(session: Session, job_id: int) -> str | None:
    return session.scalar(sa.select(Job.result_path).where(Job.id == job_id))


def claim_next(session: Session) -> tuple[int, str, dict[str, Any]] | None:
    """The oldest queued job, now running (skipping rows another runner holds)."""
    row = session.execute(
        sa.select(Job.id, Job.kind, Job.params)
        .where(Job.state == "queued")
        .order_by(Job.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if row is None:
        return None
    _update(session, row.id, state="running")
    return int(row.id), str(row.kind), dict(row.params)


def progress(session: Session, job_id: int, done: int, total: int) -> None:
    _update(session, job_id, done=min(done, total), total=total)


def finish(session: Session, job_id: int, path: str) -> None:
    _update(session, job_id, state="done", result_path=path, done=Job.total)


def fail(session: Session, job_id: int, message: str) -> None:
    _update(session, job_id, state="failed", error=message[:500])


def recover_interrupted(session: Session) -> int:
    """At start-up, fail the jobs left running by a process that died (how many).

    Failed rather than restarted: a half-made job may have been killed by what it was doing
    (a pack too big for the memory), and running it again at every start would repeat that;
    the page shows the message and the user asks again with one click.
    """
    result = session.execute(
        sa.update(Job)
        .where(Job.state == "running")
        .values(state="failed", error=INTERRUPTED, updated_at=sa.func.now())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _update(session: Session, job_id: int, **values: Any) -> None:
    session.execute(
        sa.update(Job).where(Job.id == job_id).values(updated_at=sa.func.now(), **values)
    )
