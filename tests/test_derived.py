"""Derived inputs on real PostGIS: a small world of two communes, hamlets and dated features.

Layout (longitude × latitude, all at 10.00–10.01 N):

    province 99      106.000 ─────────────── 106.020
    commune 99001    106.000 ── 106.010                   (from 2024)
    commune 99002                106.010 ── 106.020       (from 2024)
    old commune 98001 covers both, in force 2009 – 2023
    hamlet 99001-T00 = all of 99001, 2024 only; then 99001-T01 (…–106.005), 99001-T02 (106.005–…)
    hamlet 99002-T01 106.010–106.015; residential group 99002-R01 106.015–106.020

Features lie inside one unit or exactly on a shared border, where the boundary rule
(docs/ENGINE.md) gives them to the smaller code: 99001 over 99002, T01 over T02.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from geoalchemy2 import WKTElement
from pyproj import Geod
from shapely.geometry import box as shapely_box
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from geo_app.errors import InvalidInput, NotFound
from geo_app.models import (
    AdminUnit,
    CultivationSite,
    HotlineBoard,
    Hotspot,
    HotspotStatusChange,
    Route,
    TipoffBox,
)
from geo_app.services.classification.derived import DERIVED_NAMES, inputs_for_units, unit_inputs

GEOD = Geod(ellps="WGS84")
DELETED = datetime(2025, 1, 1, tzinfo=UTC)


def square(x0: float, x1: float, y0: float = 10.00, y1: float = 10.01) -> WKTElement:
    ring = f"{x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}"
    return WKTElement(f"MULTIPOLYGON((({ring})))", srid=4326)


def point(x: float, y: float) -> WKTElement:
    return WKTElement(f"POINT({x} {y})", srid=4326)


def line(*coords: tuple[float, float]) -> WKTElement:
    text = ",".join(f"{x} {y}" for x, y in coords)
    return WKTElement(f"MULTILINESTRING(({text}))", srid=4326)


def geodesic_m2(x0: float, x1: float, y0: float, y1: float) -> Decimal:
    area, _ = GEOD.geometry_area_perimeter(shapely_box(x0, y0, x1, y1))
    return Decimal(abs(area))


@dataclass
class World:
    session: Session
    ids: dict[str, int]

    def at(self, code: str, on: date, **kw: date | None) -> dict[str, Any]:
        return dict(unit_inputs(self.session, self.ids[code], on, **kw))


def _unit(
    session: Session,
    code: str,
    level: str,
    geom: WKTElement,
    *,
    parent: int | None = None,
    valid: tuple[date, date | None] = (date(2024, 1, 1), None),
    layout: str = "2025",
) -> int:
    unit = AdminUnit(
        code=code,
        name=f"test {code}",
        level=level,
        layout=layout,
        parent_id=parent,
        geom=geom,
        valid_from=valid[0],
        valid_to=valid[1],
        source="test",
    )
    session.add(unit)
    session.flush()
    return unit.id


def _units(session: Session) -> dict[str, int]:
    ids: dict[str, int] = {}
    ids["99"] = _unit(
        session, "99", "province", square(106.0, 106.02), valid=(date(2009, 4, 1), None)
    )
    ids["99001"] = _unit(session, "99001", "commune", square(106.0, 106.01), parent=ids["99"])
    ids["99002"] = _unit(session, "99002", "commune", square(106.01, 106.02), parent=ids["99"])
    ids["98001"] = _unit(
        session,
        "98001",
        "commune",
        square(106.0, 106.02),
        valid=(date(2009, 4, 1), date(2024, 1, 1)),
        layout="pre2025",
    )
    a, b = ids["99001"], ids["99002"]
    ids["T00"] = _unit(
        session,
        "99001-T00",
        "hamlet",
        square(106.0, 106.01),
        parent=a,
        valid=(date(2024, 1, 1), date(2025, 1, 1)),
    )
    late = (date(2025, 1, 1), None)
    ids["T01"] = _unit(session, "99001-T01", "hamlet", square(106.0, 106.005), parent=a, valid=late)
    ids["T02"] = _unit(
        session, "99001-T02", "hamlet", square(106.005, 106.01), parent=a, valid=late
    )
    ids["B1"] = _unit(session, "99002-T01", "hamlet", square(106.01, 106.015), parent=b)
    ids["R1"] = _unit(session, "99002-R01", "residential_group", square(106.015, 106.02), parent=b)
    return ids


def _hotspot(
    session: Session,
    owner: int,
    xy: tuple[float, float],
    kind: str,
    history: list[tuple[str, date]],
    **columns: object,
) -> None:
    status, _ = history[-1] if history else ("active", None)
    spot = Hotspot(
        geom=point(*xy),
        kind=kind,
        status=columns.pop("status", status),
        detected_on=columns.pop("detected_on", history[0][1] if history else None),
        source="patrol",
        admin_unit_id=owner,
        **columns,
    )
    session.add(spot)
    session.flush()
    for state, day in history:
        session.add(HotspotStatusChange(hotspot_id=spot.id, status=state, changed_on=day))


def _hotspots(session: Session, province: int) -> None:
    """admin_unit_id is deliberately the province: ownership comes from geometry only."""
    h1 = [
        ("active", date(2025, 1, 10)),
        ("under_attack", date(2025, 3, 1)),
        ("cleared", date(2025, 5, 1)),
        ("relapsed", date(2025, 8, 1)),
    ]
    _hotspot(
        session,
        province,
        (106.002, 10.002),
        "den",
        h1,
        cleared_on=date(2025, 5, 1),
        relapsed_on=date(2025, 8, 1),
    )
    _hotspot(session, province, (106.007, 10.002), "use_site", [("active", date(2025, 2, 1))])
    _hotspot(session, province, (106.003, 10.008), "retail", [("active", date(2025, 6, 15))])
    _hotspot(
        session,
        province,
        (106.004, 10.004),
        "complex_point",
        [("active", date(2024, 2, 1))],
        deleted_at=DELETED,
    )
    _hotspot(session, province, (106.012, 10.003), "den", [("active", date(2024, 3, 1))])
    # exactly on the 99001 / 99002 border: 99001's (smaller code)
    _hotspot(session, province, (106.01, 10.005), "retail", [("active", date(2025, 1, 5))])
    # no history rows: read from its dated columns
    _hotspot(
        session,
        province,
        (106.006, 10.008),
        "den",
        [],
        status="cleared",
        detected_on=date(2025, 1, 1),
        cleared_on=date(2025, 3, 1),
    )


def _facility(
    session: Session,
    model: type[HotlineBoard] | type[TipoffBox],
    owner: int,
    xy: tuple[float, float],
    **kw: object,
) -> None:
    extra: dict[str, object] = {"phones": ["0294 3000 000"]} if model is HotlineBoard else {}
    session.add(model(geom=point(*xy), site="public_place", admin_unit_id=owner, **extra, **kw))


def _facilities(session: Session, province: int) -> None:
    early = date(2024, 1, 1)
    board, box = HotlineBoard, TipoffBox
    _facility(session, board, province, (106.002, 10.007), condition="good", installed_on=early)
    # on the T01 / T02 border: T01's
    _facility(session, board, province, (106.005, 10.004), condition="good", installed_on=early)
    # on the 99001-T02 / 99002-T01 border: 99001-T02's, from June 2025
    _facility(
        session, board, province, (106.01, 10.007), condition="good", installed_on=date(2025, 6, 1)
    )
    _facility(session, board, province, (106.012, 10.006), condition="damaged", installed_on=early)
    _facility(
        session,
        board,
        province,
        (106.013, 10.007),
        condition="good",
        installed_on=early,
        deleted_at=DELETED,
    )
    # no installation date: counts from the day it was entered (today)
    _facility(session, board, province, (106.014, 10.002), condition="good")
    _facility(
        session, box, province, (106.003, 10.003), condition="good", installed_on=date(2024, 6, 1)
    )
    _facility(
        session, box, province, (106.005, 10.006), condition="good", installed_on=date(2025, 3, 1)
    )
    _facility(session, box, province, (106.008, 10.005), condition="missing", installed_on=early)
    _facility(
        session,
        box,
        province,
        (106.012, 10.008),
        condition="damaged",
        installed_on=date(2025, 12, 1),
    )
    _facility(session, box, province, (106.017, 10.005), condition="good", installed_on=early)


FIELDS = {
    "c1": (106.001, 106.0015, 10.001, 10.0015),
    "c2": (106.006, 106.0065, 10.001, 10.0013),
    "c3": (106.011, 106.0112, 10.001, 10.0012),
    "c4": (106.002, 106.0025, 10.009, 10.0095),
    "c5": (106.0095, 106.0125, 10.004, 10.0045),
}


def _fields(session: Session, province: int) -> None:
    def add(name: str, plants: int | None, detected: date, status: str, **kw: object) -> None:
        x0, x1, y0, y1 = FIELDS[name]
        session.add(
            CultivationSite(
                geom=square(x0, x1, y0, y1),
                plant_count=plants,
                detected_on=detected,
                status=status,
                admin_unit_id=province,
                **kw,
            )
        )

    add("c1", 300, date(2025, 3, 1), "eradicated", eradicated_on=date(2025, 8, 1))
    add("c2", 1000, date(2025, 5, 1), "replanted", eradicated_on=date(2025, 6, 1))
    add("c3", 50, date(2024, 1, 1), "active", deleted_at=DELETED)
    add("c4", None, date(2025, 10, 1), "active")
    add("c5", 40, date(2025, 1, 1), "active")  # straddles the border, mostly in 99002


def _routes(session: Session) -> None:
    def add(geom: WKTElement, key: bool, **kw: object) -> None:
        session.add(Route(geom=geom, name="test", kind="road", is_key_route=key, **kw))

    add(line((105.99, 10.005), (106.004, 10.005)), True)  # crosses into 99001
    add(line((106.02, 10.0), (106.02, 10.01)), True)  # runs along 99002's east border only
    add(line((106.012, 9.99), (106.012, 10.02)), False)  # crosses 99002, not a key route
    add(line((106.013, 9.99), (106.013, 10.02)), True, deleted_at=DELETED)


@pytest.fixture
def world(empty_db: str, engine_for: Callable[[str], Engine]) -> Iterator[World]:
    with Session(engine_for(empty_db)) as session:
        ids = _units(session)
        _hotspots(session, ids["99"])
        _facilities(session, ids["99"])
        _fields(session, ids["99"])
        _routes(session)
        session.flush()
        yield World(session, ids)
        session.rollback()


# --- the boundary rule --------------------------------------------------------------------------


def test_boundary_rule_interior_wins_then_smallest_code(world: World) -> None:
    def owner(
        x: float, y: float, level: str = "commune", on: date = date(2025, 9, 1)
    ) -> int | None:
        return world.session.scalar(
            sa.text(
                "SELECT unit_at_point(ST_SetSRID(ST_MakePoint(:x, :y), 4326), "
                "CAST(:l AS admin_level), :on)"
            ),
            {"x": x, "y": y, "l": level, "on": on},
        )

    assert owner(106.005, 10.005) == world.ids["99001"]
    assert owner(106.015, 10.005) == world.ids["99002"]
    assert owner(106.01, 10.005) == world.ids["99001"]  # shared border: smaller code
    assert owner(106.005, 10.004, "hamlet") == world.ids["T01"]
    assert owner(106.01, 10.007, "hamlet") == world.ids["T02"]  # "99001-T02" < "99002-T01"
    assert owner(106.01, 10.005, on=date(2023, 6, 1)) == world.ids["98001"]  # units in force
    assert owner(106.03, 10.005) is None
    # a unit whose interior holds the point beats a smaller code that only has it on its border
    overlap = _unit(world.session, "99000", "commune", square(106.005, 106.015))
    assert owner(106.01, 10.005) == overlap
    assert owner(106.005, 10.005) == world.ids["99001"]  # on 99000's border, inside 99001


# --- hotspots ------------------------------------------------------------------------------------

HOTSPOT_NAMES = (
    "active_hotspots",
    "active_hotspots_all",
    "active_use_sites",
    "active_retail",
    "hotspots_not_cleared",
)


@pytest.mark.parametrize(
    ("on", "commune_a", "commune_b"),
    [
        (date(2024, 12, 31), (0, 0, 0, 0, 0), (1, 1, 0, 0, 1)),
        (date(2025, 2, 1), (3, 4, 1, 1, 4), (1, 1, 0, 0, 1)),
        (date(2025, 4, 1), (2, 3, 1, 1, 3), (1, 1, 0, 0, 1)),
        (date(2025, 6, 1), (1, 2, 1, 1, 2), (1, 1, 0, 0, 1)),
        (date(2025, 9, 1), (3, 4, 1, 2, 4), (1, 1, 0, 0, 1)),
    ],
)
def test_hotspots_as_of_a_date(
    world: World, on: date, commune_a: tuple[int, ...], commune_b: tuple[int, ...]
) -> None:
    """History decides the status on the date; later detections and deleted rows do not exist;
    the border hotspot is 99001's only; the one without history follows its dated columns."""
    a, b, province = world.at("99001", on), world.at("99002", on), world.at("99", on)
    assert tuple(a[n] for n in HOTSPOT_NAMES) == commune_a
    assert tuple(b[n] for n in HOTSPOT_NAMES) == commune_b
    for name in HOTSPOT_NAMES:
        assert province[name] == a[name] + b[name]


