"""A Shapefile's field names: at most 10 characters (dBASE), unique, and their mapping.

The mapping travels in the zip as a small CSV (short name, full name, Vietnamese and English
label), so a reader can restore the names the other formats carry.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from geo_app.exports.schema import Column

MAX_NAME = 10


def short_names(names: Sequence[str]) -> list[str]:
    """Each name cut to 10 characters; a clash gets a number in place of its last ones."""
    taken: set[str] = set()
    found: list[str] = []
    for name in names:
        short = name[:MAX_NAME]
        number = 1
        while short.lower() in taken:
            tail = str(number)
            short = name[: MAX_NAME - len(tail)] + tail
            number += 1
        taken.add(short.lower())
        found.append(short)
    return found


def mapping_csv(columns: Sequence[Column], names: Sequence[str]) -> str:
    """The mapping as CSV text (UTF-8): shapefile_name, name, label_vi, label_en."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["shapefile_name", "name", "label_vi", "label_en"])
    for column, short in zip(columns, names, strict=True):
        writer.writerow([short, column.name, column.label_vi, column.label_en])
    return out.getvalue()
