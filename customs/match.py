"""The three-order match: before an inventory list is declared, customs checks that the
order (CEB311), the payment (CEB411) and the waybill (CEB511) agree.  This module does the
same check first, so a mismatch is fixed before customs rejects the list.

Checked, every mismatch reported at once, each naming the field at fault:

- the same order number on the payment and on the waybill;
- the payment's transaction id is the payment number on the order;
- the waybill number is the one on the order (and the one the planner assigned, if
  given);
- the amounts: none negative; paid = goods + freight + tax - discount (insurance is part
  of the dutiable value, not of the amount paid); the order's actual paid, when it states
  one, equals that; the payment equals the amount paid; the same currency; and the
  order's tax equals the computed tax, when one is given (customs.order_tax);
- the consignee on the waybill is the consignee on the order;
- identity (customs.identity): the consignee's, orderer's and payer's ID numbers are
  valid mainland resident IDs; where the identity is not verified the orderer (the
  consignee when the order names none) and the payer are the same person.

Public API:
    OrderFacts, PaymentFacts, WaybillFacts  (frozen dataclasses, below)
    Mismatch(field, message)
    match_orders(order, payment, waybill, *, on=None, expected_tax=None,
                 assigned_waybill_number=None) -> tuple[Mismatch, ...]   (empty: matched)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from customs.identity import Person, check_resident_id, normalize_id, normalize_name

_Report = Callable[[str, str], None]  # report(field, message)


@dataclass(frozen=True)
class OrderFacts:
    order_number: str
    goods_value: Decimal
    freight: Decimal
    tax: Decimal
    currency: str
    payment_number: str  # the payment transaction id the order records
    waybill_number: str
    consignee_name: str
    consignee_id: str
    discount: Decimal = Decimal(0)
    insurance: Decimal = Decimal(0)
    actual_paid: Decimal | None = None  # as the order states it, if it does
    orderer_name: str | None = None  # None: the consignee ordered
    orderer_id: str | None = None
    identity_verified: bool = False

    @property
    def orderer(self) -> Person:
        return Person(
            self.orderer_name or self.consignee_name, self.orderer_id or self.consignee_id
        )

    @property
    def paid(self) -> Decimal:
        """goods + freight + tax - discount."""
        return self.goods_value + self.freight + self.tax - self.discount


@dataclass(frozen=True)
class PaymentFacts:
    order_number: str
    payment_number: str  # the transaction id
    amount: Decimal
    payer_name: str
    payer_id: str
    currency: str | None = None  # None: not stated, not compared

    @property
    def payer(self) -> Person:
        return Person(self.payer_name, self.payer_id)


@dataclass(frozen=True)
class WaybillFacts:
    order_number: str
    waybill_number: str
    consignee_name: str
    consignee_id: str | None = None  # None: not on the waybill, not compared


@dataclass(frozen=True)
class Mismatch:
    field: str  # "payment.amount", "waybill.order_number", ...
    message: str


def match_orders(
    order: OrderFacts,
    payment: PaymentFacts,
    waybill: WaybillFacts,
    *,
    on: date | None = None,
    expected_tax: Decimal | None = None,
    assigned_waybill_number: str | None = None,
) -> tuple[Mismatch, ...]:
    """Every mismatch between the three, in a stable order; empty when they match.
    ``on`` (default today) bounds the plausible birth dates of the ID numbers."""
    found: list[Mismatch] = []

    def report(field: str, message: str) -> None:
        found.append(Mismatch(field, message))

    # Numbers that tie the three together.
    for field, number in (
        ("payment.order_number", payment.order_number),
        ("waybill.order_number", waybill.order_number),
    ):
        if number.strip() != order.order_number.strip():
            report(field, f"order number {number!r} is not the order's {order.order_number!r}")
    if payment.payment_number.strip() != order.payment_number.strip():
        report(
            "payment.payment_number",
            f"transaction id {payment.payment_number!r} is not the order's payment number "
            f"{order.payment_number!r}",
        )
    if waybill.waybill_number.strip() != order.waybill_number.strip():
        report(
            "waybill.waybill_number",
            f"waybill number {waybill.waybill_number!r} is not the order's "
            f"{order.waybill_number!r}",
        )
    if (
        assigned_waybill_number is not None
        and order.waybill_number.strip() != assigned_waybill_number.strip()
    ):
        report(
            "order.waybill_number",
            f"waybill number {order.waybill_number!r} is not the {assigned_waybill_number!r} "
            "the planner assigned",
        )

    # Amounts.
    amounts_valid = True
    for field, amount in (
        ("order.goods_value", order.goods_value),
        ("order.freight", order.freight),
        ("order.tax", order.tax),
        ("order.discount", order.discount),
        ("order.insurance", order.insurance),
        ("order.actual_paid", order.actual_paid),
        ("payment.amount", payment.amount),
    ):
        if amount is not None and (not amount.is_finite() or amount < 0):
            report(field, f"{amount} must be zero or more")
            amounts_valid = False
    if amounts_valid:
        _match_amounts(order, payment, expected_tax, report)
    if payment.currency is not None and payment.currency.upper() != order.currency.upper():
        report(
            "payment.currency",
            f"paid in {payment.currency}, but the order is in {order.currency}",
        )

    # Consignee and identity.
    if not same_name(waybill.consignee_name, order.consignee_name):
        report(
            "waybill.consignee_name",
            f"consignee {waybill.consignee_name!r} is not the order's {order.consignee_name!r}",
        )
    if waybill.consignee_id is not None and normalize_id(waybill.consignee_id) != normalize_id(
        order.consignee_id
    ):
        report("waybill.consignee_id", "the consignee's ID number is not the order's")
    _match_identity(order, payment, on, report)
    return tuple(found)


def same_name(a: str, b: str) -> bool:
    return normalize_name(a) == normalize_name(b)


def _match_amounts(
    order: OrderFacts,
    payment: PaymentFacts,
    expected_tax: Decimal | None,
    report: _Report,
) -> None:
    paid = order.paid
    formula = (
        f"goods {order.goods_value} + freight {order.freight} + tax {order.tax} "
        f"- discount {order.discount} = {paid}"
    )
    if order.actual_paid is not None and order.actual_paid != paid:
        report("order.actual_paid", f"the order states {order.actual_paid} paid, but {formula}")
    if order.actual_paid is None:
        if payment.amount != paid:
            report("payment.amount", f"paid {payment.amount}, but {formula}")
    elif payment.amount != order.actual_paid:
        report(
            "payment.amount",
            f"paid {payment.amount}, but the order's actual paid is {order.actual_paid}",
        )
    if expected_tax is not None and order.tax != expected_tax:
        report("order.tax", f"the order's tax {order.tax} is not the computed {expected_tax}")


def _match_identity(
    order: OrderFacts, payment: PaymentFacts, on: date | None, report: _Report
) -> None:
    checked = [("order.consignee_id", order.consignee_id)]
    if order.orderer_id is not None and normalize_id(order.orderer_id) != normalize_id(
        order.consignee_id
    ):
        checked.append(("order.orderer_id", order.orderer_id))
    checked.append(("payment.payer_id", payment.payer_id))
    for field, number in checked:
        if problem := check_resident_id(number, on):
            report(field, f"not a valid resident ID number: {problem}")
    if order.identity_verified:
        return
    orderer, payer = order.orderer, payment.payer
    unverified = "the identity is not verified, so the payer must be the orderer"
    if normalize_id(payer.id_number) != normalize_id(orderer.id_number):
        report("payment.payer_id", f"{unverified}: a different ID number")
    if not same_name(payer.name, orderer.name):
        report(
            "payment.payer_name",
            f"{unverified}: payer {payer.name!r} is not orderer {orderer.name!r}",
        )
