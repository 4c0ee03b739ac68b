"""Flask-Babel catalogs: every string the code marks has Vietnamese, and the .mo is current."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "geo_app" / "translations" / "vi" / "LC_MESSAGES"
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}
"""The Makefile's `make i18n` keywords: ``N_`` marks messages translated where they are shown."""


def _marked() -> set[str]:
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT / "geo_app", METHODS, keywords=KEYWORDS
    ):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_every_marked_string_has_a_vietnamese_translation() -> None:
    with (CATALOG / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    missing = sorted(_marked() - translated)
    assert not missing, f"run `make i18n` and translate: {missing}"


def test_the_compiled_catalog_matches_the_po_file() -> None:
    with (CATALOG / "messages.po").open("rb") as handle:
        po = {m.id: m.string for m in read_po(handle) if m.id and not m.fuzzy}
    with (CATALOG / "messages.mo").open("rb") as handle:
        mo = {m.id: m.string for m in read_mo(handle) if m.id}
    assert po == mo, "messages.mo is stale: run `make i18n`"


def test_pages_are_vietnamese_by_default_and_english_on_request(app: Flask) -> None:
    client = app.test_client()
    vietnamese = client.get("/login").get_data(as_text=True)
    english = client.get("/login?lang=en").get_data(as_text=True)
    assert "Mật khẩu" in vietnamese and "Password" not in vietnamese
    assert "Password" in english and "Mật khẩu" not in english
    assert '<html lang="vi">' in vietnamese and '<html lang="en">' in english
