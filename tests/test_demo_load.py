"""The demo loader on real PostGIS: tiling hamlets, containment, 24 months, campaigns.

Runs on the database the shared ``demo_db`` fixture loads with ``load_demo`` (the real path of
``geo-app load-demo``: real boundaries from data/boundaries, then the demo features).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app.demo import synth
from geo_app.demo.load import read_campaigns


@pytest.fixture(scope="module")
def loaded(demo_db: str) -> Iterator[tuple[Session, dict[str, int]]]:
    """The demo as `geo-app load-demo` loads it (shared session fixture), with its counts."""
    engine = sa.create_engine(demo_db, poolclass=sa.NullPool)
    with Session(engine) as session:
        counts = session.execute(
            sa.text("SELECT summary -> 'demo' FROM data_load WHERE name = 'demo'")
        ).scalar_one()
        yield session, counts
        session.rollback()
    engine.dispose()


def scalar(session: Session, sql: str, **params: object) -> object:
    return session.execute(sa.text(sql), params).scalar()


def test_counts_reported_and_everything_demo(loaded: tuple[Session, dict[str, int]]) -> None:
    session, counts = loaded
    assert counts["communes_2025"] == 41 + 4 + 3 + 65
    assert counts["communes_pre2025"] >= 105 + 12 + 16 + 200
    assert counts["routes"] == 1 and counts["campaigns"] == 4
    for table in ("hotspot", "hotline_board", "tipoff_box", "cultivation_site", "route",
                  "indicator", "campaign"):  # fmt: skip
        total = scalar(session, f"SELECT count(*) FROM {table}")
        assert total and scalar(session, f"SELECT bool_and(is_demo) FROM {table}") is True
    hamlets = scalar(session, "SELECT count(*) FROM admin_unit WHERE is_demo")
    assert hamlets == counts["hamlets"]


def test_hamlets_tile_their_commune(loaded: tuple[Session, dict[str, int]]) -> None:
    session, _ = loaded
    rows = session.execute(
        sa.text(
            """
            SELECT c.code, count(*) AS n,
                   ST_Area(ST_SymDifference(ST_Union(h.geom), c.geom)) / ST_Area(c.geom) AS diff,
                   sum(ST_Area(h.geom)) / ST_Area(c.geom) AS cover,
                   bool_and(h.source = 'synthetic: subdivision of ' || c.code || ' (demo)') AS src
            FROM admin_unit h JOIN admin_unit c ON c.id = h.parent_id
            WHERE h.is_demo GROUP BY c.id
            """
        )
    ).all()
    assert len(rows) == 113
    for r in rows:
        assert 6 <= r.n <= 20 and r.src
        assert r.diff < 1e-7 and abs(r.cover - 1) < 1e-7, r.code
    kinds = dict(
        session.execute(
            sa.text(
                "SELECT h.code, h.kind FROM admin_unit h WHERE h.code IN "
                "('29410-T01', '29242-T01', '06172-T01', '19996-T01', '27592-T01')"
            )
        ).all()
    )
    assert kinds == {
        "29410-T01": "ấp",
        "29242-T01": "khóm",
        "06172-T01": "thôn",
        "19996-T01": "tổ dân phố",
        "27592-T01": "ấp",
    }


@pytest.mark.parametrize("table", ["hotspot", "hotline_board", "tipoff_box", "cultivation_site"])
def test_features_lie_in_their_unit(loaded: tuple[Session, dict[str, int]], table: str) -> None:
    session, _ = loaded
    outside = scalar(
        session,
        f"SELECT count(*) FROM {table} f JOIN admin_unit u ON u.id = f.admin_unit_id "
        "WHERE NOT ST_Covers(u.geom, f.geom) OR NOT u.is_demo",
    )
    assert outside == 0


def test_hotspot_histories(loaded: tuple[Session, dict[str, int]]) -> None:
    session, counts = loaded
    assert (
        scalar(session, "SELECT count(*) FROM hotspot_status_change")
        == counts["hotspot_status_changes"]
    )
    bad = scalar(
        session,
        """
        SELECT count(*) FROM hotspot h WHERE
          (SELECT status FROM hotspot_status_change c WHERE c.hotspot_id = h.id
           ORDER BY changed_on DESC, id DESC LIMIT 1) <> h.status
          OR (SELECT min(changed_on) FROM hotspot_status_change c WHERE c.hotspot_id = h.id)
             <> h.detected_on
        """,
    )
    assert bad == 0


def test_indicators_for_24_months(loaded: tuple[Session, dict[str, int]]) -> None:
    session, counts = loaded
    months = session.execute(
        sa.text(
            "SELECT u.layout, count(DISTINCT i.month), count(DISTINCT u.id) FROM indicator i "
            "JOIN admin_unit u ON u.id = i.admin_unit_id GROUP BY u.layout"
        )
    ).all()
    assert {(r[0], r[1]) for r in months} == {("2025", 24), ("pre2025", 24)}
    per_unit = session.execute(
        sa.text("SELECT admin_unit_id, count(*) FROM indicator GROUP BY 1 HAVING count(*) <> 24")
    ).all()
    assert per_unit == []
    # old units carry exactly their share: sums over Hóc Môn's 12 equal its 4 new communes
    sums = session.execute(
        sa.text(
            "SELECT u.layout, sum(i.addicts_registered) FROM indicator i "
            "JOIN admin_unit u ON u.id = i.admin_unit_id "
            "WHERE u.code IN ('27559','27568','27577','27592') "
            "OR u.parent_id IN (SELECT id FROM admin_unit WHERE code = '784') "
            "GROUP BY u.layout"
        )
    ).all()
    assert len(sums) == 2 and sums[0][1] == sums[1][1]


def test_campaigns_with_phases_targets_and_baselines(
    loaded: tuple[Session, dict[str, int]],
) -> None:
    session, _ = loaded
    rows = {
        r.code: r
        for r in session.execute(
            sa.text(
                "SELECT c.code, c.document_number, c.goal_count, "
                "(SELECT count(*) FROM phase p WHERE p.campaign_id = c.id) AS phases, "
                "(SELECT count(*) FROM campaign_target t WHERE t.campaign_id = c.id) AS targets, "
                "(SELECT count(*) FROM campaign_baseline b WHERE b.campaign_id = c.id) AS base "
                "FROM campaign c"
            )
        )
    }
    assert {c: (r.phases, r.targets) for c, r in rows.items()} == {
        "huong-van-2023": (3, 1),
        "hoc-mon-2024": (1, 12),
        "tra-vinh-2025": (3, 21),
        "hoang-van-thu-2025": (1, 1),
    }
    assert rows["tra-vinh-2025"].document_number == "16/KH-UBND"
    assert rows["tra-vinh-2025"].goal_count == 21
    # a baseline is stored where the demo has counts for its month (2024-01 on)
    assert {c: r.base == r.targets for c, r in rows.items()} == {
        "huong-van-2023": False,
        "hoc-mon-2024": True,
        "tra-vinh-2025": True,
        "hoang-van-thu-2025": True,
    }
    layouts = session.execute(
        sa.text(
            "SELECT c.code, array_agg(DISTINCT u.layout) FROM campaign_target t "
            "JOIN campaign c ON c.id = t.campaign_id JOIN admin_unit u ON u.id = t.admin_unit_id "
            "GROUP BY c.code"
        )
    ).all()
    expected = {c["code"]: [c["layout"]] for c in read_campaigns()}
    assert {code: list(lay) for code, lay in layouts} == expected


def test_route_and_planned_classes_hold(loaded: tuple[Session, dict[str, int]]) -> None:
    session, _ = loaded
    crossed = {
        r[0]
        for r in session.execute(
            sa.text(
                "SELECT u.code FROM admin_unit u JOIN route r ON ST_Intersects(u.geom, r.geom) "
                "WHERE u.layout = '2025' AND CAST(u.level AS text) = 'commune'"
            )
        )
    }
    assert {"29242", "29416"} <= crossed and len(crossed) >= 5
    active = dict(
        session.execute(
            sa.text(
                "SELECT c.code, count(*) FROM hotspot h "
                "JOIN admin_unit u ON u.id = h.admin_unit_id "
                "JOIN admin_unit c ON c.id = u.parent_id "
                "WHERE h.kind IN ('den','retail','complex_point') AND h.status = 'active' "
                "GROUP BY c.code"
            )
        ).all()
    )
    # type I units also get a re-emergence pair: one more active point
    assert active.get("06184") == 5 + 1 and active.get("05977") == 4 and active.get("29341") == 3
    fields = session.execute(
        sa.text("SELECT plant_count, area_m2 FROM cultivation_site WHERE status = 'active'")
    ).all()
    assert sorted((p, round(float(a), -2)) for p, a in fields) == [(200, 300.0), (800, 1500.0)]
    assert synth.plan_for("29242").intended == "type_1"


def test_huong_van_counts_its_residential_groups_during_its_campaign(demo_session: Session) -> None:
    """The 2023-24 Hương Vân plan is about its residential groups: they are on the map on its
    own dates, so its last day gives real verdicts, not "insufficient data"."""
    from geo_app.services.campaigns.evaluate import evaluate_campaign

    (target,) = evaluate_campaign(
        demo_session, "huong-van-2023", on=date(2024, 5, 14), actor="test"
    )
    assert target.verdict in ("recognised", "not_recognised")
    criteria = demo_session.execute(
        sa.text("SELECT inputs, criteria FROM evaluation WHERE id = :id"),
        {"id": target.evaluation_id},
    ).one()
    assert criteria.inputs["residential_groups_total"] > 0
    verdicts = {c["id"]: c["verdict"] for c in criteria.criteria}
    for criterion in ("hv.propaganda", "hv.models", "hv.boxes"):
        assert verdicts[criterion] in ("met", "not_met"), criterion
    groups = demo_session.execute(
        sa.text(
            "SELECT count(*) FROM admin_unit g JOIN admin_unit w ON w.code = '20008' "
            "AND w.layout = 'pre2025' AND ST_Covers(w.geom, ST_PointOnSurface(g.geom)) "
            "WHERE g.level = 'residential_group' AND g.valid_from <= DATE '2023-09-25'"
        )
    ).scalar_one()
    assert groups == criteria.inputs["residential_groups_total"]
