"""Waves and picking: cleared orders grouped into a wave, a pick list in walking order,
pick confirmations by scan, and short picks.

A wave's tasks are the orders' reservations (order line x lot x bin).  A pick moves the
units from the bin to the outbound staging dock (bonded goods stay in the bonded
account: bin -> bonded dock changes no book column) taking them out of the bin's
reserved quantity.  A short pick books the units the picker did not find as a count
difference and sends the order back to allocation for them.

Everything is set-based (a few statements per scan or per wave, whatever its size):
a wave of 10,000 orders is created and picked in seconds.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import and_, bindparam, case, func, or_, select, update
from sqlalchemy.orm import Session

from wms.models import (
    Flow,
    Location,
    LocationKind,
    Lot,
    MoveReason,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    Reservation,
    Warehouse,
    Wave,
)
from wms.services import allocation, ledger, numbering, order_flow
from wms.services import orders as order_service
from wms.services.catalog import (
    location_by_barcode,
    product_by_code,
    virtual_location,
    warehouse_by_code,
)
from wms.services.errors import Conflict, InvalidInput, NotFound
from wms.services.ledger import MoveLine, utcnow
from wms.services.staging import outbound_staging

OPEN, DONE = "open", "done"
CHUNK = 5000  # ids per IN list: well inside SQLite's and PostgreSQL's parameter limits

T = TypeVar("T")


@dataclass(frozen=True)
class PickScan:
    wave_number: str
    bin_barcode: str
    product_code: str  # SKU or GTIN in any of its forms
    lot_number: str
    quantity: int
    idempotency_key: str
    actor: str
    order_id: int | None = None  # several orders want this lot here: fill this one


@dataclass(frozen=True)
class ShortPick:
    wave_number: str
    bin_barcode: str
    product_code: str
    lot_number: str
    found_quantity: int  # what the picker found and picks now; may be 0
    idempotency_key: str
    actor: str
    order_id: int | None = None


@dataclass(frozen=True)
class _Task:
    id: int
    order_id: int
    order_line_id: int
    lot_id: int
    location_id: int
    to_pick: int
    sequence: int
    sku: str
    product_id: int
    lot_number: str
    barcode: str
    bonded: bool


# --- creating a wave -------------------------------------------------------------------


def _ready_condition() -> Any:
    """Orders at the status their flow picks from (direct mail is never picked)."""
    return or_(
        *(
            and_(Order.flow == flow, Order.status == order_flow.ready_to_pick(flow))
            for flow in Flow
            if flow is not Flow.DIRECT_MAIL
        )
    )


def create_wave(
    session: Session,
    *,
    warehouse_code: str,
    actor: str,
    order_ids: list[int] | None = None,
    max_orders: int | None = None,
    at: datetime | None = None,
) -> Wave:
    """Group the orders ready to pick (all of them, the ones named, or the oldest
    ``max_orders``) into a new wave, and number its tasks in walking order."""
    at = at or utcnow()
    warehouse = warehouse_by_code(session, warehouse_code, field="warehouse")
    if max_orders is not None and max_orders <= 0:
        raise InvalidInput("max_orders must be positive", field="max_orders")
    if order_ids is not None:
        if not order_ids:
            raise InvalidInput("name at least one order, or none for all", field="order_ids")
        _check_named(session, warehouse.id, order_ids)

    stmt = (
        select(
            Reservation.id,
            Reservation.order_id,
            Location.pick_sequence,
            Location.barcode,
            Product.sku,
            Lot.lot_number,
        )
        .join(Order, Order.id == Reservation.order_id)
        .join(Location, Location.id == Reservation.location_id)
        .join(Lot, Lot.id == Reservation.lot_id)
        .join(Product, Product.id == Lot.product_id)
        .where(
            Order.warehouse_id == warehouse.id,
            Reservation.open.is_(True),
            Reservation.wave_id.is_(None),
            _ready_condition(),
        )
    )
    if order_ids:
        rows = [
            row
            for ids in _chunks(sorted(set(order_ids)))
            for row in session.execute(stmt.where(Reservation.order_id.in_(ids)))
        ]
    else:
        rows = list(session.execute(stmt))
    if max_orders is not None:
        keep = set(sorted({r.order_id for r in rows})[:max_orders])
        rows = [r for r in rows if r.order_id in keep]
    if not rows:
        raise Conflict(
            f"no orders of {warehouse.code} are ready to pick (cleared, or planned for "
            "duty-paid orders, with reserved stock not yet in a wave)",
            field="order_ids" if order_ids else "warehouse",
        )

    rows.sort(
        key=lambda r: (
            r.pick_sequence is None,
            r.pick_sequence or 0,
            r.barcode,
            r.sku,
            r.lot_number,
            r.order_id,
            r.id,
        )
    )
    wave = Wave(
        number=numbering.daily_number(session, Wave.number, "W", at),
        warehouse_id=warehouse.id,
        status=OPEN,
        created_by=actor,
        created_at=at,
    )
    session.add(wave)
    session.flush()
    table = Reservation.__table__
    taken = session.connection().execute(
        update(table)
        .where(table.c.id == bindparam("rid"), table.c.wave_id.is_(None))
        .values(wave_id=wave.id, pick_sequence=bindparam("seq")),
        [{"rid": r.id, "seq": i} for i, r in enumerate(rows, start=1)],
    )
    if taken.rowcount != len(rows):
        raise Conflict("another wave took some of these orders; try again", field="warehouse")
    orders_table = Order.__table__
    for ids in _chunks(sorted({r.order_id for r in rows})):
        session.connection().execute(
            update(orders_table).where(orders_table.c.id.in_(ids)).values(wave_id=wave.id)
        )
    session.expire_all()  # ORM copies of those rows are stale now
    return wave


def _check_named(session: Session, warehouse_id: int, order_ids: list[int]) -> None:
    """Each named order must exist here and be ready to pick, with something to pick."""
    found: dict[int, Any] = {}
    for ids in _chunks(sorted(set(order_ids))):
        for row in session.execute(
            select(
                Order.id,
                Order.order_number,
                Order.flow,
                Order.status,
                Order.warehouse_id,
                Order.wave_id,
            ).where(Order.id.in_(ids))
        ):
            found[row.id] = row
    for order_id in order_ids:
        row = found.get(order_id)
        if row is None:
            raise NotFound(f"order {order_id} does not exist", field="order_ids")
        number = row.order_number
        if row.warehouse_id != warehouse_id:
            raise Conflict(f"order {number} ships from another warehouse", field="order_ids")
        if row.flow is Flow.DIRECT_MAIL:
            raise Conflict(
                f"order {number} is direct mail: it arrives packed and is never picked",
                field="order_ids",
            )
        ready = order_flow.ready_to_pick(row.flow)
        if row.status is not ready:
            raise Conflict(
                f"order {number} is {row.status.value}: only {ready.value} "
                f"{row.flow.value} orders are picked",
                field="order_ids",
                status=row.status.value,
            )
    waiting = set()
    for ids in _chunks(sorted(set(order_ids))):
        waiting.update(
            session.scalars(
                select(Reservation.order_id)
                .where(
                    Reservation.order_id.in_(ids),
                    Reservation.open.is_(True),
                    Reservation.wave_id.is_(None),
                )
                .distinct()
            )
        )
    for order_id in order_ids:
        if order_id not in waiting:
            row = found[order_id]
            wave = session.scalar(select(Wave.number).where(Wave.id == row.wave_id))
            where = f"already in wave {wave}" if wave else "holding nothing to pick"
            raise Conflict(f"order {row.order_number} is {where}", field="order_ids")


def wave_by_number(session: Session, number: str) -> Wave:
    wave = session.scalar(select(Wave).where(Wave.number == number))
    if wave is None:
        raise NotFound(f"no wave {number}", field="wave_number")
    return wave


def wave_summary(session: Session, wave: Wave) -> dict[str, Any]:
    totals = session.execute(
        select(
            func.count(Reservation.id),
            func.count(func.distinct(Reservation.order_id)),
            func.coalesce(func.sum(Reservation.quantity), 0),
            func.coalesce(func.sum(Reservation.picked_quantity), 0),
            func.coalesce(func.sum(Reservation.short_quantity), 0),
            func.coalesce(func.sum(case((Reservation.open.is_(True), 1), else_=0)), 0),
        ).where(Reservation.wave_id == wave.id)
    ).one()
    return {
        "number": wave.number,
        "warehouse": session.scalar(
            select(Warehouse.code).where(Warehouse.id == wave.warehouse_id)
        ),
        "status": wave.status,
        "tasks": totals[0],
        "open_tasks": int(totals[5]),
        "orders": totals[1],
        "units": int(totals[2]),
        "picked": int(totals[3]),
        "short": int(totals[4]),
        "created_by": wave.created_by,
        "created_at": wave.created_at.isoformat(),
        "done_at": wave.done_at.isoformat() if wave.done_at else None,
    }


# --- the pick list ---------------------------------------------------------------------


def pick_list(session: Session, wave_number: str) -> list[dict[str, Any]]:
    """The wave's tasks in walking order, done ones included (with what was done)."""
    wave = wave_by_number(session, wave_number)
    rows = session.execute(
        select(
            Reservation.pick_sequence,
            Reservation.quantity,
            Reservation.picked_quantity,
            Reservation.short_quantity,
            Reservation.open,
            Reservation.order_id,
            Location.barcode,
            Product.sku,
            Product.gtin,
            Product.name,
            Lot.lot_number,
            Lot.expiry_date,
            Order.order_number,
        )
        .join(Location, Location.id == Reservation.location_id)
        .join(Lot, Lot.id == Reservation.lot_id)
        .join(Product, Product.id == Lot.product_id)
        .join(Order, Order.id == Reservation.order_id)
        .where(Reservation.wave_id == wave.id)
        .order_by(Reservation.pick_sequence, Reservation.id)
    )
    return [
        {
            "sequence": r.pick_sequence,
            "bin": r.barcode,
            "sku": r.sku,
            "gtin": r.gtin,
            "product_name": r.name,
            "lot_number": r.lot_number,
            "expiry_date": r.expiry_date.isoformat() if r.expiry_date else None,
            "quantity": r.quantity,
            "picked": r.picked_quantity,
            "short": r.short_quantity,
            "to_pick": r.quantity - r.picked_quantity - r.short_quantity if r.open else 0,
            "done": not r.open,
            "order_id": r.order_id,
            "order_number": r.order_number,
            "tote": f"O{r.order_id}",
        }
        for r in rows
    ]


