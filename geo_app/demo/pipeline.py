"""``geo-app load-demo``: the real boundaries plus clearly-flagged demo data, loaded once.

Idempotent by a marker row: a second run finds the ``demo`` data_load row and adds nothing.
The whole load is one transaction (the caller's), so an interrupted load leaves nothing half-done.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app.config import Settings
from geo_app.demo.accounts import create_demo_accounts
from geo_app.demo.load import load_demo_features
from geo_app.demo.synth import DATA_END, demo_months
from geo_app.domain.vocabulary import LEVEL_RANK
from geo_app.errors import InvalidInput
from geo_app.models import Campaign, DataLoad, Phase
from geo_app.services import audit
from geo_app.services.boundaries.crosswalk import load_crosswalk
from geo_app.services.boundaries.importer import FieldMap, ImportSummary, import_file
from geo_app.services.campaigns import evaluate_campaign
from geo_app.services.classification.province import classify_province
from geo_app.services.reports.targets import parse_target, set_target

CLASSIFICATION_RULES = "tra-vinh-2025"
ANALYZED_TABLES = (
    "admin_unit",
    "hotspot",
    "hotspot_status_change",
    "hotline_board",
    "tipoff_box",
    "cultivation_site",
    "route",
    "indicator",
    "crosswalk",
)
DEMO_NAME = "demo"
DEMO_VERSION = 1
LEVEL_ORDER = LEVEL_RANK


@dataclass(frozen=True)
class BoundaryFile:
    """One entry of ``data/boundaries/manifest.json``."""

    path: Path
    level: str
    layout: str
    fields: FieldMap


def read_manifest(boundaries_dir: Path) -> list[BoundaryFile]:
    """The boundary files in the manifest's import order (parents before children)."""
    manifest = boundaries_dir / "manifest.json"
    try:
        entries = json.loads(manifest.read_text(encoding="utf-8"))["layers"]
    except (OSError, ValueError, KeyError) as error:
        raise InvalidInput(f"{manifest}: unreadable boundary manifest ({error})") from error
    return [
        BoundaryFile(
            path=boundaries_dir / entry["path"],
            level=entry["level"],
            layout=entry["layout"],
            fields=FieldMap(
                code=entry.get("code_field") or "code",
                name=entry.get("name_field") or "name",
                parent_code=entry.get("parent_code_field"),
                name_en=entry.get("name_en_field") or "name_en",
                kind=entry.get("kind_field") or "kind",
                population=entry.get("population_field") or "population",
                population_is_estimate=entry.get("population_estimate_field")
                or "population_is_estimate",
            ),
        )
        for entry in sorted(entries, key=lambda e: int(e.get("order", 0)))
        if entry.get("level") in LEVEL_ORDER
    ]


def already_loaded(session: Session) -> DataLoad | None:
    return session.execute(
        sa.select(DataLoad).where(DataLoad.name == DEMO_NAME)
    ).scalar_one_or_none()


