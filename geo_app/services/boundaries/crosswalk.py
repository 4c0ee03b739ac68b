"""Old → new unit crosswalk of the 1 July 2025 merger, checked against the geometry.

The published mapping (dvhcvn) was partly machine-extracted from the 34 resolutions, so it is not
trusted blindly: where both the old and the new boundary are loaded, the share of area is measured
by overlay and rows whose overlap disagrees with their "full"/"partial" flag are reported.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import Session

from geo_app.errors import InvalidInput
from geo_app.models import Crosswalk
from geo_app.services import audit

SOURCE = "dvhcvn/20250701 mapping/merges.json"
# Old boundaries are low-resolution census polygons, so shares are approximate: a "full" row is
# believed when at least this share of the old unit lies in the new one.
FULL_MIN_SHARE = 0.8
PARTIAL_MIN_SHARE = 0.005
UNLISTED_MIN_SHARE = 0.2


@dataclass
class CrosswalkReport:
    rows: int = 0
    checked: int = 0
    disagreements: list[str] = field(default_factory=list)
    unlisted: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [
            f"crosswalk: {self.rows} old→new rows, {self.checked} checked by overlay, "
            f"{len(self.disagreements)} disagree, {len(self.unlisted)} overlaps not listed"
        ]
        lines += [f"  ! {line}" for line in self.disagreements[:30]]
        lines += [f"  + {line}" for line in self.unlisted[:30]]
        return "\n".join(lines)


def read_merges(path: Path) -> list[dict[str, str]]:
    """Flatten merges.json into rows (old_code, old_name, new_code, new_name, relation)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))["data"]
    except (OSError, ValueError, KeyError) as error:
        raise InvalidInput(f"{path}: not a dvhcvn merges file ({error})") from error
    rows: list[dict[str, str]] = []
    for province in data:
        rows += _rows(province["level1_id"], province["name"], province.get("merges", []))
        for commune in province.get("level2s", []):
            rows += _rows(commune["level2_id"], commune["name"], commune.get("merges", []))
    return rows


def _rows(new_code: str, new_name: str, merges: list[dict[str, str]]) -> list[dict[str, str]]:
    return [
        {
            "old_code": item["old_id"],
            "old_name": item["name"],
            "new_code": new_code,
            "new_name": new_name,
            "relation": "full" if item.get("type") == "full" else "partial",
        }
        for item in merges
    ]


_INSERT = sa.text(
    """
    INSERT INTO crosswalk (old_code, old_name, new_code, new_name, relation, source)
    VALUES (:old_code, :old_name, :new_code, :new_name, :relation, :source)
    ON CONFLICT (old_code, new_code, source) DO NOTHING
    """
)

_LINK = sa.text(
    """
    UPDATE crosswalk c
    SET old_unit_id = o.id, new_unit_id = n.id
    FROM admin_unit o, admin_unit n
    WHERE c.source = :source
      AND o.code = c.old_code AND o.layout = 'pre2025' AND o.valid_to = DATE '2025-07-01'
      AND n.code = c.new_code AND n.layout = '2025' AND n.valid_to IS NULL
      AND o.level = n.level
    """
)

_LINK_NEW_ONLY = sa.text(
    """
    UPDATE crosswalk c SET new_unit_id = n.id
    FROM admin_unit n
    WHERE c.source = :source AND c.new_unit_id IS NULL
      AND n.code = c.new_code AND n.layout = '2025' AND n.valid_to IS NULL
      AND length(n.code) = length(c.old_code)
    """
)

# Areas on the spheroid (geography), never in Web Mercator.
_OVERLAY = sa.text(
    """
    UPDATE crosswalk c
    SET share_of_old = x.inter / NULLIF(x.old_area, 0),
        share_of_new = x.inter / NULLIF(x.new_area, 0),
        overlay_checked = true
    FROM (
        SELECT c2.id,
               ST_Area(ST_Intersection(o.geom, n.geom)::geography) AS inter,
               ST_Area(o.geom::geography) AS old_area,
               ST_Area(n.geom::geography) AS new_area
        FROM crosswalk c2
        JOIN admin_unit o ON o.id = c2.old_unit_id
        JOIN admin_unit n ON n.id = c2.new_unit_id
        WHERE c2.source = :source
    ) x
    WHERE x.id = c.id
    """
)