# --- confirming picks ------------------------------------------------------------------


def confirm_pick(session: Session, data: PickScan, *, at: datetime | None = None) -> dict[str, Any]:
    """One scan: ``quantity`` units of a lot taken from a bin for the wave's orders."""
    fingerprint, replay = ledger.check_replay(session, "pick", data)
    if replay is not None:
        return replay
    at = at or utcnow()
    _check_quantity(data.quantity, "quantity", minimum=1)
    wave = _open_wave(session, data.wave_number)
    tasks = _tasks_here(session, wave, data.bin_barcode, data.product_code, data.lot_number)
    tasks = _for_order(tasks, data.order_id)
    first = tasks[0]
    left = sum(t.to_pick for t in tasks)
    if data.quantity > left:
        raise Conflict(
            f"only {left} left to pick of {first.sku} lot {first.lot_number} here",
            field="quantity",
            left=left,
        )
    picks = _fill(tasks, data.quantity)
    operation = ledger.post(
        session,
        idempotency_key=data.idempotency_key,
        fingerprint=fingerprint,
        kind="pick",
        reason=MoveReason.TRANSFER,
        actor=data.actor,
        lines=_pick_lines(session, wave.warehouse_id, picks),
        document_ref=wave.number,
        at=at,
    )
    _record_progress(session, [(t, n, 0) for t, n in picks])
    completed = _complete_orders(session, {t.order_id for t, _ in picks}, data.actor, at, wave)
    upcoming = _close_if_done(session, wave, at)
    result = {
        "operation_id": operation.id,
        "wave_number": wave.number,
        "bin": first.barcode,
        "sku": first.sku,
        "lot_number": first.lot_number,
        "quantity": data.quantity,
        "picks": _task_answers(session, picks),
        "orders_picked": completed,
        "wave_status": wave.status,
        "next": upcoming,
    }
    operation.result = result
    return {**result, "replayed": False}


