"""The import inventory list (清单) as a PDF a customs broker reads and files: one A4 page
per list, or more when its lines run on (every page repeats the header, the last one
carries the totals and taxes).

``render_inventory_lists`` writes a whole release batch as one document.  Fast because
what is the same on every page (frame, captions, table head) is a form XObject drawn once
per document, each page's variable text is one text object, and Chinese is set in the
bundled WenQuanYi font, embedded once per document as a subset of the glyphs used.

Personal data: the buyer's ID number and telephone are masked (region and last four of
the ID kept) unless ``show_personal_data`` is set, for a broker who must see them.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from customs.inventory_list import (
    COUNTRIES,
    CURRENCIES,
    UNITS,
    InventoryLine,
    InventoryList,
    code_label,
)
from labels.masking import mask_id, mask_phone
from labels.pdf_draw import (
    CJK,
    REGULAR,
    RIGHT,
    PageText,
    code128,
    draw_bars,
    register_fonts,
    use_form,
)

PAGE_WIDTH, PAGE_HEIGHT = A4
W_MM, H_MM = 210.0, 297.0
LEFT_MM, RIGHT_MM = 12.0, 198.0
TITLE = "跨境电商进口清单  Import inventory list"
ROWS_PER_PAGE = 14  # line rows on each page
CENT = Decimal("0.01")


def x(mm_from_left: float) -> float:
    return mm_from_left * mm


def y(mm_from_top: float) -> float:
    return (H_MM - mm_from_top) * mm


# -- formatting -----------------------------------------------------------------------------


def kg(grams: int) -> str:
    """Grams as kg with 3 decimals, exactly."""
    return f"{Decimal(grams).scaleb(-3):.3f}"


def money(value: Decimal) -> str:
    """Two decimals, or more when the value has them: a document never hides digits."""
    exponent = value.as_tuple().exponent
    shown = value if isinstance(exponent, int) and exponent < -2 else value.quantize(CENT)
    return f"{shown:,f}"


def quantity(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"


# -- the static frame -----------------------------------------------------------------------

# Header grid: rows of cells (caption, first column, columns spanned) on a 4-column grid.
HEADER_TOP = 27.0
ROW_MM = 9.0
COLUMN_MM = (RIGHT_MM - LEFT_MM) / 4
HEADER: tuple[tuple[tuple[str, int, int], ...], ...] = (
    (
        ("清单编号 Declaration no.", 0, 1),
        ("企业内部编号 Our reference", 1, 1),
        ("预录入编号 Pre-entry no.", 2, 1),
        ("申报日期 Declared on", 3, 1),
    ),
    (
        ("订单编号 Order no.", 0, 1),
        ("物流运单编号 Waybill no.", 1, 1),
        ("物流企业 Logistics company", 2, 2),
    ),
    (("电商平台 Platform", 0, 2), ("电商企业 E-commerce company", 2, 2)),
    (
        ("账册编号 Account book", 0, 1),
        ("申报海关 Customs", 1, 1),
        ("口岸海关 Port", 2, 1),
        ("进口日期 Import date", 3, 1),
    ),
    (
        ("贸易方式 Trade mode", 0, 1),
        ("运输方式 Transport mode", 1, 1),
        ("起运国 Country of departure", 2, 1),
        ("担保企业 Guarantor", 3, 1),
    ),
    (
        ("订购人 Buyer", 0, 1),
        ("证件号码 ID number", 1, 1),
        ("电话 Telephone", 2, 1),
        ("申报企业 Declared by", 3, 1),
    ),
    (("收货地址 Consignee address", 0, 4),),
    (
        ("运费 Freight", 0, 1),
        ("保费 Insurance", 1, 1),
        ("币制 Currency", 2, 1),
        ("件数 Packages", 3, 1),
    ),
    (("毛重 Gross weight", 0, 1), ("净重 Net weight", 1, 1), ("区内企业 Zone company", 2, 2)),
)
TABLE_TOP = HEADER_TOP + ROW_MM * len(HEADER) + 4
LINE_MM = 8.4
# Line table columns: (caption, second caption, left edge mm, right edge mm, numeric)
COLUMNS: tuple[tuple[str, str, float, float, bool], ...] = (
    ("序号", "No.", 12, 20, False),
    ("账册序号 / 货号", "Book item / SKU", 20, 44, False),
    ("商品编码", "HS code", 44, 62, False),
    ("商品名称 / 规格型号", "Name / specification", 62, 114, False),
    ("条码 / 原产国", "Barcode / origin", 114, 138, False),
    ("数量 / 法定数量", "Qty / legal qty", 138, 160, True),
    ("单价", "Unit price", 160, 178, True),
    ("总价", "Total", 178, 198, True),
)
TABLE_HEAD_MM = 8.0
TABLE_BOTTOM = TABLE_TOP + TABLE_HEAD_MM + ROWS_PER_PAGE * LINE_MM
TOTALS_TOP = TABLE_BOTTOM + 4
TOTALS: tuple[tuple[str, int], ...] = (
    ("货值 Goods value", 0),
    ("运费 Freight", 1),
    ("保费 Insurance", 2),
    ("币制 Currency", 3),
    ("关税 Tariff", 0),
    ("增值税 VAT", 1),
    ("消费税 Consumption tax", 2),
    ("应征税额 Total tax", 3),
)
FOOTER = 289.0


def _cell_left(column: int) -> float:
    return LEFT_MM + column * COLUMN_MM


def _static(canvas: Canvas) -> None:
    canvas.setFont(CJK, 14)
    canvas.drawString(x(LEFT_MM), y(15), TITLE)
    canvas.setFont(REGULAR, 7)
    canvas.drawString(x(LEFT_MM), y(20), "CEB621 · China cross-border e-commerce import")
    canvas.setLineWidth(0.4)
    canvas.setStrokeGray(0.35)
    canvas.setFont(CJK, 5.8)
    for row, cells in enumerate(HEADER):
        top = HEADER_TOP + row * ROW_MM
        for caption, column, span in cells:
            left = _cell_left(column)
            canvas.rect(x(left), y(top + ROW_MM), x(span * COLUMN_MM), ROW_MM * mm)
            canvas.drawString(x(left + 1), y(top + 2.6), caption)
    # The line table: head, then a ruled row per line.
    canvas.setFillGray(0.9)
    canvas.rect(
        x(LEFT_MM), y(TABLE_TOP + TABLE_HEAD_MM), x(RIGHT_MM - LEFT_MM), TABLE_HEAD_MM * mm, 1, 1
    )
    canvas.setFillGray(0)
    canvas.rect(
        x(LEFT_MM),
        y(TABLE_BOTTOM),
        x(RIGHT_MM - LEFT_MM),
        (TABLE_BOTTOM - TABLE_TOP) * mm,
    )
    for row in range(ROWS_PER_PAGE):
        at = TABLE_TOP + TABLE_HEAD_MM + row * LINE_MM
        canvas.line(x(LEFT_MM), y(at), x(RIGHT_MM), y(at))
    for _, _, left, _, _ in COLUMNS[1:]:
        canvas.line(x(left), y(TABLE_TOP), x(left), y(TABLE_BOTTOM))
    for chinese, english, left, right, numeric in COLUMNS:
        if numeric:
            canvas.drawRightString(x(right - 1), y(TABLE_TOP + 3.2), chinese)
            canvas.drawRightString(x(right - 1), y(TABLE_TOP + 6.4), english)
        else:
            canvas.drawString(x(left + 1), y(TABLE_TOP + 3.2), chinese)
            canvas.drawString(x(left + 1), y(TABLE_TOP + 6.4), english)
    # Totals and taxes: two rows of four cells.
    for index, (caption, column) in enumerate(TOTALS):
        top = TOTALS_TOP + (index // 4) * ROW_MM
        left = _cell_left(column)
        canvas.rect(x(left), y(top + ROW_MM), x(COLUMN_MM), ROW_MM * mm)
        canvas.drawString(x(left + 1), y(top + 2.6), caption)
    canvas.line(x(LEFT_MM), y(FOOTER - 4), x(RIGHT_MM), y(FOOTER - 4))


# -- one list -------------------------------------------------------------------------------


def _header_values(invt: InventoryList, show_personal_data: bool) -> list[list[str]]:
    buyer = invt.buyer
    id_number = buyer.id_number if show_personal_data else mask_id(buyer.id_number)
    telephone = buyer.telephone if show_personal_data else mask_phone(buyer.telephone)
    area = f"{invt.area.code} {invt.area.name}" if invt.area else "—"
    return [
        [invt.invt_no or "—", invt.cop_no, invt.pre_no or "—", invt.decl_date.isoformat()],
        [invt.order_no, invt.logistics_no, f"{invt.logistics.code} {invt.logistics.name}"],
        [
            f"{invt.platform.code} {invt.platform.name}",
            f"{invt.ecommerce.code} {invt.ecommerce.name}",
        ],
        [
            invt.ems_no,
            invt.customs_code,
            invt.port_code,
            invt.ie_date.isoformat() if invt.ie_date else "—",
        ],
        [
            invt.trade_mode,
            invt.traf_mode,
            code_label(invt.country, COUNTRIES),
            f"{invt.assure.code} {invt.assure.name}",
        ],
        [buyer.name, id_number, telephone, f"{invt.agent.code} {invt.agent.name}"],
        [invt.consignee_address],
        [
            money(invt.freight),
            money(invt.insured_fee),
            code_label(invt.currency, CURRENCIES),
            str(invt.pack_no),
        ],
        [f"{kg(invt.gross_weight_g)} kg", f"{kg(invt.net_weight_g)} kg", area],
    ]


def _draw_header(text: PageText, invt: InventoryList, show_personal_data: bool) -> None:
    for row, (cells, values) in enumerate(
        zip(HEADER, _header_values(invt, show_personal_data), strict=True)
    ):
        baseline = HEADER_TOP + row * ROW_MM + 7.3
        for (_, column, span), value in zip(cells, values, strict=True):
            text.put(
                x(_cell_left(column) + 1),
                y(baseline),
                value,
                8.5,
                width=x(span * COLUMN_MM - 2),
                min_size=5.5,
            )


def _country_short(code: str) -> str:
    """The code and the Chinese name only: the line's column is narrow."""
    label = COUNTRIES.get(code)
    return f"{code} {label.split(' ', 1)[0]}" if label else code


