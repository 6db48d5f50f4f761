"""Cancelling an order from every state that allows it undoes exactly what was done:
stock and reservations come back to what they were before allocation, picked goods go
back to their own bin and lot, parcels are voided, and the account book reconciles."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests import factories as f
from tests.integration.outbound import support
from wms.db import Database
from wms.models import (
    CustomsDeclaration,
    CustomsStatus,
    Move,
    MoveReason,
    OrderEvent,
    OrderStatus,
    Parcel,
    ParcelStatus,
    Quant,
    Reservation,
    StockOperation,
)
from wms.services import account_book, allocation, cancellation, ledger, order_customs, orders
from wms.services.errors import Conflict, IdempotencyKeyReused, InvalidInput
from wms.services.staging import outbound_staging

S = OrderStatus


@pytest.fixture
def stocked(db: Database) -> Database:
    """Milk L1 (expires first) 2 in A-01, L2 8 in A-02; serum S1 10 in B-01."""
    f.build_warehouse(db)
    f.declare(db, "ED-1", (f.MILK.sku, 10), (f.SERUM.sku, 10))
    f.receive(db, "ED-1", f.MILK.sku, "L1", 2, expiry_date=date(2028, 1, 31))
    f.receive(db, "ED-1", f.MILK.sku, "L2", 8, expiry_date=date(2028, 6, 30))
    f.receive(db, "ED-1", f.SERUM.sku, "S1", 10)
    f.putaway(db, f.MILK.sku, "L1", 2, to=f.BINS[0])
    f.putaway(db, f.MILK.sku, "L2", 8, to=f.BINS[1])
    f.putaway(db, f.SERUM.sku, "S1", 10, to=f.BINS[2])
    support.channel(db)
    return db


def snapshot(db: Database) -> set[tuple[int, int, int, int]]:
    with db.reading() as s:
        return {
            (r.lot_id, r.location_id, r.quantity, r.reserved_quantity)
            for r in s.scalars(select(Quant))
            if r.quantity or r.reserved_quantity
        }


def walk(db: Database, order_id: int, target: OrderStatus) -> None:
    """Take a received bonded order to ``target`` the way the floor would."""
    path = [S.ALLOCATED, S.PLANNED, S.DECLARED, S.CLEARED, S.PICKED, S.PACKED, S.LABELLED]
    path += [S.LOADED, S.RELEASED, S.HANDED_OVER]
    if target is S.RECEIVED:
        return
    with db.transaction() as s:
        allocation.allocate(s, order_id, actor="planner")
    stops = {S.REJECTED: S.DECLARED, S.ON_HOLD: S.DECLARED}
    last = stops.get(target, target)
    for status in path[1 : path.index(last) + 1]:
        with db.transaction() as s:
            order = orders.order_by_id(s, order_id)
            if status is S.PLANNED:
                orders.plan(s, order, courier_code="SF", tracking_number=f"SF{order_id}", actor="p")
            elif status is S.DECLARED:
                order_customs.declare(s, order_id, actor="c")
            elif status is S.PICKED:
                pick(s, order_id)
            elif status is S.PACKED:
                orders.transition(s, order, S.PACKED, kind="packed", actor="packer")
                s.add(parcel(order_id, ParcelStatus.PACKED))
            elif status is S.LABELLED:
                orders.transition(s, order, S.LABELLED, kind="labelled", actor="packer")
                for p in s.scalars(select(Parcel).where(Parcel.order_id == order_id)):
                    p.status = ParcelStatus.LABELLED
            else:
                orders.transition(s, order, status, kind=status.value, actor="floor")
    if target is S.REJECTED:
        with db.transaction() as s:
            order_customs.reject(s, order_id, reason="quota exceeded", actor="customs")
    if target is S.ON_HOLD:
        with db.transaction() as s:
            order_customs.hold_for_customs(s, order_id, reason="inspection", actor="customs")


def pick(s, order_id: int, *, only: int | None = None) -> None:
    """Pick every reservation in full (or ``only`` units of the first one) into the
    bonded staging dock, as the picking service does: bin -> staging from reserved."""
    order = orders.order_by_id(s, order_id)
    dock = outbound_staging(s, order.warehouse_id, bonded=True)
    rows = list(
        s.scalars(select(Reservation).where(Reservation.order_id == order_id).order_by("id"))
    )
    if only is not None:
        rows = rows[:1]
    lines = []
    for row in rows:
        n = only if only is not None else row.quantity
        lines.append(ledger.MoveLine(row.lot_id, n, row.location_id, dock.id, from_reserved=True))
        row.picked_quantity += n
        row.open = row.picked_quantity < row.quantity
        line = next(x for x in order.lines if x.id == row.order_line_id)
        line.picked_quantity += n
    ledger.post(
        s,
        idempotency_key=f.key("pick"),
        fingerprint="pick",
        kind="pick",
        reason=MoveReason.TRANSFER,
        actor="picker",
        lines=lines,
        document_ref=order.order_number,
    )
    if only is None:
        orders.transition(s, order, S.PICKED, kind="picked", actor="picker")


def parcel(order_id: int, status: ParcelStatus) -> Parcel:
    return Parcel(
        number=f"PCL{order_id:06d}",
        order_id=order_id,
        length_mm=300,
        width_mm=200,
        height_mm=150,
        gross_weight_g=3500,
        expected_weight_g=3500,
        status=status,
        packed_by="packer",
        packed_at=ledger.utcnow(),
    )


def cancel(db: Database, order_id: int, key: str = "cancel-1", reason: str = "buyer") -> dict:
    with db.transaction() as s:
        return cancellation.cancel(
            s, order_id, reason=reason, actor="service desk", idempotency_key=key
        )


def reconciled(db: Database) -> None:
    with db.reading() as s:
        assert account_book.reconcile(s) == []


CANCELLABLE = [S.RECEIVED, S.ALLOCATED, S.PLANNED, S.DECLARED, S.CLEARED, S.REJECTED]
CANCELLABLE += [S.ON_HOLD, S.PICKED, S.PACKED, S.LABELLED]


@pytest.mark.parametrize("state", CANCELLABLE, ids=lambda s: s.value)
def test_cancelling_restores_stock_and_reservations_exactly(stocked: Database, state: OrderStatus):
    before = snapshot(stocked)
    order_id = support.receive_order(stocked, (f.MILK.sku, 3), (f.SERUM.sku, 2))
    walk(stocked, order_id, state)
    with stocked.reading() as s:
        assert orders.order_by_id(s, order_id).status is state
    if state in (S.ALLOCATED, S.PICKED):
        assert snapshot(stocked) != before  # there was something to undo

    result = cancel(stocked, order_id)

    assert (result["status"], result["from_status"]) == ("cancelled", state.value)
    assert snapshot(stocked) == before
    reconciled(stocked)
    with stocked.reading() as s:
        order = orders.order_by_id(s, order_id)
        assert order.status is S.CANCELLED
        assert (
            s.scalar(select(func.count()).where(Reservation.order_id == order_id, Reservation.open))
            == 0
        )
        event = s.scalars(
            select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id.desc())
        ).first()
        statuses = set(s.scalars(select(Parcel.status).where(Parcel.order_id == order_id)))
        s.expunge_all()  # plain values from here on: the read session rolls back
    assert (event.from_status, event.to_status, event.actor) == (
        state.value,
        "cancelled",
        "service desk",
    )
    assert event.details["reason"] == "buyer"
    declared = state in (S.DECLARED, S.CLEARED, S.ON_HOLD, S.PICKED, S.PACKED, S.LABELLED)
    # The order's list is withdrawn at customs (its number: CL<order id>-<n>).
    assert event.details.get("declaration_withdrawn") == (
        f"CL{order_id:010d}-1" if declared else None
    )
    with stocked.reading() as s:
        lists = s.scalars(
            select(CustomsDeclaration.status).where(CustomsDeclaration.order_id == order_id)
        ).all()
    expected = {S.REJECTED: [CustomsStatus.REJECTED]}.get(
        state, [CustomsStatus.CANCELLED] if declared else []
    )
    assert lists == expected
    if state in (S.PACKED, S.LABELLED):
        assert statuses == {ParcelStatus.VOID}
        assert result["voided_parcels"] == [f"PCL{order_id:06d}"]


def test_picked_goods_go_back_to_the_bin_and_lot_they_came_from(stocked: Database):
    order_id = support.receive_order(stocked, (f.MILK.sku, 3), (f.SERUM.sku, 2))
    walk(stocked, order_id, S.PICKED)
    result = cancel(stocked, order_id)
    staging = f"{f.WAREHOUSE}-OUT-B"
    assert sorted(result["returned"], key=lambda r: r["to"]) == [
        {"sku": f.MILK.sku, "lot": "L1", "from": staging, "to": f.BINS[0], "quantity": 2},
        {"sku": f.MILK.sku, "lot": "L2", "from": staging, "to": f.BINS[1], "quantity": 1},
        {"sku": f.SERUM.sku, "lot": "S1", "from": staging, "to": f.BINS[2], "quantity": 2},
    ]
    with stocked.reading() as s:
        number = orders.order_by_id(s, order_id).order_number
        operation = s.get(StockOperation, result["operation_id"])
        moves = s.scalars(select(Move).where(Move.operation_id == operation.id)).all()
        assert operation.idempotency_key == "cancel-1"
        assert sorted((m.reason, m.document_ref, m.quantity) for m in moves) == [
            (MoveReason.TRANSFER, number, 1),
            (MoveReason.TRANSFER, number, 2),
            (MoveReason.TRANSFER, number, 2),
        ]


def test_a_half_picked_order_gives_back_both_the_picked_and_the_reserved_units(
    stocked: Database,
):
    before = snapshot(stocked)
    order_id = support.receive_order(stocked, (f.MILK.sku, 3))
    walk(stocked, order_id, S.CLEARED)
    with stocked.transaction() as s:
        pick(s, order_id, only=1)  # one of the two L1 units is in staging, one still reserved
    result = cancel(stocked, order_id)
    assert result["freed_units"] == 2  # one L1 still in A-01, one L2 in A-02
    assert [r["quantity"] for r in result["returned"]] == [1]
    assert snapshot(stocked) == before
    reconciled(stocked)


def test_a_retry_does_nothing_twice_and_a_reused_key_is_refused(stocked: Database):
    order_id = support.receive_order(stocked, (f.MILK.sku, 3))
    walk(stocked, order_id, S.PICKED)
    first = cancel(stocked, order_id)
    with stocked.reading() as s:
        moves = s.scalar(select(func.count()).select_from(Move))
    again = cancel(stocked, order_id)
    assert again == {**first, "replayed": True}
    with stocked.reading() as s:
        assert s.scalar(select(func.count()).select_from(Move)) == moves
    with pytest.raises(IdempotencyKeyReused):
        cancel(stocked, order_id, reason="another reason")
    with pytest.raises(Conflict, match="already cancelled"):
        cancel(stocked, order_id, key="cancel-2")


@pytest.mark.parametrize(
    ("state", "why"),
    [
        (S.LOADED, "take it off the release batch first"),
        (S.RELEASED, "consumer return"),
        (S.HANDED_OVER, "consumer return"),
    ],
    ids=lambda v: getattr(v, "value", "why"),
)
def test_orders_past_loading_cannot_be_cancelled(stocked: Database, state: OrderStatus, why: str):
    order_id = support.receive_order(stocked, (f.MILK.sku, 1))
    walk(stocked, order_id, state)
    before = snapshot(stocked)
    with pytest.raises(Conflict, match=why):
        cancel(stocked, order_id)
    assert snapshot(stocked) == before
    with stocked.reading() as s:
        assert orders.order_by_id(s, order_id).status is state
        assert (
            s.scalar(select(func.count()).where(StockOperation.idempotency_key == "cancel-1")) == 0
        )


def test_a_reason_is_required(stocked: Database):
    order_id = support.receive_order(stocked, (f.MILK.sku, 1))
    with pytest.raises(InvalidInput) as refused:
        cancel(stocked, order_id, reason="  ")
    assert refused.value.field == "reason"


def test_an_order_held_for_stock_is_cancelled_without_touching_stock(stocked: Database):
    before = snapshot(stocked)
    order_id = support.receive_order(stocked, (f.MILK.sku, 50))
    with stocked.transaction() as s:
        outcome = allocation.allocate_orders(s, [order_id], actor="planner")[0]
    assert outcome.status == "on_hold"
    result = cancel(stocked, order_id)
    assert (result["from_status"], result["freed_units"], result["returned"]) == (
        "on_hold",
        0,
        [],
    )
    assert snapshot(stocked) == before
