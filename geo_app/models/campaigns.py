"""Campaigns (plans with target units and phases) and the stored checklist evaluations."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from geo_app.domain.vocabulary import EVALUATION_VERDICTS
from geo_app.models.base import (
    JSON_DOC,
    Base,
    CreatedMixin,
    DemoMixin,
    SoftDeleteMixin,
    TrackedMixin,
    VersionedMixin,
    id_column,
)

VERDICTS: tuple[str, ...] = EVALUATION_VERDICTS.codes
"""Overall verdicts of a recognition checklist."""

_VERDICT_SQL = ", ".join(f"'{v}'" for v in VERDICTS)


def _campaign_fk() -> Any:
    return mapped_column(BigInteger, ForeignKey("campaign.id", ondelete="CASCADE"))


def _unit_fk() -> Any:
    return mapped_column(BigInteger, ForeignKey("admin_unit.id"))


class Campaign(DemoMixin, SoftDeleteMixin, VersionedMixin, TrackedMixin, Base):
    """A plan (kế hoạch) from a legal document, with its rule sets and goal."""

    __tablename__ = "campaign"
    __table_args__ = (
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates_ordered"),
        CheckConstraint("goal_share >= 0 AND goal_share <= 1", name="goal_share_fraction"),
        CheckConstraint("goal_count >= 0", name="goal_count_nonnegative"),
        CheckConstraint("goal_base_count >= 0", name="goal_base_count_nonnegative"),
    )

    id: Mapped[int] = id_column()
    code: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str]
    issuer: Mapped[str]
    document_number: Mapped[str | None]
    document_date: Mapped[date | None]
    classification_rule_set: Mapped[str]
    checklist_rule_set: Mapped[str]
    baseline_date: Mapped[date | None]
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]
    province_code: Mapped[str | None] = mapped_column(String(32))
    goal_share: Mapped[Decimal | None] = mapped_column(Numeric)
    goal_count: Mapped[int | None] = mapped_column(Integer)
    goal_base_count: Mapped[int | None] = mapped_column(Integer)
    description: Mapped[str | None]


class Phase(Base):
    """A phase (giai đoạn); phases of one campaign never overlap, so "phase on a date" is one."""

    __tablename__ = "phase"
    __table_args__ = (
        UniqueConstraint("campaign_id", "ordinal"),
        CheckConstraint("ordinal >= 1", name="ordinal_positive"),
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="dates_ordered"),
        ExcludeConstraint(
            ("campaign_id", "="),
            (func.daterange(text("starts_on"), text("ends_on"), text("'[]'")), "&&"),
            using="gist",
            name="ex_phase_no_overlap",
        ),
    )

    id: Mapped[int] = id_column()
    campaign_id: Mapped[int] = _campaign_fk()
    ordinal: Mapped[int] = mapped_column(Integer)
    name_vi: Mapped[str]
    name_en: Mapped[str | None]
    starts_on: Mapped[date]
    ends_on: Mapped[date | None]


class CampaignTarget(CreatedMixin, Base):
    """A unit approved as a target of a campaign."""

    __tablename__ = "campaign_target"
    __table_args__ = (
        UniqueConstraint("campaign_id", "admin_unit_id"),
        Index("ix_campaign_target_admin_unit_id", "admin_unit_id"),
    )

    id: Mapped[int] = id_column()
    campaign_id: Mapped[int] = _campaign_fk()
    admin_unit_id: Mapped[int] = _unit_fk()
    approved_on: Mapped[date | None]
    note: Mapped[str | None]


class CampaignBaseline(CreatedMixin, Base):
    """Indicator counts of a target unit at the campaign's baseline date (one per unit)."""

    __tablename__ = "campaign_baseline"
    __table_args__ = (UniqueConstraint("campaign_id", "admin_unit_id"),)

    id: Mapped[int] = id_column()
    campaign_id: Mapped[int] = _campaign_fk()
    admin_unit_id: Mapped[int] = _unit_fk()
    taken_on: Mapped[date]
    indicators: Mapped[dict[str, Any]]


class Evaluation(Base):
    """A dated checklist result for one target unit: inputs, each criterion, overall verdict.

    A human override keeps the computed verdict and must give a reason.
    """

    __tablename__ = "evaluation"
    __table_args__ = (
        UniqueConstraint("campaign_id", "admin_unit_id", "evaluated_on"),
        CheckConstraint(f"verdict IN ({_VERDICT_SQL})", name="verdict_known"),
        CheckConstraint(f"override_verdict IN ({_VERDICT_SQL})", name="override_verdict_known"),
        CheckConstraint(
            "override_verdict IS NULL OR "
            "(override_reason IS NOT NULL AND btrim(override_reason) <> '')",
            name="override_has_reason",
        ),
        Index("ix_evaluation_admin_unit_id", "admin_unit_id"),
    )

    id: Mapped[int] = id_column()
    campaign_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("campaign.id"))
    admin_unit_id: Mapped[int] = _unit_fk()
    evaluated_on: Mapped[date]
    rule_set: Mapped[str]
    inputs: Mapped[Any] = mapped_column(JSON_DOC, nullable=False)
    criteria: Mapped[Any] = mapped_column(JSON_DOC, nullable=False)
    verdict: Mapped[str] = mapped_column(String(32))
    override_verdict: Mapped[str | None] = mapped_column(String(32))
    override_reason: Mapped[str | None]
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    created_by: Mapped[str | None]