def _draw_line(text: PageText, line: InventoryLine, row: int, currency: str) -> None:
    top = TABLE_TOP + TABLE_HEAD_MM + row * LINE_MM
    first, second = y(top + 3.4), y(top + 7.0)
    cells: tuple[tuple[str, str], ...] = (
        (str(line.gnum), ""),
        (line.item_record_no, line.item_no),
        (line.gcode, ""),
        (line.gname, line.gmodel),
        (line.bar_code, _country_short(line.country)),
        (
            f"{quantity(line.qty)} {UNITS.get(line.unit, line.unit)}",
            f"{quantity(line.qty1)} {UNITS.get(line.unit1, line.unit1)}",
        ),
        (money(line.price), ""),
        (money(line.total_price), CURRENCIES.get(currency, currency)),
    )
    for (upper, lower), (_, _, left, right, numeric) in zip(cells, COLUMNS, strict=True):
        width = x(right - left - 2)
        anchor = x(right - 1) if numeric else x(left + 1)
        align = RIGHT if numeric else "left"
        text.put(anchor, first, upper, 7.5, width=width, min_size=5, align=align)
        text.put(anchor, second, lower, 6.5, width=width, min_size=5, align=align)


def _draw_totals(text: PageText, invt: InventoryList) -> None:
    taxes = invt.taxes
    values = (
        money(invt.goods_value),
        money(invt.freight),
        money(invt.insured_fee),
        code_label(invt.currency, CURRENCIES),
        money(taxes.tariff),
        money(taxes.vat),
        money(taxes.consumption),
        money(taxes.total),
    )
    for index, ((_, column), value) in enumerate(zip(TOTALS, values, strict=True)):
        baseline = TOTALS_TOP + (index // 4) * ROW_MM + 7.3
        text.put(x(_cell_left(column) + 1), y(baseline), value, 9, width=x(COLUMN_MM - 2))


def pages_of(invt: InventoryList) -> int:
    return -(-len(invt.lines) // ROWS_PER_PAGE)


def _draw_list(canvas: Canvas, invt: InventoryList, show_personal_data: bool) -> None:
    number = invt.number
    bars = code128(number) if number.isascii() and number.isprintable() else None
    pages = pages_of(invt)
    for page in range(pages):
        use_form(canvas, "inventory-list", A4, _static)
        text = PageText(canvas)
        _draw_header(text, invt, show_personal_data)
        lines = invt.lines[page * ROWS_PER_PAGE : (page + 1) * ROWS_PER_PAGE]
        for row, line in enumerate(lines):
            _draw_line(text, line, row, invt.currency)
        if page == pages - 1:
            _draw_totals(text, invt)
        else:
            text.put(x(LEFT_MM), y(TOTALS_TOP + 4), "续下页 Continued on the next page", 9)
        text.put(
            x(LEFT_MM),
            y(FOOTER),
            f"Inventory list {number} · order {invt.order_no} · waybill {invt.logistics_no}",
            7,
        )
        text.put(x(RIGHT_MM), y(FOOTER), f"page {page + 1} of {pages}", 7, align=RIGHT)
        text.draw()
        if bars is not None:
            # 1-dot modules keep a long list number inside its 70 mm (scans from a laser print).
            dots = 2 if bars.modules <= 180 else 1
            draw_bars(canvas, bars, x(RIGHT_MM - 72), y(23), dots, 12 * mm)
        canvas.showPage()


def render_inventory_lists(
    lists: Sequence[InventoryList], *, show_personal_data: bool = False
) -> bytes:
    """One PDF of the lists in order: a release batch to download, print or file."""
    if not lists:
        raise ValueError("no inventory lists to render")
    register_fonts()
    # invariant: no timestamp or random id, so the same lists give the same bytes.
    canvas = Canvas(io.BytesIO(), pagesize=A4, invariant=True, pageCompression=1)
    canvas.setCreator("customs.inventory_pdf")
    canvas.setTitle(
        f"Inventory list {lists[0].number}" if len(lists) == 1 else f"{len(lists)} inventory lists"
    )
    for invt in lists:
        _draw_list(canvas, invt, show_personal_data)
    return canvas.getpdfdata()


def render_inventory_list(invt: InventoryList, *, show_personal_data: bool = False) -> bytes:
    return render_inventory_lists([invt], show_personal_data=show_personal_data)
