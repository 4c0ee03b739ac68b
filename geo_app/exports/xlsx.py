"""XLSX tables: a frozen header row in the reader's language, typed cells, streamed to disk.

openpyxl's write-only mode keeps one row in memory at a time, so 100,000 hotspots cost the same
memory as ten. Cells keep their Python types (int, float, date, datetime, bool, str); None is
an empty cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import IO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

Cell = str | int | float | bool | date | datetime | None
SHEET_TITLE_MAX = 31
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
HEADER_FILL = PatternFill("solid", fgColor="DDDDDD")


def write_xlsx(
    target: Path | IO[bytes],
    sheet_title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    widths: Sequence[float] | None = None,
) -> int:
    """Write one sheet: bold frozen header, then the rows; returns the number of rows written."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(sheet_title))
    sheet.freeze_panes = "A2"
    for index, width in enumerate(widths or [max(12, len(h) + 2) for h in headers], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.append([_header_cell(sheet, text) for text in headers])
    count = 0
    for row in rows:
        sheet.append([_cell(sheet, value) for value in row])
        count += 1
    workbook.save(target)
    return count


def _sheet_title(title: str) -> str:
    """Excel refuses titles over 31 characters or with []:*?/\\ in them."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()
    return (cleaned or "Sheet1")[:SHEET_TITLE_MAX]


def _header_cell(sheet: object, text: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=text)
    cell.font = Font(bold=True)
    cell.fill = HEADER_FILL
    return cell


def _cell(sheet: object, value: Cell) -> WriteOnlyCell | Cell:
    """Dates get a readable number format; everything else is written as its own type."""
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None))
        cell.number_format = DATETIME_FORMAT
        return cell
    if isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    return value
