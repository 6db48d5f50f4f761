"""Warehouse labels: bin, lot (GS1-128), SSCC pallet label and showroom display tag.
Positions are in mm from the top-left corner of each page."""

from __future__ import annotations

from collections.abc import Callable

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from labels import gs1
from labels.model import LABEL_SIZE_MM, BinLabel, DisplayTag, LotLabel, SSCCLabel
from labels.pdf_draw import (
    CENTRE,
    CJK,
    REGULAR,
    PageText,
    code128,
    draw_bars_centred,
    draw_qr,
    module_dots,
    page_in_dots,
    use_form,
)
from labels.pdf_shipping import kg

BIN_SIZE = page_in_dots(*LABEL_SIZE_MM[BinLabel])
LOT_SIZE = page_in_dots(*LABEL_SIZE_MM[LotLabel])
SSCC_SIZE = page_in_dots(*LABEL_SIZE_MM[SSCCLabel])
TAG_SIZE = page_in_dots(*LABEL_SIZE_MM[DisplayTag])

# GS1 AI (10) batch/lot: up to 20 characters of GS1 character set 82.


class _Page:
    """mm-from-top-left coordinates on a page of the given size."""

    def __init__(self, size: tuple[float, float]) -> None:
        self.width_mm = size[0] / mm
        self.height_mm = size[1] / mm

    def x(self, mm_from_left: float) -> float:
        return mm_from_left * mm

    def y(self, mm_from_top: float) -> float:
        return (self.height_mm - mm_from_top) * mm


def _frame_form(
    page: _Page, inset: float, extra: Callable[[Canvas], None]
) -> Callable[[Canvas], None]:
    """A form drawing a frame ``inset`` mm inside the page, then ``extra``."""

    def draw(canvas: Canvas) -> None:
        canvas.setLineWidth(0.8)
        w, h = page.width_mm - 2 * inset, page.height_mm - 2 * inset
        canvas.rect(page.x(inset), page.y(page.height_mm - inset), w * mm, h * mm)
        extra(canvas)

    return draw


def _caption(canvas: Canvas, page: _Page, left: float, baseline: float, text: str) -> None:
    canvas.setFont(REGULAR, 6)
    canvas.drawString(page.x(left), page.y(baseline), text)


# -- bin --------------------------------------------------------------------------------

_BIN = _Page(BIN_SIZE)


def draw_bin(canvas: Canvas, label: BinLabel) -> None:
    p = _BIN
    text = PageText(canvas)
    text.put(p.x(4), p.y(5.5), label.caption, 7, width=p.x(92), min_size=5)
    text.put(p.x(50), p.y(23), label.code, 44, bold=True, align=CENTRE, width=p.x(92), min_size=14)
    # Bars 15 mm high, across the page: the whole width is the room (quiet zones in it).
    draw_bars_centred(canvas, code128(label.barcode), p.x(50), p.y(43), p.x(98), 15 * mm)
    text.put(p.x(50), p.y(47.2), label.barcode, 6.5, align=CENTRE, width=p.x(92), min_size=5)
    text.draw()


# -- lot (GS1-128) ------------------------------------------------------------------------

_LOT = _Page(LOT_SIZE)


def lot_elements(label: LotLabel) -> list[tuple[str, str]]:
    """(01) GTIN-14, (17) expiry YYMMDD when known, (10) lot: the variable-length lot
    last, so that no FNC1 separator is needed."""
    pairs = [("01", label.gtin14)]
    if label.expiry is not None:
        pairs.append(("17", label.expiry.strftime("%y%m%d")))
    pairs.append(("10", label.lot))
    return pairs


def lot_symbols(label: LotLabel) -> list[list[tuple[str, str]]]:
    """One GS1-128 symbol when it fits the label at 0.25 mm modules, else two: the
    fixed-length fields, then the lot."""
    pairs = lot_elements(label)
    try:
        module_dots(code128(gs1.element_string(*pairs)), _LOT.x(96))
    except ValueError:
        return [pairs[:-1], pairs[-1:]]
    return [pairs]


def draw_lot(canvas: Canvas, label: LotLabel) -> None:
    p = _LOT
    text = PageText(canvas)
    text.put(p.x(4), p.y(7), label.product_name, 11, bold=True, width=p.x(92), min_size=7)
    text.put(p.x(4), p.y(12.5), f"SKU {label.sku}", 9, width=p.x(60), min_size=6)
    text.put(p.x(4), p.y(17), f"LOT {label.lot}", 9, bold=True)
    if label.expiry is not None:
        text.put(p.x(96), p.y(17), f"EXP {label.expiry.isoformat()}", 9, bold=True, align="right")
    symbols = lot_symbols(label)
    # (bars bottom, bar height, HRI baseline) in mm from the top, for one or two symbols.
    rows = [(50, 26, 56)] if len(symbols) == 1 else [(37, 16, 41), (61, 16, 65)]
    for pairs, (bottom, height, hri_base) in zip(symbols, rows, strict=True):
        bars = code128(gs1.element_string(*pairs))
        draw_bars_centred(canvas, bars, p.x(50), p.y(bottom), p.x(96), height * mm)
        text.put(p.x(50), p.y(hri_base), gs1.hri(*pairs), 10, align=CENTRE, width=p.x(94))
    text.draw()