def test_relapses_in_the_period(world: World) -> None:
    on = date(2025, 9, 1)
    assert world.at("99001", on)["hotspots_relapsed_in_period"] is None
    assert world.at("99001", on, period_start=date(2025, 7, 1))["hotspots_relapsed_in_period"] == 1
    assert world.at("99001", on, period_start=date(2025, 8, 2))["hotspots_relapsed_in_period"] == 0
    assert (
        world.at("99001", date(2025, 7, 31), period_start=date(2025, 1, 1))[
            "hotspots_relapsed_in_period"
        ]
        == 0
    )
    assert world.at("99002", on, period_start=date(2025, 1, 1))["hotspots_relapsed_in_period"] == 0


# --- boards, boxes and sub-units ----------------------------------------------------------------

SUBUNIT_FIGURES = (
    "hamlets_total",
    "hamlets_with_good_board",
    "hamlets_with_box",
    "residential_groups_total",
    "residential_groups_with_box",
    "subunits_total",
    "subunits_with_good_board",
    "subunits_with_box",
)


@pytest.mark.parametrize(
    ("code", "on", "expected"),
    [
        ("99001", date(2024, 6, 1), (1, 1, 1, 0, 0, 1, 1, 1)),  # hamlet T00, before the split
        ("99001", date(2025, 2, 1), (2, 1, 1, 0, 0, 2, 1, 1)),  # T02 gets no border board
        ("99001", date(2025, 9, 1), (2, 2, 1, 0, 0, 2, 2, 1)),  # T02's border board installed
        ("99002", date(2025, 9, 1), (1, 0, 0, 1, 1, 2, 0, 1)),  # damaged/deleted/future: none
        ("99002", date(2025, 12, 31), (1, 0, 1, 1, 1, 2, 0, 2)),  # a damaged box is a box
        ("98001", date(2025, 9, 1), (3, 2, 1, 1, 1, 4, 2, 2)),  # old unit, 2025 hamlets
        ("99", date(2025, 9, 1), (3, 2, 1, 1, 1, 4, 2, 2)),
    ],
)
def test_subunit_coverage(world: World, code: str, on: date, expected: tuple[int, ...]) -> None:
    got = world.at(code, on)
    assert tuple(got[n] for n in SUBUNIT_FIGURES) == expected


