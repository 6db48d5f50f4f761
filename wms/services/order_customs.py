"""The customs side of an order: declared (its list lodged through
services.declarations), cleared, rejected or held for inspection, and finally handed
over to the courier."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.models import CustomsStatus, Order, OrderStatus, Parcel, ParcelStatus
from wms.services import declarations, order_flow
from wms.services import orders as order_service
from wms.services.errors import Conflict, InvalidInput

MAX_NOTE = 400


def _text(value: str, field: str, max_length: int, what: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(f"{what} is required", field=field)
    if len(value) > max_length:
        raise InvalidInput(f"{what} is at most {max_length} characters", field=field)
    return value


def _declaring(session: Session, order_id: int) -> Order:
    order = order_service.order_by_id(session, order_id, lock=True)
    if not order_flow.declares(order.flow):
        raise Conflict(
            f"order {order.order_number} is {order.flow.value}: it is not declared to customs",
            field="flow",
        )
    return order


def declare(session: Session, order_id: int, *, actor: str, at: datetime | None = None) -> Order:
    """Lodge the order's list (services.declarations: tax, limits, the three-order match):
    the order is declared.  A rejected order, once corrected, is declared again."""
    declaration = declarations.declare_order(session, order_id, actor=actor, at=at)
    return order_service.order_by_id(session, declaration.order_id)


def clear(
    session: Session,
    order_id: int,
    *,
    actor: str,
    note: str | None = None,
    customs_number: str | None = None,
    at: datetime | None = None,
) -> Order:
    """Customs released the order's list: the order may be picked (bonded import, export)
    or re-labelled (direct mail)."""
    if note:
        note = _text(note, "note", MAX_NOTE, "the note")
    order = _declaring(session, order_id)
    declarations.decide(
        session,
        declarations.Decision(
            _submitted(session, order, OrderStatus.CLEARED), CustomsStatus.CLEARED, actor, "api",
            customs_number=customs_number,
        ),
        at=at,
    )  # fmt: skip
    if note:
        order.customs_note = note
    return order


def reject(
    session: Session, order_id: int, *, reason: str, actor: str, at: datetime | None = None
) -> Order:
    """Customs refused the order's list (a data mismatch, a quota exceeded ...)."""
    why = _text(reason, "reason", MAX_NOTE, "the reason")
    order = _declaring(session, order_id)
    declarations.decide(
        session,
        declarations.Decision(
            _submitted(session, order, OrderStatus.REJECTED),
            CustomsStatus.REJECTED,
            actor,
            "api",
            why,
        ),
        at=at,
    )
    return order


def _submitted(session: Session, order: Order, target: OrderStatus) -> str:
    order_flow.check(order.flow, order.status, target, order.order_number)
    declaration = declarations.live_declaration(session, order.id)
    if declaration is None or declaration.status is not CustomsStatus.SUBMITTED:
        raise Conflict(
            f"order {order.order_number} is {order.status.value}: it has no list waiting for "
            "customs",
            field="status",
        )
    return declaration.number


def hold_for_customs(
    session: Session, order_id: int, *, reason: str, actor: str, at: datetime | None = None
) -> Order:
    """Customs holds a declared order (inspection); it is then cleared or rejected."""
    why = _text(reason, "reason", MAX_NOTE, "the reason")
    order = _declaring(session, order_id)
    if order.status is not OrderStatus.DECLARED:
        raise Conflict(
            f"order {order.order_number} is {order.status.value}: customs holds only a "
            "declared order",
            field="status",
            status=order.status.value,
            requested=OrderStatus.ON_HOLD.value,
        )
    hold = {"kind": "customs", "reason": why}
    order_service.transition(
        session, order, OrderStatus.ON_HOLD, kind="customs_hold", actor=actor, at=at, details=hold
    )
    order.hold_reason = hold
    order.customs_note = why
    return order


def hand_over(session: Session, order_id: int, *, actor: str, at: datetime | None = None) -> Order:
    """The courier took the parcel(s) after gate-out."""
    order = order_service.order_by_id(session, order_id, lock=True)
    order_service.transition(
        session, order, OrderStatus.HANDED_OVER, kind="handed_over", actor=actor, at=at
    )
    for parcel in session.scalars(
        select(Parcel).where(Parcel.order_id == order.id, Parcel.status == ParcelStatus.RELEASED)
    ):
        parcel.status = ParcelStatus.HANDED_OVER
    return order


__all__ = ["clear", "declare", "hand_over", "hold_for_customs", "reject"]
