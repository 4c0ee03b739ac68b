"""OGC API – Features documents (Part 1: core, GeoJSON, HTML, OAS 3.0; Part 3: queryables) as
plain dicts: the landing page, conformance, the collections, one page of items, one item.

QGIS and GDAL read the layers through these, so they follow the standard's shapes (pygeoapi's
are the reference). Every registered layer is a collection: the feature service pages each of
them without any filter, so none is left out. Every read goes through ``geo_app.features``
inside the reader's scope, with sensitive fields as ``features.may_see_sensitive`` allows (the
caller passes it, as the layers API does), so counts equal the layers API's.

``datetime`` reads a layer's "as of" date (the one its month selector uses): an instant is the
state on that day; an interval ``start/end`` the state on its end (``..`` or no end: today),
which holds every feature that existed during the interval, since features are never dropped
from a layer's history but by deletion.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlencode

import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app import features
from geo_app.features.service import status_codes
from geo_app.layers import REGISTRY
from geo_app.layers.admin_units import in_force
from geo_app.layers.base import FilterName, Lang, LayerQuery, LayerSpec
from geo_app.layers.fields import Field
from geo_app.models import AdminLevel, AdminUnit
from geo_app.pages.common import Translate, Viewer

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
GREGORIAN = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
_CORE = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/"
_FILTERING = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/"
CONFORMANCE = (
    _CORE + "core",
    _CORE + "geojson",
    _CORE + "html",
    _CORE + "oas30",
    _FILTERING + "queryables",
    _FILTERING + "queryables-query-parameters",
)
JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
SCHEMA = "application/schema+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
OPENAPI_PATH = "/api/openapi.json"
API_DOCS_PATH = "/api/docs"
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
"""A page holds ``limit`` items, 100 unless asked; a larger ``limit`` is cut to this (the
standard allows it), so a page of full-resolution areas stays a few megabytes."""
PROPERTY_FILTERS: Mapping[str, FilterName] = {"status": "status", "campaign_id": "campaign"}
"""A property an items request may filter by (``?status=active``), and the feature service's
filter on it; a layer offers the ones it has both the field and the filter of."""
JSON_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}


@dataclass(frozen=True)
class Place:
    """Where the documents live: the absolute URL of the API's root (``…/ogc``) and the
    reader's language, kept in every link."""

    root: str
    lang: Lang

    def href(self, path: str = "", f: str | None = None, args: Mapping[str, str] = {}) -> str:
        asked = {**args, **({"f": f} if f else {}), **({"lang": "en"} if self.lang == "en" else {})}
        return self.root + path + ("?" + urlencode(asked) if asked else "")


@dataclass(frozen=True)
class ItemsAsked:
    """One items request, parsed: the filters, the page and the request's own parameters
    (``args``: the next and previous links repeat them)."""

    bbox: tuple[float, float, float, float] | None = None
    as_of: date | None = None
    status: tuple[str, ...] = ()
    campaign: int | None = None
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    args: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Columns:
    """What the HTML pages of a collection show: its title, the column naming an item, and
    each column's label."""

    layer: str
    title: str
    id_field: str
    name_column: str
    name_label: str
    labels: tuple[tuple[str, str], ...]


def _link(href: str, rel: str, media: str, title: str) -> dict[str, str]:
    return {"href": href, "rel": rel, "type": media, "title": title}


def _self(place: Place, path: str, media: str, _: Translate) -> list[dict[str, str]]:
    """The document's own link and its HTML alternate."""
    return [
        _link(place.href(path, "json"), "self", media, _("This document")),
        _link(place.href(path, "html"), "alternate", HTML, _("This document as HTML")),
    ]


def landing(place: Place, viewer: Viewer) -> dict[str, Any]:
    """The landing page: what the API is and where its parts are."""
    _ = viewer.gettext
    origin = place.root.rsplit("/", 1)[0]
    return {
        "title": _("Drug-free commune map: OGC API – Features"),
        "description": _(
            "The map layers of the drug-free commune programme inside your scope, for QGIS, "
            "GDAL and other OGC API – Features clients."
        ),
        "links": [
            *_self(place, "", JSON, _),
            _link(origin + OPENAPI_PATH, "service-desc", OPENAPI, _("The API definition")),
            _link(origin + API_DOCS_PATH, "service-doc", HTML, _("The API documentation")),
            _link(place.href("/conformance", "json"), "conformance", JSON, _("Conformance")),
            _link(place.href("/collections", "json"), "data", JSON, _("Collections")),
        ],
    }


