"""Monthly indicator counts per unit and the stored classification results.

Counts only: the programme's figures are aggregates, never one row per person.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, MappedColumn, mapped_column

from geo_app.domain.indicators import COLUMNS
from geo_app.domain.vocabulary import STORED_CLASSES
from geo_app.models.base import (
    JSON_DOC,
    Base,
    DemoMixin,
    TrackedMixin,
    VersionedMixin,
    id_column,
)

COUNT_COLUMNS = COLUMNS
"""Every count column of ``indicator``, in form order; each is NULL when not reported."""

_PARTS: tuple[tuple[str, str], ...] = (
    ("households_committed", "households_total"),
    ("households_informed", "households_total"),
    ("tipoffs_processed", "tipoffs_received"),
    ("suspected_tested", "suspected_users"),
)


def _count() -> MappedColumn[Any]:
    return mapped_column(Integer, nullable=True)


CLASSIFICATION_CLASS = Enum(*STORED_CLASSES, name="classification_class")
"""The stored classes (``geo_app.domain.vocabulary.STORED_CLASSES``) as a PostgreSQL enum."""


class Indicator(DemoMixin, VersionedMixin, TrackedMixin, Base):
    """One unit's reported counts for one month (``month`` is the first day of it)."""

    __tablename__ = "indicator"
    __table_args__ = (
        UniqueConstraint("admin_unit_id", "month"),
        CheckConstraint("EXTRACT(DAY FROM month) = 1", name="month_first_day"),
        *(CheckConstraint(f"{c} >= 0", name=f"{c}_nonnegative") for c in COUNT_COLUMNS),
        *(
            CheckConstraint(
                f"{part} IS NULL OR {whole} IS NULL OR {part} <= {whole}",
                name=f"{part}_le_{whole}",
            )
            for part, whole in _PARTS
        ),
    )

    id: Mapped[int] = id_column()
    admin_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("admin_unit.id"))
    month: Mapped[date]
    addicts_registered: Mapped[int | None] = _count()
    addicts_in_treatment: Mapped[int | None] = _count()
    drug_users: Mapped[int | None] = _count()
    suspected_users: Mapped[int | None] = _count()
    suspected_tested: Mapped[int | None] = _count()
    post_rehab_managed: Mapped[int | None] = _count()
    offenders_resident: Mapped[int | None] = _count()
    drug_cases_by_residents: Mapped[int | None] = _count()
    serious_incidents: Mapped[int | None] = _count()
    households_total: Mapped[int | None] = _count()
    households_committed: Mapped[int | None] = _count()
    households_informed: Mapped[int | None] = _count()
    tipoffs_received: Mapped[int | None] = _count()
    tipoffs_processed: Mapped[int | None] = _count()
    propaganda_sessions: Mapped[int | None] = _count()
    listening_meetings: Mapped[int | None] = _count()
    models_active: Mapped[int | None] = _count()


class Classification(Base):
    """A stored classification result with the criteria that fired and the inputs used."""

    __tablename__ = "classification"
    __table_args__ = (
        UniqueConstraint("admin_unit_id", "month", "rule_set"),
        CheckConstraint("EXTRACT(DAY FROM month) = 1", name="month_first_day"),
        Index("ix_classification_month", "month"),
    )

    id: Mapped[int] = id_column()
    admin_unit_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("admin_unit.id"))
    month: Mapped[date]
    rule_set: Mapped[str]
    class_: Mapped[str] = mapped_column("class", CLASSIFICATION_CLASS)
    criteria: Mapped[Any] = mapped_column(JSON_DOC, nullable=False)
    missing: Mapped[Any] = mapped_column(JSON_DOC, nullable=False, server_default=text("'[]'"))
    inputs: Mapped[Any] = mapped_column(JSON_DOC, nullable=False)
    computed_at: Mapped[datetime] = mapped_column(server_default=func.now())
