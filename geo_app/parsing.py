"""Whole numbers from the text of a request or a form, read one way everywhere.

Why: ``str.isdigit`` is true for "²" and "①", which ``int`` refuses, so a check written as
``text.isdigit()`` then ``int(text)`` answered such a parameter with a 500; and ids are
PostgreSQL bigints, so a longer number failed in the database instead. Callers word their own
error (in the page's language where they have one); this only says whether it is a number.
"""

from __future__ import annotations

BIGINT_MAX = 2**63 - 1
"""The largest id a PostgreSQL bigint column holds."""


def whole_number(text: str | None, *, most: int = BIGINT_MAX) -> int | None:
    """``text`` as a whole number from 0 to ``most`` written in ASCII digits, else None."""
    if not text or not (text.isascii() and text.isdigit()) or len(text) > len(str(most)):
        return None
    value = int(text)
    return value if value <= most else None
