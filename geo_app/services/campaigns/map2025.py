"""Reading a campaign written on pre-2025 units on the 2025 map (the 1 July 2025 merger).

Each old target lies in one or more 2025 units; the share of its area in each comes from the
crosswalk (measured by overlay where both boundaries are loaded), else from a live overlay in
geography. Old census boundaries are coarse, so shares of one target need not add up to 1: the
rest (``unplaced_share``) lies outside every 2025 unit of its level (mostly water).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app import clock
from geo_app.services.campaigns.lookup import campaign_by_id, targets_of

MIN_OVERLAY_SHARE = 0.005
"""A live overlay ignores slivers below this share of the old unit (coarse old boundaries)."""


@dataclass(frozen=True)
class Successor:
    """A 2025 unit an old target lies in, and how much of the old target lies there."""

    unit_id: int
    code: str
    name: str
    province_code: str | None
    share_of_old: float
    share_of_new: float | None
    source: str
    """``same`` (already a 2025 unit), ``crosswalk``, ``crosswalk+overlay`` (listed, share
    measured here) or ``overlay`` (not listed: found by overlay)."""
    relation: str | None
    """The crosswalk's ``full``/``partial`` when listed."""


@dataclass(frozen=True)
class TargetOn2025:
    unit_id: int
    code: str
    name: str
    layout: str
    successors: tuple[Successor, ...]

    @property
    def unplaced_share(self) -> float:
        """Share of the old target in no listed 2025 unit (0 when fully placed)."""
        return max(0.0, 1.0 - sum(s.share_of_old for s in self.successors))


@cache
def _query() -> sa.TextClause:
    return sa.text(
        Path(__file__).with_name("sql").joinpath("targets_on_2025_map.sql").read_text("utf-8")
    )


def targets_on_2025_map(
    session: Session, campaign_id: int, *, today: date | None = None
) -> list[TargetOn2025]:
    """Every target of the campaign with the 2025 unit(s) it lies in, largest share first."""
    campaign_by_id(session, campaign_id)
    params = {
        "campaign_id": campaign_id,
        "today": today or clock.today(),
        "min_overlay_share": MIN_OVERLAY_SHARE,
    }
    found: dict[int, list[Successor]] = defaultdict(list)
    for r in session.execute(_query(), params):
        found[r.target_id].append(
            Successor(
                unit_id=r.unit_id,
                code=r.code,
                name=r.name,
                province_code=r.province_code,
                share_of_old=float(r.share_of_old),
                share_of_new=None if r.share_of_new is None else float(r.share_of_new),
                source=r.source,
                relation=r.relation,
            )
        )
    return [
        TargetOn2025(t.unit_id, t.code, t.name, t.layout, tuple(found.get(t.unit_id, ())))
        for t in targets_of(session, campaign_id)
    ]
