#!/usr/bin/env python3
"""Build the project's own copy of Vietnam's boundary data under ``data/boundaries/``.

Reads the shared, read-only data set (``/work/shared/data`` by default; see its README) and
writes plain GeoJSON FeatureCollections (CRS84, one administrative level per file) with one
consistent set of fields, plus licences, a matching report and ``manifest.json``:

* ``2025/``: the layout in force since 1 July 2025 (34 provinces, 3,321 communes), with a
  2009-census population estimate per commune (area-weighted overlay).
* ``pre2025/``: the older province > district > commune layout for the four seed areas, with
  official GSO codes attached to the 2009-census polygons by name + spatial matching.
* ``crosswalk/``: the dvhcvn old -> new mapping, copied verbatim.

The output is deterministic: running the script twice gives byte-identical files.

Usage: ``.venv/bin/python scripts/prepare_boundaries.py [SHARED_DATA_DIR] [--out DIR]``
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import io
import json
import re
import shutil
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPolygon, Polygon

# --------------------------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------------------------

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SHARED = Path("/work/shared/data")
DEFAULT_OUT = REPO_ROOT / "data" / "boundaries"

METRIC_CRS = "EPSG:32648"  # WGS 84 / UTM 48N: areas are only used as ratios
GRID = 1e-6  # coordinate grid in degrees (about 0.1 m)
GZIP_ABOVE_BYTES = 1_000_000  # larger outputs are written as .geojson.gz
MIN_MATCH_OVERLAP = 0.3  # share of a census polygon that must lie in the GSO unit's successors
AREA_SHARE_FOR_MEMBERSHIP = 0.5  # unmatched census unit belongs to a seed area above this share
MAX_FILLED_HOLE_M2 = 10_000.0  # holes left by gaps between source communes are filled below this
NEAREST_FALLBACK_M = 25_000.0  # census islands drawn off-position go to the nearest 2025 unit
ADJACENT_M = 50.0  # census polygons closer than this count as neighbours
VN_EXTENT = (102.0, 8.0, 110.0, 23.5)  # lon/lat box of the mainland and near-shore islands
# Units allowed outside VN_EXTENT: Đặc khu Hoàng Sa, Đặc khu Trường Sa and their provinces
OFFSHORE_CODES = frozenset({"20333", "22736", "48", "56"})

CRS84 = {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
SRC_VPD = "vietnamese-provinces-database@cd58063"
SRC_CENSUS = "censusVN2009"
SRC_DVHCVN = "dvhcvn/20250701"
POPULATION_YEAR = 2009

NATIONAL_2025 = "boundaries/2025/vn_communes_2025_simplified25m.geojson"
CENSUS_GPKG = "boundaries/pre2025/vn_communes_pre2025_censusVN2009.gpkg"
MERGES = "crosswalk/merges.json"
SPLITS = "crosswalk/splits.json"

KIND_EN = {
    "tỉnh": "Province",
    "thành phố": "City",
    "huyện": "District",
    "quận": "District",
    "thị xã": "Town",
    "xã": "Commune",
    "phường": "Ward",
    "thị trấn": "Township",
    "đặc khu": "Special Zone",
}
COMMUNE_KINDS = ("thị trấn", "đặc khu", "phường", "xã")


@dataclass(frozen=True)
class Province:
    """A pre-2025 province: GSO code, official name and the census ``province_id``."""

    code: str
    name: str
    census_id: int


@dataclass(frozen=True)
class District:
    """A pre-2025 district (state of 30 June 2025) with the GSO commune codes it held."""

    code: str
    name: str
    province: str
    census_name: str | None  # district name in the 2009 census data, None if created later
    first: str | None = None  # GSO commune code range (inclusive) ...
    last: str | None = None
    extra: frozenset[str] = field(default_factory=frozenset)  # ... plus codes moved in


@dataclass(frozen=True)
class SeedArea:
    """One of the four seed areas: its 2025 full-resolution file and its pre-2025 province."""

    key: str
    file_2025: str
    province: str
    census_district: str | None  # restrict to one census district, None = whole province


# Official names as of 30 June 2025 (Thừa Thiên Huế became Thành phố Huế on 1 January 2025).
PROVINCES_PRE2025 = {
    "20": Province("20", "Tỉnh Lạng Sơn", 209),
    "46": Province("46", "Thành phố Huế", 411),
    "79": Province("79", "Thành phố Hồ Chí Minh", 701),
    "84": Province("84", "Tỉnh Trà Vinh", 817),
}

# GSO district codes, the census district each corresponds to (the pre-2025 files use the
# census layout, so 851 has no units there), and the GSO commune codes each district held just
# before 1 July 2025 (used for ``district_2025_06`` and the consistency check).
# Checked against daohoangson/dvhcvn data/dvhcvn.json + data/sorted.json and the district table
# of vietnamese-provinces-database; re-checked at run time against the census grouping.
# In 2015 Thị xã Duyên Hải (851) was split off Huyện Duyên Hải (850), whose range 29512-29539
# it shares, and Đôn Xuân / Đôn Châu moved from Trà Cú (849) to Huyện Duyên Hải.
_TX_DUYEN_HAI = frozenset({"29512", "29515", "29516", "29518", "29524", "29527", "29539"})
DISTRICTS = [
    District("842", "Thành phố Trà Vinh", "84", "Thành phố Trà Vinh", "29236", "29263"),
    District("844", "Huyện Càng Long", "84", "Huyện Càng Long", "29266", "29305"),
    District("845", "Huyện Cầu Kè", "84", "Huyện Cầu Kè", "29308", "29338"),
    District("846", "Huyện Tiểu Cần", "84", "Huyện Tiểu Cần", "29341", "29371"),
    District("847", "Huyện Châu Thành", "84", "Huyện Châu Thành", "29374", "29413"),
    District("848", "Huyện Cầu Ngang", "84", "Huyện Cầu Ngang", "29416", "29458"),
    District("849", "Huyện Trà Cú", "84", "Huyện Trà Cú", "29461", "29509"),
    District(
        "850",
        "Huyện Duyên Hải",
        "84",
        "Huyện Duyên Hải",
        "29512",
        "29539",
        frozenset({"29497", "29500"}),
    ),
    District("851", "Thị xã Duyên Hải", "84", None, extra=_TX_DUYEN_HAI),
    District("784", "Huyện Hóc Môn", "79", "Huyện Hóc Môn", "27559", "27592"),
    # Hương Trà: its nine units of June 2025 (codes 19996-20041 also include Hương Phong,
    # Hương Vinh and Hương An, which had left the town for Huế city by then).
    District(
        "480",
        "Thị xã Hương Trà",
        "46",
        "Thị xã Hương Trà",
        extra=frozenset(
            {"19996", "20005", "20008", "20011", "20017", "20020", "20026", "20035", "20041"}
        ),
    ),
    District("178", "Thành phố Lạng Sơn", "20", "Thành phố Lạng Sơn", "05971", "05992"),
    District("180", "Huyện Tràng Định", "20", "Huyện Tràng Định", "05995", "06061"),
    District("181", "Huyện Bình Gia", "20", "Huyện Bình Gia", "06064", "06121"),
    District("182", "Huyện Văn Lãng", "20", "Huyện Văn Lãng", "06124", "06181"),
    District("183", "Huyện Cao Lộc", "20", "Huyện Cao Lộc", "06184", "06250"),
    District("184", "Huyện Văn Quan", "20", "Huyện Văn Quan", "06253", "06322"),
    District("185", "Huyện Bắc Sơn", "20", "Huyện Bắc Sơn", "06325", "06382"),
    District("186", "Huyện Hữu Lũng", "20", "Huyện Hữu Lũng", "06385", "06460"),
    District("187", "Huyện Chi Lăng", "20", "Huyện Chi Lăng", "06463", "06523"),
    District("188", "Huyện Lộc Bình", "20", "Huyện Lộc Bình", "06526", "06610"),
    District("189", "Huyện Đình Lập", "20", "Huyện Đình Lập", "06613", "06646"),
]

CENSUS_DISTRICTS = {d.census_name: d.code for d in DISTRICTS if d.census_name}

SEED_AREAS = [
    SeedArea("tra_vinh", "tra_vinh_former_province_2025_wards.geojson", "84", None),
    SeedArea("hoc_mon", "hoc_mon_former_district_2025_wards.geojson", "79", "Huyện Hóc Môn"),
    SeedArea("huong_tra", "huong_tra_former_town_2025_wards.geojson", "46", "Thị xã Hương Trà"),
    SeedArea("lang_son", "lang_son_2025_wards.geojson", "20", None),
]

# --------------------------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------------------------

_TONES = "\u0300\u0301\u0303\u0309\u0323"
_TONE_AFTER_GLIDE = re.compile(f"([ou])([aey])([{_TONES}])")


def collapse_spaces(text: str) -> str:
    """Trim and collapse runs of whitespace (source names contain double spaces)."""
    return " ".join(text.split())


def ascii_fold(text: str) -> str:
    """Strip Vietnamese diacritics: 'Hóc Môn' -> 'Hoc Mon'."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def split_kind(full_name: str) -> tuple[str | None, str]:
    """Split 'Thị trấn Cầu Kè' into ('thị trấn', 'Cầu Kè'); kind is None if unknown."""
    name = collapse_spaces(unicodedata.normalize("NFC", full_name))
    lowered = name.lower()
    for kind in (*COMMUNE_KINDS, "thành phố", "thị xã", "huyện", "quận", "tỉnh"):
        if lowered.startswith(kind + " "):
            return kind, name[len(kind) + 1 :]
    return None, name


