"""Layer exports (geo_app.exports): every format read back with GDAL against the feature
service's count, the generalised export, the officers' rule, the Shapefile zip and the log."""

from __future__ import annotations

import dataclasses
import json
import zipfile
from pathlib import Path
from typing import Any

import pyogrio
import pytest
import shapely
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app import features
from geo_app.domain.vocabulary import HOTSPOT_KINDS
from geo_app.exports import schema
from geo_app.exports.formats import FORMATS, get_format
from geo_app.exports.layers import ExportForbidden, ExportRequest, export
from geo_app.exports.shapefile import short_names
from geo_app.layers.base import LayerQuery
from geo_app.models import AdminUnit, AuditLog, Hotspot

PROVINCE = "86"  # Vĩnh Long (Trà Vinh merged into it)
OFFICER_COMMUNE = "29410"  # Hòa Minh, the demo officer's commune
VI_KINDS = {term.vi for term in HOTSPOT_KINDS.terms}
OPEN_OPTIONS: dict[str, dict[str, str]] = {
    "csv": {"X_POSSIBLE_NAMES": "lon", "Y_POSSIBLE_NAMES": "lat", "GEOM_POSSIBLE_NAMES": "wkt"},
    "xlsx": {"HEADERS": "FORCE"},
}


def _asked(
    layers: tuple[str, ...],
    fmt: str,
    *,
    role: str = "admin",
    generalised: bool = False,
    **filters: Any,
) -> ExportRequest:
    return ExportRequest(
        layers=layers,
        format=fmt,
        filters=LayerQuery(**filters),
        actor=f"test:{role}",
        role=role,
        generalised=generalised,
    )


def _read(path: Path, fmt: str, layer: str | None = None) -> Any:
    """The file as a GeoDataFrame, read by GDAL (a Shapefile from inside its zip)."""
    if fmt == "shp":
        return pyogrio.read_dataframe(f"/vsizip/{path}/{layer}.shp")
    return pyogrio.read_dataframe(path, layer=layer, **OPEN_OPTIONS.get(fmt, {}))


def _count(session: Session, layer: str, **filters: Any) -> int:
    q = features.FeatureQuery(layer=layer, filters=LayerQuery(**filters))
    return features.count(session, q).value


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_every_format_reads_back_with_gdal(demo_session: Session, tmp_path: Path, fmt: str) -> None:
    done = export(demo_session, _asked(("hotspots",), fmt, area_code=PROVINCE), tmp_path)
    expected = _count(demo_session, "hotspots", area_code=PROVINCE)
    assert expected > 0
    assert done.rows == {"hotspots": expected}
    frame = _read(done.path, fmt, None if fmt != "shp" else "hotspots")
    assert len(frame) == expected
    kinds = frame.iloc[:, list(map(str, frame.columns)).index(_label_column(fmt))]
    assert set(kinds) <= VI_KINDS and kinds.notna().all()
    if fmt not in ("csv", "xlsx"):  # the tables say WGS84 by their lon/lat or WKT header
        assert pyogrio.read_info(_path_for(done.path, fmt)).get("crs") == "EPSG:4326"
    if fmt != "xlsx":
        assert shapely.is_valid(frame.geometry.values).all()
    assert done.filename.endswith(get_format(fmt).extension)


def _label_column(fmt: str) -> str:
    return "Loại" if fmt == "xlsx" else "kind_label"


def _path_for(path: Path, fmt: str) -> str:
    return f"/vsizip/{path}/hotspots.shp" if fmt == "shp" else str(path)


@pytest.mark.parametrize("fmt", ["gpkg", "kml", "csv", "geojson"])
def test_polygons_keep_vietnamese_names(demo_session: Session, tmp_path: Path, fmt: str) -> None:
    done = export(demo_session, _asked(("communes",), fmt, area_code=PROVINCE), tmp_path)
    frame = _read(done.path, fmt)
    assert len(frame) == _count(demo_session, "communes", area_code=PROVINCE) > 0
    names = set(demo_session.scalars(sa.select(AdminUnit.name).where(AdminUnit.code == "29410")))
    assert names & set(frame["Name" if fmt == "kml" else "name"])  # "Hòa Minh", diacritics intact
    assert shapely.is_valid(frame.geometry.values).all()
    assert frame.geometry.geom_type.isin(["MultiPolygon", "Polygon"]).all()


