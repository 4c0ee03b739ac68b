"""Errors that carry their HTTP status and a message safe to show, mapped to responses once.

Services raise these; views and the CLI never parse error strings.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark an English message that is translated later, where it is shown (``_(message)`` in
    the web layer: an ``abort`` description, a form problem): `make i18n` then extracts it."""
    return message


class GeoAppError(Exception):
    """Base of every expected failure: bad input, missing things, conflicts."""

    status = 400

    def __init__(self, message: str, *, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []

    def as_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"error": self.message}
        if self.details:
            body["details"] = self.details
        return body


class InvalidInput(GeoAppError):
    """The request or file is malformed or breaks a rule; nothing was changed."""

    status = 400


class InvalidProperty(InvalidInput):
    """One property of a written feature is wrong; ``field`` names it for the form."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field

    def as_dict(self) -> dict[str, object]:
        return {**super().as_dict(), "field": self.field}


class NotFound(GeoAppError):
    status = 404


class Conflict(GeoAppError):
    """A stale edit (optimistic locking) or a clash with existing data."""

    status = 409


class Stale(Conflict):
    """An edit based on an older version: ``current`` is the row as it stands now."""

    def __init__(self, message: str, *, current: dict[str, object]) -> None:
        super().__init__(message)
        self.current = current

    def as_dict(self) -> dict[str, object]:
        return {**super().as_dict(), "current": self.current}


class PreconditionRequired(GeoAppError):
    """An edit that does not say which version it read (``If-Match``): refused, not guessed."""

    status = 428
