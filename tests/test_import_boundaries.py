"""geo-app import-boundaries: formats, reprojection, repair, versions, and all-or-nothing errors."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from shapely.geometry import Polygon, box, mapping
from sqlalchemy.engine import Engine

from geo_app.cli import main

# Two provinces and three communes near Hóc Môn (lon 106.5-106.7, lat 10.8-11.0).
PROVINCES = [
    {"code": "79", "name": "Thành phố Hồ Chí Minh", "geom": box(106.40, 10.70, 106.80, 11.10)},
    {"code": "80", "name": "Tỉnh Tây Ninh", "geom": box(106.00, 10.70, 106.40, 11.10)},
]
COMMUNES = [
    {"code": "26001", "name": "Xã Một", "parent": "79", "geom": box(106.50, 10.80, 106.60, 10.90)},
    {"code": "26002", "name": "Xã Hai", "parent": "79", "geom": box(106.60, 10.80, 106.70, 10.90)},
    {"code": "26003", "name": "Xã Ba", "parent": "80", "geom": box(106.10, 10.80, 106.20, 10.90)},
]


def feature(props: dict[str, Any], geom: Any) -> dict[str, Any]:
    return {"type": "Feature", "properties": props, "geometry": geom and mapping(geom)}


def write_geojson(path: Path, features: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def province_file(tmp_path: Path) -> Path:
    return write_geojson(
        tmp_path / "provinces.geojson",
        [feature({"code": p["code"], "fullName": p["name"]}, p["geom"]) for p in PROVINCES],
    )


def commune_file(tmp_path: Path, communes: list[dict[str, Any]] = COMMUNES) -> Path:
    return write_geojson(
        tmp_path / "communes.geojson",
        [
            feature(
                {"code": c["code"], "fullName": c["name"], "province_code": c["parent"]},
                c["geom"],
            )
            for c in communes
        ],
    )


def run(url: str, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"GEO_APP_DATABASE_URL": url})


def import_args(path: Path, level: str, *extra: str) -> list[str]:
    return [
        "import-boundaries",
        str(path),
        "--level",
        level,
        "--layout",
        "2025",
        "--code-field",
        "code",
        "--name-field",
        "fullName",
        *extra,
    ]


def load_base(url: str, tmp_path: Path) -> None:
    result = run(url, *import_args(province_file(tmp_path), "province"))
    assert result.exit_code == 0, result.output
    result = run(
        url,
        *import_args(commune_file(tmp_path), "commune", "--parent-code-field", "province_code"),
    )
    assert result.exit_code == 0, result.output


def snapshot(engine: Engine) -> dict[str, str]:
    """Every application table's row count and content digest."""
    with engine.connect() as conn:
        tables = conn.scalars(
            sa.text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename NOT IN ('spatial_ref_sys') ORDER BY 1"
            )
        ).all()
        return {
            table: str(
                conn.execute(
                    sa.text(
                        "SELECT count(*), "
                        "md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "
                        f'FROM "{table}" t'
                    )
                ).one()
            )
            for table in tables
        }


def test_import_adds_units_with_parents_and_audit(
    empty_db: str, tmp_path: Path, engine_for: Callable[[str], Engine]
) -> None:
    result = run(empty_db, *import_args(province_file(tmp_path), "province"))
    assert result.exit_code == 0, result.output
    assert "added: 2" in result.output
    result = run(
        empty_db,
        *import_args(commune_file(tmp_path), "commune", "--parent-code-field", "province_code"),
    )
    assert result.exit_code == 0, result.output
    assert "added: 3" in result.output and "new versions: 0" in result.output
    engine = engine_for(empty_db)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT c.code, p.code AS parent, c.valid_from, c.valid_to, c.layout "
                "FROM admin_unit c JOIN admin_unit p ON p.id = c.parent_id "
                "WHERE c.level = 'commune' ORDER BY c.code"
            )
        ).all()
        assert [(r.code, r.parent) for r in rows] == [
            ("26001", "79"),
            ("26002", "79"),
            ("26003", "80"),
        ]
        assert {r.valid_from for r in rows} == {date(2025, 7, 1)}
        assert {r.valid_to for r in rows} == {None}
        audited = conn.scalar(
            sa.text(
                "SELECT count(*) FROM audit_log "
                "WHERE table_name = 'admin_unit' AND action = 'insert'"
            )
        )
        assert audited == 5


