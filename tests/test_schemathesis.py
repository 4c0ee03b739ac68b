"""schemathesis over ``/api/openapi.json``: every described operation, logged in, against the
app served on a loopback port (waitress, as ``live_url`` serves the browser tests) on a
throwaway copy of the demo database (the writes it makes stay there).

Checked for every generated request (valid and invalid by the description): no 5xx, the status
code is documented, the content type is the documented one, and the body and headers conform
to the schema. Bounded: ``EXAMPLES`` per operation and pass (the second pass, the commune
officer, has fewer), so the module stays near a minute on a 2-core machine.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from _databases import create_copy
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from geo_app.demo.accounts import DEMO_PASSWORD
from geo_app.layers import REGISTRY

ADMIN, OFFICER = "quantri", "canbo.hoaminh"
EXAMPLES, OFFICER_EXAMPLES = 6, 3
"""Examples per operation: the admin's pass, then the officer's (scoped) pass."""
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
SKIPPED = "/briefing/pack/"
"""Queuing a pack starts a PDF job in a thread that outlives the request; its checks (CSRF,
kind, scope) are covered by tests/test_briefing_pack.py."""


@pytest.fixture(scope="module")
def api_app(demo_db: str) -> Iterator[Flask]:
    """The app on its own copy of the demo data."""
    from conftest import app_role_url, drop_database, make_settings

    from geo_app import create_app

    url = create_copy(demo_db, "geo_app_test_api")
    application = create_app(make_settings(), database_url=app_role_url(url) or url)
    application.config["TESTING"] = True
    yield application
    application.extensions["geo_app.engine"].dispose()
    bare = application.extensions.get("geo_app.bare_engine")
    if bare is not None:
        bare.dispose()
    drop_database(url)


def _credentials(app: Flask, login: str) -> dict[str, str]:
    """HTTP Basic for /api/, and the session cookie of a form login for the JSON answers
    elsewhere (jobs, the field token), which take no Basic."""
    from conftest import log_in

    client = log_in(app.test_client(), login)
    cookie = client.get_cookie(app.config.get("SESSION_COOKIE_NAME") or "session")
    assert cookie is not None
    basic = base64.b64encode(f"{login}:{DEMO_PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {basic}", "Cookie": f"{cookie.key}={cookie.value}"}


@pytest.fixture(scope="module")
def app(api_app: Flask) -> Flask:
    """``live_url`` (conftest) serves this module's app."""
    return api_app


@pytest.fixture(scope="module")
def admin(api_app: Flask) -> dict[str, str]:
    return _credentials(api_app, ADMIN)


@pytest.fixture(scope="module")
def officer(api_app: Flask) -> dict[str, str]:
    return _credentials(api_app, OFFICER)


@pytest.fixture(scope="module")
def api_schema(live_url: str, admin: dict[str, str]) -> Any:
    """The description as the served app gives it (the same for every user)."""
    return schemathesis.openapi.from_url(f"{live_url}/api/openapi.json", headers=admin)


def _settings(examples: int) -> Any:
    """Bounded and repeatable: no shrinking (a failure is reported as found), no example
    database, the same examples on every run."""
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
    )


