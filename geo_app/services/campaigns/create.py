"""Create a campaign from its document: check everything first, then write it in one go.

Targets are written as a code and a layout and resolved to the unit version in force on the
campaign's first day, so a 2024 plan names the communes as they were in 2024.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app import rules
from geo_app.errors import Conflict, InvalidInput
from geo_app.layers.admin_units import in_force
from geo_app.models import AdminLevel, AdminUnit, Campaign, CampaignTarget, Phase
from geo_app.services import audit
from geo_app.services.campaigns.document import CampaignDoc, TargetDoc, parse_campaign

DEMO_NOTE = "DEMO — transcribed from a seed plan; target units are demo data where flagged."


def create_campaign(
    session: Session, doc: Mapping[str, Any], *, actor: str, is_demo: bool = False
) -> Campaign:
    """Store a campaign with its phases and targets; raises with every problem, writes nothing.

    ``doc`` is one campaign in the format of ``geo_app/demo/campaigns.json`` (see
    ``tests/fixtures/campaign_example.json``).
    """
    parsed, problems = parse_campaign(doc)
    if parsed is None:
        raise _invalid(doc, problems)
    units, problems = _resolve_targets(session, parsed)
    problems += _check_rule_sets(parsed) + _check_province(session, parsed.province_code)
    if problems:
        raise _invalid(doc, problems)
    if session.execute(sa.select(Campaign.id).where(Campaign.code == parsed.code)).first():
        raise Conflict(f"code: a campaign {parsed.code!r} already exists")
    campaign = _write(session, parsed, units, actor=actor, is_demo=is_demo)
    audit.record(
        session,
        actor=actor,
        action="insert",
        table="campaign",
        row_id=campaign.id,
        before=None,
        after={
            **audit.snapshot(campaign),
            "phases": [asdict(p) for p in parsed.phases],
            "targets": [
                {"code": t.code, "layout": t.layout, "admin_unit_id": units[t.field]}
                for t in parsed.targets
            ],
        },
        reason="campaign create",
    )
    return campaign


def _invalid(doc: Mapping[str, Any], problems: list[str]) -> InvalidInput:
    code = doc.get("code") if isinstance(doc, Mapping) else None
    name = f"campaign {code!r}" if isinstance(code, str) else "campaign"
    count = f"{len(problems)} problems" if len(problems) > 1 else "1 problem"
    return InvalidInput(f"{name} not created ({count}): {problems[0]}", details=problems)


def _resolve_targets(session: Session, doc: CampaignDoc) -> tuple[dict[str, int], list[str]]:
    """Unit id of each target (by its field), and a problem for each that does not resolve."""
    found: dict[str, int] = {}
    problems: list[str] = []
    for target in doc.targets:
        row = _unit_in_force(session, target, doc.starts_on)
        if row is None:
            problems.append(
                f"{target.field}.code: no unit {target.code!r} of layout {target.layout!r} "
                f"in force on {doc.starts_on} (the campaign's start)"
            )
        elif doc.target_level and row.level.value != doc.target_level:
            problems.append(
                f"{target.field}.code: {target.code} {row.name} is a {row.level.value}, "
                f"not a {doc.target_level} (target_level)"
            )
        else:
            found[target.field] = row.id
    return found, problems


def _unit_in_force(session: Session, target: TargetDoc, on: date) -> AdminUnit | None:
    return session.execute(
        sa.select(AdminUnit).where(
            AdminUnit.code == target.code,
            AdminUnit.layout == target.layout,
            in_force(AdminUnit, on),
        )
    ).scalar_one_or_none()


def _check_rule_sets(doc: CampaignDoc) -> list[str]:
    known = rules.available()
    problems = []
    for key, name, kind in (
        ("classification_rule_set", doc.classification_rule_set, "classification"),
        ("checklist_rule_set", doc.checklist_rule_set, "checklist"),
    ):
        names = known.get(kind, ())
        if name not in names:
            problems.append(f"{key}: unknown {kind} rule set {name!r} (known: {', '.join(names)})")
    return problems


def _check_province(session: Session, code: str | None) -> list[str]:
    """The province code must name a province of some layout (a 2024 plan may give today's)."""
    if code is None:
        return []
    exists = session.execute(
        sa.select(AdminUnit.id).where(
            AdminUnit.code == code, AdminUnit.level == AdminLevel.province
        )
    ).first()
    return [] if exists else [f"province_code: no province with code {code!r} is loaded"]


def _write(
    session: Session, doc: CampaignDoc, units: dict[str, int], *, actor: str, is_demo: bool
) -> Campaign:
    campaign = Campaign(
        code=doc.code,
        title=doc.title,
        issuer=doc.issuer,
        document_number=doc.document_number,
        document_date=doc.document_date,
        classification_rule_set=doc.classification_rule_set,
        checklist_rule_set=doc.checklist_rule_set,
        baseline_date=doc.baseline_date,
        starts_on=doc.starts_on,
        ends_on=doc.ends_on,
        province_code=doc.province_code,
        goal_share=doc.goal_share,
        goal_count=doc.goal_count,
        goal_base_count=doc.goal_base_count,
        description=_description(doc, is_demo),
        is_demo=is_demo,
        created_by=actor,
    )
    session.add(campaign)
    session.flush()
    session.add_all(Phase(campaign_id=campaign.id, **asdict(p)) for p in doc.phases)
    session.add_all(
        CampaignTarget(
            campaign_id=campaign.id,
            admin_unit_id=units[t.field],
            approved_on=t.approved_on,
            note=t.note,
            created_by=actor,
        )
        for t in doc.targets
    )
    session.flush()
    return campaign


def _description(doc: CampaignDoc, is_demo: bool) -> str | None:
    """Demo campaigns say so first, as the demo loader always did."""
    parts = [DEMO_NOTE] if is_demo else []
    parts += [doc.description] if doc.description else []
    return "\n".join(parts) or None
