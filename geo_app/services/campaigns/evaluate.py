"""Evaluate a campaign's checklist for every target on a date and store each result.

One stored evaluation per campaign, unit and date. Running again on the same date leaves an
identical result alone; a different one (the figures were corrected since) replaces the stored
one only when a reason is given, and the replacement is audited with before and after. Without
a reason nothing is written and the conflict names the targets whose result would change. A
human override on a replaced row is kept: it is a separate, audited decision.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app import rules
from geo_app.domain.checklist import MET, ChecklistResult, evaluate
from geo_app.errors import Conflict, InvalidInput
from geo_app.models import Campaign, Evaluation
from geo_app.services import audit
from geo_app.services.campaigns.inputs import TargetInputs, checklist_inputs
from geo_app.services.campaigns.lookup import (
    PhaseOn,
    Target,
    campaign_by_code,
    phase_on,
    phases_of,
    targets_of,
)


@dataclass(frozen=True)
class TargetEvaluation:
    """The stored result for one target: phase on the date, criteria met, verdicts."""

    evaluation_id: int
    unit_id: int
    code: str
    name: str
    phase: PhaseOn
    criteria_met: int
    criteria_total: int
    verdict: str
    override_verdict: str | None
    status: str
    """``new``, ``unchanged`` (identical result already stored) or ``replaced``."""
    indicator_month: date | None

    @property
    def effective_verdict(self) -> str:
        """The verdict that counts: a human override if there is one, else the computed one."""
        return self.override_verdict or self.verdict


@dataclass(frozen=True)
class _Computed:
    target: Target
    inputs: TargetInputs
    result: ChecklistResult
    doc: dict[str, Any]


def evaluate_campaign(
    session: Session, campaign_code: str, *, on: date, actor: str, reason: str | None = None
) -> list[TargetEvaluation]:
    """Evaluate and store every target's checklist on ``on``; see the module docstring."""
    campaign = campaign_by_code(session, campaign_code)
    if reason is not None and not reason.strip():
        raise InvalidInput("reason: must not be blank")
    checklist = rules.load_checklist(campaign.checklist_rule_set)
    targets = targets_of(session, campaign.id)
    found = checklist_inputs(session, campaign, [t.unit_id for t in targets], on)
    computed = []
    for target in targets:
        result = evaluate(found[target.unit_id].values, checklist)
        doc = _stored_form(found[target.unit_id], result)
        computed.append(_Computed(target, found[target.unit_id], result, doc))
    stored = _stored(session, campaign.id, on)
    changed = [c for c in computed if _differs(stored.get(c.target.unit_id), c.doc)]
    if changed and reason is None:
        codes = ", ".join(c.target.code for c in changed)
        raise Conflict(
            f"campaign {campaign.code!r} was already evaluated on {on} with a different result "
            f"for {len(changed)} target(s) ({codes}); give a reason to replace those results"
        )
    phase = phase_on(phases_of(session, campaign.id), on)
    try:
        return [
            _save(session, campaign, c, stored.get(c.target.unit_id), on, phase, actor, reason)
            for c in computed
        ]
    except sa.exc.IntegrityError as error:
        raise Conflict(
            f"campaign {campaign.code!r} was being evaluated on {on} by someone else at the "
            "same time; run it again"
        ) from error


def _stored_form(inputs: TargetInputs, result: ChecklistResult) -> dict[str, Any]:
    """What the evaluation row keeps, as JSON data (compared as such on a re-run).

    ``inputs`` holds the checklist inputs and, beside them, ``indicator_month``: the month the
    indicator values come from, so a briefing can say "figures of November".
    """
    month = inputs.indicator_month.isoformat() if inputs.indicator_month else None
    return {
        "rule_set": result.rule_set,
        "inputs": audit.to_jsonable({**inputs.values, "indicator_month": month}),
        "criteria": audit.to_jsonable([c.as_dict() for c in result.criteria]),
        "verdict": result.verdict,
    }


def _stored(session: Session, campaign_id: int, on: date) -> dict[int, Evaluation]:
    rows = session.execute(
        sa.select(Evaluation).where(
            Evaluation.campaign_id == campaign_id, Evaluation.evaluated_on == on
        )
    ).scalars()
    return {row.admin_unit_id: row for row in rows}


def _differs(row: Evaluation | None, doc: dict[str, Any]) -> bool:
    return row is not None and any(getattr(row, key) != value for key, value in doc.items())


def _save(
    session: Session,
    campaign: Campaign,
    c: _Computed,
    row: Evaluation | None,
    on: date,
    phase: PhaseOn,
    actor: str,
    reason: str | None,
) -> TargetEvaluation:
    if row is None:
        row = Evaluation(
            campaign_id=campaign.id,
            admin_unit_id=c.target.unit_id,
            evaluated_on=on,
            created_by=actor,
            **c.doc,
        )
        session.add(row)
        session.flush()
        _audit(session, row, None, actor, "evaluate", f"evaluate {campaign.code} on {on}")
        status = "new"
    elif _differs(row, c.doc):
        before = audit.snapshot(row)
        for key, value in c.doc.items():
            setattr(row, key, value)
        session.flush()
        _audit(session, row, before, actor, "re-evaluate", reason)
        status = "replaced"
    else:
        status = "unchanged"
    met = sum(1 for v in c.result.criteria if v.verdict == MET)
    return TargetEvaluation(
        evaluation_id=row.id,
        unit_id=c.target.unit_id,
        code=c.target.code,
        name=c.target.name,
        phase=phase,
        criteria_met=met,
        criteria_total=len(c.result.criteria),
        verdict=row.verdict,
        override_verdict=row.override_verdict,
        status=status,
        indicator_month=c.inputs.indicator_month,
    )


def _audit(
    session: Session,
    row: Evaluation,
    before: dict[str, Any] | None,
    actor: str,
    action: str,
    reason: str | None,
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        table="evaluation",
        row_id=row.id,
        before=before,
        after=audit.snapshot(row),
        reason=reason,
    )
