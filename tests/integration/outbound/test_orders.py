"""The customs steps of an order (declare, clear, reject, hold, hand over) and the order
queries, through the services."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests import factories as f
from tests.integration.outbound import support
from wms.db import Database
from wms.models import Flow, OrderEvent, OrderStatus, Parcel, ParcelStatus
from wms.services import allocation, order_customs, order_queries, orders
from wms.services.errors import Conflict

S = OrderStatus


@pytest.fixture
def shop(db: Database) -> Database:
    f.build_warehouse(db)
    f.declare(db, "ED-1", (f.MILK.sku, 10))
    f.receive(db, "ED-1", f.MILK.sku, "L1", 10)
    f.putaway(db, f.MILK.sku, "L1", 10, to=f.BINS[0])
    support.channel(db)
    return db


def declared(db: Database, flow: Flow = Flow.BONDED_IMPORT) -> int:
    order_id = support.receive_order(db, (f.MILK.sku, 1), flow=flow)
    with db.transaction() as s:
        if flow is not Flow.DIRECT_MAIL:
            allocation.allocate(s, order_id, actor="planner")
        order = orders.order_by_id(s, order_id)
        orders.plan(s, order, courier_code="YTO", tracking_number=f"YT{order_id}", actor="p")
        order_customs.declare(s, order_id, actor="broker")
    return order_id


def status(db: Database, order_id: int) -> tuple[OrderStatus, OrderStatus | None]:
    with db.reading() as s:
        order = orders.order_by_id(s, order_id)
        return order.status, order.resume_status


def test_customs_holds_a_declared_order_then_clears_it(shop: Database):
    order_id = declared(shop)
    with shop.transaction() as s:
        order_customs.hold_for_customs(s, order_id, reason="X-ray check", actor="customs")
    assert status(shop, order_id) == (S.ON_HOLD, S.DECLARED)
    with shop.transaction() as s:
        order_customs.clear(s, order_id, actor="customs", note="released after inspection")
    assert status(shop, order_id) == (S.CLEARED, None)
    with shop.reading() as s:
        order = orders.order_by_id(s, order_id)
        assert (order.hold_reason, order.customs_note) == (None, "released after inspection")
        kinds = list(
            s.scalars(select(OrderEvent.kind).where(OrderEvent.order_id == order_id).order_by("id"))
        )
    assert kinds == ["received", "allocated", "planned", "declared", "customs_hold", "cleared"]


def test_a_held_order_may_be_rejected_and_declared_again(shop: Database):
    order_id = declared(shop)
    with shop.transaction() as s:
        order_customs.hold_for_customs(s, order_id, reason="papers", actor="customs")
        order_customs.reject(s, order_id, reason="payer is not the buyer", actor="customs")
    assert status(shop, order_id) == (S.REJECTED, None)
    with shop.transaction() as s:
        order_customs.declare(s, order_id, actor="broker")
    with shop.reading() as s:
        order = orders.order_by_id(s, order_id)
        # A second list replaces the rejected one.
        assert (order.status, order.declaration_ref) == (S.DECLARED, f"CL{order_id:010d}-2")
        last = s.scalars(
            select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id.desc())
        ).first()
        assert last.details["declaration"] == f"CL{order_id:010d}-2"


def test_direct_mail_is_declared_without_stock(shop: Database):
    order_id = declared(shop, Flow.DIRECT_MAIL)
    with shop.transaction() as s:
        order_customs.clear(s, order_id, actor="customs")
    assert status(shop, order_id) == (S.CLEARED, None)


def test_refusals_name_the_field(shop: Database):
    domestic = support.receive_order(shop, (f.MILK.sku, 1), flow=Flow.DOMESTIC)
    received = support.receive_order(shop, (f.MILK.sku, 1))
    with shop.transaction() as s:
        with pytest.raises(Conflict) as no_customs:
            order_customs.declare(s, domestic, actor="b")
        with pytest.raises(Conflict) as too_soon:
            order_customs.declare(s, received, actor="b")
        with pytest.raises(Conflict) as not_declared:
            order_customs.hold_for_customs(s, received, reason="x", actor="c")
        with pytest.raises(Conflict) as too_early:
            order_customs.hand_over(s, received, actor="courier")
    assert no_customs.value.field == "flow"
    assert too_soon.value.field == "status" and "is received" in too_soon.value.message
    assert not_declared.value.field == too_early.value.field == "status"
    assert "received; it cannot become handed_over" in too_early.value.message


def test_hand_over_takes_the_released_parcels_along(shop: Database):
    order_id = declared(shop)
    with shop.transaction() as s:
        order = orders.order_by_id(s, order_id)
        for target in ("cleared", "picked", "packed", "labelled", "loaded", "released"):
            orders.transition(s, order, S(target), kind=target, actor="floor")
        s.add(
            Parcel(
                number="PCL-1",
                order_id=order_id,
                length_mm=200,
                width_mm=150,
                height_mm=100,
                gross_weight_g=1100,
                expected_weight_g=1100,
                status=ParcelStatus.RELEASED,
                packed_by="packer",
                packed_at=order.created_at,
            )
        )
    with shop.transaction() as s:
        order_customs.hand_over(s, order_id, actor="sf.courier")
    with shop.reading() as s:
        assert s.scalar(select(Parcel.status)) is ParcelStatus.HANDED_OVER
    assert status(shop, order_id) == (S.HANDED_OVER, None)


def test_allocatable_orders_are_the_received_and_those_short_of_stock(shop: Database):
    received = support.receive_order(shop, (f.MILK.sku, 1))
    short = support.receive_order(shop, (f.MILK.sku, 99))
    customs_held = declared(shop)
    support.receive_order(shop, (f.MILK.sku, 1), flow=Flow.DIRECT_MAIL)
    with shop.transaction() as s:
        allocation.allocate_orders(s, [short], actor="planner")
        order_customs.hold_for_customs(s, customs_held, reason="check", actor="customs")
    with shop.reading() as s:
        assert order_queries.allocatable_ids(s) == [received, short]
        page = order_queries.list_orders(s, order_queries.OrderFilter(status=S.ON_HOLD))
    assert [o["id"] for o in page["orders"]] == [short, customs_held]
