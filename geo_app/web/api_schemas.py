"""What the JSON API takes and answers, declared beside the views: ``@documented(...)``.

A view of the API carries one declaration (its tag, summary, query model, body and answers) and
``web/openapi.py`` turns every declared route of ``app.url_map`` into the OpenAPI document, so
a route and its description sit together and a new route without one fails
``tests/test_openapi.py``. The declaration only describes: the views keep their own parsers and
messages (Vietnamese or English), and nothing here validates or wraps a request.

The schemas are made from the code: each layer's properties from its field schema
(``layers/fields.py``: type, vocabulary codes, length, sensitivity), the vocabularies from
``domain/vocabulary.py``, the export formats from ``exports/formats.py``, the error body from
``GeoAppError.as_dict`` (``web/errors.py``); the fixed shapes are pydantic models.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias, TypeVar

from flask_babel import LazyString, gettext
from pydantic import BaseModel, ConfigDict, Field

from geo_app.domain.indicators import COLUMNS
from geo_app.domain.month import MONTH_OR_DAY_PATTERN, MONTH_PATTERN
from geo_app.domain.vocabulary import VOCABULARIES
from geo_app.exports.formats import FORMATS
from geo_app.layers import REGISTRY
from geo_app.layers.base import Lang, LayerSpec
from geo_app.layers.fields import Field as LayerField
from geo_app.maps.builder import VIETNAM_BOUNDS
from geo_app.services.field.edit import writable
from geo_app.services.field.rows import GEOMETRY_TYPES

Schema = dict[str, Any]
SchemaSource = type[BaseModel] | Schema | Callable[[str, Lang], Schema] | None
"""A body's schema: a model, a JSON Schema, or one made for a path value (a layer) and the
reader's language; None for a body with no fixed shape."""
JSON, GEOJSON, HTML = "application/json", "application/geo+json", "text/html"
ERRORS = (400, 401, 403, 404, 429)
"""What any route may answer besides its own: bad input (the input guard included), no login,
outside the scope or role, not found, too many failed logins."""
ATTRIBUTE = "geo_app_openapi"
Text: TypeAlias = str | LazyString
"""A msgid (translated when the document is built) or a view's ``lazy_gettext``."""
View = TypeVar("View", bound=Callable[..., Any])


def _(text: str) -> str:
    """Marks a msgid for the catalog; ``web/openapi.py`` translates it when it builds the
    document in the reader's language."""
    return text


OK = _("OK")


def say(text: Text) -> str:
    """A declaration's words in the request's language."""
    return str(text) if isinstance(text, LazyString) else gettext(text)


@dataclass(frozen=True)
class Answer:
    """One response: why it is sent (a msgid), its body's schema and media type(s)."""

    description: Text
    schema: SchemaSource = None
    media_types: tuple[str, ...] = (JSON,)


@dataclass(frozen=True)
class Doc:
    """A route's description. ``expand`` names a path parameter whose values (its ``any``
    converter's, or ``path``'s enum) each get their own path, so each layer's operation
    carries that layer's own properties; ``path`` gives a path parameter's schema."""

    tag: str
    summary: Text
    answers: Mapping[int, Answer]
    query: type[BaseModel] | None = None
    body: SchemaSource = None
    errors: tuple[int, ...] = ERRORS
    path: Mapping[str, Schema] = field(default_factory=dict)
    expand: str | None = None
    headers: Mapping[str, Text] = field(default_factory=dict)
    """Request headers a route reads: name → description (a msgid)."""
    public: bool = False


def documented(
    tag: str, summary: Text, answers: Mapping[int, Answer], **rest: Any
) -> Callable[[View], View]:
    """Declare a view's OpenAPI description (see :class:`Doc`); the view is left unchanged."""
    doc = Doc(tag, summary, answers, **rest)

    def mark(view: View) -> View:
        setattr(view, ATTRIBUTE, doc)
        return view

    return mark


