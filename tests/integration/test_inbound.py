"""Receiving against entry declarations and putting away."""

from __future__ import annotations

import pytest

from tests import factories as f
from wms.db import Database
from wms.services import account_book, inbound, stock
from wms.services.errors import Conflict, InvalidInput, NotFound, OverReceipt


@pytest.fixture
def warehouse(db: Database) -> Database:
    f.build_warehouse(db)
    f.declare(db, "ED-1", (f.MILK.sku, 100), (f.SERUM.sku, 40))
    return db


def summary(db: Database, number: str = "ED-1") -> dict:
    with db.reading() as s:
        return inbound.declaration_summary(s, number)


def test_receiving_by_gtin_lands_on_the_dock_and_counts_against_the_line(warehouse: Database):
    result = f.receive(warehouse, "ED-1", f.MILK.gtin, "L-2411", 60)
    assert result["line_no"] == 1
    assert result["received_quantity"] == 60
    assert result["outstanding_quantity"] == 40
    with warehouse.reading() as s:
        rows = stock.on_hand(s, stock.StockFilter())
    assert [(r.sku, r.location, r.quantity) for r in rows] == [(f.MILK.sku, f.DOCK, 60)]
    assert summary(warehouse)["lines"][0]["status"] == "partial"


def test_over_receipt_is_refused_until_confirmed_and_then_recorded(warehouse: Database):
    f.receive(warehouse, "ED-1", f.SERUM.sku, "S1", 40)
    with pytest.raises(OverReceipt) as refused:
        f.receive(warehouse, "ED-1", f.SERUM.sku, "S1", 5)
    assert refused.value.field == "quantity"
    assert summary(warehouse)["lines"][1]["received_quantity"] == 40

    result = f.receive(warehouse, "ED-1", f.SERUM.sku, "S1", 5, accept_over=True)
    assert result["over_quantity"] == 5
    with warehouse.transaction() as s:
        inbound.close_declaration(s, "ED-1", actor="supervisor")
    lines = summary(warehouse)["lines"]
    assert lines[0]["status"] == "short"
    assert lines[0]["discrepancy"] == {"kind": "short", "quantity": 100}
    assert lines[1]["status"] == "over"
    assert lines[1]["discrepancy"] == {"kind": "over", "quantity": 5}


def test_a_closed_declaration_takes_no_more_goods(warehouse: Database):
    with warehouse.transaction() as s:
        inbound.close_declaration(s, "ED-1", actor="supervisor")
    with pytest.raises(Conflict):
        f.receive(warehouse, "ED-1", f.MILK.sku, "L1", 1)


def test_a_product_not_on_the_declaration_is_refused(warehouse: Database):
    f.declare(warehouse, "ED-2", (f.SERUM.sku, 5))
    with pytest.raises(NotFound) as refused:
        f.receive(warehouse, "ED-2", f.MILK.sku, "L1", 1)
    assert refused.value.field == "product_code"


def test_a_lot_keeps_its_expiry(warehouse: Database):
    from datetime import date

    f.receive(warehouse, "ED-1", f.MILK.sku, "L1", 10, expiry_date=date(2028, 1, 1))
    with pytest.raises(InvalidInput) as refused:
        f.receive(warehouse, "ED-1", f.MILK.sku, "L1", 10, expiry_date=date(2029, 1, 1))
    assert refused.value.field == "expiry_date"


def test_putaway_moves_stock_from_dock_to_bin_and_the_book_stays_reconciled(warehouse: Database):
    f.receive(warehouse, "ED-1", f.MILK.sku, "L1", 60)
    f.putaway(warehouse, f.MILK.sku, "L1", 45, to=f.BINS[1])
    with warehouse.reading() as s:
        rows = {r.location: r.quantity for r in stock.on_hand(s, stock.StockFilter())}
        book = account_book.account_book(s, "ED-1")
        assert account_book.reconcile(s) == []
    assert rows == {f.DOCK: 15, f.BINS[1]: 45}
    assert (book[0].received, book[0].balance) == (60, 60)


def test_putaway_into_a_duty_paid_bin_is_refused_as_a_release(warehouse: Database):
    f.receive(warehouse, "ED-1", f.MILK.sku, "L1", 5)
    with pytest.raises(InvalidInput) as refused:
        f.putaway(warehouse, f.MILK.sku, "L1", 5, to=f.DOMESTIC_BIN)
    assert refused.value.field == "to_barcode"


def test_putaway_of_more_than_is_on_the_dock_is_refused_and_writes_nothing(warehouse: Database):
    f.receive(warehouse, "ED-1", f.MILK.sku, "L1", 5)
    with pytest.raises(Exception) as refused:
        f.putaway(warehouse, f.MILK.sku, "L1", 6)
    assert refused.value.field == "lines[0].quantity"
    with warehouse.reading() as s:
        assert stock.total_on_hand(s, stock.StockFilter()) == 5
        assert stock.on_hand(s, stock.StockFilter(location_id=None))[0].location == f.DOCK


def test_one_lot_number_under_two_declarations_needs_saying_which(warehouse: Database):
    f.declare(warehouse, "ED-2", (f.MILK.sku, 50))
    f.receive(warehouse, "ED-1", f.MILK.sku, "L1", 10)
    f.receive(warehouse, "ED-2", f.MILK.sku, "L1", 20)
    with pytest.raises(InvalidInput) as refused:
        f.putaway(warehouse, f.MILK.sku, "L1", 15)
    assert refused.value.field == "declaration_number"

    with warehouse.transaction() as s:
        inbound.putaway(
            s,
            inbound.PutawayInput(
                f.MILK.sku, "L1", 15, f.DOCK, f.BINS[0], "p-ed2", "tester", "ED-2"
            ),
        )
    with warehouse.reading() as s:
        book = {
            r.declaration_number: r.balance
            for r in account_book.account_book(s)
            if r.sku == f.MILK.sku
        }
        rows = stock.on_hand(s, stock.StockFilter())
        assert account_book.reconcile(s) == []
    assert book == {"ED-1": 10, "ED-2": 20}
    assert sorted((r.location, r.quantity) for r in rows) == [
        (f.BINS[0], 15),
        (f.DOCK, 5),
        (f.DOCK, 10),
    ]
