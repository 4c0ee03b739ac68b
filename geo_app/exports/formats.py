"""The one registry of export formats: name → how it is written, its extension and media type.

Why two kinds of writer: GeoPackage and Shapefile go through GDAL (pyogrio), appending chunk
after chunk to one file. GDAL's GeoJSON driver rewrites the whole file on every append and its
KML driver cannot carry styles from pyogrio, so those two text formats are streamed here with
the geometry written by PostGIS (``ST_AsGeoJSON``, ``ST_AsKML``), as the feature API does. CSV
and XLSX are tables (lon/lat for points, WKT otherwise). Every format is EPSG:4326.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from geo_app.errors import InvalidInput
from geo_app.layers.base import Lang

Writer = Literal["ogr", "geojson", "kml", "csv", "xlsx"]
Geometry = Literal["wkb", "geojson", "kml", "table"]


@dataclass(frozen=True)
class Format:
    """One export format. ``driver`` names the OGR driver (writer ``ogr``); ``multi_layer``
    says one file may hold several layers (one table each); ``geometry`` is the form PostGIS
    hands the writer; ``zipped`` formats are several files sent as one zip."""

    name: str
    title: str
    writer: Writer
    geometry: Geometry
    extension: str
    media_type: str
    driver: str | None = None
    multi_layer: bool = False
    zipped: bool = False
    layer_options: tuple[tuple[str, str], ...] = ()
    has_description: bool = False
    """The format has a place for the watermark in its metadata (besides the column)."""


FORMATS: dict[str, Format] = {
    f.name: f
    for f in (
        Format(
            "geojson",
            "GeoJSON",
            "geojson",
            "geojson",
            ".geojson",
            "application/geo+json",
            has_description=True,
        ),
        Format(
            "gpkg",
            "GeoPackage",
            "ogr",
            "wkb",
            ".gpkg",
            "application/geopackage+sqlite3",
            driver="GPKG",
            multi_layer=True,
            layer_options=(("SPATIAL_INDEX", "YES"),),
            has_description=True,
        ),
        Format(
            "shp",
            "Shapefile (zip)",
            "ogr",
            "wkb",
            ".zip",
            "application/zip",
            driver="ESRI Shapefile",
            zipped=True,
        ),
        Format(
            "kml",
            "KML",
            "kml",
            "kml",
            ".kml",
            "application/vnd.google-earth.kml+xml",
            has_description=True,
        ),
        Format("csv", "CSV", "csv", "table", ".csv", "text/csv; charset=utf-8"),
        Format(
            "xlsx",
            "Excel (XLSX)",
            "xlsx",
            "table",
            ".xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
    )
}


def get_format(name: str | None, lang: Lang = "vi") -> Format:
    """The registered format ``name``; 400 naming the known ones."""
    found = FORMATS.get(name or "")
    if found is None:
        known = ", ".join(FORMATS)
        raise InvalidInput(
            f"định dạng «{name}» không có; chọn trong: {known}"
            if lang == "vi"
            else f"no format «{name}»; choose one of: {known}"
        )
    return found