def test_board_without_install_date_counts_from_its_entry(world: World) -> None:
    later = date.today() + timedelta(days=2)  # clock-ok: rows stamped now
    assert world.at("99002", later)["hamlets_with_good_board"] == 1
    assert world.at("99002", date(2025, 12, 31))["hamlets_with_good_board"] == 0


def test_no_subunit_mapped_is_unknown(world: World) -> None:
    got = world.at("98001", date(2023, 6, 1))
    assert all(got[name] is None for name in SUBUNIT_FIGURES)
    assert got["active_hotspots"] == 0


# --- cultivation ----------------------------------------------------------------------------------


def _area(*names: str) -> Decimal:
    return sum((geodesic_m2(*FIELDS[n]) for n in names), Decimal(0))


@pytest.mark.parametrize(
    ("on", "sites", "plants", "fields"),
    [
        (date(2025, 2, 1), 0, 0, ()),
        (date(2025, 4, 1), 1, 300, ("c1",)),
        (date(2025, 7, 1), 2, 1300, ("c1", "c2")),  # c2 replanted: counts despite its eradication
        (date(2025, 9, 1), 1, 1000, ("c2",)),  # c1 eradicated on 1 August
        (date(2025, 10, 15), 2, None, ("c2", "c4")),  # c4 has no plant count: plants unknown
    ],
)
def test_cultivation_as_of_a_date(
    world: World, on: date, sites: int, plants: int | None, fields: tuple[str, ...]
) -> None:
    got = world.at("99001", on)
    assert got["active_cultivation_sites"] == sites
    assert got["active_plants"] == plants
    area = got["active_plant_area_m2"]
    assert isinstance(area, Decimal)
    assert abs(area - _area(*fields)) < Decimal("0.01")