_DISAGREE = sa.text(
    """
    UPDATE crosswalk
    SET overlay_note = CASE
        WHEN relation = 'full' THEN 'listed as full, but only '
             || round(share_of_old * 100, 1) || ' % of the old unit lies in the new one'
        ELSE 'listed as partial, but ' || round(share_of_old * 100, 1)
             || ' % of the old unit lies in the new one' END
    WHERE source = :source AND overlay_checked AND (
        (relation = 'full' AND share_of_old < :full_min)
        OR (relation = 'partial' AND (share_of_old < :partial_min OR share_of_old > 0.995)))
    RETURNING old_code, old_name, new_code, new_name, overlay_note
    """
)

_UNLISTED = sa.text(
    """
    SELECT o.code AS old_code, o.name AS old_name, n.code AS new_code, n.name AS new_name,
           ST_Area(ST_Intersection(o.geom, n.geom)::geography)
             / NULLIF(ST_Area(o.geom::geography), 0) AS share
    FROM admin_unit o
    JOIN admin_unit n ON n.level = o.level AND n.layout = '2025' AND n.valid_to IS NULL
         AND ST_Intersects(o.geom, n.geom)
    WHERE o.layout = 'pre2025' AND o.level = 'commune' AND o.code ~ '^[0-9]{5}$'
      AND EXISTS (SELECT 1 FROM crosswalk k WHERE k.old_code = o.code AND k.source = :source)
      AND NOT EXISTS (SELECT 1 FROM crosswalk k
                      WHERE k.old_code = o.code AND k.new_code = n.code AND k.source = :source)
    """
)


def load_crosswalk(session: Session, path: Path, *, actor: str) -> CrosswalkReport:
    """Store the mapping, link it to loaded units and check it by spatial overlay."""
    rows = read_merges(path)
    report = CrosswalkReport(rows=len(rows))
    session.execute(_INSERT, [{**row, "source": SOURCE} for row in rows])
    session.execute(_LINK, {"source": SOURCE})
    session.execute(_LINK_NEW_ONLY, {"source": SOURCE})
    session.execute(_OVERLAY, {"source": SOURCE})
    report.checked = int(
        session.execute(
            sa.text("SELECT count(*) FROM crosswalk WHERE source = :s AND overlay_checked"),
            {"s": SOURCE},
        ).scalar_one()
    )
    params = {"source": SOURCE, "full_min": FULL_MIN_SHARE, "partial_min": PARTIAL_MIN_SHARE}
    for row in session.execute(_DISAGREE, params).all():
        report.disagreements.append(
            f"{row.old_code} {row.old_name} → {row.new_code} {row.new_name}: {row.overlay_note}"
        )
    for row in session.execute(_UNLISTED, {"source": SOURCE}).all():
        if row.share is not None and row.share >= UNLISTED_MIN_SHARE:
            report.unlisted.append(
                f"{row.old_code} {row.old_name} overlaps {row.new_code} {row.new_name} by "
                f"{row.share * 100:.1f} % of its area but the mapping does not list it"
            )
    audit.record(
        session,
        actor=actor,
        action="load_crosswalk",
        table="crosswalk",
        row_id=None,
        before=None,
        after={
            "source": SOURCE,
            "rows": report.rows,
            "checked": report.checked,
            "disagreements": report.disagreements,
            "unlisted": report.unlisted,
        },
        reason="crosswalk of the 1 July 2025 merger",
    )
    return report


def main_successors() -> sa.Subquery:
    """Each linked old unit's main successor (``old_unit_id`` → ``new_unit_id``): the new unit
    holding the largest share of its area, so a split unit's records count once, in one place.

    Where no share was measured, a "full" row wins over a "partial" one.
    """
    return (
        sa.select(Crosswalk.old_unit_id, Crosswalk.new_unit_id)
        .where(Crosswalk.old_unit_id.is_not(None), Crosswalk.new_unit_id.is_not(None))
        .order_by(
            Crosswalk.old_unit_id,
            Crosswalk.share_of_old.desc().nulls_last(),
            (Crosswalk.relation == "full").desc(),
            Crosswalk.id,
        )
        .ext(distinct_on(Crosswalk.old_unit_id))
        .subquery("main_successor")
    )