def _failures(api_schema: Any, url: str, headers: dict[str, str], examples: int) -> list[str]:
    """Run every operation (valid and invalid requests by its description); what failed."""
    found = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        if operation.path.startswith(SKIPPED):
            continue
        cases = st.one_of(*(operation.as_strategy(mode) for mode in GenerationMode))

        @given(case=cases)
        @_settings(examples)
        def run(case: Any) -> None:
            case.call_and_validate(base_url=url, headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as error:  # every operation runs; all failures are reported
            found.append(f"{operation.label}: {error}"[:3000])
    return found


def test_as_the_national_admin(api_schema: Any, live_url: str, admin: dict[str, str]) -> None:
    assert _failures(api_schema, live_url, admin, EXAMPLES) == []


def test_as_a_commune_officer(api_schema: Any, live_url: str, officer: dict[str, str]) -> None:
    """Inside commune 29410: the scope's 403s and 404s are described too."""
    assert _failures(api_schema, live_url, officer, OFFICER_EXAMPLES) == []


HANOI = [105.8542, 21.0285]
"""A point on land (Hoàn Kiếm, Hà Nội), inside the national admin's scope."""


def _value(schema: dict[str, Any]) -> Any:
    """A value a described property takes: its first code, else one of its type."""
    schema = schema.get("anyOf", [schema])[0]
    if "enum" in schema:
        return schema["enum"][0]
    if schema.get("format") == "date":
        return "2025-12-01"
    return {"string": "thử", "integer": 1, "number": 1.0, "boolean": True}[schema["type"]]


def _created(api_schema: Any, layer: str) -> dict[str, Any]:
    """A create's body made from the description alone: the required properties."""
    body = api_schema.raw_schema["paths"][f"/api/{layer}"]["post"]["requestBody"]
    written = body["content"]["application/json"]["schema"]["properties"]["properties"]
    props = {name: _value(written["properties"][name]) for name in written["required"]}
    props["client_id"] = str(uuid.uuid4())
    west, south = HANOI
    square = [[[west, south], [west + 0.001, south], [west, south + 0.001], [west, south]]]
    geometry = {"type": "Point", "coordinates": HANOI}
    if layer == "cultivation_sites":
        geometry = {"type": "Polygon", "coordinates": square}
    return {"type": "Feature", "properties": props, "geometry": geometry}


@pytest.mark.parametrize(
    "layer", ["hotspots", "hotline_boards", "tipoff_boxes", "cultivation_sites"]
)
def test_a_write_made_from_the_description_is_answered_as_described(
    api_schema: Any, live_url: str, admin: dict[str, str], layer: str
) -> None:
    """Create, change and delete one feature with bodies read off the description: each
    answer has its documented status and shape."""
    create = api_schema[f"/api/{layer}"]["POST"]
    made = create.Case(body=_created(api_schema, layer), media_type="application/json")
    answer = made.call_and_validate(base_url=live_url, headers=admin, checks=CHECKS)
    assert answer.status_code == 201, answer.text
    row, version = answer.json()["id"], answer.json()["properties"]["version"]
    path = {"row_id": row}
    headers = {**admin, "If-Match": f'"{version}"'}
    changed = {"client_id": str(uuid.uuid4()), "properties": {}, "reason": "kiểm tra"}
    patch = api_schema[f"/api/{layer}/{{row_id}}"]["PATCH"]
    case = patch.Case(path_parameters=path, body=changed, media_type="application/json")
    answer = case.call_and_validate(base_url=live_url, headers=headers, checks=CHECKS)
    assert answer.status_code == 200, answer.text
    headers["If-Match"] = f'"{answer.json()["properties"]["version"]}"'
    gone = {"client_id": str(uuid.uuid4()), "reason": "kiểm tra"}
    delete = api_schema[f"/api/{layer}/{{row_id}}"]["DELETE"]
    case = delete.Case(path_parameters=path, body=gone, media_type="application/json")
    answer = case.call_and_validate(base_url=live_url, headers=headers, checks=CHECKS)
    assert answer.status_code == 200, answer.text


def _reads(campaign: int) -> list[tuple[str, dict[str, Any], dict[str, str]]]:
    """Reads of the demo data that answer 200, which random requests rarely hit (an area
    layer needs a real area, a campaign a real id): each layer in province 86, the panels."""
    reads: list[tuple[str, dict[str, Any], dict[str, str]]] = [
        ("/api/campaigns/{campaign_id}/progress", {"campaign_id": campaign}, {"month": "2025-10"}),
        ("/api/summary", {}, {"area": "86", "month": "2025-10"}),
        ("/api/indicators", {}, {"unit": "29410", "month": "2025-10", "lang": "en"}),
    ]
    for name, spec in REGISTRY.items():
        query = {"area": "86", "limit": "20", "zoom": "10"}
        if "campaign" in spec.filters:
            query["campaign"] = str(campaign)
        reads.append((f"/api/layers/{name}/features", {}, query))
    return reads


def test_reads_of_the_demo_answer_as_described(
    api_schema: Any, live_url: str, admin: dict[str, str], tra_vinh: int
) -> None:
    for path, parameters, query in _reads(tra_vinh):
        case = api_schema[path]["GET"].Case(path_parameters=parameters, query=query)
        answer = case.call_and_validate(base_url=live_url, headers=admin, checks=CHECKS)
        assert answer.status_code == 200, (path, answer.text[:300])
