"""The domain vocabulary: one definition of every code, used by everything else, importing nothing.

Also the guard against copies: no module outside the domain may list the classes again or parse
months with its own pattern.
"""

from __future__ import annotations

import ast
import enum
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from geo_app.domain import vocabulary as v
from geo_app.domain.classification import CLASS_ORDER
from geo_app.layers import vocab
from geo_app.layers.campaign_progress import PROGRESS_COLOURS
from geo_app.layers.classification import CLASS_COLOURS
from geo_app.layers.hotspots import STATUS_COLOURS
from geo_app.models import (
    AdminLevel,
    FacilityCondition,
    FacilitySite,
    HotspotKind,
    HotspotSource,
    HotspotStatus,
    LocationMethod,
    RouteKind,
)
from geo_app.models.features import CultivationStatus
from geo_app.rules.schema import CLASS_CODES

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "geo_app"
DOMAIN = PACKAGE / "domain"
MIGRATIONS = PACKAGE / "migrations"


def test_classes_are_in_legend_order_with_the_design_colours() -> None:
    assert v.CLASSIFICATION_CLASSES.codes == (
        "type_1",
        "type_2",
        "type_3",
        "less_complex",
        "drug_free",
        "insufficient_data",
        "no_data",
    )
    colours = v.CLASSIFICATION_CLASSES.colours
    assert [colours[c] for c in v.RANKED_CLASSES] == [
        "#b2182b",
        "#ef8a62",
        "#fddbc7",
        "#d1e5f0",
        "#1a9850",
    ]
    assert set(colours) == set(v.MAP_CLASSES)


def test_derived_class_tuples_follow_the_one_definition() -> None:
    assert v.RANKED_CLASSES == CLASS_CODES
    assert tuple(reversed(v.RANKED_CLASSES)) == CLASS_ORDER
    assert (*v.RANKED_CLASSES, "insufficient_data") == v.STORED_CLASSES
    assert v.NO_DATA not in v.STORED_CLASSES
    assert v.CLASSIFICATION_CLASSES.colours == CLASS_COLOURS


@pytest.mark.parametrize(
    ("before", "after", "allowed"),
    [
        ("active", "under_attack", True),
        ("active", "cleared", True),
        ("under_attack", "cleared", True),
        ("under_attack", "active", True),
        ("cleared", "relapsed", True),
        ("relapsed", "under_attack", True),
        ("relapsed", "cleared", True),
        ("active", "relapsed", False),
        ("cleared", "active", False),
        ("cleared", "under_attack", False),
        ("relapsed", "active", False),
        ("active", "active", False),
        ("unknown", "active", False),
        ("active", "gone", False),
    ],
)
def test_hotspot_status_transitions(before: str, after: str, allowed: bool) -> None:
    assert v.can_change(before, after) is allowed


def test_map_colours_come_from_the_vocabularies() -> None:
    assert v.HOTSPOT_STATUSES.colours == STATUS_COLOURS
    assert set(STATUS_COLOURS) == set(v.HOTSPOT_STATUSES.codes)
    assert v.CAMPAIGN_PROGRESS.colours == PROGRESS_COLOURS
    assert set(v.AGEING.colours) == set(v.AGEING.codes)


def test_layer_labels_read_the_domain() -> None:
    assert vocab.LABELS["classification_class"] == v.CLASSIFICATION_CLASSES.labels
    assert vocab.label("hotspot_status", "cleared", "vi") == "Đã triệt xóa"
    assert vocab.label("hotspot_status", "cleared", "en") == "Cleared"
    assert vocab.label("hotspot_status", "unheard_of", "en") == "unheard_of"
    assert v.LEVEL_RANK["province"] < v.LEVEL_RANK["commune"] < v.LEVEL_RANK["hamlet"]
    assert set(v.LAYOUTS) == {"pre2025", "2025"}


@pytest.mark.parametrize(
    ("model_enum", "vocabulary"),
    [
        (AdminLevel, v.ADMIN_LEVELS),
        (HotspotKind, v.HOTSPOT_KINDS),
        (HotspotStatus, v.HOTSPOT_STATUSES),
        (HotspotSource, v.HOTSPOT_SOURCES),
        (FacilitySite, v.FACILITY_SITES),
        (FacilityCondition, v.FACILITY_CONDITIONS),
        (CultivationStatus, v.CULTIVATION_STATUSES),
        (RouteKind, v.ROUTE_KINDS),
        (LocationMethod, v.LOCATION_METHODS),
    ],
)
def test_model_enums_hold_the_vocabulary_codes(
    model_enum: type[enum.StrEnum], vocabulary: v.Vocabulary
) -> None:
    assert tuple(m.value for m in model_enum) == vocabulary.codes


@pytest.mark.parametrize(
    ("type_name", "codes"),
    [
        ("classification_class", v.STORED_CLASSES),
        ("hotspot_status", v.HOTSPOT_STATUSES.codes),
        ("admin_level", v.ADMIN_LEVELS.codes),
    ],
)
def test_database_enums_match_the_vocabulary(
    demo_session: Session, type_name: str, codes: tuple[str, ...]
) -> None:
    stored = demo_session.execute(sa.text(f"SELECT enum_range(NULL::{type_name})::text[]"))
    assert tuple(stored.scalar_one()) == codes


