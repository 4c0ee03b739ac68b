"""Classify every commune of a province for a month from the database, and store the results.

Inputs of a commune for month M (docs/ENGINE.md): the indicator row of M (a missing row leaves
addicts, offenders, users and cases unknown), the unit's population, and the derived counts
on the last day of M (``services/derived.py``). Communes are those in force on that day whose
parent is the province, or whose district's parent is (layouts before July 2025).

Re-running a month is safe: an identical result writes nothing; a result whose class changes
is a reclassification and needs a reason (otherwise nothing is written and the error lists
the units). Every insert and update is audited with before, after and reason.
"""

from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from geo_app.domain.classification import (
    ClassificationInputs,
    ClassificationResult,
    ClassificationRules,
    classify,
)
from geo_app.domain.vocabulary import STORED_CLASSES
from geo_app.errors import InvalidInput, NotFound
from geo_app.layers.admin_units import in_force
from geo_app.models import AdminLevel, AdminUnit, Classification, Indicator
from geo_app.rules import load_classification
from geo_app.services import audit
from geo_app.services.classification.derived import DerivedInputs, inputs_for_units

# Aliases of the unit table are made once: making one (its geometry and key columns proxied)
# costs milliseconds, which every page paid several times over when each query made its own.
_DISTRICT = aliased(AdminUnit)

CLASSES: tuple[str, ...] = STORED_CLASSES
"""Every class a commune can be given, in legend order: type_1 … drug_free, insufficient_data."""

INDICATOR_INPUTS: tuple[str, ...] = (
    "addicts_registered",
    "offenders_resident",
    "drug_users",
    "drug_cases_by_residents",
)
"""Inputs read from the month's indicator row."""


@dataclass(frozen=True)
class Commune:
    id: int
    code: str
    name: str
    population: int | None


@dataclass(frozen=True)
class Outcome:
    """One commune's inputs and result, before anything is stored."""

    commune: Commune
    inputs: ClassificationInputs
    result: ClassificationResult


@dataclass(frozen=True)
class ClassChange:
    """A commune whose stored class changes (a reclassification)."""

    unit_id: int
    code: str
    name: str
    before: str
    after: str

    def text(self) -> str:
        return f"{self.code} {self.name}: {self.before} → {self.after}"


@dataclass
class ClassifyReport:
    """What a run found and wrote."""

    province_code: str
    province_name: str
    month: date
    rule_set: str
    counts: dict[str, int] = field(default_factory=dict)
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    changed: list[ClassChange] = field(default_factory=list)

    @property
    def communes(self) -> int:
        return sum(self.counts.values())

    def text(self) -> str:
        lines = [
            f"classification {self.rule_set}: {self.province_code} {self.province_name}, "
            f"{self.month:%Y-%m}, {self.communes} communes",
            "  " + " · ".join(f"{c} {self.counts.get(c, 0)}" for c in CLASSES),
            f"  inserted {self.inserted}, updated {self.updated}, unchanged {self.unchanged}",
        ]
        lines += [f"  reclassified {change.text()}" for change in self.changed]
        return "\n".join(lines)


def month_end(month: date) -> date:
    """The last day of ``month``, which must be given as its first day."""
    if month.day != 1:
        raise InvalidInput(f"month must be the first day of a month, got {month}")
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def province_in_force(session: Session, province_code: str, on: date) -> AdminUnit:
    """The province with this code in force on ``on``; NotFound names code and date."""
    province = session.scalars(
        sa.select(AdminUnit).where(
            AdminUnit.code == province_code,
            AdminUnit.level == AdminLevel.province,
            in_force(AdminUnit, on),
        )
    ).first()
    if province is None:
        raise NotFound(f"no province with code {province_code!r} in force on {on}")
    return province


def communes_of(session: Session, province: AdminUnit, on: date) -> list[Commune]:
    """Communes in force on ``on`` under the province, directly or through a district.

    Their parent is asked for as a list of ids (the province and its districts), which the
    parent index answers; a join with an OR across both levels read every unit (100k with
    hamlets: 40 ms a province, and the national page asks for each province with a goal)."""
    district = _DISTRICT
    parents = sa.union_all(
        sa.select(sa.literal(province.id, sa.BigInteger)),
        sa.select(district.id).where(
            district.level == AdminLevel.district, district.parent_id == province.id
        ),
    )
    rows = session.execute(
        sa.select(AdminUnit.id, AdminUnit.code, AdminUnit.name, AdminUnit.population)
        .where(
            AdminUnit.level == AdminLevel.commune,
            in_force(AdminUnit, on),
            AdminUnit.parent_id.in_(parents),
        )
        .order_by(AdminUnit.code)
    ).all()
    return [Commune(r.id, r.code, r.name, r.population) for r in rows]


