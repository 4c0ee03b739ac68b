"""``GET /api/openapi.json`` (the OpenAPI 3.1 description of the JSON API) and ``GET /api/docs``
(the same, as a page), both built from the routes of the running app.

Why our own small generator rather than spectree, APIFlask or flask-smorest: APIFlask and
flask-smorest replace the blueprints; spectree wraps every view in its own request and response
handling (its validation answers 422 in English, it adds that 422 to every operation, it binds
its document to one app while the tests build several, and its pages load their scripts from a
CDN). Here a view only carries a declaration (``web/api_schemas.py`` ``@documented``), the
views keep their parsers and messages, and this module walks ``app.url_map``: the paths, methods
and path parameters come from the routes themselves, the schemas from the registries and the
pydantic models. The document is made in the reader's language (``?lang=en``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any, cast

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request
from flask_babel import gettext
from pydantic import BaseModel
from werkzeug.routing import AnyConverter, BaseConverter, IntegerConverter, Rule

from geo_app import __version__
from geo_app.layers.base import Lang
from geo_app.web import api_schemas as api
from geo_app.web.access import require_login
from geo_app.web.api_schemas import _
from geo_app.web.context import lang
from geo_app.web.headers import csp_nonce

bp = Blueprint("openapi", __name__)
require_login(bp)

DOCUMENTED_PREFIXES = ("/api/", "/ogc")
"""Every route under these prefixes must be described (``tests/test_openapi.py``)."""
IGNORED_METHODS = {"HEAD", "OPTIONS"}
PARAMETER = re.compile(r"<(?:[^>]*:)?(\w+)>")
MAX_ID = 2**63 - 1
"""The largest ``bigint``: ids in paths are at most this."""
TAGS: dict[str, str] = {
    "layers": _("Map layers and their features (GeoJSON)"),
    "summary": _("Summary figures of an area"),
    "campaigns": _("Campaigns and their progress"),
    "indicators": _("Monthly indicators of a commune"),
    "field": _("Field writes: hotspots, boards, boxes, cultivation sites"),
    "exports": _("Layer exports (files)"),
    "jobs": _("Briefing packs made in the background"),
    "history": _("The history of a feature, an indicator row or an evaluation (audit log)"),
    "ogc": _("OGC API – Features (QGIS, GDAL)"),
    "system": _("The service itself"),
}
SECURITY: list[dict[str, list[str]]] = [{"basicAuth": []}, {"sessionCookie": []}]
STATUS_TEXT = {
    200: _("OK"),
    201: _("Created"),
    202: _("Accepted: queued"),
    400: _("The request is not valid"),
    401: _("Log in first (session cookie or HTTP Basic)"),
    403: _("Outside your scope or role"),
    404: _("Not found"),
    409: _("Conflict with the stored data"),
    415: _("Send JSON (Content-Type: application/json)"),
    428: _("Say which version you read (If-Match)"),
    429: _("Too many failed logins: try again later"),
    503: _("The database cannot be reached"),
}


def document(app: Flask, language: Lang) -> dict[str, Any]:
    """The OpenAPI document of every described route of ``app``, in ``language``."""
    components = _Components(language)
    paths: dict[str, dict[str, Any]] = {}
    for rule, doc in described(app):
        view = app.view_functions[rule.endpoint]
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            for path, value, parameters in _paths(rule, doc):
                operation = _operation(rule, doc, method, value, parameters, components)
                if view.__doc__:
                    operation["description"] = " ".join(view.__doc__.split())
                paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "geo_app API",
            "version": __version__,
            "description": gettext(
                "The JSON API of the drug-free commune maps. Log in with HTTP Basic or the "
                "session cookie; a write by cookie also sends the X-CSRF-Token header. Errors "
                'are JSON {"error": ...} in the request\'s language (?lang=en for English).'
            ),
        },
        "servers": [{"url": "/"}],
        "tags": [{"name": name, "description": gettext(text)} for name, text in TAGS.items()],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": components.schemas, "securitySchemes": _security(app)},
        "security": SECURITY,
    }


def described(app: Flask) -> Iterator[tuple[Rule, api.Doc]]:
    """Every route of ``app`` that carries a declaration, in path order."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        doc = api.doc_of(app.view_functions[rule.endpoint])
        if doc is not None:
            yield rule, doc


