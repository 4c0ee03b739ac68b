"""Import administrative boundaries (GeoJSON, GeoPackage, zipped Shapefile) as unit versions.

Why it is careful: boundaries change (the 2025 merger), so a unit is never edited in place. A
changed unit gets a new version and the old one is closed (``valid_to``), so "which commune was
this on 1 March 2024?" stays answerable. A file is imported whole or not at all: every feature is
checked first and all problems are reported together, naming each feature.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely
import sqlalchemy as sa
from pyogrio.errors import DataLayerError, DataSourceError
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from geo_app.domain.vocabulary import ADMIN_LEVELS, LAYOUTS, LEVEL_RANK, Layout
from geo_app.errors import InvalidInput
from geo_app.services import audit
from geo_app.services.tiles.bands import rebuild_bands

LEVELS = ADMIN_LEVELS.codes

# Vietnam's mainland and islands (Hoàng Sa and Trường Sa included), with a little margin.
VIETNAM_EXTENT = (102.0, 6.0, 117.9, 23.6)
MAX_ERRORS_SHOWN = 50
INSIDE_PARENT_SHARE = 0.95
"""The least share of a hamlet's or residential group's area that must lie inside its parent
commune (geodesic areas). Borders drawn by different hands never match exactly, so a little
spill is allowed; more means a wrong parent code or a misplaced polygon, and the unit would
count towards a commune it is not in."""
INSIDE_PARENT_LEVELS = ("hamlet", "residential_group")
"""The levels held to lie inside their parent (sub-units of a commune)."""
PROGRESS_EVERY = 1000
"""Features read between two progress reports."""

Progress = Callable[[str, int, int], None]
"""Told (step, done, total) as an import goes: "read", "checked", "written"."""


@dataclass(frozen=True)
class FieldMap:
    """Which attribute of the file holds what. Optional fields that are absent are skipped."""

    code: str = "code"
    name: str = "name"
    parent_code: str | None = None
    name_en: str | None = None
    kind: str | None = None
    population: str | None = None
    population_is_estimate: str | None = None


@dataclass
class ImportSummary:
    """What an import did; printed by the CLI and stored in the audit log."""

    source: str
    level: str
    layout: str
    valid_from: date
    features: int = 0
    added: list[str] = field(default_factory=list)
    new_versions: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)
    sha256: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "level": self.level,
            "layout": self.layout,
            "valid_from": self.valid_from.isoformat(),
            "features": self.features,
            "added": len(self.added),
            "new_versions": len(self.new_versions),
            "unchanged": len(self.unchanged),
            "repaired": self.repaired,
            "sha256": self.sha256,
        }

    def text(self) -> str:
        lines = [
            f"{self.source}: {self.features} {self.level} features ({self.layout} layout, "
            f"valid from {self.valid_from.isoformat()})",
            f"  added: {len(self.added)}",
            f"  new versions: {len(self.new_versions)}",
            f"  unchanged: {len(self.unchanged)}",
            f"  repaired: {len(self.repaired)}",
        ]
        lines += [f"    - {note}" for note in self.repaired[:MAX_ERRORS_SHOWN]]
        return "\n".join(lines)


@dataclass
class _Row:
    idx: int
    code: str
    name: str
    name_en: str | None
    kind: str | None
    parent_code: str | None
    population: int | None
    population_is_estimate: bool
    geom: MultiPolygon


def read_boundary_file(path: Path) -> gpd.GeoDataFrame:
    """Read any OGR vector file; zipped shapefiles and gzip files are opened in place."""
    if not Path(path).exists():
        raise InvalidInput(f"{path}: file not found")
    source = str(path)
    if source.endswith(".gz") and not source.startswith("/vsi"):
        source = "/vsigzip/" + source
    try:
        frame = pyogrio.read_dataframe(source)
    except (DataSourceError, DataLayerError) as error:
        raise InvalidInput(f"{path}: cannot read the file as vector data ({error})") from error
    if not isinstance(frame, gpd.GeoDataFrame) or frame.geometry is None:
        raise InvalidInput(f"{path}: the file has no geometry column")
    return frame


def import_file(
    session: Session,
    path: Path,
    *,
    level: str,
    layout: str,
    fields: FieldMap,
    actor: str,
    valid_from: date | None = None,
    source: str | None = None,
    is_demo: bool = False,
    progress: Progress | None = None,
) -> ImportSummary:
    """Read ``path`` and import it with :func:`import_frame` in the caller's transaction."""
    frame = read_boundary_file(path)
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    summary = import_frame(
        session,
        frame,
        level=level,
        layout=layout,
        fields=fields,
        actor=actor,
        valid_from=valid_from,
        source=source or Path(path).name,
        is_demo=is_demo,
        sha256=digest,
        progress=progress,
    )
    return summary


