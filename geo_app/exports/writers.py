"""The writers of the formats in ``formats.py``: each writes one layer's chunks to a file.

Every writer takes the rows of :func:`geo_app.exports.schema.chunks` (the export columns, then
the geometry PostGIS shaped for it) and returns how many features it wrote. None of them holds
more than one chunk in memory.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

import pyogrio.raw
from sqlalchemy.orm import Session

from geo_app.exports.arrow import BatchStream, Field
from geo_app.exports.formats import Format
from geo_app.exports.schema import Plan, chunks
from geo_app.exports.xlsx import write_xlsx
from geo_app.layers.base import Lang

CRS = "EPSG:4326"
GEOMETRY = "geom"
"""The geometry column's name in the stream GDAL reads (GeoPackage keeps it)."""


def _columns(parts: Iterator[Sequence[Any]]) -> Iterator[list[Sequence[Any]]]:
    """Each chunk of rows turned into columns (the geometry last, as WKB)."""
    for rows in parts:
        yield list(zip(*rows, strict=True))


def write_ogr(
    session: Session,
    path: Path,
    fmt: Format,
    plan: Plan,
    lang: Lang,
    names: Sequence[str] | None = None,
) -> int:
    """One layer through GDAL in one call fed chunk by chunk (``names``: the field names
    written, e.g. a Shapefile's short ones; the export columns' names otherwise).

    One call, so GDAL opens the file once and builds a GeoPackage's spatial index once at the
    end; a call per chunk reopened it and kept the R-tree up to date row by row (2-3x slower).
    """
    del lang  # GDAL formats carry the columns' names; titles are Vietnamese
    fields = [
        Field(name, col.type)
        for name, col in zip(names or [c.name for c in plan.columns], plan.columns, strict=True)
    ]
    options = dict(fmt.layer_options)
    if fmt.has_description:
        options["IDENTIFIER"] = plan.spec.title_vi
        if plan.watermark:
            options["DESCRIPTION"] = plan.watermark
    stream = BatchStream(
        [*fields, Field(GEOMETRY, "wkb")], _columns(chunks(session, plan, fmt.geometry))
    )
    try:
        pyogrio.raw.write_arrow(
            stream,
            path,
            layer=plan.spec.name,
            driver=fmt.driver,
            geometry_name=GEOMETRY,
            geometry_type=plan.spec.geometry_type,
            crs=CRS,
            encoding="UTF-8",
            append=False,  # a new layer; one GeoPackage may already hold others
            layer_options=options,
        )
    except Exception as failed:
        raise (stream.error or failed) from failed
    return stream.rows