def undescribed(app: Flask) -> list[str]:
    """Routes under ``DOCUMENTED_PREFIXES`` without a declaration (there should be none)."""
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(DOCUMENTED_PREFIXES)
        and api.doc_of(app.view_functions[rule.endpoint]) is None
    )


def _security(app: Flask) -> dict[str, Any]:
    cookie = app.config.get("SESSION_COOKIE_NAME") or "session"
    return {
        "basicAuth": {"type": "http", "scheme": "basic"},
        "sessionCookie": {"type": "apiKey", "in": "cookie", "name": cookie},
    }


def _path_schema(rule: Rule, name: str, doc: api.Doc) -> dict[str, Any]:
    """A path parameter's schema: the declaration's, else what the route's converter takes."""
    if name in doc.path:
        return dict(doc.path[name])
    converter: BaseConverter = rule._converters[name]  # the route's own parser
    if isinstance(converter, AnyConverter):
        return {"type": "string", "enum": sorted(converter.items)}
    if isinstance(converter, IntegerConverter):
        return {"type": "integer", "minimum": 0, "maximum": MAX_ID}
    return {"type": "string", "pattern": "^[^/]+$"}


def _paths(rule: Rule, doc: api.Doc) -> Iterator[tuple[str, str, list[dict[str, Any]]]]:
    """The OpenAPI path(s) of a route, with the value of the expanded parameter ("" when none)
    and the path parameters left."""
    template = PARAMETER.sub(r"{\1}", rule.rule)
    names = PARAMETER.findall(rule.rule)
    schemas = {name: _path_schema(rule, name, doc) for name in names}
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": schemas[name]}
        for name in names
        if name != doc.expand
    ]
    if doc.expand is None:
        yield template, "", parameters
        return
    for value in schemas[doc.expand]["enum"]:
        yield template.replace("{" + doc.expand + "}", value), value, parameters


def _operation(
    rule: Rule,
    doc: api.Doc,
    method: str,
    value: str,
    parameters: list[dict[str, Any]],
    components: _Components,
) -> dict[str, Any]:
    """One operation: summary, parameters, body and responses."""
    operation: dict[str, Any] = {
        "tags": [doc.tag],
        "summary": api.say(doc.summary) + (f" · {value}" if value else ""),
        "operationId": f"{method.lower()}_{rule.endpoint.replace('.', '_')}"
        + (f"_{value}" if value else ""),
        "parameters": [*parameters, *_query(doc), *_headers(doc)],
        "responses": _responses(doc, value, components),
    }
    if doc.body is not None and method in {"POST", "PUT", "PATCH", "DELETE"}:
        schema = components.schema(doc.body, value)
        operation["requestBody"] = {"required": True, "content": {api.JSON: {"schema": schema}}}
    if doc.public:
        operation["security"] = [{}, *SECURITY]
    return operation


def _query(doc: api.Doc) -> list[dict[str, Any]]:
    """The query parameters, one per field of the declaration's query model."""
    if doc.query is None:
        return []
    schema = doc.query.model_json_schema()
    required = set(schema.get("required", ()))
    found = []
    for name, item in schema["properties"].items():
        described = {k: v for k, v in item.items() if k not in {"title", "description", "default"}}
        parameter = {"name": name, "in": "query", "required": name in required}
        text = item.get("description")
        if text:
            parameter["description"] = gettext(text)
        found.append({**parameter, "schema": described})
    return found


def _headers(doc: api.Doc) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "header", "description": api.say(text), "schema": {"type": "string"}}
        for name, text in doc.headers.items()
    ]


