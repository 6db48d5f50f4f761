"""Cancelling an order: allowed while its goods are still ours to call back, and undoing
exactly what was done.

- units still reserved in bins are given back (``allocation.free_reservations``);
- units already picked wait in the outbound staging dock: they go back to the very bin
  and lot they were taken from, in one ledger operation (reason TRANSFER, document the
  order number), and their reservations are closed;
- a packed or labelled parcel is voided;
- a list still standing at customs is withdrawn (``declarations.withdraw``), giving back
  the annual quota a cleared one used.

Loaded, released and handed-over orders are refused: a loaded parcel is taken off its
vehicle first (its batch re-opened), a released one comes back as a consumer return.
Idempotent by key: a retry answers what the first call did and changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.models import (
    Flow,
    Location,
    Lot,
    MoveReason,
    OrderStatus,
    Parcel,
    ParcelStatus,
    Reservation,
)
from wms.services import allocation, declarations, ledger, order_flow, staging
from wms.services import orders as order_service
from wms.services.errors import Conflict, InvalidInput
from wms.services.ledger import MoveLine, utcnow

MAX_REASON = 400
_PARCELS_TO_VOID = (ParcelStatus.PACKED, ParcelStatus.LABELLED)
_WHY_NOT = {
    OrderStatus.LOADED: "its parcel is on a vehicle: take it off the release batch first",
    OrderStatus.RELEASED: "it has left the bonded zone: it comes back as a consumer return",
    OrderStatus.HANDED_OVER: "the courier has it: it comes back as a consumer return",
    OrderStatus.CANCELLED: "it is already cancelled",
}


@dataclass(frozen=True)
class CancelRequest:
    order_id: int
    reason: str
    idempotency_key: str
    actor: str


def cancel(
    session: Session,
    order_id: int,
    *,
    reason: str,
    actor: str,
    idempotency_key: str,
    at: datetime | None = None,
) -> dict[str, Any]:
    request = CancelRequest(order_id, reason, idempotency_key, actor)
    fingerprint, replay = ledger.check_replay(session, "order_cancel", request)
    if replay is not None:
        return replay
    why = (reason or "").strip()
    if not why:
        raise InvalidInput("say why the order is cancelled", field="reason")
    if len(why) > MAX_REASON:
        raise InvalidInput(f"the reason is at most {MAX_REASON} characters", field="reason")
    at = at or utcnow()
    order = order_service.order_by_id(session, order_id, lock=True)
    if order.status not in order_flow.CANCELLABLE:
        raise Conflict(
            f"order {order.order_number} cannot be cancelled: "
            + _WHY_NOT.get(order.status, f"it is {order.status.value}"),
            field="status",
            status=order.status.value,
        )
    before = order.status

    freed = allocation.free_reservations(session, order)
    returned, lines = _picked_goods(session, order.id, order.warehouse_id, order.flow)
    voided = _void_parcels(session, order.id)
    withdraw = declarations.withdraw(session, order, actor=actor, at=at)

    if lines:
        operation = ledger.post(
            session,
            idempotency_key=idempotency_key,
            fingerprint=fingerprint,
            kind="order_cancel",
            reason=MoveReason.TRANSFER,
            actor=actor,
            lines=lines,
            document_ref=order.order_number,
            at=at,
        )
    else:  # nothing moves, but the key still answers retries
        operation = ledger.record_answer(
            session, idempotency_key, "order_cancel", fingerprint, actor, at, {}
        )

    details: dict[str, Any] = {
        "reason": why,
        "freed_units": freed,
        "returned": returned,
        "voided_parcels": voided,
        "operation_id": operation.id,
    }
    if withdraw:
        details["declaration_withdrawn"] = withdraw
    order_service.transition(
        session, order, OrderStatus.CANCELLED, kind="cancelled", actor=actor, at=at, details=details
    )
    operation.result = {
        "order_id": order.id,
        "order_number": order.order_number,
        "status": order.status.value,
        "from_status": before.value,
        **details,
    }
    return {**operation.result, "replayed": False}


def _picked_goods(
    session: Session, order_id: int, warehouse_id: int, flow: Flow
) -> tuple[list[dict[str, Any]], list[MoveLine]]:
    """Moves taking every picked unit from the staging dock back to its bin and lot; the
    reservations they were picked against are closed."""
    rows = list(
        session.scalars(
            select(Reservation)
            .where(Reservation.order_id == order_id, Reservation.picked_quantity > 0)
            .order_by(Reservation.id)
        )
    )
    if not rows:
        return [], []
    dock = staging.outbound_staging(session, warehouse_id, bonded=flow is Flow.BONDED_IMPORT)
    back: dict[tuple[int, int], int] = defaultdict(int)
    for row in rows:
        back[(row.lot_id, row.location_id)] += row.picked_quantity
        row.open = False
    names = dict(
        session.execute(
            select(Location.id, Location.barcode).where(
                Location.id.in_({loc for _, loc in back} | {dock.id})
            )
        ).all()
    )
    lots = dict(
        session.execute(
            select(Lot.id, Lot.lot_number).where(Lot.id.in_({lot for lot, _ in back}))
        ).all()
    )
    skus = {r.lot_id: r.lot.product.sku for r in rows}
    lines = [MoveLine(lot, n, dock.id, loc) for (lot, loc), n in sorted(back.items())]
    returned = [
        {
            "sku": skus[lot],
            "lot": lots[lot],
            "from": names[dock.id],
            "to": names[loc],
            "quantity": n,
        }
        for (lot, loc), n in sorted(back.items())
    ]
    return returned, lines


def _void_parcels(session: Session, order_id: int) -> list[str]:
    parcels = list(
        session.scalars(
            select(Parcel)
            .where(Parcel.order_id == order_id, Parcel.status.in_(_PARCELS_TO_VOID))
            .order_by(Parcel.id)
        )
    )
    for parcel in parcels:
        parcel.status = ParcelStatus.VOID
    return [p.number for p in parcels]


__all__ = ["CancelRequest", "cancel"]
