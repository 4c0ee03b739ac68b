"""The statutory table: communes of a province per class and recognised drug-free, year on year.

For a province and month (DESIGN §8): the count and share of communes in each class, from the
stored classifications of that month, and of communes recognised drug-free (their latest
evaluation on or before the month's end says ``recognised``, an override winning over the
computed verdict), beside the same month of the previous year, on one fixed legend.

- Communes of the month: those in force on its last day under the province (as
  ``classify_db`` classifies them). Communes of the previous year: those in force on that
  month's last day whose largest share of area lies in the province as it is now (among the
  provinces in force with it) — the same territory, so a province made in the 2025 merger is
  compared with the old communes that form it. A share, not one point: a coarse old coastal
  commune whose point on surface falls in the sea still belongs somewhere.
- Recognised: a commune's evaluations are its own and those stored on the old units whose
  main successor it is (the crosswalk, ``main_successors``), so a campaign evaluated on
  pre-2025 communes counts after the merger; the latest of them (date, then id) decides.
- A commune with no stored classification for the month is "not classified". When several
  rule sets were stored, ``rules_name`` picks one; without it the latest computed row counts.
- Shares are exact fractions of the communes counted; text renders them to one decimal.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import Session, aliased

from geo_app.domain.vocabulary import CLASSIFICATION_CLASSES
from geo_app.layers.admin_units import in_force
from geo_app.models import AdminLevel, AdminUnit, Classification, Evaluation
from geo_app.services.boundaries.crosswalk import main_successors
from geo_app.services.classification.province import (
    CLASSES,
    communes_of,
    month_end,
    province_in_force,
)

NOT_CLASSIFIED = "not_classified"
RECOGNISED = "recognised"
LEGEND: tuple[str, ...] = (*CLASSES, NOT_CLASSIFIED)
"""Every row of the class part, always listed, in this order."""

LABELS: dict[str, tuple[str, str]] = {
    **{code: CLASSIFICATION_CLASSES.labels[code] for code in CLASSES},
    NOT_CLASSIFIED: ("Chưa phân loại", "Not classified"),
    RECOGNISED: ("Được công nhận xã không ma túy", "Recognised drug-free"),
}


def percent(share: Fraction | None) -> str:
    """``share`` as a percentage with one decimal, rounded half up; a dash when undefined."""
    if share is None:
        return "—"
    tenths = math.floor(share * 1000 + Fraction(1, 2))
    return f"{tenths // 10}.{tenths % 10} %"


@dataclass(frozen=True)
class Column:
    """One month's figures: communes counted, per legend class, and recognised."""

    month: date
    communes: int
    classes: dict[str, int]
    recognised: int

    def share(self, count: int) -> Fraction | None:
        """``count`` as an exact fraction of the communes (None when there are none)."""
        return Fraction(count, self.communes) if self.communes else None

    def count(self, key: str) -> int:
        return self.recognised if key == RECOGNISED else self.classes[key]

    def as_dict(self) -> dict[str, Any]:
        def cell(count: int) -> dict[str, Any]:
            share = self.share(count)
            exact = None if share is None else str(share)
            return {"count": count, "share": exact, "percent": percent(share)}

        return {
            "month": f"{self.month:%Y-%m}",
            "communes": self.communes,
            "classes": {key: cell(self.classes[key]) for key in LEGEND},
            RECOGNISED: cell(self.recognised),
        }


@dataclass(frozen=True)
class StatutoryTable:
    """The table for a province and month, with the previous year's column beside it."""

    province_code: str
    province_name: str
    rule_set: str | None
    current: Column
    previous: Column

    def rows(self) -> list[tuple[str, str, str, int, Fraction | None, int, Fraction | None]]:
        """(key, label vi, label en, count, share, previous count, previous share) per row."""
        out = []
        for key in (*LEGEND, RECOGNISED):
            now, then = self.current.count(key), self.previous.count(key)
            out.append(
                (key, *LABELS[key], now, self.current.share(now), then, self.previous.share(then))
            )
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "province": {"code": self.province_code, "name": self.province_name},
            "rule_set": self.rule_set,
            "legend": [{"key": k, "vi": LABELS[k][0], "en": LABELS[k][1]} for k in LEGEND],
            "current": self.current.as_dict(),
            "previous": self.previous.as_dict(),
        }

    def json(self) -> str:
        return json.dumps(self.as_dict(), ensure_ascii=False, indent=2)

    def csv(self) -> str:
        now, then = f"{self.current.month:%Y-%m}", f"{self.previous.month:%Y-%m}"
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        head = [f"{now} count", f"{now} share", f"{then} count", f"{then} share"]
        writer.writerow(["key", "label_vi", "label_en", *head])
        totals = [self.current.communes, "", self.previous.communes, ""]
        writer.writerow(["communes", "Tổng số xã", "Communes", *totals])
        for key, vi, en, count, share, before, before_share in self.rows():
            writer.writerow([key, vi, en, count, percent(share), before, percent(before_share)])
        return buffer.getvalue()

    def text(self) -> str:
        """A fixed-width table: one row per legend entry, this month and a year before."""
        now, then = f"{self.current.month:%Y-%m}", f"{self.previous.month:%Y-%m}"
        rows = [(f"{vi} / {en}", c, s, b, bs) for _, vi, en, c, s, b, bs in self.rows()]
        width = max(len(label) for label, *_ in rows) + 2
        lines = [
            f"Phân loại xã / communes by class — {self.province_code} {self.province_name}, "
            f"{now} (rule set: {self.rule_set or 'latest stored'})",
            f"{'':{width}}{now:>18}{then:>18}",
            f"{'Tổng số xã / Communes':{width}}"
            f"{self.current.communes:>18}{self.previous.communes:>18}",
        ]
        for label, count, share, before, before_share in rows:
            lines.append(
                f"{label:{width}}{count:>8}{percent(share):>10}"
                f"{before:>8}{percent(before_share):>10}"
            )
        return "\n".join(lines)


