"""Classify a CSV of unit inputs (``geo-app classify --input``): all rows or nothing.

Pure: text in, text out, no database. The header must be exactly ``COLUMNS``; an empty cell is
unknown. Counts are whole numbers ≥ 0, ``plant_area_m2`` a decimal ≥ 0 written with a dot
(read exactly as ``Decimal``), ``on_key_route`` one of true/false/1/0 (any case). Every problem
of the file is reported at once with its line and column, and nothing is produced.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from geo_app.domain.classification import (
    FLAG_INPUTS,
    INPUT_NAMES,
    ClassificationInputs,
    ClassificationRules,
    classify,
)
from geo_app.errors import InvalidInput

COLUMNS: tuple[str, ...] = ("code", *INPUT_NAMES)
OUTPUT_COLUMNS: tuple[str, ...] = (*COLUMNS, "class", "criteria", "missing")
TRUE_WORDS = ("true", "1")
FALSE_WORDS = ("false", "0")
MAX_PROBLEMS_SHOWN = 50

_WHOLE = re.compile(r"^[0-9]+$")
_DECIMAL = re.compile(r"^[0-9]+(\.[0-9]+)?$")
_SIGNED = re.compile(r"^-[0-9]+(\.[0-9]+)?$")


@dataclass(frozen=True)
class InputRow:
    """One data line: its number, its cells as written, and the parsed inputs."""

    line: int
    cells: dict[str, str]
    inputs: ClassificationInputs


class _Problems:
    """Collects ``line L, column C (name): problem`` messages."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, line: int, problem: str, column: int | None = None) -> None:
        where = f"line {line}"
        if column is not None:
            where += f", column {column} ({COLUMNS[column - 1]})"
        self.items.append(f"{where}: {problem}")

    def raise_if_any(self, source: str) -> None:
        if not self.items:
            return
        shown = self.items[:MAX_PROBLEMS_SHOWN]
        if len(self.items) > len(shown):
            shown.append(f"... and {len(self.items) - len(shown)} more")
        count = len(self.items)
        raise InvalidInput(
            f"{source}: {count} problem{'s' if count > 1 else ''}; nothing was written",
            details=shown,
        )


def _parse_cell(name: str, text: str) -> int | Decimal | bool | None:
    """The value of one cell; ValueError with a message saying what is wrong."""
    if text == "":
        return None
    if name in FLAG_INPUTS:
        if text.lower() in TRUE_WORDS:
            return True
        if text.lower() in FALSE_WORDS:
            return False
        raise ValueError(f"{text!r} is not true, false, 1 or 0")
    if _SIGNED.match(text):
        raise ValueError(f"{text!r} is negative")
    if name == "plant_area_m2":
        if not _DECIMAL.match(text):
            raise ValueError(f"{text!r} is not a number (digits, optional '.' decimals)")
        return Decimal(text)
    if not _WHOLE.match(text):
        raise ValueError(f"{text!r} is not a whole number")
    return int(text)


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line number, stripped cells) of each non-blank record."""
    reader = csv.reader(io.StringIO(text))
    for cells in reader:
        if cells and any(c.strip() for c in cells):
            yield reader.line_num, [c.strip() for c in cells]


def _check_header(line: int, header: list[str], problems: _Problems) -> None:
    if len(header) != len(COLUMNS):
        problems.add(
            line, f"expected {len(COLUMNS)} columns ({', '.join(COLUMNS)}), found {len(header)}"
        )
        return
    for index, (want, got) in enumerate(zip(COLUMNS, header, strict=True), start=1):
        if want != got:
            problems.items.append(f"line {line}, column {index}: expected {want!r}, found {got!r}")


def _row(line: int, cells: list[str], seen: dict[str, int], problems: _Problems) -> InputRow | None:
    if len(cells) != len(COLUMNS):
        problems.add(line, f"expected {len(COLUMNS)} cells, found {len(cells)}")
        return None
    before = len(problems.items)
    code = cells[0]
    if not code:
        problems.add(line, "the unit code is empty", column=1)
    elif code in seen:
        problems.add(line, f"duplicate of line {seen[code]}", column=1)
    seen.setdefault(code, line)
    values: dict[str, int | Decimal | bool | None] = {}
    for column, (name, text) in enumerate(zip(INPUT_NAMES, cells[1:], strict=True), start=2):
        try:
            values[name] = _parse_cell(name, text)
        except ValueError as error:
            problems.add(line, str(error), column=column)
    if len(problems.items) > before:
        return None
    cells_by_name = dict(zip(COLUMNS, cells, strict=True))
    return InputRow(line, cells_by_name, ClassificationInputs.from_values(values))


def read_rows(text: str, source: str = "input") -> list[InputRow]:
    """Parse and check the whole file; InvalidInput lists every problem with line and column."""
    problems = _Problems()
    records = _records(text.removeprefix("\ufeff"))
    first = next(records, None)
    if first is None:
        problems.add(1, f"the header is missing (expected: {','.join(COLUMNS)})")
        problems.raise_if_any(source)
    assert first is not None
    _check_header(*first, problems)
    problems.raise_if_any(source)
    seen: dict[str, int] = {}
    rows = [_row(line, cells, seen, problems) for line, cells in records]
    problems.raise_if_any(source)
    return [row for row in rows if row is not None]


def classify_rows(rows: list[InputRow], rules: ClassificationRules) -> list[dict[str, str]]:
    """The output records: the input cells as written plus class, criteria and missing."""
    out = []
    for row in rows:
        result = classify(row.inputs, rules)
        out.append(
            {
                **row.cells,
                "class": result.class_,
                "criteria": ";".join(result.criterion_ids),
                "missing": ";".join(result.missing),
            }
        )
    return out


def write_rows(records: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=OUTPUT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()


def classify_csv(text: str, rules: ClassificationRules, source: str = "input") -> str:
    """Classify every row of ``text``; the output CSV, or InvalidInput and nothing at all."""
    return write_rows(classify_rows(read_rows(text, source), rules))