def doc_of(view: Callable[..., Any]) -> Doc | None:
    """The declaration of a view (None for a route that has none)."""
    found = getattr(view, ATTRIBUTE, None)
    return found if isinstance(found, Doc) else None


# -- the fixed shapes ------------------------------------------------------------------------


class ErrorBody(BaseModel):
    """Every error of the API (``GeoAppError.as_dict`` and the HTTP errors of
    ``web/errors.py``, the 401 of ``web/auth.py``, the throttle's 429)."""

    error: str = Field(description="What went wrong, in the request's language.")
    details: list[str] | None = None
    field: str | None = Field(None, description="The property at fault (field writes).")
    current: dict[str, Any] | None = Field(None, description="The row as it stands (409).")
    retry_after: str | None = Field(None, description="When to try again (429).")


class Pair(BaseModel):
    vi: str
    en: str


class FieldInfo(BaseModel):
    name: str
    type: Literal["str", "int", "float", "bool", "date"]
    label: Pair
    vocabulary: str | None
    label_column: str | None
    popup: bool
    exported: bool
    editable: bool
    sensitive: bool
    max_length: int | None
    help: Pair | None


class TileInfo(BaseModel):
    url: str
    min_zoom: int
    max_zoom: int
    properties: list[str]
    counts_below_min_zoom: bool


class LayerInfo(BaseModel):
    name: str
    title: Pair
    geometry_type: Literal["MultiPolygon", "Point", "MultiLineString"]
    srid: int
    filters: list[Literal["area", "date", "bbox", "status", "campaign"]]
    id_field: str
    tooltip_field: str
    fields: list[FieldInfo]
    features: str
    version: int
    tiles: TileInfo | None


class TileSet(BaseModel):
    name: str
    layers: list[str]
    tiles: str


class LayerRegistry(BaseModel):
    """``GET /api/layers``: every layer of the registry and the tile sets."""

    layers: list[LayerInfo]
    sets: list[TileSet]


class Job(BaseModel):
    """A background job (a briefing pack) and where its file will be."""

    id: int
    state: Literal["queued", "running", "done", "failed"]
    done: int
    total: int
    error: str | None
    url: str
    file: str | None


class Health(BaseModel):
    model_config = ConfigDict(extra="allow")
    status: Literal["ok", "unavailable"]
    version: str | None = None


class FieldToken(BaseModel):
    csrf: str
    login: str
    role: str


class Saved(BaseModel):
    row: int
    code: str
    month: str
    version: int


class SavedRows(BaseModel):
    saved: list[Saved]


class Items(BaseModel):
    """A list answer of the field page (``nearby``, ``today``)."""

    items: list[dict[str, Any]]


class Summary(BaseModel):
    """The summary panel's figures (``services.summary.Summary.as_dict``) and its HTML."""

    model_config = ConfigDict(extra="allow")
    on: str
    area: dict[str, Any] | None
    scoped: bool
    communes: int
    classes: dict[str, Any]
    hotspots: dict[str, Any]
    lang: Literal["vi", "en"]
    html: str


class CampaignInfo(BaseModel):
    id: int
    code: str
    title: str
    issuer: str | None
    document_number: str | None
    province_code: str | None


class CampaignCounts(BaseModel):
    recognised: int
    targets: int
    evaluated: int
    goal_count: int | None
    goal_share: str | None
    goal_base_count: int | None


class Phase(BaseModel):
    model_config = ConfigDict(extra="allow")
    text: str


class Progress(BaseModel):
    """A campaign as of a month (``pages/campaign.py`` ``report``): its headline, counts and
    phase, and each target in the reader's scope with its checklist."""

    campaign: CampaignInfo
    month: str
    as_of: str = Field(json_schema_extra={"format": "date"})
    headline: str
    counts: CampaignCounts
    scope_note: str | None
    phase: Phase
    targets: list[dict[str, Any]]
    not_checked: list[dict[str, str]]