def test_second_import_of_same_file_changes_nothing(
    empty_db: str, tmp_path: Path, engine_for: Callable[[str], Engine]
) -> None:
    load_base(empty_db, tmp_path)
    engine = engine_for(empty_db)
    before = snapshot(engine)["admin_unit"]
    result = run(
        empty_db,
        *import_args(commune_file(tmp_path), "commune", "--parent-code-field", "province_code"),
    )
    assert result.exit_code == 0, result.output
    assert "unchanged: 3" in result.output and "added: 0" in result.output
    assert snapshot(engine)["admin_unit"] == before


def test_changed_boundary_adds_a_version_and_closes_the_old_one(
    empty_db: str, tmp_path: Path, engine_for: Callable[[str], Engine]
) -> None:
    load_base(empty_db, tmp_path)
    moved = [dict(c) for c in COMMUNES]
    moved[0]["geom"] = box(106.50, 10.80, 106.62, 10.90)
    moved[1]["geom"] = box(106.62, 10.80, 106.70, 10.90)
    changed = commune_file(tmp_path, moved)
    args = import_args(changed, "commune", "--parent-code-field", "province_code")
    engine = engine_for(empty_db)
    before = snapshot(engine)

    same_day = run(empty_db, *args)
    assert same_day.exit_code == 2
    assert "later --valid-from" in same_day.output
    assert snapshot(engine) == before

    result = run(empty_db, *args, "--valid-from", "2026-01-01")
    assert result.exit_code == 0, result.output
    assert "new versions: 2" in result.output and "unchanged: 1" in result.output
    with engine.connect() as conn:
        versions = conn.execute(
            sa.text(
                "SELECT valid_from, valid_to, round(ST_XMax(geom)::numeric, 2) AS east "
                "FROM admin_unit WHERE code = '26001' ORDER BY valid_from"
            )
        ).all()
        assert [(v.valid_from, v.valid_to, float(v.east)) for v in versions] == [
            (date(2025, 7, 1), date(2026, 1, 1), 106.60),
            (date(2026, 1, 1), None, 106.62),
        ]
        # History stays answerable: which unit covered this point on each date?
        point = "ST_SetSRID(ST_MakePoint(106.61, 10.85), 4326)"
        on = (
            f"SELECT code FROM admin_unit WHERE level = 'commune' AND ST_Covers(geom, {point}) "
            "AND valid_from <= :d AND (valid_to IS NULL OR valid_to > :d)"
        )
        assert conn.scalar(sa.text(on), {"d": date(2025, 9, 1)}) == "26002"
        assert conn.scalar(sa.text(on), {"d": date(2026, 2, 1)}) == "26001"


def test_invalid_geometry_is_repaired_and_reported(
    empty_db: str, tmp_path: Path, engine_for: Callable[[str], Engine]
) -> None:
    run(empty_db, *import_args(province_file(tmp_path), "province"))
    bowtie = Polygon([(106.5, 10.8), (106.6, 10.9), (106.6, 10.8), (106.5, 10.9), (106.5, 10.8)])
    assert not bowtie.is_valid
    path = commune_file(tmp_path, [{**COMMUNES[0], "geom": bowtie}])
    result = run(empty_db, *import_args(path, "commune", "--parent-code-field", "province_code"))
    assert result.exit_code == 0, result.output
    assert "repaired: 1" in result.output
    assert "Self-intersection" in result.output
    with engine_for(empty_db).connect() as conn:
        valid, parts = conn.execute(
            sa.text(
                "SELECT ST_IsValid(geom), ST_NumGeometries(geom) FROM admin_unit "
                "WHERE code = '26001'"
            )
        ).one()
        assert valid is True and parts == 2


