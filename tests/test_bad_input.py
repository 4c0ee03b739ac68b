"""Bad input never gives a 500: control characters and deep JSON sent to every route.

The routes come from the app's URL map, so a route added later is swept too. Each is asked,
logged in as the national admin, with a NUL, a line break or another control character in
its path, in a query parameter, in a form field (POST routes) and in a JSON body (POST
routes), and with JSON nested 50,000 deep. ``geo_app/web/input_guard.py`` refuses all of them
with a 400 before a view runs.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule

from geo_app.control_chars import EscapeControlCharacters, escape
from geo_app.web.input_guard import MAX_JSON_DEPTH, json_depth

CONTROL = ["\x00", "\n", "\r", "\x1b", "\x7f", "\x85"]
"""NUL, line feed, carriage return, escape, DEL and a C1 control (next line)."""
SAMPLES = {
    "code": "86",
    "month": "2025-10",
    "name": "hotspots",
    "feature_id": "1",
    "campaign_id": "1",
    "z": "10",
    "x": "812",
    "y": "450",
    "filename": "app.css",
}
"""A value for each URL variable, so the clean URL reaches its view."""
QUERY_NAMES = ["month", "area", "lang", "bbox", "status", "next", "v", "limit"]


def _rules(app: Flask) -> list[tuple[Rule, str]]:
    return [
        (rule, method)
        for rule in app.url_map.iter_rules()
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    ]


def _path(app: Flask, rule: Rule, **values: str) -> str:
    """The rule's URL with the samples, some of them replaced by ``values``."""
    filled = {arg: values.get(arg, SAMPLES.get(arg, "1")) for arg in rule.arguments}
    built = rule.build(filled)
    assert built is not None, rule
    return built[1]


def _bad_paths(app: Flask, rule: Rule) -> Iterator[str]:
    """A control character in each string variable, and after the whole path."""
    clean = _path(app, rule)
    for char in CONTROL:
        yield clean + quote(char)
        yield clean.rstrip("/") + "/" + quote(f"a{char}b")
        for arg, converter in rule._converters.items():
            if type(converter).__name__ in {"UnicodeConverter", "PathConverter"}:
                yield _path(app, rule, **{arg: SAMPLES.get(arg, "1") + char})


def _assert_refused(response: object, what: str) -> None:
    status = getattr(response, "status_code", 0)
    assert status < 500, f"{what}: {status}"
    assert status == 400, f"{what}: {status}"


@pytest.fixture(scope="module")
def admin(app: Flask) -> FlaskClient:
    from conftest import NATIONAL_LOGIN, log_in

    return log_in(app.test_client(), NATIONAL_LOGIN)


def test_the_sweep_covers_the_routes(app: Flask) -> None:
    paths = {rule.rule for rule, _method in _rules(app)}
    assert {"/healthz", "/api/layers", "/login", "/tiles/<name>/<z>/<x>/<y>.mvt"} <= paths
    assert any(method == "POST" for _rule, method in _rules(app))


def test_control_characters_in_any_path_give_400(app: Flask, admin: FlaskClient) -> None:
    for rule, method in _rules(app):
        for path in _bad_paths(app, rule):
            response = admin.open(path, method=method)
            _assert_refused(response, f"{method} {path}")


def test_control_characters_in_any_query_parameter_give_400(app: Flask, admin: FlaskClient) -> None:
    for rule, method in _rules(app):
        clean = _path(app, rule)
        for char in CONTROL:
            for name in QUERY_NAMES:
                query = f"{name}={quote('2025-10' + char)}"
                _assert_refused(admin.open(f"{clean}?{query}", method=method), f"{clean} {query}")
            query = f"{quote('x' + char)}=1"
            _assert_refused(admin.open(f"{clean}?{query}", method=method), f"{clean} {query}")


NOT_ASCII_DIGITS = ["\u00b2", "9" * 40]
"""A superscript two (``str.isdigit`` takes it, ``int`` does not) and a number longer than any
id column holds (PostgreSQL would refuse it)."""
NUMBER_NAMES = ["page", "zoom", "campaign", "within", "limit", "version", "year", "code", "id"]


def test_numbers_that_are_not_plain_digits_never_give_500(app: Flask, admin: FlaskClient) -> None:
    for rule, method in _rules(app):
        if method != "GET":
            continue
        clean = _path(app, rule)
        for value in NOT_ASCII_DIGITS:
            for name in NUMBER_NAMES:
                query = f"{name}={quote(value)}"
                assert _status(admin, f"{clean}?{query}") < 500, f"{clean}?{query}"
            for arg, converter in rule._converters.items():
                if type(converter).__name__ in {"UnicodeConverter", "PathConverter"}:
                    path = _path(app, rule, **{arg: value})
                    assert _status(admin, path) < 500, path


