"""A display loan's life, checked at every step against the ledger, the account book,
the guarantee and the notices, with a clock the test controls."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from sqlalchemy import select

from customs.exchange import ExchangeRates
from tests import factories as f
from wms.db import Database
from wms.models import ItemCondition, LoanStatus, Location, MoveReason, Notice
from wms.services import account_book, ledger, loan_queries, loans, stock
from wms.services.errors import Conflict, InvalidInput
from wms.services.ledger import MoveLine

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
DUE = date(2026, 12, 20)


@pytest.fixture
def warehouse(db: Database) -> Database:
    f.build_warehouse(db)
    f.declare(db, "ED-1", (f.MILK.sku, 100), (f.SERUM.sku, 40))
    f.receive(db, "ED-1", f.MILK.sku, "L1", 100)
    f.receive(db, "ED-1", f.SERUM.sku, "S1", 40)
    f.putaway(db, f.MILK.sku, "L1", 100, to=f.BINS[0])
    f.putaway(db, f.SERUM.sku, "S1", 40, to=f.BINS[1])
    return db


def unit_guarantee_general(on: date) -> Decimal:
    """25.50 USD a unit, general goods: 13% VAT at 70% = 9.1% of the CNY value."""
    value = Decimal("25.50") * ExchangeRates.load().rate("USD", on)
    return (value * Decimal("0.091")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def book(db: Database) -> dict[str, tuple[int, ...]]:
    with db.reading() as s:
        assert account_book.reconcile(s) == []
        return {
            r.sku: (r.received, r.released, r.on_display_loan, r.returned, r.written_off, r.balance)
            for r in account_book.account_book(s)
        }


def where(db: Database) -> dict[tuple[str, str], int]:
    with db.reading() as s:
        return {(r.sku, r.location): r.quantity for r in stock.on_hand(s, stock.StockFilter())}


def summary(db: Database, number: str) -> dict:
    with db.reading() as s:
        return loan_queries.loan_summary(loans.loan_by_number(s, number), now=T0)


def out(
    db: Database, number: str, sku: str, lot: str, qty: int, source: str, key: str, at: datetime
) -> dict:
    with db.transaction() as s:
        return loans.scan_out(s, loans.ScanOut(number, sku, lot, qty, source, key, "loader"), at=at)


def back(
    db: Database,
    number: str,
    sku: str,
    lot: str,
    qty: int,
    condition: ItemCondition,
    key: str,
    at: datetime,
    to: str | None = None,
) -> dict:
    with db.transaction() as s:
        return loans.scan_return(
            s, loans.ScanReturn(number, sku, lot, qty, condition, key, "clerk", to), at=at
        )


def test_a_loan_from_request_to_write_off(warehouse: Database):
    db = warehouse
    # 1. request: the guarantee covers the duty the goods would owe
    with db.transaction() as s:
        loan = loans.request_loan(
            s,
            loans.LoanRequest(
                showroom_barcode=f.SHOWROOM,
                due_date=DUE,
                items=(
                    loans.LoanItemInput(f.MILK.sku, "L1", 3),
                    loans.LoanItemInput(f.SERUM.sku, "S1", 2),
                ),
                requested_by="merchandiser",
            ),
            at=T0,
        )
        number = loan.number
    unit = unit_guarantee_general(T0.date())
    state = summary(db, number)
    assert state["status"] == "requested"
    assert state["guarantee"]["amount"] == str((unit * 5).quantize(Decimal("0.0001")))
    assert [i["unit_guarantee"] for i in state["items"]] == [
        str(unit.quantize(Decimal("0.0001")))
    ] * 2
    assert where(db) == {(f.MILK.sku, f.BINS[0]): 100, (f.SERUM.sku, f.BINS[1]): 40}

    # 2. approval with a guarantee that runs out before the due date: flagged
    with db.transaction() as s, pytest.raises(InvalidInput, match="someone other"):
        loans.approve_loan(
            s,
            number,
            approved_by="merchandiser",
            guarantee_reference="G-1",
            guarantee_expires=DUE,
            at=T0,
        )
    with db.transaction() as s:
        loans.approve_loan(
            s,
            number,
            approved_by="customs officer",
            guarantee_reference="BG-2026-0042",
            guarantee_expires=DUE - timedelta(days=5),
            at=T0,
        )
    assert summary(db, number)["guarantee"]["expires_before_due"] is True
    with db.reading() as s:
        assert [n["kind"] for n in loan_queries.open_notices(s)] == ["guarantee_expires_early"]

    # 3. out, item by item: the stock moves to the showroom and stays bonded
    t_out = T0 + timedelta(hours=2)
    out(db, number, f.MILK.sku, "L1", 2, f.BINS[0], "o1", t_out)
    assert summary(db, number)["status"] == "approved"  # not everything is out yet
    out(db, number, f.MILK.sku, "L1", 1, f.BINS[0], "o2", t_out)
    replay = out(db, number, f.MILK.sku, "L1", 1, f.BINS[0], "o2", t_out)
    assert replay["replayed"] is True
    out(db, number, f.SERUM.sku, "S1", 2, f.BINS[1], "o3", t_out)
    state = summary(db, number)
    assert state["status"] == "out"
    assert (state["out_checklist"], state["out_release_note"]) == (
        f"{number}-CL-O",
        f"{number}-RN-O",
    )
    assert where(db) == {
        (f.MILK.sku, f.BINS[0]): 97,
        (f.MILK.sku, f.SHOWROOM): 3,
        (f.SERUM.sku, f.BINS[1]): 38,
        (f.SERUM.sku, f.SHOWROOM): 2,
    }
    assert book(db) == {f.MILK.sku: (100, 0, 3, 0, 0, 100), f.SERUM.sku: (40, 0, 2, 0, 0, 40)}
    with pytest.raises(InvalidInput, match="lends 3"):
        out(db, number, f.MILK.sku, "L1", 1, f.BINS[0], "o4", t_out)

    # 4. loaned stock cannot be released, transferred or reversed out of the showroom
    with db.reading() as s:
        ids = {r.location: r.location_id for r in stock.on_hand(s, stock.StockFilter())}
        customer = s.scalar(select(Location.id).where(Location.barcode == "SHA1-V-CUSTOMER"))
        lot_id = next(i.lot_id for i in loans.loan_by_number(s, number).items)
    for reason in (MoveReason.RELEASE, MoveReason.TRANSFER, MoveReason.LOAN_OUT):
        with pytest.raises(InvalidInput, match="display loan"), db.transaction() as s:
            ledger.post(
                s,
                idempotency_key=f"steal-{reason}",
                fingerprint="x",
                kind="x",
                reason=reason,
                actor="thief",
                lines=[MoveLine(lot_id, 1, ids[f.SHOWROOM], customer)],
            )
    assert book(db)[f.MILK.sku] == (100, 0, 3, 0, 0, 100)

    # 5. partly returned: 2 milk in good condition back to a bin
    t_back = T0 + timedelta(days=10)
    result = back(db, number, f.MILK.sku, "L1", 2, ItemCondition.GOOD, "r1", t_back, f.BINS[0])
    assert (result["status"], result["checklist"], result["release_note"]) == (
        "partly_returned",
        f"{number}-CL-R1",
        f"{number}-RN-R1",
    )
    assert book(db)[f.MILK.sku] == (100, 0, 1, 2, 0, 100)

    # 6. one serum damaged: written off to scrap with its duty payable
    result = back(db, number, f.SERUM.sku, "S1", 1, ItemCondition.DAMAGED, "r2", t_back)
    assert result["duty_payable"] == str(unit.quantize(Decimal("0.0001")))
    assert book(db)[f.SERUM.sku] == (40, 0, 1, 0, 1, 39)
    assert where(db)[(f.SERUM.sku, f.SHOWROOM)] == 1

    # 7. the rest stays out past the due date: the hourly job flags it once
    with db.transaction() as s:
        assert loans.mark_overdue(s, now=datetime(2026, 12, 20, 23, 0, tzinfo=UTC)) == []
    late = datetime(2026, 12, 21, 8, 5, tzinfo=UTC)
    with db.transaction() as s:
        assert loans.mark_overdue(s, now=late) == [number]
    with db.transaction() as s:
        assert loans.mark_overdue(s, now=late + timedelta(hours=1)) == []
    with db.reading() as s:
        notice = s.scalar(select(Notice).where(Notice.kind == "loan_overdue"))
        assert notice.subject == number and "2 unit(s)" in notice.message
        assert loans.loan_by_number(s, number).overdue_since == late

    # 8. an audited extension clears the flag; the guarantee still falls short
    with db.transaction() as s:
        loans.extend_due_date(
            s,
            number,
            new_due_date=date(2027, 1, 10),
            reason="Christmas window",
            actor="planner",
            at=late,
        )
    with db.reading() as s:
        loan = loans.loan_by_number(s, number)
        assert loan.overdue_since is None
        events = [e["kind"] for e in loan_queries.loan_events(s, loan)]
    assert events == [
        "requested",
        "approved",
        "item_out",
        "item_out",
        "item_out",
        "item_returned",
        "written_off",
        "overdue",
        "due_date_extended",
    ]

    # 9. the last units: one milk missing, one serum back; the loan closes
    back(db, number, f.MILK.sku, "L1", 1, ItemCondition.MISSING, "r3", late)
    back(db, number, f.SERUM.sku, "S1", 1, ItemCondition.GOOD, "r4", late, f.BINS[1])
    state = summary(db, number)
    assert state["status"] == LoanStatus.CLOSED_WITH_WRITE_OFF.value
    assert state["duty_payable"] == str((unit * 2).quantize(Decimal("0.0001")))
    assert book(db) == {f.MILK.sku: (100, 0, 0, 2, 1, 99), f.SERUM.sku: (40, 0, 0, 1, 1, 39)}
    assert where(db) == {(f.MILK.sku, f.BINS[0]): 99, (f.SERUM.sku, f.BINS[1]): 39}
    with pytest.raises(InvalidInput, match="on display"):
        back(db, number, f.MILK.sku, "L1", 1, ItemCondition.GOOD, "r5", late, f.BINS[0])


def test_a_loan_cannot_go_out_before_approval(warehouse: Database):
    with warehouse.transaction() as s:
        number = loans.request_loan(
            s,
            loans.LoanRequest(
                f.SHOWROOM, DUE, (loans.LoanItemInput(f.MILK.sku, "L1", 1),), "merchandiser"
            ),
            at=T0,
        ).number
    with pytest.raises(Conflict, match="only an approved loan"):
        out(warehouse, number, f.MILK.sku, "L1", 1, f.BINS[0], "o", T0)


def test_more_than_is_free_cannot_be_lent(warehouse: Database):
    with pytest.raises(InvalidInput) as refused, warehouse.transaction() as s:
        loans.request_loan(
            s,
            loans.LoanRequest(
                f.SHOWROOM, DUE, (loans.LoanItemInput(f.SERUM.sku, "S1", 41),), "merchandiser"
            ),
            at=T0,
        )
    assert refused.value.field == "items[0].quantity"
