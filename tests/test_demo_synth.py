"""The demo generators: tiling, containment, dated histories, consistent counts, determinism.

Real commune boundaries are used (the project's data/boundaries), because tiling bugs show on
real, ragged, multi-part shapes.
"""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import pyogrio
import pytest
import shapely
from shapely.geometry.base import BaseGeometry

from geo_app.demo import synth
from geo_app.domain.vocabulary import RANKED_CLASSES

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 6, 1)
SEED = 20250701
COMMUNES_2025 = ROOT / "data" / "boundaries" / "2025" / "vn_communes_2025.geojson.gz"


@cache
def communes() -> dict[str, tuple[str, str, BaseGeometry]]:
    """code -> (province code, name, geometry) of every full-resolution seed-area commune."""
    frame = pyogrio.read_dataframe(f"/vsigzip/{COMMUNES_2025}")
    frame = frame[frame.geom_source == "full_resolution"]
    return {
        str(row.code): (str(row.parent_code), str(row.name), row.geometry)
        for row in frame.itertuples()
    }


@cache
def hamlets(code: str) -> list[BaseGeometry]:
    geom = communes()[code][2]
    return list(synth.subdivide(geom, synth.hamlet_count(geom), SEED))


@pytest.mark.parametrize("code", ["29242", "29512", "29536", "06172", "27559", "19996"])
def test_subdivide_tiles_the_commune(code: str) -> None:
    commune = communes()[code][2]
    parts = hamlets(code)
    assert 6 <= len(parts) <= 20
    assert all(p.is_valid and not p.is_empty for p in parts)
    assert all(p.geom_type in ("Polygon", "MultiPolygon") for p in parts)
    union = shapely.union_all(parts)
    assert union.symmetric_difference(commune).area <= 1e-9 * commune.area
    assert sum(p.area for p in parts) == pytest.approx(commune.area, rel=1e-9)
    for i, a in enumerate(parts):
        for b in parts[i + 1 :]:
            assert a.intersection(b).area <= 1e-12 * commune.area


def test_subdivide_is_deterministic_and_seeded() -> None:
    commune = communes()["29242"][2]
    first = synth.subdivide(commune, 8, 3)
    again = synth.subdivide(commune, 8, 3)
    other = synth.subdivide(commune, 8, 4)
    assert [p.wkb for p in first] == [p.wkb for p in again]
    assert [p.wkb for p in first] != [p.wkb for p in other]


def test_subdivide_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        synth.subdivide(communes()["29242"][2], 0, 1)


def _check_history(h: synth.HotspotSpec) -> None:
    assert h.history[0] == ("active", h.detected_on)
    days = [d for _, d in h.history]
    assert days == sorted(days)
    assert h.history[-1][0] == h.status
    if h.status == "active":
        assert h.cleared_on is None and h.relapsed_on is None
    if h.status == "cleared":
        assert h.cleared_on is not None and h.cleared_on >= h.detected_on
        assert h.relapsed_on is None
    if h.status == "relapsed":
        assert h.cleared_on is not None and h.relapsed_on is not None
        assert h.detected_on <= h.cleared_on < h.relapsed_on
    assert h.detected_on <= synth.DATA_END
    assert h.notes.startswith("demo:")


@pytest.mark.parametrize("code", sorted(synth.PLANS))
def test_hotspots_inside_with_consistent_dates(code: str) -> None:
    plan = synth.plan_for(code)
    parts = hamlets(code)
    spots = synth.hotspots_for(code, plan, parts, SEED)
    commune = communes()[code][2]
    for h in spots:
        assert commune.contains(h.geom)
        _check_history(h)
        if plan.drug_free_from and h.status == "cleared":
            assert h.cleared_on is not None and h.cleared_on < plan.drug_free_from
    counted = [h for h in spots if h.kind in synth.COUNTED_KINDS]
    assert sum(h.status in synth.ACTIVE_STATUSES for h in counted) == plan.active_hotspots + (
        1 if plan.intended == "type_1" else 0
    )
    assert synth.hotspots_for(code, plan, parts, SEED) == spots


def test_boards_and_boxes() -> None:
    ages = []
    for code in ("29242", "29410", "06172", "27592"):
        province, _, commune = communes()[code]
        parts = hamlets(code)
        complete = synth.plan_for(code).is_target
        boards = synth.boards_for(code, province, parts, complete=complete, as_of=AS_OF, seed=1)
        boxes = synth.boxes_for(code, parts, complete=complete, as_of=AS_OF, seed=1)
        if complete:
            assert len(boards) == len(parts) + 2 and len(boxes) == len(parts)
            assert {b.condition for b in boards} == {"good"}
        for b in boards:
            assert commune.contains(b.geom)
            assert b.installed_on <= b.last_checked_on <= AS_OF
            assert b.phones and all(p.startswith(synth.AREA_CODES[province][0]) for p in b.phones)
            ages.append((AS_OF - b.last_checked_on).days)
        for x in boxes:
            assert commune.contains(x.geom)
            assert x.installed_on <= x.last_opened_on <= AS_OF
            days = [i.inspected_on for i in x.inspections]
            assert days == sorted(days) and all(x.installed_on <= d <= AS_OF for d in days)
            assert all(0 <= i.letters_forwarded <= i.letters_received for i in x.inspections)
    assert max(ages) > 90 and min(ages) < 60


