"""Consumer returns: the 30/45-day rules, receipt by scan, inspection to a bin or scrap."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests import factories as f
from tests.integration.outbound import support as o
from tests.integration.outbound.test_releases import batch, close, gate, load
from wms.db import Database
from wms.models import AccountBookLine, ConsumerReturn, Location, Move, OrderEvent, ReturnStatus
from wms.services import account_book, orders, returns
from wms.services.errors import Conflict, InvalidInput
from wms.services.stock import StockFilter, on_hand


def released(db: Database, *lines: tuple[str, int]) -> int:
    order = o.receive_order(db, *lines)
    number = batch(db)
    load(db, number, o.labelled_parcel(db, order))
    close(db, number)
    gate(db, number, key=f.key("gate"))
    return order


def apply(db: Database, order: int, *items: tuple[str, int], days: int = 1) -> str:
    with db.transaction() as s:
        released_at = orders.order_by_id(s, order).released_at
        return returns.apply_for_return(
            s,
            returns.ReturnApplication(
                order,
                tuple(returns.ReturnItem(sku, q) for sku, q in items),
                "service desk",
                applied_at=released_at + timedelta(days=days),
            ),
        ).number


def receive(db: Database, number: str, *, days: int = 5, key: str | None = None) -> dict:
    with db.transaction() as s:
        ret = returns.return_by_number(s, number)
        at = orders.order_by_id(s, ret.order_id).released_at + timedelta(days=days)
        return returns.receive_return(
            s, returns.ReturnReceipt(number, f.DOCK, key or f.key("rr"), "receiver"), at=at
        )


def book_released(db: Database) -> int:
    with db.reading() as s:
        return sum(s.scalars(select(AccountBookLine.released)))


def test_a_timely_return_comes_back_into_the_zone_and_is_restocked_or_scrapped(ready):
    order = released(ready, (f.MILK.sku, 3), (f.SERUM.sku, 1))
    assert book_released(ready) == 4
    number = apply(ready, order, (f.MILK.sku, 3))
    assert receive(ready, number)["units"] == 3
    assert book_released(ready) == 1  # back in the bonded account
    with ready.transaction() as s:
        result = returns.inspect_return(
            s,
            returns.ReturnInspection(
                number,
                (returns.InspectedItem(f.MILK.sku, "L1", good=2, scrap=1, bin_barcode=f.BINS[1]),),
                "insp-1",
                "inspector",
            ),
        )
    assert (result["restocked"], result["scrapped"]) == (2, 1)
    with ready.reading() as s:
        bin_id = s.scalar(select(Location.id).where(Location.barcode == f.BINS[1]))
        rows = on_hand(s, StockFilter(location_id=bin_id))
        assert [(r.sku, r.quantity) for r in rows] == [(f.MILK.sku, 2)]
        written_off = sum(s.scalars(select(AccountBookLine.written_off)))
        assert written_off == 1
        assert account_book.reconcile(s) == []
        kinds = s.scalars(select(OrderEvent.kind).where(OrderEvent.order_id == order)).all()
        assert {"return_applied", "return_received", "returned"} <= set(kinds)
        details = s.scalars(select(OrderEvent.details).where(OrderEvent.kind == "returned")).one()
        assert details["customs"] == "tax cancellation and quota credit due"


def test_an_application_after_30_days_is_refused_with_the_reason(ready):
    order = released(ready, (f.MILK.sku, 1))
    number = apply(ready, order, (f.MILK.sku, 1), days=31)
    with ready.reading() as s:
        ret = returns.return_by_number(s, number)
        assert ret.status is ReturnStatus.REFUSED
        assert "within 30 days" in ret.refused_reason
    with pytest.raises(Conflict, match="refused"):
        receive(ready, number)


def test_goods_back_after_45_days_are_refused_into_bonded_stock(ready):
    order = released(ready, (f.MILK.sku, 1))
    number = apply(ready, order, (f.MILK.sku, 1), days=20)
    with ready.reading() as s:
        moves_before = len(s.scalars(select(Move.id)).all())
    result = receive(ready, number, days=46)
    assert result["status"] == "refused" and "45 days" in result["reason"]
    with ready.reading() as s:
        assert len(s.scalars(select(Move.id)).all()) == moves_before
    assert book_released(ready) == 1


def test_more_than_shipped_cannot_be_returned_and_a_receipt_replays(ready):
    order = released(ready, (f.MILK.sku, 2))
    with pytest.raises(InvalidInput, match="more MILK-900") as caught:
        apply(ready, order, (f.MILK.sku, 3))
    assert caught.value.field == "items[0].quantity"
    number = apply(ready, order, (f.MILK.sku, 2))
    first = receive(ready, number, key="rr-1")
    assert receive(ready, number, key="rr-1") == {**first, "replayed": True}
    with pytest.raises(InvalidInput, match="more MILK-900"):
        apply(ready, order, (f.MILK.sku, 1))  # both units are already on their way back


def test_only_released_orders_return_and_inspection_must_add_up(ready):
    pending = o.receive_order(ready, (f.MILK.sku, 1))
    with pytest.raises(Conflict, match="only released orders"), ready.transaction() as s:
        returns.apply_for_return(
            s, returns.ReturnApplication(pending, (returns.ReturnItem(f.MILK.sku, 1),), "x")
        )
    order = released(ready, (f.MILK.sku, 2))
    number = apply(ready, order, (f.MILK.sku, 2))
    receive(ready, number)
    bad = returns.ReturnInspection(
        number, (returns.InspectedItem(f.MILK.sku, "L1", good=1, scrap=0, bin_barcode=f.BINS[0]),),
        "insp-x", "inspector",
    )  # fmt: skip
    with pytest.raises(InvalidInput, match="add up"), ready.transaction() as s:
        returns.inspect_return(s, bad)
    item = returns.InspectedItem(f.MILK.sku, "L1", good=2, scrap=0, bin_barcode=f.QUARANTINE)
    quarantine = returns.ReturnInspection(number, (item,), "insp-y", "inspector")
    with pytest.raises(InvalidInput, match="sellable bin") as caught, ready.transaction() as s:
        returns.inspect_return(s, quarantine)
    assert caught.value.field == "items[0].bin_barcode"
    with ready.reading() as s:
        assert s.scalar(select(ConsumerReturn.status)) is ReturnStatus.RECEIVED