def test_geopackage_in_metric_crs_is_reprojected(
    empty_db: str, tmp_path: Path, engine_for: Callable[[str], Engine]
) -> None:
    frame = gpd.GeoDataFrame(
        {"ma": ["79"], "ten": ["Thành phố Hồ Chí Minh"]},
        geometry=[PROVINCES[0]["geom"]],
        crs=4326,
    ).to_crs(32648)
    path = tmp_path / "provinces.gpkg"
    frame.to_file(path, driver="GPKG")
    result = run(
        empty_db,
        "import-boundaries",
        str(path),
        "--level",
        "province",
        "--layout",
        "2025",
        "--code-field",
        "ma",
        "--name-field",
        "ten",
    )
    assert result.exit_code == 0, result.output
    with engine_for(empty_db).connect() as conn:
        xmin, ymax, srid = conn.execute(
            sa.text("SELECT ST_XMin(geom), ST_YMax(geom), ST_SRID(geom) FROM admin_unit")
        ).one()
    assert srid == 4326
    assert xmin == pytest.approx(106.40, abs=1e-6)
    assert ymax == pytest.approx(11.10, abs=1e-6)


def test_zipped_shapefile(
    empty_db: str, tmp_path: Path, engine_for: Callable[[str], Engine]
) -> None:
    frame = gpd.GeoDataFrame(
        {"code": [p["code"] for p in PROVINCES], "name": [p["name"] for p in PROVINCES]},
        geometry=[p["geom"] for p in PROVINCES],
        crs=4326,
    )
    shp_dir = tmp_path / "shp"
    shp_dir.mkdir()
    frame.to_file(shp_dir / "provinces.shp", driver="ESRI Shapefile", encoding="UTF-8")
    archive = tmp_path / "provinces.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in shp_dir.iterdir():
            zf.write(part, part.name)
    result = run(
        empty_db,
        "import-boundaries",
        str(archive),
        "--level",
        "province",
        "--layout",
        "2025",
    )
    assert result.exit_code == 0, result.output
    with engine_for(empty_db).connect() as conn:
        names = conn.scalars(sa.text("SELECT name FROM admin_unit ORDER BY code")).all()
    assert names == ["Thành phố Hồ Chí Minh", "Tỉnh Tây Ninh"]


