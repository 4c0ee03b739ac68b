"""geo-app campaign …, evaluate, evaluation override: campaigns and their checklist verdicts."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import click

from geo_app import clock
from geo_app.cli.base import actor, engine_for, fail, main
from geo_app.config import Settings
from geo_app.embedded_pg import EmbeddedDatabaseError
from geo_app.errors import GeoAppError, InvalidInput

DATE = click.DateTime(formats=["%Y-%m-%d"])


def _day(value: Any) -> date:
    return value.date() if value is not None else clock.today()


def read_campaign_file(path: Path) -> tuple[list[dict[str, Any]], bool]:
    """The campaigns in a file: one campaign object, or ``{"campaigns": [...]}`` as in
    ``geo_app/demo/campaigns.json`` (whose top-level ``"demo": true`` marks them demo data)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise InvalidInput(f"{path}: not a readable JSON file ({error})") from error
    if isinstance(data, dict) and isinstance(data.get("campaigns"), list):
        return data["campaigns"], data.get("demo") is True
    if isinstance(data, dict):
        return [data], False
    raise InvalidInput(f'{path}: expected a campaign object or {{"campaigns": [...]}}')


@main.group("campaign")
def campaign() -> None:
    """Campaigns (kế hoạch): create, baseline, progress, the 2025 map."""


@campaign.command("create")
@click.argument("file", type=click.Path(path_type=Path))
def create(file: Path) -> None:
    """Create the campaign(s) in FILE (JSON), all or nothing, and take their baselines."""
    from geo_app.db import session_scope
    from geo_app.services.campaigns import create_campaign, take_baseline

    lines = []
    try:
        docs, is_demo = read_campaign_file(file)
        with session_scope(engine_for(Settings.from_env())) as session, session.begin():
            for doc in docs:
                made = create_campaign(session, doc, actor=actor(), is_demo=is_demo)
                lines.append(f"campaign {made.code} created (id {made.id})")
                if made.baseline_date is not None:
                    lines.append(take_baseline(session, made.id, actor=actor()).text())
    except (GeoAppError, EmbeddedDatabaseError) as error:
        fail(error)
        return
    click.echo("\n".join(lines))


@campaign.command("baseline")
@click.argument("code")
def baseline(code: str) -> None:
    """Snapshot the targets' indicators of the baseline month (a second run adds nothing)."""
    from geo_app.db import session_scope
    from geo_app.services.campaigns import campaign_by_code, take_baseline

    try:
        with session_scope(engine_for(Settings.from_env())) as session, session.begin():
            found = campaign_by_code(session, code)
            text = take_baseline(session, found.id, actor=actor()).text()
    except (GeoAppError, EmbeddedDatabaseError) as error:
        fail(error)
        return
    click.echo(text)


@campaign.command("progress")
@click.argument("code")
@click.option("--date", "on", type=DATE, default=None, help="As of this day (default today).")
def progress(code: str, on: Any) -> None:
    """Each target's phase, criteria met and last verdict, and the campaign figure."""
    from geo_app.db import session_scope
    from geo_app.services.campaigns import campaign_by_code, campaign_progress, target_progress

    day = _day(on)
    try:
        with session_scope(engine_for(Settings.from_env())) as session:
            found = campaign_by_code(session, code)
            rows = target_progress(session, found.id, day)
            total = campaign_progress(session, found.id, day)
    except (GeoAppError, EmbeddedDatabaseError) as error:
        fail(error)
        return
    for r in rows:
        met = f"{r.criteria_met}/{r.criteria_total}" if r.criteria_total else "-"
        when = f" ({r.evaluated_on})" if r.evaluated_on else ""
        verdict = (r.verdict or "not evaluated") + (" [override]" if r.overridden else "")
        click.echo(f"{r.name} ({r.code}) | {r.phase.label()} | {met} | {verdict}{when}")
    click.echo(total.text())


@campaign.command("map2025")
@click.argument("code")
def map2025(code: str) -> None:
    """Where each target lies on the 2025 map, with the share of its area."""
    from geo_app.db import session_scope
    from geo_app.services.campaigns import campaign_by_code, targets_on_2025_map

    try:
        with session_scope(engine_for(Settings.from_env())) as session:
            rows = targets_on_2025_map(session, campaign_by_code(session, code).id)
    except (GeoAppError, EmbeddedDatabaseError) as error:
        fail(error)
        return
    for t in rows:
        parts = [f"{s.name} ({s.code}) {s.share_of_old:.1%}" for s in t.successors]
        click.echo(f"{t.name} ({t.code}, {t.layout}) → {'; '.join(parts) or 'not placed'}")


@main.command("evaluate")
@click.argument("campaign_code")
@click.option("--date", "on", type=DATE, default=None, help="Evaluation day (default today).")
@click.option("--reason", default=None, help="Why a different result replaces a stored one.")
def evaluate(campaign_code: str, on: Any, reason: str | None) -> None:
    """Evaluate the campaign's checklist for every target and store the results."""
    from geo_app.db import session_scope
    from geo_app.services.campaigns import (
        campaign_by_code,
        campaign_progress,
        evaluate_campaign,
    )

    day = _day(on)
    try:
        with session_scope(engine_for(Settings.from_env())) as session, session.begin():
            rows = evaluate_campaign(session, campaign_code, on=day, actor=actor(), reason=reason)
            found = campaign_by_code(session, campaign_code)
            total = campaign_progress(session, found.id, day)
    except (GeoAppError, EmbeddedDatabaseError) as error:
        fail(error)
        return
    click.echo(f"{campaign_code} on {day}:")
    for r in rows:
        verdict = r.verdict + (f" → {r.override_verdict} [override]" if r.override_verdict else "")
        status = " (already stored)" if r.status == "unchanged" else ""
        click.echo(
            f"{r.name} ({r.code}) | {r.phase.label()} | {r.criteria_met}/{r.criteria_total} "
            f"| {verdict}{status}"
        )
    click.echo(total.text())


@main.group("evaluation")
def evaluation() -> None:
    """Stored checklist evaluations."""


@evaluation.command("override")
@click.argument("evaluation_id", type=int)
@click.option("--verdict", required=True, type=click.Choice(["recognised", "not_recognised"]))
@click.option("--reason", required=True, help="Why the computed verdict is overridden.")
def override(evaluation_id: int, verdict: str, reason: str) -> None:
    """Override the verdict of evaluation ID (kept beside the computed one, audited)."""
    from geo_app.db import session_scope
    from geo_app.services.campaigns import override_verdict

    try:
        with session_scope(engine_for(Settings.from_env())) as session, session.begin():
            row = override_verdict(
                session, evaluation_id, verdict=verdict, reason=reason, actor=actor()
            )
            computed = row.verdict
    except (GeoAppError, EmbeddedDatabaseError) as error:
        fail(error)
        return
    click.echo(f"evaluation {evaluation_id}: {computed} overridden to {verdict}")
