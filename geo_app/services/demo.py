"""``geo-app load-demo``: the real boundaries plus clearly-flagged demo data, loaded once.

Idempotent by a marker row: a second run finds the ``demo`` data_load row and adds nothing.
The whole load is one transaction (the caller's), so an interrupted load leaves nothing half-done.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app.config import Settings
from geo_app.errors import InvalidInput
from geo_app.models import DataLoad
from geo_app.services import audit
from geo_app.services.boundaries import FieldMap, ImportSummary, import_file
from geo_app.services.crosswalk import load_crosswalk

DEMO_NAME = "demo"
DEMO_VERSION = 1
LEVEL_ORDER = {"province": 0, "district": 1, "commune": 2, "hamlet": 3, "residential_group": 4}


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
    from geo_app.demo.load import load_demo_features

    existing = already_loaded(session)
    if existing is not None:
        return (
            f"demo data already loaded (version {existing.version}, "
            f"{existing.loaded_at:%Y-%m-%d %H:%M}); nothing added"
        )
    settings = settings or Settings.from_env()
    boundaries = settings.data_dir / "boundaries"
    session.execute(sa.text("SELECT pg_advisory_xact_lock(7215)"))  # one loader at a time
    if already_loaded(session) is not None:
        return "demo data was loaded by another process meanwhile; nothing added"
    lines: list[str] = []
    summaries: list[ImportSummary] = []
    for entry in read_manifest(boundaries):
        summary = import_file(
            session,
            entry.path,
            level=entry.level,
            layout=entry.layout,
            fields=entry.fields,
            actor=actor,
            source=f"data/boundaries/{entry.path.relative_to(boundaries)}",
        )
        summaries.append(summary)
        lines.append(summary.text())
    crosswalk = load_crosswalk(session, boundaries / "crosswalk" / "merges.json", actor=actor)
    lines.append(crosswalk.text())
    counts = load_demo_features(session, actor=actor)
    lines.append("demo data: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
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
            loaded_at=datetime.now(UTC),
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
    return "\n".join(lines)