def test_one_geopackage_holds_several_layers(demo_session: Session, tmp_path: Path) -> None:
    layers = ("hotspots", "hotline_boards", "communes")
    done = export(demo_session, _asked(layers, "gpkg", area_code=PROVINCE), tmp_path)
    found = {str(name) for name, _ in pyogrio.list_layers(done.path)}
    assert found == set(layers)
    for name in layers:
        assert pyogrio.read_info(done.path, layer=name)["features"] == done.rows[name]
        assert done.rows[name] == _count(demo_session, name, area_code=PROVINCE)


def test_several_layers_need_a_multi_layer_format(demo_session: Session, tmp_path: Path) -> None:
    with pytest.raises(Exception, match="gpkg"):
        export(demo_session, _asked(("hotspots", "communes"), "csv"), tmp_path)


def test_shapefile_zip_has_cpg_and_name_mapping(demo_session: Session, tmp_path: Path) -> None:
    done = export(demo_session, _asked(("hotspots",), "shp", area_code=PROVINCE), tmp_path)
    with zipfile.ZipFile(done.path) as archive:
        names = set(archive.namelist())
        mapping = archive.read("hotspots_fields.csv").decode("utf-8")
        cpg = archive.read("hotspots.cpg").decode()
    assert {f"hotspots.{ext}" for ext in ("shp", "shx", "dbf", "prj", "cpg")} <= names
    assert cpg.strip() == "UTF-8"
    assert "last_verif,last_verified_on,Kiểm tra lần cuối" in mapping
    fields = list(pyogrio.read_info(f"/vsizip/{done.path}/hotspots.shp")["fields"])
    assert all(len(f) <= 10 for f in fields) and len(set(fields)) == len(fields)


def test_short_names_are_unique_and_short() -> None:
    names = short_names(["relapse_of_id", "relapse_of_km", "relapse_of_m", "id"])
    assert names == ["relapse_of", "relapse_o1", "relapse_o2", "id"]


def test_generalised_export_moves_points_and_drops_sensitive_fields(
    demo_session: Session, tmp_path: Path
) -> None:
    asked = _asked(("hotspots",), "geojson", area_code=PROVINCE, generalised=True)
    done = export(demo_session, asked, tmp_path)
    data = json.loads(done.path.read_text(encoding="utf-8"))
    assert "đã khái quát hóa" in data["description"]
    originals = {
        (round(x, 6), round(y, 6))
        for x, y in demo_session.execute(
            sa.select(sa.func.ST_X(Hotspot.geom), sa.func.ST_Y(Hotspot.geom))
        )
    }
    moved = {
        (round(f["geometry"]["coordinates"][0], 6), round(f["geometry"]["coordinates"][1], 6))
        for f in data["features"]
    }
    assert moved and not (moved & originals)
    for feature in data["features"]:
        props = feature["properties"]
        assert "case_ref" not in props and "notes" not in props
        assert props["watermark"].endswith("đã khái quát hóa")
    assert len(data["features"]) == _count(demo_session, "hotspots", area_code=PROVINCE)


def test_generalised_points_sit_on_their_hamlet_or_commune(
    demo_session: Session, tmp_path: Path
) -> None:
    asked = ExportRequest(
        ("hotspots",), "gpkg", LayerQuery(area_code=PROVINCE), "t", "admin", generalised=True
    )
    done = export(demo_session, asked, tmp_path)
    frame = pyogrio.read_dataframe(done.path)
    assert frame.geometry.notna().all()
    info = pyogrio.read_info(done.path)
    assert "đã khái quát hóa" in info["layer_metadata"]["DESCRIPTION"]
    sample = frame.geometry.iloc[0]
    representative = demo_session.scalar(
        sa.select(sa.func.count()).where(
            sa.func.ST_DWithin(
                sa.func.ST_PointOnSurface(AdminUnit.geom),
                sa.func.ST_GeomFromText(sample.wkt, 4326),
                1e-6,
            )
        )
    )
    assert representative and representative >= 1


def test_lines_cannot_be_generalised(demo_session: Session, tmp_path: Path) -> None:
    asked = ExportRequest(("routes",), "gpkg", LayerQuery(), "t", "admin", generalised=True)
    with pytest.raises(Exception, match="khái quát"):
        export(demo_session, asked, tmp_path)


def _scope_id(session: Session, code: str) -> int:
    return int(session.scalar(sa.select(AdminUnit.id).where(AdminUnit.code == code).limit(1)))


