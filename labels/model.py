"""What a label says: plain frozen dataclasses, filled by the hub, rendered here.

Every renderer (PDF, ZPL, PNG/SVG) takes these and nothing else.  Text is given as the
label must print it; masking of personal data happens in ``labels.masking`` before a
label is built, so that no renderer ever sees the full consignee phone or name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from labels import gs1
from labels.gs1 import check_digit


@dataclass(frozen=True)
class Address:
    name: str
    phone: str
    lines: tuple[str, ...]
    city: str
    postcode: str
    country: str  # ISO 3166 alpha-2
    province: str = ""


CN22_CATEGORIES = (
    "gift",
    "documents",
    "commercial_sample",
    "returned_goods",
    "sale_of_goods",
    "other",
)


@dataclass(frozen=True)
class CN22Item:
    description: str
    quantity: int
    net_weight_g: int
    value: Decimal  # the line's total value, not the unit value
    hs_code: str  # 6-digit international subheading
    origin_country: str

    def __post_init__(self) -> None:
        if self.quantity <= 0 or self.net_weight_g < 0 or self.value < 0:
            raise ValueError("a CN22 item needs a positive quantity and no negative figures")


@dataclass(frozen=True)
class CN22:
    """UPU CN22 customs declaration content (postal items up to 300 SDR)."""

    category: str  # gift | documents | commercial_sample | returned_goods | sale_of_goods | other
    items: tuple[CN22Item, ...]
    currency: str
    sender_signature: str
    signed_on: date

    def __post_init__(self) -> None:
        if self.category not in CN22_CATEGORIES:
            raise ValueError(f"CN22 category must be one of {', '.join(CN22_CATEGORIES)}")
        if not self.items:
            raise ValueError("a CN22 declares at least one item")

    @property
    def total_value(self) -> Decimal:
        return sum((item.value for item in self.items), Decimal(0))

    @property
    def total_weight_g(self) -> int:
        return sum(item.net_weight_g for item in self.items)


@dataclass(frozen=True)
class ShippingLabel:
    """4 x 6 in parcel label.  ``tracking_number`` is the waybill number declared to
    customs; it is printed as text and as a Code 128 barcode."""

    courier: str
    service: str
    sort_code: str  # the courier's routing / sort code, also a Code 128 barcode
    tracking_number: str
    sender: Address
    consignee: Address  # already masked
    weight_g: int
    parcel_index: int  # 1-based
    parcel_count: int
    order_reference: str
    ship_date: date
    declaration_number: str | None = None  # inventory list number (bonded, direct mail)
    cn22: CN22 | None = None  # export parcels: the customs variant

    def __post_init__(self) -> None:
        if not 1 <= self.parcel_index <= self.parcel_count:
            raise ValueError("parcel_index must be within 1..parcel_count")
        if self.weight_g < 0:
            raise ValueError("weight cannot be negative")
        _printable_ascii("tracking_number", self.tracking_number)
        _printable_ascii("sort_code", self.sort_code)


@dataclass(frozen=True)
class BinLabel:
    barcode: str  # Code 128 of exactly this
    code: str  # large human-readable text, e.g. A-01-02-3
    caption: str = ""  # e.g. warehouse and zone

    def __post_init__(self) -> None:
        _printable_ascii("barcode", self.barcode)


@dataclass(frozen=True)
class LotLabel:
    """GS1-128 with (01) GTIN, (10) lot and, when known, (17) expiry."""

    gtin: str  # GTIN-8/12/13/14; printed as the 14-digit (01)
    lot: str
    sku: str
    product_name: str
    expiry: date | None = None

    def __post_init__(self) -> None:
        if not gs1.is_valid_gtin(self.gtin):
            raise ValueError(f"{self.gtin!r} is not a valid GTIN")
        gs1.check_value("10", self.lot)

    @property
    def gtin14(self) -> str:
        return self.gtin.zfill(14)


@dataclass(frozen=True)
class SSCCLabel:
    """Pallet / cage label: SSCC-18 under AI (00), with what the unit carries."""

    extension_digit: int
    company_prefix: str
    serial_reference: str
    ship_from: str  # lines separated by "\n"
    ship_to: str  # lines separated by "\n"
    release_reference: str  # release batch / gate pass
    vehicle: str
    parcel_count: int
    gross_weight_g: int
    sscc: str = field(init=False)

    def __post_init__(self) -> None:
        body = f"{self.extension_digit}{self.company_prefix}{self.serial_reference}"
        if not body.isdigit() or len(body) != 17 or not 0 <= self.extension_digit <= 9:
            raise ValueError(
                "extension digit + company prefix + serial reference must be 17 digits"
            )
        if self.parcel_count < 0 or self.gross_weight_g < 0:
            raise ValueError("counts and weights cannot be negative")
        object.__setattr__(self, "sscc", body + check_digit(body))


@dataclass(frozen=True)
class DisplayTag:
    """Showroom display tag: not for sale, with a QR code to our counting redirect."""

    product_name: str
    sku: str
    showroom: str
    url: str
    loan_reference: str
    headline: str = "Display only, not for sale"
    headline_local: str = "仅供展示 非卖品"


Label = ShippingLabel | BinLabel | LotLabel | SSCCLabel | DisplayTag

# Physical size of each kind, width x height in mm, portrait; every renderer uses these.
LABEL_SIZE_MM: dict[type, tuple[float, float]] = {
    ShippingLabel: (101.6, 152.4),  # 4 x 6 in
    SSCCLabel: (101.6, 152.4),
    BinLabel: (100.0, 50.0),
    LotLabel: (100.0, 70.0),
    DisplayTag: (90.0, 110.0),
}


def _printable_ascii(name: str, value: str) -> None:
    """Code 128 data a scanner reads back as typed: printable ASCII only."""
    if not value or not all(" " <= c <= "~" for c in value):
        raise ValueError(
            f"{name} must be printable ASCII only, for its Code 128 barcode, not {value!r}"
        )