def _status(client: FlaskClient, path: str) -> int:
    with client.get(path) as response:  # closed: a static file's body is an open file
        return response.status_code


def test_control_characters_in_form_fields_give_400(app: Flask, admin: FlaskClient) -> None:
    posts = [rule for rule, method in _rules(app) if method == "POST"]
    for rule in posts:
        path = _path(app, rule)
        for char in ["\x00", "\x1b", "\x7f"]:
            for data in ({"login": f"quantri{char}"}, {f"field{char}": "1"}, {"next": char}):
                response = admin.post(path, data={"csrf_token": "x", **data})
                _assert_refused(response, f"POST {path} {data!r}")
        # A field name may never hold a line break; a value (free text) may.
        _assert_refused(admin.post(path, data={"a\nb": "1"}), f"POST {path} newline in a name")
        response = admin.post(path, data={"notes": "line one\r\nline two\tend"})
        assert response.status_code < 500


def test_control_characters_in_json_strings_give_400(app: Flask, admin: FlaskClient) -> None:
    posts = [rule for rule, method in _rules(app) if method == "POST"]
    bodies = [
        {"code": "29410\u0000", "month": "2025-10"},
        {"code": "29410", "month": "2025-10", "rows": [{"drug_users": "1\u001b"}]},
        {"code\u0000": "29410"},
        {"nested": {"ke\ny": 1}},
    ]
    for rule in posts:
        path = _path(app, rule)
        for body in bodies:
            response = admin.post(path, json=body)
            _assert_refused(response, f"POST {path} {body!r}")
        fine = admin.post(path, json={"code": "29410", "notes": "line one\nline two"})
        assert fine.status_code < 500


@pytest.mark.parametrize("body", ["[" * 50_000, '{"a":' * 50_000, "[" * 40 + "]" * 40])
def test_deep_json_gives_400_without_recursion(app: Flask, admin: FlaskClient, body: str) -> None:
    for rule, method in _rules(app):
        if method != "POST":
            continue
        path = _path(app, rule)
        response = admin.post(path, data=body, content_type="application/json")
        _assert_refused(response, f"POST {path} deep JSON")


def test_json_depth_skips_brackets_inside_strings() -> None:
    assert json_depth(b'{"a": "[[[[[[", "b": [1, [2, {"c": "]]}"}]]}') == 4
    assert json_depth(b'["\\"[[["]') == 1
    assert json_depth(b"") == 0
    assert json_depth(b"[" * (MAX_JSON_DEPTH + 1)) == MAX_JSON_DEPTH + 1


def test_json_within_the_depth_limit_reaches_the_view(admin: FlaskClient) -> None:
    body = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    response = admin.post("/api/indicators", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "nested" not in response.get_json()["error"]


def test_the_refusal_speaks_the_page_language(admin: FlaskClient) -> None:
    page = admin.get("/map/province/%00")
    assert page.status_code == 400 and page.mimetype == "text/html"
    assert "ký tự điều khiển" in page.get_data(as_text=True)
    english = admin.get("/map/province/%00?lang=en")
    assert "control character" in english.get_data(as_text=True)
    api = admin.get("/api/summary?area=%00&lang=en")
    assert api.status_code == 400
    assert "«area»" in api.get_json()["error"] and "control character" in api.get_json()["error"]
    tile = admin.get("/tiles/points/10/1/1%0A.mvt")
    assert tile.status_code == 400 and "ký tự điều khiển" in tile.get_json()["error"]


def test_the_log_line_for_a_line_break_in_the_path_is_one_line(
    admin: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = admin.get("/map/province/86%0A127.0.0.1 - forged line%0D%00")
    assert response.status_code == 400
    refused = [r for r in caplog.records if "refused" in r.getMessage()]
    assert refused, "the guard logs what it refused"
    for record in refused:
        text = caplog.handler.format(record)
        assert "\n" not in text and "\r" not in text and "\x00" not in text
        assert "86\\n127.0.0.1 - forged line\\r\\x00" in text


def test_server_log_lines_escape_control_characters(caplog: pytest.LogCaptureFixture) -> None:
    """The production server's own lines (waitress logs the decoded path of a failed request)."""
    with caplog.at_level(logging.INFO, logger="waitress"):
        logging.getLogger("waitress").error("Exception while serving %s", "/a\nINFO forged")
    (record,) = [r for r in caplog.records if r.name == "waitress"]
    assert record.getMessage() == "Exception while serving /a\\nINFO forged"


def test_the_log_filter_escapes_any_argument() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s %r", ("a\nb", "c\x00"), None)
    assert EscapeControlCharacters().filter(record)
    assert record.getMessage() == "a\\nb 'c\\x00'"
    assert escape("a\u2028b\x85") == "a\\u2028b\\x85"
