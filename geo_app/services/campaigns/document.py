"""Reading a campaign document (the format of ``geo_app/demo/campaigns.json``) into checked values.

Pure: no database. Every problem is collected with the field it concerns, so one run of
``geo-app campaign create`` lists all of them. What the schema has no column for (notes, the goal's
wording, reporting rules, the source) is kept in the campaign's description.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")

_REQUIRED = (
    "code",
    "title",
    "issuer",
    "classification_rule_set",
    "checklist_rule_set",
    "starts_on",
    "phases",
    "targets",
)
_OPTIONAL = (
    "document_number",
    "document_date",
    "baseline_date",
    "ends_on",
    "province_code",
    "goal_share",
    "goal_count",
    "goal_base_count",
    "layout",
    "target_level",
    "description",
)
_DOCUMENTARY = (
    "notes",
    "basis",
    "baseline_basis",
    "starts_on_basis",
    "province_note",
    "goal_text_vi",
    "target_subunit_vi",
    "targets_are_demo_choice",
    "reporting",
    "source",
)
"""Keys kept only in the description (the demo file carries them for the reader)."""

_PHASE_KEYS = ("ordinal", "name_vi", "name_en", "starts_on", "ends_on")
_TARGET_KEYS = ("code", "code_gso", "layout", "name", "note", "approved_on")
_TARGET_DOCUMENTARY = ("district", "census_commune_id", "successor_2025")


@dataclass(frozen=True)
class PhaseDoc:
    ordinal: int
    name_vi: str
    name_en: str | None
    starts_on: date
    ends_on: date | None


@dataclass(frozen=True)
class TargetDoc:
    """A target as written: a unit code and the layout it belongs to."""

    field: str
    code: str
    layout: str
    note: str | None
    approved_on: date | None


@dataclass(frozen=True)
class CampaignDoc:
    code: str
    title: str
    issuer: str
    document_number: str | None
    document_date: date | None
    classification_rule_set: str
    checklist_rule_set: str
    baseline_date: date | None
    starts_on: date
    ends_on: date | None
    province_code: str | None
    goal_share: Decimal | None
    goal_count: int | None
    goal_base_count: int | None
    target_level: str | None
    description: str | None
    phases: tuple[PhaseDoc, ...]
    targets: tuple[TargetDoc, ...]


@dataclass
class Problems:
    """Problems found so far, each starting with the field it concerns."""

    items: list[str] = field(default_factory=list)

    def add(self, where: str, what: str) -> None:
        self.items.append(f"{where}: {what}")


# --- single values ------------------------------------------------------------------------------


def _text(doc: Mapping[str, Any], key: str, where: str, problems: Problems) -> str | None:
    value = doc.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        problems.add(where, "must be non-blank text")
        return None
    return value.strip()


def _day(doc: Mapping[str, Any], key: str, where: str, problems: Problems) -> date | None:
    value = doc.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    problems.add(where, f"must be a date YYYY-MM-DD, got {value!r}")
    return None


def _count(doc: Mapping[str, Any], key: str, where: str, problems: Problems) -> int | None:
    value = doc.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        problems.add(where, f"must be a whole number ≥ 0, got {value!r}")
        return None
    return value


def _share(doc: Mapping[str, Any], key: str, where: str, problems: Problems) -> Decimal | None:
    value = doc.get(key)
    if value is None:
        return None
    try:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise InvalidOperation
        share = Decimal(str(value))
    except InvalidOperation:
        share = Decimal("NaN")
    if not share.is_finite() or not Decimal(0) <= share <= Decimal(1):
        problems.add(where, f"must be a fraction from 0 to 1 (0.2 = 20 %), got {value!r}")
        return None
    return share


def _unknown(doc: Mapping[str, Any], allowed: tuple[str, ...], prefix: str, p: Problems) -> None:
    for key in sorted(set(doc) - set(allowed)):
        p.add(f"{prefix}{key}", "unknown field")


# --- parts ---------------------------------------------------------------------------------------


def _items(doc: Mapping[str, Any], key: str, problems: Problems) -> list[Mapping[str, Any]]:
    value = doc.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        problems.add(key, "must be a list of objects")
        return []
    if not value:
        problems.add(key, "must list at least one")
    return value


def _phase(raw: Mapping[str, Any], i: int, problems: Problems) -> PhaseDoc | None:
    where = f"phases[{i}]"
    _unknown(raw, _PHASE_KEYS, f"{where}.", problems)
    ordinal = _count(raw, "ordinal", f"{where}.ordinal", problems)
    name_vi = _text(raw, "name_vi", f"{where}.name_vi", problems)
    name_en = _text(raw, "name_en", f"{where}.name_en", problems)
    starts = _day(raw, "starts_on", f"{where}.starts_on", problems)
    ends = _day(raw, "ends_on", f"{where}.ends_on", problems)
    for key in ("ordinal", "name_vi", "starts_on"):
        if raw.get(key) is None:
            problems.add(f"{where}.{key}", "required")
    if ordinal == 0:
        problems.add(f"{where}.ordinal", "must be 1 or more")
    if starts and ends and ends < starts:
        problems.add(f"{where}.ends_on", f"{ends} is before the phase starts ({starts})")
    if ordinal and name_vi and starts:
        return PhaseDoc(ordinal, name_vi, name_en, starts, ends)
    return None


def _target(
    raw: Mapping[str, Any], i: int, default_layout: str | None, note: str | None, p: Problems
) -> TargetDoc | None:
    where = f"targets[{i}]"
    _unknown(raw, _TARGET_KEYS + _TARGET_DOCUMENTARY, f"{where}.", p)
    code = _text(raw, "code", f"{where}.code", p) or _text(raw, "code_gso", f"{where}.code", p)
    layout = _text(raw, "layout", f"{where}.layout", p) or default_layout
    approved = _day(raw, "approved_on", f"{where}.approved_on", p)
    if code is None and raw.get("code") is None and raw.get("code_gso") is None:
        p.add(f"{where}.code", "required (the unit's official code)")
    if layout is None and raw.get("layout") is None:
        p.add(f"{where}.layout", "required here or as the campaign's layout")
    if code is None or layout is None:
        return None
    return TargetDoc(where, code, layout, _text(raw, "note", f"{where}.note", p) or note, approved)


# --- the whole document ---------------------------------------------------------------------------


def parse_campaign(doc: Mapping[str, Any]) -> tuple[CampaignDoc | None, list[str]]:
    """The document's values, or None with every problem found (each naming its field)."""
    if not isinstance(doc, Mapping):
        return None, ["campaign: must be a JSON object"]
    p = Problems()
    _unknown(doc, _REQUIRED + _OPTIONAL + _DOCUMENTARY, "", p)
    values = _scalars(doc, p)
    share, count, base = _goal(doc, p)
    phases = [_phase(raw, i, p) for i, raw in enumerate(_items(doc, "phases", p))]
    layout, note = values.pop("layout"), _default_target_note(doc)
    raw_targets = _items(doc, "targets", p)
    targets = [_target(raw, i, layout, note, p) for i, raw in enumerate(raw_targets)]
    _check_dates(values, p)
    kept = tuple(x for x in phases if x is not None)
    if isinstance(values["starts_on"], date) and len(kept) == len(phases):
        _check_phases(kept, values["starts_on"], values["ends_on"], p)
    _check_duplicate_targets([t for t in targets if t is not None], p)
    if p.items:
        return None, p.items
    description = values.pop("description") or describe(doc)
    return (
        CampaignDoc(
            **values,
            goal_share=share,
            goal_count=count,
            goal_base_count=base,
            description=description,
            phases=tuple(sorted(kept, key=lambda x: x.ordinal)),
            targets=tuple(t for t in targets if t is not None),
        ),
        [],
    )


