"""Rule sets as data: one JSON file each, validated on load (docs/ENGINE.md).

``classification/<code>.json`` are classification rule sets (DESIGN §4), ``checklists/<code>.json``
recognition checklists (DESIGN §5). Another province's thresholds are a new file, not new code.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from geo_app.domain.checklist import ChecklistRules
from geo_app.domain.classification import ClassificationRules
from geo_app.errors import NotFound
from geo_app.rules.build import build_checklist, build_classification
from geo_app.rules.schema import RuleSetError

__all__ = [
    "RuleSetError",
    "available",
    "load_checklist",
    "load_checklist_file",
    "load_classification",
    "load_classification_file",
]

RULES_DIR = Path(__file__).resolve().parent
_FOLDERS = {"classification": RULES_DIR / "classification", "checklist": RULES_DIR / "checklists"}


def available() -> dict[str, tuple[str, ...]]:
    """The codes of the shipped rule sets, by kind ("classification", "checklist")."""
    return {kind: tuple(sorted(p.stem for p in d.glob("*.json"))) for kind, d in _FOLDERS.items()}


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise RuleSetError(f"{path}: not valid JSON (line {error.lineno}: {error.msg})") from None


def _shipped(kind: str, code: str) -> Path:
    if code not in available()[kind]:
        names = ", ".join(available()[kind]) or "none"
        raise NotFound(f"unknown {kind} rule set {code!r} (available: {names})")
    return _FOLDERS[kind] / f"{code}.json"


def _own_code(path: Path, data: Any) -> None:
    if isinstance(data, dict) and data.get("code") != path.stem:
        raise RuleSetError(f"{path}: code: {data.get('code')!r} must equal the file name")


def load_classification_file(path: Path) -> ClassificationRules:
    """Load and validate a classification rule set from any path (for tests and new files)."""
    data = _read(path)
    rules = build_classification(data, str(path))
    _own_code(path, data)
    return rules


def load_checklist_file(path: Path) -> ChecklistRules:
    data = _read(path)
    rules = build_checklist(data, str(path))
    _own_code(path, data)
    return rules


@cache
def load_classification(code: str) -> ClassificationRules:
    """The shipped classification rule set ``code``; ``NotFound`` if there is none."""
    return load_classification_file(_shipped("classification", code))


@cache
def load_checklist(code: str) -> ChecklistRules:
    """The shipped recognition checklist ``code``; ``NotFound`` if there is none."""
    return load_checklist_file(_shipped("checklist", code))