def import_frame(
    session: Session,
    frame: gpd.GeoDataFrame,
    *,
    level: str,
    layout: str,
    fields: FieldMap,
    actor: str,
    source: str,
    valid_from: date | None = None,
    is_demo: bool = False,
    sha256: str | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Validate every feature, then add units and versions; raises InvalidInput on any problem.

    Runs in the caller's transaction and never commits, so a failure leaves nothing behind;
    every check runs before the first unit is written. ``progress`` hears the counts.
    """
    told = progress or _silent
    if level not in LEVEL_RANK:
        raise InvalidInput(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
    if layout not in LAYOUTS:
        raise InvalidInput(f"unknown layout {layout!r}; expected one of {', '.join(LAYOUTS)}")
    spec = LAYOUTS[layout]
    starts = valid_from or spec.starts_on
    if spec.ends_on is not None and starts >= spec.ends_on:
        raise InvalidInput(
            f"valid-from {starts.isoformat()} is not before the end of the {layout} layout "
            f"({spec.ends_on.isoformat()})"
        )
    summary = ImportSummary(source=source, level=level, layout=layout, valid_from=starts)
    rows = _validated_rows(frame, fields, source, summary, told)
    summary.features = len(rows)
    if not rows:
        raise InvalidInput(f"{source}: no features to import")
    _stage(session, rows)
    _check_against_database(session, level, starts, spec, source)
    _check_inside_parents(session, level, starts, source)
    told("checked", len(rows), len(rows))
    written = _apply(session, level, layout, starts, spec, source, is_demo, summary, actor)
    told("written", written, written)
    rebuild_bands(session, level=level, layout=layout, on=starts)
    return summary


# -- validation (pure, per feature) ------------------------------------------------------------


def _silent(step: str, done: int, total: int) -> None:
    """No progress wanted."""


def _validated_rows(
    frame: gpd.GeoDataFrame,
    fields: FieldMap,
    source: str,
    summary: ImportSummary,
    progress: Progress = _silent,
) -> list[_Row]:
    frame = _to_wgs84(frame, source)
    _require_fields(frame, fields, source)
    errors: list[str] = []
    rows: list[_Row] = []
    codes = Counter(_text(v) for v in frame[fields.code])
    for idx, record in enumerate(frame.itertuples(index=False)):
        if idx % PROGRESS_EVERY == 0 and idx:
            progress("read", idx, len(frame))
        values = record._asdict()
        code = _text(values.get(fields.code))
        name = _text(values.get(fields.name))
        label = f"feature #{idx + 1} (code {code or '?'}{', ' + name if name else ''})"
        problems: list[str] = []
        if not code:
            problems.append(f"empty {fields.code!r}")
        elif codes[code] > 1:
            problems.append(f"duplicate code {code} ({codes[code]} features share it)")
        if not name:
            problems.append(f"empty {fields.name!r}")
        geom, note, problem = _clean_geometry(values.get(frame.geometry.name))
        if problem:
            problems.append(problem)
        population, pop_problem = _population(values, fields)
        if pop_problem:
            problems.append(pop_problem)
        if problems:
            errors.append(f"{label}: " + "; ".join(problems))
            continue
        assert geom is not None
        if note:
            summary.repaired.append(f"{label}: {note}")
        rows.append(
            _Row(
                idx=idx + 1,
                code=code,
                name=name,
                name_en=_optional_text(values, fields.name_en),
                kind=_optional_text(values, fields.kind),
                parent_code=_optional_text(values, fields.parent_code),
                population=population,
                population_is_estimate=bool(_optional_value(values, fields.population_is_estimate)),
                geom=geom,
            )
        )
    progress("read", len(frame), len(frame))
    if errors:
        raise InvalidInput(
            f"{source}: {len(errors)} of {len(frame)} features rejected; nothing was imported",
            details=errors[:MAX_ERRORS_SHOWN],
        )
    return rows


def _require_fields(frame: gpd.GeoDataFrame, fields: FieldMap, source: str) -> None:
    required = [fields.code, fields.name] + ([fields.parent_code] if fields.parent_code else [])
    missing = [name for name in required if name not in frame.columns]
    if missing:
        available = ", ".join(c for c in frame.columns if c != frame.geometry.name)
        raise InvalidInput(
            f"{source}: missing field(s) {', '.join(missing)}; the file has: {available}"
        )


def _to_wgs84(frame: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    if frame.crs is None:
        raise InvalidInput(
            f"{source}: the coordinate reference system cannot be read (no .prj or CRS); "
            "nothing was imported"
        )
    if frame.crs.to_epsg() != 4326:
        try:
            frame = frame.to_crs(4326)
        except Exception as error:  # pyproj raises several types for unusable CRSs
            raise InvalidInput(f"{source}: cannot reproject from {frame.crs}: {error}") from error
    return frame


def _clean_geometry(value: object) -> tuple[MultiPolygon | None, str | None, str | None]:
    """(geometry, repair note, problem): drops Z, repairs with make_valid, checks the extent."""
    if value is None or not isinstance(value, BaseGeometry):
        return None, None, "no geometry"
    geom = shapely.force_2d(value)
    if geom.is_empty:
        return None, None, "empty geometry"
    if not isinstance(geom, (Polygon, MultiPolygon)) and geom.geom_type != "GeometryCollection":
        return None, None, f"{geom.geom_type} is not a polygon"
    note = None
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        geom = shapely.make_valid(geom)
        note = f"repaired invalid geometry ({reason})"
    polygons = _polygons(geom)
    if not polygons:
        return None, None, "no polygon left after repair"
    multi = MultiPolygon(polygons)
    if not multi.is_valid:
        multi_fixed = shapely.make_valid(multi)
        polygons = _polygons(multi_fixed)
        if not polygons:
            return None, None, "no polygon left after repair"
        multi = MultiPolygon(polygons)
        note = note or "repaired overlapping parts"
    minx, miny, maxx, maxy = multi.bounds
    west, south, east, north = VIETNAM_EXTENT
    if minx < west or maxx > east or miny < south or maxy > north:
        return (
            None,
            None,
            f"lies outside Vietnam's extent (bounds {minx:.3f},{miny:.3f},{maxx:.3f},{maxy:.3f})",
        )
    return multi, note, None


def _polygons(geom: BaseGeometry) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [geom] if not geom.is_empty else []
    if hasattr(geom, "geoms"):
        parts: list[Polygon] = []
        for part in geom.geoms:
            parts.extend(_polygons(part))
        return parts
    return []


def _population(values: dict[str, Any], fields: FieldMap) -> tuple[int | None, str | None]:
    raw = _optional_value(values, fields.population)
    if raw is None:
        return None, None
    try:
        number = float(raw)
    except (TypeError, ValueError):
        return None, f"population {raw!r} is not a number"
    if not math.isfinite(number) or number < 0 or number != int(number):
        return None, f"population {raw!r} is not a non-negative whole number"
    return int(number), None


def _optional_value(values: dict[str, Any], name: str | None) -> Any:
    if not name or name not in values:
        return None
    value = values[name]
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    return value


def _optional_text(values: dict[str, Any], name: str | None) -> str | None:
    return _text(_optional_value(values, name)) or None


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# -- database side (set-based, on a staging table) ---------------------------------------------

_CREATE_STAGE = sa.text(
    """
    CREATE TEMP TABLE IF NOT EXISTS boundary_stage (
        idx integer PRIMARY KEY,
        code text NOT NULL,
        name text NOT NULL,
        name_en text,
        kind text,
        parent_code text,
        population integer,
        population_is_estimate boolean NOT NULL,
        geom geometry(MultiPolygon, 4326) NOT NULL
    ) ON COMMIT DROP
    """
)

_INSERT_STAGE = sa.text(
    """
    INSERT INTO boundary_stage
        (idx, code, name, name_en, kind, parent_code, population, population_is_estimate, geom)
    VALUES (:idx, :code, :name, :name_en, :kind, :parent_code, :population,
            :population_is_estimate, ST_GeomFromWKB(:wkb, 4326))
    """
)


def _stage(session: Session, rows: list[_Row]) -> None:
    session.execute(_CREATE_STAGE)
    session.execute(sa.text("TRUNCATE boundary_stage"))
    session.execute(
        _INSERT_STAGE,
        [
            {
                "idx": row.idx,
                "code": row.code,
                "name": row.name,
                "name_en": row.name_en,
                "kind": row.kind,
                "parent_code": row.parent_code,
                "population": row.population,
                "population_is_estimate": row.population_is_estimate,
                "wkb": shapely.to_wkb(row.geom),
            }
            for row in rows
        ],
    )


# A version "in force" on :d covers the day d.
_IN_FORCE = "u.valid_from <= :d AND (u.valid_to IS NULL OR u.valid_to > :d)"

_PROBLEMS = sa.text(
    f"""
    SELECT s.idx, s.code, s.name, 'parent ' || s.parent_code || ' not found (no unit of a higher '
           || 'level with that code in force on ' || :d || ')' AS problem
    FROM boundary_stage s
    WHERE s.parent_code IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM admin_unit u
        WHERE u.code = s.parent_code AND {_IN_FORCE}
          AND array_position(CAST(:levels AS text[]), CAST(u.level AS text)) < :rank)
    UNION ALL
    SELECT s.idx, s.code, s.name, 'code ' || s.code || ' is already a ' || u.level
           || ' (' || u.name || '), not a ' || :level
    FROM boundary_stage s JOIN admin_unit u ON u.code = s.code AND {_IN_FORCE}
    WHERE CAST(u.level AS text) <> :level
    UNION ALL
    SELECT s.idx, s.code, s.name, 'code ' || s.code || ' already has a version from '
           || u.valid_from || '; give a later --valid-from to add a new version'
    FROM boundary_stage s JOIN admin_unit u ON u.code = s.code
    WHERE u.valid_from >= :d AND u.valid_from < COALESCE(CAST(:ends AS date), 'infinity')
      AND NOT (u.valid_from = :d AND CAST(u.level AS text) = :level)
    ORDER BY 1
    """  # noqa: S608 - only constant fragments are interpolated
)


def _check_against_database(
    session: Session, level: str, starts: date, spec: Layout, source: str
) -> None:
    params = {
        "d": starts,
        "ends": spec.ends_on,
        "level": level,
        "levels": list(LEVELS),
        "rank": LEVEL_RANK[level] + 1,  # array_position is 1-based
    }
    problems = session.execute(_PROBLEMS, params).all()
    if problems:
        details = [f"feature #{p.idx} (code {p.code}, {p.name}): {p.problem}" for p in problems]
        raise InvalidInput(
            f"{source}: {len(details)} features conflict with the database; nothing was imported",
            details=details[:MAX_ERRORS_SHOWN],
        )


_OUTSIDE_PARENT = sa.text(
    f"""
    SELECT * FROM (
        SELECT s.idx, s.code, s.name, p.code AS parent_code, p.level AS parent_level,
               COALESCE(ST_Area(geography(ST_Intersection(s.geom, p.geom)))
                        / NULLIF(ST_Area(geography(s.geom)), 0), 0) AS share
        FROM boundary_stage s
        JOIN LATERAL (
            SELECT u.code, CAST(u.level AS text) AS level, u.geom FROM admin_unit u
            WHERE u.code = s.parent_code AND {_IN_FORCE}
            ORDER BY u.valid_from DESC LIMIT 1) p ON true) AS fit
    WHERE share < :share
    ORDER BY idx
    """  # noqa: S608 - only constant fragments are interpolated
)


def _check_inside_parents(session: Session, level: str, starts: date, source: str) -> None:
    """Refuse sub-units that do not lie inside their parent (:data:`INSIDE_PARENT_SHARE` of
    their geodesic area), naming each with the share found; nothing is written yet."""
    if level not in INSIDE_PARENT_LEVELS:
        return
    found = session.execute(_OUTSIDE_PARENT, {"d": starts, "share": INSIDE_PARENT_SHARE}).all()
    if found:
        details = [
            f"feature #{f.idx} (code {f.code}, {f.name}): only {f.share * 100:.1f} % of its area "
            f"lies inside its parent {f.parent_level} {f.parent_code} (at least "
            f"{INSIDE_PARENT_SHARE * 100:.0f} % needed)"
            for f in found
        ]
        raise InvalidInput(
            f"{source}: {len(details)} features do not lie inside their parent; "
            "nothing was imported",
            details=details[:MAX_ERRORS_SHOWN],
        )


_COMPARE = sa.text(
    f"""
    SELECT s.idx, s.code, u.id AS unit_id, u.valid_from AS current_from,
           (u.id IS NOT NULL AND u.name = s.name
            AND u.name_en IS NOT DISTINCT FROM s.name_en
            AND u.kind IS NOT DISTINCT FROM s.kind
            AND u.population IS NOT DISTINCT FROM s.population
            AND u.population_is_estimate = s.population_is_estimate
            AND u.parent_id IS NOT DISTINCT FROM p.id
            AND ST_AsBinary(u.geom) = ST_AsBinary(s.geom)) AS same
    FROM boundary_stage s
    LEFT JOIN admin_unit u ON u.code = s.code AND {_IN_FORCE}
    LEFT JOIN LATERAL (
        SELECT pu.id FROM admin_unit pu
        WHERE pu.code = s.parent_code
          AND pu.valid_from <= :d AND (pu.valid_to IS NULL OR pu.valid_to > :d)
        ORDER BY pu.valid_from DESC LIMIT 1) p ON true
    ORDER BY s.idx
    """  # noqa: S608 - only constant fragments are interpolated
)

_CLOSE = sa.text(
    "UPDATE admin_unit SET valid_to = :d WHERE id = ANY(:ids) "
    "RETURNING id, code, name, valid_from, valid_to"
)

_INSERT_UNITS = sa.text(
    """
    INSERT INTO admin_unit (code, name, name_en, level, kind, layout, parent_id, population,
                            population_is_estimate, population_source, geom, valid_from,
                            valid_to, source, is_demo)
    SELECT s.code, s.name, s.name_en, CAST(:level AS admin_level), s.kind, :layout, p.id,
           s.population, s.population_is_estimate,
           CASE WHEN s.population IS NULL THEN NULL ELSE :source END,
           s.geom, :d, :ends, :source, :is_demo
    FROM boundary_stage s
    LEFT JOIN LATERAL (
        SELECT pu.id FROM admin_unit pu
        WHERE pu.code = s.parent_code
          AND pu.valid_from <= :d AND (pu.valid_to IS NULL OR pu.valid_to > :d)
        ORDER BY pu.valid_from DESC LIMIT 1) p ON true
    WHERE s.idx = ANY(:idxs)
    ORDER BY s.idx
    RETURNING id, code, name, valid_from, valid_to,
              encode(sha256(ST_AsBinary(geom)), 'hex') AS geom_sha256
    """
)


def _apply(
    session: Session,
    level: str,
    layout: str,
    starts: date,
    spec: Layout,
    source: str,
    is_demo: bool,
    summary: ImportSummary,
    actor: str,
) -> int:
    """Close the changed versions, insert the new and added units, and audit all of it;
    returns how many units were written."""
    compared = session.execute(_COMPARE, {"d": starts}).all()
    _refuse_same_day_changes(compared, starts, source)
    to_insert, to_close = _sort_compared(compared, summary)
    entries = _close_versions(session, to_close, starts, source, actor)
    if to_insert:
        params = {
            "level": level,
            "layout": layout,
            "source": source,
            "d": starts,
            "ends": spec.ends_on,
            "is_demo": is_demo,
            "idxs": to_insert,
        }
        inserted = session.execute(_INSERT_UNITS, params).all()
        entries += [_insert_entry(unit, level, layout, source, actor) for unit in inserted]
    audit.record_many(session, entries)
    audit.record(
        session,
        actor=actor,
        action="import_boundaries",
        table="admin_unit",
        row_id=None,
        before=None,
        after=json.loads(json.dumps(summary.as_dict())),
        reason=f"boundary import from {source}",
    )
    return len(to_insert)


def _refuse_same_day_changes(compared: Sequence[Any], starts: date, source: str) -> None:
    """A changed unit needs a new version starting after the one in force: never an overwrite."""
    same_day = [
        f"feature #{row.idx} (code {row.code}): differs from the version valid from "
        f"{row.current_from.isoformat()}; give a later --valid-from to add a new version"
        for row in compared
        if row.unit_id is not None and not row.same and row.current_from >= starts
    ]
    if same_day:
        raise InvalidInput(
            f"{source}: {len(same_day)} changed units need a later --valid-from; "
            "nothing was imported",
            details=same_day[:MAX_ERRORS_SHOWN],
        )


def _sort_compared(compared: Sequence[Any], summary: ImportSummary) -> tuple[list[int], list[int]]:
    """Feature indexes to insert and unit ids to close; the summary notes each code's fate."""
    to_insert: list[int] = []
    to_close: list[int] = []
    for row in compared:
        if row.unit_id is None:
            summary.added.append(row.code)
            to_insert.append(row.idx)
        elif row.same:
            summary.unchanged.append(row.code)
        else:
            summary.new_versions.append(row.code)
            to_close.append(row.unit_id)
            to_insert.append(row.idx)
    return to_insert, to_close


def _close_versions(
    session: Session, to_close: list[int], starts: date, source: str, actor: str
) -> list[audit.Entry]:
    """Close the superseded versions the day the new ones start; their audit entries."""
    if not to_close:
        return []
    return [
        audit.Entry(
            actor=actor,
            action="close_version",
            table="admin_unit",
            row_id=closed.id,
            before={"code": closed.code, "valid_to": None},
            after={"code": closed.code, "valid_to": closed.valid_to},
            reason=f"superseded by a new version from {source}",
        )
        for closed in session.execute(_CLOSE, {"d": starts, "ids": to_close}).all()
    ]


def _insert_entry(unit: Any, level: str, layout: str, source: str, actor: str) -> audit.Entry:
    return audit.Entry(
        actor=actor,
        action="insert",
        table="admin_unit",
        row_id=unit.id,
        before=None,
        after={
            "code": unit.code,
            "name": unit.name,
            "level": level,
            "layout": layout,
            "valid_from": unit.valid_from,
            "valid_to": unit.valid_to,
            "geom_sha256": unit.geom_sha256,
            "source": source,
        },
        reason=f"boundary import from {source}",
    )
