"""What every rule set says about itself: code, titles, legal basis and when it is in force."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class RuleSetInfo:
    """The header of a rule set; history is judged under the rule set in force on its date."""

    code: str
    title_vi: str
    title_en: str
    document: str
    issuer: str
    document_date: date
    seed: str
    section: str
    in_force_from: date
    in_force_until: date | None = None

    def in_force_on(self, day: date) -> bool:
        """True when ``day`` lies in [in_force_from, in_force_until] (open-ended if no end)."""
        if day < self.in_force_from:
            return False
        return self.in_force_until is None or day <= self.in_force_until

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "title": {"vi": self.title_vi, "en": self.title_en},
            "legal_basis": {
                "document": self.document,
                "issuer": self.issuer,
                "date": self.document_date.isoformat(),
                "seed": self.seed,
                "section": self.section,
            },
            "in_force_from": self.in_force_from.isoformat(),
            "in_force_until": self.in_force_until.isoformat() if self.in_force_until else None,
        }
