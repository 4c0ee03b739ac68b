"""Synthetic demo features for the seed areas: pure, deterministic functions (no database).

Why synthetic: nothing below commune level is published, and the programme's real figures are
police data. Every generator takes a seed and derives its random stream from the seed and the
unit code, so a reload gives the same demo. Places and counts only: no person is ever described.

Which unit is meant to be which class (rule set ``tra-vinh-2025``) is the table ``PLANS``; units
not in it get ``default_plan`` (drug-free or less complex). "Active" hotspots, for the class, are
those with status active, under_attack or relapsed; units whose class rests on the hotspot count
have plain ``active`` ones only, so either reading of "active" gives the same class.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import LineString, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from geo_app.domain.indicators import COLUMNS
from geo_app.domain.vocabulary import ACTIVE_HOTSPOT_STATUSES, RANKED_CLASSES

DATA_START = date(2024, 1, 1)
DATA_END = date(2025, 12, 31)
DEMO_TODAY = DATA_END
"""The demo's "today": check dates and ageing count back from it, never from the wall clock, so
the demo shows the same on any day (``make run`` and the tests pin the app's clock to it)."""
"""Indicator months and hotspot histories lie in this window."""

ACTIVE_STATUSES = ACTIVE_HOTSPOT_STATUSES
COUNTED_KINDS = ("den", "retail", "complex_point")
"""Hotspot kinds counted in H by the ``tra-vinh-2025`` classification."""

_GEOD = Geod(ellps="WGS84")
_M_PER_DEG = 111_320.0


@dataclass(frozen=True)
class Cultivation:
    """A demo field of drug plants: plants, area and dates."""

    plants: int
    area_m2: float
    status: str
    detected_on: date
    eradicated_on: date | None = None


@dataclass(frozen=True)
class UnitPlan:
    """What a 2025 commune is meant to show, and the criterion that decides its class."""

    intended: str
    """One of ``geo_app.domain.vocabulary.RANKED_CLASSES``."""
    criterion: str
    addicts_start: int
    addicts_end: int
    active_hotspots: int = 0
    cultivation: tuple[Cultivation, ...] = ()
    drug_free_from: date | None = None
    is_target: bool = False
    note: str = ""


_A_BANDS: dict[str, tuple[int, int]] = {
    "type_1": (100, 140),
    "type_2": (60, 99),
    "type_3": (20, 59),
}


def _plan(intended: str, criterion: str, a0: int, a1: int, **kw: object) -> UnitPlan:
    if intended not in RANKED_CLASSES:
        raise ValueError(f"{intended!r} is not a class")
    return UnitPlan(intended, criterion, a0, a1, **kw)  # type: ignore[arg-type]


_RECOGNISED = date(2025, 8, 1)
_TV_DONE = "Trà Vinh 2025 target, drug-free from 08/2025 (recognisable)"
_TV_ON_TRACK = "Trà Vinh 2025 target area, improving, still less complex"

PLANS: dict[str, UnitPlan] = {
    # Trà Vinh (now Vĩnh Long, 86)
    "29242": _plan("type_1", "A>=100 (and on the key route)", 126, 112, active_hotspots=3),
    "29416": _plan("type_2", "type III band (20<=A<60) + key route", 34, 28, active_hotspots=1),
    "29341": _plan("type_2", "H=3 active hotspots", 12, 9, active_hotspots=3),
    "29461": _plan("type_3", "20<=A<60", 31, 26),
    "29467": _plan("type_3", "H=1 active hotspot (lagging target)", 10, 6, active_hotspots=1),
    **{
        code: _plan("drug_free", "all zero", 6, 0, drug_free_from=_RECOGNISED, is_target=True)
        for code in ("29410", "29413", "29533", "29536", "29317", "29497", "29287")
    },
    **{
        code: _plan("less_complex", "1<=A<20, no active hotspot", 14, 3, is_target=True)
        for code in (
            "29278",
            "29266",
            "29386",
            "29335",
            "29329",
            "29362",
            "29365",
            "29431",
            "29455",
            "29476",
            "29506",
            "29513",
            "29275",
        )  # fmt: skip
    },
    # Hóc Môn (Hồ Chí Minh City, 79)
    "27592": _plan("type_2", "60<=A<100", 76, 68, active_hotspots=1),
    "27559": _plan("type_3", "H=2 active hotspots", 12, 8, active_hotspots=2),
    "27568": _plan("less_complex", "1<=A<20", 11, 7, is_target=True),
    "27577": _plan("less_complex", "1<=A<20", 9, 5, is_target=True),
    # Hương Trà (Huế, 46): Phường Hương Trà contains the former Phường Hương Vân
    "19996": _plan("drug_free", "all zero", 5, 0, drug_free_from=date(2024, 5, 1), is_target=True),
    "20017": _plan("less_complex", "1<=A<20", 8, 6),
    "20035": _plan("drug_free", "all zero", 0, 0),
    # Lạng Sơn (20)
    "06184": _plan("type_1", "H=5 active hotspots (border gate)", 15, 12, active_hotspots=5),
    "05977": _plan("type_2", "H=4 active hotspots", 18, 15, active_hotspots=4),
    "05983": _plan("type_3", "20<=A<60", 28, 24),
    "06541": _plan(
        "type_2",
        "1000<=S<2000 m2 and 500<=P<3000 (active field)",
        5,
        4,
        cultivation=(
            Cultivation(800, 1500.0, "active", date(2025, 10, 12)),
            Cultivation(250, 400.0, "eradicated", date(2024, 3, 2), date(2024, 3, 20)),
        ),
    ),
    "06625": _plan(
        "type_3",
        "0<P<500 and 0<S<1000 (active field)",
        4,
        3,
        cultivation=(Cultivation(200, 300.0, "active", date(2025, 11, 3)),),
    ),
    "06172": _plan(
        "less_complex",
        "1<=A<20; field eradicated",
        9,
        4,
        is_target=True,
        cultivation=(Cultivation(350, 600.0, "eradicated", date(2025, 3, 14), date(2025, 4, 2)),),
    ),
}


def default_plan(code: str) -> UnitPlan:
    """Units not in ``PLANS``: four in ten drug-free, the rest less complex."""
    h = zlib.crc32(code.encode())
    if h % 10 < 4:
        return _plan("drug_free", "all zero (default)", 0, 0)
    return _plan("less_complex", "1<=A<20 (default)", 3 + h % 13, 1 + (h >> 8) % 12)


def plan_for(code: str) -> UnitPlan:
    """The plan of a 2025 commune."""
    return PLANS.get(code) or default_plan(code)


# --- randomness ------------------------------------------------------------------------------


def rng_for(seed: int, *parts: str) -> np.random.Generator:
    """A generator that depends only on the seed and the given labels (not on call order)."""
    key = zlib.crc32("|".join(parts).encode())
    return np.random.default_rng([seed, key])


def _days(rng: np.random.Generator, lo: int, hi: int) -> timedelta:
    return timedelta(days=int(rng.integers(lo, hi + 1)))


def _day_between(rng: np.random.Generator, start: date, end: date) -> date:
    return start + _days(rng, 0, max(0, (end - start).days))


# --- geometry --------------------------------------------------------------------------------


def area_km2(geom: BaseGeometry) -> float:
    """Geodesic area in km² (WGS 84)."""
    area, _ = _GEOD.geometry_area_perimeter(geom)
    return abs(area) / 1e6


def hamlet_count(geom: BaseGeometry) -> int:
    """How many hamlets to cut a commune into: 6 to 20, growing with area."""
    return int(min(20, max(6, 6 + area_km2(geom) // 10)))


def random_points(geom: BaseGeometry, k: int, rng: np.random.Generator) -> list[Point]:
    """``k`` uniform points strictly inside ``geom`` (rejection sampling in its bounds)."""
    minx, miny, maxx, maxy = geom.bounds
    shapely.prepare(geom)
    found: list[Point] = []
    while len(found) < k:
        xs = rng.uniform(minx, maxx, 4 * k + 16)
        ys = rng.uniform(miny, maxy, 4 * k + 16)
        inside = shapely.contains_xy(geom, xs, ys)
        found += [Point(x, y) for x, y in zip(xs[inside], ys[inside], strict=True)]
    return found[:k]


def _polygonal(geom: BaseGeometry) -> Polygon | MultiPolygon:
    """The polygonal part of an overlay result, valid."""
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    parts = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon | MultiPolygon)]
    polys = [p for g in parts for p in getattr(g, "geoms", [g]) if not p.is_empty]
    return polys[0] if len(polys) == 1 else MultiPolygon(polys)


def subdivide(commune: Polygon | MultiPolygon, n: int, seed: int) -> list[Polygon | MultiPolygon]:
    """Cut a commune into ``n`` synthetic hamlets that tile it exactly.

    Voronoi cells of ``n`` points sampled inside the commune, each clipped to it: cells share
    edges only, cover the plane, and each holds its seed point, so no part is empty.
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    if n == 1:
        return [commune]
    points = random_points(commune, n, np.random.default_rng(seed))
    frame = commune.envelope.buffer(max(commune.bounds[2] - commune.bounds[0], 0.01))
    cells = shapely.voronoi_polygons(shapely.MultiPoint(points), extend_to=frame, ordered=True)
    parts = [_polygonal(cell.intersection(commune)) for cell in cells.geoms]
    return sorted(parts, key=lambda p: (-p.representative_point().y, p.representative_point().x))


def _offset(p: Point, metres: float, bearing: float) -> Point:
    dy = metres * math.cos(bearing) / _M_PER_DEG
    dx = metres * math.sin(bearing) / (_M_PER_DEG * math.cos(math.radians(p.y)))
    return Point(p.x + dx, p.y + dy)


def field_polygon(centre: Point, area_m2: float, rng: np.random.Generator) -> Polygon:
    """A small rotated rectangle of about ``area_m2`` (local metric approximation)."""
    aspect = float(rng.uniform(1.2, 2.0))
    w = math.sqrt(area_m2 / aspect)
    h = w * aspect
    theta = float(rng.uniform(0, math.pi))
    corners = [(-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)]
    lat_m = _M_PER_DEG
    lon_m = _M_PER_DEG * math.cos(math.radians(centre.y))
    ring = []
    for x, y in corners:
        rx = x * math.cos(theta) - y * math.sin(theta)
        ry = x * math.sin(theta) + y * math.cos(theta)
        ring.append((centre.x + rx / lon_m, centre.y + ry / lat_m))
    return Polygon(ring)


# --- hamlets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class HamletStyle:
    """Level and local word for a commune's sub-units, which differ by region and unit kind."""

    level: str
    kind: str
    label: str


def hamlet_style(province_code: str, commune_name: str, kind: str | None = None) -> HamletStyle:
    """ấp / khóm in the Mekong delta, thôn in the north and centre, tổ dân phố in Huế wards."""
    ward = (kind or commune_name).lower().startswith("phường")
    if province_code == "46" and ward:
        return HamletStyle("residential_group", "tổ dân phố", "Tổ dân phố")
    if province_code in {"86", "84"}:
        return HamletStyle("hamlet", "khóm", "Khóm") if ward else HamletStyle("hamlet", "ấp", "Ấp")
    if ward:
        return HamletStyle("hamlet", "khu phố", "Khu phố")
    if province_code == "79":
        return HamletStyle("hamlet", "ấp", "Ấp")
    return HamletStyle("hamlet", "thôn", "Thôn")


def hamlet_code(commune_code: str, index: int) -> str:
    """Local code of the ``index``-th (1-based) synthetic hamlet of a commune."""
    return f"{commune_code}-T{index:02d}"


# --- hotspots --------------------------------------------------------------------------------

_NOTES = {
    "retail": ("demo: điểm bán lẻ gần chợ", "demo: điểm bán lẻ ven quốc lộ"),
    "den": ("demo: tụ điểm trong khu nhà trọ", "demo: tụ điểm ven bờ kênh"),
    "complex_point": ("demo: điểm phức tạp quanh bến đò", "demo: điểm phức tạp gần bãi đất trống"),
    "use_site": ("demo: điểm chứa chấp sử dụng tại quán karaoke", "demo: điểm tại nhà bỏ hoang"),
}
_SOURCES = ("tip_off", "patrol", "survey", "other")


@dataclass(frozen=True)
class HotspotSpec:
    """A demo hotspot and its dated history (first row: detection)."""

    geom: Point
    kind: str
    status: str
    detected_on: date
    cleared_on: date | None
    relapsed_on: date | None
    source: str
    notes: str
    history: tuple[tuple[str, date], ...]


def _hotspot(
    rng: np.random.Generator,
    geom: Point,
    kind: str,
    status: str,
    *,
    detected: date,
    cleared: date | None = None,
    relapsed: date | None = None,
    attacked: date | None = None,
) -> HotspotSpec:
    history: list[tuple[str, date]] = [("active", detected)]
    if attacked:
        history.append(("under_attack", attacked))
    if cleared:
        history.append(("cleared", cleared))
    if relapsed:
        history.append(("relapsed", relapsed))
    note = _NOTES[kind][int(rng.integers(0, len(_NOTES[kind])))]
    source = _SOURCES[int(rng.integers(0, len(_SOURCES)))]
    return HotspotSpec(
        geom, kind, status, detected, cleared, relapsed, source, note, tuple(history)
    )


def _active(rng: np.random.Generator, p: Point, kind: str, status: str) -> HotspotSpec:
    detected = _day_between(rng, date(2024, 3, 1), date(2025, 10, 31))
    if status == "under_attack":
        attacked = _day_between(rng, detected + timedelta(days=7), DATA_END)
        return _hotspot(rng, p, kind, status, detected=detected, attacked=attacked)
    if status == "relapsed":
        detected = _day_between(rng, date(2024, 1, 5), date(2024, 9, 30))
        cleared = detected + _days(rng, 20, 120)
        relapsed = _day_between(rng, cleared + timedelta(days=30), DATA_END)
        return _hotspot(rng, p, kind, status, detected=detected, cleared=cleared, relapsed=relapsed)
    return _hotspot(rng, p, kind, status, detected=detected)


def _cleared(rng: np.random.Generator, p: Point, kind: str, *, by: date) -> HotspotSpec:
    """Detected, attacked and cleared, all before ``by``."""
    detected = _day_between(rng, by - timedelta(days=420), by - timedelta(days=60))
    attacked = detected + _days(rng, 5, 25)
    cleared = _day_between(rng, attacked + timedelta(days=5), by - timedelta(days=1))
    return _hotspot(rng, p, kind, "cleared", detected=detected, cleared=cleared, attacked=attacked)


def _statuses(plan: UnitPlan) -> list[str]:
    """Statuses of the counted-kind active hotspots; only 'active' where H decides the class."""
    n = plan.active_hotspots
    if plan.criterion.startswith("H=") or n < 2:
        return ["active"] * n
    if n == 2:
        return ["active", "under_attack"]
    return ["active"] * (n - 2) + ["under_attack", "relapsed"]


def hotspots_for(
    code: str, plan: UnitPlan, hamlets: Sequence[BaseGeometry], seed: int
) -> list[HotspotSpec]:
    """Hotspots of one commune, placed in its hamlets, matching its plan."""
    rng = rng_for(seed, "hotspots", code)

    def where() -> Point:
        return random_points(hamlets[int(rng.integers(0, len(hamlets)))], 1, rng)[0]

    out = [
        _active(rng, where(), COUNTED_KINDS[i % 3], status)
        for i, status in enumerate(_statuses(plan))
    ]
    cleared_by = plan.drug_free_from or DATA_END
    n_cleared = {"type_1": 4, "type_2": 3, "type_3": 2, "less_complex": 2}.get(plan.intended, 0)
    if plan.intended == "drug_free":
        n_cleared = 2 if plan.drug_free_from else int(rng.integers(0, 2))
        cleared_by = plan.drug_free_from or date(2024, 9, 30)
    first = int(rng.integers(0, 3))
    out += [
        _cleared(rng, where(), COUNTED_KINDS[(first + i) % 3], by=cleared_by)
        for i in range(n_cleared)
    ]
    if plan.intended == "less_complex" and rng.random() < 0.5:
        out.append(_active(rng, where(), "use_site", "under_attack"))
    if plan.intended == "type_1" and out:
        out += _relapse_candidate(rng, out, hamlets)
    return out


def _relapse_candidate(
    rng: np.random.Generator, existing: list[HotspotSpec], hamlets: Sequence[BaseGeometry]
) -> list[HotspotSpec]:
    """A cleared retail point and a new one 150 m away: a re-emergence to flag."""
    commune = shapely.union_all(list(hamlets))
    base = existing[0].geom
    for step in range(12):
        near = _offset(base, 150.0, step * math.pi / 6)
        if commune.contains(near):
            old = _cleared(rng, base, "retail", by=date(2025, 3, 31))
            new = _hotspot(rng, near, "retail", "active", detected=date(2025, 9, 18))
            return [old, new]
    return []


# --- hotline boards and tip-off boxes ----------------------------------------------------------

AREA_CODES = {
    "86": ("0294", 6),
    "84": ("0294", 6),
    "79": ("028", 7),
    "46": ("0234", 6),
    "20": ("0205", 6),
}
"""Area code and local digits after the leading 3, per province (Trà Vinh numbers keep 0294)."""


def phone_number(province_code: str, rng: np.random.Generator) -> str:
    """A landline in the province's format, e.g. ``0294 3xxx xxx`` or ``028 3xxx xxxx``."""
    area, tail = AREA_CODES.get(province_code, ("0294", 6))
    digits = "3" + "".join(str(int(d)) for d in rng.integers(0, 10, tail))
    return f"{area} {digits[:4]} {digits[4:]}"


@dataclass(frozen=True)
class BoardSpec:
    """A demo hotline board."""

    geom: Point
    site: str
    phones: tuple[str, ...]
    installed_on: date
    last_checked_on: date
    condition: str


@dataclass(frozen=True)
class InspectionSpec:
    """One opening of a tip-off box."""

    inspected_on: date
    letters_received: int
    letters_forwarded: int


@dataclass(frozen=True)
class BoxSpec:
    """A demo tip-off box with its monthly inspections."""

    geom: Point
    site: str
    installed_on: date
    last_opened_on: date
    condition: str
    inspections: tuple[InspectionSpec, ...] = field(default=())


_HAMLET_SITES = ("cultural_house", "community_hall", "public_place", "other")


def _age_days(rng: np.random.Generator) -> int:
    """Days since the last check: mostly recent, some 2-3 months, a third stale (> 90 days)."""
    band = rng.choice(3, p=[0.5, 0.2, 0.3])
    lo, hi = ((3, 60), (61, 90), (91, 420))[int(band)]
    return int(rng.integers(lo, hi + 1))


def _condition(rng: np.random.Generator, complete: bool) -> str:
    if complete:
        return "good"
    return str(rng.choice(["good", "damaged", "missing"], p=[0.75, 0.15, 0.10]))


def boards_for(
    code: str,
    province_code: str,
    hamlets: Sequence[BaseGeometry],
    *,
    complete: bool,
    as_of: date,
    seed: int,
) -> list[BoardSpec]:
    """Boards at the commune police and committee, and in most hamlets (all if ``complete``)."""
    rng = rng_for(seed, "boards", code)
    out: list[BoardSpec] = []
    sites = ["police_hq", "committee_hq"] + [
        str(rng.choice(_HAMLET_SITES)) if complete or rng.random() < 0.85 else "" for _ in hamlets
    ]
    for i, site in enumerate(sites):
        if not site:
            continue
        hamlet = hamlets[0] if i < 2 else hamlets[i - 2]
        installed = _day_between(rng, date(2019, 6, 1), date(2024, 6, 30))
        checked = max(installed, as_of - timedelta(days=_age_days(rng)))
        if complete:
            checked = max(installed, as_of - timedelta(days=int(rng.integers(3, 60))))
        phones = tuple(phone_number(province_code, rng) for _ in range(int(rng.integers(1, 4))))
        cond = _condition(rng, complete)
        point = random_points(hamlet, 1, rng)[0]
        out.append(BoardSpec(point, site, phones, installed, checked, cond))
    return out


def _inspections(rng: np.random.Generator, start: date, end: date) -> tuple[InspectionSpec, ...]:
    """Monthly openings from ``start`` to ``end``; forwarded never exceeds received."""
    out: list[InspectionSpec] = []
    y, m = start.year, start.month
    while True:
        day = date(y, m, int(rng.integers(3, 26)))
        if day > end:
            break
        if day >= start:
            received = int(rng.poisson(0.6))
            forwarded = received - int(rng.integers(0, 2)) if received else 0
            out.append(InspectionSpec(day, received, max(0, forwarded)))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    if out and out[-1].inspected_on != end:
        out.append(InspectionSpec(end, 0, 0))
    return tuple(out)


def boxes_for(
    code: str, hamlets: Sequence[BaseGeometry], *, complete: bool, as_of: date, seed: int
) -> list[BoxSpec]:
    """A tip-off box in most hamlets (all if ``complete``), opened about monthly."""
    rng = rng_for(seed, "boxes", code)
    out: list[BoxSpec] = []
    for hamlet in hamlets:
        if not complete and rng.random() >= 0.8:
            continue
        installed = _day_between(rng, date(2020, 1, 1), date(2024, 6, 30))
        opened = max(installed, as_of - timedelta(days=_age_days(rng)))
        if complete:
            opened = max(installed, as_of - timedelta(days=int(rng.integers(3, 35))))
        visits = _inspections(rng, max(installed, DATA_START), opened)
        point = random_points(hamlet, 1, rng)[0]
        site = str(rng.choice(_HAMLET_SITES))
        out.append(BoxSpec(point, site, installed, opened, _condition(rng, complete), visits))
    return out


# --- cultivation sites and the key route -------------------------------------------------------


@dataclass(frozen=True)
class CultivationSpec:
    """A demo field polygon inside one hamlet."""

    geom: Polygon
    plant_count: int
    status: str
    detected_on: date
    eradicated_on: date | None


def cultivation_for(
    code: str, plan: UnitPlan, hamlets: Sequence[BaseGeometry], seed: int
) -> list[CultivationSpec]:
    """The plan's fields, each wholly inside one hamlet of the commune."""
    rng = rng_for(seed, "cultivation", code)
    out: list[CultivationSpec] = []
    for item in plan.cultivation:
        for _ in range(200):
            hamlet = hamlets[int(rng.integers(0, len(hamlets)))]
            poly = field_polygon(random_points(hamlet, 1, rng)[0], item.area_m2, rng)
            if hamlet.contains(poly):
                break
        else:
            raise ValueError(f"no room for a {item.area_m2} m² field in {code}")
        out.append(
            CultivationSpec(poly, item.plants, item.status, item.detected_on, item.eradicated_on)
        )
    return out


ROUTE_NAME = "demo: tuyến QL53 Trà Vinh – Cầu Ngang – Duyên Hải"
ROUTE_WAYPOINTS = ("29242", "29407", "29431", "29416", "29530", "29512")
"""2025 communes the demo key route runs through, in order (a QL53-like road)."""


def key_route(anchors: Sequence[Point], seed: int) -> LineString:
    """A road-like line through ``anchors``, with small deterministic bends between them."""
    rng = rng_for(seed, "route")
    coords: list[tuple[float, float]] = []
    for a, b in zip(anchors, anchors[1:], strict=False):
        coords.append((a.x, a.y))
        for t in (0.33, 0.66):
            jitter = float(rng.uniform(-0.004, 0.004))
            x = a.x + (b.x - a.x) * t - (b.y - a.y) * jitter
            y = a.y + (b.y - a.y) * t + (b.x - a.x) * jitter
            coords.append((x, y))
    coords.append((anchors[-1].x, anchors[-1].y))
    return LineString(coords)


def route_conflicts(crossed: set[str], plans: Mapping[str, UnitPlan]) -> list[str]:
    """Plans the route would break: a type III unit on it, or a route-escalated one off it."""
    bad = []
    for code, plan in plans.items():
        on = code in crossed
        if on and plan.intended == "type_3":
            bad.append(f"{code}: type III plan but on the key route (would be type II)")
        if on and plan.intended == "type_2" and "route" not in plan.criterion:
            bad.append(f"{code}: type II band plan but on the key route (would be type I)")
        if not on and "route" in plan.criterion and plan.intended != "type_1":
            bad.append(f"{code}: relies on the key route but is not crossed by it")
    return bad


# --- monthly indicators ----------------------------------------------------------------------

INDICATOR_COLUMNS = COLUMNS  # the count columns of ``indicator``, in form order
PARTS = (
    ("addicts_in_treatment", "addicts_registered"),
    ("suspected_tested", "suspected_users"),
    ("households_committed", "households_total"),
    ("households_informed", "households_total"),
    ("tipoffs_processed", "tipoffs_received"),
)
"""(part, whole) pairs: the part never exceeds the whole."""


def demo_months(start: date = DATA_START, end: date = DATA_END) -> list[date]:
    """First days of the months from ``start`` to ``end``."""
    out = []
    y, m = start.year, start.month
    while date(y, m, 1) <= end:
        out.append(date(y, m, 1))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _addict_band(plan: UnitPlan) -> tuple[int, int]:
    """The range A must stay in: the class band when addicts decide the class, else 1-19."""
    if "route" in plan.criterion:
        return _A_BANDS["type_3"]
    if "A>=" in plan.criterion or "<=A<" in plan.criterion:
        return _A_BANDS.get(plan.intended, (1, 19))
    return (1, 19)


def _addicts(plan: UnitPlan, i: int, n: int, month: date, rng: np.random.Generator) -> int:
    """Registered addicts: a line from start to end with noise, kept inside the plan's band."""
    if not _presence(plan, month):
        return 0
    base = plan.addicts_start + (plan.addicts_end - plan.addicts_start) * i / max(1, n - 1)
    lo, hi = _addict_band(plan)
    return min(hi, max(lo, int(round(base + rng.integers(-2, 3)))))


def _presence(plan: UnitPlan, month: date) -> bool:
    if plan.drug_free_from:
        return month < plan.drug_free_from
    return plan.intended != "drug_free"


def _ratio(plan: UnitPlan, i: int, n: int, month: date, rng: np.random.Generator) -> float:
    """Share of households committed: 100 % once drug-free, rising in target units."""
    if not _presence(plan, month):
        return 1.0
    if plan.is_target:
        return min(0.99, 0.72 + 0.26 * i / max(1, n - 1))
    return float(rng.uniform(0.6, 0.95))


def _month_row(
    plan: UnitPlan,
    i: int,
    n: int,
    month: date,
    households: int,
    n_hamlets: int,
    rng: np.random.Generator,
) -> dict[str, int]:
    present = _presence(plan, month)
    a = _addicts(plan, i, n, month, rng)
    heavy = plan.intended in ("type_1", "type_2")
    users = (a // 4 + int(rng.integers(0, 3))) if present else 0
    suspected = int(rng.integers(0, 5)) if present else int(rng.integers(0, 2))
    tidy = plan.is_target or not present
    total = households + i // 6
    committed = min(total, round(total * _ratio(plan, i, n, month, rng)))
    received = int(rng.integers(0, 7 if heavy else 4))
    return {
        "addicts_registered": a,
        "addicts_in_treatment": a if tidy else a - int(rng.integers(0, a // 5 + 1)),
        "drug_users": users,
        "suspected_users": suspected,
        "suspected_tested": suspected if tidy else max(0, suspected - int(rng.integers(0, 2))),
        "post_rehab_managed": (a // 4 if present else 0) + int(rng.integers(0, 3)),
        "offenders_resident": int(rng.integers(1 if heavy else 0, 4 if heavy else 2))
        if present
        else 0,
        # Targets designed to be recognised had addicts but no resident drug case all along,
        # as their checklists require for the whole campaign.
        "drug_cases_by_residents": int(rng.integers(1 if heavy else 0, 4 if heavy else 2))
        if present and not (plan.is_target and plan.drug_free_from)
        else 0,
        "serious_incidents": int(plan.intended == "type_1" and rng.random() < 0.15),
        "households_total": total,
        "households_committed": committed,
        "households_informed": min(total, committed + int(rng.integers(0, 20))),
        "tipoffs_received": received,
        "tipoffs_processed": received if tidy else received - int(rng.integers(0, received + 1)),
        "propaganda_sessions": n_hamlets + int(rng.integers(0, 4))
        if tidy
        else int(rng.integers(1, n_hamlets + 1)),
        "listening_meetings": int(rng.integers(1 if tidy else 0, max(2, n_hamlets // 3) + 1)),
        "models_active": int(rng.integers(1, 4)) if tidy else int(rng.integers(0, 3)),
    }


def monthly_indicators(
    code: str,
    plan: UnitPlan,
    *,
    households: int,
    n_hamlets: int,
    seed: int,
    months: Sequence[date] | None = None,
) -> list[tuple[date, dict[str, int]]]:
    """One row of counts per month for a 2025 commune, consistent with its plan."""
    months = list(months or demo_months())
    rng = rng_for(seed, "indicators", code)
    n = len(months)
    return [
        (m, _month_row(plan, i, n, m, households, n_hamlets, rng)) for i, m in enumerate(months)
    ]


def households_estimate(population: int | None, geom: BaseGeometry) -> int:
    """Households from the population (3.7 a household), else from the area (demo density)."""
    if population:
        return max(50, round(population / 3.7))
    return max(300, round(area_km2(geom) * 120))


def apportion(total: int, weights: Sequence[float]) -> list[int]:
    """Split a count by weights with the largest-remainder method; parts sum to ``total``."""
    s = float(sum(weights))
    if total == 0 or s <= 0:
        return [0] * len(weights)
    raw = [total * w / s for w in weights]
    parts = [math.floor(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda k: (parts[k] - raw[k], k))
    for k in order[: total - sum(parts)]:
        parts[k] += 1
    return parts


def apportion_row(row: Mapping[str, int], weights: Sequence[float]) -> list[dict[str, int]]:
    """A commune's counts split over the old units it covers; parts clamped to their wholes."""
    split = {col: apportion(int(row[col]), weights) for col in INDICATOR_COLUMNS}
    out = [{col: split[col][k] for col in INDICATOR_COLUMNS} for k in range(len(weights))]
    for part in out:
        for small, whole in PARTS:
            part[small] = min(part[small], part[whole])
        # A prevention model (club, self-managed group) serves each old commune it stood in;
        # splitting "2 models" over three old communes must not leave one with none.
        if row["models_active"] > 0:
            part["models_active"] = max(part["models_active"], 1)
    return out
