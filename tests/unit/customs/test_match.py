"""The three-order match: order, payment and waybill agree, or every mismatch is named."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

from customs.identity import id_check_character
from customs.match import Mismatch, OrderFacts, PaymentFacts, WaybillFacts, match_orders

D = Decimal
ON = date(2026, 3, 1)
ZHANG_ID = "11010519491231002X"
LI_ID = "31010419900307123" + id_check_character("31010419900307123")

ORDER = OrderFacts(
    order_number="TM20260301000123",
    goods_value=D("850.00"),
    freight=D("10.00"),
    tax=D("159.40"),
    currency="CNY",
    payment_number="ALI2026030122001400",
    waybill_number="SF1400012345678",
    consignee_name="张伟",
    consignee_id=ZHANG_ID,
    discount=D("20.00"),
    insurance=D("1.00"),
)
PAYMENT = PaymentFacts(
    order_number="TM20260301000123",
    payment_number="ALI2026030122001400",
    amount=D("999.40"),  # 850 + 10 + 159.40 - 20; insurance is not paid by the buyer
    payer_name="张伟",
    payer_id=ZHANG_ID,
    currency="CNY",
)
WAYBILL = WaybillFacts(
    order_number="TM20260301000123",
    waybill_number="SF1400012345678",
    consignee_name="张伟",
)


def fields(mismatches: tuple[Mismatch, ...]) -> list[str]:
    return [m.field for m in mismatches]


def test_a_matching_trio_has_no_mismatch():
    assert ORDER.paid == D("999.40")
    assert match_orders(ORDER, PAYMENT, WAYBILL, on=ON, expected_tax=D("159.40")) == ()
    assert (
        match_orders(
            replace(ORDER, actual_paid=D("999.40")),
            replace(PAYMENT, order_number=" TM20260301000123 ", payer_id=ZHANG_ID.lower()),
            replace(WAYBILL, consignee_id=ZHANG_ID),
            on=ON,
            assigned_waybill_number="SF1400012345678",
        )
        == ()
    )


def test_every_mismatch_is_reported_at_once():
    payment = PaymentFacts(
        order_number="TM20260301000999",
        payment_number="ALI-OTHER",
        amount=D("1000.00"),
        payer_name="李娜",
        payer_id=LI_ID,
        currency="USD",
    )
    waybill = WaybillFacts(
        order_number="TM20260301000998",
        waybill_number="SF1400099999999",
        consignee_name="王芳",
        consignee_id=LI_ID,
    )
    mismatches = match_orders(
        replace(ORDER, actual_paid=D("999.00")),
        payment,
        waybill,
        on=ON,
        expected_tax=D("150.00"),
        assigned_waybill_number="SF1400000000001",
    )
    assert fields(mismatches) == [
        "payment.order_number",
        "waybill.order_number",
        "payment.payment_number",
        "waybill.waybill_number",
        "order.waybill_number",
        "order.actual_paid",
        "payment.amount",
        "order.tax",
        "payment.currency",
        "waybill.consignee_name",
        "waybill.consignee_id",
        "payment.payer_id",
        "payment.payer_name",
    ]
    by_field = {m.field: m.message for m in mismatches}
    assert (
        "'TM20260301000999' is not the order's 'TM20260301000123'"
        in by_field["payment.order_number"]
    )
    assert "the order states 999.00 paid, but goods 850.00" in by_field["order.actual_paid"]
    assert by_field["payment.amount"] == "paid 1000.00, but the order's actual paid is 999.00"
    assert "not the computed 150.00" in by_field["order.tax"]
    assert "the payer must be the orderer" in by_field["payment.payer_id"]


def test_the_payment_must_equal_goods_plus_freight_plus_tax_less_discount():
    mismatches = match_orders(ORDER, replace(PAYMENT, amount=D("1000.40")), WAYBILL, on=ON)
    assert mismatches == (
        Mismatch(
            "payment.amount",
            "paid 1000.40, but goods 850.00 + freight 10.00 + tax 159.40 - discount 20.00 = 999.40",
        ),
    )


def test_a_verified_identity_lets_someone_else_pay():
    spouse_pays = replace(PAYMENT, payer_name="李娜", payer_id=LI_ID)
    assert fields(match_orders(ORDER, spouse_pays, WAYBILL, on=ON)) == [
        "payment.payer_id",
        "payment.payer_name",
    ]
    verified = replace(ORDER, identity_verified=True)
    assert match_orders(verified, spouse_pays, WAYBILL, on=ON) == ()


def test_the_orderer_when_named_must_be_the_payer():
    # The orderer buys for a consignee: the orderer pays, not the consignee.
    gift = replace(ORDER, orderer_name="李娜", orderer_id=LI_ID)
    assert match_orders(gift, PAYMENT, WAYBILL, on=ON) != ()
    assert (
        match_orders(gift, replace(PAYMENT, payer_name="李娜", payer_id=LI_ID), WAYBILL, on=ON)
        == ()
    )


def test_invalid_id_numbers_are_named():
    bad = "110105194912310021"  # check character should be X
    mismatches = match_orders(
        replace(ORDER, consignee_id=bad, identity_verified=True),
        replace(PAYMENT, payer_id="12345"),
        WAYBILL,
        on=ON,
    )
    assert fields(mismatches) == ["order.consignee_id", "payment.payer_id"]
    assert "ISO 7064 MOD 11-2 gives X" in mismatches[0].message
    assert "18 characters" in mismatches[1].message


def test_negative_amounts_are_named_and_no_sum_is_attempted():
    mismatches = match_orders(replace(ORDER, freight=D("-10.00")), PAYMENT, WAYBILL, on=ON)
    assert mismatches == (Mismatch("order.freight", "-10.00 must be zero or more"),)


def test_names_compare_without_width_case_or_spacing_differences():
    latin = replace(ORDER, consignee_name="Li  Na")
    assert match_orders(latin, replace(PAYMENT, payer_name="LI NA"),
                        replace(WAYBILL, consignee_name="li na"), on=ON) == ()  # fmt: skip
