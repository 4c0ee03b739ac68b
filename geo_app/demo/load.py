"""Write the demo features for the seed areas into the caller's transaction (never commits).

Why here and not in ``synth``: this is the only part that knows the database. It reads the
admin units already loaded, asks ``synth`` for geometry and counts, assigns every point to the
unit that covers it (PostGIS ``ST_Covers``, never a typed id), and inserts everything with
``is_demo`` set. One audit row per table records what was added.
"""

from __future__ import annotations

import json
import unicodedata
import zlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import shapely.wkb
import sqlalchemy as sa
from geoalchemy2.shape import from_shape
from shapely.geometry import MultiLineString, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from geo_app.demo import synth
from geo_app.models import (
    AdminUnit,
    CultivationSite,
    HotlineBoard,
    Hotspot,
    HotspotStatusChange,
    Indicator,
    Route,
    TipoffBox,
    TipoffInspection,
)
from geo_app.services import audit
from geo_app.services.tiles.bands import rebuild_bands

SEED = 20250701
CAMPAIGNS_FILE = Path(__file__).with_name("campaigns.json")

# fmt: off
_TRA_VINH = (
    "29242", "29254", "29263", "29266", "29275", "29278", "29287", "29302", "29308", "29317",
    "29329", "29335", "29341", "29362", "29365", "29371", "29374", "29386", "29398", "29407",
    "29410", "29413", "29416", "29419", "29431", "29446", "29455", "29461", "29467", "29476",
    "29489", "29491", "29497", "29506", "29512", "29513", "29516", "29518", "29530", "29533",
    "29536",
)
# fmt: on
SEED_COMMUNES: dict[str, str] = {
    **dict.fromkeys(_TRA_VINH, "86"),
    **dict.fromkeys(("27559", "27568", "27577", "27592"), "79"),
    **dict.fromkeys(("19996", "20017", "20035"), "46"),
}
"""2025 communes of the seed areas outside Lạng Sơn, with their province; all of Lạng Sơn (20)
is a seed area too, found by its parent."""
LANG_SON = "20"


@dataclass
class Unit:
    """A commune as read from the database."""

    id: int
    code: str
    name: str
    kind: str | None
    province: str
    parent_name: str | None
    geom: MultiPolygon
    population: int | None
    households: int | None
    valid_from: date


SRID = 4326


def _wkb(geom: BaseGeometry) -> Any:
    return from_shape(geom, srid=SRID)


def _multi(geom: BaseGeometry) -> MultiPolygon:
    return geom if isinstance(geom, MultiPolygon) else MultiPolygon([geom])


def _fold(text: str | None) -> str:
    """Name key that ignores tone-mark placement (Hoà/Hòa), case and spacing."""
    decomposed = unicodedata.normalize("NFD", (text or "").replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.lower().split())


# --- reading the units ------------------------------------------------------------------------

_UNITS_SQL = sa.text(
    """
    SELECT u.id, u.code, u.name, u.kind, p.code AS parent_code, p.name AS parent_name,
           ST_AsBinary(u.geom) AS wkb, u.population, u.households, u.valid_from
    FROM admin_unit u LEFT JOIN admin_unit p ON p.id = u.parent_id
    WHERE u.layout = :layout AND CAST(u.level AS text) = 'commune' AND u.valid_to IS NULL
      AND (u.code IN :codes OR p.code = :ls)
    ORDER BY u.code
    """
).bindparams(sa.bindparam("codes", expanding=True))

_OLD_SQL = sa.text(
    """
    SELECT o.id, o.code, o.name, p.name AS parent_name, n.id AS new_id,
           ST_Area(ST_Intersection(o.geom, n.geom)) / NULLIF(ST_Area(o.geom), 0) AS of_old,
           ST_Area(ST_Intersection(o.geom, n.geom)) / NULLIF(ST_Area(n.geom), 0) AS of_new
    FROM admin_unit o
    JOIN admin_unit n ON n.id IN :new_ids AND ST_Intersects(o.geom, n.geom)
    LEFT JOIN admin_unit p ON p.id = o.parent_id
    WHERE o.layout = 'pre2025' AND CAST(o.level AS text) = 'commune'
    """
).bindparams(sa.bindparam("new_ids", expanding=True))