def _json_value(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def write_geojson(session: Session, path: Path, fmt: Format, plan: Plan, lang: Lang) -> int:
    """A FeatureCollection (RFC 7946, so WGS84), its description the watermark."""
    del lang
    with path.open("w", encoding="utf-8") as out:
        return _geojson(session, out, fmt, plan)


def _geojson(session: Session, out: IO[str], fmt: Format, plan: Plan) -> int:
    head: dict[str, Any] = {"type": "FeatureCollection", "name": plan.spec.name}
    if plan.watermark:
        head["description"] = plan.watermark
    out.write(json.dumps(head, ensure_ascii=False)[:-1] + ', "features": [\n')
    written = 0
    for rows in chunks(session, plan, fmt.geometry):
        for row in rows:
            props = {c.name: _json_value(row[i]) for i, c in enumerate(plan.columns)}
            feature = json.dumps({"type": "Feature", "properties": props}, ensure_ascii=False)
            geometry = row[-1] or "null"
            out.write(("," if written else "") + feature[:-1] + f', "geometry": {geometry}}}\n')
            written += 1
    out.write("]}\n")
    return written


def _kml_colour(hex_colour: str) -> str:
    """#rrggbb as KML's aabbggrr (opaque outline; the fill gets its own alpha)."""
    red, green, blue = hex_colour[1:3], hex_colour[3:5], hex_colour[5:7]
    return f"{blue}{green}{red}"


def _kml_styles(plan: Plan) -> tuple[str, str | None]:
    """The document's styles (one per class or status colour) and the attribute they key."""
    fill_by = plan.spec.style.fill_by
    colours = fill_by[1] if fill_by else {"default": plan.spec.style.fill_color}
    styles = "".join(
        f'<Style id="s_{escape(code)}"><IconStyle><color>ff{_kml_colour(c)}</color></IconStyle>'
        f"<LineStyle><color>ff{_kml_colour(c)}</color><width>1.5</width></LineStyle>"
        f"<PolyStyle><color>99{_kml_colour(c)}</color></PolyStyle></Style>"
        for code, c in colours.items()
    )
    return styles, fill_by[0] if fill_by else None


def write_kml(session: Session, path: Path, fmt: Format, plan: Plan, lang: Lang) -> int:
    """A KML document: Vietnamese names, one style per class/status colour, every exported
    column in ExtendedData, the watermark as the document's description."""
    with path.open("w", encoding="utf-8") as out:
        return _kml(session, out, fmt, plan, lang)


def _kml(session: Session, out: IO[str], fmt: Format, plan: Plan, lang: Lang) -> int:
    styles, keyed_by = _kml_styles(plan)
    names = [c.name for c in plan.columns]
    tooltip = plan.spec.field(plan.spec.tooltip_field).shown_column
    title = escape(plan.spec.title(lang))
    out.write(
        '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2">'
    )
    out.write(f"<Document><name>{title}</name>")
    if plan.watermark:
        out.write(f"<description>{escape(plan.watermark)}</description>")
    out.write(f"{styles}<Folder><name>{escape(plan.spec.name)}</name>\n")
    written = 0
    for rows in chunks(session, plan, fmt.geometry):
        for row in rows:
            values = dict(zip(names, row, strict=False))
            name = values.get(tooltip, values.get(plan.spec.id_field))
            style = f"#s_{values.get(keyed_by)}" if keyed_by else "#s_default"
            data = "".join(
                f'<Data name="{n}"><value>{escape(_text(values[n]))}</value></Data>' for n in names
            )
            out.write(
                f"<Placemark><name>{escape(_text(name))}</name>"
                f"<styleUrl>{escape(style)}</styleUrl><ExtendedData>{data}</ExtendedData>"
                f"{row[-1] or ''}</Placemark>\n"
            )
            written += 1
    out.write("</Folder></Document></kml>\n")
    return written


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _geometry_headers(plan: Plan) -> list[str]:
    """lon/lat (WGS84) for points, WKT for lines and polygons."""
    if plan.spec.geometry_type == "Point":
        return ["lon", "lat"]
    return ["wkt"]


def _table_rows(session: Session, fmt: Format, plan: Plan) -> Iterable[Sequence[Any]]:
    for rows in chunks(session, plan, fmt.geometry):
        for row in rows:
            yield [float(v) if isinstance(v, Decimal) else v for v in row]


def write_csv(session: Session, path: Path, fmt: Format, plan: Plan, lang: Lang) -> int:
    """UTF-8 with a byte-order mark (so spreadsheets read the diacritics); the columns' names
    as the header, then lon/lat (WGS84) for points or WKT."""
    del lang
    written = 0
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([*(c.name for c in plan.columns), *_geometry_headers(plan)])
        for row in _table_rows(session, fmt, plan):
            writer.writerow([_text(v) for v in row])
            written += 1
    return written


def write_xlsx_layer(session: Session, path: Path, fmt: Format, plan: Plan, lang: Lang) -> int:
    """One sheet: the field labels as the header row, typed cells, lon/lat or WKT last."""
    headers = [*(c.label(lang) for c in plan.columns), *_geometry_headers(plan)]
    return write_xlsx(path, plan.spec.title(lang), headers, _table_rows(session, fmt, plan))


WRITERS = {
    "ogr": write_ogr,
    "geojson": write_geojson,
    "kml": write_kml,
    "csv": write_csv,
    "xlsx": write_xlsx_layer,
}
"""Each writer kind of ``formats.Writer``: (session, path, format, plan, lang) -> rows."""