def _responses(doc: api.Doc, value: str, components: _Components) -> dict[str, Any]:
    """The route's own answers, then the errors any route may give (JSON ``ErrorBody``)."""
    responses: dict[str, Any] = {}
    for status, answer in sorted(doc.answers.items()):
        response: dict[str, Any] = {"description": api.say(answer.description)}
        schema = None if answer.schema is None else components.schema(answer.schema, value)
        response["content"] = {
            media: {"schema": schema} if schema is not None else {} for media in answer.media_types
        }
        responses[str(status)] = response
    error: dict[str, Any] = {api.JSON: {"schema": components.schema(api.ErrorBody, value)}}
    if any(api.HTML in answer.media_types for answer in doc.answers.values()):
        error[api.HTML] = {"schema": {"type": "string"}}  # to whoever asked for the page
    for status in sorted(set(doc.errors) - set(doc.answers)):
        responses[str(status)] = {"description": gettext(STATUS_TEXT[status]), "content": error}
    return responses


class _Components:
    """The document's shared schemas: each pydantic model once, referred to by name."""

    def __init__(self, language: Lang) -> None:
        self.language = language
        self.schemas: dict[str, Any] = {}

    def schema(self, source: api.SchemaSource, value: str) -> dict[str, Any]:
        if isinstance(source, type) and issubclass(source, BaseModel):
            return self._model(source)
        if isinstance(source, dict) or source is None:
            return dict(source or {})
        made = cast(Callable[[str, Lang], dict[str, Any]], source)
        return made(value, self.language)

    def _model(self, model: type[BaseModel]) -> dict[str, Any]:
        if model.__name__ not in self.schemas:
            made = model.model_json_schema(ref_template="#/components/schemas/{model}")
            self.schemas.update(made.pop("$defs", {}))
            self.schemas[model.__name__] = made
        return {"$ref": f"#/components/schemas/{model.__name__}"}


@bp.get("/api/openapi.json")
@api.documented("system", _("This description (OpenAPI 3.1)"), {200: api.Answer(_("The document"))})
def openapi_json() -> Response:
    """Made from the routes on every request, in the request's language (``?lang=en``)."""
    return jsonify(document(current_app, lang()))


@bp.get("/api/docs")
@api.documented(
    "system",
    _("This description as a page"),
    {200: api.Answer(_("The page"), media_types=(api.HTML,))},
)
def docs_page() -> str:
    """The operations grouped by tag, with their parameters, answers and a curl line."""
    language = lang()
    found = document(current_app, language)
    return render_template(
        "api_docs.html",
        title=gettext("The JSON API"),
        lang=language,
        api=found,
        groups=_groups(found),
        nonce=csp_nonce(),
    )


def _groups(found: dict[str, Any]) -> list[dict[str, Any]]:
    """The operations by tag, in the tags' order, each with its curl line."""
    groups = {tag["name"]: {**tag, "operations": []} for tag in found["tags"]}
    who = gettext("LOGIN:PASSWORD")
    for path, methods in found["paths"].items():
        for method, operation in methods.items():
            curl = f"curl -u {who} -X {method.upper()} '{request.host_url.rstrip('/')}{path}'"
            values = [_values(p["schema"]) for p in operation["parameters"]]
            item = {"path": path, "method": method.upper(), "op": operation, "curl": curl}
            item["params"] = list(zip(operation["parameters"], values, strict=True))
            groups[operation["tags"][0]]["operations"].append(item)
    return [group for group in groups.values() if group["operations"]]


def _values(schema: dict[str, Any]) -> str:
    """What a parameter takes, in a few words: its codes, else its type and bounds."""
    first = next((s for s in schema.get("anyOf", [schema]) if s.get("type") != "null"), schema)
    if "enum" in first:
        return ", ".join(str(v) for v in first["enum"])
    bounds = [str(first[k]) for k in ("minimum", "maximum") if k in first]
    return str(first.get("type", "")) + (f" {'…'.join(bounds)}" if bounds else "")