def seed_communes(session: Session) -> list[Unit]:
    """2025-layout communes of the four seed areas, as loaded by the boundary import."""
    rows = session.execute(
        _UNITS_SQL, {"layout": "2025", "codes": list(SEED_COMMUNES), "ls": LANG_SON}
    ).all()
    return [
        Unit(
            r.id,
            r.code,
            r.name,
            r.kind,
            SEED_COMMUNES.get(r.code, LANG_SON),
            r.parent_name,
            _multi(shapely.wkb.loads(bytes(r.wkb))),
            r.population,
            r.households,
            r.valid_from,
        )
        for r in rows
    ]


@dataclass
class OldUnit:
    """A pre-2025 commune and the share of each 2025 commune it covers."""

    id: int
    code: str
    name: str
    parent_name: str | None
    shares: dict[int, float]


def old_communes(session: Session, new: Sequence[Unit]) -> list[OldUnit]:
    """Pre-2025 communes lying mostly (over half) inside the seed areas, found by overlay."""
    found: dict[int, OldUnit] = {}
    inside: dict[int, float] = defaultdict(float)
    for r in session.execute(_OLD_SQL, {"new_ids": [u.id for u in new]}):
        unit = found.setdefault(r.id, OldUnit(r.id, r.code, r.name, r.parent_name, {}))
        inside[r.id] += float(r.of_old or 0)
        if (r.of_old or 0) > 0.02:
            unit.shares[r.new_id] = float(r.of_new or 0)
    return [u for k, u in found.items() if inside[k] > 0.5 and u.shares]


# --- hamlets and containment -------------------------------------------------------------------


def insert_hamlets(
    session: Session, units: Sequence[Unit], *, actor: str, seed: int
) -> dict[str, list[Polygon | MultiPolygon]]:
    """Synthetic hamlets (or Huế residential groups) tiling each commune; geometry by code.

    They are drawn on the 2025 communes but stand for hamlets that were there before the 2025
    merger too (it joined communes, not their hamlets), so they are valid from the start of the
    earliest demo campaign: a campaign on the pre-2025 layout (Hương Vân, 2023-24) counts its
    residential groups, boards and boxes on its own dates.
    """
    rows: list[dict[str, Any]] = []
    out: dict[str, list[Polygon | MultiPolygon]] = {}
    since = subunits_valid_from()
    for unit in units:
        parts = synth.subdivide(unit.geom, synth.hamlet_count(unit.geom), _seed(seed, unit.code))
        out[unit.code] = parts
        style = synth.hamlet_style(unit.province, unit.name, unit.kind)
        weights = [synth.area_km2(p) for p in parts]
        pops = synth.apportion(unit.population or 0, weights)
        hhs = synth.apportion(unit.households or 0, weights)
        for i, part in enumerate(parts, start=1):
            rows.append(
                {
                    "code": synth.hamlet_code(unit.code, i),
                    "name": f"{style.label} {i} (demo)",
                    "level": style.level,
                    "kind": style.kind,
                    "layout": "2025",
                    "parent_id": unit.id,
                    "population": pops[i - 1] if unit.population else None,
                    "population_is_estimate": True,
                    "population_source": "demo: commune population split by area"
                    if unit.population
                    else None,
                    "households": hhs[i - 1] if unit.households else None,
                    "geom": _wkb(_multi(part)),
                    "valid_from": min(unit.valid_from, since),
                    "source": f"synthetic: subdivision of {unit.code} (demo)",
                    "is_demo": True,
                }
            )
    _insert(session, AdminUnit, rows, actor=actor, what="synthetic hamlets")
    return out


def _seed(seed: int, code: str) -> int:
    return zlib.crc32(f"{seed}|{code}".encode())


