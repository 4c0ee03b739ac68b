"""The inputs of field writes, checked once: who writes, the action's UUID, dates, counts,
texts, codes and how a point was placed.

Why one module: the create, update, inspection and check paths must refuse the same bad input
with the same message (in the writer's language, naming the property), or the phone's queue
would see different rules per action.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from geo_app import clock
from geo_app.domain.vocabulary import VOCABULARIES
from geo_app.errors import InvalidInput, InvalidProperty
from geo_app.layers.base import Lang
from geo_app.layers.fields import Field

MAX_TEXT = 500
MAX_COUNT = 1_000_000_000


@dataclass(frozen=True)
class Writer:
    """The logged-in user behind a write, and the language their messages are in."""

    login: str
    role: str
    scope_unit_id: int | None
    lang: Lang = "vi"

    @property
    def actor(self) -> str:
        """The audit actor, as every web write names it."""
        return f"web:{self.login}"


@dataclass(frozen=True)
class Outcome:
    """What a write answers; ``created`` False when it was a replay (or an update)."""

    body: dict[str, Any]
    created: bool


def say(lang: Lang, vi: str, en: str) -> str:
    return vi if lang == "vi" else en


# -- inputs -----------------------------------------------------------------------------------


def client_id(body: dict[str, Any], lang: Lang) -> uuid.UUID:
    """The phone's UUID of the action (one per action: a resend carries the same one)."""
    value = body.get("client_id")
    if isinstance(value, str) and len(value) <= 64:
        try:
            return uuid.UUID(value)
        except ValueError:
            pass
    message = say(
        lang,
        f"client_id «{value}» không phải UUID: mỗi thao tác cần một mã UUID do máy tạo",
        f"client_id «{value}» is not a UUID: each action needs a UUID made by the client",
    )
    raise InvalidProperty(message, field="client_id")


def properties_of(body: dict[str, Any], lang: Lang) -> dict[str, Any]:
    found = body.get("properties", {})
    if not isinstance(found, dict):
        raise InvalidInput(
            say(lang, "properties phải là một đối tượng", "properties must be an object")
        )
    return found


def day(value: object, name: str, lang: Lang, *, default: date | None = None) -> date:
    """A date YYYY-MM-DD, not after today."""
    if value is None and default is not None:
        return default
    try:
        parsed = date.fromisoformat(value) if isinstance(value, str) and len(value) == 10 else None
    except ValueError:
        parsed = None
    if parsed is None:
        message = say(
            lang,
            f"{name}: «{value}» không phải ngày YYYY-MM-DD",
            f"{name}: «{value}» is not a date YYYY-MM-DD",
        )
        raise InvalidProperty(message, field=name)
    if parsed > clock.today():
        message = say(lang, f"{name}: ngày {parsed} chưa tới", f"{name}: {parsed} is in the future")
        raise InvalidProperty(message, field=name)
    return parsed


def count(value: object, name: str, lang: Lang) -> int:
    """A whole number from 0."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        message = say(
            lang,
            f"{name}: «{value}» không phải số nguyên không âm",
            f"{name}: «{value}» is not a whole number from 0",
        )
        raise InvalidProperty(message, field=name)
    return value


def text(value: object, name: str, lang: Lang, limit: int = MAX_TEXT) -> str | None:
    """A short text ("" and null clear it)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > limit:
        message = say(
            lang,
            f"{name}: cần một đoạn chữ không quá {limit} ký tự",
            f"{name}: must be a text of at most {limit} characters",
        )
        raise InvalidProperty(message, field=name)
    return value.strip() or None


def code(value: object, vocabulary: str, name: str, lang: Lang) -> str:
    """A code of ``vocabulary``; the message lists the allowed ones."""
    codes = VOCABULARIES[vocabulary].codes
    if not isinstance(value, str) or value not in codes:
        allowed = ", ".join(codes)
        message = say(
            lang,
            f"{name}: «{value}» không hợp lệ; chọn trong: {allowed}",
            f"{name}: «{value}» is not one of: {allowed}",
        )
        raise InvalidProperty(message, field=name)
    return value


def phones(value: object, lang: Lang) -> list[str]:
    if not isinstance(value, list) or len(value) > 10:
        raise InvalidProperty(
            say(
                lang,
                "phones: cần một danh sách số điện thoại",
                "phones: must be a list of phone numbers",
            ),
            field="phones",
        )
    return [t for v in value if (t := text(v, "phones", lang, limit=30)) is not None]


def field_value(spec_field: Field, value: object, lang: Lang) -> object:
    """A written property checked by its field's declaration (type, vocabulary, length)."""
    name = spec_field.name
    if spec_field.vocabulary is not None:
        return code(value, spec_field.vocabulary, name, lang)
    if name == "phones":
        return phones(value, lang)
    if spec_field.type == "date":
        return None if value is None else day(value, name, lang)
    if spec_field.type == "int":
        return None if value is None else count(value, name, lang)
    return text(value, name, lang, spec_field.max_length or MAX_TEXT)


def placement(props: dict[str, Any], lang: Lang) -> dict[str, Any]:
    """``placed_by`` (gps or tap) and ``accuracy_m`` (metres, >= 0), both optional."""
    method = props.get("placed_by")
    accuracy = props.get("accuracy_m")
    ok = accuracy is None or (
        isinstance(accuracy, int | float)
        and not isinstance(accuracy, bool)
        and math.isfinite(accuracy)
        and 0 <= accuracy <= 1e6
    )
    if not ok:
        message = say(lang, "accuracy_m: cần số mét không âm", "accuracy_m: must be metres from 0")
        raise InvalidProperty(message, field="accuracy_m")
    return {
        "placed_by": None if method is None else code(method, "location_method", "placed_by", lang),
        "accuracy_m": None if accuracy is None else Decimal(str(accuracy)),
    }