def conformance(place: Place, viewer: Viewer) -> dict[str, Any]:
    """The conformance classes this API implements."""
    return {"links": _self(place, "/conformance", JSON, viewer.gettext), "conformsTo": CONFORMANCE}


def served_layer(name: str, lang: Lang) -> LayerSpec:
    """A collection's layer; 404 naming the known ones."""
    return features.layer(name, lang)


def property_filters(spec: LayerSpec) -> tuple[Field, ...]:
    """The fields an items request may filter this layer by (``PROPERTY_FILTERS``)."""
    return tuple(f for f in spec.fields if PROPERTY_FILTERS.get(f.name) in spec.filters)


def collections(session: Session, place: Place, viewer: Viewer) -> dict[str, Any]:
    """Every collection, each with its extent in the reader's scope."""
    return {
        "links": _self(place, "/collections", JSON, viewer.gettext),
        "collections": [_collection(session, spec, place, viewer) for spec in REGISTRY.values()],
    }


def collection(session: Session, place: Place, viewer: Viewer, name: str) -> dict[str, Any]:
    """One collection: its title, extent, CRS, item type and links."""
    return _collection(session, served_layer(name, viewer.lang), place, viewer)


def _collection(session: Session, spec: LayerSpec, place: Place, viewer: Viewer) -> dict[str, Any]:
    _ = viewer.gettext
    path = f"/collections/{spec.name}"
    title = spec.title(viewer.lang)
    kinds = {"Point": _("points"), "MultiPolygon": _("areas"), "MultiLineString": _("lines")}
    return {
        "id": spec.name,
        "title": title,
        "description": _(
            "%(title)s: %(geometry)s inside your scope.",
            title=title,
            geometry=kinds[spec.geometry_type],
        ),
        "links": [
            *_self(place, path, JSON, _),
            _link(place.href(path + "/items", "json"), "items", GEOJSON, _("The items")),
            _link(place.href(path + "/items", "html"), "items", HTML, _("The items as HTML")),
            _link(
                place.href(path + "/queryables"),
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                SCHEMA,
                _("The properties to filter by"),
            ),
        ],
        "extent": _extent(session, spec, viewer),
        "itemType": "feature",
        "crs": [CRS84],
    }


def _extent(session: Session, spec: LayerSpec, viewer: Viewer) -> dict[str, Any]:
    """The bounding box of the layer's features the reader sees (of the reader's area, or
    the country's, when there are none) and, for a dated layer, from its earliest date on."""
    rows = spec.build_query(
        LayerQuery(lang=viewer.lang, scope_unit_id=viewer.scope_unit_id)
    ).subquery("e")
    dates = [rows.c[f.name] for f in spec.fields if f.type == "date"]
    earliest = sa.func.min(sa.func.least(*dates)) if dates else sa.null()
    box = sa.func.ST_Extent(rows.c.geom)
    found = session.execute(sa.select(*_corners(box), earliest)).one()
    corners = found[:4] if found[0] is not None else _area_corners(session, viewer)
    extent: dict[str, Any] = {}
    if corners[0] is not None:
        extent["spatial"] = {"bbox": [[round(float(c), 6) for c in corners]], "crs": CRS84}
    if "date" in spec.filters:
        start = None if found[4] is None else f"{found[4].isoformat()}T00:00:00Z"
        extent["temporal"] = {"interval": [[start, None]], "trs": GREGORIAN}
    return extent


def _corners(box: Any) -> tuple[Any, ...]:
    return tuple(getattr(sa.func, f"ST_{c}")(box) for c in ("XMin", "YMin", "XMax", "YMax"))


def _area_corners(session: Session, viewer: Viewer) -> tuple[Any, ...]:
    """The corners of the reader's scope unit, or of the provinces (the country) for the
    national scope."""
    if viewer.scope_unit_id is not None:
        where = AdminUnit.id == viewer.scope_unit_id
    else:
        province = AdminUnit.level == AdminLevel.province
        where = sa.and_(province, in_force(AdminUnit, viewer.today))
    box = sa.func.ST_Extent(AdminUnit.geom)
    return tuple(session.execute(sa.select(*_corners(box)).where(where)).one())


