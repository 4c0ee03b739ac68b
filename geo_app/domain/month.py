"""The one month type and its one parser, used by pages, tiles, APIs, the CLI and forms alike.

Why one parser: pages, tiles and imports used to read ``?month=`` with different rules (tiles
took ``9999-12`` and future months, somewhere full-width digits passed). Here a month is exactly
``YYYY-MM`` in ASCII digits, from 2000-01 to the month of ``today``; the caller passes today
(``geo_app.clock.today()``), so the domain never reads a clock.

Errors are ``MonthError`` (an ``InvalidInput``, so a 400) with a reason code and the value: the
web layer words them in the page's language, the CLI prints the English message.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from geo_app.errors import InvalidInput

MonthReason = Literal["format", "too_early", "future"]

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
"""Exactly ``YYYY-MM``; ``[0-9]`` (not ``\\d``) so full-width and other digits are refused."""
_DAY = re.compile(r"([0-9]{4}-[0-9]{2})-([0-9]{2})")
MONTH_PATTERN = f"^{_MONTH.pattern}$"
"""A month (YYYY-MM) as a JSON Schema ``pattern``: the API's description says what the parser
takes, from the parser's own expression."""
MONTH_OR_DAY_PATTERN = f"^{_MONTH.pattern}(-[0-9]{{2}})?$"
"""A month, or a day of one (YYYY-MM or YYYY-MM-DD), as a JSON Schema ``pattern``."""
SHOWN_LENGTH = 20


def shown(text: str) -> str:
    """The value as an error message may echo it: short, with control characters replaced."""
    clean = "".join(c if c.isprintable() else "?" for c in text[:SHOWN_LENGTH])
    return clean + ("…" if len(text) > SHOWN_LENGTH else "")


class MonthError(InvalidInput):
    """A ``month`` that is malformed (``format``), before 2000-01 (``too_early``) or after the
    month of today (``future``); ``value`` is the text as shown in messages."""

    def __init__(self, reason: MonthReason, text: str) -> None:
        self.reason: MonthReason = reason
        self.value = shown(text)
        super().__init__(self.english())

    def english(self) -> str:
        if self.reason == "future":
            return f"Month {self.value} is in the future: pick this month or an earlier one."
        if self.reason == "too_early":
            return f"Month {self.value} is before {EARLIEST}: pick {EARLIEST} or a later one."
        return f"Month «{self.value}» is not valid: use YYYY-MM, e.g. 2025-10."


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month; ordered by time, printed ``YYYY-MM``."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not (1 <= self.month <= 12 and 1 <= self.year <= 9999):
            raise ValueError(f"no month {self.year}-{self.month}")

    @classmethod
    def of(cls, day: date) -> Month:
        """The month ``day`` lies in."""
        return cls(day.year, day.month)

    @classmethod
    def parse(cls, text: str, *, today: date) -> Month:
        """``YYYY-MM`` from 2000-01 to the month of ``today``; MonthError says what is wrong."""
        match = _MONTH.fullmatch(text)
        if match is None or not 1 <= int(match[2]) <= 12:
            raise MonthError("format", text)
        if (int(match[1]), int(match[2])) < (EARLIEST.year, EARLIEST.month):
            raise MonthError("too_early", text)  # before building it: year 0000 is no Month
        month = cls(int(match[1]), int(match[2]))
        if month > cls.of(today):
            raise MonthError("future", text)
        return month

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, self.month, calendar.monthrange(self.year, self.month)[1])

    def next(self) -> Month:
        return self.shift(1)

    def previous(self) -> Month:
        return self.shift(-1)

    def shift(self, months: int) -> Month:
        """The month ``months`` later (earlier when negative)."""
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


EARLIEST = Month(2000, 1)
"""No month before this is accepted (the programme's data start long after)."""


def as_of(text: str | None, *, today: date) -> date:
    """The date a ``month`` parameter stands for: none means today, ``YYYY-MM`` its last day
    and ``YYYY-MM-DD`` that day (tile URLs carry the day a page was drawn for), never after
    today. The month part follows ``Month.parse``; a day that does not exist is a format error.
    """
    if not text:
        return today
    day = _DAY.fullmatch(text)
    try:
        month = Month.parse(day[1] if day else text, today=today)
    except MonthError as error:
        raise MonthError(error.reason, text) from None  # name the whole value
    if day is None:
        return min(month.last_day, today)
    if not 1 <= int(day[2]) <= month.last_day.day:
        raise MonthError("format", text)
    return min(date(month.year, month.month, int(day[2])), today)