def fix_kind_case(full_name: str) -> str:
    """Capitalise the leading kind word ('xã Bắc Sơn' -> 'Xã Bắc Sơn')."""
    name = collapse_spaces(full_name)
    return name[:1].upper() + name[1:]


def match_key(bare_name: str) -> str:
    """Comparison key for a unit name without its kind word.

    Lower-cases, unifies old/new tone placement ('Hoà' == 'Hòa', 'Thuý' == 'Thúy') and
    expands the abbreviation 'NT' (nông trường).
    """
    text = unicodedata.normalize("NFD", collapse_spaces(bare_name).lower())
    text = _TONE_AFTER_GLIDE.sub(r"\1\3\2", text)
    text = unicodedata.normalize("NFC", text)
    return re.sub(r"^nt ", "nông trường ", text)


def english_name(kind: str | None, bare_name: str) -> str:
    """English name in the style of the source data: 'Hoc Mon District', 'Ward 1'."""
    ascii_name = ascii_fold(bare_name)
    kind_en = KIND_EN.get(kind or "", "")
    if not kind_en:
        return ascii_name
    if ascii_name.isdigit():
        return f"{kind_en} {ascii_name}"
    return f"{ascii_name} {kind_en}"


# --------------------------------------------------------------------------------------------
# Geometry
# --------------------------------------------------------------------------------------------


def as_multipolygon(geom: shapely.Geometry) -> MultiPolygon:
    """Keep only the polygonal parts of a geometry, as one MultiPolygon."""
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon | MultiPolygon)]
    polygons: list[Polygon] = []
    for part in parts:
        polygons.extend(shapely.get_parts(part) if isinstance(part, MultiPolygon) else [part])
    return MultiPolygon([p for p in polygons if not p.is_empty])


def clean_geometry(geom: shapely.Geometry) -> MultiPolygon:
    """Snap to the output grid, repair if needed and orient rings (exterior CCW)."""
    snapped = shapely.set_precision(geom, GRID)
    if not snapped.is_valid:
        snapped = shapely.make_valid(snapped)
    multi = as_multipolygon(snapped)
    return shapely.orient_polygons(multi, exterior_cw=False)


def fill_small_holes(geom: MultiPolygon, max_area_m2: float) -> tuple[MultiPolygon, int]:
    """Remove interior rings smaller than ``max_area_m2``; return the count removed."""
    to_metric = _metric_transformer()
    removed = 0
    polygons = []
    for polygon in geom.geoms:
        kept = []
        for ring in polygon.interiors:
            hole = Polygon(ring)
            if shapely.area(shapely.transform(hole, to_metric)) < max_area_m2:
                removed += 1
            else:
                kept.append(ring)
        polygons.append(Polygon(polygon.exterior, kept))
    return MultiPolygon(polygons), removed


def _metric_transformer() -> Any:
    """Vectorised lon/lat -> METRIC_CRS coordinate function for shapely.transform."""
    transformer = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)

    def apply(coords: np.ndarray) -> np.ndarray:
        """Transform an (n, 2) array of lon/lat pairs."""
        x, y = transformer.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return apply


