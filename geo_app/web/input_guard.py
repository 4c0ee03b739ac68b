"""One place that checks every request's input before any view reads it.

A NUL byte in a path, query or JSON string reached PostgreSQL, which refuses it (a 500), and
``[`` × 50,000 reached ``json.loads``'s recursion. Here, before routing's view runs (path
parameters are part of ``request.path``), a request is refused with a 400 in the page's
language when

- the path, a query parameter (name or value), a form field's name, an uploaded file's name or
  a JSON key holds a control character (``control_chars.IDENTIFIER_FORBIDDEN``);
- a form field's value or a JSON string holds one other than tab and line breaks (free text
  such as notes may have lines: ``control_chars.TEXT_FORBIDDEN``);
- a JSON body nests deeper than ``MAX_JSON_DEPTH``, counted on its bytes without recursion.

Views then read ``request`` as before; the JSON parsed here is Flask's cached one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import accumulate, repeat
from operator import sub

from flask import Flask, current_app, request
from flask_babel import gettext as _

from geo_app.control_chars import IDENTIFIER_FORBIDDEN, TEXT_FORBIDDEN, escape
from geo_app.errors import InvalidInput

MAX_JSON_DEPTH = 32
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_JSON_STRING = re.compile(rb'"(?:[^"\\]+|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_STEP = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")  # opening: +1, closing: -1 (after - 1)


def register(app: Flask) -> None:
    """Run the check before every other ``before_request`` function (login, scope gates)."""
    app.before_request_funcs.setdefault(None, []).insert(0, check_request)


def check_request() -> None:
    """Refuse (400) a request whose input breaks a rule of the module docstring; log it."""
    try:
        _check_path_and_query()
        if request.method in _BODY_METHODS:
            _check_form()
            _check_json()
    except InvalidInput as refused:
        current_app.logger.warning(
            "refused %s %s: %s", request.method, request.path, refused.message
        )
        raise


def _check_path_and_query() -> None:
    if IDENTIFIER_FORBIDDEN.search(request.path):
        raise InvalidInput(
            _(
                "The address contains a control character (such as a NUL byte or a line "
                "break); remove it and try again."
            )
        )
    for name, value in request.args.items(multi=True):
        if IDENTIFIER_FORBIDDEN.search(name) or IDENTIFIER_FORBIDDEN.search(value):
            raise InvalidInput(
                _(
                    "The parameter «%(name)s» contains a control character (such as a NUL "
                    "byte or a line break); remove it and try again.",
                    name=escape(name),
                )
            )


def _check_form() -> None:
    fields = [(name, value, TEXT_FORBIDDEN) for name, value in request.form.items(multi=True)]
    fields += [
        (name, upload.filename or "", IDENTIFIER_FORBIDDEN)
        for name, upload in request.files.items(multi=True)
    ]
    for name, value, forbidden in fields:
        if IDENTIFIER_FORBIDDEN.search(name) or forbidden.search(value):
            raise InvalidInput(
                _(
                    "The form field «%(name)s» contains a control character (such as a NUL "
                    "byte); remove it and try again.",
                    name=escape(name),
                )
            )


def _check_json() -> None:
    if not request.is_json:
        return
    body = request.get_data(cache=True)
    if json_depth(body) > MAX_JSON_DEPTH:
        raise InvalidInput(
            _("The JSON body is nested more than %(limit)s levels deep.", limit=MAX_JSON_DEPTH)
        )
    data = request.get_json(silent=True)  # malformed JSON is the view's to report
    for text, is_key in _json_strings(data):
        if (IDENTIFIER_FORBIDDEN if is_key else TEXT_FORBIDDEN).search(text):
            raise InvalidInput(
                _(
                    "The JSON body contains a control character (such as a NUL byte) in a key "
                    "or a text; remove it and try again."
                )
            )


def json_depth(body: bytes) -> int:
    """How deep the brackets of a JSON text nest (strings skipped), counted without recursion.

    Malformed JSON gives some number too; parsing it is left to ``json.loads``, which a text
    that passed this check cannot drive into deep recursion.
    """
    brackets = _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b"", body)).translate(_STEP)
    return max(accumulate(map(sub, brackets, repeat(1))), default=0)


def _json_strings(data: object) -> Iterator[tuple[str, bool]]:
    """Every string of a parsed JSON value, with whether it is an object's key (no recursion)."""
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item, False
        elif isinstance(item, dict):
            for key, value in item.items():
                yield key, True
                stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)
