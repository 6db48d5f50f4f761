"""PDF labels: ``render_pdf(labels)`` gives one PDF with one label per page, each page
sized for its kind.  A wave or a release batch is just a longer sequence; kinds may mix.

Barcodes are ReportLab's own encoders (Code 128 / GS1-128, QR) drawn as vector paths with
module widths of whole 203-dpi printer dots.  The speed comes from doing once what is the
same on every label (static frame and captions as a form XObject per kind, the font
registration) and from writing each page's variable text and each barcode as a single
PDF object.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

from reportlab.pdfgen.canvas import Canvas

from labels.model import BinLabel, DisplayTag, Label, LotLabel, ShippingLabel, SSCCLabel
from labels.pdf_draw import register_fonts
from labels.pdf_shipping import SIZE as SHIPPING_SIZE
from labels.pdf_shipping import draw_shipping
from labels.pdf_warehouse import (
    BIN_SIZE,
    LOT_SIZE,
    SSCC_SIZE,
    TAG_SIZE,
    draw_bin,
    draw_lot,
    draw_sscc,
    draw_tag,
)

# Page size (points, portrait) and drawing function per label kind.
KINDS: dict[type, tuple[tuple[float, float], Callable[[Canvas, Any], None]]] = {
    ShippingLabel: (SHIPPING_SIZE, draw_shipping),
    SSCCLabel: (SSCC_SIZE, draw_sscc),
    BinLabel: (BIN_SIZE, draw_bin),
    LotLabel: (LOT_SIZE, draw_lot),
    DisplayTag: (TAG_SIZE, draw_tag),
}


def page_size(label: Label) -> tuple[float, float]:
    """Width and height in points of the page for ``label``."""
    return _kind(label)[0]


def _kind(label: Label) -> tuple[tuple[float, float], Callable[[Canvas, Any], None]]:
    try:
        return KINDS[type(label)]
    except KeyError:
        raise TypeError(f"not a label: {type(label).__name__}") from None


def render_pdf(labels: Sequence[Label]) -> bytes:
    """One PDF, one label per page, in the order given."""
    if not labels:
        raise ValueError("no labels to render")
    register_fonts()
    # invariant: no timestamp or random document id, so the same labels give the same bytes.
    canvas = Canvas(io.BytesIO(), pagesize=page_size(labels[0]), invariant=True)
    canvas.setCreator("labels.pdf")
    current = page_size(labels[0])
    for label in labels:
        size, draw = _kind(label)
        if size != current:  # setPageSize rebuilds the page preamble: only on a change
            canvas.setPageSize(size)
            current = size
        draw(canvas, label)
        canvas.showPage()
    return canvas.getpdfdata()