def to_metric(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Project to METRIC_CRS and repair any geometry the projection made invalid."""
    projected = frame.to_crs(METRIC_CRS)
    invalid = ~projected.geometry.is_valid
    if invalid.any():
        projected.loc[invalid, "geometry"] = shapely.make_valid(projected.geometry[invalid].values)
    return projected


def intersection_areas(left: gpd.GeoDataFrame, right: gpd.GeoDataFrame) -> pd.DataFrame:
    """All intersecting (left index, right index, area m²) pairs of two metric frames."""
    pairs = gpd.sjoin(left[["geometry"]], right[["geometry"]], how="inner", predicate="intersects")
    left_geoms = left.geometry.loc[pairs.index].values
    right_geoms = right.geometry.loc[pairs["index_right"]].values
    areas = shapely.area(shapely.intersection(left_geoms, right_geoms))
    result = pd.DataFrame(
        {"left": pairs.index.to_numpy(), "right": pairs["index_right"].to_numpy(), "area": areas}
    )
    return result[result["area"] > 0].sort_values(["left", "right"]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def _round_coords(obj: Any) -> Any:
    """Round nested coordinate lists to the output grid (6 decimals)."""
    if isinstance(obj, float):
        return round(obj, 6)
    return [_round_coords(item) for item in obj]


def geojson_bytes(name: str, frame: gpd.GeoDataFrame, columns: list[str]) -> bytes:
    """Serialise a frame as a compact, one-feature-per-line CRS84 FeatureCollection."""
    lines = []
    for row in frame.itertuples(index=False):
        properties = {col: _json_value(getattr(row, col)) for col in columns}
        mapped = shapely.geometry.mapping(row.geometry)
        geometry = {"type": mapped["type"], "coordinates": _round_coords(mapped["coordinates"])}
        feature = {"type": "Feature", "properties": properties, "geometry": geometry}
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    head = json.dumps(
        {"type": "FeatureCollection", "name": name, "crs": CRS84}, ensure_ascii=False
    )[:-1]
    body = ",\n".join(lines)
    return f'{head}, "features": [\n{body}\n]}}\n'.encode()


def _json_value(value: Any) -> Any:
    """Convert numpy / pandas scalars to plain JSON values (NaN -> null)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if value is pd.NA:
        return None
    return value


@dataclass
class OutputFile:
    """One written layer, for the manifest."""

    path: str
    level: str
    layout: str
    parent_code_field: str | None
    feature_count: int
    sha256: str
    size_bytes: int
    description: str


def write_layer(
    out_dir: Path,
    rel_stem: str,
    frame: gpd.GeoDataFrame,
    columns: list[str],
    *,
    level: str,
    layout: str,
    description: str,
) -> OutputFile:
    """Write one layer as .geojson (or .geojson.gz when large) and describe it."""
    data = geojson_bytes(Path(rel_stem).name, frame, columns)
    rel_path = rel_stem + ".geojson"
    if len(data) > GZIP_ABOVE_BYTES:
        data = gzip.compress(data, compresslevel=9, mtime=0)
        rel_path += ".gz"
    target = out_dir / rel_path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return OutputFile(
        path=rel_path,
        level=level,
        layout=layout,
        parent_code_field="parent_code" if "parent_code" in columns else None,
        feature_count=len(frame),
        sha256=hashlib.sha256(data).hexdigest(),
        size_bytes=len(data),
        description=description,
    )


def read_layer(path: Path) -> gpd.GeoDataFrame:
    """Read a written layer back with pyogrio (gzip through GDAL's /vsigzip/)."""
    prefix = "/vsigzip/" if path.suffix == ".gz" else ""
    return gpd.read_file(prefix + str(path), engine="pyogrio")


# --------------------------------------------------------------------------------------------
# 2025 layout
# --------------------------------------------------------------------------------------------


def read_source_layer(path: Path) -> gpd.GeoDataFrame:
    """Read a source GeoJSON (EPSG:4326) with pyogrio."""
    frame = gpd.read_file(path, engine="pyogrio")
    if frame.crs is None or frame.crs.to_epsg() != 4326:
        raise SystemExit(f"{path}: expected EPSG:4326, got {frame.crs}")
    return frame


def load_communes_2025(shared: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """National 2025 communes with the seed areas' full-resolution geometry swapped in.

    Returns (communes, simplified national source) both indexed by code.
    """
    national = read_source_layer(shared / NATIONAL_2025).set_index("code", drop=False)
    national.index.name = None
    communes = national.copy()
    communes["geom_source"] = "simplified_25m"
    communes["old_units_dvhcvn"] = None
    for area in SEED_AREAS:
        seed = read_source_layer(shared / "boundaries" / "2025" / area.file_2025)
        missing = set(seed["code"]) - set(communes.index)
        if missing:
            raise SystemExit(f"{area.file_2025}: codes not in national file: {sorted(missing)}")
        seed = seed.set_index("code")
        communes.loc[seed.index, "geometry"] = seed.geometry
        communes.loc[seed.index, "geom_source"] = "full_resolution"
        communes.loc[seed.index, "old_units_dvhcvn"] = seed["old_units_dvhcvn"]
    communes = communes.sort_index()
    communes["geometry"] = [clean_geometry(g) for g in communes.geometry]
    return communes, national.sort_index()


def official_provinces_2025(shared: Path) -> dict[str, str]:
    """The 34 new provinces {code: official name} from crosswalk/merges.json."""
    merges = json.loads((shared / MERGES).read_text(encoding="utf-8"))
    provinces = {item["level1_id"]: collapse_spaces(item["name"]) for item in merges["data"]}
    if len(provinces) != 34:
        raise SystemExit(f"merges.json: expected 34 provinces, got {len(provinces)}")
    return dict(sorted(provinces.items()))


def commune_attributes_2025(communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Derive the output attribute columns of the 2025 communes."""
    out = communes.copy()
    out["name"] = [fix_kind_case(n) for n in out["fullName"]]
    out["name_en"] = [collapse_spaces(n) for n in out["fullNameEn"]]
    out["kind"] = [split_kind(n)[0] for n in out["name"]]
    if out["kind"].isna().any():
        raise SystemExit(f"2025: unknown kind in {out.loc[out['kind'].isna(), 'name'].tolist()}")
    out["parent_code"] = out["province_code"]
    out["area_km2"] = out["areaKm2"]
    out["source"] = [
        f"{SRC_VPD} ({'full resolution' if g == 'full_resolution' else 'simplified 25 m'}); "
        f"population: {SRC_CENSUS} area-weighted"
        for g in out["geom_source"]
    ]
    return out


@dataclass
class PopulationStats:
    """Totals of the census -> 2025 area-weighted overlay."""

    census_total: float
    raw_overlap_total: float
    estimate_total: int
    census_without_overlap: list[str]
    census_nearest_fallback: list[str]
    census_lost_population: float
    communes_without_overlap: list[str]


def estimate_population(
    communes: gpd.GeoDataFrame, census: gpd.GeoDataFrame
) -> tuple[pd.Series, PopulationStats]:
    """Area-weighted 2009-census population of each 2025 commune.

    Each census polygon's population is shared among the 2025 communes it overlaps in
    proportion to the overlapping area (normalised by the overlapped part of the census
    polygon, so coastline mismatches do not lose people). A census polygon that overlaps
    nothing (an island drawn off-position) goes to the nearest 2025 commune within
    NEAREST_FALLBACK_M.
    """
    census_m = to_metric(census[["commune_id", "population", "geometry"]])
    communes_m = to_metric(communes[["geometry"]])
    pairs = intersection_areas(census_m, communes_m)
    lonely = census_m.index.difference(pairs["left"].unique())
    nearest = (
        gpd.sjoin_nearest(
            census_m.loc[lonely, ["geometry"]],
            communes_m,
            max_distance=NEAREST_FALLBACK_M,
            distance_col="distance",
        )
        .sort_values(["distance", "index_right"])
        .groupby(level=0)
        .head(1)
    )
    fallback = pd.DataFrame(
        {"left": nearest.index.to_numpy(), "right": nearest["index_right"].to_numpy(), "area": 1.0}
    )
    fallback_labels = [
        f"{int(census_m.loc[i, 'commune_id'])} -> {r} ({d / 1000:.1f} km)"
        for i, r, d in zip(nearest.index, nearest["index_right"], nearest["distance"], strict=True)
    ]
    pairs = pd.concat([pairs, fallback], ignore_index=True)
    census_area = census_m.geometry.area
    covered = pairs.groupby("left")["area"].sum()
    pop = census_m["population"]
    pairs["share"] = pairs["area"] / pairs["left"].map(covered)
    pairs["people"] = pairs["share"] * pairs["left"].map(pop)
    estimate = pairs.groupby("right")["people"].sum().reindex(communes.index)
    overlapping = covered.index.difference(nearest.index)
    raw = float((covered[overlapping] / census_area[overlapping] * pop[overlapping]).sum())
    orphan = census_m.index.difference(covered.index)
    stats = PopulationStats(
        census_total=float(pop.sum()),
        raw_overlap_total=raw,
        estimate_total=int(estimate.round().sum()),
        census_without_overlap=[str(int(census_m.loc[i, "commune_id"])) for i in orphan],
        census_nearest_fallback=fallback_labels,
        census_lost_population=float(pop.loc[orphan].sum()),
        communes_without_overlap=sorted(estimate.index[estimate.isna()].tolist()),
    )
    return estimate.round().astype("Int64"), stats


def dissolve_provinces_2025(
    national: gpd.GeoDataFrame, names: dict[str, str]
) -> tuple[gpd.GeoDataFrame, int]:
    """Union the simplified national communes per province (shared borders stay identical).

    Returns the provinces and the number of slivers (gaps between source communes) filled.
    """
    rows = []
    filled_total = 0
    for code, name in names.items():
        members = national[national["province_code"] == code].sort_index()
        if members.empty:
            raise SystemExit(f"province {code}: no communes")
        union = clean_geometry(shapely.union_all(members.geometry.values))
        union, filled = fill_small_holes(union, MAX_FILLED_HOLE_M2)
        filled_total += filled
        kind, bare = split_kind(name)
        rows.append(
            {
                "code": code,
                "name": name,
                "name_en": english_name(kind, bare),
                "kind": kind,
                "geometry": clean_geometry(union),
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326"), filled_total


# --------------------------------------------------------------------------------------------
# Pre-2025 layout: census polygons with GSO codes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GsoOldUnit:
    """A pre-July-2025 commune from splits.json: code, name and its 2025 successors."""

    code: str
    name: str
    successors: tuple[str, ...]


def load_old_units(shared: Path) -> dict[str, list[GsoOldUnit]]:
    """splits.json as {old province code: [old communes]}."""
    splits = json.loads((shared / SPLITS).read_text(encoding="utf-8"))
    result: dict[str, list[GsoOldUnit]] = {}
    for province in splits["data"]:
        result[province["level1_id"]] = [
            GsoOldUnit(
                unit["level3_id"],
                collapse_spaces(unit["name"]),
                tuple(sorted({s["new_id"] for s in unit["splits"]})),
            )
            for unit in province["level3s"]
        ]
    return result


def parse_old_units(text: str) -> list[tuple[str, str, str]]:
    """Parse '29239 Phường 1 (full); ...' into [(code, name, full|partial)]."""
    items = []
    for chunk in text.split(";"):
        found = re.fullmatch(r"\s*(\d{5}) (.+) \((full|partial)\)\s*", chunk)
        if not found:
            raise SystemExit(f"old_units_dvhcvn: cannot parse {chunk!r}")
        items.append((found.group(1), collapse_spaces(found.group(2)), found.group(3)))
    return items


def district_of(code: str) -> District | None:
    """The pre-2025 district holding a GSO commune code (from the explicit table)."""
    for district in DISTRICTS:
        if code in district.extra:
            return district
    for district in DISTRICTS:
        if district.first and district.last and district.first <= code <= district.last:
            in_other_extra = any(code in d.extra for d in DISTRICTS if d is not district)
            if not in_other_extra:
                return district
    return None


@dataclass
class Match:
    """The outcome of matching one census commune to a GSO code."""

    commune_id: int
    gso_code: str | None
    method: str  # 'name', 'name_kind_changed' or 'unmatched'
    overlap: float
    candidates: str  # name candidates tried, with their overlap


def match_census_to_gso(
    census: gpd.GeoDataFrame,
    old_units: list[GsoOldUnit],
    communes_2025_m: gpd.GeoDataFrame,
) -> dict[int, Match]:
    """Match census communes of one province to GSO old communes.

    A candidate must have the same normalised name; it is accepted only when at least
    MIN_MATCH_OVERLAP of the census polygon lies in the 2025 units the GSO commune went to.
    Pairs are assigned greedily (one-to-one): unchanged kind first, then by overlap, so
    'Thị trấn Bắc Sơn' wins over 'Xã Bắc Sơn' when both lie in the same successor.
    """
    census_m = to_metric(census)
    by_key: dict[str, list[GsoOldUnit]] = defaultdict(list)
    for unit in old_units:
        kind, bare = split_kind(unit.name)
        by_key[match_key(bare)].append(unit)
    successor_geoms: dict[str, shapely.Geometry] = {}
    scored: list[tuple[float, int, int, str, str]] = []
    tried: dict[int, list[str]] = defaultdict(list)
    for idx, row in census_m.iterrows():
        kind, bare = split_kind(row["commune_vn"])
        for unit in by_key.get(match_key(bare), []):
            if unit.code not in successor_geoms:
                geoms = communes_2025_m.geometry.loc[list(unit.successors)].values
                successor_geoms[unit.code] = shapely.union_all(geoms)
            inter = shapely.intersection(row.geometry, successor_geoms[unit.code]).area
            share = inter / row.geometry.area
            same_kind = int(split_kind(unit.name)[0] == kind)
            tried[int(row["commune_id"])].append(f"{unit.code}:{share:.2f}")
            scored.append((share, same_kind, int(row["commune_id"]), unit.code, str(idx)))
    scored.sort(key=lambda s: (-s[1], -s[0], s[2], s[3]))
    matches: dict[int, Match] = {}
    used: set[str] = set()
    for share, same_kind, commune_id, code, _ in scored:
        if share < MIN_MATCH_OVERLAP or commune_id in matches or code in used:
            continue
        method = "name" if same_kind else "name_kind_changed"
        matches[commune_id] = Match(commune_id, code, method, share, " ".join(tried[commune_id]))
        used.add(code)
    for commune_id in census["commune_id"].astype(int):
        if commune_id not in matches:
            matches[commune_id] = Match(
                commune_id, None, "unmatched", 0.0, " ".join(tried[commune_id])
            )
    return matches


@dataclass
class AreaResult:
    """Pre-2025 communes of one seed area plus the facts for the report."""

    communes: gpd.GeoDataFrame
    gso_without_polygon: list[str]
    left_area: list[str]
    unmatched: list[str]


def area_members(shared: Path, area: SeedArea) -> tuple[dict[str, str], list[str]]:
    """The area's old units on 30 June 2025 ({code: name}) and its 2025 commune codes."""
    seed = read_source_layer(shared / "boundaries" / "2025" / area.file_2025)
    members: dict[str, str] = {}
    for text in seed["old_units_dvhcvn"]:
        for code, name, _flag in parse_old_units(text):
            members[code] = name
    return members, sorted(seed["code"])


def build_area_communes(
    area: SeedArea,
    shared: Path,
    census_province: gpd.GeoDataFrame,
    matches: dict[int, Match],
    province_units: list[GsoOldUnit],
    communes_2025: gpd.GeoDataFrame,
) -> AreaResult:
    """Code and attribute the census communes of one seed area (census layout, ~2013).

    The area is the census province, or one census district of it. Each unit's parent is its
    census district; ``in_area_2025_06`` / ``district_2025_06`` add where it stood on 30 June
    2025 (membership from the seed file's ``old_units_dvhcvn``).
    """
    members, codes_2025 = area_members(shared, area)
    old_units = {u.code: u for u in province_units}
    in_area = census_province
    if area.census_district is not None:
        in_area = in_area[in_area["district_vn"] == area.census_district]
    footprint = to_metric(
        gpd.GeoDataFrame(
            geometry=[shapely.union_all(communes_2025.loc[codes_2025].geometry)], crs="EPSG:4326"
        )
    ).geometry.iloc[0]
    province_m = to_metric(census_province)
    coded_polygons = {
        code: province_m.geometry.loc[idx]
        for idx, cid in census_province["commune_id"].items()
        if (code := matches[int(cid)].gso_code) is not None
    }
    census_m = province_m.loc[in_area.index]
    rows = []
    left_area, unmatched = [], []
    for idx, row in in_area.sort_values("commune_id").iterrows():
        match = matches[int(row["commune_id"])]
        label = f"{int(row['commune_id'])} {row['commune_vn']} ({row['district_vn']})"
        if match.gso_code is not None:
            member = match.gso_code in members
            if not member:
                left_area.append(f"{label}: GSO {match.gso_code}")
        else:
            geom_m = census_m.geometry.loc[idx]
            share = shapely.intersection(geom_m, footprint).area / geom_m.area
            member = share >= AREA_SHARE_FOR_MEMBERSHIP
            unmatched.append(label)
            if not member:
                left_area.append(f"{label}: unmatched, {share:.0%} inside the 2025-06 area")
        rows.append(_pre2025_commune_row(row, match, old_units, member))
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")
    _infer_local_districts(frame, old_units, members, communes_2025)
    _add_successor_candidates(frame, province_units, coded_polygons, communes_2025)
    coded = set(frame["code"])
    without = [f"{c} {members[c]}" for c in sorted(members) if c not in coded]
    return AreaResult(
        frame.sort_values("code").reset_index(drop=True), without, left_area, unmatched
    )


def _pre2025_commune_row(
    row: pd.Series, match: Match, old_units: dict[str, GsoOldUnit], member: bool
) -> dict[str, Any]:
    """Attributes of one pre-2025 commune (census polygon, GSO code if matched)."""
    commune_id = int(row["commune_id"])
    census_district = collapse_spaces(row["district_vn"])
    parent = CENSUS_DISTRICTS.get(census_district)
    if parent is None:
        raise SystemExit(f"census district {census_district!r} is not in the district table")
    district_2025: str | None = None
    if match.gso_code is not None:
        code, name = match.gso_code, old_units[match.gso_code].name
        code_source = "gso"
        table = district_of(code)
        if member and table is None:
            raise SystemExit(f"GSO code {code} of the area is in no district of the table")
        district_2025 = table.code if member and table else None
    else:
        code, name = f"vn2009-{commune_id}", collapse_spaces(row["commune_vn"])
        code_source = "local"
    kind, bare = split_kind(name)
    return {
        "code": code,
        "name": name,
        "name_en": english_name(kind, bare),
        "kind": kind,
        "parent_code": parent,
        "population": int(round(row["population"])),
        "population_is_estimate": False,
        "population_year": POPULATION_YEAR,
        "source": f"{SRC_CENSUS} polygon (~2013 boundaries); code: {SRC_DVHCVN} splits",
        "code_source": code_source,
        "match_method": match.method,
        "match_overlap": round(match.overlap, 3) if match.gso_code else None,
        "in_area_2025_06": member,
        "district_2025_06": district_2025,
        "census_commune_id": commune_id,
        "census_name": collapse_spaces(row["commune_vn"]),
        "census_district": census_district,
        "geometry": clean_geometry(row.geometry),
    }


def _infer_local_districts(
    frame: gpd.GeoDataFrame,
    old_units: dict[str, GsoOldUnit],
    members: dict[str, str],
    communes_2025: gpd.GeoDataFrame,
) -> None:
    """Fill ``district_2025_06`` of local (unmatched) units still in the area in June 2025.

    The unit is placed in the 2025 commune it overlaps most; if every area member that went
    to that 2025 commune lies in one district, that is the district; otherwise it stays null.
    """
    todo = (frame["code_source"] == "local") & frame["in_area_2025_06"]
    for idx in frame.index[todo]:
        best = _main_successor(frame.geometry.loc[idx], communes_2025)
        districts: set[str] = set()
        for code in members:
            district = district_of(code)
            if best in old_units[code].successors and district is not None:
                districts.add(district.code)
        if len(districts) == 1:
            frame.loc[idx, "district_2025_06"] = districts.pop()


def _main_successor(geom: shapely.Geometry, communes_2025: gpd.GeoDataFrame) -> str:
    """Code of the 2025 commune that covers most of a (lon/lat) polygon."""
    single = gpd.GeoDataFrame(geometry=[geom], crs="EPSG:4326")
    pairs = intersection_areas(to_metric(single), to_metric(communes_2025[["geometry"]]))
    best = pairs.sort_values(["area", "right"], ascending=[False, True]).iloc[0]
    return str(best["right"])


def _add_successor_candidates(
    frame: gpd.GeoDataFrame,
    province_units: list[GsoOldUnit],
    coded_polygons: dict[str, shapely.Geometry],
    communes_2025: gpd.GeoDataFrame,
) -> None:
    """Hint, for each local (unmatched) unit, which 2025-06 GSO units may now contain it.

    Candidates are the province's GSO units that went to the same 2025 commune as most of
    the local polygon and that either have no census polygon (renamed or newly formed units)
    or are its neighbours. ``coded_polygons`` holds the metric census polygon of every
    matched GSO code of the province. A hint for manual checking, not a fact.
    """
    frame["successor_candidates"] = None
    metric = to_metric(frame[["geometry"]])
    by_code = coded_polygons
    for idx in frame.index[frame["code_source"] == "local"]:
        best = _main_successor(frame.geometry.loc[idx], communes_2025)
        own = metric.geometry.loc[idx]
        same_successor = sorted(u.code for u in province_units if best in u.successors)
        without_polygon = [c for c in same_successor if c not in by_code]
        neighbours = [
            c for c in same_successor if c in by_code and own.distance(by_code[c]) < ADJACENT_M
        ]
        frame.loc[idx, "successor_candidates"] = " ".join(without_polygon or neighbours) or None


def dissolve_districts(area_communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Districts of a seed area as the union of their pre-2025 communes."""
    rows = []
    table = {d.code: d for d in DISTRICTS}
    for code, members in sorted(area_communes.groupby("parent_code"), key=lambda kv: kv[0]):
        district = table[str(code)]
        kind, bare = split_kind(district.name)
        rows.append(
            {
                "code": district.code,
                "name": district.name,
                "name_en": english_name(kind, bare),
                "kind": kind,
                "parent_code": district.province,
                "population": int(members["population"].sum()),
                "population_is_estimate": False,
                "population_year": POPULATION_YEAR,
                "commune_count": len(members),
                "source": f"union of {SRC_CENSUS} commune polygons; code: GSO",
                "geometry": clean_geometry(shapely.union_all(members.geometry.values)),
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def dissolve_provinces_pre2025(census: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The four seed provinces as the union of all their census communes."""
    rows = []
    for province in PROVINCES_PRE2025.values():
        members = census[census["province_id"] == province.census_id].sort_values("commune_id")
        kind, bare = split_kind(province.name)
        union, _ = fill_small_holes(
            clean_geometry(shapely.union_all(members.geometry.values)), MAX_FILLED_HOLE_M2
        )
        rows.append(
            {
                "code": province.code,
                "name": province.name,
                "name_en": english_name(kind, bare),
                "kind": kind,
                "population": int(round(members["population"].sum())),
                "population_is_estimate": False,
                "population_year": POPULATION_YEAR,
                "commune_count": len(members),
                "source": f"union of {SRC_CENSUS} commune polygons; code: GSO",
                "geometry": clean_geometry(union),
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def check_district_table(census: gpd.GeoDataFrame, matches: dict[int, Match]) -> list[str]:
    """Check the district table against the census grouping of the matched GSO codes.

    Within each census district the matched codes must form one contiguous run in GSO code
    order (no code of another census district inside it); in each province the runs must
    follow district-code order; a code whose table district differs from its census
    district is listed as 'moved' (a boundary change after the census).
    """
    by_census_name = {d.census_name: d for d in DISTRICTS if d.census_name}
    runs: dict[str, list[str]] = defaultdict(list)
    for row in census.itertuples(index=False):
        code = matches[int(row.commune_id)].gso_code
        if code and row.district_vn in by_census_name:
            runs[row.district_vn].append(code)
    owner = {code: name for name, codes in runs.items() for code in codes}
    findings = []
    for province in sorted({d.province for d in DISTRICTS}):
        names = [n for n in runs if by_census_name[n].province == province]
        names.sort(key=lambda n: min(runs[n]))
        for name in names:
            codes = sorted(runs[name])
            census_code = by_census_name[name].code
            intruders = [c for c in owner if codes[0] <= c <= codes[-1] and owner[c] != name]
            status = "contiguous" if not intruders else f"NOT contiguous: {sorted(intruders)}"
            findings.append(
                f"{census_code} {name}: {len(codes)} matched, {codes[0]}-{codes[-1]} {status}"
            )
            for code in codes:
                table = district_of(code)
                if table is None or table.code != census_code:
                    moved = table.code if table else "none"
                    findings.append(f"    moved: {code} {census_code} -> {moved} by 2025-06")
        order = [by_census_name[n].code for n in names]
        status = "in district-code order" if order == sorted(order) else f"OUT OF ORDER {order}"
        findings.append(f"province {province}: runs {status}")
    return findings


# --------------------------------------------------------------------------------------------
# Validation, licences, manifest
# --------------------------------------------------------------------------------------------


def validate_layer(path: Path, expected: int) -> list[str]:
    """Re-read a written layer with pyogrio and check count, validity and extent."""
    frame = read_layer(path)
    problems = []
    if len(frame) != expected:
        problems.append(f"{len(frame)} features, expected {expected}")
    if frame.crs is None or frame.crs.to_epsg() != 4326:
        problems.append(f"CRS {frame.crs}")
    if not frame["code"].is_unique:
        problems.append("duplicate codes")
    if (frame.geometry.is_empty | frame.geometry.isna()).any():
        problems.append("empty geometry")
    if not frame.geometry.is_valid.all():
        problems.append(f"{(~frame.geometry.is_valid).sum()} invalid geometries")
    if set(frame.geom_type) != {"MultiPolygon"}:
        problems.append(f"geometry types {sorted(set(frame.geom_type))}")
    bounds = frame.geometry.bounds
    outside = (
        (bounds.minx < VN_EXTENT[0])
        | (bounds.miny < VN_EXTENT[1])
        | (bounds.maxx > VN_EXTENT[2])
        | (bounds.maxy > VN_EXTENT[3])
    )
    outside &= ~frame["code"].isin(OFFSHORE_CODES)
    if outside.any():
        problems.append(f"outside Vietnam's extent: {frame.loc[outside, 'code'].tolist()}")
    return problems


def copy_licences(shared: Path, out: Path) -> list[str]:
    """Copy the licence files next to the layers that need them; return the copied paths."""
    copies = {
        # 2025 geometry
        "boundaries/2025/LICENSE-vietnamese-provinces-database": [
            "2025/LICENSE-vietnamese-provinces-database"
        ],
        # pre-2025 polygons and all populations (the 2025 estimate derives from the census)
        "boundaries/pre2025/LICENSE-censusVN2009": [
            "pre2025/LICENSE-censusVN2009",
            "2025/LICENSE-censusVN2009",
        ],
        # crosswalk, 2025 province names, old_units_dvhcvn and the pre-2025 GSO codes
        "crosswalk/LICENSE-dvhcvn": [
            "crosswalk/LICENSE-dvhcvn",
            "pre2025/LICENSE-dvhcvn",
            "2025/LICENSE-dvhcvn",
        ],
    }
    written = []
    for source, targets in copies.items():
        for target in targets:
            (out / target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shared / source, out / target)
            written.append(target)
    for name in ("merges.json", "splits.json"):
        shutil.copyfile(shared / "crosswalk" / name, out / "crosswalk" / name)
        written.append(f"crosswalk/{name}")
    return sorted(written)


def write_manifest(out: Path, files: list[OutputFile], extras: list[str]) -> None:
    """Write manifest.json: layers in import order, then the other files."""
    level_rank = {"province": 0, "district": 1, "commune": 2}
    layout_rank = {"2025": 0, "pre2025": 1}
    ordered = sorted(files, key=lambda f: (layout_rank[f.layout], level_rank[f.level], f.path))
    layers = []
    for order, item in enumerate(ordered, start=1):
        layers.append(
            {
                "order": order,
                "path": item.path,
                "layout": item.layout,
                "level": item.level,
                "code_field": "code",
                "name_field": "name",
                "parent_code_field": item.parent_code_field,
                "name_en_field": "name_en",
                "kind_field": "kind",
                "population_field": "population",
                "population_estimate_field": "population_is_estimate",
                "feature_count": item.feature_count,
                "gzip": item.path.endswith(".gz"),
                "gdal_path_prefix": "/vsigzip/" if item.path.endswith(".gz") else "",
                "size_bytes": item.size_bytes,
                "sha256": item.sha256,
                "description": item.description,
            }
        )
    other = [
        {"path": rel, "sha256": hashlib.sha256((out / rel).read_bytes()).hexdigest()}
        for rel in extras
    ]
    manifest = {
        "generated_by": "scripts/prepare_boundaries.py",
        "crs": "urn:ogc:def:crs:OGC:1.3:CRS84 (EPSG:4326 axis order lon, lat)",
        "sources": {
            "2025_geometry": "github.com/thanglequoc/vietnamese-provinces-database commit cd58063",
            "population": "github.com/LucieContamin/censusVN2009 (2009 census)",
            "crosswalk": "github.com/dvhcvn/20250701 mapping/",
        },
        "layers": layers,
        "other_files": other,
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
    (out / "manifest.json").write_text(text, encoding="utf-8")


def write_matching_report(
    out: Path,
    census: gpd.GeoDataFrame,
    matches: dict[int, Match],
    old_units: dict[str, GsoOldUnit],
    area_codes: dict[int, str],
) -> str:
    """CSV of every census commune of the seed provinces and its GSO match."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            "census_commune_id",
            "census_province",
            "census_district",
            "census_name",
            "gso_code",
            "gso_name",
            "method",
            "overlap",
            "name_candidates",
            "output_code",
        ]
    )
    for row in census.sort_values("commune_id").itertuples(index=False):
        match = matches[int(row.commune_id)]
        writer.writerow(
            [
                int(row.commune_id),
                row.province_vn,
                row.district_vn,
                collapse_spaces(row.commune_vn),
                match.gso_code or "",
                old_units[match.gso_code].name if match.gso_code else "",
                match.method,
                f"{match.overlap:.3f}" if match.gso_code else "",
                match.candidates,
                area_codes.get(int(row.commune_id), ""),
            ]
        )
    rel = "pre2025/gso_matching_censusVN2009.csv"
    (out / rel).write_text(buffer.getvalue(), encoding="utf-8")
    return rel


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------

COMMUNE_2025_COLUMNS = [
    "code",
    "name",
    "name_en",
    "kind",
    "parent_code",
    "population",
    "population_is_estimate",
    "population_year",
    "area_km2",
    "geom_source",
    "old_units_dvhcvn",
    "source",
]
PROVINCE_2025_COLUMNS = [
    "code",
    "name",
    "name_en",
    "kind",
    "population",
    "population_is_estimate",
    "population_year",
    "commune_count",
    "source",
]
COMMUNE_PRE2025_COLUMNS = [
    "code",
    "name",
    "name_en",
    "kind",
    "parent_code",
    "population",
    "population_is_estimate",
    "population_year",
    "code_source",
    "match_method",
    "match_overlap",
    "in_area_2025_06",
    "district_2025_06",
    "successor_candidates",
    "census_commune_id",
    "census_name",
    "census_district",
    "source",
]
DISTRICT_PRE2025_COLUMNS = [
    "code",
    "name",
    "name_en",
    "kind",
    "parent_code",
    "population",
    "population_is_estimate",
    "population_year",
    "commune_count",
    "source",
]


def build_2025(
    shared: Path, out: Path, census: gpd.GeoDataFrame
) -> tuple[list[OutputFile], gpd.GeoDataFrame]:
    """Write the 2025 communes and provinces; return the files and the communes."""
    communes, national = load_communes_2025(shared)
    names = official_provinces_2025(shared)
    communes = commune_attributes_2025(communes)
    unknown = set(communes["parent_code"]) - set(names)
    if unknown:
        raise SystemExit(f"2025 communes refer to unknown provinces {sorted(unknown)}")

    population, stats = estimate_population(communes, census)
    communes["population"] = population
    communes["population_is_estimate"] = True
    communes["population_year"] = POPULATION_YEAR

    provinces, filled = dissolve_provinces_2025(national, names)
    per_province = communes.groupby("parent_code")["population"].sum()
    counts = communes.groupby("parent_code").size()
    provinces["population"] = provinces["code"].map(per_province).astype(int)
    provinces["population_is_estimate"] = True
    provinces["population_year"] = POPULATION_YEAR
    provinces["commune_count"] = provinces["code"].map(counts).astype(int)
    provinces["source"] = (
        f"union of {SRC_VPD} simplified 25 m communes; name: {SRC_DVHCVN} merges; "
        f"population: sum of commune estimates"
    )

    files = [
        write_layer(
            out,
            "2025/vn_provinces_2025",
            provinces,
            PROVINCE_2025_COLUMNS,
            level="province",
            layout="2025",
            description="34 provinces of the 2025 layout, dissolved from communes",
        ),
        write_layer(
            out,
            "2025/vn_communes_2025",
            communes.reset_index(drop=True),
            COMMUNE_2025_COLUMNS,
            level="commune",
            layout="2025",
            description="3,321 communes of the 2025 layout; seed areas full resolution",
        ),
    ]
    _print_2025_summary(communes, provinces, stats, filled)
    return files, communes


def _print_2025_summary(
    communes: gpd.GeoDataFrame, provinces: gpd.GeoDataFrame, stats: PopulationStats, filled: int
) -> None:
    """Print counts and population totals of the 2025 layout."""
    seeds = communes[communes["geom_source"] == "full_resolution"]
    vinh_long = communes[communes["parent_code"] == "86"]
    trav = vinh_long["geom_source"] == "full_resolution"  # only Trà Vinh's seed file is in 86
    print("== 2025 layout")
    print(
        f"provinces: {len(provinces)}   communes: {len(communes)}   "
        f"full-resolution seed units: {len(seeds)}"
    )
    print(
        f"province 86 (Vĩnh Long): {len(vinh_long)} communes, "
        f"{int(trav.sum())} of them former Trà Vinh units"
    )
    print(f"province dissolve: {filled} slivers < {MAX_FILLED_HOLE_M2:.0f} m² filled")
    print(f"population 2009 census total:          {stats.census_total:14,.0f}")
    print(f"  inside 2025 communes, unnormalised:   {stats.raw_overlap_total:14,.0f}")
    print(f"  2025 estimate total (rounded):        {stats.estimate_total:14,d}")
    print(f"  census communes given to the nearest 2025 commune: {stats.census_nearest_fallback}")
    print(
        f"  census communes lost (nothing near):  {len(stats.census_without_overlap)} "
        f"({stats.census_lost_population:,.0f} people) {stats.census_without_overlap}"
    )
    print(
        f"  2025 communes with no overlap (null): {len(stats.communes_without_overlap)} "
        f"{stats.communes_without_overlap}"
    )


def match_seed_provinces(
    census: gpd.GeoDataFrame,
    old_by_province: dict[str, list[GsoOldUnit]],
    communes_2025: gpd.GeoDataFrame,
) -> dict[int, Match]:
    """Match every census commune of the four seed provinces to a GSO code (or none)."""
    communes_2025_m = to_metric(communes_2025[["geometry"]])
    matches: dict[int, Match] = {}
    for province in PROVINCES_PRE2025.values():
        part = census[census["province_id"] == province.census_id]
        matches.update(match_census_to_gso(part, old_by_province[province.code], communes_2025_m))
    return matches


def build_pre2025(
    shared: Path, out: Path, census: gpd.GeoDataFrame, communes_2025: gpd.GeoDataFrame
) -> tuple[list[OutputFile], list[str]]:
    """Write the pre-2025 provinces, districts and communes of the seed areas."""
    old_by_province = load_old_units(shared)
    matches = match_seed_provinces(census, old_by_province, communes_2025)
    old_units = {u.code: u for units in old_by_province.values() for u in units}
    seed_census = census[
        census["province_id"].isin([p.census_id for p in PROVINCES_PRE2025.values()])
    ]
    files: list[OutputFile] = []

    print("\n== pre-2025 layout: GSO code matching (census ~2013 polygons -> 2025-06 codes)")
    area_codes: dict[int, str] = {}
    for area in SEED_AREAS:
        province = PROVINCES_PRE2025[area.province]
        part = census[census["province_id"] == province.census_id]
        result = build_area_communes(
            area, shared, part, matches, old_by_province[area.province], communes_2025
        )
        area_frame = result.communes
        area_codes.update(zip(area_frame["census_commune_id"], area_frame["code"], strict=True))
        districts = dissolve_districts(area_frame)
        files.append(
            write_layer(
                out,
                f"pre2025/{area.key}_communes_pre2025",
                area_frame,
                COMMUNE_PRE2025_COLUMNS,
                level="commune",
                layout="pre2025",
                description=f"{area.key}: census communes with GSO codes (2025-06 membership)",
            )
        )
        files.append(
            write_layer(
                out,
                f"pre2025/{area.key}_districts_pre2025",
                districts,
                DISTRICT_PRE2025_COLUMNS,
                level="district",
                layout="pre2025",
                description=f"{area.key}: districts dissolved from the communes",
            )
        )
        _print_area_summary(area, area_frame, districts, result)

    provinces = dissolve_provinces_pre2025(census)
    files.append(
        write_layer(
            out,
            "pre2025/provinces_pre2025",
            provinces,
            PROVINCE_2025_COLUMNS,
            level="province",
            layout="pre2025",
            description="the four seed provinces dissolved from all their census communes",
        )
    )
    print(
        "provinces:",
        ", ".join(
            f"{r.code} {r.name} ({r.commune_count} census communes, pop {r.population:,})"
            for r in provinces.itertuples()
        ),
    )

    print("\n== district table check (census districts vs GSO commune codes)")
    for line in check_district_table(seed_census, matches):
        print("  " + line)
    report = write_matching_report(out, seed_census, matches, old_units, area_codes)
    return files, [report]


def _print_area_summary(
    area: SeedArea, communes: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, result: AreaResult
) -> None:
    """Print match statistics of one seed area."""
    gso = communes[communes["code_source"] == "gso"]
    kind_changed = (gso["match_method"] == "name_kind_changed").sum()
    print(
        f"-- {area.key}: {len(communes)} census communes -> {len(gso)} GSO-coded "
        f"({kind_changed} with changed kind), {len(result.unmatched)} local vn2009-*; "
        f"{len(districts)} districts; population {int(communes['population'].sum()):,}; "
        f"lowest accepted overlap {gso['match_overlap'].min():.2f}"
    )
    for label in result.unmatched:
        print(f"   unmatched (local code): {label}")
    for label in result.left_area:
        print(f"   no longer in the area on 2025-06-30: {label}")
    print(
        f"   GSO units of the area without a census polygon: {len(result.gso_without_polygon)}"
        + (f": {', '.join(result.gso_without_polygon)}" if result.gso_without_polygon else "")
    )
    local = communes[communes["code_source"] == "local"]
    for row in local.itertuples():
        print(
            f"   {row.code} {row.name}: district {row.parent_code}, "
            f"2025-06 district {_json_value(row.district_2025_06) or 'unknown'}, "
            f"successor candidates: {row.successor_candidates}"
        )


def main(argv: Iterable[str] | None = None) -> int:
    """Entry point: build everything, validate the output and print a summary."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "shared",
        nargs="?",
        type=Path,
        default=DEFAULT_SHARED,
        help=f"shared data directory (default {DEFAULT_SHARED})",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="output directory (default data/boundaries)"
    )
    args = parser.parse_args(list(argv) if argv is not None else None)
    shared: Path = args.shared.resolve()
    out: Path = args.out.resolve()

    for sub in ("2025", "pre2025", "crosswalk"):
        target = out / sub
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)

    census = gpd.read_file(shared / CENSUS_GPKG, engine="pyogrio")
    census = census.sort_values("commune_id").reset_index(drop=True)
    files_2025, communes_2025 = build_2025(shared, out, census)
    files_pre, extras = build_pre2025(shared, out, census, communes_2025)
    extras += copy_licences(shared, out)
    files = files_2025 + files_pre
    write_manifest(out, files, sorted(extras))

    print("\n== files")
    failed = False
    for item in sorted(files, key=lambda f: f.path):
        problems = validate_layer(out / item.path, item.feature_count)
        failed |= bool(problems)
        status = "ok" if not problems else "PROBLEMS: " + "; ".join(problems)
        print(
            f"{item.path:48s} {item.feature_count:6d} features {item.size_bytes / 1e6:8.2f} MB"
            f"  {status}"
        )
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"total size of {out}: {total / 1e6:.1f} MB")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