def report_short(
    session: Session, data: ShortPick, *, at: datetime | None = None
) -> dict[str, Any]:
    """The bin holds less than the tasks want: pick what was found, book the rest as a
    count difference (the ledger said it was there), and allocate the order again for
    the missing units.  The order keeps its customs status: the declaration names goods
    and quantities, not bins.  No stock elsewhere puts it on hold with the missing
    quantities, to resume where it was."""
    fingerprint, replay = ledger.check_replay(session, "short_pick", data)
    if replay is not None:
        return replay
    at = at or utcnow()
    _check_quantity(data.found_quantity, "found_quantity", minimum=0)
    wave = _open_wave(session, data.wave_number)
    tasks = _tasks_here(session, wave, data.bin_barcode, data.product_code, data.lot_number)
    tasks = _for_order(tasks, data.order_id)
    first = tasks[0]
    wanted = sum(t.to_pick for t in tasks)
    if data.found_quantity >= wanted:
        raise Conflict(
            f"{data.found_quantity} found covers the {wanted} to pick of {first.sku} lot "
            f"{first.lot_number} here: confirm the pick instead",
            field="found_quantity",
        )
    missing = wanted - data.found_quantity
    picks = _fill(tasks, data.found_quantity)
    picked_by_task = {t.id: n for t, n in picks}
    progress = [
        (t, picked_by_task.get(t.id, 0), t.to_pick - picked_by_task.get(t.id, 0)) for t in tasks
    ]

    count_diff = virtual_location(session, wave.warehouse_id, LocationKind.COUNT_DIFF)
    operation = ledger.post(
        session,
        idempotency_key=data.idempotency_key,
        fingerprint=fingerprint,
        kind="short_pick",
        reason=MoveReason.COUNT,
        actor=data.actor,
        lines=[MoveLine(first.lot_id, missing, first.location_id, count_diff.id, True)],
        document_ref=wave.number,
        at=at,
    )
    if picks:
        ledger.post(
            session,
            idempotency_key=_sub_key(data.idempotency_key, "pick"),
            fingerprint=ledger.request_hash({"pick_of_short": fingerprint}),
            kind="pick",
            reason=MoveReason.TRANSFER,
            actor=data.actor,
            lines=_pick_lines(session, wave.warehouse_id, picks),
            document_ref=wave.number,
            at=at,
        )
    _record_progress(session, progress)

    shorts: dict[int, int] = defaultdict(int)
    for task, _picked, short in progress:
        if short:
            shorts[task.order_id] += short
    order_ids = sorted({t.order_id for t in tasks})
    completed = _complete_orders(session, set(order_ids), data.actor, at, wave)
    for order in _orders(session, sorted(shorts)):
        order_service.record(
            session,
            order,
            order.status,
            order.status,
            "short_pick",
            data.actor,
            at,
            {
                "wave": wave.number,
                "bin": first.barcode,
                "sku": first.sku,
                "lot_number": first.lot_number,
                "missing": shorts[order.id],
                "found": data.found_quantity,
                "operation_id": operation.id,
            },
        )
    session.flush()
    # The bin just found short is suspect until it is counted: cover the missing units
    # from anywhere else.
    outcomes = allocation.allocate_orders(
        session,
        sorted(shorts),
        actor=data.actor,
        at=at,
        avoid={(first.lot_id, first.location_id)},
    )
    upcoming = _close_if_done(session, wave, at)
    answers = _task_answers(session, [(t, picked_by_task.get(t.id, 0)) for t in tasks])
    result = {
        "operation_id": operation.id,
        "wave_number": wave.number,
        "bin": first.barcode,
        "sku": first.sku,
        "lot_number": first.lot_number,
        "wanted": wanted,
        "found": data.found_quantity,
        "missing": missing,
        "tasks": answers,
        "reallocation": [o.as_dict() for o in outcomes],
        "orders_picked": completed,
        "wave_status": wave.status,
        "next": upcoming,
    }
    operation.result = result
    return {**result, "replayed": False}