_COVERING_SQL = sa.text(
    """
    SELECT p.idx,
           (SELECT u.id FROM admin_unit u
            WHERE u.layout = '2025' AND u.valid_to IS NULL AND ST_Covers(u.geom, p.g)
            ORDER BY array_position(ARRAY['residential_group', 'hamlet', 'commune', 'province'],
                                    CAST(u.level AS text))
            LIMIT 1) AS unit_id
    FROM (SELECT idx, ST_GeomFromWKB(decode(hex, 'hex'), 4326) AS g
          FROM unnest(CAST(:idx AS int[]), CAST(:hex AS text[])) AS t(idx, hex)) p
    ORDER BY p.idx
    """
)


def covering_units(session: Session, geoms: Sequence[BaseGeometry]) -> list[int]:
    """For each geometry, the smallest 2025 unit in force that covers it (hamlet first)."""
    if not geoms:
        return []
    hexes = [g.wkb_hex for g in geoms]
    rows = session.execute(_COVERING_SQL, {"idx": list(range(len(geoms))), "hex": hexes}).all()
    missing = [r.idx for r in rows if r.unit_id is None]
    if missing:
        raise ValueError(
            f"{len(missing)} demo features lie in no loaded unit (first #{missing[0]})"
        )
    return [int(r.unit_id) for r in rows]


def _insert(
    session: Session, model: Any, rows: list[dict[str, Any]], *, actor: str, what: str
) -> list[int]:
    """Bulk insert returning ids in input order; one audit row summarises the batch."""
    if not rows:
        return []
    stmt = sa.insert(model).returning(model.id, sort_by_parameter_order=True)
    ids = [int(i) for i in session.execute(stmt, rows).scalars()]
    audit.record(
        session,
        actor=actor,
        action="insert_demo",
        table=model.__tablename__,
        row_id=None,
        before=None,
        after={"rows": len(ids), "first_id": min(ids), "last_id": max(ids), "what": what},
        reason="demo data (synthetic, is_demo)",
    )
    return ids


# --- features ----------------------------------------------------------------------------------


def _stamp(actor: str) -> dict[str, Any]:
    return {"is_demo": True, "created_by": actor}


def insert_hotspots(
    session: Session, units: Sequence[Unit], hamlets: dict[str, list[Any]], *, actor: str, seed: int
) -> tuple[int, int]:
    """Hotspots with their dated status history; returns (hotspots, history rows)."""
    specs = [
        h
        for u in units
        for h in synth.hotspots_for(u.code, synth.plan_for(u.code), hamlets[u.code], seed)
    ]
    owners = covering_units(session, [h.geom for h in specs])
    rows = [
        {
            "geom": _wkb(h.geom),
            "kind": h.kind,
            "status": h.status,
            "detected_on": h.detected_on,
            "cleared_on": h.cleared_on,
            "relapsed_on": h.relapsed_on,
            "source": h.source,
            "admin_unit_id": owner,
            "notes": h.notes,
            **_stamp(actor),
        }
        for h, owner in zip(specs, owners, strict=True)
    ]
    ids = _insert(session, Hotspot, rows, actor=actor, what="demo hotspots")
    history = [
        {
            "hotspot_id": i,
            "status": status,
            "changed_on": day,
            "reason": "demo",
            "created_by": actor,
        }
        for i, h in zip(ids, specs, strict=True)
        for status, day in h.history
    ]
    _insert(session, HotspotStatusChange, history, actor=actor, what="demo hotspot history")
    return len(ids), len(history)