def load_demo(session: Session, *, actor: str, settings: Settings | None = None) -> str:
    """Load everything the demo needs into the caller's transaction; returns a report."""
    existing = already_loaded(session)
    if existing is not None:
        # A database loaded before the demo had logins gets them now (nothing else changes).
        accounts = create_demo_accounts(session, actor=actor)
        added = f"; added {accounts} demo accounts" if accounts else "; nothing added"
        return (
            f"demo data already loaded (version {existing.version}, "
            f"{existing.loaded_at:%Y-%m-%d %H:%M}){added}"
        )
    settings = settings or Settings.from_env()
    session.execute(sa.text("SELECT pg_advisory_xact_lock(7215)"))  # one loader at a time
    if already_loaded(session) is not None:
        return "demo data was loaded by another process meanwhile; nothing added"
    summaries, crosswalk = _import_boundaries(session, settings.data_dir / "boundaries", actor)
    lines = [summary.text() for summary in summaries] + [crosswalk.text()]
    counts = load_demo_features(session, actor=actor)
    # Everything above was inserted in this transaction, where autovacuum cannot analyse it:
    # give the planner statistics before the spatial joins that follow.
    for table in ANALYZED_TABLES:
        session.execute(sa.text(f"ANALYZE {table}"))
    counts["classifications"] = classify_demo_months(session, actor=actor)
    counts["evaluations"] = evaluate_demo_campaigns(session, actor=actor)
    counts["demo accounts"] = create_demo_accounts(session, actor=actor)
    counts["province targets"] = set_demo_targets(session, actor=actor)
    lines.append("demo data: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    _mark_loaded(session, actor, summaries, crosswalk, counts)
    return "\n".join(lines)


def _import_boundaries(
    session: Session, boundaries: Path, actor: str
) -> tuple[list[ImportSummary], Any]:
    """Every boundary file of the manifest, then the 2025 merger's crosswalk."""
    summaries = [
        import_file(
            session,
            entry.path,
            level=entry.level,
            layout=entry.layout,
            fields=entry.fields,
            actor=actor,
            source=f"data/boundaries/{entry.path.relative_to(boundaries)}",
        )
        for entry in read_manifest(boundaries)
    ]
    crosswalk = load_crosswalk(session, boundaries / "crosswalk" / "merges.json", actor=actor)
    return summaries, crosswalk


def _mark_loaded(
    session: Session,
    actor: str,
    summaries: list[ImportSummary],
    crosswalk: Any,
    counts: dict[str, int],
) -> None:
    """The marker row that makes a second load a no-op, and its audit entry."""
    summary_doc: dict[str, Any] = {
        "boundaries": [s.as_dict() for s in summaries],
        "crosswalk": {
            "rows": crosswalk.rows,
            "checked": crosswalk.checked,
            "disagreements": len(crosswalk.disagreements),
            "unlisted": len(crosswalk.unlisted),
        },
        "demo": counts,
    }
    session.add(
        DataLoad(
            name=DEMO_NAME,
            version=DEMO_VERSION,
            loaded_at=datetime.now(UTC),  # clock-ok: when the load ran
            summary=summary_doc,
            is_demo=True,
        )
    )
    audit.record(
        session,
        actor=actor,
        action="load_demo",
        table="data_load",
        row_id=DEMO_NAME,
        before=None,
        after=summary_doc,
        reason="geo-app load-demo",
    )


# Provinces of the seed areas under each layout: before the merger the census layout (Trà Vinh
# 84; Hóc Môn in 79; Hương Trà in 46; Lạng Sơn 20), after it the 2025 provinces.
DEMO_PROVINCES_BEFORE = ("84", "79", "46", "20")
DEMO_PROVINCES_AFTER = ("86", "79", "46", "20")
MERGER = date(2025, 7, 1)


def classify_demo_months(session: Session, *, actor: str) -> int:
    """Store the official classification of the seed provinces for every demo month, so the
    map's month selector and the statutory table have history from the first run."""

    stored = 0
    for month in demo_months():
        provinces = DEMO_PROVINCES_BEFORE if month < MERGER else DEMO_PROVINCES_AFTER
        for code in provinces:
            report = classify_province(
                session,
                province_code=code,
                month=month,
                rules_name=CLASSIFICATION_RULES,
                actor=actor,
            )
            stored += report.inserted
    return stored


def evaluate_demo_campaigns(session: Session, *, actor: str) -> int:
    """Evaluate each demo campaign at the end of each of its phases and at the end of the demo
    data, so the campaign view shows progress and verdicts from the first run."""

    stored = 0
    campaigns = session.execute(sa.select(Campaign).where(Campaign.is_demo)).scalars().all()
    for campaign in campaigns:
        ends = session.execute(
            sa.select(Phase.ends_on).where(Phase.campaign_id == campaign.id)
        ).scalars()
        dates = {d for d in ends if d is not None and d <= DATA_END}
        dates.add(min(campaign.ends_on or DATA_END, DATA_END))
        for on in sorted(d for d in dates if d >= campaign.starts_on):
            stored += len(evaluate_campaign(session, campaign.code, on=on, actor=actor))
    return stored


DEMO_TARGETS = (
    (2025, "20", "Kế hoạch của tỉnh năm 2025 (dữ liệu minh họa)"),
    (2030, "50", "Kết luận 132-KL/TW (dữ liệu minh họa)"),
)
"""The seed provinces' goals: 20 % of communes recognised drug-free in 2025, 50 % by 2030."""


def set_demo_targets(session: Session, *, actor: str) -> int:
    """Register the demo goals of the seed provinces (so the report shows planned vs achieved)."""
    for code in DEMO_PROVINCES_AFTER:
        for year, share, basis in DEMO_TARGETS:
            entry = parse_target(code, str(year), share, basis)
            set_target(session, entry, actor=actor, check_version=False, is_demo=True)
    return len(DEMO_PROVINCES_AFTER) * len(DEMO_TARGETS)
