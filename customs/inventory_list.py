"""The data of the cross-border e-commerce import documents: the order (CEB311) and the
inventory list (清单, CEB621) customs clears parcel by parcel.

Field names follow the public CEB311 / CEB621 beans (zhengjin-me/common-customs-beans);
each attribute says which element it becomes.  Codes are customs codes, not ISO: country
and currency are 3-digit customs codes ("142" China / CNY, "502" USA / USD), units are
3-digit customs unit codes ("011" pieces, "035" kg).  Weights are whole grams, money is
Decimal; nothing here computes a tax or applies a limit: the tax amounts arrive computed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from customs.hs import check_hs_code

_CUSTOMS_CODE = re.compile(r"\d{3}")  # country, currency and unit codes of China customs
_AREA_CODE = re.compile(r"\d{4}")  # customs area (关区) codes
_GUID = re.compile(r"[0-9A-Z-]{36}")  # "36 characters, upper case" (CEB guid)

# Labels for the codes the documents print; an unknown code prints as the bare code.
COUNTRIES = {
    "142": "中国 China",
    "502": "美国 USA",
    "116": "日本 Japan",
    "133": "韩国 Korea",
    "303": "英国 UK",
    "304": "德国 Germany",
    "305": "法国 France",
    "307": "意大利 Italy",
    "601": "澳大利亚 Australia",
    "609": "新西兰 New Zealand",
}
CURRENCIES = {
    "142": "CNY",
    "502": "USD",
    "300": "EUR",
    "303": "GBP",
    "116": "JPY",
    "110": "HKD",
}
UNITS = {"006": "套", "007": "个", "011": "件", "025": "双", "035": "千克", "036": "克"}
ID_TYPES = {"1": "身份证"}  # buyerIdType 1: resident identity card


def code_label(code: str, table: dict[str, str]) -> str:
    """``"142 中国 China"``: the code first, as customs reads it, then what it means."""
    label = table.get(code)
    return f"{code} {label}" if label else code


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def _text(value: str, what: str) -> None:
    _require(isinstance(value, str) and bool(value.strip()), f"{what} must not be empty")


def _money(value: Decimal, what: str) -> None:
    _require(
        isinstance(value, Decimal) and value.is_finite() and value >= 0,
        f"{what} {value!r} must be a finite Decimal, 0 or more",
    )


def _code(value: str, what: str) -> None:
    _require(bool(_CUSTOMS_CODE.fullmatch(value)), f"{what} {value!r} is not a 3-digit code")


def _grams(value: int, what: str) -> None:
    _require(
        isinstance(value, int) and not isinstance(value, bool) and value >= 0,
        f"{what} {value!r} must be whole grams, 0 or more",
    )


@dataclass(frozen=True)
class Company:
    """A registered company: platform (ebp), e-commerce company (ebc), logistics company,
    guarantor (assure), declaring agent, zone company.  ``code`` is its customs code."""

    code: str
    name: str

    def __post_init__(self) -> None:
        _text(self.code, "a company code")
        _text(self.name, f"the name of company {self.code}")


@dataclass(frozen=True)
class Buyer:
    """The person who orders and pays (订购人): customs checks the identity and counts the
    purchase against that person's annual quota."""

    name: str  # buyerName
    id_number: str  # buyerIdNumber, in full: customs needs it
    telephone: str  # buyerTelephone
    reg_no: str  # buyerRegNo: the buyer's account on the platform
    id_type: str = "1"  # buyerIdType: 1 = resident identity card

    def __post_init__(self) -> None:
        for value, what in (
            (self.name, "the buyer's name"),
            (self.id_number, "the buyer's ID number"),
            (self.telephone, "the buyer's telephone"),
            (self.reg_no, "the buyer's registration number"),
            (self.id_type, "the buyer's ID type"),
        ):
            _text(value, what)


@dataclass(frozen=True)
class Taxes:
    """The taxes of one list, computed elsewhere (customs.tax / order_tax) in CNY."""

    tariff: Decimal  # 关税
    vat: Decimal  # 增值税
    consumption: Decimal  # 消费税
    total: Decimal  # 应征税额

    def __post_init__(self) -> None:
        for value, what in (
            (self.tariff, "tariff"),
            (self.vat, "VAT"),
            (self.consumption, "consumption tax"),
            (self.total, "total tax"),
        ):
            _money(value, what)
        _require(
            self.total == self.tariff + self.vat + self.consumption,
            f"total tax {self.total} is not tariff + VAT + consumption tax "
            f"({self.tariff + self.vat + self.consumption})",
        )