def _bad_files(tmp_path: Path) -> dict[str, tuple[Path, list[str], str]]:
    """name -> (file, extra CLI args, text the error must contain)."""
    parent = ["--parent-code-field", "province_code"]
    invalid_json = tmp_path / "broken.geojson"
    invalid_json.write_text('{"type": "FeatureCollection", "features": [')
    no_code = write_geojson(
        tmp_path / "nocode.geojson",
        [
            feature(
                {"ma": "26001", "fullName": "Xã Một", "province_code": "79"}, COMMUNES[0]["geom"]
            )
        ],
    )
    france = commune_file(
        tmp_path,
        [
            *COMMUNES[:2],
            {"code": "75056", "name": "Paris", "parent": "79", "geom": box(2.25, 48.8, 2.42, 48.9)},
        ],
    ).rename(tmp_path / "france.geojson")
    empty = write_geojson(
        tmp_path / "empty.geojson",
        [
            feature(
                {"code": "26001", "fullName": "Xã Một", "province_code": "79"}, COMMUNES[0]["geom"]
            ),
            {
                "type": "Feature",
                "properties": {"code": "26009", "fullName": "Xã Rỗng", "province_code": "79"},
                "geometry": {"type": "Polygon", "coordinates": []},
            },
        ],
    )
    dup = commune_file(tmp_path, [COMMUNES[0], {**COMMUNES[1], "code": "26001"}]).rename(
        tmp_path / "dup.geojson"
    )
    orphan = commune_file(tmp_path, [{**COMMUNES[0], "parent": "99"}]).rename(
        tmp_path / "orphan.geojson"
    )
    point = write_geojson(
        tmp_path / "point.geojson",
        [
            {
                "type": "Feature",
                "properties": {"code": "26001", "fullName": "Xã Một", "province_code": "79"},
                "geometry": {"type": "Point", "coordinates": [106.5, 10.8]},
            }
        ],
    )
    noprj_dir = tmp_path / "noprj"
    noprj_dir.mkdir()
    gpd.GeoDataFrame(
        {"code": ["26001"], "fullName": ["Xã Một"]}, geometry=[COMMUNES[0]["geom"]], crs=4326
    ).to_file(noprj_dir / "c.shp")
    (noprj_dir / "c.prj").unlink()
    noprj = tmp_path / "noprj.zip"
    with zipfile.ZipFile(noprj, "w") as zf:
        for part in noprj_dir.iterdir():
            zf.write(part, part.name)
    return {
        "invalid_json": (invalid_json, parent, "cannot read the file"),
        "missing_code_field": (no_code, parent, "missing field(s) code"),
        "feature_in_france": (
            france,
            parent,
            "feature #3 (code 75056, Paris): lies outside Vietnam",
        ),
        "empty_geometry": (empty, parent, "feature #2 (code 26009, Xã Rỗng)"),
        "duplicate_codes": (dup, parent, "duplicate code 26001"),
        "unknown_parent": (orphan, parent, "parent 99 not found"),
        "not_a_polygon": (point, parent, "Point is not a polygon"),
        "unreadable_crs": (noprj, parent, "coordinate reference system cannot be read"),
    }


@pytest.mark.parametrize(
    "case",
    [
        "invalid_json",
        "missing_code_field",
        "feature_in_france",
        "empty_geometry",
        "duplicate_codes",
        "unknown_parent",
        "not_a_polygon",
        "unreadable_crs",
    ],
)
def test_bad_file_is_rejected_and_nothing_changes(
    case: str, empty_db: str, tmp_path: Path, engine_for: Callable[[str], Engine]
) -> None:
    load_base(empty_db, tmp_path)
    engine = engine_for(empty_db)
    before = snapshot(engine)
    path, extra, message = _bad_files(tmp_path)[case]
    result = run(empty_db, *import_args(path, "commune", *extra))
    assert result.exit_code != 0
    assert message in result.output
    assert snapshot(engine) == before


