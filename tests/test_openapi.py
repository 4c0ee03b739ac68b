"""The OpenAPI description (``/api/openapi.json``) and the API page (``/api/docs``): made from
the routes and the registries, complete, in the reader's language, behind the login."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from geo_app.domain.vocabulary import HOTSPOT_STATUSES
from geo_app.exports.formats import FORMATS
from geo_app.layers import REGISTRY
from geo_app.services.field.edit import writable
from geo_app.services.field.rows import MODELS
from geo_app.web import openapi
from geo_app.web.api_schemas import PLACEMENT, ErrorBody


@pytest.fixture(scope="module")
def described(app: Flask) -> dict[str, Any]:
    from conftest import NATIONAL_LOGIN

    from geo_app.demo.accounts import DEMO_PASSWORD

    client = app.test_client()
    response = client.get("/api/openapi.json", auth=(NATIONAL_LOGIN, DEMO_PASSWORD))
    assert response.status_code == 200
    body: dict[str, Any] = response.get_json()
    return body


def test_every_api_route_is_described(app: Flask, described: dict[str, Any]) -> None:
    """Each method of each route under /api/ and /ogc is an operation of the document (a route whose
    layer name is expanded, once per layer)."""
    assert openapi.undescribed(app) == []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(openapi.DOCUMENTED_PREFIXES):
            continue
        template = openapi.PARAMETER.sub(r"{\1}", rule.rule)
        # a layer's name expanded into one path per layer, or left a parameter
        pattern = re.escape(template).replace(re.escape("{name}"), r"(?:[a-z_]+|\{name\})")
        for method in (rule.methods or set()) - openapi.IGNORED_METHODS:
            found = [
                path
                for path, item in described["paths"].items()
                if method.lower() in item and re.fullmatch(pattern, path)
            ]
            assert found, (rule.rule, method)


def test_the_document_is_valid_openapi_3_1(described: dict[str, Any]) -> None:
    """Checked against the OpenAPI 3.1 meta-schema (the one schemathesis ships)."""
    from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

    assert described["openapi"] == "3.1.0"
    errors = [error.message for error in OPENAPI_31_VALIDATOR.iter_errors(described)]
    assert errors == []


def test_a_route_without_a_declaration_is_found(app: Flask) -> None:
    """The check of the test above fails for a new undocumented route (a copy of the app's
    map with one more rule)."""
    from werkzeug.routing import Rule

    rules = [Rule(r.rule, endpoint=r.endpoint, methods=r.methods) for r in app.url_map.iter_rules()]
    copy = Flask("copy")
    copy.url_map.add(Rule("/api/forgotten", endpoint="forgotten"))
    copy.view_functions = {**app.view_functions, "forgotten": lambda: "x"}
    for rule in rules:
        copy.url_map.add(rule)
    assert openapi.undescribed(copy) == ["/api/forgotten"]


def test_each_layer_has_its_own_properties(described: dict[str, Any]) -> None:
    for name, spec in REGISTRY.items():
        get = described["paths"][f"/api/layers/{name}/features"]["get"]
        schema = get["responses"]["200"]["content"]["application/geo+json"]["schema"]
        props = schema["properties"]["features"]["items"]["properties"]["properties"]
        assert set(props["properties"]) >= {f.name for f in spec.fields}
        assert set(props["required"]) == set(spec.columns(sensitive=False))
    hotspot = described["paths"]["/api/layers/hotspots/features/{feature_id}"]["get"]
    props = hotspot["responses"]["200"]["content"]["application/geo+json"]["schema"]["properties"]
    status = props["properties"]["properties"]["status"]["anyOf"][0]
    assert status["enum"] == list(HOTSPOT_STATUSES.codes)


def test_field_writes_export_formats_and_errors_come_from_the_code(
    described: dict[str, Any],
) -> None:
    paths = described["paths"]
    for name in MODELS:
        assert {"post"} <= set(paths[f"/api/{name}"])
        assert {"get", "patch", "delete"} <= set(paths[f"/api/{name}/{{row_id}}"])
        body = paths[f"/api/{name}"]["post"]["requestBody"]["content"]["application/json"]
        written = body["schema"]["properties"]["properties"]
        names = {name for name, _field, _required in writable(REGISTRY[name])}
        assert set(written["properties"]) == {"client_id", *names, *PLACEMENT}
        required = {name for name, _field, needed in writable(REGISTRY[name]) if needed}
        assert set(written["required"]) == {"client_id", *required}
    boards = paths["/api/hotline_boards"]["post"]["requestBody"]["content"]["application/json"]
    assert "condition" in boards["schema"]["properties"]["properties"]["properties"]
    params = {p["name"]: p for p in paths["/api/exports/{layer}"]["get"]["parameters"]}
    assert params["format"]["schema"]["enum"] == list(FORMATS)
    assert params["layer"]["schema"]["enum"] == list(REGISTRY)
    error = paths["/api/layers"]["get"]["responses"]["401"]["content"]["application/json"]
    assert error["schema"] == {"$ref": "#/components/schemas/ErrorBody"}
    schemes = described["components"]["securitySchemes"]
    assert schemes["basicAuth"] == {"type": "http", "scheme": "basic"}
    assert schemes["sessionCookie"]["in"] == "cookie"


def test_the_document_speaks_the_readers_language(national_client: FlaskClient) -> None:
    vi = national_client.get("/api/openapi.json").get_json()
    en = national_client.get("/api/openapi.json?lang=en").get_json()
    assert (
        vi["paths"]["/api/layers"]["get"]["summary"] == "Các lớp bản đồ, trường và tile của chúng"
    )
    assert en["paths"]["/api/layers"]["get"]["summary"] == "The map layers, their fields and tiles"


def test_error_bodies_have_the_described_shape(national_client: FlaskClient) -> None:
    """The errors the description promises: web/errors.py's JSON, nothing else."""
    strict = ErrorBody.model_validate
    for url, status in (
        ("/api/layers/nowhere/features", 404),
        ("/api/layers/hotspots/features?bbox=1,2", 400),
        ("/api/hotspots/999999999", 404),
    ):
        response = national_client.get(url)
        assert response.status_code == status, url
        body = response.get_json()
        assert set(body) <= set(ErrorBody.model_fields), body
        assert strict(body).error


def test_json_answers_outside_api_give_json_errors(national_client: FlaskClient) -> None:
    """A job's status and a pack's queue are read by a script: their errors are JSON too."""
    from geo_app.demo.accounts import DEMO_PASSWORD

    job = national_client.get("/jobs/999999")
    assert job.status_code == 404 and job.is_json
    assert ErrorBody.model_validate(job.get_json()).error
    refused = national_client.post("/briefing/pack/hamlet/1", auth=("quantri", DEMO_PASSWORD))
    assert refused.status_code in (400, 404) and refused.is_json


def test_login_required(client: FlaskClient) -> None:
    assert client.get("/api/openapi.json").status_code == 401
    assert client.get("/api/docs").status_code == 401


def test_the_api_page_groups_operations_in_vietnamese(national_client: FlaskClient) -> None:
    page = national_client.get("/api/docs").get_data(as_text=True)
    assert 'lang="vi"' in page
    assert "Giao diện lập trình JSON" in page
    assert 'id="tag-layers"' in page
    assert "curl -u" in page and "/api/layers/hotspots/features" in page
    assert "<script" not in page.split("</head>", 1)[1]  # no script of its own, no CDN
    english = national_client.get("/api/docs?lang=en").get_data(as_text=True)
    assert "The JSON API" in english