def test_phone_formats() -> None:
    rng = synth.rng_for(1, "phones")
    tv = synth.phone_number("86", rng)
    hcm = synth.phone_number("79", rng)
    assert tv.startswith("0294 3") and len(tv.replace(" ", "")) == 11
    assert hcm.startswith("028 3") and len(hcm.replace(" ", "")) == 11


def test_cultivation_inside_a_hamlet_with_requested_area() -> None:
    for code, plan in synth.PLANS.items():
        sites = synth.cultivation_for(code, plan, hamlets(code), SEED)
        assert len(sites) == len(plan.cultivation)
        for site, want in zip(sites, plan.cultivation, strict=True):
            assert any(h.contains(site.geom) for h in hamlets(code))
            assert synth.area_km2(site.geom) * 1e6 == pytest.approx(want.area_m2, rel=0.02)
            if site.eradicated_on:
                assert site.eradicated_on >= site.detected_on


def test_indicators_consistent_for_24_months() -> None:
    for code in list(synth.PLANS) + ["29374", "06001"]:
        plan = synth.plan_for(code)
        rows = synth.monthly_indicators(code, plan, households=2500, n_hamlets=9, seed=SEED)
        assert [m for m, _ in rows] == synth.demo_months()
        assert len(rows) == 24
        for month, row in rows:
            assert set(row) == set(synth.INDICATOR_COLUMNS)
            assert all(v >= 0 for v in row.values())
            for part, whole in synth.PARTS:
                assert row[part] <= row[whole], (code, month, part)
            if plan.drug_free_from and month >= plan.drug_free_from:
                assert row["addicts_registered"] == row["drug_users"] == 0
                assert row["households_committed"] == row["households_total"]
        assert rows == synth.monthly_indicators(code, plan, households=2500, n_hamlets=9, seed=SEED)


def test_apportion_keeps_sums_and_parts() -> None:
    assert synth.apportion(10, [1, 1, 1]) == [4, 3, 3]
    assert synth.apportion(0, [0.2, 0.8]) == [0, 0]
    row = synth.monthly_indicators("29242", synth.plan_for("29242"), households=4000,
                                   n_hamlets=8, seed=1)[0][1]  # fmt: skip
    parts = synth.apportion_row(row, [0.5, 0.3, 0.2])
    assert sum(p["addicts_registered"] for p in parts) == row["addicts_registered"]
    for p in parts:
        assert all(p[a] <= p[b] for a, b in synth.PARTS)


def _route() -> tuple[BaseGeometry, set[str]]:
    units = communes()
    anchors = [units[c][2].representative_point() for c in synth.ROUTE_WAYPOINTS]
    route = synth.key_route(anchors, SEED)
    crossed = {code for code, (_, _, g) in units.items() if g.intersects(route)}
    return route, crossed


def test_route_crosses_several_communes_without_breaking_plans() -> None:
    route, crossed = _route()
    assert route.is_valid and len(crossed) >= 5
    assert {"29242", "29416"} <= crossed
    assert synth.route_conflicts(crossed, {c: synth.plan_for(c) for c in communes()}) == []


def _classify(a: int, h: int, p: int, s: float, t: bool, presence: bool) -> str:
    """The DESIGN §4 rule without R (population is not known for 2025 units)."""
    band3 = 20 <= a < 60 or 1 <= h <= 2 or 0 < p < 500 or 0 < s < 1000
    band2 = 60 <= a < 100 or 3 <= h <= 4 or 500 <= p < 3000 or 1000 <= s < 2000
    if a >= 100 or h >= 5 or p >= 3000 or s >= 2000 or (band2 and t):
        return "type_1"
    if band2 or (band3 and t):
        return "type_2"
    if band3:
        return "type_3"
    return "less_complex" if presence else "drug_free"


def test_every_class_somewhere_and_as_planned() -> None:
    _, crossed = _route()
    seen = set()
    for code in communes():
        plan = synth.plan_for(code)
        parts = hamlets(code)
        last = synth.monthly_indicators(code, plan, households=3000, n_hamlets=len(parts),
                                        seed=SEED)[-1][1]  # fmt: skip
        spots = synth.hotspots_for(code, plan, parts, SEED)
        h = sum(x.kind in synth.COUNTED_KINDS and x.status in synth.ACTIVE_STATUSES for x in spots)
        fields = [c for c in synth.cultivation_for(code, plan, parts, SEED) if c.status == "active"]
        p = sum(c.plant_count for c in fields)
        s = sum(synth.area_km2(c.geom) * 1e6 for c in fields)
        a = last["addicts_registered"]
        presence = any(
            last[k] for k in ("drug_users", "offenders_resident", "drug_cases_by_residents")
        ) or bool(a or h or p or any(x.status in synth.ACTIVE_STATUSES for x in spots))
        got = _classify(a, h, p, s, code in crossed, presence)
        assert got == plan.intended, (code, plan, a, h, p, s)
        seen.add(got)
    assert seen == set(RANKED_CLASSES)


def test_hamlet_styles() -> None:
    assert synth.hamlet_style("86", "Xã Long Hoà").kind == "ấp"
    assert synth.hamlet_style("86", "Phường Trà Vinh").kind == "khóm"
    assert synth.hamlet_style("20", "Xã Hoàng Văn Thụ").kind == "thôn"
    assert synth.hamlet_style("46", "Phường Hương Trà").level == "residential_group"
    assert synth.hamlet_code("29242", 3) == "29242-T03"