# -- SSCC ---------------------------------------------------------------------------------

_SSCC = _Page(SSCC_SIZE)


def sscc_hri(label: SSCCLabel) -> str:
    """(00) 1 0614141 123456789 7: extension digit, company prefix, serial, check digit."""
    return (
        f"(00) {label.extension_digit} {label.company_prefix} "
        f"{label.serial_reference} {label.sscc[-1]}"
    )


def _sscc_static(canvas: Canvas) -> None:
    p = _SSCC
    canvas.setLineWidth(0.6)
    for at in (40, 58, 76):
        canvas.line(p.x(2.5), p.y(at), p.x(99.1), p.y(at))
    canvas.line(p.x(50.8), p.y(2.5), p.x(50.8), p.y(76))
    _caption(canvas, p, 4.5, 6.5, "SHIP FROM")
    _caption(canvas, p, 52.8, 6.5, "SHIP TO")
    _caption(canvas, p, 4.5, 44, "RELEASE REF.")
    _caption(canvas, p, 52.8, 44, "VEHICLE")
    _caption(canvas, p, 4.5, 62, "PARCELS")
    _caption(canvas, p, 52.8, 62, "GROSS WEIGHT")
    _caption(canvas, p, 4.5, 80, "SSCC")


def _block(text: str) -> list[tuple[str, bool]]:
    return [(line, i == 0) for i, line in enumerate(text.splitlines())]


def draw_sscc(canvas: Canvas, label: SSCCLabel) -> None:
    p = _SSCC
    use_form(canvas, "sscc", SSCC_SIZE, _frame_form(p, 2.5, _sscc_static))
    text = PageText(canvas)
    text.lines(p.x(4.5), p.y(8), p.x(44.8), 30 * mm, _block(label.ship_from), 9)
    text.lines(p.x(52.8), p.y(8), p.x(44.8), 30 * mm, _block(label.ship_to), 10)
    text.put(p.x(4.5), p.y(52), label.release_reference, 14, bold=True, width=p.x(44), min_size=7)
    text.put(p.x(52.8), p.y(52), label.vehicle, 14, bold=True, width=p.x(44), min_size=7)
    text.put(p.x(4.5), p.y(70), str(label.parcel_count), 18, bold=True)
    text.put(p.x(52.8), p.y(70), f"{kg(label.gross_weight_g)} kg", 18, bold=True)
    text.put(p.x(50.8), p.y(89), sscc_hri(label)[5:], 20, bold=True, align=CENTRE)
    # GS1 logistic label: X of 0.495 mm or more and 32 mm bars; 4 dots = 0.50 mm.
    bars = code128(gs1.element_string(("00", label.sscc)))
    draw_bars_centred(canvas, bars, p.x(50.8), p.y(132), p.x(96.6), 32 * mm, (4, 3))
    text.put(p.x(50.8), p.y(139.5), sscc_hri(label), 12, bold=True, align=CENTRE)
    text.draw()


# -- display tag --------------------------------------------------------------------------

_TAG = _Page(TAG_SIZE)


def _tag_static(canvas: Canvas) -> None:
    p = _TAG
    canvas.setLineWidth(0.6)
    canvas.line(p.x(2), p.y(22), p.x(88), p.y(22))
    _caption(canvas, p, 5, 40, "SKU")
    _caption(canvas, p, 5, 45.5, "SHOWROOM")
    _caption(canvas, p, 5, 51, "LOAN REF.")


def draw_tag(canvas: Canvas, label: DisplayTag) -> None:
    p = _TAG
    use_form(canvas, "tag", TAG_SIZE, _frame_form(p, 2, _tag_static))
    text = PageText(canvas)
    text.put(p.x(45), p.y(10), label.headline, 13, bold=True, align=CENTRE, width=p.x(82))
    text.put(p.x(45), p.y(18.5), label.headline_local, 16, align=CENTRE, width=p.x(82), font=CJK)
    text.lines(p.x(5), p.y(24.5), p.x(80), 11 * mm, [(label.product_name, True)], 11)
    for baseline, value in ((40, label.sku), (45.5, label.showroom), (51, label.loan_reference)):
        text.put(p.x(24), p.y(baseline), value, 9, width=p.x(61), min_size=6)
    size = draw_qr(canvas, label.url, p.x(45), p.y(55), p.x(46))
    text.put(p.x(45), p.y(55) - size - 2 * mm, label.url, 6, align=CENTRE, width=p.x(80))
    text.draw()