class Inspection(BaseModel):
    """``POST /api/tipoff_boxes/<id>/inspections``: one opening of a tip-off box."""

    client_id: uuid.UUID = Field(description="A UUID the client made for this action.")
    inspected_on: str | None = Field(None, description="YYYY-MM-DD (default: today).")
    letters_received: int = 0
    letters_forwarded: int = 0


class BoardCheck(BaseModel):
    """``POST /api/hotline_boards/<id>/checks``: a board's condition on a day."""

    client_id: uuid.UUID = Field(description="A UUID the client made for this action.")
    checked_on: str | None = Field(None, description="YYYY-MM-DD (default: today).")
    condition: str = Field(
        json_schema_extra={"enum": list(VOCABULARIES["facility_condition"].codes)}
    )


# -- what comes from the registries ---------------------------------------------------------

TYPES: dict[str, Schema] = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
}


def field_schema(item: LayerField, lang: Lang) -> Schema:
    """One field's JSON Schema: its type, codes and length, titled in ``lang``; null allowed
    (a value may be unknown)."""
    schema: Schema = {**TYPES[item.type]}
    codes = VOCABULARIES[item.vocabulary].codes if item.vocabulary else item.codes
    if codes:
        schema["enum"] = list(codes)
    if item.max_length is not None:
        schema["maxLength"] = item.max_length
    return {"anyOf": [schema, {"type": "null"}], "title": item.label(lang)}


def properties_schema(spec: LayerSpec, lang: Lang, extra: Schema | None = None) -> Schema:
    """A layer's properties: exactly its columns; the sensitive ones only for those who may
    see them, so they are not required."""
    props: Schema = {}
    for item in spec.fields:
        props[item.name] = field_schema(item, lang)
        if item.label_column is not None:
            props[item.label_column] = {"type": ["string", "null"], "title": item.label(lang)}
    props.update(extra or {})
    required = [*spec.columns(sensitive=False), *(extra or {})]
    return {
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": False,
    }


GEOMETRY_DEPTH = {"Point": 1, "MultiLineString": 3, "MultiPolygon": 4}


def geometry_schema(spec: LayerSpec) -> Schema:
    """The layer's GeoJSON geometry (its type; coordinates nested as that type nests)."""
    coordinates: Schema = {"type": "number"}
    for _level in range(GEOMETRY_DEPTH[spec.geometry_type]):
        coordinates = {"type": "array", "items": coordinates}
    return {
        "type": ["object", "null"],
        "properties": {"type": {"const": spec.geometry_type}, "coordinates": coordinates},
        "required": ["type", "coordinates"],
    }


def feature_schema(name: str, lang: Lang, extra: Schema | None = None) -> Schema:
    """One GeoJSON Feature of layer ``name``."""
    spec = REGISTRY[name]
    return {
        "type": "object",
        "title": spec.title(lang),
        "properties": {
            "type": {"const": "Feature"},
            "geometry": geometry_schema(spec),
            "properties": properties_schema(spec, lang, extra),
        },
        "required": ["type", "geometry", "properties"],
    }


def collection_schema(name: str, lang: Lang) -> Schema:
    """``GET /api/layers/<name>/features``: a page of the layer's features and its links."""
    link = {
        "type": "object",
        "properties": {
            "rel": {"enum": ["next", "prev"]},
            "type": {"const": GEOJSON},
            "href": {"type": "string"},
        },
        "required": ["rel", "type", "href"],
    }
    return {
        "type": "object",
        "properties": {
            "type": {"const": "FeatureCollection"},
            "features": {"type": "array", "items": feature_schema(name, lang)},
            "numberMatched": {"type": "integer", "minimum": 0},
            "numberMatchedIsEstimate": {"type": "boolean"},
            "numberReturned": {"type": "integer", "minimum": 0},
            "links": {"type": "array", "items": link},
        },
        "required": ["type", "features", "numberMatched", "numberReturned", "links"],
    }


