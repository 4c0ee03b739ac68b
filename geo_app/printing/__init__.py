"""Printed outputs: briefing maps (PNG/PDF), briefing packs and report PDFs, drawn on the server.

`kit.py` is the one place that sets up matplotlib for print: the embedded Noto fonts (Vietnamese
diacritics), the paper sizes and the PDF writer. Everything printed is drawn from the page
modules (`geo_app.pages`) and services, never from Flask.
"""