def insert_facilities(
    session: Session,
    units: Sequence[Unit],
    hamlets: dict[str, list[Any]],
    *,
    actor: str,
    seed: int,
    as_of: date,
) -> tuple[int, int, int]:
    """Hotline boards, tip-off boxes and their inspections; returns the three counts."""
    boards: list[synth.BoardSpec] = []
    boxes: list[synth.BoxSpec] = []
    for u in units:
        complete = synth.plan_for(u.code).is_target
        parts = hamlets[u.code]
        boards += synth.boards_for(
            u.code, u.province, parts, complete=complete, as_of=as_of, seed=seed
        )
        boxes += synth.boxes_for(u.code, parts, complete=complete, as_of=as_of, seed=seed)
    owners = covering_units(session, [b.geom for b in boards] + [b.geom for b in boxes])
    board_rows = [
        {
            "geom": _wkb(b.geom),
            "site": b.site,
            "phones": list(b.phones),
            "installed_on": b.installed_on,
            "last_checked_on": b.last_checked_on,
            "condition": b.condition,
            "admin_unit_id": owner,
            **_stamp(actor),
        }
        for b, owner in zip(boards, owners[: len(boards)], strict=True)
    ]
    box_rows = [
        {
            "geom": _wkb(b.geom),
            "site": b.site,
            "installed_on": b.installed_on,
            "last_opened_on": b.last_opened_on,
            "condition": b.condition,
            "admin_unit_id": owner,
            **_stamp(actor),
        }
        for b, owner in zip(boxes, owners[len(boards) :], strict=True)
    ]
    _insert(session, HotlineBoard, board_rows, actor=actor, what="demo hotline boards")
    box_ids = _insert(session, TipoffBox, box_rows, actor=actor, what="demo tip-off boxes")
    visits = [
        {
            "box_id": box_id,
            "inspected_on": v.inspected_on,
            "letters_received": v.letters_received,
            "letters_forwarded": v.letters_forwarded,
            "created_by": actor,
        }
        for box_id, box in zip(box_ids, boxes, strict=True)
        for v in box.inspections
    ]
    _insert(session, TipoffInspection, visits, actor=actor, what="demo box inspections")
    return len(board_rows), len(box_rows), len(visits)


def insert_cultivation(
    session: Session, units: Sequence[Unit], hamlets: dict[str, list[Any]], *, actor: str, seed: int
) -> int:
    """The planned drug-plant fields (Lạng Sơn), each owned by the hamlet covering it."""
    specs = [
        c
        for u in units
        for c in synth.cultivation_for(u.code, synth.plan_for(u.code), hamlets[u.code], seed)
    ]
    owners = covering_units(session, [c.geom for c in specs])
    rows = [
        {
            "geom": _wkb(_multi(c.geom)),
            "plant_count": c.plant_count,
            "status": c.status,
            "detected_on": c.detected_on,
            "eradicated_on": c.eradicated_on,
            "admin_unit_id": owner,
            **_stamp(actor),
        }
        for c, owner in zip(specs, owners, strict=True)
    ]
    return len(_insert(session, CultivationSite, rows, actor=actor, what="demo cultivation"))


def insert_route(session: Session, units: Sequence[Unit], *, actor: str, seed: int) -> int:
    """The demo key route in Trà Vinh (skipped without those communes); refuses to break a plan."""
    by_code = {u.code: u for u in units}
    if not all(c in by_code for c in synth.ROUTE_WAYPOINTS):
        return 0
    line = synth.key_route(
        [by_code[c].geom.representative_point() for c in synth.ROUTE_WAYPOINTS], seed
    )
    crossed = {u.code for u in units if u.geom.intersects(line)}
    conflicts = synth.route_conflicts(crossed, {u.code: synth.plan_for(u.code) for u in units})
    if conflicts:
        raise ValueError("demo key route contradicts the unit plans: " + "; ".join(conflicts))
    row = {
        "geom": _wkb(MultiLineString([line])),
        "name": synth.ROUTE_NAME,
        "kind": "road",
        "is_key_route": True,
        **_stamp(actor),
    }
    return len(_insert(session, Route, [row], actor=actor, what="demo key route"))


# --- indicators --------------------------------------------------------------------------------

Counts = dict[tuple[int, date], dict[str, int]]