def test_a_field_on_the_border_belongs_to_one_commune(world: World) -> None:
    on = date(2025, 4, 1)
    b = world.at("99002", on)
    assert (b["active_cultivation_sites"], b["active_plants"]) == (1, 40)
    area = b["active_plant_area_m2"]
    assert isinstance(area, Decimal)
    assert abs(area - _area("c5")) < Decimal("0.01")
    # geodesic, not Web Mercator (which is about 3 % larger at 10° N)
    mercator = world.session.scalar(
        sa.text("SELECT ST_Area(ST_Transform(ST_MakeEnvelope(:x0, :y0, :x1, :y1, 4326), 3857))"),
        dict(zip(("x0", "x1", "y0", "y1"), FIELDS["c5"], strict=True)),
    )
    assert abs(float(area) - mercator) > 50
    province = world.at("99", on)
    assert province["active_plants"] == 340


# --- key route ----------------------------------------------------------------------------------


def test_key_route_crossing_not_touching(world: World) -> None:
    on = date(2025, 9, 1)
    assert world.at("99001", on)["on_key_route"] is True
    assert world.at("99002", on)["on_key_route"] is False  # touched, crossed by a non-key route
    assert world.at("99", on)["on_key_route"] is True
    assert world.at("98001", on)["on_key_route"] is True


