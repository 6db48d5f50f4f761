"""Drawing primitives shared by the PDF label layouts: fonts, text, barcodes, forms.

Everything that is the same on every label of a kind is drawn once per document as a
form XObject; the variable text of a page goes into one text object; a barcode is one
filled path of rectangles whose module width is a whole number of 203-dpi printer dots,
placed on the dot grid, so that a thermal printer reproduces every bar exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache, lru_cache
from itertools import groupby
from pathlib import Path

from reportlab.graphics.barcode.code128 import Code128, Code128Auto
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.textobject import PDFTextObject

from labels.gs1 import FNC1

REGULAR = "Helvetica"
BOLD = "Helvetica-Bold"
# Chinese needs a font the PDF carries itself: printers and viewers without Adobe-GB1
# fonts print a non-embedded CID font as blanks.  WenQuanYi Micro Hei (Apache-2.0) is
# bundled and embedded as a subset of the glyphs used.
CJK = "WQYMicroHei"
CJK_FONT_FILE = Path(__file__).parent / "fonts" / "wqy-microhei.ttc"

DOT = 72 / 203  # one dot of a 203-dpi thermal printer, in points
QUIET_MODULES = 10  # Code 128 / GS1-128 quiet zone on each side
MIN_BAR_HEIGHT = 12 * mm

LEFT, CENTRE, RIGHT = "left", "centre", "right"
ELLIPSIS = "\u2026"


@cache
def register_fonts() -> None:
    pdfmetrics.registerFont(TTFont(CJK, str(CJK_FONT_FILE), subfontIndex=0))


def font_for(text: str, bold: bool = False) -> str:
    """Helvetica when the standard font's WinAnsi encoding can show the text, else the
    CJK font (which has no bold)."""
    if text.isascii():
        return BOLD if bold else REGULAR
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return CJK
    return BOLD if bold else REGULAR


def text_width(text: str, font: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, font, size)


def _longest_prefix(text: str, font: str, size: float, width: float) -> int:
    """How many leading characters of ``text`` fit in ``width`` (at least one)."""
    used = 0.0
    for i, char in enumerate(text):
        used += text_width(char, font, size)
        if used > width:
            return max(i, 1)
    return len(text)


def truncate(text: str, font: str, size: float, width: float) -> str:
    if text_width(text, font, size) <= width:
        return text
    room = width - text_width(ELLIPSIS, font, size)
    return text[: _longest_prefix(text, font, size, room)] + ELLIPSIS


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy line breaking at spaces; a word wider than the line (as Chinese text, which
    has no spaces, usually is) breaks between characters."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if text_width(candidate, font, size) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = word
        while len(line) > 1 and text_width(line, font, size) > width:
            cut = _longest_prefix(line, font, size, width)
            lines.append(line[:cut])
            line = line[cut:]
    if line:
        lines.append(line)
    return lines


def fit_size(text: str, font: str, size: float, width: float, min_size: float) -> float:
    """The largest size up to ``size`` at which ``text`` fits ``width`` (width is linear in
    size), but not below ``min_size``."""
    natural = text_width(text, font, size)
    if natural <= width:
        return size
    return max(min_size, size * width / natural)


class PageText:
    """The variable text of one page, written as a single BT..ET text object grouped by
    font and size, so that each font operator is written once per page, not per string."""

    def __init__(self, canvas: Canvas) -> None:
        self._canvas = canvas
        self._runs: dict[tuple[str, float], list[tuple[float, float, str]]] = {}

    def put(
        self,
        x: float,
        y: float,
        text: str,
        size: float = 9,
        *,
        bold: bool = False,
        align: str = LEFT,
        width: float | None = None,
        min_size: float | None = None,
        font: str | None = None,
    ) -> None:
        """Text with its baseline at y.  With ``width``: shrink to fit (down to
        ``min_size``), then cut with an ellipsis."""
        if not text:
            return
        font = font or font_for(text, bold)
        if width is not None:
            size = fit_size(text, font, size, width, min_size or size)
            text = truncate(text, font, size, width)
        if align == RIGHT:
            x -= text_width(text, font, size)
        elif align == CENTRE:
            x -= text_width(text, font, size) / 2
        self._runs.setdefault((font, size), []).append((x, y, text))

    def lines(
        self,
        x: float,
        top: float,
        width: float,
        height: float,
        lines: list[tuple[str, bool]],
        size: float,
        min_size: float = 6,
    ) -> None:
        """(text, bold) lines wrapped into a box whose top edge is ``top``; the size steps
        down until everything fits, and what still does not fit is cut."""
        wrapped, line_size = _wrap_block(tuple(lines), width, height, size, min_size)
        leading = line_size * 1.15
        y = top - line_size
        for text, bold in wrapped:
            if y < top - height:
                break
            self.put(x, y, text, line_size, bold=bold, width=width)
            y -= leading

    def draw(self) -> None:
        text: PDFTextObject = self._canvas.beginText()
        for (font, size), strings in self._runs.items():
            text.setFont(font, size)
            for x, y, string in strings:
                text.setTextOrigin(x, y)
                # textLine, not textOut: textOut measures the string again to advance a
                # cursor that is never used.
                text.textLine(string)
        self._canvas.drawText(text)


# The sender block is the same on every label of a wave: its layout is cached, bounded so
# that a wave of distinct consignees does not grow the cache without end.
@lru_cache(maxsize=4096)
def _wrap_block(
    lines: tuple[tuple[str, bool], ...], width: float, height: float, size: float, min_size: float
) -> tuple[tuple[tuple[str, bool], ...], float]:
    """Wrapped lines and the size at which they fit the box (or ``min_size``)."""
    while True:
        wrapped = tuple(
            (part, bold)
            for text, bold in lines
            for part in wrap(text, font_for(text, bold), size, width)
        )
        if len(wrapped) * size * 1.15 <= height + size * 0.15 or size <= min_size:
            return wrapped, size
        size = max(min_size, size - 0.5)


# -- forms --------------------------------------------------------------------------------


def use_form(
    canvas: Canvas, name: str, size: tuple[float, float], draw: Callable[[Canvas], None]
) -> None:
    """Draw the static part of a label kind: defined once per document, then referenced
    from every page."""
    if not canvas.hasForm(name):
        canvas.beginForm(name, 0, 0, size[0], size[1])
        draw(canvas)
        canvas.endForm()
    canvas.doForm(name)


# -- 1D barcodes --------------------------------------------------------------------------


class Bars:
    """A Code 128 symbol as rectangles in module units: ``modules`` wide, one high."""

    __slots__ = ("modules", "path")

    def __init__(self, modules: int, path: str) -> None:
        self.modules = modules
        self.path = path


def code128(data: str) -> Bars:
    """ReportLab's Code 128 encoder (shortest A/B/C mix, FNC1 as "\\xf1") turned into one
    path.  GS1-128 is this with FNC1 first, see labels.gs1.element_string."""
    if not data or any(not (" " <= c <= "~" or c == FNC1) for c in data):
        raise ValueError(f"{data!r} cannot be a Code 128 barcode: printable ASCII only")
    # ReportLab's optimising Code128 drops a digit when an FNC1 after the first character
    # is followed by an odd run of digits; Code128Auto gets such data right (at times one
    # symbol character longer), so it takes GS1 data with separators.
    encoder = Code128Auto if FNC1 in data[1:] else Code128
    symbol = encoder(data, quiet=0)
    symbol.validate()
    symbol.encode()
    # decompose(): lower-case letters are spaces, upper-case bars, a/A = one module.
    x = 0
    rects = []
    for c in symbol.decompose():
        if c >= "a":
            x += ord(c) - 96
        else:
            width = ord(c) - 64
            rects.append(f"{x} 0 {width} 1 re")
            x += width
    return Bars(x, " ".join(rects))


def module_dots(bars: Bars, room: float, choices: tuple[int, ...] = (3, 2)) -> int:
    """The widest module (in printer dots) among ``choices`` at which the symbol and its
    quiet zones fit ``room`` points; raises when even the narrowest does not."""
    for dots in choices:
        if (bars.modules + 2 * QUIET_MODULES) * dots * DOT <= room:
            return dots
    raise ValueError(
        f"barcode of {bars.modules} modules does not fit {room / mm:.1f} mm "
        f"at {min(choices) * DOT / mm:.3f} mm per module"
    )


def on_grid(x: float) -> float:
    return round(x / DOT) * DOT


def page_in_dots(width_mm: float, height_mm: float) -> tuple[float, float]:
    """A page size of whole 203-dpi dots (at most 0.07 mm off the nominal size), so that
    its 203-dpi raster is 1:1 with the printer's dots.  A page of 799.2 dots (100 mm) is
    fitted into 800 pixels by rasterisers that round the size up; that stretches the bars
    and 2-dot modules come out as 2 or 3 pixels, which scanners misread.  Rounded down to
    0.01 pt so that such a rasteriser gets exactly the whole number of dots."""

    def points(length_mm: float) -> float:
        dots = round(length_mm * mm / DOT)
        return math.floor(dots * 72 / 203 * 100) / 100

    return points(width_mm), points(height_mm)


def draw_bars(canvas: Canvas, bars: Bars, x: float, y: float, dots: int, height: float) -> None:
    """The symbol with its left edge at x (snapped to the dot grid), bars from y up."""
    if height < MIN_BAR_HEIGHT:
        raise ValueError(f"bars of {height / mm:.1f} mm are too short to scan")
    # One path in module units, scaled by the transform: integer operands, one fill.
    canvas.addLiteral(
        f"q {dots * DOT:.8f} 0 0 {height:.3f} {on_grid(x):.4f} {y:.3f} cm {bars.path} f Q"
    )


def draw_bars_centred(
    canvas: Canvas,
    bars: Bars,
    centre: float,
    y: float,
    room: float,
    height: float,
    choices: tuple[int, ...] = (3, 2),
) -> float:
    """Centred on ``centre`` in ``room`` points (quiet zones included); returns the
    symbol width in points."""
    dots = module_dots(bars, room, choices)
    width = bars.modules * dots * DOT
    draw_bars(canvas, bars, centre - width / 2, y, dots, height)
    return width


# -- QR -----------------------------------------------------------------------------------

QR_QUIET_MODULES = 4


def qr_modules(data: str, level: str = "M") -> list[list[bool]]:
    """ReportLab's QR encoder: the module matrix, top row first."""
    widget = QrCodeWidget(data, barLevel=level)
    widget.qr.make()
    return [[bool(m) for m in row] for row in widget.qr.modules]


def draw_qr(canvas: Canvas, data: str, centre: float, top: float, room: float) -> float:
    """The QR code, quiet zone included, centred on ``centre`` below ``top`` in a ``room``
    points square, at the largest whole number of dots per module; returns its size."""
    matrix = qr_modules(data)
    count = len(matrix) + 2 * QR_QUIET_MODULES
    dots = int(room / DOT) // count
    if dots < 2:
        raise ValueError(f"QR code of {len(matrix)} modules does not fit {room / mm:.1f} mm")
    rects = []
    for r, row in enumerate(matrix):
        c = 0
        for dark, run in groupby(row):
            n = len(list(run))
            if dark:
                rects.append(f"{c} {r} {n} 1 re")
            c += n
    module = dots * DOT
    left = on_grid(centre - count * module / 2 + QR_QUIET_MODULES * module)
    upper = on_grid(top - QR_QUIET_MODULES * module)
    # Rows run downwards: the transform flips y.
    canvas.addLiteral(
        f"q {module:.8f} 0 0 {-module:.8f} {left:.4f} {upper:.4f} cm {' '.join(rects)} f Q"
    )
    return count * module
