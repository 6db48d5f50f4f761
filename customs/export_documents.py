"""Export paperwork for parcels leaving China: the commercial invoice (English), the UPU
CN22 or CN23 customs declaration, the EU low-value data set (CSV / JSON) for parcels to
the EU, and the monthly summary of export inventory lists.

Which of CN22 / CN23 a parcel needs is a rule (customs.regimes: value limit, letter or
parcel): the caller passes the form chosen.  Countries here are ISO 3166 alpha-2 and
currencies ISO 4217, as the receiving country reads them.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from customs.hs import check_hs_code
from customs.inventory_pdf import kg, money
from labels.model import CN22_CATEGORIES
from labels.pdf_draw import RIGHT, PageText, register_fonts

INCOTERMS = ("EXW", "FCA", "CPT", "CIP", "DAP", "DPU", "DDP", "FAS", "FOB", "CFR", "CIF")
EU_COUNTRIES = frozenset(
    ("AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
     "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE")
)  # fmt: skip
Form = Literal["CN22", "CN23"]


def _hs_problem(code: str) -> str | None:
    """A code is fine when some regime writes it so: 6 (HS), 8 / 10 (EU), 10 / 13 (China)."""
    problems = [check_hs_code(code, regime) for regime in ("INTL", "EU", "CN")]
    return None if None in problems else problems[0]


def _alpha(code: str, length: int) -> bool:
    return len(code) == length and code.isascii() and code.isalpha() and code.isupper()


@dataclass(frozen=True)
class Party:
    name: str
    address_lines: tuple[str, ...]
    city: str
    postcode: str
    country: str  # ISO 3166 alpha-2
    phone: str = ""
    email: str = ""
    tax_id: str = ""  # VAT / EORI number, when there is one

    def __post_init__(self) -> None:
        if not self.name.strip() or not self.address_lines or not self.city.strip():
            raise ValueError("a party needs a name, an address and a city")
        if not _alpha(self.country, 2):
            raise ValueError(f"country {self.country!r} is not an ISO 3166 alpha-2 code")

    def lines(self) -> list[str]:
        place = " ".join(part for part in (self.postcode, self.city) if part)
        return [self.name, *self.address_lines, f"{place}, {self.country}"]


@dataclass(frozen=True)
class ExportItem:
    description: str  # in English: the receiving customs reads it
    hs_code: str
    origin: str  # ISO alpha-2
    quantity: int
    unit_value: Decimal
    net_weight_g: int  # the line's total
    unit: str = "pcs"
    sku: str = ""

    def __post_init__(self) -> None:
        if not self.description.strip():
            raise ValueError("an item needs a description")
        if problem := _hs_problem(self.hs_code):
            raise ValueError(f"HS code {self.hs_code!r}: {problem}")
        if not _alpha(self.origin, 2):
            raise ValueError(f"origin {self.origin!r} is not an ISO 3166 alpha-2 code")
        if isinstance(self.quantity, bool) or not isinstance(self.quantity, int):
            raise ValueError("quantity is a whole number")
        if self.quantity < 1 or self.net_weight_g < 0:
            raise ValueError("an item needs a quantity of 1 or more and no negative weight")
        if not isinstance(self.unit_value, Decimal) or self.unit_value < 0:
            raise ValueError(f"unit value {self.unit_value!r} must be a Decimal, 0 or more")

    @property
    def value(self) -> Decimal:
        return self.unit_value * self.quantity


@dataclass(frozen=True)
class ExportShipment:
    """One parcel (or consignment) going abroad, with what its papers need."""

    invoice_no: str
    invoice_date: date
    order_no: str
    waybill_no: str
    exporter: Party
    consignee: Party
    incoterm: str
    currency: str  # ISO 4217
    items: tuple[ExportItem, ...]
    gross_weight_g: int
    freight: Decimal = Decimal(0)
    insurance: Decimal = Decimal(0)
    parcels: int = 1
    reason: str = "Sale of goods"
    ioss_number: str = ""  # EU import one-stop shop number of the seller, for EU parcels

    def __post_init__(self) -> None:
        for value, what in (
            (self.invoice_no, "invoice number"),
            (self.order_no, "order number"),
            (self.waybill_no, "waybill number"),
        ):
            if not value.strip():
                raise ValueError(f"the {what} must not be empty")
        if self.incoterm not in INCOTERMS:
            raise ValueError(f"Incoterm {self.incoterm!r} is not one of {', '.join(INCOTERMS)}")
        if not _alpha(self.currency, 3):
            raise ValueError(f"currency {self.currency!r} is not an ISO 4217 code")
        if not isinstance(self.items, tuple) or not self.items:
            raise ValueError("a shipment needs a tuple of at least one item")
        if self.gross_weight_g < self.net_weight_g:
            raise ValueError(
                f"gross weight {self.gross_weight_g} g is below the items' net "
                f"{self.net_weight_g} g"
            )
        for amount in (self.freight, self.insurance):
            if not isinstance(amount, Decimal) or amount < 0:
                raise ValueError("freight and insurance are Decimals, 0 or more")

    @property
    def goods_value(self) -> Decimal:
        return sum((item.value for item in self.items), Decimal(0))

    @property
    def invoice_total(self) -> Decimal:
        return self.goods_value + self.freight + self.insurance

    @property
    def net_weight_g(self) -> int:
        return sum(item.net_weight_g for item in self.items)


# -- commercial invoice ---------------------------------------------------------------------

W_MM, H_MM = 210.0, 297.0
LEFT, RIGHT_EDGE = 15.0, 195.0
INVOICE_ROWS = 22  # item rows per page


def _x(mm_from_left: float) -> float:
    return mm_from_left * mm


def _y(mm_from_top: float, height_mm: float = H_MM) -> float:
    return (height_mm - mm_from_top) * mm


# (caption, left mm, right mm, numeric)
INVOICE_COLUMNS = (
    ("Description", 15.0, 78.0, False),
    ("HS code", 78.0, 100.0, False),
    ("Origin", 100.0, 112.0, False),
    ("Qty", 112.0, 126.0, True),
    ("Net kg", 126.0, 144.0, True),
    ("Unit value", 144.0, 169.0, True),
    ("Total", 169.0, 195.0, True),
)


def _party_block(text: PageText, caption: str, party: Party, left: float, top: float) -> None:
    text.put(_x(left), _y(top), caption, 8, bold=True)
    lines = party.lines()
    if party.tax_id:
        lines.append(f"Tax ID: {party.tax_id}")
    if party.phone:
        lines.append(f"Tel: {party.phone}")
    for index, line in enumerate(lines):
        text.put(_x(left), _y(top + 4.5 + index * 4), line, 8.5, width=_x(85), min_size=6)


def render_commercial_invoice(shipment: ExportShipment) -> bytes:
    """The invoice in English: parties, terms, items with HS code and origin, values,
    weights, waybill; items run onto further pages, totals on the last."""
    register_fonts()
    canvas = Canvas(io.BytesIO(), pagesize=A4, invariant=True, pageCompression=1)
    canvas.setCreator("customs.export_documents")
    canvas.setTitle(f"Commercial invoice {shipment.invoice_no}")
    items = shipment.items
    pages = -(-len(items) // INVOICE_ROWS)
    cur = shipment.currency
    for page in range(pages):
        text = PageText(canvas)
        text.put(_x(LEFT), _y(20), "COMMERCIAL INVOICE", 18, bold=True)
        facts = (
            ("Invoice no.", shipment.invoice_no),
            ("Date", shipment.invoice_date.isoformat()),
            ("Order no.", shipment.order_no),
            ("Waybill no.", shipment.waybill_no),
            ("Incoterm", shipment.incoterm),
            ("Currency", cur),
            ("Reason for export", shipment.reason),
        )
        for index, (caption, value) in enumerate(facts):
            text.put(_x(125), _y(14 + index * 4.5), caption, 8, bold=True)
            text.put(_x(155), _y(14 + index * 4.5), value, 8.5, width=_x(40), min_size=6)
        _party_block(text, "Exporter / seller", shipment.exporter, LEFT, 50)
        _party_block(text, "Consignee / buyer", shipment.consignee, 110, 50)
        if shipment.ioss_number:
            text.put(_x(110), _y(84), f"IOSS: {shipment.ioss_number}", 8.5)
        table_top = 92.0
        canvas.setLineWidth(0.4)
        canvas.setFillGray(0.9)
        canvas.rect(_x(LEFT), _y(table_top + 6), _x(RIGHT_EDGE - LEFT), 6 * mm, 0, 1)
        canvas.setFillGray(0)
        for caption, left, right, numeric in INVOICE_COLUMNS:
            anchor, align = (_x(right - 1), RIGHT) if numeric else (_x(left + 1), "left")
            text.put(anchor, _y(table_top + 4.2), caption, 8, bold=True, align=align)
        rows = items[page * INVOICE_ROWS : (page + 1) * INVOICE_ROWS]
        for row, item in enumerate(rows):
            baseline = _y(table_top + 11 + row * 6)
            cells = (
                item.description,
                item.hs_code,
                item.origin,
                f"{item.quantity} {item.unit}",
                kg(item.net_weight_g),
                money(item.unit_value),
                money(item.value),
            )
            for value, (_, left, right, numeric) in zip(cells, INVOICE_COLUMNS, strict=True):
                anchor, align = (_x(right - 1), RIGHT) if numeric else (_x(left + 1), "left")
                text.put(
                    anchor,
                    baseline,
                    value,
                    8,
                    width=_x(right - left - 2),
                    min_size=5.5,
                    align=align,
                )
            canvas.line(_x(LEFT), baseline - 2 * mm, _x(RIGHT_EDGE), baseline - 2 * mm)
        if page == pages - 1:
            totals = (
                ("Goods value", f"{money(shipment.goods_value)} {cur}"),
                ("Freight", f"{money(shipment.freight)} {cur}"),
                ("Insurance", f"{money(shipment.insurance)} {cur}"),
                ("Invoice total", f"{money(shipment.invoice_total)} {cur}"),
                ("Net weight", f"{kg(shipment.net_weight_g)} kg"),
                ("Gross weight", f"{kg(shipment.gross_weight_g)} kg"),
                ("Parcels", str(shipment.parcels)),
            )
            top = table_top + 14 + len(rows) * 6
            for index, (caption, value) in enumerate(totals):
                text.put(_x(140), _y(top + index * 5), caption, 8.5, bold=True)
                text.put(_x(RIGHT_EDGE - 1), _y(top + index * 5), value, 8.5, align=RIGHT)
            text.put(
                _x(LEFT),
                _y(262),
                "I declare that the information on this invoice is true and correct and that "
                "the goods originate as stated.",
                8,
            )
            text.put(_x(LEFT), _y(274), "Signature: ______________________   Date: __________", 8.5)
        else:
            text.put(_x(LEFT), _y(262), "Continued on the next page", 8.5)
        text.put(_x(LEFT), _y(287), f"Invoice {shipment.invoice_no}", 7)
        text.put(_x(RIGHT_EDGE), _y(287), f"page {page + 1} of {pages}", 7, align=RIGHT)
        text.draw()
        canvas.showPage()
    return canvas.getpdfdata()


# -- CN22 / CN23 ----------------------------------------------------------------------------

CATEGORY_TEXT = {
    "gift": "Gift",
    "documents": "Documents",
    "commercial_sample": "Commercial sample",
    "returned_goods": "Returned goods",
    "sale_of_goods": "Sale of goods",
    "other": "Other",
}
# page size (mm) and item rows per page of each form
FORM_LAYOUT: dict[str, tuple[tuple[float, float], int]] = {
    "CN22": ((100.0, 150.0), 5),
    "CN23": ((210.0, 297.0), 14),
}


def render_customs_declaration(
    shipment: ExportShipment,
    form: Form,
    *,
    category: str = "sale_of_goods",
    signed_on: date | None = None,
    signature: str = "",
) -> bytes:
    """The CN22 (one label-size page; at most 5 item lines, or raise: more items take a
    CN23) or the CN23 (A4; items run onto further pages, totals on the last)."""
    if form not in FORM_LAYOUT:
        raise ValueError(f"form {form!r} is not CN22 or CN23")
    if category not in CN22_CATEGORIES:
        raise ValueError(f"category must be one of {', '.join(CN22_CATEGORIES)}")
    (width_mm, height_mm), rows_per_page = FORM_LAYOUT[form]
    if form == "CN22" and len(shipment.items) > rows_per_page:
        raise ValueError(
            f"a CN22 has {rows_per_page} item lines: {len(shipment.items)} need a CN23"
        )
    register_fonts()
    canvas = Canvas(
        io.BytesIO(), pagesize=(width_mm * mm, height_mm * mm), invariant=True, pageCompression=1
    )
    canvas.setCreator("customs.export_documents")
    canvas.setTitle(f"{form} {shipment.waybill_no}")
    small = form == "CN22"
    size = 6.5 if small else 8.5
    pad, right = (4.0, width_mm - 4.0)
    pages = -(-len(shipment.items) // rows_per_page)

    def y(top: float) -> float:
        return _y(top, height_mm)

    for page in range(pages):
        text = PageText(canvas)
        text.put(_x(pad), y(8), "CUSTOMS DECLARATION", 10 if small else 14, bold=True)
        text.put(_x(right), y(8), form, 14 if small else 20, bold=True, align=RIGHT)
        text.put(_x(pad), y(12.5), "May be opened officially", size)
        text.put(_x(right), y(12.5), f"Waybill {shipment.waybill_no}", size, align=RIGHT)
        top = 17.0
        if not small:
            _party_block(text, "From (sender)", shipment.exporter, pad, top + 3)
            _party_block(text, "To (addressee)", shipment.consignee, 110, top + 3)
            top += 36
            references = (
                f"Importer's reference (tax code / VAT no.): {shipment.consignee.tax_id or '-'}",
                f"Invoice no.: {shipment.invoice_no}    Order no.: {shipment.order_no}",
                f"Postal charges / fees: {money(shipment.freight)} {shipment.currency}"
                + (f"    IOSS: {shipment.ioss_number}" if shipment.ioss_number else ""),
            )
            for index, line in enumerate(references):
                text.put(_x(pad), y(top + index * 4.5), line, size)
            top += 15
        # category boxes, two rows of three
        for index, key in enumerate(CN22_CATEGORIES):
            left = pad + (index % 3) * (right - pad) / 3
            row_top = top + (index // 3) * (4.2 if small else 5.5)
            box = 2.6 if small else 3.2
            canvas.rect(_x(left), y(row_top + box), _x(box), box * mm)
            if key == category:
                canvas.line(_x(left), y(row_top + box), _x(left + box), y(row_top))
                canvas.line(_x(left), y(row_top), _x(left + box), y(row_top + box))
            text.put(_x(left + box + 1), y(row_top + box - 0.4), CATEGORY_TEXT[key], size)
        top += 11 if small else 14
        columns = (  # caption, left fraction, right fraction, numeric
            ("Detailed description", 0.0, 0.42, False),
            ("Qty", 0.42, 0.5, True),
            ("Net kg", 0.5, 0.62, True),
            (f"Value {shipment.currency}", 0.62, 0.77, True),
            ("HS tariff no.", 0.77, 0.92, False),
            ("Origin", 0.92, 1.0, False),
        )
        span = right - pad

        def anchor(
            left: float, right_: float, numeric: bool, span: float = span
        ) -> tuple[float, str]:
            edge = pad + (right_ if numeric else left) * span
            return (_x(edge - 0.8), RIGHT) if numeric else (_x(edge + 0.8), "left")

        canvas.setLineWidth(0.4)
        canvas.line(_x(pad), y(top + 1.5), _x(right), y(top + 1.5))
        for caption, left, right_, numeric in columns:
            at, align = anchor(left, right_, numeric)
            text.put(
                at,
                y(top),
                caption,
                size - 0.5,
                bold=True,
                align=align,
                width=_x((right_ - left) * span - 1),
                min_size=4,
            )
        row_mm = 5.0 if small else 6.0
        rows = shipment.items[page * rows_per_page : (page + 1) * rows_per_page]
        for row, item in enumerate(rows):
            baseline = y(top + 5.5 + row * row_mm)
            cells = (
                item.description,
                str(item.quantity),
                kg(item.net_weight_g),
                money(item.value),
                item.hs_code,
                item.origin,
            )
            for value, (_, left, right_, numeric) in zip(cells, columns, strict=True):
                at, align = anchor(left, right_, numeric)
                width = _x((right_ - left) * span - 1.6)
                text.put(at, baseline, value, size, width=width, min_size=4, align=align)
        top += 5.5 + rows_per_page * row_mm
        canvas.line(_x(pad), y(top - 3), _x(right), y(top - 3))
        if page == pages - 1:
            text.put(_x(pad), y(top + 1), "Total gross weight", size, bold=True)
            text.put(
                _x(pad + span * 0.62 - 0.8),
                y(top + 1),
                f"{kg(shipment.gross_weight_g)} kg",
                size,
                align=RIGHT,
            )
            text.put(_x(pad), y(top + 1 + size * 0.55), "Total value", size, bold=True)
            text.put(
                _x(pad + span * 0.77 - 0.8),
                y(top + 1 + size * 0.55),
                f"{money(shipment.goods_value)} {shipment.currency}",
                size,
                align=RIGHT,
            )
            top += 4 + size * 1.1
            certify = (
                "I certify that the particulars given in this customs declaration are correct "
                "and that this item does not contain any dangerous article prohibited by "
                "legislation or by postal or customs regulations."
            )
            text.lines(
                _x(pad),
                y(top),
                _x(span),
                (14 if small else 10) * mm,
                [(certify, False)],
                size - 0.5,
                4,
            )
            top += 15 if small else 12
            signed = signed_on.isoformat() if signed_on else ""
            text.put(_x(pad), y(top), f"Date and sender's signature: {signed} {signature}", size)
        else:
            text.put(_x(pad), y(top + 1), "Continued on the next page", size)
        text.put(_x(right), y(height_mm - 4), f"page {page + 1} of {pages}", 6, align=RIGHT)
        text.draw()
        canvas.showPage()
    return canvas.getpdfdata()


# -- EU low-value data set ------------------------------------------------------------------

# One row per item, the consignment's data repeated: the data the EU's reduced customs
# declaration for low-value consignments (H7) asks for, named plainly.
EU_COLUMNS = (
    "waybill_no",
    "invoice_no",
    "consignor_name",
    "consignor_address",
    "consignor_country",
    "consignee_name",
    "consignee_address",
    "consignee_postcode",
    "consignee_city",
    "consignee_country",
    "ioss_number",
    "item_no",
    "description",
    "hs_code",
    "origin_country",
    "quantity",
    "net_mass_kg",
    "gross_mass_kg",
    "intrinsic_value",
    "currency",
    "consignment_value",
)


def eu_low_value_rows(shipments: Iterable[ExportShipment]) -> list[dict[str, str]]:
    """The rows of the data set; every shipment must go to an EU member state.  The HS code
    is the 6-digit subheading (the EU reads its own 8/10 digits from it)."""
    rows = []
    for shipment in shipments:
        consignee = shipment.consignee
        if consignee.country not in EU_COUNTRIES:
            raise ValueError(
                f"shipment {shipment.waybill_no} goes to {consignee.country}, not to the EU"
            )
        for number, item in enumerate(shipment.items, start=1):
            rows.append(
                {
                    "waybill_no": shipment.waybill_no,
                    "invoice_no": shipment.invoice_no,
                    "consignor_name": shipment.exporter.name,
                    "consignor_address": ", ".join(shipment.exporter.lines()[1:]),
                    "consignor_country": shipment.exporter.country,
                    "consignee_name": consignee.name,
                    "consignee_address": ", ".join(consignee.address_lines),
                    "consignee_postcode": consignee.postcode,
                    "consignee_city": consignee.city,
                    "consignee_country": consignee.country,
                    "ioss_number": shipment.ioss_number,
                    "item_no": str(number),
                    "description": item.description,
                    "hs_code": item.hs_code[:6],
                    "origin_country": item.origin,
                    "quantity": str(item.quantity),
                    "net_mass_kg": kg(item.net_weight_g),
                    "gross_mass_kg": kg(shipment.gross_weight_g),
                    "intrinsic_value": f"{item.value:f}",
                    "currency": shipment.currency,
                    "consignment_value": f"{shipment.goods_value:f}",
                }
            )
    return rows


# CSV injection (OWASP): a cell starting with one of these is a formula to a spreadsheet.
# Consignee names and addresses come from shops and buyers, so every text cell of a CSV
# written here that would start a formula gets a leading apostrophe (shown as text); a
# plain signed number stays as it is.  wms/services/csv_safety.py holds the same rule for
# the hub (satellites import nothing from wms); a test keeps the two equal.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)")


def spreadsheet_safe(value: object) -> object:
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and _PLAIN_NUMBER.fullmatch(value) is None
    ):
        return "'" + value
    return value


def eu_low_value_csv(shipments: Iterable[ExportShipment]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EU_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(
        {name: spreadsheet_safe(cell) for name, cell in row.items()}
        for row in eu_low_value_rows(shipments)
    )
    return buffer.getvalue()


def eu_low_value_json(shipments: Iterable[ExportShipment]) -> str:
    """Consignments with their items nested (values as strings: exact decimals)."""
    consignments: dict[str, dict[str, object]] = {}
    for row in eu_low_value_rows(shipments):
        key = row["waybill_no"]
        if key not in consignments:
            consignments[key] = {
                name: row[name]
                for name in (*EU_COLUMNS[:11], "gross_mass_kg", "currency", "consignment_value")
            }
            consignments[key]["items"] = []
        item = {
            name: row[name]
            for name in ("item_no", "description", "hs_code", "origin_country", "quantity",
                         "net_mass_kg", "intrinsic_value")
        }  # fmt: skip
        items = consignments[key]["items"]
        assert isinstance(items, list)
        items.append(item)
    return json.dumps(list(consignments.values()), ensure_ascii=False, indent=2)


# -- monthly summary of export lists --------------------------------------------------------


@dataclass(frozen=True)
class ExportListLine:
    """One line of an export inventory list (9610 / 1210 export), as customs cleared it."""

    list_no: str
    declared_on: date
    exporter_code: str  # ebcCode: the consignor (收发货人)
    exporter_name: str
    trade_mode: str  # e.g. "9610"
    exit_customs: str  # 4-digit customs code of the exit port
    destination: str  # country of destination (customs or ISO code, consistently)
    hs_code: str  # 10 digits
    unit: str  # legal unit code: quantities only add up within one unit
    quantity: Decimal
    currency: str
    value: Decimal
    gross_weight_g: int
    net_weight_g: int


@dataclass(frozen=True)
class SummaryLine:
    exporter_code: str
    exporter_name: str
    trade_mode: str
    exit_customs: str
    destination: str
    hs_group: str  # the HS code cut to the grouping's digits
    unit: str
    currency: str
    quantity: Decimal
    value: Decimal
    gross_weight_g: int
    net_weight_g: int
    lists: tuple[str, ...]  # the lists summarised, each once, in first-seen order


SummaryKey = tuple[str, str, str, str, str, str, str]


def monthly_summary(
    lines: Iterable[ExportListLine], year: int, month: int, hs_digits: Literal[4, 6, 10] = 6
) -> tuple[SummaryLine, ...]:
    """The month's export list lines summed into the lines of one summary declaration.

    Grouped by exporter, trade mode, exit customs, destination country, HS code at
    ``hs_digits`` digits, legal unit and currency: the summary declaration of export
    lists is made per consignor, per trade mode, per exit port and per destination
    (the summary flag of customs' summary application, CEB701, is per consignor), and a
    quantity adds up only within one unit and a value within one currency.  4 digits is
    the simplified (heading-level) summary, 6 the international subheading, 10 the full
    Chinese code.  Lines sorted by the key; lines outside the month are left out.
    """
    if hs_digits not in (4, 6, 10):
        raise ValueError(f"HS grouping of {hs_digits} digits: 4, 6 or 10")
    groups: dict[SummaryKey, list[ExportListLine]] = {}
    for line in lines:
        if (line.declared_on.year, line.declared_on.month) != (year, month):
            continue
        key = (
            line.exporter_code,
            line.trade_mode,
            line.exit_customs,
            line.destination,
            line.hs_code[:hs_digits],
            line.unit,
            line.currency,
        )
        groups.setdefault(key, []).append(line)
    return tuple(_summarise(key, members) for key, members in sorted(groups.items()))


def _summarise(key: SummaryKey, members: Sequence[ExportListLine]) -> SummaryLine:
    exporter, trade_mode, exit_customs, destination, hs_group, unit, currency = key
    return SummaryLine(
        exporter_code=exporter,
        exporter_name=members[0].exporter_name,
        trade_mode=trade_mode,
        exit_customs=exit_customs,
        destination=destination,
        hs_group=hs_group,
        unit=unit,
        currency=currency,
        quantity=sum((m.quantity for m in members), Decimal(0)),
        value=sum((m.value for m in members), Decimal(0)),
        gross_weight_g=sum(m.gross_weight_g for m in members),
        net_weight_g=sum(m.net_weight_g for m in members),
        lists=tuple(dict.fromkeys(m.list_no for m in members)),
    )


def summary_csv(summary: Iterable[SummaryLine]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ["exporter_code", "exporter_name", "trade_mode", "exit_customs", "destination",
         "hs_code", "unit", "currency", "quantity", "value", "gross_kg", "net_kg", "lists"]
    )  # fmt: skip
    for line in summary:
        cells = [line.exporter_code, line.exporter_name, line.trade_mode, line.exit_customs,
                 line.destination, line.hs_group, line.unit, line.currency, f"{line.quantity:f}",
                 f"{line.value:f}", kg(line.gross_weight_g), kg(line.net_weight_g),
                 len(line.lists)]  # fmt: skip
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return buffer.getvalue()
