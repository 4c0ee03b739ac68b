"""The web around the page modules: thin views, one home for page URLs, no Flask in
geo_app/pages, breadcrumbs that respect the scope, and errors in the page language."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from conftest import log_in
from flask import Flask
from flask.testing import FlaskClient

PACKAGE = Path(__file__).resolve().parent.parent / "geo_app"
URLS_MODULE = PACKAGE / "urls.py"
MAX_VIEW_LINES = 40
MAX_FUNCTION_LINES = 60
ROUTE_DECORATORS = {"get", "post", "put", "patch", "delete", "route"}


def _functions(path: Path) -> list[ast.FunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef)]


def _is_view(function: ast.FunctionDef) -> bool:
    return any(
        isinstance(d, ast.Call)
        and isinstance(d.func, ast.Attribute)
        and d.func.attr in ROUTE_DECORATORS
        for d in function.decorator_list
    )


def _length(function: ast.FunctionDef) -> int:
    assert function.end_lineno is not None
    return function.end_lineno - function.lineno + 1


def test_no_view_is_over_40_lines() -> None:
    views = [
        (path.name, f.name, _length(f))
        for path in sorted((PACKAGE / "web").glob("*.py"))
        for f in _functions(path)
        if _is_view(f)
    ]
    assert len(views) > 10  # the check really finds the views
    assert [v for v in views if v[2] > MAX_VIEW_LINES] == []


def test_no_page_or_page_drawing_function_is_over_60_lines() -> None:
    paths = [*sorted((PACKAGE / "pages").glob("*.py")), PACKAGE / "maps" / "page_maps.py"]
    long = [
        (path.name, f.name, _length(f))
        for path in paths
        for f in _functions(path)
        if _length(f) > MAX_FUNCTION_LINES
    ]
    assert long == []


def test_the_pages_package_imports_no_flask() -> None:
    imported = set()
    for path in (PACKAGE / "pages").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {(path.name, alias.name) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add((path.name, node.module))
    assert any(module == "sqlalchemy.orm" for _, module in imported)
    assert [(n, m) for n, m in imported if m.split(".")[0] in {"flask", "flask_babel"}] == []


def test_page_urls_are_spelled_in_one_module_only() -> None:
    found = []
    for path in PACKAGE.rglob("*"):
        if not path.is_file() or "__pycache__" in path.parts or path == URLS_MODULE:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue  # compiled catalogs, images
        found += [
            f"{path.relative_to(PACKAGE)}:{n}"
            for n, line in enumerate(text.splitlines(), 1)
            if "/map/" in line
        ]
    assert found == []
    assert "/map/" in URLS_MODULE.read_text(encoding="utf-8")


def _crumbs(html: str) -> str:
    match = re.search(r'<nav class="crumbs">(.*?)</nav>', html, re.S)
    assert match
    return match[1]


def test_breadcrumbs_do_not_link_to_pages_the_user_cannot_open(
    app: Flask, national_client: FlaskClient
) -> None:
    national = _crumbs(national_client.get("/map/commune/29410").get_data(as_text=True))
    assert '<a href="/">Việt Nam</a>' in national and 'href="/map/province/86"' in national
    commander = log_in(app.test_client(), "vinhlong")
    response = commander.get("/map/commune/29410")
    assert response.status_code == 200
    crumbs = _crumbs(response.get_data(as_text=True))
    assert '<span class="crumb">Việt Nam</span>' in crumbs and 'href="/"' not in crumbs
    assert 'href="/map/province/86"' in crumbs
    officer = log_in(app.test_client(), "canbo.hoaminh")
    response = officer.get("/map/commune/29410")
    assert response.status_code == 200
    crumbs = _crumbs(response.get_data(as_text=True))
    assert "<a " not in crumbs and crumbs.count('<span class="crumb">') == 2


@pytest.mark.parametrize(
    ("path", "status", "english", "vietnamese"),
    [
        ("/map/province/ZZ", 404, "no province with code &#39;ZZ&#39;", "không có tỉnh"),
        ("/map/province/86", 403, "this area is outside your scope", "nằm ngoài phạm vi"),
        ("/map/province/29410?month=2025-13", 400, "is not valid", "không hợp lệ"),
        ("/map/nowhere/at/all", 404, "There is no page at this address.", "Không có trang"),
    ],
)
def test_error_pages_follow_the_page_language(
    app: Flask, path: str, status: int, english: str, vietnamese: str
) -> None:
    officer = log_in(app.test_client(), "canbo.hoaminh")  # commune 29410: 86 is above it
    for lang, expected, absent in (("vi", vietnamese, english), ("en", english, vietnamese)):
        asked = path + ("&" if "?" in path else "?") + f"lang={lang}"
        response = officer.get(asked)
        assert response.status_code == status, asked
        html = response.get_data(as_text=True)
        assert expected in html and absent not in html
        assert f'<html lang="{lang}">' in html
    assert "Về bản đồ toàn quốc" in officer.get(path).get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "status", "english", "vietnamese"),
    [
        ("/api/campaigns/999999/progress", 404, "no campaign with id 999999", "không có chiến"),
        ("/api/no-such-thing", 404, "There is no page at this address.", "Không có trang"),
    ],
)
def test_json_errors_follow_the_language(
    national_client: FlaskClient, path: str, status: int, english: str, vietnamese: str
) -> None:
    default = national_client.get(path)
    assert default.status_code == status and vietnamese in default.get_json()["error"]
    asked = national_client.get(path + "?lang=en")
    assert asked.status_code == status and asked.get_json() == {"error": english}
