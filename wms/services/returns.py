"""Consumer returns of released parcels.

A bonded-import return goes back into the bonded zone only when the consumer applied
within 30 days of release and the goods are back within 45 days (the cross-border
retail rules; the tax is then cancelled and the annual quota restored: the customs side
records that when it lands).  A late return is refused into bonded stock with the
reason.  Received goods wait on a dock for inspection, then go back to a bin (sellable)
or to scrap; the ledger and the account book show both.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wms.models import (
    ConsumerReturn,
    ConsumerReturnLine,
    Flow,
    LocationKind,
    Lot,
    Move,
    MoveReason,
    Order,
    OrderStatus,
    Parcel,
    ParcelItem,
    ParcelStatus,
    ReturnStatus,
)
from wms.services import declarations, ledger, numbering
from wms.services import orders as order_service
from wms.services.catalog import location_by_barcode, product_by_code, virtual_location
from wms.services.errors import Conflict, InvalidInput, NotFound
from wms.services.ledger import MoveLine, utcnow

APPLY_WITHIN = timedelta(days=30)
BACK_WITHIN = timedelta(days=45)
_RETURNABLE = frozenset({OrderStatus.RELEASED, OrderStatus.HANDED_OVER})


@dataclass(frozen=True)
class ReturnItem:
    product_code: str
    quantity: int


@dataclass(frozen=True)
class ReturnApplication:
    order_id: int
    items: tuple[ReturnItem, ...]
    actor: str
    applied_at: datetime | None = None


@dataclass(frozen=True)
class ReturnReceipt:
    return_number: str
    dock_barcode: str
    idempotency_key: str
    actor: str


@dataclass(frozen=True)
class InspectedItem:
    product_code: str
    lot_number: str
    good: int  # back to a sellable bin
    scrap: int  # damaged: written off
    bin_barcode: str | None = None


@dataclass(frozen=True)
class ReturnInspection:
    return_number: str
    items: tuple[InspectedItem, ...]
    idempotency_key: str
    actor: str


def apply_for_return(session: Session, data: ReturnApplication) -> ConsumerReturn:
    """Record the consumer's application; the goods it names are the lots that left."""
    at = data.applied_at or utcnow()
    order = order_service.order_by_id(session, data.order_id, lock=True)
    if order.status not in _RETURNABLE:
        raise Conflict(
            f"order {order.order_number} is {order.status.value}: only released orders "
            "come back as returns",
            field="order_id",
        )
    if order.flow is Flow.DIRECT_MAIL:
        raise Conflict("direct-mail goods are not ours to take back", field="order_id")
    if not data.items:
        raise InvalidInput("a return names at least one item", field="items")
    assert order.released_at is not None
    late = order.flow is Flow.BONDED_IMPORT and at - order.released_at > APPLY_WITHIN
    shipped = _shipped_lots(session, order)
    already = _already_returned(session, order)
    ret = ConsumerReturn(
        number=numbering.daily_number(session, ConsumerReturn.number, "RT", at, width=4),
        order_id=order.id,
        status=ReturnStatus.APPLIED,
        applied_at=at,
        actor=data.actor,
    )
    session.add(ret)
    session.flush()
    for i, item in enumerate(data.items):
        field = f"items[{i}]"
        if item.quantity <= 0:
            raise InvalidInput("quantity must be positive", field=f"{field}.quantity")
        product = product_by_code(session, item.product_code, field=f"{field}.product_code")
        left = item.quantity
        for line_id, lot_id, qty in shipped.get(product.id, []):
            free = qty - already[(line_id, lot_id)]
            n = min(free, left)
            if n <= 0:
                continue
            already[(line_id, lot_id)] += n
            left -= n
            session.add(
                ConsumerReturnLine(
                    return_id=ret.id, order_line_id=line_id, lot_id=lot_id, quantity=n
                )
            )
            if left == 0:
                break
        if left:
            raise InvalidInput(
                f"more {product.sku} than order {order.order_number} shipped and has not "
                "yet come back",
                field=f"{field}.quantity",
            )
    if late:
        _refuse(
            ret,
            f"applied {(at - order.released_at).days} days after release; bonded "
            "returns must be applied for within 30 days",
        )
    session.flush()
    order_service.record(
        session,
        order,
        order.status,
        order.status,
        "return_applied",
        data.actor,
        at,
        {"return": ret.number, "status": ret.status.value, "reason": ret.refused_reason},
    )
    return ret