# -- the order (CEB311) ---------------------------------------------------------------------


@dataclass(frozen=True)
class OrderLine:
    gnum: int  # line number from 1
    item_no: str  # itemNo: the company's SKU
    item_name: str  # itemName
    gmodel: str  # specification (规格型号)
    bar_code: str  # barCode; "无" where the goods carry none
    unit: str  # customs unit code
    qty: Decimal
    price: Decimal
    total_price: Decimal
    country: str  # origin, customs country code
    item_describe: str = ""

    def __post_init__(self) -> None:
        _require(self.gnum >= 1, f"order line number {self.gnum} must be 1 or more")
        line = f"order line {self.gnum}"
        for value, what in (
            (self.item_no, "item number"),
            (self.item_name, "item name"),
            (self.gmodel, "specification"),
        ):
            _text(value, f"{line}: the {what}")
        _code(self.unit, f"{line}: unit")
        _code(self.country, f"{line}: country")
        _require(isinstance(self.qty, Decimal) and self.qty > 0, f"{line}: quantity must be > 0")
        _money(self.price, f"{line}: price")
        _money(self.total_price, f"{line}: total price")


@dataclass(frozen=True)
class ImportOrder:
    """The e-commerce company's order as declared to customs (CEB311 Order)."""

    order_no: str
    platform: Company  # ebp
    ecommerce: Company  # ebc
    goods_value: Decimal
    freight: Decimal
    discount: Decimal  # non-cash deductions
    tax_total: Decimal  # tax withheld from the buyer
    actural_paid: Decimal  # sic: the element is spelt "acturalPaid"
    currency: str
    buyer: Buyer
    pay_company: Company  # payCode / payName
    pay_transaction_id: str
    consignee: str
    consignee_telephone: str
    consignee_address: str
    lines: tuple[OrderLine, ...]
    consignee_district: str = ""  # 6-digit administrative division code, optional
    order_type: str = "I"  # I: import
    batch_numbers: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        for value, what in (
            (self.order_no, "the order number"),
            (self.pay_transaction_id, "the payment transaction id"),
            (self.consignee, "the consignee"),
            (self.consignee_telephone, "the consignee's telephone"),
            (self.consignee_address, "the consignee's address"),
        ):
            _text(value, what)
        for amount, what in (
            (self.goods_value, "goods value"),
            (self.freight, "freight"),
            (self.discount, "discount"),
            (self.tax_total, "tax total"),
            (self.actural_paid, "amount paid"),
        ):
            _money(amount, what)
        _code(self.currency, "currency")
        _lines_numbered(self.lines, "an order")


def _lines_numbered(lines: tuple[OrderLine, ...] | tuple[InventoryLine, ...], what: str) -> None:
    _require(isinstance(lines, tuple) and bool(lines), f"{what} needs a tuple of lines")
    numbers = [line.gnum for line in lines]
    _require(
        numbers == list(range(1, len(lines) + 1)),
        f"{what}: line numbers {numbers} must run 1, 2, 3, ...",
    )


# -- the inventory list (CEB621) ------------------------------------------------------------


