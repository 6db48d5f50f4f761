"""Customs paperwork for bonded display loans: goods lent from the bonded warehouse to an
offline showroom (bonded checklist type 5, "bonded display trade") and their return.

One PDF per movement: the bonded display checklist (核注清单), whose item table runs onto
continuation pages with its header repeated, then the release note (核放单), the gate pass
the vehicle shows at the zone gate, on a page of its own so it can be handed over alone.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from customs.hs import check_hs_code
from labels.pdf_draw import BOLD, CJK, REGULAR, code128, register_fonts

Direction = Literal["out", "return"]
DIRECTIONS: tuple[Direction, ...] = ("out", "return")
CHECKLIST_TYPE = "5"  # bonded checklist type 5: bonded display trade

_CURRENCY = re.compile(r"[A-Z]{3}")
_AREA_CODE = re.compile(r"\d{4}")  # China customs area codes (关区代码) are 4 digits


# -- the data -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Warehouse:
    name: str
    customs_area_code: str

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise ValueError("a warehouse needs a name")
        if not _AREA_CODE.fullmatch(self.customs_area_code):
            raise ValueError(f"customs area code {self.customs_area_code!r} is not 4 digits")


@dataclass(frozen=True)
class Showroom:
    name: str
    address: str

    def __post_init__(self) -> None:
        if not self.name.strip() or not self.address.strip():
            raise ValueError("a showroom needs a name and an address")


@dataclass(frozen=True)
class Guarantee:
    """The guarantee lodged with customs for goods that leave the zone untaxed."""

    reference: str
    amount: Decimal  # CNY
    expires: date

    def __post_init__(self) -> None:
        if not self.reference.strip():
            raise ValueError("a guarantee needs a reference")
        if not isinstance(self.amount, Decimal) or not self.amount.is_finite():
            raise ValueError(f"guarantee amount {self.amount!r} must be a finite Decimal")
        if self.amount <= 0:
            raise ValueError(f"guarantee amount {self.amount} must be above zero")


@dataclass(frozen=True)
class DisplayItem:
    """One checklist line.  Weights and the declared value are the line's totals, not per
    unit, as the checklist declares them."""

    line_no: int
    sku: str
    name: str
    hs_code: str
    lot: str
    quantity: int
    unit: str  # e.g. "pcs"
    net_weight_g: int
    gross_weight_g: int
    declared_value: Decimal
    currency: str
    condition: str | None = None  # recorded on returns: customs compares it with the loan

    def __post_init__(self) -> None:
        line = f"line {self.line_no}"
        if _not_int(self.line_no) or self.line_no < 1:
            raise ValueError(f"line number {self.line_no!r} must be a whole number from 1")
        if not self.sku.strip() or not self.name.strip() or not self.unit.strip():
            raise ValueError(f"{line}: SKU, name and unit must not be empty")
        if problem := check_hs_code(self.hs_code):
            raise ValueError(f"{line}: HS code {self.hs_code!r}: {problem}")
        if _not_int(self.quantity) or self.quantity < 1:
            raise ValueError(f"{line}: quantity {self.quantity!r} must be a whole number from 1")
        for weight in (self.net_weight_g, self.gross_weight_g):
            if _not_int(weight) or weight < 0:
                raise ValueError(f"{line}: weight {weight!r} g must be whole grams, 0 or more")
        if self.gross_weight_g < self.net_weight_g:
            raise ValueError(
                f"{line}: gross weight {self.gross_weight_g} g is below the net "
                f"{self.net_weight_g} g"
            )
        value = self.declared_value
        if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
            raise ValueError(f"{line}: declared value {value!r} must be a Decimal, 0 or more")
        if not _CURRENCY.fullmatch(self.currency):
            raise ValueError(f"{line}: currency {self.currency!r} is not an ISO 4217 code")


@dataclass(frozen=True)
class DisplayMovement:
    """Goods going out to a showroom (``guarantee`` required) or coming back from it
    (every item's ``condition`` required)."""

    direction: Direction
    checklist_number: str
    release_note_number: str
    loan_number: str
    warehouse: Warehouse
    showroom: Showroom
    date: date
    items: tuple[DisplayItem, ...]
    vehicle: str | None = None
    guarantee: Guarantee | None = None

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ValueError(f"direction {self.direction!r} is not one of {DIRECTIONS}")
        for label, number in (
            ("checklist number", self.checklist_number),
            ("release note number", self.release_note_number),
            ("loan number", self.loan_number),
        ):
            if not number.strip():
                raise ValueError(f"the {label} must not be empty")
        if not self.release_note_number.isascii() or not self.release_note_number.isprintable():
            # It is printed as Code 128, which carries printable ASCII only.
            raise ValueError(f"release note number {self.release_note_number!r} is not ASCII")
        if not isinstance(self.items, tuple) or not self.items:
            raise ValueError("a movement needs a tuple of at least one item")
        numbers = [item.line_no for item in self.items]
        if len(set(numbers)) != len(numbers):
            raise ValueError("checklist line numbers must be unique")
        if self.direction == "out":
            if self.guarantee is None:
                raise ValueError("goods leave the zone for display only against a guarantee")
            if any(item.condition is not None for item in self.items):
                raise ValueError("an item's condition is recorded when it returns, not out")
        else:
            if self.guarantee is not None:
                raise ValueError("a return carries no guarantee: it was lodged going out")
            missing = [item.line_no for item in self.items if not (item.condition or "").strip()]
            if missing:
                raise ValueError(f"returned lines {missing} have no condition recorded")


def _not_int(value: object) -> bool:
    return not isinstance(value, int) or isinstance(value, bool)


# -- formatting -----------------------------------------------------------------------------


def kg(grams: int) -> str:
    """Grams as kilograms with 3 decimals, exactly (no float)."""
    return f"{Decimal(grams).scaleb(-3):.3f}"


CENT = Decimal("0.01")


def money(value: Decimal) -> str:
    """At least 2 decimals, and more when declared so: a display never hides digits."""
    exponent = value.as_tuple().exponent
    shown = value if isinstance(exponent, int) and exponent < -2 else value.quantize(CENT)
    return f"{shown:,f}"


def quantity_totals(items: Iterable[DisplayItem]) -> dict[str, int]:
    """Total quantity per unit, in order of first appearance: pieces and sets do not add
    up to one number."""
    totals: dict[str, int] = {}
    for item in items:
        totals[item.unit] = totals.get(item.unit, 0) + item.quantity
    return totals


def value_totals(items: Iterable[DisplayItem]) -> dict[str, Decimal]:
    """Total declared value per currency, in order of first appearance."""
    totals: dict[str, Decimal] = {}
    for item in items:
        totals[item.currency] = totals.get(item.currency, Decimal(0)) + item.declared_value
    return totals


DIRECTION_TEXT: dict[Direction, tuple[str, str]] = {
    "out": ("Out to showroom", "出区展示"),
    "return": ("Return to bonded zone", "展示返区"),
}


# -- styles ---------------------------------------------------------------------------------

MARGIN = 15 * mm
TOP = 22 * mm  # room for the running header of continuation pages
BOTTOM = 16 * mm
PAGE_WIDTH, PAGE_HEIGHT = A4
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN

BODY = ParagraphStyle("body", fontName=REGULAR, fontSize=8.5, leading=10.5)
LABEL = ParagraphStyle("label", parent=BODY, fontName=BOLD)
CELL = ParagraphStyle("cell", parent=BODY, fontSize=7.5, leading=9)
HEAD = ParagraphStyle("head", parent=CELL, fontName=BOLD)
NUMBER = ParagraphStyle("number", parent=CELL, alignment=TA_RIGHT)
TITLE = ParagraphStyle("title", parent=BODY, fontName=BOLD, fontSize=15, leading=19)
SUBTITLE = ParagraphStyle("subtitle", parent=BODY, fontSize=9.5, leading=12)
GRID = colors.Color(0.45, 0.45, 0.45)
SHADE = colors.Color(0.9, 0.9, 0.9)


def _needs_cjk(text: str) -> bool:
    """True when Helvetica's WinAnsi encoding cannot show the text (Chinese names and
    addresses): then it is set in the embedded CJK font."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return True
    return False


def _text(text: str) -> str:
    """Paragraph markup for free text: escaped, in the font that can show it."""
    return f'<font name="{CJK}">{escape(text)}</font>' if _needs_cjk(text) else escape(text)


def _bi(english: str, chinese: str) -> str:
    """A bilingual label: English, then the Chinese in the embedded CJK font."""
    return f'{escape(english)} / <font name="{CJK}">{escape(chinese)}</font>'


def _fields(rows: list[tuple[str, str]], label_width: float = 56 * mm) -> Table:
    """A two-column block of (label markup, value markup)."""
    table = Table(
        [[Paragraph(label, LABEL), Paragraph(value, BODY)] for label, value in rows],
        colWidths=[label_width, CONTENT_WIDTH - label_width],
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                ("BACKGROUND", (0, 0), (0, -1), SHADE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 2.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ]
        )
    )
    return table


# -- page 1..n: the checklist ----------------------------------------------------------------

CHECKLIST_TITLE = ("Bonded display checklist", "保税展示核注清单")
RELEASE_TITLE = ("Release note", "核放单")


def _header_fields(movement: DisplayMovement) -> list[tuple[str, str]]:
    warehouse, showroom = movement.warehouse, movement.showroom
    return [
        (_bi("Checklist number", "核注清单编号"), _text(movement.checklist_number)),
        (
            _bi("Checklist type", "清单类型"),
            f"{CHECKLIST_TYPE} — {_bi('Bonded display trade', '保税展示交易')}",
        ),
        (_bi("Direction", "方向"), _bi(*DIRECTION_TEXT[movement.direction])),
        (_bi("Loan number", "借出单号"), _text(movement.loan_number)),
        (_bi("Date", "日期"), movement.date.isoformat()),
        (
            _bi("Bonded warehouse", "保税仓库"),
            f"{_text(warehouse.name)}<br/>{_bi('Customs area', '关区代码')} "
            f"{warehouse.customs_area_code}",
        ),
        (_bi("Showroom", "展示场所"), f"{_text(showroom.name)}<br/>{_text(showroom.address)}"),
        (_bi("Release note", "核放单编号"), _text(movement.release_note_number)),
        (_bi("Vehicle", "车牌号"), _text(movement.vehicle) if movement.vehicle else "—"),
    ]


def _guarantee_block(guarantee: Guarantee) -> Table:
    return _fields(
        [
            (_bi("Guarantee reference", "保证金编号"), _text(guarantee.reference)),
            (_bi("Guarantee amount", "担保金额"), f"{money(guarantee.amount)} CNY"),
            (_bi("Guarantee expires", "担保到期日"), guarantee.expires.isoformat()),
        ]
    )


# How a column's cells behave: prose wraps; a code (SKU, lot, HS code) shrinks to fit one
# line rather than break, since a code broken at a hyphen reads as two; numbers align right.
TEXT, CODE, NUMERIC = "text", "code", "numeric"
PADDING = 2.5
MIN_CODE_SIZE = 4.5

# (English, Chinese, width in points or None for the name column, kind)
_COLUMNS: tuple[tuple[str, str, float | None, str], ...] = (
    ("No.", "序号", 20, NUMERIC),
    ("SKU / lot", "货号 / 批次", 82, CODE),
    ("Name", "品名", None, TEXT),
    ("HS code", "商品编码", 48, CODE),
    ("Qty", "数量", 28, NUMERIC),
    ("Unit", "单位", 24, TEXT),
    ("Net kg", "净重", 40, NUMERIC),
    ("Gross kg", "毛重", 40, NUMERIC),
    ("Value", "价值", 54, NUMERIC),
    ("Cur.", "币制", 24, TEXT),
)
_CONDITION_COLUMN = ("Condition", "状况", 62.0, TEXT)
_TOTAL_SPAN = 4  # the totals label spans the columns No. to HS code


def _code(text: str, width: float) -> str:
    """Markup for a code on one line of a ``width`` column: at the cell size if it fits,
    else smaller, down to MIN_CODE_SIZE (below which it wraps after all: legible beats one
    line)."""
    natural = stringWidth(text, CJK if _needs_cjk(text) else REGULAR, CELL.fontSize)
    room = width - 2 * PADDING - 0.5  # a margin for rounding: exactly full wraps
    if natural <= room:
        return _text(text)
    size = max(MIN_CODE_SIZE, CELL.fontSize * room / natural)
    return f'<font size="{size:.2f}">{_text(text)}</font>'


def _cell(lines: Iterable[str], kind: str, width: float) -> Paragraph:
    """One table cell of one or more lines."""
    markup = (_code(line, width) if kind == CODE else _text(line) for line in lines)
    return Paragraph("<br/>".join(markup), NUMBER if kind == NUMERIC else CELL)


def _items_table(movement: DisplayMovement) -> Table:
    returning = movement.direction == "return"
    columns = _COLUMNS + ((_CONDITION_COLUMN,) if returning else ())
    fixed = sum(width for _, _, width, _ in columns if width is not None)
    widths = [width if width is not None else CONTENT_WIDTH - fixed for _, _, width, _ in columns]
    kinds = [kind for _, _, _, kind in columns]
    header = [
        Paragraph(f"{escape(en)}<br/><font name='{CJK}'>{escape(zh)}</font>", HEAD)
        for en, zh, _, _ in columns
    ]
    rows: list[list[Any]] = [header]
    for item in movement.items:
        cells = [
            [str(item.line_no)],
            [item.sku, item.lot],
            [item.name],
            [item.hs_code],
            [str(item.quantity)],
            [item.unit],
            [kg(item.net_weight_g)],
            [kg(item.gross_weight_g)],
            [money(item.declared_value)],
            [item.currency],
        ]
        if returning:
            cells.append([item.condition or ""])
        rows.append(
            [
                _cell(lines, kind, width)
                for lines, kind, width in zip(cells, kinds, widths, strict=True)
            ]
        )

    items = movement.items
    quantities, values = quantity_totals(items), value_totals(items)
    total_cells = [
        [str(n) for n in quantities.values()],
        list(quantities),
        [kg(sum(item.net_weight_g for item in items))],
        [kg(sum(item.gross_weight_g for item in items))],
        [money(v) for v in values.values()],
        list(values),
    ] + ([[""]] if returning else [])
    totals: list[Any] = [
        Paragraph(f"{_bi('Total', '合计')} ({len(items)} lines)", HEAD),
        *[""] * (_TOTAL_SPAN - 1),
        *(
            _cell(lines, kind, width)
            for lines, kind, width in zip(
                total_cells, kinds[_TOTAL_SPAN:], widths[_TOTAL_SPAN:], strict=True
            )
        ),
    ]
    rows.append(totals)

    table = Table(rows, colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("BACKGROUND", (0, -1), (-1, -1), SHADE),
                ("LINEABOVE", (0, -1), (-1, -1), 1.2, colors.black),
                ("SPAN", (0, -1), (_TOTAL_SPAN - 1, -1)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), PADDING),
                ("RIGHTPADDING", (0, 0), (-1, -1), PADDING),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _checklist(movement: DisplayMovement) -> list[Flowable]:
    story: list[Flowable] = [
        Paragraph(_bi(*CHECKLIST_TITLE), TITLE),
        Paragraph(
            f"{_bi('Checklist type', '清单类型')} {CHECKLIST_TYPE}: "
            f"{_bi('Bonded display trade', '保税展示交易')} · "
            f"{_bi(*DIRECTION_TEXT[movement.direction])}",
            SUBTITLE,
        ),
        Spacer(0, 4 * mm),
        _fields(_header_fields(movement)),
    ]
    if movement.guarantee is not None:
        story += [Spacer(0, 3 * mm), _guarantee_block(movement.guarantee)]
    story += [Spacer(0, 4 * mm), _items_table(movement)]
    return story


# -- last page: the release note ------------------------------------------------------------

DOT = 72 / 203  # one dot of a 203-dpi printer, in points
BAR_DOTS = 3  # module width: 3 dots (0.375 mm) scans from a laser print and a 203-dpi raster
QUIET_MODULES = 10


class _Code128(Flowable):
    """The release note number as Code 128 with its text below.  Bars start on the 203-dpi
    dot grid of the page, so each module is a whole number of pixels when rasterised."""

    def __init__(self, data: str, bar_height: float = 16 * mm) -> None:
        super().__init__()
        self.data = data
        self.bars = code128(data)
        self.module = BAR_DOTS * DOT
        self.bar_height = bar_height
        self.hAlign = "CENTER"

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        self.width = (self.bars.modules + 2 * QUIET_MODULES) * self.module
        self.height = self.bar_height + 14
        return self.width, self.height

    def draw(self) -> None:
        canvas: Canvas = self.canv
        left = QUIET_MODULES * self.module
        absolute_x, _ = canvas.absolutePosition(left, 0)
        x = left + round(absolute_x / DOT) * DOT - absolute_x
        canvas.addLiteral(
            f"q {self.module:.8f} 0 0 {self.bar_height:.3f} {x:.4f} 14 cm {self.bars.path} f Q"
        )
        canvas.setFont(REGULAR, 10)
        canvas.drawCentredString(self.width / 2, 2, self.data)


def _signature_boxes(movement: DisplayMovement) -> Table:
    sender, receiver = (
        (("Warehouse (released by)", "仓库发货"), ("Showroom (received by)", "展示场所签收"))
        if movement.direction == "out"
        else (("Showroom (released by)", "展示场所交货"), ("Warehouse (received by)", "仓库收货"))
    )
    roles = [sender, ("Carrier / driver", "承运人"), receiver, ("Zone gate customs", "卡口海关")]
    lines = (
        f"<br/><br/>{_bi('Name', '姓名')}: <br/><br/>{_bi('Signature', '签名')}: "
        f"<br/><br/>{_bi('Date and time', '日期时间')}:"
    )
    boxes = [
        Paragraph(f"<b>{escape(en)}</b> / <font name='{CJK}'>{escape(zh)}</font>{lines}", BODY)
        for en, zh in roles
    ]
    half = CONTENT_WIDTH / 2
    table = Table([boxes[:2], boxes[2:]], colWidths=[half, half], rowHeights=[34 * mm, 34 * mm])
    table.setStyle(
        TableStyle(
            [
                ("BOX", (0, 0), (-1, -1), 0.8, colors.black),
                ("INNERGRID", (0, 0), (-1, -1), 0.8, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("LEFTPADDING", (0, 0), (-1, -1), 5),
            ]
        )
    )
    return table


def _release_note(movement: DisplayMovement) -> list[Flowable]:
    items = movement.items
    origin, destination = (
        (movement.warehouse.name, movement.showroom.name)
        if movement.direction == "out"
        else (movement.showroom.name, movement.warehouse.name)
    )
    pieces = ", ".join(f"{n} {unit}" for unit, n in quantity_totals(items).items())
    return [
        Paragraph(_bi(*RELEASE_TITLE), TITLE),
        Paragraph(
            f"{_bi('Bonded zone gate pass', '卡口核放')} · "
            f"{_bi(*DIRECTION_TEXT[movement.direction])}",
            SUBTITLE,
        ),
        Spacer(0, 5 * mm),
        _Code128(movement.release_note_number),
        Spacer(0, 5 * mm),
        _fields(
            [
                (_bi("Release note number", "核放单编号"), _text(movement.release_note_number)),
                (_bi("Checklist number", "核注清单编号"), _text(movement.checklist_number)),
                (
                    _bi("Checklist type", "清单类型"),
                    f"{CHECKLIST_TYPE} — {_bi('Bonded display trade', '保税展示交易')}",
                ),
                (_bi("Loan number", "借出单号"), _text(movement.loan_number)),
                (_bi("Date", "日期"), movement.date.isoformat()),
                (_bi("Customs area", "关区代码"), movement.warehouse.customs_area_code),
                (_bi("From", "起运地"), _text(origin)),
                (_bi("To", "目的地"), _text(destination)),
                (_bi("Vehicle", "车牌号"), _text(movement.vehicle) if movement.vehicle else "—"),
                (_bi("Checklist lines", "商品项数"), str(len(items))),
                (_bi("Total pieces", "总件数"), _text(pieces)),
                (
                    _bi("Total gross weight", "总毛重"),
                    f"{kg(sum(item.gross_weight_g for item in items))} kg",
                ),
            ]
        ),
        Spacer(0, 8 * mm),
        _signature_boxes(movement),
    ]


# -- the document ---------------------------------------------------------------------------


class _NumberedCanvas(Canvas):
    """Holds the pages back until the end, so each footer can say "page i of n" of its
    part: a checklist page lost from a stack of continuation pages shows."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []
        self.part = ""  # set by each page template's onPage
        self.footer = ""

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        parts = [page["part"] for page in self._pages]
        for number, state in enumerate(self._pages):
            self.__dict__.update(state)
            seen, of = parts[: number + 1].count(self.part), parts.count(self.part)
            self.setFont(REGULAR, 7.5)
            self.setFillColor(colors.black)
            self.drawString(MARGIN, BOTTOM - 9 * mm, self.footer)
            self.drawRightString(PAGE_WIDTH - MARGIN, BOTTOM - 9 * mm, f"page {seen} of {of}")
            super().showPage()
        super().save()


def render_display_documents(movement: DisplayMovement) -> bytes:
    """The checklist (one page, or more when its items run on) and the release note."""
    register_fonts()
    buffer = io.BytesIO()
    frame = Frame(MARGIN, BOTTOM, CONTENT_WIDTH, PAGE_HEIGHT - TOP - BOTTOM, id="body")
    checklist_footer = f"{CHECKLIST_TITLE[0]} {movement.checklist_number}"
    release_footer = f"{RELEASE_TITLE[0]} {movement.release_note_number}"

    def first_page(canvas: _NumberedCanvas, _doc: BaseDocTemplate) -> None:
        canvas.part, canvas.footer = "checklist", checklist_footer

    def continuation(canvas: _NumberedCanvas, _doc: BaseDocTemplate) -> None:
        first_page(canvas, _doc)
        canvas.setFont(CJK, 9)
        canvas.drawString(
            MARGIN,
            PAGE_HEIGHT - 13 * mm,
            f"{' / '.join(CHECKLIST_TITLE)} {movement.checklist_number} — "
            f"continued / 续页 ({movement.loan_number})",
        )
        canvas.setLineWidth(0.4)
        canvas.line(MARGIN, PAGE_HEIGHT - 15 * mm, PAGE_WIDTH - MARGIN, PAGE_HEIGHT - 15 * mm)

    def release_page(canvas: _NumberedCanvas, _doc: BaseDocTemplate) -> None:
        canvas.part, canvas.footer = "release", release_footer

    document = BaseDocTemplate(
        buffer,
        pagesize=A4,
        title=f"{CHECKLIST_TITLE[0]} {movement.checklist_number}",
        subject=f"Bonded display loan {movement.loan_number}",
        author="bonded-wms",
        invariant=True,  # the same movement gives the same bytes
        pageTemplates=[
            PageTemplate(
                "checklist", [frame], onPage=first_page, autoNextPageTemplate="continuation"
            ),
            PageTemplate(
                "continuation", [frame], onPage=continuation, autoNextPageTemplate="continuation"
            ),
            PageTemplate("release", [frame], onPage=release_page),
        ],
    )
    story = [*_checklist(movement), NextPageTemplate("release"), PageBreak()]
    story += _release_note(movement)
    document.build(story, canvasmaker=_NumberedCanvas)
    return buffer.getvalue()
