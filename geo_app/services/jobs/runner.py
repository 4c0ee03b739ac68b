"""The job runner: one worker thread in the server process works through the queued jobs.

One thread, because a job (drawing a pack) is CPU-bound and the server's request threads need
the rest of the machine; jobs wait in the table, in order. ``wake`` is called after a job is
queued and at start-up; a job found running at start-up is failed (``store.recover_interrupted``).
Each job's handler reads through its own session; its progress and its end are written in
short transactions of their own, so the page's polling sees them at once.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from geo_app.db import session_scope
from geo_app.errors import GeoAppError
from geo_app.services.jobs import store

Progress = Callable[[int, int], None]
"""``progress(done, total)``: how far a job has come."""
Handler = Callable[[Any, dict[str, Any], Progress], bytes]
"""``handler(session, params, progress)``: the job's file (a PDF) as bytes."""
JOBS_FOLDER = "jobs"
"""Under the state folder; a file is named ``<id>-<random>.pdf`` so that two databases served
from one state folder (tests, a restore) never share a name."""
RESULT_SUFFIX = ".pdf"
FAILED = "the job failed; see the server log"

log = logging.getLogger(__name__)


class Runner:
    """Runs the queued jobs of the kinds it has handlers for, one at a time."""

    def __init__(self, engine: Engine, state_dir: Path, handlers: Mapping[str, Handler]) -> None:
        self.engine = engine
        self.folder = state_dir / JOBS_FOLDER
        self.handlers = dict(handlers)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="geo-app-jobs")

    def start(self) -> Future[int]:
        """On the worker thread: fail the jobs a dead process left running, then take up the
        queued ones; the future gives how many were failed. Nothing here touches the database
        on the caller's thread, so an app starts (and /healthz answers 503) while PostgreSQL
        is down; the recovery is then logged and the queue waits for the next job."""
        return self._executor.submit(self._recover_and_drain)

    def _recover_and_drain(self) -> int:
        try:
            with session_scope(self.engine) as session, session.begin():
                interrupted = store.recover_interrupted(session)
        except SQLAlchemyError:
            log.exception("jobs: could not recover interrupted jobs (database unreachable?)")
            return 0
        self.drain()
        return interrupted

    def wake(self) -> Future[int]:
        """Work through the queue on the worker thread (a no-op when it is empty)."""
        return self._executor.submit(self.drain)

    def drain(self) -> int:
        """Run queued jobs until none is left; how many were run."""
        count = 0
        while True:
            with session_scope(self.engine) as session, session.begin():
                claimed = store.claim_next(session)
            if claimed is None:
                return count
            self._run(*claimed)
            count += 1

    def path(self, relative: str) -> Path:
        """A job's file on disk (``result_path`` is relative to the state folder)."""
        return self.folder.parent / relative

    def _run(self, job_id: int, kind: str, params: dict[str, Any]) -> None:
        handler = self.handlers.get(kind)
        try:
            if handler is None:
                raise GeoAppError(f"no handler for job kind {kind!r}")
            with session_scope(self.engine) as session:
                body = handler(
                    session, params, lambda done, total: self._progress(job_id, done, total)
                )
            self.folder.mkdir(parents=True, exist_ok=True)
            target = self.folder / f"{job_id}-{secrets.token_hex(8)}{RESULT_SUFFIX}"
            target.write_bytes(body)
            self._end(store.finish, job_id, f"{JOBS_FOLDER}/{target.name}")
        except GeoAppError as error:
            self._end(store.fail, job_id, error.message)
        except Exception:
            log.exception("job %s (%s) failed", job_id, kind)
            self._end(store.fail, job_id, FAILED)

    def _progress(self, job_id: int, done: int, total: int) -> None:
        with session_scope(self.engine) as session, session.begin():
            store.progress(session, job_id, done, total)

    def _end(self, write: Callable[[Any, int, str], None], job_id: int, value: str) -> None:
        with session_scope(self.engine) as session, session.begin():
            write(session, job_id, value)