def test_console_script_reports_error_and_exits_nonzero(
    empty_db: str, tmp_path: Path, engine_for: Callable[[str], Engine]
) -> None:
    """The installed `geo-app` command, as a user runs it."""
    load_base(empty_db, tmp_path)
    engine = engine_for(empty_db)
    before = snapshot(engine)
    path, extra, message = _bad_files(tmp_path)["feature_in_france"]
    command = Path(sys.executable).with_name("geo-app")
    proc = subprocess.run(
        [str(command), *import_args(path, "commune", *extra)],
        capture_output=True,
        text=True,
        env={"GEO_APP_DATABASE_URL": empty_db, "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "nothing was imported" in proc.stderr
    assert snapshot(engine) == before


# -- hamlets inside their commune -----------------------------------------------------------------

COMMUNES_2025 = Path(__file__).resolve().parent.parent / "data/boundaries/2025"
HOA_MINH = "29410"
NEAR_HOA_MINH = box(106.5981, 9.92, 106.6081, 9.93)
"""A square 11.6 km east of commune 29410 (Hòa Minh), once imported as one of its hamlets."""
IN_HOA_MINH = box(106.4357, 9.9257, 106.4417, 9.9317)
ACROSS_HOA_MINH = box(106.43, 9.90, 106.45, 9.99)
"""Less than half inside the commune, the rest across its northern and southern borders."""


def hoa_minh(url: str, tmp_path: Path) -> None:
    """The real commune 29410 (no province: a hamlet's parent is its commune)."""
    frame = gpd.read_file(
        "/vsigzip/" + str(COMMUNES_2025 / "vn_communes_2025.geojson.gz"),
        where=f"code = '{HOA_MINH}'",
    )
    path = tmp_path / "hoa_minh.geojson"
    frame[["code", "name", "geometry"]].to_file(path, driver="GeoJSON")
    result = run(url, *import_args(path, "commune", "--name-field", "name"))
    assert result.exit_code == 0, result.output


def hamlet_file(tmp_path: Path, *hamlets: tuple[str, str, Any]) -> Path:
    return write_geojson(
        tmp_path / "hamlets.geojson",
        [feature({"code": c, "fullName": n, "commune": HOA_MINH}, g) for c, n, g in hamlets],
    )


def test_a_hamlet_outside_its_commune_is_refused_and_nothing_changes(
    empty_db: str, tmp_path: Path, engine_for: Callable[[str], Engine]
) -> None:
    hoa_minh(empty_db, tmp_path)
    engine = engine_for(empty_db)
    with engine.connect() as conn:
        metres = conn.scalar(
            sa.text(
                "SELECT ST_Distance(geography(geom), geography(ST_GeomFromText(:w, 4326))) "
                "FROM admin_unit WHERE code = :c"
            ),
            {"w": NEAR_HOA_MINH.wkt, "c": HOA_MINH},
        )
    assert 11_550 < metres < 11_650
    before = snapshot(engine)
    path = hamlet_file(
        tmp_path,
        ("2941001", "Ấp Trong", IN_HOA_MINH),
        ("2941002", "Ấp Xa", NEAR_HOA_MINH),
        ("2941003", "Ấp Giáp Ranh", ACROSS_HOA_MINH),
    )
    result = run(empty_db, *import_args(path, "hamlet", "--parent-code-field", "commune"))
    assert result.exit_code == 2
    assert "2 features do not lie inside their parent; nothing was imported" in result.output
    assert (
        "feature #2 (code 2941002, Ấp Xa): only 0.0 % of its area lies inside its parent "
        "commune 29410 (at least 95 % needed)" in result.output
    )
    across = re.search(
        r"feature #3 \(code 2941003, Ấp Giáp Ranh\): only (\d+\.\d) %", result.output
    )
    assert across is not None and 5 < float(across[1]) < 95, result.output
    assert "2941001" not in result.output
    assert snapshot(engine) == before


def test_a_hamlet_inside_its_commune_imports_with_progress_counts(
    empty_db: str, tmp_path: Path, engine_for: Callable[[str], Engine]
) -> None:
    hoa_minh(empty_db, tmp_path)
    path = hamlet_file(
        tmp_path, ("2941001", "Ấp Trong", IN_HOA_MINH), ("2941004", "Ấp Giữa", IN_HOA_MINH)
    )
    args = import_args(path, "hamlet", "--parent-code-field", "commune")
    quiet = run(empty_db, *args, "--dry-run")
    assert quiet.exit_code == 0, quiet.output
    assert "features read" not in quiet.stderr  # not a terminal, no --progress
    result = run(empty_db, *args, "--progress")
    assert result.exit_code == 0, result.output
    assert "added: 2" in result.stdout
    assert result.stderr.splitlines() == [
        "[#######.............] features read 2/2",
        "[#############.......] features read 2/2 · checked 2/2",
        "[####################] features read 2/2 · checked 2/2 · written 2/2",
    ]
    with engine_for(empty_db).connect() as conn:
        parents = conn.scalars(
            sa.text(
                "SELECT p.code FROM admin_unit h JOIN admin_unit p ON p.id = h.parent_id "
                "WHERE h.level = 'hamlet'"
            )
        ).all()
    assert parents == [HOA_MINH, HOA_MINH]