WRITTEN: Schema = {
    "version": {"type": "integer"},
    "client_id": {"type": ["string", "null"]},
    "commune_code": {"type": ["string", "null"]},
}
"""What a field write's answer adds to a layer's properties (``services/field/rows.py``)."""


RELAPSE: Schema = {
    "type": ["object", "null"],
    "properties": {
        "id": {"type": ["integer", "null"]},
        "distance_m": {"type": ["integer", "null"]},
        "message": {"type": "string"},
    },
    "required": ["id", "distance_m", "message"],
}
"""A written hotspot near a cleared one (``services/field/rows.py`` ``_relapse_flag``)."""


def stored_schema(name: str, lang: Lang) -> Schema:
    """A feature as the field write API answers it: the layer's feature with its version,
    client id and commune, its id and the relapse flag."""
    feature = feature_schema(name, lang, WRITTEN)
    feature["properties"] = {
        **feature["properties"],
        "id": {"type": "integer"},
        "flags": {
            "type": "object",
            "properties": {"relapse_candidate": RELAPSE},
            "required": ["relapse_candidate"],
        },
    }
    feature["required"] = [*feature["required"], "id", "flags"]
    return feature


def _placed(spec: LayerSpec) -> Schema:
    """A written geometry: the GeoJSON types the layer takes (``services/field/rows.py``), a
    point inside Vietnam's frame (``maps/builder.py``; the server checks the land)."""
    (south, west), (north, east) = VIETNAM_BOUNDS
    coordinates: Schema = {"type": "array"}
    if spec.geometry_type == "Point":
        coordinates = {
            "type": "array",
            "prefixItems": [
                {"type": "number", "minimum": west, "maximum": east},
                {"type": "number", "minimum": south, "maximum": north},
            ],
            "minItems": 2,
            "maxItems": 2,
        }
    return {
        "type": "object",
        "properties": {
            "type": {"enum": list(GEOMETRY_TYPES[spec.geometry_type])},
            **{"coordinates": coordinates},
        },
        "required": ["type", "coordinates"],
    }


def _writable(spec: LayerSpec, lang: Lang) -> tuple[Schema, list[str]]:
    """The properties a write may set (``services/field/edit.py`` ``writable``) and those a
    create must give."""
    found = writable(spec)
    props = {}
    for name, item, required in found:
        schema = field_schema(item, lang)
        props[name] = {**schema["anyOf"][0], "title": schema["title"]} if required else schema
    return props, [name for name, _item, required in found if required]


def created_schema(name: str, lang: Lang) -> Schema:
    """A create's body: a GeoJSON Feature whose properties carry the action's UUID and the
    layer's writable properties, placed by its geometry."""
    spec = REGISTRY[name]
    props, required = _writable(spec, lang)
    uuid_schema = {"type": "string", "format": "uuid"}
    return {
        "type": "object",
        "properties": {
            "type": {"const": "Feature"},
            "properties": {
                "type": "object",
                "properties": {"client_id": uuid_schema, **props, **PLACEMENT},
                "required": ["client_id", *required],
            },
            "geometry": _placed(spec),
        },
        "required": ["type", "properties", "geometry"],
    }


def changed_schema(name: str, lang: Lang) -> Schema:
    """A change's or a delete's body: the action's UUID, the properties changed, a new place
    and the reason (a move and a delete need one)."""
    spec = REGISTRY[name]
    props, _required = _writable(spec, lang)
    return {
        "type": "object",
        "properties": {
            "client_id": {"type": "string", "format": "uuid"},
            "properties": {"type": "object", "properties": {**props, **PLACEMENT}},
            "geometry": _placed(spec),
            "reason": {"type": "string", "minLength": 1},
        },
        "required": ["client_id"],
    }


PLACEMENT: Schema = {
    "placed_by": {"enum": list(VOCABULARIES["location_method"].codes)},
    "accuracy_m": {"type": "number", "minimum": 0},
}
"""How a written point was placed (``services/field/inputs.py`` ``placement``)."""


