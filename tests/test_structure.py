"""The shape of the code that docs/ARCHITECTURE.md promises, checked so it cannot drift.

(The import contracts run in ``make lint`` through import-linter; the views' size is checked
in ``tests/test_page_views.py``.)
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "geo_app"
MAX_FUNCTION_LINES = 60


def _functions(path: Path) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def _length(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """From ``def`` to the last line (decorators, e.g. a command's options, not counted)."""
    return (node.end_lineno or node.lineno) - node.lineno + 1


def _sources() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py")) if "migrations" not in p.parts]


def test_no_function_is_over_sixty_lines() -> None:
    long = [
        f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name} ({_length(node)} lines)"
        for path in _sources()
        for node in _functions(path)
        if _length(node) > MAX_FUNCTION_LINES
    ]
    assert not long, "split these functions:\n" + "\n".join(long)


def test_the_length_check_sees_a_long_function() -> None:
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    node = ast.parse(f"def f():\n{body}\n").body[0]
    assert isinstance(node, ast.FunctionDef) and _length(node) == MAX_FUNCTION_LINES + 1
