"""Release batches: loading by scan, sealing, re-opening, and the all-or-nothing gate-out."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests import factories as f
from tests.integration.outbound import support as o
from wms.db import Database
from wms.models import (
    AccountBookLine,
    Location,
    Move,
    MoveReason,
    OrderEvent,
    OrderStatus,
    Parcel,
    ParcelStatus,
    Quant,
)
from wms.services import account_book, orders, releases
from wms.services.errors import Conflict, InvalidInput, NotFound


def batch(db: Database, plate: str = "沪A12345") -> str:
    with db.transaction() as s:
        return releases.create_batch(
            s, warehouse_code=f.WAREHOUSE, vehicle_plate=plate, actor="gate"
        ).number


def load(db: Database, number: str, parcel: str, key: str | None = None) -> dict:
    with db.transaction() as s:
        return releases.load_parcel(
            s, releases.LoadScan(number, parcel, key or f.key("load"), "loader")
        )


def close(db: Database, number: str, seal: str = "SEAL-0001") -> None:
    with db.transaction() as s:
        releases.close_batch(s, number, seal_number=seal, actor="loader")


def gate(db: Database, number: str, key: str = "gate-1") -> dict:
    with db.transaction() as s:
        return releases.gate_out(s, releases.GateOut(number, key, "gate"))


def status_of(db: Database, order_id: int) -> OrderStatus:
    with db.reading() as s:
        return orders.order_by_id(s, order_id).status


def test_gate_out_moves_every_parcel_to_the_customer_and_out_of_the_book(ready):
    a = o.receive_order(ready, (f.MILK.sku, 2), (f.SERUM.sku, 1))
    b = o.receive_order(ready, (f.MILK.sku, 3))
    pa, pb = o.labelled_parcel(ready, a), o.labelled_parcel(ready, b)
    number = batch(ready)
    assert load(ready, number, pa)["parcels_on_batch"] == 1
    with ready.reading() as s:  # scanning the tracking number works as well
        tracking = s.scalar(select(Parcel.tracking_number).where(Parcel.number == pb))
    assert load(ready, number, tracking)["parcels_on_batch"] == 2
    assert status_of(ready, a) is OrderStatus.LOADED
    close(ready, number)

    result = gate(ready, number)

    assert (result["parcels"], result["orders"], result["units"]) == (2, 2, 6)
    assert status_of(ready, a) is OrderStatus.RELEASED
    assert status_of(ready, b) is OrderStatus.RELEASED
    with ready.reading() as s:
        released = dict(
            s.execute(select(AccountBookLine.entry_line_id, AccountBookLine.released)).all()
        )
        assert sorted(released.values()) == [1, 5]
        moves = s.scalars(select(Move).where(Move.reason == MoveReason.RELEASE)).all()
        assert {m.document_ref for m in moves} == {number}
        assert sum(m.quantity for m in moves) == 6
        staged = s.scalars(
            select(Quant.quantity)
            .join(Location, Location.id == Quant.location_id)
            .where(Location.barcode == "SHA1-OUT-B")
        ).all()
        assert staged and set(staged) == {0}
        assert account_book.reconcile(s) == []
        assert (
            s.scalar(select(func.count(Parcel.id)).where(Parcel.status == ParcelStatus.RELEASED))
            == 2
        )


def test_gate_out_replay_does_nothing_twice_and_a_left_batch_cannot_reopen(ready):
    order = o.receive_order(ready, (f.MILK.sku, 4))
    number = batch(ready)
    load(ready, number, o.labelled_parcel(ready, order))
    close(ready, number)
    first = gate(ready, number, key="g-1")
    again = gate(ready, number, key="g-1")
    assert again["replayed"] is True
    assert again["operation_id"] == first["operation_id"]
    with ready.reading() as s:
        assert (
            s.scalar(select(func.sum(Move.quantity)).where(Move.reason == MoveReason.RELEASE)) == 4
        )
    with pytest.raises(Conflict, match="already left"), ready.transaction() as s:
        releases.gate_out(s, releases.GateOut(number, "g-2", "gate"))
    with pytest.raises(Conflict, match="cannot be re-opened"), ready.transaction() as s:
        releases.reopen_batch(s, number, actor="gate")


def test_a_parcel_not_labelled_or_not_cleared_is_refused_at_the_scan(ready):
    order = o.receive_order(ready, (f.MILK.sku, 1))
    parcel = o.labelled_parcel(ready, order)
    number = batch(ready)
    with ready.transaction() as s:  # pretend it was never labelled
        p = releases.parcel_by_code(s, parcel)
        p.status = ParcelStatus.PACKED
        orders.order_by_id(s, order).status = OrderStatus.PACKED
    with pytest.raises(Conflict, match="only labelled parcels"):
        load(ready, number, parcel)
    with pytest.raises(NotFound, match="no parcel"):
        load(ready, number, "NOPE-1")


def test_loading_twice_or_onto_two_vehicles_is_refused(ready):
    parcel = o.labelled_parcel(ready, o.receive_order(ready, (f.MILK.sku, 1)))
    first, second = batch(ready), batch(ready, "沪B99999")
    load(ready, first, parcel)
    with pytest.raises(Conflict, match="already on this vehicle"):
        load(ready, first, parcel)
    with pytest.raises(Conflict, match="another batch"):
        load(ready, second, parcel)


def test_a_load_scan_retried_with_its_key_answers_the_same(ready):
    parcel = o.labelled_parcel(ready, o.receive_order(ready, (f.MILK.sku, 1)))
    number = batch(ready)
    first = load(ready, number, parcel, key="L-1")
    again = load(ready, number, parcel, key="L-1")
    assert again == {**first, "replayed": True}


def test_a_sealed_batch_takes_no_more_parcels_until_reopened_and_unloading_relabels(ready):
    a = o.labelled_parcel(ready, o.receive_order(ready, (f.MILK.sku, 1)))
    b_order = o.receive_order(ready, (f.MILK.sku, 1))
    b = o.labelled_parcel(ready, b_order)
    number = batch(ready)
    load(ready, number, a)
    close(ready, number)
    with pytest.raises(Conflict, match="sealed"):
        load(ready, number, b)
    with ready.transaction() as s:
        releases.reopen_batch(s, number, actor="gate")
    load(ready, number, b)
    assert status_of(ready, b_order) is OrderStatus.LOADED
    with ready.transaction() as s:
        releases.unload_parcel(s, number, b, actor="loader")
    assert status_of(ready, b_order) is OrderStatus.LABELLED
    close(ready, number, "SEAL-0002")
    assert gate(ready, number)["parcels"] == 1
    assert status_of(ready, b_order) is OrderStatus.LABELLED


def test_closing_needs_a_seal_and_a_parcel_and_gate_out_needs_a_closed_batch(ready):
    number = batch(ready)
    with pytest.raises(InvalidInput, match="seal") as caught, ready.transaction() as s:
        releases.close_batch(s, number, seal_number=" ", actor="x")
    assert caught.value.field == "seal_number"
    with pytest.raises(Conflict, match="no parcels"):
        close(ready, number)
    load(ready, number, o.labelled_parcel(ready, o.receive_order(ready, (f.MILK.sku, 1))))
    with pytest.raises(Conflict, match="still loading"):
        gate(ready, number)


def test_gate_out_is_all_or_nothing(ready):
    """If one parcel's goods are not where they should be, nothing of the batch leaves."""
    good = o.receive_order(ready, (f.MILK.sku, 2))
    bad = o.receive_order(ready, (f.SERUM.sku, 1))
    number = batch(ready)
    load(ready, number, o.labelled_parcel(ready, good))
    load(ready, number, o.labelled_parcel(ready, bad))
    close(ready, number)
    # The serum was taken back out of staging behind the system's back (a transfer).
    with ready.transaction() as s:
        from wms.services import inbound

        inbound.transfer(
            s,
            inbound.PutawayInput(f.SERUM.sku, "S1", 1, "SHA1-OUT-B", f.BINS[2], "t-1", "x"),
        )
    with ready.reading() as s:
        before = s.scalar(select(func.count(Move.id)))
    with pytest.raises(Exception, match="SERUM-30"):
        gate(ready, number)
    with ready.reading() as s:
        assert s.scalar(select(func.count(Move.id))) == before
        assert orders.order_by_id(s, good).status is OrderStatus.LOADED
        assert releases.batch_by_number(s, number).gated_out_at is None


def test_hand_over_follows_gate_out_and_every_step_is_recorded(ready):
    order = o.receive_order(ready, (f.MILK.sku, 1))
    number = batch(ready)
    load(ready, number, o.labelled_parcel(ready, order))
    with pytest.raises(Conflict, match="not left"), ready.transaction() as s:
        releases.hand_over(s, number, actor="courier")
    close(ready, number)
    gate(ready, number)
    with ready.transaction() as s:
        assert releases.hand_over(s, number, actor="SF driver")["orders_handed_over"] == 1
    assert status_of(ready, order) is OrderStatus.HANDED_OVER
    with ready.reading() as s:
        trail = s.execute(
            select(OrderEvent.to_status, OrderEvent.actor)
            .where(OrderEvent.order_id == order)
            .order_by(OrderEvent.id)
        ).all()
    assert [t for t, _ in trail] == [
        "received", "allocated", "planned", "declared", "cleared", "picked", "packed",
        "labelled", "loaded", "released", "handed_over",
    ]  # fmt: skip
    assert trail[-1] == ("handed_over", "SF driver")
