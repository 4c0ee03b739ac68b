"""Validation of one monthly indicator row: pure, no database, no Flask.

A row arrives as a mapping of text or JSON values (a CSV line, a JSON object, a form) keyed by
``code``, ``month`` (``YYYY-MM``), an optional ``version`` and any of the count columns. A column
that is absent means "leave as it is"; an empty cell or ``null`` means "unknown" (stored NULL).
Every error names the row and the column, in English or Vietnamese.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from geo_app.domain.month import EARLIEST, Month, MonthError, MonthReason

COLUMNS: tuple[str, ...] = (
    "addicts_registered",
    "addicts_in_treatment",
    "drug_users",
    "suspected_users",
    "suspected_tested",
    "post_rehab_managed",
    "offenders_resident",
    "drug_cases_by_residents",
    "serious_incidents",
    "households_total",
    "households_committed",
    "households_informed",
    "tipoffs_received",
    "tipoffs_processed",
    "propaganda_sessions",
    "listening_meetings",
    "models_active",
)
"""The count columns of ``indicator`` in form order (the model's ``COUNT_COLUMNS``)."""

KEYS: tuple[str, ...] = ("code", "month", "version")
ALLOWED: frozenset[str] = frozenset(KEYS + COLUMNS)
"""Every field a row may carry; anything else (a name, a note) is refused, never stored."""

PARTS: tuple[tuple[str, str], ...] = (
    ("addicts_in_treatment", "addicts_registered"),
    ("suspected_tested", "suspected_users"),
    ("households_committed", "households_total"),
    ("households_informed", "households_total"),
    ("tipoffs_processed", "tipoffs_received"),
)
"""(part, whole): the part is a subset of the whole, so it can never be larger."""

MAX_COUNT = 10_000_000
"""No count of one unit in one month comes near this; larger values are typing slips."""

LABELS: Mapping[str, tuple[str, str]] = {
    "code": ("Mã đơn vị", "Unit code"),
    "month": ("Tháng", "Month"),
    "version": ("Phiên bản", "Version"),
    "addicts_registered": ("Người nghiện có hồ sơ quản lý", "Registered addicts"),
    "addicts_in_treatment": ("Người nghiện đang cai nghiện, điều trị", "Addicts in treatment"),
    "drug_users": ("Người sử dụng trái phép chất ma túy", "Drug users"),
    "suspected_users": ("Người nghi sử dụng ma túy", "Suspected users"),
    "suspected_tested": ("Người nghi sử dụng đã xét nghiệm", "Suspected users tested"),
    "post_rehab_managed": ("Người sau cai được quản lý", "Post-rehab persons managed"),
    "offenders_resident": ("Đối tượng phạm tội về ma túy cư trú", "Resident drug offenders"),
    "drug_cases_by_residents": (
        "Vụ phạm tội ma túy do người địa phương",
        "Drug cases by residents",
    ),
    "serious_incidents": (
        "Vụ việc nghiêm trọng (kể cả ngáo đá)",
        "Serious incidents (incl. psychosis)",
    ),
    "households_total": ("Tổng số hộ", "Households"),
    "households_committed": ("Hộ ký cam kết", "Households committed"),
    "households_informed": ("Hộ được tuyên truyền", "Households informed"),
    "tipoffs_received": ("Tin báo, tố giác tiếp nhận", "Tip-offs received"),
    "tipoffs_processed": ("Tin báo, tố giác đã xử lý", "Tip-offs processed"),
    "propaganda_sessions": ("Buổi tuyên truyền", "Propaganda sessions"),
    "listening_meetings": ("Buổi đối thoại, lắng nghe", "Listening meetings"),
    "models_active": ("Mô hình đang hoạt động", "Active models"),
}

_DIGITS = re.compile(r"^\d+$")
_NEGATIVE = re.compile(r"^-\d+$")

_MESSAGES: Mapping[str, tuple[str, str]] = {
    "missing": ("bắt buộc phải có", "is required"),
    "unknown_column": ("không phải cột chỉ tiêu (chỉ nhận số đếm)", "is not an indicator column"),
    "not_a_row": ("phải là một đối tượng JSON", "must be a JSON object"),
    "not_integer": (
        "{value} không phải số nguyên (chỉ gồm chữ số)",
        "{value} is not a whole number",
    ),
    "negative": ("{value} là số âm", "{value} is negative"),
    "too_large": ("{value} lớn bất thường", "{value} is implausibly large"),
    "bad_month": ("{value} không phải tháng dạng YYYY-MM", "{value} is not a month YYYY-MM"),
    "future_month": ("{value} là tháng chưa tới", "{value} is a month in the future"),
    "early_month": (f"{{value}} trước tháng {EARLIEST}", f"{{value}} is before {EARLIEST}"),
    "bad_version": ("{value} không phải số phiên bản", "{value} is not a version number"),
    "exceeds": ("{value} lớn hơn {other} ({limit})", "{value} is more than {other} ({limit})"),
    "duplicate": (
        "trùng đơn vị và tháng với dòng {limit}",
        "repeats the unit and month of row {limit}",
    ),
    "unknown_unit": (
        "không có đơn vị mã {value} trong tháng này",
        "no unit {value} in force that month",
    ),
    "out_of_scope": ("đơn vị {value} ngoài phạm vi của bạn", "unit {value} is outside your scope"),
    "exists": (
        "đã có số liệu (phiên bản {limit}); gửi kèm phiên bản để sửa",
        "already has figures (version {limit}); send that version to change them",
    ),
    "stale": (
        "đã được sửa bởi người khác (nay là phiên bản {limit})",
        "was changed by someone else (now version {limit})",
    ),
    "repeated_column": ("xuất hiện hai lần trong dòng tiêu đề", "appears twice in the header"),
    "cell_count": (
        "có {value} ô, dòng tiêu đề có {limit}",
        "has {value} cells, the header has {limit}",
    ),
    "changed": ("vừa được người khác sửa", "was changed by someone else meanwhile"),
    "no_row": ("chưa có số liệu nên không có phiên bản", "has no figures yet, so no version"),
}


@dataclass(frozen=True)
class FieldError:
    """One problem in one row and column; ``kind`` keys the message in both languages."""

    row: int
    column: str
    kind: str
    value: str | None = None
    other: str | None = None
    limit: int | None = None

    def message(self, lang: str = "en") -> str:
        vi, en = _MESSAGES[self.kind]
        other = ""
        if self.other:
            other = LABELS[self.other][0] if lang == "vi" else self.other
        return (vi if lang == "vi" else en).format(value=self.value, other=other, limit=self.limit)

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message('en')}"

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "message": self.message("en")}


