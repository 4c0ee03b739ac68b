"""Background jobs (migration 0010): long outputs, such as a campaign's briefing pack, made by
the server's job runner while the page polls their progress.

A job's file is written under the state folder (``result_path``, relative to it), never into
the database: a pack of many pages is tens of megabytes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, func, text
from sqlalchemy.orm import Mapped, mapped_column

from geo_app.models.base import Base, id_column

JOB_STATES = ("queued", "running", "done", "failed")


class Job(Base):
    """One requested job: what, for whom, how far, and its file or its error."""

    __tablename__ = "job"
    __table_args__ = (
        CheckConstraint(
            "state IN (" + ", ".join(f"'{s}'" for s in JOB_STATES) + ")", name="state_known"
        ),
        CheckConstraint("done >= 0 AND total >= 0 AND done <= total", name="progress_valid"),
        Index("ix_job_state", "state", "id"),
    )

    id: Mapped[int] = id_column()
    kind: Mapped[str]
    params: Mapped[dict[str, Any]]
    requested_by: Mapped[int] = mapped_column(BigInteger, ForeignKey("app_user.id"))
    state: Mapped[str] = mapped_column(server_default=text("'queued'"))
    done: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    total: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    error: Mapped[str | None]
    result_path: Mapped[str | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now())
