"""The print kit: fonts, paper and the PDF writer every printed output shares.

Printing uses matplotlib's Agg backend (no display, no browser process). PDFs embed the fonts
as TrueType (Type 42) so Vietnamese diacritics survive any viewer; Noto Sans comes from
Debian's fonts-noto-core (installed by `make setup`), DejaVu Sans (bundled with matplotlib) is
the fallback.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import IO, Literal

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

NOTO_DIR = Path("/usr/share/fonts/truetype/noto")
NOTO_FILES = ("NotoSans-Regular.ttf", "NotoSans-Bold.ttf", "NotoSans-Italic.ttf")
FALLBACK_FAMILY = "DejaVu Sans"

PaperName = Literal["A4", "A3"]
Orientation = Literal["portrait", "landscape"]
PAPER_MM: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
MM_PER_INCH = 25.4
PNG_DPI = 150


@dataclass(frozen=True)
class Paper:
    """A sheet: its name and orientation; `inches` is what matplotlib sizes figures in."""

    name: PaperName = "A4"
    orientation: Orientation = "landscape"

    @property
    def mm(self) -> tuple[float, float]:
        """Width and height in millimetres, in this orientation."""
        short, long = PAPER_MM[self.name]
        return (long, short) if self.orientation == "landscape" else (short, long)

    @property
    def inches(self) -> tuple[float, float]:
        """Width and height in inches, in this orientation."""
        width, height = self.mm
        return (width / MM_PER_INCH, height / MM_PER_INCH)


@cache
def font_family() -> str:
    """Register Noto Sans once and name the family to draw with (DejaVu Sans without it)."""
    found = [NOTO_DIR / name for name in NOTO_FILES if (NOTO_DIR / name).is_file()]
    for path in found:
        font_manager.fontManager.addfont(str(path))
    return "Noto Sans" if found else FALLBACK_FAMILY


def new_page(paper: Paper) -> Figure:
    """An empty figure the size of the sheet, in the print font (not attached to pyplot)."""
    family = font_family()
    figure = Figure(figsize=paper.inches)
    figure.set_facecolor("white")
    # A glyph Noto Sans lacks (e.g. "≥") is drawn from DejaVu Sans, not as a box.
    matplotlib.rcParams["font.family"] = [family, FALLBACK_FAMILY]
    matplotlib.rcParams["pdf.fonttype"] = 42
    return figure


@contextmanager
def pdf_document(target: IO[bytes] | Path, title: str, author: str) -> Iterator[PdfPages]:
    """A multi-page PDF with its metadata; add pages with `document.savefig(figure)`."""
    font_family()
    matplotlib.rcParams["pdf.fonttype"] = 42
    with PdfPages(target, metadata={"Title": title, "Author": author}) as document:
        yield document


def pdf_bytes(figures: list[Figure], title: str, author: str) -> bytes:
    """The figures as one PDF (for a single briefing page or a short report)."""
    buffer = io.BytesIO()
    with pdf_document(buffer, title, author) as document:
        for figure in figures:
            document.savefig(figure)
    return buffer.getvalue()


def png_bytes(figure: Figure, dpi: int = PNG_DPI) -> bytes:
    """The figure as a PNG at `dpi` (an A4 sheet at 150 dpi is 1754 × 1240 px)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