def indicator_row(_name: str = "", _lang: Lang = "vi") -> Schema:
    """A unit's indicators of one month (``services/indicators.py`` ``as_row``)."""
    counts = {name: {"type": ["integer", "null"], "minimum": 0} for name in COLUMNS}
    return {
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "month": {"type": "string", "pattern": MONTH_PATTERN},
            "version": {"type": ["integer", "null"]},
            **counts,
        },
        "required": ["code", "month"],
    }


def indicator_rows(_name: str, _lang: Lang) -> Schema:
    return {"type": "array", "items": indicator_row()}


# -- query parameters (each view parses them itself; these only describe) ---------------------

MONTH = MONTH_OR_DAY_PATTERN


class LangArgs(BaseModel):
    lang: Literal["vi", "en"] | None = Field(
        None, description=_("Language of labels and messages (Vietnamese by default).")
    )


class AreaMonthArgs(LangArgs):
    area: str | None = Field(None, description=_("A province or commune code."))
    month: str | None = Field(
        None,
        pattern=MONTH,
        description=_("As of this month (YYYY-MM or YYYY-MM-DD); today by default."),
    )


class FeatureArgs(AreaMonthArgs):
    """The filters of ``GET /api/layers/<name>/features`` (``web/layers_api.py`` parses them)."""

    bbox: str | None = Field(
        None,
        description=_("west,south,east,north in degrees (areas need a bbox, area or campaign)."),
    )
    zoom: int | None = Field(None, ge=0, le=22, description=_("Coarser zooms get simpler shapes."))
    status: str | None = Field(
        None, description=_("Statuses, comma-separated (the layer's codes).")
    )
    campaign: int | None = Field(None, ge=0, description=_("A campaign id (campaign layers)."))
    limit: int | None = Field(None, ge=1, description=_("At most this many features."))
    offset: int | None = Field(None, ge=0, description=_("Skip this many (see the next link)."))


class ProgressArgs(LangArgs):
    month: str | None = Field(None, pattern=MONTH, description=_("As of this month (YYYY-MM)."))


class IndicatorArgs(LangArgs):
    unit: str = Field(description=_("The commune's code."))
    month: str = Field(pattern=MONTH_PATTERN, description=_("The month, YYYY-MM."))


class NearbyArgs(LangArgs):
    lon: float = Field(ge=-180, le=180, description=_("Longitude in degrees."))
    lat: float = Field(ge=-90, le=90, description=_("Latitude in degrees."))
    radius: float | None = Field(None, ge=1, description=_("Metres around the point."))


class ExportArgs(LangArgs):
    """The parameters of a layer export (``web/exports.py`` parses them)."""

    format: str | None = Field(
        None,
        json_schema_extra={"enum": list(FORMATS)},
        description=_("The file format (GeoPackage by default)."),
    )
    area: str | None = Field(None, description=_("A province or commune code."))
    month: str | None = Field(None, pattern=MONTH_PATTERN, description=_("YYYY-MM."))
    status: str | None = Field(
        None, description=_("Statuses, comma-separated (the layer's codes).")
    )
    campaign: int | None = Field(None, ge=0, description=_("A campaign id (campaign layers)."))
    generalised: Literal["0", "1"] | None = Field(
        None, description=_("1: places generalised (officers always get this).")
    )


class ExportsArgs(ExportArgs):
    layers: str = Field(description=_("Layer names, comma-separated: one table each."))


class PackArgs(LangArgs):
    month: str | None = Field(None, pattern=MONTH, description=_("As of this month (YYYY-MM)."))


def export_answer() -> Answer:
    """A layer export: a file in one of the registry's formats."""
    media = tuple(dict.fromkeys(f.media_type for f in FORMATS.values()))
    return Answer(_("The file, as an attachment"), None, media)


# -- a row's history (``web/history.py``, ``services/history.py``) ----------------------------