@dataclass(frozen=True)
class ParsedRow:
    """A row that passed the checks that need no database; ``values`` holds given columns only."""

    row: int
    code: str
    month: date
    version: int | None
    values: dict[str, int | None] = field(default_factory=dict)


def month_text(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def shown(value: object) -> str:
    """A short quoted echo of a bad value for an error message."""
    text = repr(value) if not isinstance(value, str) else repr(value.strip())
    return text if len(text) <= 24 else text[:21] + "...'"


_MONTH_ERRORS: Mapping[MonthReason, str] = {
    "format": "bad_month",
    "too_early": "early_month",
    "future": "future_month",
}
"""``MonthError`` reason -> the kind of the row's field error."""


def parse_month(value: object, *, row: int, latest: date | None = None) -> date | FieldError:
    """A cell read by ``Month.parse`` (surrounding blanks trimmed, like every cell) to the first
    day of that month; a month after ``latest`` is refused. A field error instead of raising,
    so a file reports every bad row at once."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return FieldError(row, "month", "missing")
    if not isinstance(value, str):
        return FieldError(row, "month", "bad_month", shown(value))
    try:
        return Month.parse(value.strip(), today=latest or date.max).first_day
    except MonthError as error:
        return FieldError(row, "month", _MONTH_ERRORS[error.reason], shown(value))


def parse_count(value: object, *, row: int, column: str) -> int | None | FieldError:
    """A count: a non-negative whole number, or None for an empty cell / null (unknown)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and (
        _DIGITS.match(value.strip()) or _NEGATIVE.match(value.strip())
    ):
        number = int(value.strip())
    if number is None:
        return FieldError(row, column, "not_integer", shown(value))
    if number < 0:
        return FieldError(row, column, "negative", str(number))
    if number > MAX_COUNT:
        return FieldError(row, column, "too_large", str(number))
    return number


def parse_version(value: object, *, row: int) -> int | None | FieldError:
    parsed = parse_count(value, row=row, column="version")
    if isinstance(parsed, FieldError) or parsed == 0:
        return FieldError(row, "version", "bad_version", shown(value))
    return parsed


def check_parts(values: Mapping[str, int | None], *, row: int) -> list[FieldError]:
    """Each part within its whole, where both are known; the error is on the part's column."""
    errors = []
    for part, whole in PARTS:
        small, big = values.get(part), values.get(whole)
        if small is not None and big is not None and small > big:
            errors.append(FieldError(row, part, "exceeds", str(small), whole, big))
    return errors


def parse_row(
    fields: object, *, row: int, latest: date | None = None
) -> ParsedRow | list[FieldError]:
    """Check one row without the database: fields known, code and month present, counts valid,
    and the parts within their wholes among the columns given.
    """
    if not isinstance(fields, Mapping):
        return [FieldError(row, "-", "not_a_row")]
    errors = [FieldError(row, str(k), "unknown_column") for k in fields if k not in ALLOWED]
    code = fields.get("code")
    code_text = str(code).strip() if isinstance(code, str | int) else ""
    if not code_text:
        errors.append(FieldError(row, "code", "missing"))
    month = parse_month(fields.get("month"), row=row, latest=latest)
    version = parse_version(fields.get("version"), row=row)
    values: dict[str, int | None] = {}
    for column in COLUMNS:
        if column in fields:
            parsed = parse_count(fields[column], row=row, column=column)
            if isinstance(parsed, FieldError):
                errors.append(parsed)
            else:
                values[column] = parsed
    errors += [e for e in (month, version) if isinstance(e, FieldError)]
    errors += check_parts(values, row=row)
    if errors or isinstance(month, FieldError) or isinstance(version, FieldError):
        return errors
    return ParsedRow(row, code_text, month, version, values)
