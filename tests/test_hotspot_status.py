"""The hotspot "status on a date" rule, defined once in SQL (migration 0006).

(a) Both forms of the rule (``hotspot_status_on`` per row, ``hotspot_statuses_on`` as a set) on
crafted hotspots, one per case; (b) the layer, its tiles, the summary and the derived inputs
agree on the demo data; (c) no copy of the rule is written again outside the migrations.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from geoalchemy2 import WKTElement
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from geo_app import features
from geo_app.features import FeatureQuery
from geo_app.layers import get_layer
from geo_app.layers.base import LayerQuery
from geo_app.models import AdminUnit, Hotspot, HotspotStatusChange
from geo_app.services.classification.derived import inputs_for_units
from geo_app.services.summary import summary

GEO_APP = Path(__file__).resolve().parent.parent / "geo_app"
DAY = date(2025, 6, 30)
History = tuple[tuple[str, date], ...]

# name -> (row status, cleared_on, relapsed_on, dated history, expected status on DAY)
CASES: dict[str, tuple[str, date | None, date | None, History, str]] = {
    "no history, active": ("active", None, None, (), "active"),
    "no history, under attack": ("under_attack", None, None, (), "under_attack"),
    "no history, cleared by the day": ("cleared", date(2025, 3, 1), None, (), "cleared"),
    "no history, cleared after the day": ("cleared", date(2025, 9, 1), None, (), "active"),
    "no history, cleared then relapsed by dates": (
        "relapsed",
        date(2025, 2, 1),
        date(2025, 5, 1),
        (),
        "relapsed",
    ),
    "no history, relapse after the day": (
        "relapsed",
        date(2025, 2, 1),
        date(2025, 8, 1),
        (),
        "cleared",
    ),
    "no history, relapsed then cleared again": (
        "cleared",
        date(2025, 6, 1),
        date(2025, 4, 1),
        (),
        "cleared",
    ),
    "history before the day wins over the row": (
        "cleared",
        date(2025, 8, 1),
        None,
        (("active", date(2025, 1, 10)), ("under_attack", date(2025, 4, 1))),
        "under_attack",
    ),
    "history after the day is not yet known": (
        "under_attack",
        None,
        None,
        (("active", date(2025, 1, 10)), ("under_attack", date(2025, 7, 15))),
        "active",
    ),
    "history only after the day: the dated columns": (
        "cleared",
        date(2025, 3, 1),
        None,
        (("cleared", date(2025, 7, 1)),),
        "cleared",
    ),
    "same day, two changes: the later row wins": (
        "active",
        None,
        None,
        (("under_attack", date(2025, 6, 1)), ("active", date(2025, 6, 1))),
        "active",
    ),
    "same day, the other order": (
        "under_attack",
        None,
        None,
        (("active", date(2025, 6, 1)), ("under_attack", date(2025, 6, 1))),
        "under_attack",
    ),
}


def _spot(
    session: Session, owner: int, case: tuple[str, date | None, date | None, History, str]
) -> int:
    status, cleared, relapsed, history, _ = case
    spot = Hotspot(
        geom=WKTElement("POINT(106.005 10.005)", srid=4326),
        kind="den",
        status=status,
        detected_on=date(2025, 1, 1),
        cleared_on=cleared,
        relapsed_on=relapsed,
        source="patrol",
        admin_unit_id=owner,
    )
    session.add(spot)
    session.flush()
    for state, day in history:
        session.add(HotspotStatusChange(hotspot_id=spot.id, status=state, changed_on=day))
        session.flush()  # ids in this order: the later row wins a same-day tie
    return spot.id


def test_the_rule_on_each_case(empty_db: str, engine_for: Callable[[str], Engine]) -> None:
    with Session(engine_for(empty_db)) as session:
        unit = AdminUnit(
            code="99",
            name="test 99",
            level="province",
            layout="2025",
            geom=WKTElement(
                "MULTIPOLYGON(((106 10,106.01 10,106.01 10.01,106 10.01,106 10)))", srid=4326
            ),
            valid_from=date(2009, 4, 1),
            source="test",
        )
        session.add(unit)
        session.flush()
        ids = {name: _spot(session, unit.id, case) for name, case in CASES.items()}
        gone = _spot(session, unit.id, CASES["no history, active"])
        later = _spot(session, unit.id, CASES["no history, active"])
        session.execute(
            sa.text("UPDATE hotspot SET deleted_at = now() WHERE id = :gone"), {"gone": gone}
        )
        session.execute(
            sa.text("UPDATE hotspot SET detected_on = DATE '2025-07-01' WHERE id = :later"),
            {"later": later},
        )
        by_row = dict(
            session.execute(
                sa.text(
                    "SELECT h.id, s.status FROM hotspot h CROSS JOIN LATERAL "
                    "hotspot_status_on(h.id, h.status, h.cleared_on, h.relapsed_on, :on) s"
                ),
                {"on": DAY},
            ).all()
        )
        as_set = dict(
            session.execute(sa.text("SELECT * FROM hotspot_statuses_on(:on)"), {"on": DAY}).all()
        )
    for name, case in CASES.items():
        assert by_row[ids[name]] == case[4], name
        assert as_set[ids[name]] == case[4], name
    # the set form holds the hotspots standing on the day: not deleted, detected by then
    assert set(as_set) == set(ids.values()) and {gone, later} <= set(by_row)


def test_active_statuses(empty_db: str, engine_for: Callable[[str], Engine]) -> None:
    with engine_for(empty_db).connect() as conn:
        active = {
            status
            for status in ("active", "under_attack", "relapsed", "cleared")
            if conn.scalar(sa.text("SELECT hotspot_is_active(:s)"), {"s": status})
        }
    assert active == {"active", "under_attack", "relapsed"}


def _tile_statuses(session: Session, on: date) -> dict[int, str]:
    """The tile rows of one z6 tile over Trà Vinh and Vĩnh Long, read from the tile .sql."""
    tiles = get_layer("hotspots").tiles
    assert tiles is not None
    text = sa.text(tiles.sql())
    params = {"z": 6, "x": 50, "y": 30, "on": on, "margin": 0, "scope": None}
    return {row.id: row.status for row in session.execute(text, params)}


@pytest.mark.parametrize("on", [date(2025, 7, 31), date(2025, 10, 31), date(2025, 12, 31)])
def test_layer_tiles_summary_and_derived_agree(demo_session: Session, on: date) -> None:
    asked = FeatureQuery(
        "hotspots", LayerQuery(as_of=on, area_code="86"), properties=("id", "status")
    )
    rows = features.page(demo_session, asked)
    layer = {row["id"]: row["status"] for row in rows}
    assert layer and len(set(layer.values())) > 1
    tiles = _tile_statuses(demo_session, on)
    assert {key: tiles[key] for key in layer} == layer
    counts = Counter(layer.values())
    figures = summary(demo_session, area_code="86", on=on, scope_unit_id=None)
    assert figures.hotspots == {key: counts.get(key, 0) for key in figures.hotspots}
    national = summary(demo_session, area_code=None, on=on, scope_unit_id=None)
    everywhere = features.page(
        demo_session, FeatureQuery("hotspots", LayerQuery(as_of=on), properties=("status",))
    )
    assert national.hotspots_total == len(everywhere)
    assert national.hotspots == {
        key: sum(1 for row in everywhere if row["status"] == key) for key in national.hotspots
    }
    communes = _communes_of(demo_session, "86", on)
    derived = inputs_for_units(demo_session, communes, on).values()
    active = sum(counts[key] for key in ("active", "under_attack", "relapsed"))
    assert sum(int(values["active_hotspots_all"] or 0) for values in derived) == active
    not_cleared = len(layer) - counts["cleared"]
    assert sum(int(values["hotspots_not_cleared"] or 0) for values in derived) == not_cleared


def _communes_of(session: Session, province: str, on: date) -> list[int]:
    """The communes in force on ``on`` whose point on surface lies in the province of the 2025
    map (as the layer's area filter reads it)."""
    return list(
        session.scalars(
            sa.text(
                "SELECT c.id FROM admin_unit c JOIN admin_unit p ON p.code = :code "
                "AND p.level = 'province' AND p.valid_to IS NULL "
                "WHERE c.level = 'commune' AND c.valid_from <= :on "
                "AND (c.valid_to IS NULL OR c.valid_to > :on) "
                "AND ST_Covers(p.geom, ST_PointOnSurface(c.geom))"
            ),
            {"code": province, "on": on},
        )
    )


# A copy of the rule reads the history latest first to pick a status: "ORDER BY ...
# changed_on DESC" in SQL, or ``.order_by(...changed_on.desc()...)`` in SQLAlchemy.
COPIES = (
    re.compile(r"order\s+by[^;)]*changed_on\s+desc", re.IGNORECASE | re.DOTALL),
    re.compile(r"order_by\([^)]*changed_on\.desc\(\)", re.DOTALL),
)


def test_the_rule_is_defined_once() -> None:
    migrations = GEO_APP / "migrations"
    sources = [
        path
        for pattern in ("*.py", "*.sql")
        for path in GEO_APP.rglob(pattern)
        if migrations not in path.parents
    ]
    assert len(sources) > 50
    copies = [
        str(path.relative_to(GEO_APP))
        for path in sources
        if "hotspot_status_change" in (text := path.read_text(encoding="utf-8")).lower()
        or "HotspotStatusChange" in text
        if any(copy.search(text) for copy in COPIES)
    ]
    assert copies == []
    # the copies this replaced are caught (the check is not vacuous)
    old_sql = "WHERE c.hotspot_id = h.id\n ORDER BY c.changed_on DESC, c.id DESC LIMIT 1"
    old_py = ".order_by(HotspotStatusChange.changed_on.desc(), HotspotStatusChange.id.desc())"
    old_summary = ".order_by(change.hotspot_id, change.changed_on.desc(), change.id.desc())"
    assert all(any(copy.search(old) for copy in COPIES) for old in (old_sql, old_py, old_summary))
