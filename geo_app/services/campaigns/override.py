"""A human decision over a computed verdict: kept beside it, never instead of it, with a reason."""

from __future__ import annotations

from sqlalchemy.orm import Session

from geo_app.errors import InvalidInput, NotFound
from geo_app.models import Evaluation
from geo_app.services import audit

OVERRIDE_VERDICTS: tuple[str, ...] = ("recognised", "not_recognised")
"""A person decides yes or no; "insufficient data" is never a decision."""


def override_verdict(
    session: Session, evaluation_id: int, *, verdict: str, reason: str, actor: str
) -> Evaluation:
    """Set the verdict that counts for one stored evaluation; the reason is required."""
    if verdict not in OVERRIDE_VERDICTS:
        raise InvalidInput(f"verdict: {verdict!r} is not one of {', '.join(OVERRIDE_VERDICTS)}")
    if not reason or not reason.strip():
        raise InvalidInput("reason: an override needs a reason (it is shown in the audit log)")
    row = session.get(Evaluation, evaluation_id)
    if row is None:
        raise NotFound(f"no evaluation with id {evaluation_id}")
    before = audit.snapshot(row, exclude=("inputs", "criteria"))
    row.override_verdict = verdict
    row.override_reason = reason.strip()
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="override_verdict",
        table="evaluation",
        row_id=row.id,
        before=before,
        after=audit.snapshot(row, exclude=("inputs", "criteria")),
        reason=reason.strip(),
    )
    return row
