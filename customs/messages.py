"""The XML messages customs' cross-border e-commerce platform takes: CEB311 (import order)
and CEB621 (import inventory list).

Shape and element names as in the public beans of zhengjin-me/common-customs-beans: a root
``ceb:CEBnnnMessage`` with ``guid`` and ``version="1.0"`` attributes in the namespace
http://www.chinaport.gov.cn/ceb, the business element(s), then one ``BaseTransfer`` block
(copCode, copName, dxpMode, dxpId, note).  Elements come in the schema's order; optional
elements without a value are left out.

Nothing is signed here: appStatus "2" (declare) asks for a ``ceb:Signature``, which the
customs client (the signing box holding the company's certificate) adds before sending.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from customs.inventory_list import (
    Buyer,
    ImportOrder,
    InventoryLine,
    InventoryList,
    OrderLine,
    valid_guid,
)

NAMESPACE = "http://www.chinaport.gov.cn/ceb"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
VERSION = "1.0"
APP_TYPES = ("1", "2", "3")  # 1 new, 2 change, 3 delete
APP_STATUSES = ("1", "2")  # 1 held (暂存), 2 declared (申报)

Value = str | int | Decimal | None


@dataclass(frozen=True)
class Transfer:
    """The BaseTransfer block: who transmits, over which DXP channel."""

    cop_code: str
    cop_name: str
    dxp_id: str
    dxp_mode: str = "DXP"
    note: str = ""

    def __post_init__(self) -> None:
        for value, what in (
            (self.cop_code, "copCode"),
            (self.cop_name, "copName"),
            (self.dxp_id, "dxpId"),
            (self.dxp_mode, "dxpMode"),
        ):
            if not value.strip():
                raise ValueError(f"the transfer block's {what} must not be empty")


@dataclass(frozen=True)
class Declaration:
    """What each declared document carries besides its data: its own guid (36 upper-case
    characters), the kind of declaration and when it was made."""

    app_time: datetime
    guid: str = ""  # empty: a fresh one
    app_type: str = "1"
    app_status: str = "2"

    def __post_init__(self) -> None:
        if self.guid and not valid_guid(self.guid):
            raise ValueError(f"guid {self.guid!r} is not 36 upper-case characters")
        if self.app_type not in APP_TYPES:
            raise ValueError(f"appType {self.app_type!r} is not one of {APP_TYPES}")
        if self.app_status not in APP_STATUSES:
            raise ValueError(f"appStatus {self.app_status!r} is not one of {APP_STATUSES}")


def new_guid() -> str:
    return str(uuid.uuid4()).upper()


# -- value formatting -----------------------------------------------------------------------


def decimal_text(value: Decimal) -> str:
    """Plain notation, never an exponent: ``Decimal("1E+2")`` is "100"."""
    text = f"{value:f}"
    return "0" if text in ("-0", "0E-0") else text


def kg_text(grams: int) -> str:
    """Whole grams as kilograms, exactly, without trailing zeros: 1250 g is "1.25"."""
    kilograms = Decimal(grams).scaleb(-3).normalize()
    return decimal_text(kilograms)


def app_time_text(moment: datetime) -> str:
    return moment.strftime("%Y%m%d%H%M%S")  # yyyyMMddHHmmss


def date_text(day: date) -> str:
    return day.strftime("%Y%m%d")  # yyyyMMdd


def _text(value: Value) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return decimal_text(value)
    text = str(value)
    return text if text != "" else None


class _Writer:
    """Indented XML with the ``ceb:`` prefix, built as a list of lines."""

    def __init__(self) -> None:
        self.lines: list[str] = ['<?xml version="1.0" encoding="UTF-8"?>']
        self.depth = 0

    def open(self, name: str, attributes: str = "") -> None:
        self.lines.append(f"{'  ' * self.depth}<ceb:{name}{attributes}>")
        self.depth += 1

    def close(self, name: str) -> None:
        self.depth -= 1
        self.lines.append(f"{'  ' * self.depth}</ceb:{name}>")

    def fields(self, pairs: Iterable[tuple[str, Value]]) -> None:
        indent = "  " * self.depth
        for name, value in pairs:
            text = _text(value)
            if text is not None:
                self.lines.append(f"{indent}<ceb:{name}>{escape(text)}</ceb:{name}>")

    def bytes(self) -> bytes:
        return ("\n".join(self.lines) + "\n").encode("utf-8")


def _root(writer: _Writer, name: str, guid: str) -> None:
    attributes = (
        f" guid={quoteattr(guid)} version={quoteattr(VERSION)}"
        f" xmlns:ceb={quoteattr(NAMESPACE)} xmlns:xsi={quoteattr(XSI)}"
    )
    writer.open(name, attributes)


def _declared(declaration: Declaration) -> list[tuple[str, Value]]:
    return [
        ("guid", declaration.guid or new_guid()),
        ("appType", declaration.app_type),
        ("appTime", app_time_text(declaration.app_time)),
        ("appStatus", declaration.app_status),
    ]


def _transfer(writer: _Writer, transfer: Transfer) -> None:
    writer.open("BaseTransfer")
    writer.fields(
        [
            ("copCode", transfer.cop_code),
            ("copName", transfer.cop_name),
            ("dxpMode", transfer.dxp_mode),
            ("dxpId", transfer.dxp_id),
            ("note", transfer.note),
        ]
    )
    writer.close("BaseTransfer")


def _message_guid(guid: str) -> str:
    if guid and not valid_guid(guid):
        raise ValueError(f"message guid {guid!r} is not 36 upper-case characters")
    return guid or new_guid()


# -- CEB311: import order -------------------------------------------------------------------


def _buyer_fields(buyer: Buyer) -> list[tuple[str, Value]]:
    return [
        ("buyerRegNo", buyer.reg_no),
        ("buyerName", buyer.name),
        ("buyerTelephone", buyer.telephone),
        ("buyerIdType", buyer.id_type),
        ("buyerIdNumber", buyer.id_number),
    ]


def _order_line(line: OrderLine, currency: str) -> list[tuple[str, Value]]:
    return [
        ("gnum", line.gnum),
        ("itemNo", line.item_no),
        ("itemName", line.item_name),
        ("gmodel", line.gmodel),
        ("itemDescribe", line.item_describe),
        ("barCode", line.bar_code),
        ("unit", line.unit),
        ("qty", line.qty),
        ("price", line.price),
        ("totalPrice", line.total_price),
        ("currency", currency),  # a line is in its order's currency
        ("country", line.country),
    ]


def order_message(
    orders: Sequence[tuple[ImportOrder, Declaration]],
    transfer: Transfer,
    guid: str = "",
) -> bytes:
    """One CEB311Message carrying one or more orders, each with its own declaration."""
    if not orders:
        raise ValueError("a CEB311 message carries at least one order")
    writer = _Writer()
    _root(writer, "CEB311Message", _message_guid(guid))
    for order, declaration in orders:
        writer.open("Order")
        writer.open("OrderHead")
        writer.fields(_declared(declaration))
        writer.fields(
            [
                ("orderType", order.order_type),
                ("orderNo", order.order_no),
                ("ebpCode", order.platform.code),
                ("ebpName", order.platform.name),
                ("ebcCode", order.ecommerce.code),
                ("ebcName", order.ecommerce.name),
                ("goodsValue", order.goods_value),
                ("freight", order.freight),
                ("discount", order.discount),
                ("taxTotal", order.tax_total),
                ("acturalPaid", order.actural_paid),
                ("currency", order.currency),
            ]
        )
        writer.fields(_buyer_fields(order.buyer))
        writer.fields(
            [
                ("payCode", order.pay_company.code),
                ("payName", order.pay_company.name),
                ("payTransactionId", order.pay_transaction_id),
                ("batchNumbers", order.batch_numbers),
                ("consignee", order.consignee),
                ("consigneeTelephone", order.consignee_telephone),
                ("consigneeAddress", order.consignee_address),
                ("consigneeDistrict", order.consignee_district),
                ("note", order.note),
            ]
        )
        writer.close("OrderHead")
        for line in order.lines:
            writer.open("OrderList")
            writer.fields(_order_line(line, order.currency))
            writer.close("OrderList")
        writer.close("Order")
    _transfer(writer, transfer)
    writer.close("CEB311Message")
    return writer.bytes()


# -- CEB621: import inventory list ----------------------------------------------------------


def _inventory_head(invt: InventoryList) -> list[tuple[str, Value]]:
    area = invt.area
    return [
        ("orderNo", invt.order_no),
        ("ebpCode", invt.platform.code),
        ("ebpName", invt.platform.name),
        ("ebcCode", invt.ecommerce.code),
        ("ebcName", invt.ecommerce.name),
        ("logisticsNo", invt.logistics_no),
        ("logisticsCode", invt.logistics.code),
        ("logisticsName", invt.logistics.name),
        ("copNo", invt.cop_no),
        ("preNo", invt.pre_no),
        ("assureCode", invt.assure.code),
        ("emsNo", invt.ems_no),
        ("invtNo", invt.invt_no),
        ("ieFlag", invt.ie_flag),
        ("declTime", date_text(invt.decl_date)),
        ("customsCode", invt.customs_code),
        ("portCode", invt.port_code),
        ("ieDate", date_text(invt.ie_date) if invt.ie_date else None),
        ("buyerIdType", invt.buyer.id_type),
        ("buyerIdNumber", invt.buyer.id_number),
        ("buyerName", invt.buyer.name),
        ("buyerTelephone", invt.buyer.telephone),
        ("consigneeAddress", invt.consignee_address),
        ("agentCode", invt.agent.code),
        ("agentName", invt.agent.name),
        ("areaCode", area.code if area else None),
        ("areaName", area.name if area else None),
        ("tradeMode", invt.trade_mode),
        ("trafMode", invt.traf_mode),
        ("country", invt.country),
        ("freight", invt.freight),
        ("insuredFee", invt.insured_fee),
        ("currency", invt.currency),
        ("wrapType", invt.wrap_type),
        ("packNo", invt.pack_no),
        ("grossWeight", kg_text(invt.gross_weight_g)),
        ("netWeight", kg_text(invt.net_weight_g)),
        ("note", invt.note),
    ]


def _inventory_line(line: InventoryLine, currency: str) -> list[tuple[str, Value]]:
    return [
        ("gnum", line.gnum),
        ("itemRecordNo", line.item_record_no),
        ("itemNo", line.item_no),
        ("itemName", line.item_name),
        ("gcode", line.gcode),
        ("gname", line.gname),
        ("gmodel", line.gmodel),
        ("barCode", line.bar_code),
        ("country", line.country),
        ("currency", currency),
        ("qty", line.qty),
        ("unit", line.unit),
        ("qty1", line.qty1),
        ("unit1", line.unit1),
        ("qty2", line.qty2),
        ("unit2", line.unit2),
        ("price", line.price),
        ("totalPrice", line.total_price),
        ("note", line.note),
    ]


def inventory_message(
    lists: Sequence[tuple[InventoryList, Declaration]],
    transfer: Transfer,
    guid: str = "",
) -> bytes:
    """One CEB621Message carrying one or more inventory lists.  The taxes are not part of
    the declaration: customs computes its own and answers with the tax bill."""
    if not lists:
        raise ValueError("a CEB621 message carries at least one inventory list")
    writer = _Writer()
    _root(writer, "CEB621Message", _message_guid(guid))
    for invt, declaration in lists:
        writer.open("Inventory")
        writer.open("InventoryHead")
        writer.fields(_declared(declaration))
        writer.fields(_inventory_head(invt))
        writer.close("InventoryHead")
        for line in invt.lines:
            writer.open("InventoryList")
            writer.fields(_inventory_line(line, invt.currency))
            writer.close("InventoryList")
        writer.close("Inventory")
    _transfer(writer, transfer)
    writer.close("CEB621Message")
    return writer.bytes()
