"""Reading labels back the way a scanner would: rasterise, then decode with zxing-cpp."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pypdfium2 as pdfium
import zxingcpp
from PIL import Image

THERMAL_DPI = 203  # the coarsest printers we serve


@dataclass(frozen=True)
class Decoded:
    format: str  # e.g. "Code 128", "QR Code", "DataMatrix"
    text: str  # plain content; GS1 separators as \x1d
    hri: str  # GS1 human-readable form, e.g. (01)...(10)...; same as text for non-GS1
    symbology: str  # e.g. ]C1 for GS1-128, ]C0 for plain Code 128


def pdf_pages(pdf: bytes, dpi: int = THERMAL_DPI) -> list[Image.Image]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [page.render(scale=dpi / 72).to_pil().convert("L") for page in document]
    finally:
        document.close()


def decode(image: Image.Image | bytes) -> list[Decoded]:
    if isinstance(image, bytes):
        image = Image.open(io.BytesIO(image)).convert("L")
    plain = zxingcpp.read_barcodes(image, text_mode=zxingcpp.TextMode.Plain)
    hri = zxingcpp.read_barcodes(image, text_mode=zxingcpp.TextMode.HRI)
    by_position = {str(r.position): r.text for r in hri}
    return sorted(
        (
            Decoded(
                str(r.format),
                r.text,
                by_position.get(str(r.position), r.text),
                r.symbology_identifier,
            )
            for r in plain
        ),
        key=lambda d: (d.format, d.text),
    )


def decoded_texts(image: Image.Image | bytes) -> set[str]:
    return {d.text for d in decode(image)}