def confirm_wave_picked(
    session: Session,
    wave_number: str,
    *,
    actor: str,
    idempotency_key: str,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Every open task of the wave picked in full, in one operation: a wave picked on
    paper and confirmed at the desk, or a bulk run.  Set-based, so a wave of 10,000
    orders takes seconds."""
    fingerprint = ledger.request_hash({"pick_wave": wave_number})
    replay = ledger.replayed_result(session, idempotency_key, fingerprint)
    if replay is not None:
        return replay
    at = at or utcnow()
    wave = _open_wave(session, wave_number)
    tasks = _open_tasks(session, wave)
    if not tasks:
        raise Conflict(f"wave {wave.number} has nothing left to pick", field="wave_number")
    picks = [(t, t.to_pick) for t in tasks]
    operation = ledger.post(
        session,
        idempotency_key=idempotency_key,
        fingerprint=fingerprint,
        kind="pick",
        reason=MoveReason.TRANSFER,
        actor=actor,
        lines=_pick_lines(session, wave.warehouse_id, picks),
        document_ref=wave.number,
        at=at,
    )
    _record_progress(session, [(t, n, 0) for t, n in picks])
    completed = _complete_orders(session, {t.order_id for t in tasks}, actor, at, wave)
    _close_if_done(session, wave, at)
    result = {
        "operation_id": operation.id,
        "wave_number": wave.number,
        "tasks": len(tasks),
        "units": sum(n for _, n in picks),
        "orders_picked": len(completed),
        "wave_status": wave.status,
    }
    operation.result = result
    return {**result, "replayed": False}


def next_task(session: Session, wave: Wave) -> dict[str, Any] | None:
    """Where the picker goes next: the first open task in walking order."""
    row = session.execute(
        _task_query()
        .where(Reservation.wave_id == wave.id, Reservation.open.is_(True))
        .order_by(Reservation.pick_sequence)
        .limit(1)
    ).first()
    if row is None:
        return None
    task = _task(row)
    return {
        "sequence": task.sequence,
        "bin": task.barcode,
        "sku": task.sku,
        "lot_number": task.lot_number,
        "to_pick": task.to_pick,
    }


# --- internals -------------------------------------------------------------------------


def _check_quantity(value: int, field: str, *, minimum: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        what = "positive" if minimum else "zero or more"
        raise InvalidInput(f"{field.replace('_', ' ')} must be a whole number, {what}", field=field)


def _open_wave(session: Session, number: str) -> Wave:
    wave = wave_by_number(session, number)
    if wave.status != OPEN:
        raise Conflict(f"wave {wave.number} is done: nothing is left to pick", field="wave_number")
    return wave


def _task_query() -> Any:
    return (
        select(
            Reservation.id,
            Reservation.order_id,
            Reservation.order_line_id,
            Reservation.lot_id,
            Reservation.location_id,
            (Reservation.quantity - Reservation.picked_quantity - Reservation.short_quantity).label(
                "to_pick"
            ),
            Reservation.pick_sequence,
            Product.sku,
            Product.id.label("product_id"),
            Lot.lot_number,
            Location.barcode,
            Location.is_bonded,
        )
        .join(Lot, Lot.id == Reservation.lot_id)
        .join(Product, Product.id == Lot.product_id)
        .join(Location, Location.id == Reservation.location_id)
    )


def _task(row: Any) -> _Task:
    return _Task(
        id=row.id,
        order_id=row.order_id,
        order_line_id=row.order_line_id,
        lot_id=row.lot_id,
        location_id=row.location_id,
        to_pick=row.to_pick,
        sequence=row.pick_sequence,
        sku=row.sku,
        product_id=row.product_id,
        lot_number=row.lot_number,
        barcode=row.barcode,
        bonded=row.is_bonded,
    )


def _open_tasks(session: Session, wave: Wave, *, location_id: int | None = None) -> list[_Task]:
    stmt = (
        _task_query()
        .where(Reservation.wave_id == wave.id, Reservation.open.is_(True))
        .order_by(Reservation.pick_sequence)
    )
    if location_id is not None:
        stmt = stmt.where(Reservation.location_id == location_id)
    if session.get_bind().dialect.name == "postgresql":
        # Scans of the same bin queue up: the counters they update are these rows.
        stmt = stmt.with_for_update(of=Reservation)
    return [_task(row) for row in session.execute(stmt) if row.to_pick > 0]


def _tasks_here(
    session: Session, wave: Wave, bin_barcode: str, product_code: str, lot_number: str
) -> list[_Task]:
    """The open tasks the scan is about, or a refusal telling the picker what to do."""
    where = location_by_barcode(session, bin_barcode, field="bin_barcode")
    here = _open_tasks(session, wave, location_id=where.id)
    if not here:
        hint = next_task(session, wave)
        go = f": go to {hint['bin']}" if hint else ": the wave has nothing left to pick"
        raise Conflict(
            f"nothing to pick at {where.barcode} in wave {wave.number}{go}",
            field="bin_barcode",
            next=hint,
        )
    product = product_by_code(session, product_code, field="product_code")
    of_product = [t for t in here if t.product_id == product.id]
    if not of_product:
        raise Conflict(
            f"{product.sku} is not on this wave at {where.barcode}: pick {here[0].sku}",
            field="product_code",
        )
    of_lot = [t for t in of_product if t.lot_number == lot_number.strip()]
    if not of_lot:
        raise Conflict(
            f"lot {lot_number} is not the lot to pick: pick lot {of_product[0].lot_number}",
            field="lot_number",
        )
    return of_lot


def _for_order(tasks: list[_Task], order_id: int | None) -> list[_Task]:
    if order_id is None:
        return tasks
    mine = [t for t in tasks if t.order_id == order_id]
    if not mine:
        first = tasks[0]
        raise Conflict(
            f"order {order_id} has nothing to pick of {first.sku} lot {first.lot_number} "
            f"at {first.barcode}",
            field="order_id",
        )
    return mine


def _fill(tasks: Sequence[_Task], quantity: int) -> list[tuple[_Task, int]]:
    """Spread ``quantity`` over the tasks in walking order."""
    picks, left = [], quantity
    for task in tasks:
        if left == 0:
            break
        n = min(left, task.to_pick)
        picks.append((task, n))
        left -= n
    return picks


def _pick_lines(
    session: Session, warehouse_id: int, picks: Iterable[tuple[_Task, int]]
) -> list[MoveLine]:
    """Bin -> staging, one line per (lot, bin): bonded goods to the bonded dock."""
    docks = {
        bonded: outbound_staging(session, warehouse_id, bonded=bonded).id
        for bonded in {t.bonded for t, _ in picks}
    }
    units: dict[tuple[int, int, bool], int] = defaultdict(int)
    for task, n in picks:
        if n:
            units[(task.lot_id, task.location_id, task.bonded)] += n
    return [
        MoveLine(lot_id, n, location_id, docks[bonded], from_reserved=True)
        for (lot_id, location_id, bonded), n in sorted(units.items())
    ]


def _record_progress(session: Session, progress: Sequence[tuple[_Task, int, int]]) -> None:
    """Counters of the tasks and of their order lines, in a few statements."""
    table = Reservation.__table__
    done = table.c.quantity - table.c.picked_quantity - table.c.short_quantity <= bindparam(
        "p"
    ) + bindparam("s")
    session.flush()
    conn = session.connection()
    conn.execute(
        update(table)
        .where(table.c.id == bindparam("rid"))
        .values(
            picked_quantity=table.c.picked_quantity + bindparam("p"),
            short_quantity=table.c.short_quantity + bindparam("s"),
            open=case((done, False), else_=table.c.open),
        ),
        [{"rid": t.id, "p": p, "s": s} for t, p, s in progress if p or s],
    )
    per_line: dict[int, int] = defaultdict(int)
    for task, picked, _short in progress:
        per_line[task.order_line_id] += picked
    lines = OrderLine.__table__
    rows = [{"lid": lid, "p": n} for lid, n in sorted(per_line.items()) if n]
    if rows:
        conn.execute(
            update(lines)
            .where(lines.c.id == bindparam("lid"))
            .values(picked_quantity=lines.c.picked_quantity + bindparam("p")),
            rows,
        )
    # ORM copies of those rows are stale now (only those: the rest need no reloading).
    stale = [o for o in session.identity_map.values() if isinstance(o, Reservation | OrderLine)]
    for obj in stale:
        session.expire(obj)


def _complete_orders(
    session: Session, order_ids: set[int], actor: str, at: datetime, wave: Wave
) -> list[str]:
    """Orders whose every line is now picked in full become picked."""
    unfinished: set[int] = set()
    for ids in _chunks(sorted(order_ids)):
        unfinished.update(
            session.scalars(
                select(OrderLine.order_id)
                .where(OrderLine.order_id.in_(ids), OrderLine.picked_quantity < OrderLine.quantity)
                .distinct()
            )
        )
    completed = []
    for order in _orders(session, sorted(order_ids - unfinished), lock=True):
        if order.status is OrderStatus.PICKED:
            continue
        order_service.transition(
            session,
            order,
            OrderStatus.PICKED,
            kind="picked",
            actor=actor,
            at=at,
            details={"wave": wave.number},
        )
        completed.append(order.order_number)
    return completed


def _close_if_done(session: Session, wave: Wave, at: datetime) -> dict[str, Any] | None:
    """The picker's next task; with none left the wave is done."""
    upcoming = next_task(session, wave)
    if upcoming is None and wave.status != DONE:
        wave.status = DONE
        wave.done_at = at
    return upcoming


def _task_answers(session: Session, picks: Sequence[tuple[_Task, int]]) -> list[dict[str, Any]]:
    numbers = dict(
        session.execute(
            select(Order.id, Order.order_number).where(Order.id.in_({t.order_id for t, _ in picks}))
        ).all()
    )
    return [
        {
            "sequence": task.sequence,
            "order_id": task.order_id,
            "order_number": numbers[task.order_id],
            "picked": n,
            "left": task.to_pick - n,
        }
        for task, n in picks
    ]


def _orders(session: Session, order_ids: Sequence[int], *, lock: bool = False) -> Iterator[Order]:
    for ids in _chunks(list(order_ids)):
        stmt = select(Order).where(Order.id.in_(ids)).order_by(Order.id)
        if lock and session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        yield from session.scalars(stmt)


def _chunks(items: Sequence[T]) -> Iterator[list[T]]:
    for i in range(0, len(items), CHUNK):
        yield list(items[i : i + CHUNK])


def _sub_key(key: str, suffix: str) -> str:
    """A second operation's key derived from the request's own (kept within 128)."""
    derived = f"{key}#{suffix}"
    if len(derived) <= ledger.MAX_KEY_LENGTH:
        return derived
    return f"{hashlib.sha256(key.encode()).hexdigest()}#{suffix}"


__all__ = [
    "PickScan",
    "ShortPick",
    "confirm_pick",
    "confirm_wave_picked",
    "create_wave",
    "next_task",
    "pick_list",
    "report_short",
    "wave_by_number",
    "wave_summary",
]
