"""Declarations as records: tax and limits, the three-order match, clearance and the
quota, rejection and re-declaration, withdrawal on cancellation, credit on returns."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tests import factories as f
from tests.integration.outbound import support as o
from wms.db import Database
from wms.models import CustomsDeclaration, CustomsStatus, OrderStatus, QuotaEntry
from wms.services import cancellation, declarations, order_customs, orders
from wms.services.errors import Conflict, InvalidInput


def planned(db: Database, *lines: tuple[str, int], **kwargs: object) -> int:
    order_id = o.receive_order(db, *lines, **kwargs)
    o.advance(db, order_id, "allocated", "planned")
    return order_id


def declare(db: Database, order_id: int) -> CustomsDeclaration:
    with db.transaction() as s:
        d = declarations.declare_order(s, order_id, actor="broker")
        s.flush()
        s.expunge(d)
        return d


def quota_rows(db: Database) -> list[tuple[str, str, Decimal]]:
    with db.reading() as s:
        return [
            (r.kind, r.reference, r.amount.quantize(Decimal("0.01")))
            for r in s.scalars(select(QuotaEntry).order_by(QuotaEntry.id))
        ]


def test_declaring_computes_the_tax_and_submits_the_list(ready):
    order_id = planned(ready, (f.MILK.sku, 2))
    d = declare(ready, order_id)
    # goods 2 x 199.00 + freight 10.00 = 408.00 dutiable; 9.1% (13% VAT x 70%)
    assert (d.status, d.kind.value, d.full_tax) == (CustomsStatus.SUBMITTED, "import_list", False)
    assert (d.value_cny, d.vat, d.tariff, d.consumption_tax) == (
        Decimal("408.00"), Decimal("37.13"), Decimal("0.00"), Decimal("0.00"),
    )  # fmt: skip
    assert d.tax_total == Decimal("37.13")
    with ready.reading() as s:
        order = orders.order_by_id(s, order_id)
        assert (order.status, order.declaration_ref) == (OrderStatus.DECLARED, d.number)
        view = declarations.declaration_view(s, declarations.declaration_by_number(s, d.number))
    assert [e["status"] for e in view["events"]] == ["draft", "submitted"]
    assert view["consignee_id"] == "110105********002X"


def test_every_mismatch_of_order_payment_and_waybill_is_reported_at_once(ready):
    data = o.order_input((f.MILK.sku, 1))
    wrong = orders.PaymentInput(
        payment_number=data.payment.payment_number,
        payer_name="李四",  # not the consignee, and the identity is not verified
        amount=Decimal("100.00"),  # not goods + freight + tax
        paid_at=data.payment.paid_at,
        payer_id_number=o.resident_id(7),
    )
    with ready.transaction() as s:
        order_id = orders.receive_order(
            s, orders.OrderInput(**{**data.__dict__, "payment": wrong}), actor="api"
        ).order.id
    o.advance(ready, order_id, "allocated", "planned")
    with pytest.raises(InvalidInput) as caught:
        declare(ready, order_id)
    fields = {m["field"] for m in caught.value.details["mismatches"]}
    assert "payment.amount" in fields
    assert any(field.startswith("payment.payer") for field in fields), fields
    with ready.reading() as s:
        assert orders.order_by_id(s, order_id).status is OrderStatus.PLANNED
        assert s.scalar(select(func.count(CustomsDeclaration.id))) == 0


def test_over_the_transaction_limit_one_item_is_taxed_in_full_and_two_are_refused(ready):
    single = planned(ready, (f.MILK.sku, 1), unit_price=Decimal("5200.00"))
    with ready.transaction() as s:  # the consumer pays the full tax: fix the payment first
        order = orders.order_by_id(s, single)
        order.paid_amount = Decimal("99999.00")
    with pytest.raises(InvalidInput) as caught:
        declare(ready, single)
    mismatch = caught.value.details["mismatches"][0]["message"]
    expected_tax = Decimal(mismatch.split("tax ")[1].split(" ")[0])
    with ready.transaction() as s:
        order = orders.order_by_id(s, single)
        order.paid_amount = Decimal("5210.00") + expected_tax
    d = declare(ready, single)
    assert d.full_tax and d.tariff > 0 and d.tax_total == expected_tax
    two = planned(ready, (f.MILK.sku, 2), unit_price=Decimal("2600.00"))
    with pytest.raises(Conflict, match="cross-border retail"):
        declare(ready, two)


def test_clearing_debits_the_quota_and_a_full_year_refuses_more(ready):
    first = planned(ready, (f.MILK.sku, 1), unit_price=Decimal("4990.00"))
    declare(ready, first)
    o.advance(ready, first, "cleared")
    rows = quota_rows(ready)
    assert rows == [("debit", f"CL{first:010d}-1", Decimal("5000.00"))]
    # Four more clear the same consignee up to 25,000; the sixth list would pass 26,000.
    for _ in range(4):
        more = planned(ready, (f.MILK.sku, 1), unit_price=Decimal("4990.00"))
        declare(ready, more)
        o.advance(ready, more, "cleared")
    last = planned(ready, (f.MILK.sku, 1), unit_price=Decimal("1990.00"))
    with pytest.raises(Conflict, match="annual") as caught:
        declare(ready, last)
    assert caught.value.field == "order_id"


def test_rejection_then_correction_and_a_second_list(ready):
    order_id = planned(ready, (f.SERUM.sku, 1))
    declare(ready, order_id)
    with ready.transaction() as s:
        order_customs.reject(s, order_id, reason="consignee address incomplete", actor="customs")
    second = declare(ready, order_id)
    assert second.number == f"CL{order_id:010d}-2"
    with ready.reading() as s:
        statuses = s.scalars(
            select(CustomsDeclaration.status).order_by(CustomsDeclaration.id)
        ).all()
        assert statuses == [CustomsStatus.REJECTED, CustomsStatus.SUBMITTED]
        assert orders.order_by_id(s, order_id).customs_note == "consignee address incomplete"


def test_a_decision_needs_a_submitted_list_and_a_reason_to_reject(ready):
    order_id = planned(ready, (f.SERUM.sku, 1))
    d = declare(ready, order_id)
    with pytest.raises(InvalidInput, match="why") as caught, ready.transaction() as s:
        declarations.decide(
            s, declarations.Decision(d.number, CustomsStatus.REJECTED, "customs", "api", " ")
        )
    assert caught.value.field == "reason"
    o.advance(ready, order_id, "cleared")
    with pytest.raises(Conflict, match="only a submitted list"), ready.transaction() as s:
        declarations.decide(
            s, declarations.Decision(d.number, CustomsStatus.CLEARED, "customs", "api")
        )
    assert len(quota_rows(ready)) == 1  # a repeated clearance debits nothing twice


def test_cancelling_a_cleared_order_withdraws_its_list_and_gives_the_quota_back(ready):
    order_id = planned(ready, (f.MILK.sku, 1))
    declare(ready, order_id)
    o.advance(ready, order_id, "cleared")
    with ready.transaction() as s:
        result = cancellation.cancel(
            s, order_id, reason="buyer cancelled", actor="desk", idempotency_key="c-1"
        )
    assert result["status"] == "cancelled"
    with ready.reading() as s:
        assert s.scalar(select(CustomsDeclaration.status)) is CustomsStatus.CANCELLED
    debit, credit = quota_rows(ready)
    assert credit == ("credit", f"CL{order_id:010d}-1-W", debit[2])


def test_a_timely_return_credits_the_quota_for_the_goods_that_came_back(ready):
    from tests.integration.outbound.test_releases import batch, close, gate, load
    from tests.integration.outbound.test_returns import apply, receive

    order_id = o.receive_order(ready, (f.MILK.sku, 2))
    number = batch(ready)
    load(ready, number, o.labelled_parcel(ready, order_id))
    close(ready, number)
    gate(ready, number, key="g-ret")
    ret = apply(ready, order_id, (f.MILK.sku, 1), days=3)
    result = receive(ready, ret, days=10)
    # Half the goods came back: half the dutiable value and half the tax.
    assert result["customs"]["quota_credit"] == "204.0000"
    assert result["customs"]["tax_cancelled"] == "18.5700"  # money as stored: 4 places
    assert quota_rows(ready)[-1] == ("credit", ret, Decimal("204.00"))