@dataclass(frozen=True)
class InventoryLine:
    """One line of the list, taken from the line of the account book (entry declaration)
    the goods were received under: ``item_record_no`` is that book's item number."""

    gnum: int
    item_record_no: str  # itemRecordNo: the account book's item number (账册备案序号)
    item_no: str  # itemNo: the company's SKU
    item_name: str  # itemName: the company's name for it
    gcode: str  # HS code, 10 digits
    gname: str  # declared goods name
    gmodel: str  # specification
    bar_code: str
    country: str  # origin, customs country code
    qty: Decimal
    unit: str
    qty1: Decimal  # legal quantity
    unit1: str  # legal unit
    price: Decimal
    total_price: Decimal
    qty2: Decimal | None = None  # second legal quantity, for the goods that have one
    unit2: str | None = None
    note: str = ""

    def __post_init__(self) -> None:
        _require(self.gnum >= 1, f"list line number {self.gnum} must be 1 or more")
        line = f"list line {self.gnum}"
        for value, what in (
            (self.item_record_no, "account book item number"),
            (self.item_no, "item number"),
            (self.item_name, "item name"),
            (self.gname, "goods name"),
            (self.gmodel, "specification"),
            (self.bar_code, "barcode"),
        ):
            _text(value, f"{line}: the {what}")
        if problem := check_hs_code(self.gcode):
            raise ValueError(f"{line}: HS code {self.gcode!r}: {problem}")
        for code, what in ((self.country, "country"), (self.unit, "unit"), (self.unit1, "unit1")):
            _code(code, f"{line}: {what}")
        for qty, what in ((self.qty, "quantity"), (self.qty1, "legal quantity")):
            _require(isinstance(qty, Decimal) and qty > 0, f"{line}: {what} must be > 0")
        _require(
            (self.qty2 is None) == (self.unit2 is None),
            f"{line}: a second quantity comes with its unit",
        )
        if self.unit2 is not None:
            _code(self.unit2, f"{line}: unit2")
        _money(self.price, f"{line}: price")
        _money(self.total_price, f"{line}: total price")


@dataclass(frozen=True)
class InventoryList:
    """One parcel's import inventory list (CEB621 Inventory).  ``invt_no`` is the number
    customs gives the list when it accepts it: None before."""

    cop_no: str  # copNo: our own number for the list
    order_no: str
    platform: Company  # ebp
    ecommerce: Company  # ebc
    logistics: Company  # logisticsCode / logisticsName
    logistics_no: str  # the waybill number
    assure: Company  # assureCode: the guarantor
    agent: Company  # agentCode / agentName: the declaring company
    ems_no: str  # the account book (电子账册) the goods leave
    decl_date: date  # declTime
    customs_code: str  # 申报海关
    port_code: str  # 口岸海关
    buyer: Buyer
    consignee_address: str
    trade_mode: str  # "1210" bonded e-commerce, "9610" direct mail
    traf_mode: str  # transport mode code
    country: str  # country of departure (起运国)
    freight: Decimal
    insured_fee: Decimal
    currency: str
    gross_weight_g: int
    net_weight_g: int
    lines: tuple[InventoryLine, ...]
    taxes: Taxes
    invt_no: str | None = None
    pre_no: str | None = None  # pre-entry number, once the customs client has one
    area: Company | None = None  # the company in the zone (区内企业), for bonded goods
    ie_flag: str = "I"
    ie_date: date | None = None
    pack_no: int = 1
    wrap_type: str = "2"  # packing type code
    note: str = ""

    def __post_init__(self) -> None:
        for value, what in (
            (self.cop_no, "the list's own number"),
            (self.order_no, "the order number"),
            (self.logistics_no, "the waybill number"),
            (self.ems_no, "the account book number"),
            (self.consignee_address, "the consignee's address"),
            (self.trade_mode, "the trade mode"),
            (self.traf_mode, "the transport mode"),
        ):
            _text(value, what)
        for area_code, what in ((self.customs_code, "customs"), (self.port_code, "port")):
            _require(
                bool(_AREA_CODE.fullmatch(area_code)), f"{what} code {area_code!r} is not 4 digits"
            )
        _require(self.ie_flag in ("I", "E"), f"ie flag {self.ie_flag!r} is not I or E")
        _code(self.country, "country")
        _code(self.currency, "currency")
        _money(self.freight, "freight")
        _money(self.insured_fee, "insurance")
        _grams(self.gross_weight_g, "gross weight")
        _grams(self.net_weight_g, "net weight")
        _require(
            self.gross_weight_g >= self.net_weight_g,
            f"gross weight {self.gross_weight_g} g is below the net {self.net_weight_g} g",
        )
        _require(self.pack_no >= 1, f"package count {self.pack_no} must be 1 or more")
        _lines_numbered(self.lines, "an inventory list")

    @property
    def number(self) -> str:
        """The number the list is filed under: customs' once given, ours before."""
        return self.invt_no or self.cop_no

    @property
    def goods_value(self) -> Decimal:
        return sum((line.total_price for line in self.lines), Decimal(0))


def valid_guid(guid: str) -> bool:
    return bool(_GUID.fullmatch(guid))
