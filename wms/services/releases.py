"""Batch releases (the release note / gate pass): one vehicle, its seal, many parcels.

Parcels are loaded by scan; only a labelled parcel whose order customs has cleared (or
that needs no clearance) goes on.  Gate-out is the moment goods leave: one transaction
posts every parcel's goods from the staging dock to the customer, which moves them out
of the bonded account book ("released"), and marks the orders released.  Either the
whole batch leaves or none of it does.  Until then a batch can be re-opened and a parcel
taken off again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from wms.models import (
    Flow,
    LocationKind,
    MoveReason,
    Order,
    OrderStatus,
    Parcel,
    ParcelStatus,
    ReleaseBatch,
    ReleaseStatus,
    Warehouse,
)
from wms.services import ledger, numbering, order_flow
from wms.services import orders as order_service
from wms.services.catalog import virtual_location, warehouse_by_code
from wms.services.errors import Conflict, InvalidInput, NotFound
from wms.services.ledger import MoveLine, utcnow
from wms.services.staging import outbound_staging


@dataclass(frozen=True)
class LoadScan:
    batch_number: str
    parcel_code: str  # the parcel number or its tracking number
    idempotency_key: str
    actor: str


@dataclass(frozen=True)
class GateOut:
    batch_number: str
    idempotency_key: str
    actor: str


def create_batch(
    session: Session,
    *,
    warehouse_code: str,
    vehicle_plate: str,
    actor: str,
    seal_number: str | None = None,
    at: datetime | None = None,
) -> ReleaseBatch:
    at = at or utcnow()
    warehouse = warehouse_by_code(session, warehouse_code, field="warehouse")
    plate = vehicle_plate.strip().upper()
    if not plate:
        raise InvalidInput("the vehicle's plate is required", field="vehicle_plate")
    batch = ReleaseBatch(
        number=numbering.daily_number(session, ReleaseBatch.number, "RB", at),
        warehouse_id=warehouse.id,
        status=ReleaseStatus.OPEN,
        vehicle_plate=plate,
        seal_number=(seal_number or "").strip() or None,
        created_by=actor,
        created_at=at,
    )
    session.add(batch)
    session.flush()
    return batch


def batch_by_number(session: Session, number: str, *, lock: bool = False) -> ReleaseBatch:
    stmt = select(ReleaseBatch).where(ReleaseBatch.number == number)
    if lock:  # scans onto one vehicle queue up behind each other and behind the gate
        stmt = stmt.with_for_update()
    batch = session.scalar(stmt)
    if batch is None:
        raise NotFound(f"no release batch {number}", field="batch_number")
    return batch


def parcel_by_code(session: Session, code: str, *, field: str = "parcel_code") -> Parcel:
    code = code.strip()
    parcel = session.scalar(
        select(Parcel)
        .where(or_(Parcel.number == code, Parcel.tracking_number == code))
        .where(Parcel.status != ParcelStatus.VOID)
        .order_by(Parcel.id.desc())
    ) or session.scalar(select(Parcel).where(Parcel.number == code))
    if parcel is None:
        raise NotFound(f"no parcel {code}", field=field)
    return parcel


def load_parcel(session: Session, scan: LoadScan, *, at: datetime | None = None) -> dict[str, Any]:
    """Put a scanned parcel on the vehicle; a wrong parcel is refused at the scan."""
    fingerprint, replay = ledger.check_replay(session, "load", scan)
    if replay is not None:
        return replay
    at = at or utcnow()
    batch = batch_by_number(session, scan.batch_number, lock=True)
    _require_open(batch)
    parcel = parcel_by_code(session, scan.parcel_code)
    order = parcel.order
    refusal = _load_refusal(batch, parcel, order)
    if refusal:
        raise Conflict(refusal, field="parcel_code", parcel=parcel.number)
    parcel.release_batch_id = batch.id
    parcel.status = ParcelStatus.LOADED
    parcel.loaded_at = at
    if _all_parcels(session, order, ParcelStatus.LOADED, also=parcel):
        order_service.transition(
            session,
            order,
            OrderStatus.LOADED,
            kind="loaded",
            actor=scan.actor,
            at=at,
            details={"batch": batch.number, "vehicle_plate": batch.vehicle_plate},
        )
    result = {
        "batch_number": batch.number,
        "parcel": parcel.number,
        "order_number": order.order_number,
        "tracking_number": parcel.tracking_number,
        "parcels_on_batch": _count(session, batch),
    }
    ledger.record_answer(session, scan.idempotency_key, "load", fingerprint, scan.actor, at, result)
    return {**result, "replayed": False}


def unload_parcel(
    session: Session, batch_number: str, parcel_code: str, *, actor: str, at: datetime | None = None
) -> dict[str, Any]:
    """Take a parcel off a batch that has not left (it goes back to labelled)."""
    at = at or utcnow()
    batch = batch_by_number(session, batch_number, lock=True)
    _require_open(batch)
    parcel = parcel_by_code(session, parcel_code)
    if parcel.release_batch_id != batch.id:
        raise Conflict(
            f"parcel {parcel.number} is not on batch {batch.number}", field="parcel_code"
        )
    parcel.release_batch_id = None
    parcel.status = ParcelStatus.LABELLED
    parcel.loaded_at = None
    if parcel.order.status is OrderStatus.LOADED:
        order_service.transition(
            session,
            parcel.order,
            OrderStatus.LABELLED,
            kind="unloaded",
            actor=actor,
            at=at,
            details={"batch": batch.number},
        )
    return {"batch_number": batch.number, "parcel": parcel.number, "unloaded": True}


def close_batch(
    session: Session, batch_number: str, *, seal_number: str, actor: str, at: datetime | None = None
) -> ReleaseBatch:
    """Loading finished and the vehicle sealed: the batch waits for the gate."""
    batch = batch_by_number(session, batch_number, lock=True)
    _require_open(batch)
    seal = seal_number.strip()
    if not seal:
        raise InvalidInput("the seal number is required to close a batch", field="seal_number")
    if _count(session, batch) == 0:
        raise Conflict(f"batch {batch.number} has no parcels", field="batch_number")
    batch.seal_number = seal
    batch.status = ReleaseStatus.CLOSED
    batch.closed_at = at or utcnow()
    return batch


def reopen_batch(session: Session, batch_number: str, *, actor: str) -> ReleaseBatch:
    batch = batch_by_number(session, batch_number, lock=True)
    if batch.status is ReleaseStatus.GATED_OUT:
        raise Conflict(
            f"batch {batch.number} left at {batch.gated_out_at:%Y-%m-%d %H:%M} UTC; "
            "it cannot be re-opened",
            field="batch_number",
        )
    batch.status = ReleaseStatus.OPEN
    batch.closed_at = None
    return batch


def gate_out(session: Session, request: GateOut, *, at: datetime | None = None) -> dict[str, Any]:
    """The gate scan: every parcel of the batch leaves, in one transaction, or none does."""
    fingerprint, replay = ledger.check_replay(session, "gate_out", request)
    if replay is not None:
        return replay
    at = at or utcnow()
    batch = batch_by_number(session, request.batch_number, lock=True)
    if batch.status is ReleaseStatus.GATED_OUT:
        raise Conflict(f"batch {batch.number} has already left", field="batch_number")
    if batch.status is not ReleaseStatus.CLOSED:
        raise Conflict(
            f"batch {batch.number} is still loading: close it with its seal first",
            field="batch_number",
        )
    parcels = list(
        session.scalars(
            select(Parcel)
            .where(Parcel.release_batch_id == batch.id)
            .options(selectinload(Parcel.items), selectinload(Parcel.order))
            .order_by(Parcel.id)
        )
    )
    for parcel in parcels:  # nothing may have changed under a closed batch; check anyway
        if (
            parcel.status is not ParcelStatus.LOADED
            or parcel.order.status is not OrderStatus.LOADED
        ):
            raise Conflict(
                f"parcel {parcel.number} is {parcel.status.value} and its order "
                f"{parcel.order.order_number} {parcel.order.status.value}: re-open the batch",
                field="batch_number",
            )
    lines = _release_lines(session, batch.warehouse_id, parcels)
    operation_id = None
    if lines:
        operation = ledger.post(
            session,
            idempotency_key=request.idempotency_key,
            fingerprint=fingerprint,
            kind="gate_out",
            reason=MoveReason.RELEASE,
            actor=request.actor,
            lines=lines,
            document_ref=batch.number,
            at=at,
        )
        operation_id = operation.id
    orders_done: dict[int, Order] = {}
    for parcel in parcels:
        parcel.status = ParcelStatus.RELEASED
        orders_done[parcel.order.id] = parcel.order
    for order in orders_done.values():
        order_service.transition(
            session,
            order,
            OrderStatus.RELEASED,
            kind="gate_out",
            actor=request.actor,
            at=at,
            details={"batch": batch.number, "vehicle_plate": batch.vehicle_plate},
        )
        order.released_at = at
    batch.status = ReleaseStatus.GATED_OUT
    batch.gated_out_at = at
    batch.gated_out_by = request.actor
    batch.operation_id = operation_id
    result = {
        "batch_number": batch.number,
        "vehicle_plate": batch.vehicle_plate,
        "seal_number": batch.seal_number,
        "parcels": len(parcels),
        "orders": len(orders_done),
        "units": sum(line.quantity for line in lines),
        "operation_id": operation_id,
        "gated_out_at": at.isoformat(),
    }
    if operation_id is None:
        ledger.record_answer(
            session, request.idempotency_key, "gate_out", fingerprint, request.actor, at, result
        )
    else:
        operation.result = result
    return {**result, "replayed": False}


def hand_over(
    session: Session, batch_number: str, *, actor: str, at: datetime | None = None
) -> dict[str, Any]:
    """The courier signed for the batch: its orders are handed over."""
    at = at or utcnow()
    batch = batch_by_number(session, batch_number, lock=True)
    if batch.status is not ReleaseStatus.GATED_OUT:
        raise Conflict(f"batch {batch.number} has not left yet", field="batch_number")
    count = 0
    for parcel in batch.parcels:
        if parcel.status is ParcelStatus.RELEASED:
            parcel.status = ParcelStatus.HANDED_OVER
        if parcel.order.status is OrderStatus.RELEASED:
            order_service.transition(
                session,
                parcel.order,
                OrderStatus.HANDED_OVER,
                kind="handed_over",
                actor=actor,
                at=at,
                details={"batch": batch.number},
            )
            count += 1
    return {"batch_number": batch.number, "orders_handed_over": count}


def batch_view(session: Session, batch: ReleaseBatch) -> dict[str, Any]:
    parcels = list(batch.parcels)
    return {
        "number": batch.number,
        "warehouse": session.get(Warehouse, batch.warehouse_id).code,  # type: ignore[union-attr]
        "status": batch.status.value,
        "vehicle_plate": batch.vehicle_plate,
        "seal_number": batch.seal_number,
        "created_by": batch.created_by,
        "created_at": batch.created_at.isoformat(),
        "closed_at": batch.closed_at.isoformat() if batch.closed_at else None,
        "gated_out_at": batch.gated_out_at.isoformat() if batch.gated_out_at else None,
        "gated_out_by": batch.gated_out_by,
        "parcels": [
            {
                "number": p.number,
                "order_number": p.order.order_number,
                "tracking_number": p.tracking_number,
                "courier_code": p.courier_code,
                "gross_weight_g": p.gross_weight_g,
                "status": p.status.value,
            }
            for p in parcels
        ],
        "gross_weight_g": sum(p.gross_weight_g for p in parcels),
    }


# --- internals -------------------------------------------------------------------------


def _require_open(batch: ReleaseBatch) -> None:
    if batch.status is ReleaseStatus.GATED_OUT:
        raise Conflict(f"batch {batch.number} has already left", field="batch_number")
    if batch.status is ReleaseStatus.CLOSED:
        raise Conflict(
            f"batch {batch.number} is sealed: re-open it to change its load",
            field="batch_number",
        )


def _load_refusal(batch: ReleaseBatch, parcel: Parcel, order: Order) -> str | None:
    if parcel.status is ParcelStatus.VOID:
        return f"parcel {parcel.number} is void: order {order.order_number} was cancelled"
    if parcel.release_batch_id == batch.id:
        return f"parcel {parcel.number} is already on this vehicle"
    if parcel.release_batch_id is not None:
        return f"parcel {parcel.number} is already on another batch"
    if order.warehouse_id != batch.warehouse_id:
        return f"parcel {parcel.number} belongs to another warehouse"
    if parcel.status is not ParcelStatus.LABELLED or order.status is not OrderStatus.LABELLED:
        if order_flow.declares(order.flow) and not _cleared(order):
            return (
                f"parcel {parcel.number}: order {order.order_number} is {order.status.value}, "
                "not cleared by customs: it stays in the zone"
            )
        return f"parcel {parcel.number} is {parcel.status.value}: only labelled parcels are loaded"
    return None


def _cleared(order: Order) -> bool:
    path = order_flow.main_path(order.flow)
    return order.status in path and path.index(order.status) >= path.index(OrderStatus.CLEARED)


def _all_parcels(session: Session, order: Order, status: ParcelStatus, *, also: Parcel) -> bool:
    session.flush()
    others = session.scalar(
        select(func.count(Parcel.id)).where(
            Parcel.order_id == order.id,
            Parcel.id != also.id,
            Parcel.status != ParcelStatus.VOID,
            Parcel.status != status,
        )
    )
    return not others


def _count(session: Session, batch: ReleaseBatch) -> int:
    session.flush()
    return int(
        session.scalar(select(func.count(Parcel.id)).where(Parcel.release_batch_id == batch.id))
        or 0
    )


def _release_lines(session: Session, warehouse_id: int, parcels: list[Parcel]) -> list[MoveLine]:
    """Goods of every parcel, from the staging dock where picking left them to the
    customer.  Direct-mail parcels carry no stock of ours and post nothing."""
    customer = virtual_location(session, warehouse_id, LocationKind.CUSTOMER)
    staging = {
        bonded: outbound_staging(session, warehouse_id, bonded=bonded).id
        for bonded in (True, False)
    }
    units: dict[tuple[int, int], int] = defaultdict(int)
    for parcel in parcels:
        if parcel.order.flow is Flow.DIRECT_MAIL:
            continue
        source = staging[parcel.order.flow is Flow.BONDED_IMPORT]
        for item in parcel.items:
            if item.lot_id is not None:
                units[(item.lot_id, source)] += item.quantity
    return [
        MoveLine(lot_id, quantity, source, customer.id)
        for (lot_id, source), quantity in sorted(units.items())
    ]