def test_officers_export_only_generalised_data_of_their_commune(
    demo_session: Session, tmp_path: Path
) -> None:
    scope = _scope_id(demo_session, OFFICER_COMMUNE)
    exact = ExportRequest(("hotspots",), "csv", LayerQuery(scope_unit_id=scope), "o", "officer")
    with pytest.raises(ExportForbidden):
        export(demo_session, exact, tmp_path)
    general = ExportRequest(**{**exact.__dict__, "generalised": True})
    done = export(demo_session, general, tmp_path)
    frame = _read(done.path, "csv")
    assert len(frame) == _count(demo_session, "hotspots", scope_unit_id=scope) > 0
    assert {code.split("-")[0] for code in frame["unit_code"].astype(str)} == {OFFICER_COMMUNE}
    assert "case_ref" not in frame.columns and "notes" not in frame.columns


def test_sensitive_fields_only_for_who_may_see_them_and_never_generalised() -> None:
    """With a sensitive field flagged exported (none is today), staff get it, viewers and
    generalised exports never do."""
    from geo_app.layers import REGISTRY

    spec = REGISTRY["hotspots"]
    flagged = tuple(
        dataclasses.replace(f, exported=True) if f.sensitive else f for f in spec.fields
    )
    spec = dataclasses.replace(spec, fields=flagged)
    staff = [c.name for c in schema.columns(spec, sensitive=True, generalised=False)]
    viewer = [c.name for c in schema.columns(spec, sensitive=False, generalised=False)]
    general = [c.name for c in schema.columns(spec, sensitive=True, generalised=True)]
    assert {"case_ref", "notes"} <= set(staff)
    assert not {"case_ref", "notes"} & set(viewer + general)


def test_every_export_leaves_an_audit_row(demo_session: Session, tmp_path: Path) -> None:
    before = demo_session.scalar(sa.select(sa.func.count()).where(AuditLog.action == "export"))
    asked = ExportRequest(
        ("hotspots",), "xlsx", LayerQuery(area_code=PROVINCE, status=("active",)), "a", "admin"
    )
    done = export(demo_session, asked, tmp_path)
    row = demo_session.scalars(
        sa.select(AuditLog).where(AuditLog.action == "export").order_by(AuditLog.id.desc())
    ).first()
    after = demo_session.scalar(sa.select(sa.func.count()).where(AuditLog.action == "export"))
    assert after == (before or 0) + 1 and row is not None
    assert row.actor == "a" and row.after["format"] == "xlsx"
    assert row.after["rows"] == done.rows and row.after["generalised"] is False
    assert row.after["filters"]["area"] == PROVINCE
    assert row.after["filters"]["status"] == ["active"]


def test_export_columns_follow_the_field_flags() -> None:
    from geo_app.layers import REGISTRY

    spec = REGISTRY["hotspots"]
    plain = [c.name for c in schema.columns(spec, sensitive=True, generalised=False)]
    general = [c.name for c in schema.columns(spec, sensitive=True, generalised=True)]
    assert "case_ref" not in plain  # sensitive and not flagged exported
    assert "unit_name" not in plain and "kind_label" in plain
    assert general[-1] == "watermark" and "case_ref" not in general


def _cell(value: Any) -> str:
    return "" if value is None or value != value else str(value)  # NaN and NaT are empty


def test_geopackage_values_match_the_csv_and_keep_a_spatial_index(
    demo_session: Session, tmp_path: Path
) -> None:
    """The GeoPackage (Arrow batches into GDAL) and the CSV (rows written here) carry the same
    values, nulls included, and the GeoPackage still has its R-tree."""
    gpkg = export(demo_session, _asked(("hotspots",), "gpkg", area_code=PROVINCE), tmp_path)
    table = export(demo_session, _asked(("hotspots",), "csv", area_code=PROVINCE), tmp_path)
    ours = pyogrio.read_dataframe(gpkg.path).drop(columns="geometry")
    theirs = pyogrio.read_dataframe(table.path, **OPEN_OPTIONS["csv"])
    assert list(ours.columns) == [c for c in theirs.columns if c not in ("lon", "lat", "geometry")]
    assert ours["cleared_on"].isna().any() and ours["cleared_on"].notna().any()
    for name in ours.columns:
        written = [_cell(v).removesuffix(" 00:00:00") for v in ours[name]]
        as_text = [_cell(v) for v in theirs[name]]
        if ours[name].dtype == bool:
            written = ["1" if v == "True" else "0" for v in written]
            as_text = ["1" if v in ("1", "True", "true") else "0" for v in as_text]
        assert written == as_text, name
    extensions = pyogrio.raw.read(gpkg.path, sql="SELECT extension_name FROM gpkg_extensions")
    assert "gpkg_rtree_index" in list(extensions[3][0])