def build_indicators(
    units: Sequence[Unit], olds: Sequence[OldUnit], hamlets: dict[str, list[Any]], *, seed: int
) -> Counts:
    """24 months for every 2025 commune, and for every pre-2025 commune its share of them.

    Old units get the counts of the 2025 communes they overlap, split by area (largest
    remainder), for all 24 months: demo figures "as if still reported on the old units", so a
    campaign written on old units stays evaluable after the merger.
    """
    counts: Counts = {}
    for u in units:
        hh = u.households or synth.households_estimate(u.population, u.geom)
        rows = synth.monthly_indicators(
            u.code, synth.plan_for(u.code), households=hh, n_hamlets=len(hamlets[u.code]), seed=seed
        )
        counts.update({(u.id, m): row for m, row in rows})
    takers: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for old in olds:
        for new_id, share in old.shares.items():
            takers[new_id].append((old.id, share))
    for u in units:
        share_list = takers.get(u.id, [])
        for month in synth.demo_months():
            parts = synth.apportion_row(counts[(u.id, month)], [s for _, s in share_list])
            for (old_id, _), part in zip(share_list, parts, strict=True):
                _add(counts.setdefault((old_id, month), {}), part)
    return counts


def _add(total: dict[str, int], part: dict[str, int]) -> None:
    for key, value in part.items():
        total[key] = total.get(key, 0) + value


def insert_indicators(session: Session, counts: Counts, *, actor: str) -> int:
    rows = [
        {"admin_unit_id": unit_id, "month": month, **row, **_stamp(actor)}
        for (unit_id, month), row in sorted(counts.items())
    ]
    return len(_insert(session, Indicator, rows, actor=actor, what="demo monthly indicators"))


# --- campaigns ---------------------------------------------------------------------------------


def read_campaigns(path: Path = CAMPAIGNS_FILE) -> list[dict[str, Any]]:
    """The four seed campaigns as transcribed in ``campaigns.json``."""
    campaigns: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["campaigns"]
    return campaigns


def subunits_valid_from() -> date:
    """The day the demo hamlets and residential groups are valid from: the earliest demo
    campaign's start (see ``insert_hamlets``)."""
    return min(date.fromisoformat(c["starts_on"]) for c in read_campaigns())


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def insert_campaigns(session: Session, *, actor: str) -> dict[str, int]:
    """The seed campaigns through the campaigns service (the same path as a staff officer's
    `geo-app campaign create`), each with its baseline snapshot."""
    from geo_app.services.campaigns import create_campaign, take_baseline

    tally = {"campaigns": 0, "phases": 0, "targets": 0, "baselines": 0}
    for c in read_campaigns():
        campaign = create_campaign(session, c, actor=actor, is_demo=True)
        baseline = take_baseline(session, campaign.id, actor=actor)
        tally["campaigns"] += 1
        tally["phases"] += len(c["phases"])
        tally["targets"] += len(c["targets"])
        tally["baselines"] += len(baseline.taken)
    return tally


def load_demo_features(
    session: Session, *, actor: str, seed: int = SEED, as_of: date | None = None
) -> dict[str, int]:
    """Insert every demo feature for the seed areas; returns row counts per kind.

    Needs the 2025 communes of the seed areas (and, for old-layout campaigns and indicators,
    the pre-2025 communes) already loaded. Runs in the caller's transaction; never commits.
    """
    units = seed_communes(session)
    if not units:
        raise ValueError("no 2025 communes of the seed areas are loaded: import boundaries first")
    as_of = as_of or synth.DEMO_TODAY
    olds = old_communes(session, units)
    hamlets = insert_hamlets(session, units, actor=actor, seed=seed)
    for level in ("hamlet", "residential_group"):
        rebuild_bands(session, level=level, layout="2025")
    spots, history = insert_hotspots(session, units, hamlets, actor=actor, seed=seed)
    boards, boxes, visits = insert_facilities(
        session, units, hamlets, actor=actor, seed=seed, as_of=as_of
    )
    counts = build_indicators(units, olds, hamlets, seed=seed)
    result = {
        "communes_2025": len(units),
        "communes_pre2025": len(olds),
        "hamlets": sum(len(v) for v in hamlets.values()),
        "hotspots": spots,
        "hotspot_status_changes": history,
        "hotline_boards": boards,
        "tipoff_boxes": boxes,
        "tipoff_inspections": visits,
        "cultivation_sites": insert_cultivation(session, units, hamlets, actor=actor, seed=seed),
        "routes": insert_route(session, units, actor=actor, seed=seed),
        "indicators": insert_indicators(session, counts, actor=actor),
    }
    result.update(insert_campaigns(session, actor=actor))
    return result