def receive_return(
    session: Session, data: ReturnReceipt, *, at: datetime | None = None
) -> dict[str, Any]:
    """The parcel is back at the dock.  Bonded goods re-enter the zone (customer -> dock,
    which takes them off the book's released column) only within 45 days."""
    fingerprint, replay = ledger.check_replay(session, "return_receipt", data)
    if replay is not None:
        return replay
    at = at or utcnow()
    ret = return_by_number(session, data.return_number, lock=True)
    order = session.get(Order, ret.order_id)
    assert order is not None and order.released_at is not None
    if ret.status is not ReturnStatus.APPLIED:
        raise Conflict(f"return {ret.number} is {ret.status.value}", field="return_number")
    dock = location_by_barcode(session, data.dock_barcode, field="dock_barcode")
    bonded = order.flow is Flow.BONDED_IMPORT
    if dock.kind is not LocationKind.DOCK or dock.is_bonded != bonded or dock.is_sellable:
        zone = "bonded" if bonded else "duty-paid"
        raise InvalidInput(f"returns are received on a {zone} dock", field="dock_barcode")
    if dock.warehouse_id != order.warehouse_id:
        raise InvalidInput("this dock is in another warehouse", field="dock_barcode")
    if bonded and at - order.released_at > BACK_WITHIN:
        _refuse(
            ret,
            f"back {(at - order.released_at).days} days after release; bonded "
            "returns must be back in the zone within 45 days",
        )
        result = {
            "return_number": ret.number,
            "status": ret.status.value,
            "reason": ret.refused_reason,
        }
        ledger.record_answer(
            session, data.idempotency_key, "return_receipt", fingerprint, data.actor, at, result
        )
        order_service.record(
            session, order, order.status, order.status, "return_refused", data.actor, at, result
        )
        return {**result, "replayed": False}
    customer = virtual_location(session, order.warehouse_id, LocationKind.CUSTOMER)
    lines = [MoveLine(line.lot_id, line.quantity, customer.id, dock.id) for line in ret.lines]
    operation = ledger.post(
        session,
        idempotency_key=data.idempotency_key,
        fingerprint=fingerprint,
        kind="return_receipt",
        reason=MoveReason.RECEIPT,
        actor=data.actor,
        lines=lines,
        document_ref=ret.number,
        at=at,
    )
    ret.status = ReturnStatus.RECEIVED
    ret.received_at = at
    # Back in the zone in time: the tax on these goods is cancelled and the quota restored.
    customs = declarations.credit_return(
        session,
        order,
        return_number=ret.number,
        share=_share_of_goods(session, order, ret),
        applied_at=ret.applied_at,
        back_at=at,
    )
    operation.result = {
        "return_number": ret.number,
        "status": ret.status.value,
        "dock": dock.barcode,
        "units": sum(line.quantity for line in lines),
        "operation_id": operation.id,
        "customs": customs,
    }
    order_service.record(
        session,
        order,
        order.status,
        order.status,
        "return_received",
        data.actor,
        at,
        {"return": ret.number, "dock": dock.barcode},
    )
    return {**operation.result, "replayed": False}