# --- the set-based call -------------------------------------------------------------------------


def test_set_based_equals_one_by_one(world: World) -> None:
    codes = ("99001", "99002", "98001", "99", "T01")
    on = date(2025, 9, 1)
    together = inputs_for_units(
        world.session, [world.ids[c] for c in codes], on, period_start=date(2025, 1, 1)
    )
    for code in codes:
        alone = world.at(code, on, period_start=date(2025, 1, 1))
        assert together[world.ids[code]] == alone
        assert tuple(alone) == DERIVED_NAMES


def test_old_unit_sees_what_its_successors_see(world: World) -> None:
    """A pre-2025 unit asked about a later date: the features inside it, once each."""
    on = date(2025, 9, 1)
    old, a, b = world.at("98001", on), world.at("99001", on), world.at("99002", on)
    for name in (*HOTSPOT_NAMES, "active_cultivation_sites"):
        assert old[name] == a[name] + b[name]


def test_bad_requests(world: World) -> None:
    with pytest.raises(NotFound, match="987654"):
        inputs_for_units(world.session, [world.ids["99001"], 987654], date(2025, 9, 1))
    with pytest.raises(InvalidInput, match="period start"):
        unit_inputs(
            world.session, world.ids["99001"], date(2025, 1, 1), period_start=date(2025, 2, 1)
        )
    assert inputs_for_units(world.session, [], date(2025, 1, 1)) == {}