def classify_province(
    session: Session,
    *,
    province_code: str,
    month: date,
    rules_name: str,
    actor: str,
    reason: str | None = None,
) -> ClassifyReport:
    """Classify and store every commune of the province for ``month`` (its first day)."""
    end = month_end(month)
    rules = load_classification(rules_name)
    province = province_in_force(session, province_code, end)
    outcomes = _classify_all(session, communes_of(session, province, end), month, end, rules)
    report = ClassifyReport(province.code, province.name, month, rules.info.code)
    tally = Counter(o.result.class_ for o in outcomes)
    report.counts = {c: tally[c] for c in CLASSES}
    stored = _stored(session, [o.commune.id for o in outcomes], month, rules.info.code)
    report.changed = _changes(outcomes, stored)
    reason = (reason or "").strip() or None
    if report.changed and reason is None:
        raise InvalidInput(
            f"{len(report.changed)} communes would change class for {month:%Y-%m}: "
            "a reclassification needs a reason; nothing was written",
            details=[change.text() for change in report.changed],
        )
    pending: list[audit.Entry] = []
    for outcome in outcomes:
        row = stored.get(outcome.commune.id)
        _store(
            session, report, outcome, row, month=month, actor=actor, reason=reason, pending=pending
        )
    session.flush()
    audit.record_many(session, pending)
    return report


def _classify_all(
    session: Session,
    communes: list[Commune],
    month: date,
    end: date,
    rules: ClassificationRules,
) -> list[Outcome]:
    """Every commune's inputs and result, with one round of queries for the whole province."""
    derived = inputs_for_units(session, [c.id for c in communes], end)
    indicators = _indicators(session, [c.id for c in communes], month)
    out = []
    for commune in communes:
        inputs = _inputs(commune, indicators.get(commune.id, {}), derived[commune.id])
        out.append(Outcome(commune, inputs, classify(inputs, rules)))
    return out


def _changes(outcomes: list[Outcome], stored: dict[int, Classification]) -> list[ClassChange]:
    changes = []
    for o in outcomes:
        row = stored.get(o.commune.id)
        if row is not None and row.class_ != o.result.class_:
            c = o.commune
            changes.append(ClassChange(c.id, c.code, c.name, row.class_, o.result.class_))
    return changes


def _indicators(session: Session, unit_ids: list[int], month: date) -> dict[int, dict[str, Any]]:
    columns = [getattr(Indicator, name) for name in INDICATOR_INPUTS]
    rows = session.execute(
        sa.select(Indicator.admin_unit_id, *columns).where(
            Indicator.admin_unit_id.in_(unit_ids), Indicator.month == month
        )
    ).all()
    return {r.admin_unit_id: {name: getattr(r, name) for name in INDICATOR_INPUTS} for r in rows}


def _inputs(
    commune: Commune, indicator: dict[str, Any], derived: DerivedInputs
) -> ClassificationInputs:
    area = derived["active_plant_area_m2"]
    route = derived["on_key_route"]
    return ClassificationInputs(
        **{name: indicator.get(name) for name in INDICATOR_INPUTS},
        population=commune.population,
        active_hotspots=_count(derived["active_hotspots"]),
        plants=_count(derived["active_plants"]),
        plant_area_m2=area if isinstance(area, Decimal) else None,
        on_key_route=route if isinstance(route, bool) else None,
    )


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _stored(
    session: Session, unit_ids: list[int], month: date, rule_set: str
) -> dict[int, Classification]:
    rows = session.scalars(
        sa.select(Classification).where(
            Classification.admin_unit_id.in_(unit_ids),
            Classification.month == month,
            Classification.rule_set == rule_set,
        )
    )
    return {row.admin_unit_id: row for row in rows}


def _document(inputs: ClassificationInputs, result: ClassificationResult) -> dict[str, Any]:
    """The stored columns of a result, as JSON data (compared with what is stored)."""
    return {
        "class_": result.class_,
        "criteria": [c.as_dict() for c in result.criteria],
        "missing": list(result.missing),
        "inputs": audit.to_jsonable(inputs.as_dict()),
    }


def _store(
    session: Session,
    report: ClassifyReport,
    outcome: Outcome,
    row: Classification | None,
    *,
    month: date,
    actor: str,
    reason: str | None,
    pending: list[audit.Entry],
) -> None:
    """Insert, update or leave one commune's row; queue an audit entry for what changed."""
    values = _document(outcome.inputs, outcome.result)
    if row is not None and all(getattr(row, k) == v for k, v in values.items()):
        report.unchanged += 1
        return
    before = None if row is None else _snapshot(row)
    if row is None:
        rule_set = outcome.result.rule_set
        row = Classification(
            admin_unit_id=outcome.commune.id, month=month, rule_set=rule_set, **values
        )
        session.add(row)
        report.inserted += 1
    else:
        for key, value in values.items():
            setattr(row, key, value)
        row.computed_at = sa.func.now()
        report.updated += 1
    session.flush()  # the row's id goes into the audit entry
    action = "insert" if before is None else "update"
    if before is not None and before["class_"] != outcome.result.class_:
        action = "reclassify"
    pending.append(
        audit.Entry(
            actor=actor,
            action=action,
            table="classification",
            row_id=row.id,
            before=before,
            after=_snapshot(row),
            reason=reason,
        )
    )


def _snapshot(row: Classification) -> dict[str, Any]:
    return audit.snapshot(row, exclude=("computed_at",))
