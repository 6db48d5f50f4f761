"""The 4 x 6 in parcel label: the domestic / bonded e-waybill, and the customs variant with
a CN22 block.  Positions are in mm from the top-left corner, as a label is read."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from labels.model import CN22, LABEL_SIZE_MM, Address, CN22Item, ShippingLabel
from labels.pdf_draw import (
    BOLD,
    CENTRE,
    REGULAR,
    RIGHT,
    PageText,
    code128,
    draw_bars_centred,
    page_in_dots,
    use_form,
    wrap,
)

SIZE = page_in_dots(*LABEL_SIZE_MM[ShippingLabel])  # 812 x 1218 dots at 203 dpi
W_MM, H_MM = LABEL_SIZE_MM[ShippingLabel]
MARGIN = 2.5  # the frame
PAD = 4.5  # text inset from the page edge
RIGHT_EDGE = W_MM - PAD
SORT_DIVIDER = 44.0  # sort code text | sort code barcode


def x(mm_from_left: float) -> float:
    return mm_from_left * mm


def y(mm_from_top: float) -> float:
    return (H_MM - mm_from_top) * mm


def kg(grams: int) -> str:
    """Grams as kg with 3 decimals, exactly (no float rounding)."""
    return f"{grams // 1000}.{grams % 1000:03d}"


def money(value: Decimal) -> str:
    return f"{value:.2f}"


def draw_shipping(canvas: Canvas, label: ShippingLabel) -> None:
    if label.cn22 is None:
        _draw_domestic(canvas, label)
    else:
        _draw_customs(canvas, label, label.cn22)


# -- shared pieces ----------------------------------------------------------------------


def _hline(canvas: Canvas, at: float, left: float = MARGIN, right: float = W_MM - MARGIN) -> None:
    canvas.line(x(left), y(at), x(right), y(at))


def _vline(canvas: Canvas, at: float, top: float, bottom: float) -> None:
    canvas.line(x(at), y(top), x(at), y(bottom))


def _caption(canvas: Canvas, left: float, baseline: float, text: str, size: float = 6) -> None:
    canvas.setFont(REGULAR, size)
    canvas.drawString(x(left), y(baseline), text)


def _frame(canvas: Canvas) -> None:
    canvas.setLineWidth(0.8)
    canvas.rect(x(MARGIN), y(H_MM - MARGIN), x(W_MM - 2 * MARGIN), x(H_MM - 2 * MARGIN))


def _address_lines(address: Address) -> list[tuple[str, bool]]:
    """(text, bold) lines of an address block: name, phone, street lines, place."""
    place = " ".join(part for part in (address.city, address.province, address.postcode) if part)
    return [
        (address.name, True),
        (address.phone, False),
        *((line, False) for line in address.lines),
        (f"{place} {address.country}", False),
    ]


class CodeRows(NamedTuple):
    """Where the sort code and tracking number go, in mm from the top (and pt sizes)."""

    sort_baseline: float
    sort_size: float
    sort_bars_bottom: float
    sort_bars_height: float
    tracking_bars_bottom: float
    tracking_bars_height: float
    tracking_baseline: float
    tracking_size: float


def _sort_and_tracking(canvas: Canvas, text: PageText, label: ShippingLabel, at: CodeRows) -> None:
    """Sort code as large text with its barcode beside it; the tracking number's barcode
    across the label with the number under it."""
    text.put(
        x(PAD),
        y(at.sort_baseline),
        label.sort_code,
        at.sort_size,
        bold=True,
        width=x(SORT_DIVIDER - PAD - 1),
        min_size=12,
    )
    cell = W_MM - MARGIN - SORT_DIVIDER
    draw_bars_centred(
        canvas,
        code128(label.sort_code),
        x(SORT_DIVIDER + cell / 2),
        y(at.sort_bars_bottom),
        x(cell - 1),
        at.sort_bars_height * mm,
    )
    draw_bars_centred(
        canvas,
        code128(label.tracking_number),
        x(W_MM / 2),
        y(at.tracking_bars_bottom),
        x(W_MM - 2 * MARGIN - 1),
        at.tracking_bars_height * mm,
    )
    text.put(
        x(W_MM / 2),
        y(at.tracking_baseline),
        label.tracking_number,
        at.tracking_size,
        bold=True,
        align=CENTRE,
    )


# -- domestic / bonded e-waybill --------------------------------------------------------


DOMESTIC_CODES = CodeRows(33, 30, 39, 16, 66, 18, 71.5, 12)


def _domestic_static(canvas: Canvas) -> None:
    _frame(canvas)
    canvas.setLineWidth(0.6)
    for at in (16, 42, 74, 95, 128):
        _hline(canvas, at)
    _vline(canvas, SORT_DIVIDER, 16, 42)
    _vline(canvas, 62, 128, H_MM - MARGIN)
    _caption(canvas, PAD, 19.5, "SORT CODE")
    _caption(canvas, PAD, 45.5, "TRACKING NO. / WAYBILL")
    _caption(canvas, PAD, 77.5, "FROM")
    _caption(canvas, PAD, 98.5, "TO")
    _caption(canvas, PAD, 131.5, "ORDER")
    _caption(canvas, 64, 131.5, "WEIGHT")
    _caption(canvas, 64, 141.5, "SHIP DATE")
    canvas.setFont(REGULAR, 6)
    canvas.drawRightString(x(RIGHT_EDGE), y(6), "PARCEL")


def _draw_domestic(canvas: Canvas, label: ShippingLabel) -> None:
    use_form(canvas, "shipping", SIZE, _domestic_static)
    text = PageText(canvas)
    text.put(x(PAD), y(9), label.courier, 16, bold=True, width=x(62), min_size=9)
    text.put(x(PAD), y(14), label.service, 9, width=x(62), min_size=6)
    parcels = f"{label.parcel_index} / {label.parcel_count}"
    text.put(x(RIGHT_EDGE), y(13.5), parcels, 16, bold=True, align=RIGHT)
    _sort_and_tracking(canvas, text, label, DOMESTIC_CODES)
    text.lines(x(PAD), y(78.5), x(W_MM - 2 * PAD), 16 * mm, _address_lines(label.sender), 8)
    text.lines(x(PAD), y(99.5), x(W_MM - 2 * PAD), 28 * mm, _address_lines(label.consignee), 11)
    text.put(x(PAD), y(135.5), label.order_reference, 10, width=x(62 - PAD - 1), min_size=6)
    if label.declaration_number:
        text.put(x(PAD), y(140), "INVENTORY LIST NO.", 6)
        text.put(x(PAD), y(145), label.declaration_number, 11, bold=True, width=x(56), min_size=6)
    text.put(x(64), y(137), f"{kg(label.weight_g)} kg", 13, bold=True)
    text.put(x(64), y(146.5), label.ship_date.isoformat(), 10)
    text.draw()


# -- customs variant (CN22) -------------------------------------------------------------

CATEGORIES = {
    "gift": "Gift",
    "documents": "Documents",
    "commercial_sample": "Commercial sample",
    "returned_goods": "Returned goods",
    "sale_of_goods": "Sale of goods",
    "other": "Other",
}
CHECKBOX = 2.6  # mm
# Top-left corner of each category's checkbox, mm from the page's top-left corner.
CATEGORY_BOXES = {
    category: (PAD + 32 * (i % 3), 93.8 + 4.2 * (i // 3)) for i, category in enumerate(CATEGORIES)
}
ITEM_ROWS = 5
ITEMS_TOP, ROW_H = 108.5, 4.0
TOTALS_TOP = ITEMS_TOP + ITEM_ROWS * ROW_H
# Item table columns: left edges in mm; the last column ends at the frame.
COL_DESC, COL_QTY, COL_WEIGHT, COL_VALUE, COL_HS, COL_ORIGIN = 4.5, 45, 53, 66, 79, 91
STATEMENT = (
    "I, the undersigned, whose name and address are given on the item, certify that the "
    "particulars given in this declaration are correct and that this item does not contain "
    "any dangerous article or articles prohibited by legislation or by postal or customs "
    "regulations."
)


# Less height for the codes: the CN22 block needs the lower 40 % of the label.
CUSTOMS_CODES = CodeRows(26.5, 24, 29.5, 14, 49.5, 14, 53.5, 10)


def _customs_static(canvas: Canvas) -> None:
    _frame(canvas)
    canvas.setLineWidth(0.6)
    for at in (13, 31, 55, 80, 86.5):
        _hline(canvas, at)
    _vline(canvas, SORT_DIVIDER, 13, 31)
    _vline(canvas, W_MM / 2, 55, 80)
    _caption(canvas, PAD, 16, "SORT CODE")
    _caption(canvas, PAD, 34, "TRACKING NO. / WAYBILL")
    _caption(canvas, PAD, 58, "FROM")
    _caption(canvas, W_MM / 2 + 1.5, 58, "TO")
    _caption(canvas, PAD, 82.6, "ORDER", 5.5)
    _caption(canvas, 42, 82.6, "WEIGHT", 5.5)
    _cn22_static(canvas)


def _cn22_static(canvas: Canvas) -> None:
    canvas.setFont(BOLD, 10)
    canvas.drawString(x(PAD), y(91), "CUSTOMS DECLARATION CN 22")
    canvas.setFont(REGULAR, 6)
    canvas.drawRightString(x(RIGHT_EDGE), y(91), "May be opened officially")
    _hline(canvas, 92.5)
    canvas.setLineWidth(0.5)
    for category, (left, top) in CATEGORY_BOXES.items():
        canvas.rect(x(left), y(top + CHECKBOX), x(CHECKBOX), x(CHECKBOX))
        _caption(canvas, left + CHECKBOX + 1, top + 2.3, CATEGORIES[category], 6.5)
    canvas.setLineWidth(0.6)
    _hline(canvas, 102)
    headers = (
        (COL_DESC, ("Quantity and detailed", "description of contents")),
        (COL_QTY, ("Qty", "")),
        (COL_WEIGHT, ("Net weight", "(kg)")),
        (COL_VALUE, ("Value", "")),
        (COL_HS, ("HS tariff", "number")),
        (COL_ORIGIN, ("Origin", "")),
    )
    for left, (first, second) in headers:
        _caption(canvas, left + 0.8, 104.5, first, 5.5)
        _caption(canvas, left + 0.8, 107, second, 5.5)
    for at in (ITEMS_TOP, TOTALS_TOP, TOTALS_TOP + 5):
        _hline(canvas, at)
    for left in (COL_QTY, COL_WEIGHT, COL_VALUE):
        _vline(canvas, left, 102, TOTALS_TOP + 5)
    for left in (COL_HS, COL_ORIGIN):
        _vline(canvas, left, 102, TOTALS_TOP)
    canvas.setFont(BOLD, 7)
    canvas.drawString(x(PAD), y(TOTALS_TOP + 3.6), "Total weight (kg) and value")
    canvas.setFont(REGULAR, 5)
    for i, line in enumerate(wrap(STATEMENT, REGULAR, 5, x(W_MM - 2 * PAD))):
        canvas.drawString(x(PAD), y(TOTALS_TOP + 7.5 + 2.2 * i), line)
    _caption(canvas, PAD, 145, "Date and sender's signature", 5.5)


def _draw_customs(canvas: Canvas, label: ShippingLabel, cn22: CN22) -> None:
    use_form(canvas, "shipping-cn22", SIZE, _customs_static)
    text = PageText(canvas)
    text.put(x(PAD), y(8), label.courier, 14, bold=True, width=x(60), min_size=8)
    text.put(x(PAD), y(11.8), label.service, 8, width=x(60), min_size=6)
    parcels = f"PARCEL {label.parcel_index} / {label.parcel_count}"
    text.put(x(RIGHT_EDGE), y(8), parcels, 11, bold=True, align=RIGHT)
    text.put(x(RIGHT_EDGE), y(11.8), label.ship_date.isoformat(), 8, align=RIGHT)
    _sort_and_tracking(canvas, text, label, CUSTOMS_CODES)
    half = W_MM / 2 - PAD - 1.5
    text.lines(x(PAD), y(59), x(half), 20 * mm, _address_lines(label.sender), 7)
    text.lines(x(W_MM / 2 + 1.5), y(59), x(half), 20 * mm, _address_lines(label.consignee), 8)
    text.put(x(PAD), y(85.3), label.order_reference, 7, width=x(36), min_size=5)
    text.put(x(42), y(85.3), f"{kg(label.weight_g)} kg", 7, bold=True)
    if label.declaration_number:
        text.put(x(60), y(82.6), "INVENTORY LIST NO.", 5.5)
        text.put(x(60), y(85.3), label.declaration_number, 7, width=x(RIGHT_EDGE - 60))
    _cn22_fill(canvas, text, cn22)
    text.draw()


def _cn22_rows(cn22: CN22) -> list[CN22Item]:
    """The item rows the block has room for; beyond that the last row sums the rest
    (the totals always cover every item)."""
    items = list(cn22.items)
    if len(items) <= ITEM_ROWS:
        return items
    rest = items[ITEM_ROWS - 1 :]
    summary = CN22Item(
        description=f"+ {len(rest)} more items",
        quantity=sum(item.quantity for item in rest),
        net_weight_g=sum(item.net_weight_g for item in rest),
        value=sum((item.value for item in rest), Decimal(0)),
        hs_code="",
        origin_country="",
    )
    return [*items[: ITEM_ROWS - 1], summary]


def _cn22_fill(canvas: Canvas, text: PageText, cn22: CN22) -> None:
    left, top = CATEGORY_BOXES[cn22.category]
    # The tick: a cross filling the chosen checkbox.
    canvas.setLineWidth(1)
    canvas.line(x(left + 0.4), y(top + 0.4), x(left + CHECKBOX - 0.4), y(top + CHECKBOX - 0.4))
    canvas.line(x(left + 0.4), y(top + CHECKBOX - 0.4), x(left + CHECKBOX - 0.4), y(top + 0.4))
    text.put(x(COL_VALUE + 0.8), y(107), f"({cn22.currency})", 5.5)
    for i, item in enumerate(_cn22_rows(cn22)):
        base = y(ITEMS_TOP + ROW_H * i + 3)
        text.put(
            x(COL_DESC), base, item.description, 7, width=x(COL_QTY - COL_DESC - 1), min_size=5
        )
        text.put(x(COL_WEIGHT - 0.8), base, str(item.quantity), 7, align=RIGHT)
        text.put(x(COL_VALUE - 0.8), base, kg(item.net_weight_g), 7, align=RIGHT)
        text.put(x(COL_HS - 0.8), base, money(item.value), 7, align=RIGHT)
        text.put(x(COL_HS + 0.8), base, item.hs_code, 7)
        text.put(x(COL_ORIGIN + 0.8), base, item.origin_country, 7)
    base = y(TOTALS_TOP + 3.6)
    text.put(x(COL_VALUE - 0.8), base, kg(cn22.total_weight_g), 7, bold=True, align=RIGHT)
    total = f"{money(cn22.total_value)} {cn22.currency}"
    text.put(x(COL_VALUE + 0.8), base, total, 7, bold=True, width=x(W_MM - MARGIN - COL_VALUE - 2))
    text.put(x(PAD), y(148.5), cn22.signed_on.isoformat(), 8)
    text.put(x(30), y(148.5), cn22.sender_signature, 8, width=x(RIGHT_EDGE - 30), min_size=6)