def inspect_return(
    session: Session, data: ReturnInspection, *, at: datetime | None = None
) -> dict[str, Any]:
    """Good units back to a sellable bin, damaged ones to scrap, in one operation."""
    fingerprint, replay = ledger.check_replay(session, "return_inspection", data)
    if replay is not None:
        return replay
    at = at or utcnow()
    ret = return_by_number(session, data.return_number, lock=True)
    if ret.status is not ReturnStatus.RECEIVED:
        raise Conflict(
            f"return {ret.number} is {ret.status.value}: inspect it once it is received",
            field="return_number",
        )
    order = session.get(Order, ret.order_id)
    assert order is not None
    dock_id = _dock_of(session, ret)
    scrap = virtual_location(session, order.warehouse_id, LocationKind.SCRAP)
    by_lot: dict[tuple[int, str], list[ConsumerReturnLine]] = defaultdict(list)
    for line in ret.lines:
        lot = session.get(Lot, line.lot_id)
        assert lot is not None
        by_lot[(lot.product_id, lot.lot_number)].append(line)
    moves: list[MoveLine] = []
    reasons: list[MoveReason] = []
    seen: set[tuple[int, str]] = set()
    for i, item in enumerate(data.items):
        field = f"items[{i}]"
        product = product_by_code(session, item.product_code, field=f"{field}.product_code")
        key = (product.id, item.lot_number)
        if key not in by_lot:
            raise InvalidInput(
                f"{product.sku} lot {item.lot_number} is not on return {ret.number}",
                field=f"{field}.lot_number",
            )
        if key in seen:
            raise InvalidInput("this lot is listed twice", field=f"{field}.lot_number")
        seen.add(key)
        if item.good < 0 or item.scrap < 0:
            raise InvalidInput("quantities cannot be negative", field=f"{field}.good")
        expected = sum(line.quantity for line in by_lot[key])
        if item.good + item.scrap != expected:
            raise InvalidInput(
                f"{expected} of {product.sku} lot {item.lot_number} came back: good and "
                "scrap must add up to that",
                field=f"{field}.good",
            )
        target = None
        if item.good:
            if not item.bin_barcode:
                raise InvalidInput(
                    "say which bin the good units go to", field=f"{field}.bin_barcode"
                )
            target = location_by_barcode(session, item.bin_barcode, field=f"{field}.bin_barcode")
            if (
                target.kind is not LocationKind.BIN
                or not target.is_sellable
                or target.is_bonded != (order.flow is Flow.BONDED_IMPORT)
                or target.warehouse_id != order.warehouse_id
            ):
                raise InvalidInput(
                    "good units go back to a sellable bin of the same zone",
                    field=f"{field}.bin_barcode",
                )
        good, scrapped = item.good, item.scrap
        for line in by_lot[key]:
            g = min(good, line.quantity)
            s = line.quantity - g
            good -= g
            scrapped -= s
            line.restocked_quantity, line.scrapped_quantity = g, s
            if g:
                assert target is not None
                moves.append(MoveLine(line.lot_id, g, dock_id, target.id))
                reasons.append(MoveReason.TRANSFER)
            if s:
                moves.append(MoveLine(line.lot_id, s, dock_id, scrap.id))
                reasons.append(MoveReason.WRITE_OFF)
    if seen != set(by_lot):
        raise InvalidInput("every lot of the return must be inspected", field="items")
    # Two reasons, two operations, one transaction: the key names the first.
    result: dict[str, Any] = {"return_number": ret.number, "operations": []}
    posted = []
    for reason in (MoveReason.TRANSFER, MoveReason.WRITE_OFF):
        part = [m for m, r in zip(moves, reasons, strict=True) if r is reason]
        if not part:
            continue
        key = f"{data.idempotency_key}:2" if posted else data.idempotency_key
        operation = ledger.post(
            session,
            idempotency_key=key,
            fingerprint=fingerprint,
            kind="return_inspection",
            reason=reason,
            actor=data.actor,
            lines=part,
            document_ref=ret.number,
            at=at,
        )
        result["operations"].append(operation.id)
        posted.append(operation)
    ret.status = ReturnStatus.RESTOCKED
    ret.inspected_at = at
    result |= {
        "status": ret.status.value,
        "restocked": sum(line.restocked_quantity for line in ret.lines),
        "scrapped": sum(line.scrapped_quantity for line in ret.lines),
    }
    posted[0].result = result
    order_service.record(
        session,
        order,
        order.status,
        order.status,
        "returned",
        data.actor,
        at,
        {
            "return": ret.number,
            "restocked": result["restocked"],
            "scrapped": result["scrapped"],
            # The customs side (tax cancelled, quota restored) acts on this event.
            "customs": "tax cancellation and quota credit due"
            if order.flow is Flow.BONDED_IMPORT
            else None,
        },
    )
    return {**result, "replayed": False}


