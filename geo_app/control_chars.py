"""Control characters: which ones input may not carry, and how log lines show them.

A NUL byte makes PostgreSQL refuse a string (a 500 before ``web/input_guard.py`` refused it
first), and a line break in a logged path or login forges a log line. Both rules read the
character classes here, so the web guard and the CLI's logging agree. The CLI may not import
``web``, hence a module of its own.
"""

from __future__ import annotations

import logging
import re

# C0 controls, DEL and the C1 controls. An identifier (path, parameter, key, file name) may
# carry none of them; free text (a form field, a JSON string) may carry tab and line breaks.
IDENTIFIER_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f]")
TEXT_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# What a log line escapes: the forbidden characters plus the Unicode line and paragraph
# separators, which some log viewers also break lines at.
_LOG_ESCAPES = {
    code: _NAMED.get(chr(code), f"\\x{code:02x}")
    for code in (*range(0x00, 0x20), *range(0x7F, 0xA0))
} | {0x2028: "\\u2028", 0x2029: "\\u2029"}


def escape(text: str) -> str:
    """``text`` on one line: every control character written as its escape (``\\n``, ``\\x00``)."""
    return text.translate(_LOG_ESCAPES)


class EscapeControlCharacters(logging.Filter):
    """Formats a record's message once and escapes it, so no argument can break the line.

    The traceback of ``exc_info`` is kept as it is: its lines come from the code.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call: the handler reports it
            return True
        record.msg, record.args = escape(message), ()
        return True


# Loggers whose records are escaped where they are made: the app's own (Flask's app.logger),
# the development server's request log and the production server's.
LOGGERS = ("geo_app", "werkzeug", "waitress")


def install_log_escaping(*handlers: logging.Handler) -> None:
    """Escape control characters in every log line: on ``LOGGERS``, on the root logger's
    handlers and on ``handlers`` (e.g. Flask's default handler). Safe to call again."""
    targets: list[logging.Filterer] = [logging.getLogger(name) for name in LOGGERS]
    targets += [*logging.getLogger().handlers, *handlers]
    for target in targets:
        if not any(isinstance(f, EscapeControlCharacters) for f in target.filters):
            target.addFilter(EscapeControlCharacters())