# -- defined once ----------------------------------------------------------------------------------


def _sources(suffix: str) -> list[Path]:
    return [p for p in PACKAGE.rglob(f"*{suffix}") if MIGRATIONS not in p.parents]


def _string_constants(nodes: list[ast.expr]) -> set[str]:
    return {n.value for n in nodes if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def class_list_copies(source: str) -> list[int]:
    """Lines of literal collections, dict keys or class bodies naming every ranked class."""
    ranked = set(v.RANKED_CLASSES)
    found = []
    for node in ast.walk(ast.parse(source)):
        names: set[str] = set()
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            names = _string_constants(node.elts)
        elif isinstance(node, ast.Dict):
            names = _string_constants([k for k in node.keys if k is not None])
        elif isinstance(node, ast.ClassDef):
            names = {
                target.id
                for statement in node.body
                if isinstance(statement, ast.Assign)
                for target in statement.targets
                if isinstance(target, ast.Name)
            }
        if ranked <= names:
            found.append(node.lineno)
    return found


MONTH_REGEX = re.compile(r"(\\d|\[0-9\])\{4\}\)?-\(?(\\d|\[0-9\])\{(1,)?2\}")
"""A regex for ``YYYY-MM`` written in a source string: ``\\d{4}-\\d{2}`` or ``[0-9]{4}-…``."""


def month_parser_copies(source: str) -> list[int]:
    """Lines with a month regex, or ``strptime``/``click.DateTime`` given the format ``%Y-%m``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if MONTH_REGEX.search(node.value):
                found.append(node.lineno)
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            formats = _string_constants([c for c in ast.walk(node) if isinstance(c, ast.expr)])
            if name in {"strptime", "DateTime"} and "%Y-%m" in formats:
                found.append(node.lineno)
    return found


def test_the_guards_catch_a_copy() -> None:
    assert class_list_copies('X = ("type_1", "type_2", "type_3", "less_complex", "drug_free")')
    assert class_list_copies(
        'C = {"type_1": 1, "type_2": 2, "type_3": 3, "less_complex": 4,\n "drug_free": 5}'
    )
    enum_copy = "class C:\n" + "".join(f"    {c} = {c!r}\n" for c in v.RANKED_CLASSES)
    assert class_list_copies(enum_copy) == [1]
    assert not class_list_copies('N = {"type_1": 4, "type_3": 2, "less_complex": 2}')
    assert month_parser_copies('re.compile(r"^(\\d{4})-(\\d{2})$")')
    assert month_parser_copies('P = "[0-9]{4}-[0-9]{2}"')
    assert month_parser_copies('datetime.strptime(text, "%Y-%m")')
    assert month_parser_copies('click.DateTime(formats=["%Y-%m"])')
    assert not month_parser_copies('f"{day:%Y-%m}"; datetime.strptime(t, "%Y-%m-%d")')


def test_the_class_list_is_defined_once() -> None:
    copies = {
        str(p.relative_to(ROOT)): lines
        for p in _sources(".py")
        if p != DOMAIN / "vocabulary.py" and (lines := class_list_copies(p.read_text()))
    }
    assert copies == {}


def test_no_sql_file_lists_the_classes() -> None:
    quoted = [f"'{c}'" for c in v.RANKED_CLASSES]
    copies = [p.name for p in _sources(".sql") if all(q in p.read_text() for q in quoted)]
    assert copies == []


def test_months_are_parsed_only_by_the_domain() -> None:
    copies = {
        str(p.relative_to(ROOT)): lines
        for p in _sources(".py")
        if p != DOMAIN / "month.py" and (lines := month_parser_copies(p.read_text()))
    }
    assert copies == {}


def forbidden_imports(source: str) -> list[str]:
    """Modules of geo_app that ``source`` imports, other than the domain and ``geo_app.errors``."""
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level > 1:
            names.append("geo_app." + (node.module or "?"))  # above geo_app.domain
        elif isinstance(node, ast.ImportFrom) and node.module == "geo_app":
            names += [f"geo_app.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    allowed = ("geo_app.errors", "geo_app.domain")
    return [
        n
        for n in names
        if n.split(".")[0] == "geo_app"
        and not any(n == a or n.startswith(a + ".") for a in allowed)
    ]


def test_the_import_guard_sees_a_forbidden_import() -> None:
    assert forbidden_imports("from geo_app.models.indicators import COUNT_COLUMNS") == [
        "geo_app.models.indicators"
    ]
    assert forbidden_imports("from geo_app import clock\nimport geo_app.layers") == [
        "geo_app.clock",
        "geo_app.layers",
    ]
    assert forbidden_imports("from ..models import x") == ["geo_app.models"]
    assert not forbidden_imports("from geo_app.errors import InvalidInput\nfrom . import month")
    assert not forbidden_imports("from geo_app.domain.vocabulary import Term")


def test_the_domain_imports_nothing_of_geo_app_but_itself_and_errors() -> None:
    bad = {
        path.name: found
        for path in DOMAIN.rglob("*.py")
        if (found := forbidden_imports(path.read_text()))
    }
    assert bad == {}
