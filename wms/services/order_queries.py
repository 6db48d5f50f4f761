"""Reading orders: lists for screens and integrations, one order with its history.
Personal data only ever leaves masked (``orders.public_view``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from wms.models import Channel, Flow, Order, OrderEvent, OrderLine, OrderStatus
from wms.services import orders as order_service


@dataclass(frozen=True)
class OrderFilter:
    status: OrderStatus | None = None
    flow: Flow | None = None
    channel: str | None = None
    after_id: int = 0  # cursor: orders with a larger id
    offset: int = 0
    limit: int = 100


def list_orders(session: Session, query: OrderFilter) -> dict[str, Any]:
    stmt = (
        select(Order)
        .options(
            selectinload(Order.lines).joinedload(OrderLine.product),
            selectinload(Order.channel),
        )
        .where(Order.id > query.after_id)
        .order_by(Order.id)
    )
    if query.status is not None:
        stmt = stmt.where(Order.status == query.status)
    if query.flow is not None:
        stmt = stmt.where(Order.flow == query.flow)
    if query.channel is not None:
        stmt = stmt.join(Channel, Channel.id == Order.channel_id).where(
            Channel.code == query.channel
        )
    # One more than asked tells whether another page follows.
    found = list(session.scalars(stmt.offset(query.offset).limit(query.limit + 1)))
    page = found[: query.limit]
    return {
        "orders": [order_service.public_view(o) for o in page],
        "next_after_id": page[-1].id if len(found) > query.limit else None,
    }


def order_events(session: Session, order_id: int) -> list[dict[str, Any]]:
    return [
        {
            "at": e.at.isoformat(),
            "actor": e.actor,
            "kind": e.kind,
            "from": e.from_status,
            "to": e.to_status,
            "details": e.details,
        }
        for e in session.scalars(
            select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id)
        )
    ]


def order_detail(session: Session, order_id: int) -> dict[str, Any]:
    order = order_service.order_by_id(session, order_id)
    return {**order_service.public_view(order), "events": order_events(session, order.id)}


def allocatable_ids(session: Session) -> list[int]:
    """Orders waiting for stock: received, or on hold because stock was short."""
    held = session.execute(
        select(Order.id, Order.hold_reason).where(Order.status == OrderStatus.ON_HOLD)
    ).all()
    received = session.scalars(
        select(Order.id).where(Order.status == OrderStatus.RECEIVED, Order.flow != Flow.DIRECT_MAIL)
    ).all()
    stock_held = [i for i, reason in held if (reason or {}).get("kind") == "stock"]
    return sorted([*received, *stock_held])


__all__ = ["OrderFilter", "allocatable_ids", "list_orders", "order_detail", "order_events"]