class HistoryArgs(LangArgs):
    limit: int | None = Field(None, ge=1, le=200, description=_("At most this many entries."))
    offset: int | None = Field(None, ge=0, description=_("Skip this many (see the next link)."))


class IndicatorHistoryArgs(HistoryArgs):
    unit: str = Field(description=_("The commune's code."))
    month: str = Field(pattern=MONTH_PATTERN, description=_("The month, YYYY-MM."))


class HistoryChange(BaseModel):
    """One field's change; a hidden one (free text for a reader who may not see it) has no
    values, only a note that it changed."""

    field: str
    label: str
    hidden: bool
    before: Any = None
    after: Any = None
    note: str | None = None


class HistoryEntry(BaseModel):
    id: int
    at: str = Field(description=_("When, ISO 8601."))
    actor: str
    action: str
    action_label: str
    table: str
    reason: str | None = Field(
        description=_("Why, as the writer said (free text: not for viewers).")
    )
    changes: list[HistoryChange]


class Link(BaseModel):
    rel: str
    href: str
    type: str | None = None
    title: str | None = None


class HistoryPage(BaseModel):
    """One page of a row's history from the audit log, newest first."""

    kind: str
    id: int
    title: str
    entries: list[HistoryEntry]
    numberMatched: int = Field(ge=0)
    numberReturned: int = Field(ge=0)
    page: str = Field(description=_("The history's web page."))
    links: list[Link]


# -- the OGC API – Features (``web/ogc.py``, documents made by ``pages/ogc.py``) --------------


class OgcArgs(LangArgs):
    f: Literal["json", "html"] | None = Field(
        None, description=_("json or html; by the Accept header when absent.")
    )


class OgcItemsArgs(OgcArgs):
    bbox: str | None = Field(None, description=_("west,south,east,north in degrees (CRS84)."))
    limit: int | None = Field(
        None, ge=1, description=_("At most this many (100 by default; 10,000 at most).")
    )
    offset: int | None = Field(None, ge=0, description=_("Skip this many (see the next link)."))
    datetime: str | None = Field(
        None, description=_("A day, or an interval a/b with .. for an open end (dated layers).")
    )
    status: str | None = Field(None, description=_("Statuses, comma-separated (layers with one)."))
    campaign_id: int | None = Field(None, ge=0, description=_("A campaign id (campaign layers)."))


class OgcLanding(BaseModel):
    model_config = ConfigDict(extra="allow")
    title: str
    description: str | None = None
    links: list[Link]


class OgcConformance(BaseModel):
    model_config = ConfigDict(extra="allow")
    conformsTo: list[str]
    links: list[Link] | None = None


class OgcCollection(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    title: str
    description: str | None = None
    extent: dict[str, Any]
    itemType: Literal["feature"]
    crs: list[str]
    links: list[Link]


class OgcCollections(BaseModel):
    model_config = ConfigDict(extra="allow")
    links: list[Link]
    collections: list[OgcCollection]


def ogc_items_schema(name: str, lang: Lang) -> Schema:
    """A page of a collection's items: the layer's own features (as the layers API's) with an
    ``id``, the OGC links and counts."""
    feature = feature_schema(name, lang)
    return {
        "type": "object",
        "properties": {
            "type": {"const": "FeatureCollection"},
            "features": {"type": "array", "items": feature},
            "numberMatched": {"type": "integer", "minimum": 0},
            "numberReturned": {"type": "integer", "minimum": 0},
            "timeStamp": {"type": "string"},
            "links": {"type": "array", "items": Link.model_json_schema()},
        },
        "required": ["type", "features", "numberReturned", "links"],
    }


def ogc_item_schema(name: str, lang: Lang) -> Schema:
    """One item: the layer's feature with its ``id`` and links."""
    feature = feature_schema(name, lang)
    feature["properties"]["links"] = {"type": "array", "items": Link.model_json_schema()}
    return feature
