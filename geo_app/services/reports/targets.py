"""Province targets: a province's goal per year (e.g. 20 % of its communes recognised drug-free
in 2025, 50 % by 2030 under Kết luận 132-KL/TW), registered by staff, and planned vs achieved.

A goal is stored as a share (``goal_share``, a fraction) with the province's communes when it
was set (``base_count``) and the count that share means (``goal_count``, rounded up). Writes are
audited; an edit names the version it read and is refused (409) when someone changed the goal
since (optimistic locking). Messages are fixed English sentences (the web translates them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from geo_app import clock
from geo_app.errors import N_, Conflict, InvalidInput, NotFound
from geo_app.models import AdminUnit, ProvinceTarget
from geo_app.parsing import whole_number
from geo_app.services import audit
from geo_app.services.accounts.scope import OutOfScope, unit_in_scope
from geo_app.services.classification.province import communes_of, province_in_force
from geo_app.services.classification.statutory import recognised_units

YEARS = (2000, 2100)
"""The years a goal may name (the table's own check says the same)."""
BASIS_MAX = 300
FIELDS = ("province", "year", "share", "basis")


@dataclass(frozen=True)
class FieldProblem:
    """One bad form field: its name and a fixed English sentence (a catalog msgid)."""

    field: str
    message: str


class TargetInvalid(InvalidInput):
    """Some fields are wrong; ``problems`` says which, for the form."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__(
            "The target is not valid: " + " ".join(p.message for p in problems),
            details=[f"{p.field}: {p.message}" for p in problems],
        )
        self.problems = problems


@dataclass(frozen=True)
class TargetInput:
    """A checked goal: the province, the year, the share (a fraction) and its basis."""

    province_code: str
    year: int
    share: Decimal
    basis: str


@dataclass(frozen=True)
class TargetRecord:
    province_code: str
    year: int
    goal_share: Decimal
    goal_count: int | None
    base_count: int | None
    basis: str
    version: int

    @property
    def percent(self) -> str:
        """The goal in percent, as entered (0.2 → "20", 0.205 → "20.5")."""
        return f"{(self.goal_share * 100).normalize():f}"

    def as_dict(self) -> dict[str, object]:
        return {
            "province": self.province_code,
            "year": self.year,
            "goal_share": str(self.goal_share),
            "goal_count": self.goal_count,
            "base_count": self.base_count,
            "basis": self.basis,
            "version": self.version,
        }


def parse_target(province_code: str, year: str, share: str, basis: str) -> TargetInput:
    """Check a goal as typed (the share in percent, "20" or "20,5"); every problem at once."""
    problems: list[FieldProblem] = []
    code = province_code.strip()
    if whole_number(code, most=999) is None:
        problems.append(FieldProblem("province", N_("Choose a province.")))
    year_value = whole_number(year.strip(), most=YEARS[1])
    if year_value is None or not YEARS[0] <= year_value <= YEARS[1]:
        problems.append(FieldProblem("year", N_("The year must be a number from 2000 to 2100.")))
    share_value = _percent(share)
    if share_value is None:
        problems.append(FieldProblem("share", N_("The goal must be a percentage from 0 to 100.")))
    text = " ".join(basis.split())
    if not text:
        problems.append(FieldProblem("basis", N_("Give the basis of the goal (plan or decision).")))
    elif len(text) > BASIS_MAX:
        problems.append(FieldProblem("basis", N_("The basis is longer than 300 characters.")))
    if problems or year_value is None or share_value is None:
        raise TargetInvalid(problems)
    return TargetInput(code, year_value, share_value, text)


def _percent(text: str) -> Decimal | None:
    """ "20" or "20,5" percent as a fraction (0.2, 0.205); None when not 0–100 with ≤ 2 decimals."""
    try:
        value = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        return None
    if not value.is_finite() or not 0 <= value <= 100 or value != round(value, 2):
        return None
    return (value / 100).quantize(Decimal("0.0001"), ROUND_HALF_UP).normalize()


def _record(row: ProvinceTarget) -> TargetRecord:
    share = Decimal(row.goal_share if row.goal_share is not None else 0)
    return TargetRecord(
        row.province_code, row.year, share, row.goal_count, row.base_count, row.basis, row.version
    )


def targets_of(session: Session, province_code: str | None = None) -> list[TargetRecord]:
    """The registered goals (of one province, or all), by province and year."""
    stmt = sa.select(ProvinceTarget).order_by(ProvinceTarget.province_code, ProvinceTarget.year)
    if province_code is not None:
        stmt = stmt.where(ProvinceTarget.province_code == province_code)
    return [_record(row) for row in session.scalars(stmt)]


def set_target(
    session: Session,
    entry: TargetInput,
    *,
    actor: str,
    scope_unit_id: int | None = None,
    version: int | None = None,
    check_version: bool = True,
    is_demo: bool = False,
) -> TargetRecord:
    """Register or change a province's goal for a year (audited). With ``check_version`` an
    existing goal is changed only when ``version`` is the one stored (else Conflict, 409), and
    a new one only when ``version`` is None (someone else may have just made it)."""
    province = _province(session, entry.province_code, scope_unit_id)
    base = len(communes_of(session, province, clock.today()))
    values = {
        "goal_share": entry.share,
        "goal_count": math.ceil(entry.share * base),
        "base_count": base,
        "basis": entry.basis,
    }
    row = session.scalars(
        sa.select(ProvinceTarget)
        .where(
            ProvinceTarget.province_code == entry.province_code, ProvinceTarget.year == entry.year
        )
        .with_for_update()
    ).one_or_none()
    if check_version and version != (row.version if row else None):
        raise Conflict("Someone else has changed this target since you read it.")
    before = _record(row).as_dict() if row else None
    try:
        if row is None:
            row = ProvinceTarget(
                province_code=entry.province_code,
                year=entry.year,
                created_by=actor,
                is_demo=is_demo,
                **values,
            )
            session.add(row)
        else:
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_by = actor
        session.flush()
    except (IntegrityError, StaleDataError) as error:
        raise Conflict("Someone else has changed this target since you read it.") from error
    saved = _record(row)
    audit.record(
        session,
        actor=actor,
        action="update" if before else "insert",
        table="province_target",
        row_id=row.id,
        before=before,
        after=saved.as_dict(),
        reason="province target",
    )
    return saved


def _province(session: Session, code: str, scope_unit_id: int | None) -> AdminUnit:
    try:
        province = province_in_force(session, code, clock.today())
    except NotFound:
        raise TargetInvalid([FieldProblem("province", N_("Choose a province."))]) from None
    if not unit_in_scope(session, scope_unit_id, province.id):
        raise OutOfScope("this area is outside your scope")
    return province


@dataclass(frozen=True)
class PlannedAchieved:
    """A goal beside what is achieved on a date: recognised communes of the province's."""

    target: TargetRecord
    on: date
    communes: int
    recognised: int

    @property
    def planned(self) -> int:
        """The communes the goal asks for, of today's communes (rounded up)."""
        return math.ceil(self.target.goal_share * self.communes)

    @property
    def achieved(self) -> Fraction | None:
        return Fraction(self.recognised, self.communes) if self.communes else None

    @property
    def met(self) -> bool:
        return self.recognised >= self.planned

    @property
    def due(self) -> bool:
        """The goal's year has come (a later goal is still being worked towards)."""
        return self.target.year <= self.on.year


def planned_vs_achieved(
    targets: list[TargetRecord], on: date, communes: int, recognised: int
) -> list[PlannedAchieved]:
    """Each goal against the same achieved figure (one province, one date)."""
    return [PlannedAchieved(t, on, communes, recognised) for t in targets]


def achieved_on(session: Session, province_code: str, on: date) -> tuple[int, int]:
    """The province's communes on ``on`` and how many are recognised (the statutory rule)."""
    province = province_in_force(session, province_code, on)
    ids = [c.id for c in communes_of(session, province, on)]
    return len(ids), len(recognised_units(session, ids, on))


def current_goal(targets: list[TargetRecord], year: int) -> TargetRecord | None:
    """The goal that counts in ``year``: that year's, else the nearest later one."""
    ahead = [t for t in targets if t.year >= year]
    return min(ahead, key=lambda t: t.year) if ahead else None
