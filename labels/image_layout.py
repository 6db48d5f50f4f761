"""Where everything goes on each kind of label, in millimetres from the top-left corner.

One layout per label kind, drawn by every raster or printer backend: ``labels.images``
(PNG, SVG) and ``labels.zpl`` (thermal printers).  Backends only turn millimetres into
their own units, so what a label says and where is decided once, here.  The content
follows the PDF labels: courier, sort code, tracking number, addresses, weight, parcel
n/m, order reference, date and the CN22 block on shipping labels; GS1-128 with its
human-readable line on lot and pallet labels; a QR code on display tags.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

import barcode

from labels import gs1
from labels.gs1 import element_string, hri
from labels.image_fonts import text_width
from labels.model import (
    CN22,
    LABEL_SIZE_MM,
    Address,
    BinLabel,
    DisplayTag,
    Label,
    LotLabel,
    ShippingLabel,
    SSCCLabel,
)

MM_PER_INCH = 25.4
MARGIN = 3.0
QUIET_ZONE_MODULES = 10  # Code 128 / GS1-128 minimum on each side (ISO/IEC 15417)
QR_BORDER_MODULES = 4  # QR quiet zone (ISO/IEC 18004)
MIN_MODULE_MM = 0.25  # narrowest bar we print: 2 dots at 203 dpi; thinner ones smudge
GS1_MODULE_MM = 0.5  # GS1 logistic labels want X >= 0.495 mm (4 dots at 203 dpi)


Align = Literal["left", "center", "right"]


@dataclass(frozen=True)
class Text:
    """One line of text in a box: ``x``/``width`` the box, ``y`` the top of the line."""

    x: float
    y: float
    width: float
    text: str
    size: float  # em size, mm
    bold: bool = False
    align: Align = "left"


@dataclass(frozen=True)
class Barcode:
    """A Code 128 symbol of ``data``, or GS1-128 of ``ais`` when given, centred in a box
    ``width`` wide that must hold the bars and both quiet zones."""

    x: float
    y: float
    width: float
    height: float
    module: float  # preferred module (X dimension), mm; narrower only if it must
    data: str = ""
    ais: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if self.ais:
            for ai, value in self.ais:
                check_gs1_value(ai, value)
        else:
            check_code128(self.data)

    @property
    def gs1(self) -> bool:
        return bool(self.ais)

    @property
    def encoded(self) -> str:
        """The data as python-barcode takes it: its GS1-128 class puts the leading FNC1
        itself, so the element string goes without it (separators stay; both libraries
        use U+00F1 for FNC1)."""
        return element_string(*self.ais)[1:] if self.ais else self.data

    @property
    def text(self) -> str:
        """The human-readable line under the bars."""
        return hri(*self.ais) if self.ais else self.data


@dataclass(frozen=True)
class QRCode:
    """A QR code centred in a square box of side ``size`` (symbol and quiet zone)."""

    x: float
    y: float
    size: float
    data: str


@dataclass(frozen=True)
class Box:
    """A filled black rectangle: rules between blocks."""

    x: float
    y: float
    width: float
    height: float


Item = Text | Barcode | QRCode | Box


@dataclass(frozen=True)
class Layout:
    width: float
    height: float
    items: tuple[Item, ...]


# -- data checks: refuse what a scanner would read differently from the label ---------


def check_code128(data: str) -> None:
    """Code 128 carries ASCII; printable ASCII is all a label should carry."""
    if not data or not all(" " <= c <= "~" for c in data):
        raise ValueError(f"{data!r} cannot be a Code 128 barcode: printable ASCII only")


def check_gs1_value(ai: str, value: str) -> None:
    gs1.check_value(ai, value)


# -- geometry shared by the backends --------------------------------------------------


def dots(mm: float, dpi: int) -> int:
    return round(mm * dpi / MM_PER_INCH)


def barcode_class(bar: Barcode) -> type:
    return barcode.get_barcode_class("gs1_128" if bar.gs1 else "code128")


def symbol_modules(bar: Barcode) -> int:
    """Width of the symbol in modules, quiet zones not included."""
    return len(barcode_class(bar)(bar.encoded).build()[0])


def module_dots(bar: Barcode, dpi: int) -> int:
    """The widest whole-dot module, from the preferred one down to MIN_MODULE_MM, at which
    the symbol and its quiet zones fit the box.  Whole dots because a thermal head
    cannot print a fraction of one: 0.25 mm at 203 dpi would be bars of 1, 2 and 3 dots."""
    modules = symbol_modules(bar) + 2 * QUIET_ZONE_MODULES
    room = bar.width * dpi / MM_PER_INCH
    preferred = max(1, dots(bar.module, dpi))
    least = max(1, dots(MIN_MODULE_MM, dpi))
    for n in range(preferred, least - 1, -1):
        if modules * n <= room:
            return n
    raise ValueError(f"barcode {bar.text!r} is too long for {bar.width:.0f} mm at {dpi} dpi")


# -- building blocks ------------------------------------------------------------------


def fitted(
    x: float,
    y: float,
    width: float,
    text: str,
    size: float,
    bold: bool = False,
    align: Align = "left",
) -> Text:
    """A line shrunk to its box, so that a long name never runs off the label."""
    needed = text_width(text, size, bold)
    if needed > width:
        size *= width / needed
    return Text(x, y, width, text, size, bold, align)


@dataclass
class Column:
    """Lines stacked downwards from ``y``; ``scale`` shrinks them all when space is short."""

    x: float
    width: float
    y: float
    scale: float = 1.0
    items: list[Item] = field(default_factory=list)

    def line(self, text: str, size: float, bold: bool = False, align: Align = "left") -> None:
        size *= self.scale
        self.items.append(fitted(self.x, self.y, self.width, text, size, bold=bold, align=align))
        self.y += size * 1.25

    def skip(self, mm: float) -> None:
        self.y += mm * self.scale


def fit_column(build: Callable[[float], Column], bottom: float, what: str) -> list[Item]:
    """The column at the largest scale that ends above ``bottom``."""
    for scale in (1.0, 0.9, 0.8, 0.7, 0.6):
        column = build(scale)
        if column.y <= bottom:
            return column.items
    raise ValueError(f"{what} does not fit on the label")


def rule(y: float, page_width: float) -> Box:
    return Box(MARGIN, y, page_width - 2 * MARGIN, 0.5)


def kg(grams: int) -> str:
    return f"{Decimal(grams) / 1000:.3f}"


def address_lines(address: Address) -> list[str]:
    place = ", ".join(part for part in (address.city, address.province) if part)
    return [*address.lines, f"{place} {address.postcode} {address.country}".strip()]


# -- the label kinds ------------------------------------------------------------------


def layout(label: Label) -> Layout:
    if isinstance(label, ShippingLabel):
        items = shipping(label)
    elif isinstance(label, BinLabel):
        items = bin_label(label)
    elif isinstance(label, LotLabel):
        items = lot(label)
    elif isinstance(label, SSCCLabel):
        items = sscc(label)
    elif isinstance(label, DisplayTag):
        items = display_tag(label)
    else:
        raise TypeError(f"not a label: {type(label).__name__}")
    width, height = LABEL_SIZE_MM[type(label)]
    # Reading order, top to bottom: ZPL and SVG come out in the order one reads the label.
    return Layout(width, height, tuple(sorted(items, key=lambda item: (item.y, item.x))))


def shipping(label: ShippingLabel) -> list[Item]:
    width, height = LABEL_SIZE_MM[ShippingLabel]
    inner = width - 2 * MARGIN
    items: list[Item] = [
        fitted(MARGIN, 3, 60, label.courier, 6, bold=True),
        fitted(MARGIN, 10, 60, label.service, 4),
        fitted(
            MARGIN + 60,
            3,
            inner - 60,
            f"{label.parcel_index}/{label.parcel_count}",
            6,
            bold=True,
            align="right",
        ),
        fitted(MARGIN + 60, 10, inner - 60, label.ship_date.isoformat(), 4, align="right"),
        rule(15.5, width),
        Text(MARGIN, 17.5, 38, "SORT", 2.5, bold=True),
        fitted(MARGIN, 21, 38, label.sort_code, 9, bold=True),
        Barcode(MARGIN + 40, 18, inner - 40, 13, 0.375, data=label.sort_code),
        rule(33, width),
    ]
    # The bottom is fixed (tracking barcode, CN22); the addresses take what is left.
    bottom = height - MARGIN
    if label.cn22 is not None:
        cn22_items, bottom = cn22_block(label.cn22, bottom, width)
        items += cn22_items
    bar_height = 15.0 if label.cn22 is not None else 22.0
    text_y = bottom - 6
    bar_y = text_y - 1 - bar_height
    items += [
        rule(bar_y - 2.5, width),
        Barcode(MARGIN, bar_y, inner, bar_height, 0.375, data=label.tracking_number),
        fitted(MARGIN, text_y, inner, label.tracking_number, 5, bold=True, align="center"),
    ]
    what = "the addresses" + (f" and {len(label.cn22.items)} CN22 items" if label.cn22 else "")
    items += fit_column(lambda s: parties(label, s), bar_y - 3, what)
    return items


def parties(label: ShippingLabel, scale: float) -> Column:
    width, _ = LABEL_SIZE_MM[ShippingLabel]
    column = Column(MARGIN, width - 2 * MARGIN, 35, scale)
    to = label.consignee
    column.line("TO", 3, bold=True)
    column.line(f"{to.name}  {to.phone}", 5, bold=True)
    for line in address_lines(to):
        column.line(line, 4.2)
    column.skip(1.5)
    sender = label.sender
    column.line("FROM", 3, bold=True)
    column.line(f"{sender.name}  {sender.phone}", 3.5)
    for line in address_lines(sender):
        column.line(line, 3.2)
    column.skip(1.5)
    column.line(f"Weight {kg(label.weight_g)} kg", 4, bold=True)
    column.line(f"Order {label.order_reference}", 3.5)
    if label.declaration_number:
        column.line(f"Declaration {label.declaration_number}", 3.5)
    return column


# CN22 item table: (left edge from the margin, width, align) per column.
CN22_COLUMNS: tuple[tuple[float, float, Align], ...] = (
    (0, 42, "left"),  # quantity x description
    (43, 14, "left"),  # HS code
    (58, 9, "left"),  # origin
    (67, 12, "right"),  # net weight kg
    (80, 15.6, "right"),  # value
)


def cn22_block(cn22: CN22, bottom: float, page_width: float) -> tuple[list[Item], float]:
    """The CN22 declaration, bottom-aligned; returns its items and its top edge."""
    row, size = 3.3, 2.6
    top = bottom - (12.5 + row * (len(cn22.items) + 2))
    y = top + 1.5
    category = cn22.category.replace("_", " ").capitalize()
    items: list[Item] = [
        rule(top, page_width),
        Text(MARGIN, y, 60, "CN22 CUSTOMS DECLARATION", 3.6, bold=True),
        fitted(MARGIN + 60, y + 0.4, 35.6, category, 3.2, bold=True, align="right"),
    ]
    y += 5.5
    rows: list[tuple[tuple[str, ...], bool]] = [
        (("Qty x description", "HS code", "Origin", "Net kg", f"Value {cn22.currency}"), True)
    ]
    rows += [
        (
            (
                f"{i.quantity} x {i.description}",
                i.hs_code,
                i.origin_country,
                kg(i.net_weight_g),
                f"{i.value:.2f}",
            ),
            False,
        )
        for i in cn22.items
    ]
    rows.append((("Total", "", "", kg(cn22.total_weight_g), f"{cn22.total_value:.2f}"), True))
    for cells, bold in rows:
        for (left, width, align), cell in zip(CN22_COLUMNS, cells, strict=True):
            if cell:
                items.append(fitted(MARGIN + left, y, width, cell, size, bold=bold, align=align))
        y += row
    y += 1
    items += [
        fitted(MARGIN, y, 60, f"Sender's signature: {cn22.sender_signature}", 3),
        fitted(MARGIN + 60, y, 35.6, f"Date: {cn22.signed_on.isoformat()}", 3, align="right"),
    ]
    return items, top - 1.5


def bin_label(label: BinLabel) -> list[Item]:
    width, _ = LABEL_SIZE_MM[BinLabel]
    inner = width - 2 * MARGIN
    items: list[Item] = [
        fitted(MARGIN, 8, inner, label.code, 11, bold=True, align="center"),
        Barcode(MARGIN, 21.5, inner, 18, 0.375, data=label.barcode),
        fitted(MARGIN, 41, inner, label.barcode, 3.2, align="center"),
    ]
    if label.caption:
        items.append(fitted(MARGIN, 3, inner, label.caption, 3.5, align="center"))
    return items


def lot_ais(label: LotLabel) -> tuple[tuple[str, str], ...]:
    """(01), (17) when known, then (10): the variable-length lot last, so no FNC1
    separator is needed anywhere inside the symbol."""
    expiry = (("17", label.expiry.strftime("%y%m%d")),) if label.expiry else ()
    return (("01", label.gtin14), *expiry, ("10", label.lot))


def lot(label: LotLabel) -> list[Item]:
    width, _ = LABEL_SIZE_MM[LotLabel]
    inner = width - 2 * MARGIN
    # The bars may use the whole width (quiet zones reaching the label's edges): long
    # alphanumeric lots need it at 0.25 mm modules.
    bar = Barcode(0, 24, width, 28, GS1_MODULE_MM, ais=lot_ais(label))
    items: list[Item] = [
        fitted(MARGIN, 3, inner, label.product_name, 5, bold=True),
        fitted(MARGIN, 9.5, inner, f"SKU {label.sku}", 3.5),
        fitted(MARGIN, 14.5, 55, f"LOT {label.lot}", 5, bold=True),
        rule(21, width),
        bar,
        fitted(MARGIN, 54, inner, bar.text, 4, align="center"),
    ]
    if label.expiry:
        items.append(
            fitted(
                MARGIN + 55,
                14.5,
                inner - 55,
                f"EXP {label.expiry.isoformat()}",
                5,
                bold=True,
                align="right",
            )
        )
    return items


def sscc(label: SSCCLabel) -> list[Item]:
    width, height = LABEL_SIZE_MM[SSCCLabel]
    inner = width - 2 * MARGIN
    text_y = height - MARGIN - 6
    bar = Barcode(MARGIN, text_y - 1.5 - 32, inner, 32, GS1_MODULE_MM, ais=(("00", label.sscc),))

    def details(scale: float) -> Column:
        column = Column(MARGIN, inner, 3, scale)
        column.line("FROM", 3, bold=True)
        for line in label.ship_from.splitlines() or [""]:
            column.line(line, 4)
        column.skip(2)
        column.line("TO", 3, bold=True)
        for line in label.ship_to.splitlines() or [""]:
            column.line(line, 5, bold=True)
        column.skip(3)
        column.line("SSCC", 3, bold=True)
        column.line(label.sscc, 7, bold=True)
        column.skip(2)
        column.line(f"Release {label.release_reference}", 4)
        column.line(f"Vehicle {label.vehicle}", 4)
        column.line(f"Parcels {label.parcel_count}", 4)
        column.line(f"Gross weight {kg(label.gross_weight_g)} kg", 4, bold=True)
        return column

    return [
        *fit_column(details, bar.y - 4, "the pallet label's text"),
        rule(bar.y - 3, width),
        bar,
        fitted(MARGIN, text_y, inner, bar.text, 4.5, align="center"),
    ]


def display_tag(label: DisplayTag) -> list[Item]:
    width, _ = LABEL_SIZE_MM[DisplayTag]
    inner = width - 2 * MARGIN
    qr_size = 48.0
    return [
        fitted(MARGIN, 4, inner, label.headline_local, 8, bold=True, align="center"),
        fitted(MARGIN, 14, inner, label.headline, 5, align="center"),
        rule(21.5, width),
        fitted(MARGIN, 24, inner, label.product_name, 5, bold=True, align="center"),
        fitted(MARGIN, 31, inner, f"SKU {label.sku}", 4, align="center"),
        fitted(MARGIN, 36.5, inner, label.showroom, 3.5, align="center"),
        fitted(MARGIN, 41, inner, f"Loan {label.loan_reference}", 3.5, align="center"),
        QRCode((width - qr_size) / 2, 47, qr_size, label.url),
        fitted(MARGIN, 97, inner, label.url, 2.8, align="center"),
    ]