def return_view(ret: ConsumerReturn) -> dict[str, Any]:
    return {
        "number": ret.number,
        "order_id": ret.order_id,
        "status": ret.status.value,
        "applied_at": ret.applied_at.isoformat(),
        "received_at": ret.received_at.isoformat() if ret.received_at else None,
        "inspected_at": ret.inspected_at.isoformat() if ret.inspected_at else None,
        "refused_reason": ret.refused_reason,
        "lines": [
            {
                "order_line_id": line.order_line_id,
                "lot_id": line.lot_id,
                "quantity": line.quantity,
                "restocked": line.restocked_quantity,
                "scrapped": line.scrapped_quantity,
            }
            for line in ret.lines
        ],
    }


def return_by_number(session: Session, number: str, *, lock: bool = False) -> ConsumerReturn:
    stmt = select(ConsumerReturn).where(ConsumerReturn.number == number)
    ret = session.scalar(stmt.with_for_update() if lock else stmt)
    if ret is None:
        raise NotFound(f"no return {number}", field="return_number")
    return ret


# --- internals -------------------------------------------------------------------------


def _refuse(ret: ConsumerReturn, reason: str) -> None:
    ret.status = ReturnStatus.REFUSED
    ret.refused_reason = reason


def _shipped_lots(session: Session, order: Order) -> dict[int, list[tuple[int, int, int]]]:
    """product id -> [(order line id, lot id, quantity)] of what left in the parcels."""
    rows = session.execute(
        select(Lot.product_id, ParcelItem.order_line_id, ParcelItem.lot_id, ParcelItem.quantity)
        .join(Parcel, Parcel.id == ParcelItem.parcel_id)
        .join(Lot, Lot.id == ParcelItem.lot_id)
        .where(
            Parcel.order_id == order.id,
            Parcel.status.in_([ParcelStatus.RELEASED, ParcelStatus.HANDED_OVER]),
        )
        .order_by(ParcelItem.id)
    )
    found: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for product_id, line_id, lot_id, qty in rows:
        found[product_id].append((line_id, lot_id, qty))
    return found


def _already_returned(session: Session, order: Order) -> dict[tuple[int, int], int]:
    rows = session.execute(
        select(
            ConsumerReturnLine.order_line_id,
            ConsumerReturnLine.lot_id,
            func.sum(ConsumerReturnLine.quantity),
        )
        .join(ConsumerReturn, ConsumerReturn.id == ConsumerReturnLine.return_id)
        .where(ConsumerReturn.order_id == order.id, ConsumerReturn.status != ReturnStatus.REFUSED)
        .group_by(ConsumerReturnLine.order_line_id, ConsumerReturnLine.lot_id)
    )
    found: dict[tuple[int, int], int] = defaultdict(int)
    for line_id, lot_id, qty in rows:
        found[(line_id, lot_id)] = int(qty)
    return found


def _share_of_goods(session: Session, order: Order, ret: ConsumerReturn) -> Decimal:
    """The returned part of the order's goods value, at the order's own prices."""
    lines = {line.id: line for line in order.lines}
    total = sum(
        (line.quantity * line.unit_price - line.discount for line in lines.values()), Decimal(0)
    )
    back = sum(
        (
            (
                lines[r.order_line_id].quantity * lines[r.order_line_id].unit_price
                - lines[r.order_line_id].discount
            )
            * r.quantity
            / lines[r.order_line_id].quantity
            for r in ret.lines
        ),
        Decimal(0),
    )
    return back / total if total else Decimal(0)


def _dock_of(session: Session, ret: ConsumerReturn) -> int:
    dock = session.scalar(
        select(Move.to_location_id).where(
            Move.document_ref == ret.number, Move.reason == MoveReason.RECEIPT
        )
    )
    if dock is None:
        raise Conflict(f"return {ret.number} was not received", field="return_number")
    return dock
