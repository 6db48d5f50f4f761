"""Allocation: first-expiry-first-out from sellable bins only, all or nothing per order,
the channel's shelf-life rule, resuming held orders, and racing allocations."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests import factories as f
from tests.integration.outbound import support as o
from tests.integration.test_concurrency import race
from wms.db import Database
from wms.models import Flow, OrderEvent, OrderStatus, Quant, Reservation
from wms.services import allocation, orders, unit_of_work
from wms.services.errors import Conflict


@pytest.fixture
def lots(db: Database) -> Database:
    """Milk in three lots: L-LATE (2029) 20 in A-01, L-SOON (2027-01) 10 in A-02, L-QUAR
    (earliest) 30 in quarantine; serum S1 5 in B-01.  Channel TMALLG, no shelf-life rule."""
    f.build_warehouse(db)
    f.declare(db, "ED-1", (f.MILK.sku, 100), (f.SERUM.sku, 40))
    for lot, qty, expiry, where in (
        ("L-LATE", 20, date(2029, 1, 31), f.BINS[0]),
        ("L-SOON", 10, date(2027, 1, 31), f.BINS[1]),
        ("L-QUAR", 30, date(2026, 12, 31), f.QUARANTINE),
    ):
        f.receive(db, "ED-1", f.MILK.sku, lot, qty, expiry_date=expiry)
        f.putaway(db, f.MILK.sku, lot, qty, to=where)
    f.receive(db, "ED-1", f.SERUM.sku, "S1", 5)
    f.putaway(db, f.SERUM.sku, "S1", 5, to=f.BINS[2])
    o.channel(db)
    return db


def allocate(db: Database, order_id: int) -> allocation.Outcome:
    with db.transaction() as s:
        return allocation.allocate(s, order_id, actor="planner")


def reserved(db: Database) -> dict[str, int]:
    with db.reading() as s:
        rows = s.execute(
            select(Quant.lot_id, func.sum(Quant.reserved_quantity)).group_by(Quant.lot_id)
        ).all()
        from wms.models import Lot

        names = dict(s.execute(select(Lot.id, Lot.lot_number)).all())
    return {names[lot]: int(n) for lot, n in rows if n}


def test_earliest_expiry_first_and_never_from_quarantine(lots):
    outcome = allocate(lots, o.receive_order(lots, (f.MILK.sku, 12)))
    assert outcome.status == "allocated"
    assert [(r["lot"], r["location"], r["quantity"]) for r in outcome.reserved] == [
        ("L-SOON", f.BINS[1], 10),
        ("L-LATE", f.BINS[0], 2),
    ]
    assert reserved(lots) == {"L-SOON": 10, "L-LATE": 2}


def test_a_short_order_reserves_nothing_and_waits_on_hold_with_what_is_missing(lots):
    first = o.receive_order(lots, (f.SERUM.sku, 2))
    short = o.receive_order(lots, (f.MILK.sku, 5), (f.SERUM.sku, 4))
    assert allocate(lots, first).status == "allocated"
    outcome = allocate(lots, short)
    assert outcome.status == "on_hold" and outcome.reserved == []
    assert outcome.missing == [
        {"line_no": 2, "sku": f.SERUM.sku, "wanted": 4, "available": 3, "missing": 1}
    ]
    assert reserved(lots) == {"S1": 2}  # the milk it could have had stays free
    with lots.reading() as s:
        order = orders.order_by_id(s, short)
        assert order.hold_reason["missing"][0]["missing"] == 1
        assert order.resume_status is OrderStatus.ALLOCATED
    # Stock arrives: the held order resumes.
    f.receive(lots, "ED-1", f.SERUM.sku, "S2", 10)
    f.putaway(lots, f.SERUM.sku, "S2", 10, to=f.BINS[2])
    assert allocate(lots, short).status == "allocated"
    with lots.reading() as s:
        kinds = s.scalars(
            select(OrderEvent.kind).where(OrderEvent.order_id == short).order_by(OrderEvent.id)
        ).all()
        assert kinds == ["received", "short_of_stock", "allocated"]
        assert orders.order_by_id(s, short).hold_reason is None


def test_a_lot_too_close_to_expiry_for_the_channel_is_skipped(lots):
    o.channel(lots, "STRICT", min_shelf_life_days=400)  # L-SOON expires sooner than that
    order = o.receive_order(lots, (f.MILK.sku, 3), channel_code="STRICT")
    outcome = allocate(lots, order)
    assert [r["lot"] for r in outcome.reserved] == ["L-LATE"]


def test_a_domestic_order_never_takes_bonded_stock(lots):
    """Milk is free in bonded bins but none is duty-paid: the order waits.  (The other
    direction, and allocation from the duty-paid bin, are in test_domestic.py.)"""
    domestic = o.receive_order(lots, (f.MILK.sku, 1), flow=Flow.DOMESTIC)
    outcome = allocate(lots, domestic)
    assert outcome.status == "on_hold"


def test_allocating_again_does_nothing_twice_and_direct_mail_is_refused(lots):
    order = o.receive_order(lots, (f.MILK.sku, 2))
    allocate(lots, order)
    again = allocate(lots, order)
    assert again.reserved == [] and again.covered
    assert reserved(lots) == {"L-SOON": 2}
    mail = o.receive_order(lots, (f.MILK.sku, 1), flow=Flow.DIRECT_MAIL)
    with pytest.raises(Conflict, match="direct mail"):
        allocate(lots, mail)


def test_a_batch_serves_orders_first_come_first_served(lots):
    ids = [o.receive_order(lots, (f.SERUM.sku, 2)) for _ in range(3)]
    with lots.transaction() as s:
        outcomes = allocation.allocate_orders(s, ids, actor="planner")
    assert [x.status for x in outcomes] == ["allocated", "allocated", "on_hold"]


@pytest.mark.slow
def test_racing_allocations_never_over_reserve(lots):
    """Eight planners allocate eight orders of 2 serum each against 5 units."""
    ids = [o.receive_order(lots, (f.SERUM.sku, 2)) for _ in range(8)]

    def job(order_id: int):
        return lambda: unit_of_work.run(
            lots, lambda s: allocation.allocate(s, order_id, actor="p").status
        )

    results = race([job(i) for i in ids])
    assert sorted(results) == ["allocated"] * 2 + ["on_hold"] * 6, results
    with lots.reading() as s:
        assert s.scalar(select(func.sum(Reservation.quantity))) == 4
        held = s.scalars(select(Quant.reserved_quantity).where(Quant.reserved_quantity > 0)).all()
        assert held == [4]
    assert reserved(lots) == {"S1": 4}
    with lots.reading() as s:
        statuses = [orders.order_by_id(s, i).status for i in ids]
    assert statuses.count(OrderStatus.ALLOCATED) == 2