_TEXTS = (
    "code",
    "title",
    "issuer",
    "document_number",
    "classification_rule_set",
    "checklist_rule_set",
    "province_code",
    "target_level",
    "layout",
)
_DAYS = ("starts_on", "ends_on", "document_date", "baseline_date")
_NEEDED = ("code", "title", "issuer", "classification_rule_set", "checklist_rule_set", "starts_on")


def _scalars(doc: Mapping[str, Any], p: Problems) -> dict[str, Any]:
    """The text and date fields, checked; required ones missing are reported."""
    values: dict[str, Any] = {k: _text(doc, k, k, p) for k in _TEXTS}
    values.update({k: _day(doc, k, k, p) for k in _DAYS})
    for key in (*_NEEDED, "phases", "targets"):
        if doc.get(key) is None:
            p.add(key, "required")
    code = values["code"]
    if code is not None and not CODE_PATTERN.match(code):
        p.add("code", "2-64 characters: lower-case letters, digits, '.', '_' or '-'")
    values["description"] = _text(doc, "description", "description", p)
    return values


def _goal(doc: Mapping[str, Any], p: Problems) -> tuple[Decimal | None, int | None, int | None]:
    """Share, count and base; the count defaults to the share of the base, rounded up."""
    share = _share(doc, "goal_share", "goal_share", p)
    count = _count(doc, "goal_count", "goal_count", p)
    base = _count(doc, "goal_base_count", "goal_base_count", p)
    if share is not None and base is None and doc.get("goal_base_count") is None:
        p.add("goal_base_count", "required with goal_share (the count the share is of)")
    if count is not None and base is not None and count > base:
        p.add("goal_count", f"{count} is more than the base count {base}")
    if share is not None and base is not None:
        expected = math.ceil(share * base)
        if count is None:
            count = expected
        elif count != expected:
            p.add("goal_count", f"{count}, but {share} of {base} is {expected} (rounded up)")
    return share, count, base