def table(
    session: Session, *, province_code: str, month: date, rules_name: str | None = None
) -> StatutoryTable:
    """The statutory table of ``province_code`` for ``month`` (its first day)."""
    end = month_end(month)
    province = province_in_force(session, province_code, end)
    current_ids = [c.id for c in communes_of(session, province, end)]
    previous_month = month.replace(year=month.year - 1)
    previous_ids = communes_within(session, province.id, month_end(previous_month), end)
    return StatutoryTable(
        province.code,
        province.name,
        rules_name,
        _column(session, current_ids, month, rules_name),
        _column(session, previous_ids, previous_month, rules_name),
    )


def communes_within(session: Session, province_id: int, on: date, now: date) -> list[int]:
    """Communes in force on ``on`` whose largest share of area lies in the province, among the
    provinces in force on ``now`` (planar areas: only compared, on the same commune)."""
    province, other = aliased(AdminUnit), aliased(AdminUnit)
    near = (
        sa.select(AdminUnit.id, AdminUnit.geom)
        .join(province, province.id == province_id)
        .where(
            AdminUnit.level == AdminLevel.commune,
            in_force(AdminUnit, on),
            sa.func.ST_Intersects(province.geom, AdminUnit.geom),
        )
        .subquery("near")
    )
    overlap = sa.func.ST_Area(sa.func.ST_Intersection(other.geom, near.c.geom))
    home = (
        sa.select(near.c.id, other.id.label("province_id"))
        .join(
            other,
            sa.and_(
                other.level == AdminLevel.province,
                in_force(other, now),
                sa.func.ST_Intersects(other.geom, near.c.geom),
            ),
        )
        .order_by(near.c.id, overlap.desc(), other.id)
        .ext(distinct_on(near.c.id))
        .subquery("home")
    )
    stmt = sa.select(home.c.id).where(home.c.province_id == province_id).order_by(home.c.id)
    return list(session.scalars(stmt))


def _column(session: Session, unit_ids: list[int], month: date, rules_name: str | None) -> Column:
    classes = dict.fromkeys(LEGEND, 0)
    stored = _stored_classes(session, unit_ids, month, rules_name)
    for unit_id in unit_ids:
        classes[stored.get(unit_id, NOT_CLASSIFIED)] += 1
    recognised = len(recognised_units(session, unit_ids, month_end(month)))
    return Column(month, len(unit_ids), classes, recognised)


def _stored_classes(
    session: Session, unit_ids: list[int], month: date, rules_name: str | None
) -> dict[int, str]:
    """Each unit's stored class for the month (the latest computed row of the rule set)."""
    stmt = (
        sa.select(Classification.admin_unit_id, Classification.class_)
        .where(Classification.admin_unit_id.in_(unit_ids), Classification.month == month)
        .order_by(
            Classification.admin_unit_id,
            Classification.computed_at.desc(),
            Classification.id.desc(),
        )
        .ext(distinct_on(Classification.admin_unit_id))
    )
    if rules_name is not None:
        stmt = stmt.where(Classification.rule_set == rules_name)
    return {row.admin_unit_id: row.class_ for row in session.execute(stmt)}


def recognised_units(session: Session, unit_ids: list[int], on: date) -> set[int]:
    """Of ``unit_ids``, those whose latest evaluation on or before ``on`` — their own or one
    of the old units they are the main successor of — is (or is overridden to) recognised."""
    successor = main_successors()
    speaks = sa.union_all(
        sa.select(AdminUnit.id.label("evaluated"), AdminUnit.id.label("unit")).where(
            AdminUnit.id.in_(unit_ids)
        ),
        sa.select(successor.c.old_unit_id, successor.c.new_unit_id).where(
            successor.c.new_unit_id.in_(unit_ids)
        ),
    ).subquery("speaks")
    latest = (
        sa.select(
            speaks.c.unit,
            sa.func.coalesce(Evaluation.override_verdict, Evaluation.verdict).label("verdict"),
        )
        .join(Evaluation, Evaluation.admin_unit_id == speaks.c.evaluated)
        .where(Evaluation.evaluated_on <= on)
        .order_by(speaks.c.unit, Evaluation.evaluated_on.desc(), Evaluation.id.desc())
        .ext(distinct_on(speaks.c.unit))
        .subquery("latest")
    )
    stmt = sa.select(latest.c.unit).where(latest.c.verdict == RECOGNISED)
    return set(session.scalars(stmt))
