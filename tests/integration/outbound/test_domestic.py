"""Domestic duty-paid stock: received outside the bonded account, allocated only to
domestic and export orders, never to bonded imports."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from tests import factories as f
from tests.integration.outbound import support
from wms.db import Database
from wms.models import (
    Flow,
    Location,
    LocationKind,
    Lot,
    Move,
    MoveReason,
    OrderStatus,
    Reservation,
)
from wms.services import account_book, allocation, catalog, domestic, orders, stock
from wms.services.errors import IdempotencyKeyReused, InvalidInput, NotFound


@pytest.fixture
def wh(db: Database) -> Database:
    f.build_warehouse(db)
    support.channel(db)
    return db


def receipt(**changes: object) -> domestic.DutyPaidReceipt:
    data = domestic.DutyPaidReceipt(
        product_code=f.MILK.sku,
        lot_number="D1",
        quantity=30,
        bin_barcode=f.DOMESTIC_BIN,
        reference="IMP-2026-0042",
        idempotency_key=f.key("duty-paid"),
        actor="receiver",
        expiry_date=date(2028, 3, 31),
    )
    return replace(data, **changes)  # type: ignore[arg-type]


def receive(db: Database, data: domestic.DutyPaidReceipt) -> dict[str, object]:
    with db.transaction() as s:
        return domestic.receive_duty_paid(s, data)


def bonded_milk(db: Database, quantity: int = 20) -> None:
    f.declare(db, "ED-1", (f.MILK.sku, quantity))
    f.receive(db, "ED-1", f.MILK.sku, "L1", quantity)
    f.putaway(db, f.MILK.sku, "L1", quantity, to=f.BINS[0])


def domestic_order(db: Database, quantity: int, flow: Flow = Flow.DOMESTIC) -> int:
    """An order without consignee ID and without payment, as domestic channels send."""
    data = support.order_input((f.MILK.sku, quantity), flow=flow)
    data = replace(data, consignee=replace(data.consignee, id_type=None, id_number=None))
    with db.transaction() as s:
        return orders.receive_order(s, replace(data, payment=None), actor="api").order.id


def reserved_bins(db: Database, order_id: int) -> dict[str, int]:
    with db.transaction() as s:
        rows = s.execute(
            select(Location.barcode, Reservation.quantity)
            .join(Location, Location.id == Reservation.location_id)
            .where(Reservation.order_id == order_id)
        ).all()
    out: dict[str, int] = {}
    for barcode, quantity in rows:
        out[barcode] = out.get(barcode, 0) + quantity
    return out


def test_a_duty_paid_receipt_moves_stock_from_domestic_territory_into_the_bin(wh: Database):
    data = receipt()
    result = receive(wh, data)
    assert result["replayed"] is False
    assert (result["location"], result["quantity"], result["lot_number"]) == (
        f.DOMESTIC_BIN,
        30,
        "D1",
    )
    with wh.transaction() as s:
        lot = s.get(Lot, result["lot_id"])
        assert lot is not None and lot.entry_line_id is None
        assert lot.expiry_date == date(2028, 3, 31)
        [move] = s.scalars(select(Move)).all()
        warehouse_id = catalog.location_by_barcode(s, f.DOMESTIC_BIN).warehouse_id
        source = catalog.virtual_location(s, warehouse_id, LocationKind.DOMESTIC)
        assert (move.reason, move.from_location_id, move.document_ref) == (
            MoveReason.RECEIPT,
            source.id,
            "IMP-2026-0042",
        )
        rows = stock.on_hand(s, stock.StockFilter(product_id=lot.product_id))
        assert [(r.location, r.quantity) for r in rows] == [(f.DOMESTIC_BIN, 30)]
    # A retry posts nothing twice; the same key for another receipt is refused.
    assert receive(wh, data) == {**result, "replayed": True}
    with pytest.raises(IdempotencyKeyReused):
        receive(wh, replace(data, quantity=31))


def test_a_second_receipt_of_the_lot_adds_to_the_same_lot(wh: Database):
    first = receive(wh, receipt())
    second = receive(wh, receipt(quantity=5, expiry_date=None))
    assert first["lot_id"] == second["lot_id"]
    with pytest.raises(InvalidInput) as err:
        receive(wh, receipt(expiry_date=date(2029, 1, 1)))
    assert err.value.field == "expiry_date"


def test_the_account_book_is_untouched_by_duty_paid_stock(wh: Database):
    bonded_milk(wh)
    with wh.transaction() as s:
        book_before = [row.as_dict() for row in account_book.account_book(s)]
    receive(wh, receipt())
    with wh.transaction() as s:
        assert [row.as_dict() for row in account_book.account_book(s)] == book_before
        assert account_book.reconcile(s) == []


@pytest.mark.parametrize(
    ("changes", "field", "error"),
    [
        ({"bin_barcode": f.BINS[0]}, "bin_barcode", InvalidInput),  # bonded
        ({"bin_barcode": f.DOCK}, "bin_barcode", InvalidInput),
        ({"bin_barcode": "SHA1-NOPE"}, "bin_barcode", NotFound),
        ({"quantity": 0}, "quantity", InvalidInput),
        ({"reference": "  "}, "reference", InvalidInput),
        ({"lot_number": ""}, "lot_number", InvalidInput),
        ({"product_code": "NOPE"}, "product_code", NotFound),
        ({"production_date": date(2029, 1, 1)}, "expiry_date", InvalidInput),
    ],
)
def test_bad_receipts_are_refused_naming_the_field(
    wh: Database, changes: dict[str, object], field: str, error: type[Exception]
):
    with pytest.raises(error) as err:
        receive(wh, receipt(**changes))
    assert err.value.field == field  # type: ignore[attr-defined]
    with wh.transaction() as s:
        assert s.scalars(select(Move)).all() == []


def test_the_bonded_bin_refusal_says_why(wh: Database):
    with pytest.raises(InvalidInput, match="entry declaration"):
        receive(wh, receipt(bin_barcode=f.BINS[1]))


def test_a_domestic_order_without_id_or_payment_is_allocated_from_duty_paid_stock(wh: Database):
    bonded_milk(wh, 20)
    receive(wh, receipt(quantity=30))
    order_id = domestic_order(wh, 25)
    with wh.transaction() as s:
        outcome = allocation.allocate(s, order_id, actor="planner")
        assert outcome.status == OrderStatus.ALLOCATED.value
        order = orders.order_by_id(s, order_id)
        assert order.consignee_id_sealed is None and order.payment_number is None
    assert reserved_bins(wh, order_id) == {f.DOMESTIC_BIN: 25}


def test_a_domestic_order_never_takes_bonded_stock(wh: Database):
    bonded_milk(wh, 20)
    receive(wh, receipt(quantity=5))
    order_id = domestic_order(wh, 10)
    with wh.transaction() as s:
        outcome = allocation.allocate_orders(s, [order_id], actor="planner")[0]
    assert outcome.status == OrderStatus.ON_HOLD.value
    assert outcome.missing[0]["available"] == 5
    assert reserved_bins(wh, order_id) == {}


def test_an_export_order_is_allocated_from_duty_paid_stock(wh: Database):
    bonded_milk(wh, 20)
    receive(wh, receipt(quantity=30))
    order_id = domestic_order(wh, 3, flow=Flow.EXPORT)
    with wh.transaction() as s:
        allocation.allocate(s, order_id, actor="planner")
    assert reserved_bins(wh, order_id) == {f.DOMESTIC_BIN: 3}


def test_a_bonded_import_order_never_takes_duty_paid_stock(wh: Database):
    bonded_milk(wh, 20)
    receive(wh, receipt(quantity=30))
    small = support.receive_order(wh, (f.MILK.sku, 15))
    big = support.receive_order(wh, (f.MILK.sku, 10))
    with wh.transaction() as s:
        first, second = allocation.allocate_orders(s, [small, big], actor="planner")
    assert first.status == OrderStatus.ALLOCATED.value
    assert reserved_bins(wh, small) == {f.BINS[0]: 15}
    # 5 bonded units left and 30 duty-paid ones: the bonded order still waits.
    assert second.status == OrderStatus.ON_HOLD.value
    assert second.missing[0]["available"] == 5
    assert reserved_bins(wh, big) == {}