def _check_dates(days: Mapping[str, date | None], p: Problems) -> None:
    starts, ends, baseline = days["starts_on"], days["ends_on"], days["baseline_date"]
    if starts and ends and ends < starts:
        p.add("ends_on", f"{ends} is before starts_on ({starts})")
    if ends and baseline and baseline > ends:
        p.add("baseline_date", f"{baseline} is after the campaign ends ({ends})")


def _check_phases(
    phases: tuple[PhaseDoc, ...], starts: date, ends: date | None, p: Problems
) -> None:
    """Ordinals unique; phases in ordinal order, not overlapping, inside the campaign.

    Only the last phase may be open-ended; it may run on after the campaign's stated end (a
    consolidation phase "từ 15/5/2024 trở đi", as in the Hương Vân plan).
    """
    ordinals = [x.ordinal for x in phases]
    for dup in sorted({o for o in ordinals if ordinals.count(o) > 1}):
        p.add("phases", f"ordinal {dup} is used twice")
    ordered = sorted(phases, key=lambda x: x.ordinal)
    for i, phase in enumerate(ordered):
        where = f"phase {phase.ordinal}"
        if phase.starts_on < starts:
            p.add(where, f"starts {phase.starts_on}, before the campaign ({starts})")
        if ends and phase.ends_on and phase.ends_on > ends:
            p.add(where, f"ends {phase.ends_on}, after the campaign ({ends})")
        if phase.ends_on is None and i < len(ordered) - 1:
            p.add(where, "only the last phase may be open-ended (no ends_on)")
        previous = ordered[i - 1] if i else None
        if previous and previous.ends_on and phase.starts_on <= previous.ends_on:
            p.add(where, f"starts {phase.starts_on}, before phase {previous.ordinal} ends")


def _check_duplicate_targets(targets: list[TargetDoc], p: Problems) -> None:
    seen: dict[tuple[str, str], str] = {}
    for target in targets:
        key = (target.code, target.layout)
        if key in seen:
            p.add(f"{target.field}.code", f"{target.code} is already {seen[key]}")
        seen.setdefault(key, target.field)


def _default_target_note(doc: Mapping[str, Any]) -> str | None:
    if doc.get("targets_are_demo_choice") is True:
        return "demo choice (the plan names no targets)"
    note = doc.get("target_subunit_vi")
    return note if isinstance(note, str) else None


def describe(doc: Mapping[str, Any]) -> str | None:
    """What the schema has no column for, as readable text: goal wording, notes, rules, source."""
    lines: list[str] = []
    labelled = (
        ("goal_text_vi", "Mục tiêu / goal"),
        ("notes", "Ghi chú / notes"),
        ("baseline_basis", "Mốc cơ sở / baseline"),
        ("starts_on_basis", "Bắt đầu / start"),
        ("province_note", "Tỉnh / province"),
    )
    lines += [f"{label}: {doc[key]}" for key, label in labelled if isinstance(doc.get(key), str)]
    for basis in _list_of_maps(doc.get("basis")):
        dated = f" ({basis['date']})" if basis.get("date") else ""
        lines.append(f"Căn cứ / basis: {basis.get('number')}{dated}, {basis.get('issuer')}")
    if doc.get("targets_are_demo_choice") is True:
        lines.append("Targets are a demo choice: the document names none.")
    for rule in _list_of_maps(doc.get("reporting")):
        lines.append(f"- {rule.get('rule_vi')} ({rule.get('section')})")
    source = doc.get("source")
    if isinstance(source, Mapping):
        lines.append(f"Nguồn / source: {source.get('file')} — {source.get('sections')}")
    return "\n".join(lines) or None


def _list_of_maps(value: object) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []
