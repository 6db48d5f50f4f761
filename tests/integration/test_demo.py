"""The demo load: built through the services, consistent with itself, and loaded only once."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from customs.hs import check_hs_code
from labels.gs1 import is_valid_gtin
from wms import demo
from wms.db import Database
from wms.models import (
    DeclarationStatus,
    EntryDeclaration,
    Location,
    LocationKind,
    Lot,
    Move,
    Product,
    Quant,
    StockOperation,
)
from wms.services import account_book, catalog, inbound, stock

NUMBERS = ("221820261000412687", "221820261000436015")
# 5,250 declared less 24 short on the first declaration; 3,070 declared plus 20 over on the second.
UNITS_RECEIVED = 5226 + 3090  # into the bonded zone, under the two declarations
UNITS_ON_HAND = UNITS_RECEIVED + sum(qty for _sku, _lot, qty, _expiry in demo.DUTY_PAID)


def counts(db: Database) -> dict[str, int]:
    with db.reading() as s:
        return {
            model.__name__: s.scalar(select(func.count()).select_from(model))
            for model in (Move, StockOperation, Quant, Lot, Product, Location, EntryDeclaration)
        }


def test_the_catalogue_has_fifty_products_with_valid_identifiers(db: Database):
    demo.load(db)
    with db.reading() as s:
        products = s.scalars(select(Product)).all()
        s.expunge_all()  # plain values from here on: the read session rolls back
    assert len(products) >= 50
    gtins = [p.gtin for p in products]
    assert all(g is not None and len(g) == 13 and is_valid_gtin(g) for g in gtins)
    assert len(set(gtins)) == len(gtins)
    assert all(check_hs_code(p.hs_code) is None for p in products)
    assert all(p.gross_weight_g > p.net_weight_g > 0 for p in products)
    assert {p.tax_category for p in products} == {
        "general",
        "cosmetics",
        "premium_cosmetics",
        "watches",
        "alcohol",
        "jewellery",
    }
    assert any(p.has_battery for p in products) and any(p.is_liquid for p in products)
    by_sku = {p.sku: p for p in products}
    assert by_sku["NZ-KP-A2-S1-900"].hs_code == "1901101000"
    assert by_sku["NZ-KP-A2-S1-900"].gtin.startswith("94")
    assert by_sku["US-GM-D3-240"].gtin.startswith("0")  # a UPC-A padded to 13 digits


def test_both_declarations_are_received_closed_and_reconciled(db: Database):
    messages: list[str] = []
    demo.load(db, progress=messages.append)
    assert "products: 50" in messages
    assert any(m.startswith(f"declaration {NUMBERS[1]} received") for m in messages)

    with db.reading() as s:
        summaries = [inbound.declaration_summary(s, n) for n in NUMBERS]
        book = account_book.account_book(s)
        mismatches = account_book.reconcile(s)
        lots = s.scalars(select(Lot)).all()
        s.expunge_all()
    assert [x["status"] for x in summaries] == ["closed", "closed"]
    assert [len(x["lines"]) for x in summaries] == [25, 22]
    assert all(line["received_quantity"] > 0 for x in summaries for line in x["lines"])
    discrepancies = {
        (line["sku"], line["discrepancy"]["kind"], line["discrepancy"]["quantity"])
        for x in summaries
        for line in x["lines"]
        if line["discrepancy"]
    }
    assert discrepancies == {("AU-SC-FISHOIL-400", "short", 24), ("KR-JG-MASK-10", "over", 20)}

    assert mismatches == []
    assert len(book) == 47
    assert all(row.received > 0 and row.balance == row.received for row in book)
    assert sum(row.received for row in book) == UNITS_RECEIVED
    assert [(r.sku, r.declared, r.received) for r in book if r.sku == "KR-JG-MASK-10"] == [
        ("KR-JG-MASK-10", 400, 420)
    ]
    # Perishable lots carry an expiry well after arrival; durable goods carry none.
    expiries = [lot.expiry_date for lot in lots if lot.expiry_date is not None]
    assert len(expiries) > 30
    assert min(expiries) > date(2027, 11, 30)
    assert len(lots) > len(book)  # several lines arrived in more than one lot


def test_everything_is_put_away_from_the_dock_into_bins_by_zone(db: Database):
    demo.load(db)
    with db.reading() as s:
        dock = catalog.location_by_barcode(s, demo.DOCK_BARCODE)
        assert stock.total_on_hand(s, stock.StockFilter(location_id=dock.id)) == 0
        rows = stock.on_hand(s, stock.StockFilter())
        places = {loc.id: loc for loc in s.scalars(select(Location))}
        s.expunge_all()
        tax = dict(s.execute(select(Product.sku, Product.tax_category)).all())
    duty_paid = [r for r in rows if not r.is_bonded]
    # Duty-paid stock for the domestic and export sample orders sits in zone D.
    assert sorted((r.sku, r.quantity) for r in duty_paid) == sorted(
        (sku, qty) for sku, _lot, qty, _expiry in demo.DUTY_PAID
    )
    assert {places[r.location_id].code[0] for r in duty_paid} == {"D"}
    rows = [r for r in rows if r.is_bonded]
    assert sum(r.quantity for r in rows) == UNITS_RECEIVED
    on_loan = [r for r in rows if places[r.location_id].kind is LocationKind.SHOWROOM]
    # The demo's display loan: two of each of its products at the first showroom.
    assert sorted((r.sku, r.quantity, r.location) for r in on_loan) == [
        (sku, 2, f"{demo.WAREHOUSE_CODE}-{demo.SHOWROOMS[0][0]}") for sku in sorted(demo.LOAN_SKUS)
    ]
    rows = [r for r in rows if r not in on_loan]
    assert {places[r.location_id].kind for r in rows} == {LocationKind.BIN}
    assert all(r.is_bonded for r in rows)
    zone_of = {r.location_id: places[r.location_id].code[0] for r in rows}
    assert set(zone_of.values()) == {"A", "B", "C", "Q"}
    for row in rows:
        zone = zone_of[row.location_id]
        if zone == "Q":
            assert (row.sku, row.quantity, row.is_sellable) == ("FR-CB-BDXSUP-19", 6, False)
        elif tax[row.sku] in ("cosmetics", "premium_cosmetics"):
            assert zone == "C", row
        elif tax[row.sku] in ("watches", "jewellery"):
            assert zone == "B", row
        else:
            assert zone in ("A", "B"), row
    assert len({r.location_id for r in rows}) > 20  # spread over the bins, not piled in one


def test_a_second_load_writes_nothing(db: Database):
    first = demo.load(db)
    before = counts(db)
    messages: list[str] = []
    second = demo.load(db, progress=messages.append)
    assert counts(db) == before
    assert before["Move"] == before["StockOperation"] > 100
    assert messages == []
    assert first.startswith("Demo data loaded.")
    assert second.startswith("Demo data already loaded; nothing written.")
    assert f"moves: {before['Move']}" in second


def test_an_interrupted_load_is_finished_by_the_next_one(db: Database):
    def stop_after_first_receiving(message: str) -> None:
        if " received: " in message:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        demo.load(db, progress=stop_after_first_receiving)
    with db.reading() as s:
        first = inbound.declaration_by_number(s, NUMBERS[0])
        assert first.status is DeclarationStatus.OPEN

    summary = demo.load(db)
    assert summary.startswith("Interrupted demo load finished.")
    with db.reading() as s:
        assert account_book.reconcile(s) == []
        statuses = s.scalars(select(EntryDeclaration.status)).all()
        assert stock.total_on_hand(s, stock.StockFilter()) == UNITS_ON_HAND
    assert statuses == [DeclarationStatus.CLOSED] * 2
    assert f"units on hand: {UNITS_ON_HAND}" in summary
    assert demo.load(db).startswith("Demo data already loaded")


def test_a_foreign_warehouse_with_the_demo_code_is_left_alone(db: Database):
    with db.transaction() as s:
        catalog.create_warehouse(s, catalog.WarehouseInput(demo.WAREHOUSE_CODE, "Someone's"))
    before = counts(db)
    assert "not created by the demo" in demo.load(db)
    assert counts(db) == before


def test_the_cli_loads_once_and_prints_the_summary(app):
    runner = app.test_cli_runner()
    try:
        result = runner.invoke(args=["demo", "load"])
        again = runner.invoke(args=["demo", "load"])
    finally:
        # The app owns a second engine; close its pooled connections before they are
        # garbage-collected (psycopg warns about connections deleted while open).
        app.extensions["wms.db"].dispose()
    assert result.exit_code == 0, result.output
    assert "products: 50\n" in result.output
    assert "Demo data loaded.\nwarehouses: 1\n" in result.output
    assert f"units on hand: {UNITS_ON_HAND}" in result.output
    assert again.exit_code == 0, again.output
    assert again.output.startswith("Demo data already loaded; nothing written.")
