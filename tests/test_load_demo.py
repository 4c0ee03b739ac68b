"""geo-app load-demo: the real boundaries arrive whole, flagged correctly, and only once."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from geo_app.demo.pipeline import load_demo

COUNT_TABLES = (
    "admin_unit",
    "crosswalk",
    "hotspot",
    "hotline_board",
    "tipoff_box",
    "cultivation_site",
    "route",
    "indicator",
    "campaign",
    "phase",
    "campaign_target",
    "audit_log",
    "data_load",
)


def _counts(conn: sa.Connection) -> dict[str, int]:
    return {t: int(conn.scalar(sa.text(f'SELECT count(*) FROM "{t}"'))) for t in COUNT_TABLES}


def test_2025_layout_is_complete(demo_session: Session) -> None:
    rows = dict(
        demo_session.execute(
            sa.text(
                "SELECT level::text, count(*) FROM admin_unit "
                "WHERE layout = '2025' AND valid_to IS NULL AND NOT is_demo GROUP BY 1"
            )
        ).all()
    )
    assert rows == {"province": 34, "commune": 3321}
    orphans = demo_session.scalar(
        sa.text(
            "SELECT count(*) FROM admin_unit WHERE level = 'commune' AND layout = '2025' "
            "AND parent_id IS NULL"
        )
    )
    assert orphans == 0
    vinh_long = demo_session.scalar(
        sa.text(
            "SELECT count(*) FROM admin_unit c JOIN admin_unit p ON p.id = c.parent_id "
            "WHERE p.code = '86' AND c.level = 'commune' AND c.valid_to IS NULL"
        )
    )
    assert vinh_long == 124


def test_2025_population_is_an_estimate_carried_from_the_census(demo_session: Session) -> None:
    total, estimated, communes = demo_session.execute(
        sa.text(
            "SELECT sum(population), count(*) FILTER (WHERE population_is_estimate), count(*) "
            "FROM admin_unit WHERE level = 'commune' AND layout = '2025'"
        )
    ).one()
    assert estimated == communes == 3321
    # The census file's communes sum to 77,501,046 people (about 2013 units with 2009 counts;
    # cities are undercounted there). The area-weighted overlay must neither lose nor add people.
    assert abs(total - 77_501_046) < 1_000


def test_pre2025_units_of_the_seed_areas(demo_session: Session) -> None:
    rows = dict(
        demo_session.execute(
            sa.text(
                "SELECT p.code, count(*) FROM admin_unit c "
                "JOIN admin_unit d ON d.id = c.parent_id JOIN admin_unit p ON p.id = d.parent_id "
                "WHERE c.layout = 'pre2025' AND c.level = 'commune' GROUP BY 1"
            )
        ).all()
    )
    assert rows["84"] == 105  # Trà Vinh, census layout
    assert rows["20"] == 226  # Lạng Sơn
    assert rows["79"] == 12 and rows["46"] == 16  # Hóc Môn district, Hương Trà town
    closed = demo_session.scalar(
        sa.text("SELECT count(*) FROM admin_unit WHERE layout = 'pre2025' AND valid_to IS NULL")
    )
    assert closed == 0  # every pre-2025 unit ends at the merger


def test_crosswalk_checked_where_both_layouts_are_loaded(demo_session: Session) -> None:
    total, checked, tra_vinh_full = demo_session.execute(
        sa.text(
            "SELECT count(*), count(*) FILTER (WHERE overlay_checked), "
            "count(*) FILTER (WHERE overlay_checked AND relation = 'full' "
            "                 AND new_code IN (SELECT code FROM admin_unit u JOIN "
            "                   (SELECT id FROM admin_unit WHERE code = '86') p "
            "                   ON u.parent_id = p.id)) "
            "FROM crosswalk"
        )
    ).one()
    assert total > 10_000
    assert checked > 100
    assert tra_vinh_full > 20


def test_second_load_adds_nothing(demo_db: str, engine_for: Callable[[str], Engine]) -> None:
    engine = engine_for(demo_db)
    with engine.connect() as conn:
        before = _counts(conn)
    with Session(engine) as session, session.begin():
        report = load_demo(session, actor="test")
    assert "already loaded" in report
    with engine.connect() as conn:
        assert _counts(conn) == before
        demo = conn.execute(sa.text("SELECT name, is_demo FROM data_load")).all()
    assert [(d.name, d.is_demo) for d in demo] == [("demo", True)]