def _query(name: str, viewer: Viewer, asked: ItemsAsked, sensitive: bool) -> features.FeatureQuery:
    return features.FeatureQuery(
        layer=name,
        filters=LayerQuery(
            as_of=asked.as_of,
            bbox=asked.bbox,
            status=asked.status,
            lang=viewer.lang,
            scope_unit_id=viewer.scope_unit_id,
            campaign_id=asked.campaign,
        ),
        sensitive=sensitive,
        limit=asked.limit,
        offset=asked.offset,
    )


def _identified(spec: LayerSpec, feature: dict[str, Any]) -> dict[str, Any]:
    """A feature with its ``id`` (the layer's id field), as the standard wants it."""
    return {"type": "Feature", "id": feature["properties"][spec.id_field], **feature}


def items(
    session: Session,
    place: Place,
    viewer: Viewer,
    name: str,
    asked: ItemsAsked,
    *,
    sensitive: bool,
    stamp: datetime,
) -> dict[str, Any]:
    """One page of a collection's items (``numberMatched`` as the layers API counts them),
    with links to the next and previous pages."""
    spec = served_layer(name, viewer.lang)
    found = features.collection(session, _query(spec.name, viewer, asked, sensitive))
    _ = viewer.gettext
    path = f"/collections/{spec.name}/items"
    args = {**dict(asked.args), "limit": str(asked.limit)}
    links = [
        _link(place.href(path, "json", args), "self", GEOJSON, _("This document")),
        _link(place.href(path, "html", args), "alternate", HTML, _("This document as HTML")),
        _link(
            place.href(f"/collections/{spec.name}", "json"),
            "collection",
            JSON,
            spec.title(viewer.lang),
        ),
    ]
    for rel, offset, title in (
        ("next", found.next_offset, _("Next page")),
        ("prev", found.prev_offset, _("Previous page")),
    ):
        if offset is not None:
            href = place.href(path, "json", {**args, "offset": str(offset)})
            links.append(_link(href, rel, GEOJSON, title))
    return {
        **found.geojson,
        "features": [_identified(spec, f) for f in found.features],
        "timeStamp": stamp.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "links": links,
    }


def item(
    session: Session, place: Place, viewer: Viewer, name: str, feature_id: str, *, sensitive: bool
) -> dict[str, Any]:
    """One item by the layer's id field; 404 when there is none in the reader's scope."""
    spec = served_layer(name, viewer.lang)
    query = _query(spec.name, viewer, ItemsAsked(), sensitive)
    found = features.get(session, query, feature_id)
    _ = viewer.gettext
    path = f"/collections/{spec.name}/items/{quote(feature_id, safe='')}"
    collection_path = f"/collections/{spec.name}"
    return {
        **_identified(spec, found),
        "links": [
            *_self(place, path, GEOJSON, _),
            _link(place.href(collection_path, "json"), "collection", JSON, spec.title(viewer.lang)),
        ],
    }


def queryables(place: Place, viewer: Viewer, name: str) -> dict[str, Any]:
    """The properties an items request may filter by, as a JSON Schema (Part 3)."""
    spec = served_layer(name, viewer.lang)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": place.href(f"/collections/{spec.name}/queryables"),
        "type": "object",
        "title": spec.title(viewer.lang),
        "properties": {f.name: _schema(spec, f, viewer.lang) for f in property_filters(spec)},
        "additionalProperties": False,
    }


def _schema(spec: LayerSpec, field: Field, lang: Lang) -> dict[str, Any]:
    if field.type == "date":
        found: dict[str, Any] = {"type": "string", "format": "date"}
    else:
        found = {"type": JSON_TYPES[field.type]}
    if field.name == "status":
        found["enum"] = list(status_codes(spec))
    return {"title": field.label(lang), **found}


def columns(name: str, lang: Lang) -> Columns:
    """The HTML pages' words for a collection (its fields' labels in ``lang``)."""
    spec = served_layer(name, lang)
    labels = tuple((f.shown_column, f.label(lang)) for f in spec.fields)
    named = spec.field(spec.tooltip_field)
    return Columns(
        spec.name, spec.title(lang), spec.id_field, named.shown_column, named.label(lang), labels
    )
