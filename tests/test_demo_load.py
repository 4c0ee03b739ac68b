"""The demo loader on real PostGIS: tiling hamlets, containment, 24 months, campaigns.

Boundaries come from the shared real data (the seed-area subsets), imported with the project's
own importer into a throwaway ``h4_*`` database; provinces and districts are dissolved from them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import geopandas as gpd
import pytest
import sqlalchemy as sa
from conftest import create_database, drop_database
from sqlalchemy.orm import Session

from geo_app.demo import synth
from geo_app.demo.load import load_demo_features, read_campaigns
from geo_app.migrations_api import upgrade
from geo_app.services.boundaries import FieldMap, import_frame

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data" / "boundaries"
NEW = ("tra_vinh_former_province", "hoc_mon_former_district", "huong_tra_former_town", "lang_son")
OLD = {"tra_vinh": "84", "hoc_mon": "79", "huong_tra": "46", "lang_son": "20"}
AS_OF = date(2026, 6, 1)


def _frame(rows: gpd.GeoDataFrame, **columns: object) -> gpd.GeoDataFrame:
    data = {k: list(v) if not isinstance(v, str) else v for k, v in columns.items()}
    return gpd.GeoDataFrame(data, geometry=list(rows.geometry), crs="EPSG:4326")


def _import(session: Session, frame: gpd.GeoDataFrame, level: str, layout: str) -> None:
    parent = "parent_code" if "parent_code" in frame else None
    import_frame(
        session,
        frame,
        level=level,
        layout=layout,
        fields=FieldMap(code="code", name="name", parent_code=parent, kind="kind"),
        actor="test",
        source=f"test {layout} {level}",
    )


def load_boundaries(session: Session) -> None:
    """2025 provinces and communes; pre-2025 provinces, districts and communes (census ids)."""
    new = pd_concat([gpd.read_file(SHARED / "2025" / f"{n}_2025_wards.geojson") for n in NEW])
    new["code"] = new["code"].astype(str)
    provinces = new.dissolve(by="province_code").reset_index()
    _import(session, _frame(provinces, code=provinces.province_code, name=provinces.province_dir),
            "province", "2025")  # fmt: skip
    kinds = new.fullName.str.split(" ").str[0].str.lower()
    _import(session, _frame(new, code=new.code, name=new.fullName, parent_code=new.province_code,
                            kind=kinds), "commune", "2025")  # fmt: skip
    old = pd_concat(
        [gpd.read_file(SHARED / "pre2025" / f"{n}_pre2025_censusVN2009.geojson") for n in OLD]
    )
    old["province_code"] = [OLD[k] for k in old.province.map(_area_key)]
    old["district_code"] = old.district_id.astype(int).astype(str)
    old["commune_code"] = old.commune_id.astype(int).astype(str)
    prov = old.dissolve(by="province_code").reset_index()
    _import(session, _frame(prov, code=prov.province_code, name=prov.province_vn), "province",
            "pre2025")  # fmt: skip
    dist = old.dissolve(by="district_code").reset_index()
    _import(session, _frame(dist, code=dist.district_code, name=dist.district_vn,
                            parent_code=dist.province_code), "district", "pre2025")  # fmt: skip
    _import(session, _frame(old, code=old.commune_code, name=old.commune_vn,
                            parent_code=old.district_code), "commune", "pre2025")  # fmt: skip


def _area_key(province: str) -> str:
    return {"Tra Vinh": "tra_vinh", "Ho Chi Minh": "hoc_mon", "Thua Thien Hue": "huong_tra"}.get(
        province, "lang_son"
    )


def pd_concat(frames: list[gpd.GeoDataFrame]) -> gpd.GeoDataFrame:
    import pandas as pd

    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326")


@pytest.fixture(scope="module")
def loaded() -> Iterator[tuple[Session, dict[str, int]]]:
    url = create_database("h4_demo")
    try:
        upgrade(url)
        engine = sa.create_engine(url, poolclass=sa.NullPool)
        with Session(engine) as session:
            with session.begin():
                load_boundaries(session)
            with session.begin():
                counts = load_demo_features(session, actor="test", as_of=AS_OF)
            yield session, counts
        engine.dispose()
    finally:
        drop_database(url)


def scalar(session: Session, sql: str, **params: object) -> object:
    return session.execute(sa.text(sql), params).scalar()


def test_counts_reported_and_everything_demo(loaded: tuple[Session, dict[str, int]]) -> None:
    session, counts = loaded
    assert counts["communes_2025"] == 41 + 4 + 3 + 65
    assert counts["communes_pre2025"] >= 105 + 12 + 16 + 200
    assert counts["routes"] == 1 and counts["campaigns"] == 4
    assert counts["targets_unresolved"] == 0
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
            "WHERE u.code IN ('27559','27568','27577','27592') OR u.code LIKE '70137%' "
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
