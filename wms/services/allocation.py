"""Allocation: reserve stock for orders, first-expiry-first-out, all or nothing per order.

Stock is taken only from active sellable bins of the order's warehouse, in the bonded
zone for bonded imports and outside it for domestic and export orders: never from a
showroom (the database forbids sellable showrooms), quarantine (not sellable) or units
another order holds.  A lot expiring sooner than the channel's minimum shelf life is
skipped.  An order that cannot be covered in full reserves nothing and goes on hold with
its missing quantities; it is never half-reserved.

Concurrency: on PostgreSQL the candidate quants are locked (FOR UPDATE, in id order)
before anything is counted, so two allocations racing for the same units queue; SQLite
serialises writers.  The reserve statement is conditional as a last line of defence,
and the quant CHECK constraint behind it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session, selectinload

from wms.models import (
    Channel,
    Flow,
    Location,
    LocationKind,
    Lot,
    Order,
    OrderLine,
    OrderStatus,
    Quant,
    Reservation,
)
from wms.services import orders as order_service
from wms.services.errors import Conflict, NotFound
from wms.services.ledger import utcnow

# Orders past clearance may still need units after a short pick; they keep their status.
_REALLOCATABLE = frozenset(
    {OrderStatus.ALLOCATED, OrderStatus.PLANNED, OrderStatus.DECLARED, OrderStatus.CLEARED}
)


@dataclass
class Outcome:
    order_id: int
    order_number: str
    status: str
    reserved: list[dict[str, Any]] = field(default_factory=list)
    missing: list[dict[str, Any]] = field(default_factory=list)
    note: str | None = None  # why nothing was done
    covered: bool = False  # nothing was done because nothing is missing

    def as_dict(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "order_number": self.order_number,
            "status": self.status,
            "reserved": self.reserved,
            "missing": self.missing,
            "note": self.note,
        }


@dataclass
class _Candidate:
    quant_id: int
    lot_id: int
    location_id: int
    free: int
    sort_key: tuple[Any, ...]
    lot_number: str
    location: str
    expiry: date | None


def allocate(session: Session, order_id: int, *, actor: str, at: datetime | None = None) -> Outcome:
    """Allocate one order.  Asking again for an order already covered answers with its
    status and reserves nothing; an order that cannot be allocated at all is refused."""
    outcome = allocate_orders(session, [order_id], actor=actor, at=at)[0]
    if outcome.status == "missing":
        raise NotFound(f"order {order_id} does not exist", field="order_id")
    if outcome.note and not outcome.covered:
        raise Conflict(outcome.note, field="order_id", status=outcome.status)
    return outcome


def allocate_orders(
    session: Session,
    order_ids: list[int],
    *,
    actor: str,
    at: datetime | None = None,
    avoid: set[tuple[int, int]] | None = None,
) -> list[Outcome]:
    """Allocate many orders in one transaction, in order-id order (first come, first
    served).  Each order is covered in full or put on hold; the others go on.
    ``avoid`` names (lot, bin) pairs not to take from (a bin just found short)."""
    at = at or utcnow()
    stmt = (
        select(Order)
        .where(Order.id.in_(order_ids))
        .options(selectinload(Order.lines).joinedload(OrderLine.product))
        .order_by(Order.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Order)
    orders = list(session.scalars(stmt))
    found = {o.id for o in orders}
    outcomes: dict[int, Outcome] = {}
    for order_id in order_ids:
        if order_id not in found:
            outcomes[order_id] = Outcome(order_id, "", "missing", note="no such order")

    covered = _covered(session, [o.id for o in orders])
    work: list[tuple[Order, dict[int, int]]] = []
    for order in orders:
        need = _needs(order, covered)
        reason = _why_not(order, need)
        if reason:
            outcomes[order.id] = Outcome(
                order.id, order.order_number, order.status.value, note=reason, covered=not need
            )
        else:
            work.append((order, need))
    if not work:
        return [outcomes[i] for i in order_ids]

    channels = {
        c.id: c
        for c in session.scalars(
            select(Channel).where(Channel.id.in_({o.channel_id for o, _ in work}))
        )
    }
    lines = {line.id: line for order, _ in work for line in order.lines}
    candidates = _candidates(session, work, lines)
    reserve: dict[int, int] = defaultdict(int)  # quant id -> units
    new_rows: list[dict[str, Any]] = []
    today = at.date()
    for order, need in work:
        min_expiry = today + timedelta(days=channels[order.channel_id].min_shelf_life_days)
        bonded = order.flow is Flow.BONDED_IMPORT
        taken: list[tuple[_Candidate, int, int]] = []
        missing: list[dict[str, Any]] = []
        for line_id, wanted in sorted(need.items()):
            line = lines[line_id]
            left = wanted
            for cand in candidates.get((line.product_id, order.warehouse_id, bonded), []):
                if left == 0:
                    break
                if cand.free <= 0 or (cand.expiry is not None and cand.expiry < min_expiry):
                    continue
                if avoid and (cand.lot_id, cand.location_id) in avoid:
                    continue
                n = min(cand.free, left)
                cand.free -= n
                left -= n
                taken.append((cand, n, line_id))
            if left:
                missing.append(
                    {
                        "line_no": line.line_no,
                        "sku": line.product.sku,
                        "wanted": wanted,
                        "available": wanted - left,
                        "missing": left,
                    }
                )
        outcome = Outcome(order.id, order.order_number, order.status.value)
        if missing:
            for cand, n, _ in taken:  # all or nothing: give the units back to the others
                cand.free += n
            _hold(session, order, missing, actor, at)
            outcome.status, outcome.missing = order.status.value, missing
        else:
            for cand, n, line_id in taken:
                reserve[cand.quant_id] += n
                new_rows.append(
                    {
                        "order_id": order.id,
                        "order_line_id": line_id,
                        "lot_id": cand.lot_id,
                        "location_id": cand.location_id,
                        "quantity": n,
                        "picked_quantity": 0,
                        "short_quantity": 0,
                        "open": True,
                        "created_at": at,
                    }
                )
                outcome.reserved.append(
                    {
                        "line_no": lines[line_id].line_no,
                        "sku": lines[line_id].product.sku,
                        "lot": cand.lot_number,
                        "location": cand.location,
                        "quantity": n,
                    }
                )
            _mark_allocated(session, order, actor, at)
            outcome.status = order.status.value
        outcomes[order.id] = outcome

    _reserve(session, reserve)
    if new_rows:
        session.execute(insert(Reservation), new_rows)
    session.flush()
    return [outcomes[i] for i in order_ids]


def free_reservations(session: Session, order: Order) -> int:
    """Give back what an order still holds in bins (a cancellation, a short pick)."""
    rows = list(
        session.scalars(
            select(Reservation)
            .where(Reservation.order_id == order.id, Reservation.open.is_(True))
            .order_by(Reservation.id)
        )
    )
    back: dict[tuple[int, int], int] = defaultdict(int)
    for row in rows:
        if row.to_pick:
            back[(row.lot_id, row.location_id)] += row.to_pick
            # What was never picked is no longer reserved for the order.
            row.quantity -= row.to_pick
        row.open = False
        if row.quantity == 0:  # nothing picked or short: nothing left to keep (quantity > 0)
            session.delete(row)
    _unreserve(session, back)
    return sum(back.values())


# --- internals -------------------------------------------------------------------------


def _covered(session: Session, order_ids: list[int]) -> dict[int, int]:
    """Units per order line already held or picked: reserved less reported short."""
    covered: dict[int, int] = defaultdict(int)
    if not order_ids:
        return covered
    for line_id, quantity, short in session.execute(
        select(Reservation.order_line_id, Reservation.quantity, Reservation.short_quantity).where(
            Reservation.order_id.in_(order_ids)
        )
    ):
        covered[line_id] += quantity - short
    return covered


def _needs(order: Order, covered: dict[int, int]) -> dict[int, int]:
    return {
        line.id: line.quantity - covered.get(line.id, 0)
        for line in order.lines
        if line.quantity > covered.get(line.id, 0)
    }


def _why_not(order: Order, need: dict[int, int]) -> str | None:
    number = order.order_number
    if order.flow is Flow.DIRECT_MAIL:
        return f"order {number} is direct mail: it arrives packed and holds no stock of ours"
    if order.status is OrderStatus.ON_HOLD:
        if (order.hold_reason or {}).get("kind") != "stock":
            return f"order {number} is held by customs, not for stock"
    elif order.status is not OrderStatus.RECEIVED and order.status not in _REALLOCATABLE:
        return f"order {number} is {order.status.value}; there is nothing to allocate"
    if not need:
        return f"order {number} is fully allocated"
    return None


def _candidates(
    session: Session, work: list[tuple[Order, dict[int, int]]], lines: dict[int, OrderLine]
) -> dict[tuple[int, int, bool], list[_Candidate]]:
    """Free units per (product, warehouse, bonded), in the order allocation takes them:
    earliest expiry first (lots without expiry last), then older lots, then the pick
    path."""
    products = {lines[line_id].product_id for _, need in work for line_id in need}
    warehouses = {o.warehouse_id for o, _ in work}
    stmt = (
        select(
            Quant.id,
            Quant.product_id,
            Quant.lot_id,
            Quant.location_id,
            Quant.quantity,
            Quant.reserved_quantity,
            Location.warehouse_id,
            Location.is_bonded,
            Location.pick_sequence,
            Location.barcode,
            Lot.lot_number,
            Lot.expiry_date,
        )
        .join(Location, Location.id == Quant.location_id)
        .join(Lot, Lot.id == Quant.lot_id)
        .where(
            Quant.product_id.in_(products),
            Location.warehouse_id.in_(warehouses),
            Location.is_sellable.is_(True),
            Location.active.is_(True),
            Location.kind == LocationKind.BIN,
            Quant.quantity > Quant.reserved_quantity,
        )
        .order_by(Quant.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Quant)
    found: dict[tuple[int, int, bool], list[_Candidate]] = defaultdict(list)
    for r in session.execute(stmt):
        found[(r.product_id, r.warehouse_id, r.is_bonded)].append(
            _Candidate(
                quant_id=r.id,
                lot_id=r.lot_id,
                location_id=r.location_id,
                free=r.quantity - r.reserved_quantity,
                sort_key=(
                    r.expiry_date is None,
                    r.expiry_date or date.max,
                    r.lot_id,
                    r.pick_sequence is None,
                    r.pick_sequence or 0,
                    r.barcode,
                ),
                lot_number=r.lot_number,
                location=r.barcode,
                expiry=r.expiry_date,
            )
        )
    for cands in found.values():
        cands.sort(key=lambda c: c.sort_key)
    return found


def _reserve(session: Session, reserve: dict[int, int]) -> None:
    if not reserve:
        return
    table = Quant.__table__
    stmt = (
        update(table)
        .where(
            table.c.id == bindparam("qid"),
            table.c.quantity - table.c.reserved_quantity >= bindparam("n"),
        )
        .values(reserved_quantity=table.c.reserved_quantity + bindparam("n"))
    )
    rows = [{"qid": qid, "n": n} for qid, n in sorted(reserve.items())]
    result = session.connection().execute(stmt, rows)
    if result.rowcount != len(rows):
        # Only a writer bypassing the locks could cause this; refuse the whole batch.
        raise Conflict("stock changed while allocating; try again", field="order_id")


def _unreserve(session: Session, back: dict[tuple[int, int], int]) -> None:
    if not back:
        return
    table = Quant.__table__
    stmt = (
        update(table)
        .where(table.c.lot_id == bindparam("l"), table.c.location_id == bindparam("loc"))
        .values(reserved_quantity=table.c.reserved_quantity - bindparam("n"))
    )
    session.connection().execute(
        stmt, [{"l": lot, "loc": loc, "n": n} for (lot, loc), n in sorted(back.items())]
    )


def _hold(
    session: Session, order: Order, missing: list[dict[str, Any]], actor: str, at: datetime
) -> None:
    reason = {"kind": "stock", "missing": missing}
    if order.status is OrderStatus.ON_HOLD:
        order.hold_reason = reason  # still short: the figures may have changed
        return
    order_service.transition(
        session,
        order,
        OrderStatus.ON_HOLD,
        kind="short_of_stock",
        actor=actor,
        at=at,
        details=reason,
    )
    order.hold_reason = reason


def _mark_allocated(session: Session, order: Order, actor: str, at: datetime) -> None:
    if order.status is OrderStatus.RECEIVED:
        target = OrderStatus.ALLOCATED
    elif order.status is OrderStatus.ON_HOLD:
        target = order.resume_status or OrderStatus.ALLOCATED
    else:  # re-allocated after a short pick: the order keeps its place in the flow
        order_service.record(session, order, order.status, order.status, "reallocated", actor, at)
        return
    order_service.transition(session, order, target, kind="allocated", actor=actor, at=at)


__all__ = ["Outcome", "allocate", "allocate_orders", "free_reservations"]
