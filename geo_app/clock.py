"""The application's one "today".

Pages default to the current month, ageing counts the days up to today, a month after today is
refused. All of them ask here, never ``date.today()``, so the clock can be pinned with
``GEO_APP_TODAY`` (the demo and the tests pin it to the demo's day): the same data then gives the
same page on any day it is looked at.
"""

from __future__ import annotations

from datetime import date

from geo_app.config import pinned_today

_pinned: date | None = pinned_today()


def today() -> date:
    """The pinned day if one is set, else the machine's date."""
    return _pinned if _pinned is not None else date.today()


def pin(day: date | None) -> None:
    """Pin "today" to ``day`` for this process (None: follow the machine's date again)."""
    global _pinned
    _pinned = day
