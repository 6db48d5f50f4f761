"""The customs side of an order, for now as plain recorded transitions: declared with
the inventory list's reference, cleared, rejected or held for inspection, and finally
handed over to the courier.  The declaration records themselves (messages, tax, the
three-order match) come with the customs issue and will call these.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.models import Order, OrderStatus, Parcel, ParcelStatus
from wms.services import order_flow
from wms.services import orders as order_service
from wms.services.errors import Conflict, InvalidInput

MAX_REF = 40
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


def declare(
    session: Session,
    order_id: int,
    *,
    declaration_ref: str,
    actor: str,
    at: datetime | None = None,
) -> Order:
    """The import inventory list (or export list) is lodged: the order is declared.  A
    rejected order, once corrected, is declared again under its new reference."""
    ref = _text(declaration_ref, "declaration_ref", MAX_REF, "the declaration's reference")
    order = _declaring(session, order_id)
    order_service.transition(
        session,
        order,
        OrderStatus.DECLARED,
        kind="declared",
        actor=actor,
        at=at,
        details={"declaration_ref": ref, "previous_ref": order.declaration_ref},
    )
    order.declaration_ref = ref
    return order


def clear(
    session: Session,
    order_id: int,
    *,
    actor: str,
    note: str | None = None,
    at: datetime | None = None,
) -> Order:
    """Customs released the declaration: the order may be picked (bonded import, export)
    or re-labelled (direct mail)."""
    order = _declaring(session, order_id)
    details = {"declaration_ref": order.declaration_ref}
    if note:
        details["note"] = _text(note, "note", MAX_NOTE, "the note")
    order_service.transition(
        session, order, OrderStatus.CLEARED, kind="cleared", actor=actor, at=at, details=details
    )
    if note:
        order.customs_note = details["note"]
    return order


def reject(
    session: Session, order_id: int, *, reason: str, actor: str, at: datetime | None = None
) -> Order:
    """Customs refused the declaration (a data mismatch, a quota exceeded ...)."""
    why = _text(reason, "reason", MAX_NOTE, "the reason")
    order = _declaring(session, order_id)
    order_service.transition(
        session,
        order,
        OrderStatus.REJECTED,
        kind="rejected",
        actor=actor,
        at=at,
        details={"declaration_ref": order.declaration_ref, "reason": why},
    )
    order.customs_note = why
    return order


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
