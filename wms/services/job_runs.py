"""The scheduled jobs' records, and the rules of the jobs that have no other home.

Run records (``job_runs``): a run claims its slot, the scheduled time it belongs to, with
an INSERT that does nothing when ``(job, slot)`` is already taken, so a slot runs once
whatever the number of runners or retries; ``wms.jobs`` claims in the same transaction
as the job's work when the work is one transaction, else just before it.

Rules (each safe to run again: it changes only what is still due):
- ``expire_reservations``: a reservation is *expired* when its lot no longer meets the
  minimum shelf life of the order's channel (expiry < today + ``min_shelf_life_days``,
  the test allocation applies): FEFO reserved the lot when it was fresh enough, but the
  order waited (for its courier plan, for customs) and shipping it now would break the
  channel's promise.  Units not yet on a pick list are freed and the order is allocated
  again (``allocation.allocate_orders``, the path a short pick takes): fresh stock covers
  it, or it waits on hold for stock with the missing quantities and resumes where it
  was.  The order keeps its customs status (a list names goods, not lots).  A notice
  per lot tells the planners what to do with the short-dated stock.
- ``chase_declarations``: nothing here transmits a list to customs (answers come in by
  API or the broker portal), so there is nothing to re-send; what can be retried is the
  question.  A list still ``submitted`` N hours after submission is chased: an event on
  the list (the broker portal shows its history) and a notice for the planners, again
  every N hours while no answer comes; the notice closes itself once the list is
  answered.
- ``purge``: run records older than the retention.  Nothing else is purged: the
  idempotency keys of stock operations are part of the ledger (moves, order events,
  release batches and counts point at them; a count that matched is recorded only
  there), and the audit log is append-only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from wms.models import (
    Channel,
    CustomsDeclaration,
    CustomsStatus,
    DeclarationEvent,
    JobRun,
    Location,
    Lot,
    Notice,
    Order,
    OrderStatus,
    Product,
    Quant,
    Reservation,
)
from wms.services import allocation, loans
from wms.services import orders as order_service
from wms.services.errors import Conflict

SCHEDULER = "scheduler"  # the actor the jobs act as
RUNNING, OK, WARNING, FAILED, ABANDONED = "running", "ok", "warning", "failed", "abandoned"
OUTCOMES = (RUNNING, OK, WARNING, FAILED, ABANDONED)
MAX_SUMMARY = 400
MAX_ERROR = 8000
# Statuses whose orders hold reservations not yet picked and may be allocated again.
_REALLOCATABLE = (
    OrderStatus.ALLOCATED,
    OrderStatus.PLANNED,
    OrderStatus.DECLARED,
    OrderStatus.CLEARED,
)


# --- run records --------------------------------------------------------------------------


def claim(
    session: Session,
    job: str,
    slot: str,
    *,
    trigger: str,
    runner: str,
    at: datetime,
    outcome: str = RUNNING,
) -> int | None:
    """Take the slot: the new run's id, or None when the slot was already taken (by
    another runner, or by an earlier attempt).  On PostgreSQL a concurrent claim of the
    same slot waits for this transaction and then finds it taken."""
    table = JobRun.__table__
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(table)
        .values(
            job=job,
            slot=slot,
            trigger=trigger,
            runner=runner[:120],
            started_at=at,
            outcome=outcome,
        )
        .on_conflict_do_nothing(index_elements=["job", "slot"])
        .returning(table.c.id)
    )
    return session.execute(stmt).scalar_one_or_none()


def finish(
    session: Session,
    run_id: int,
    outcome: str,
    *,
    at: datetime,
    summary: str | None = None,
    details: dict[str, Any] | None = None,
    error: str | None = None,
) -> None:
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome is one of {', '.join(OUTCOMES)}")
    session.execute(
        update(JobRun)
        .where(JobRun.id == run_id)
        .values(
            outcome=outcome,
            finished_at=at,
            summary=_clip(summary, MAX_SUMMARY),
            details=details,
            error=_tail(error, MAX_ERROR),
        )
    )


def abandon_unfinished(session: Session, *, runner: str, at: datetime) -> list[str]:
    """Runs still ``running`` for another runner: that runner stopped (it lost the lock,
    since this one holds it) before finishing them.  Their slots stay taken; the next
    slot runs as usual, or ``scheduler run-once`` runs the job now."""
    rows = session.execute(
        select(JobRun.id, JobRun.job, JobRun.runner).where(
            JobRun.outcome == RUNNING, JobRun.runner != runner
        )
    ).all()
    for run_id, _job, old in rows:
        finish(
            session,
            run_id,
            ABANDONED,
            at=at,
            error=f"runner {old} stopped before the run finished (noticed by {runner})",
        )
    return [job for _id, job, _runner in rows]


def last_runs(session: Session, names: Sequence[str]) -> dict[str, JobRun]:
    """The latest run of each named job (by claim order)."""
    if not names:
        return {}
    latest = (
        select(func.max(JobRun.id)).where(JobRun.job.in_(list(names))).group_by(JobRun.job)
    ).scalar_subquery()
    return {run.job: run for run in session.scalars(select(JobRun).where(JobRun.id.in_(latest)))}


def recent_runs(session: Session, job: str, *, limit: int = 20) -> list[JobRun]:
    return list(
        session.scalars(
            select(JobRun).where(JobRun.job == job).order_by(JobRun.id.desc()).limit(limit)
        )
    )


def purge(session: Session, *, before: datetime) -> int:
    """Delete finished run records started before ``before``; returns how many."""
    result = session.execute(
        delete(JobRun).where(JobRun.started_at < before, JobRun.outcome != RUNNING)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _clip(text: str | None, n: int) -> str | None:
    if text is None:
        return None
    return text if len(text) <= n else text[: n - 1] + "…"


def _tail(text: str | None, n: int) -> str | None:
    if text is None:
        return None
    return text if len(text) <= n else "…" + text[-(n - 1) :]


# --- notices for the planners ---------------------------------------------------------------


def raise_notice(session: Session, kind: str, subject: str, message: str, at: datetime) -> None:
    """``loans.raise_notice`` with the subject and message cut to the columns' sizes."""
    loans.raise_notice(session, kind, subject[:64], _clip(message, 400) or "", at)


# --- expired reservations -------------------------------------------------------------------


def expire_reservations(
    session: Session, *, now: datetime, actor: str = SCHEDULER
) -> dict[str, Any]:
    """Free the reservations whose lots are now too short-dated for their orders'
    channels and allocate those orders again.  Only units not yet on a pick list (no
    wave) are touched: a wave's tasks are the picker's."""
    today = now.date()
    longest = session.scalar(select(func.max(Channel.min_shelf_life_days))) or 0
    expiring = (
        Reservation.open.is_(True),
        Reservation.wave_id.is_(None),
        Reservation.quantity > Reservation.picked_quantity + Reservation.short_quantity,
        Lot.expiry_date.is_not(None),
        Lot.expiry_date < today + timedelta(days=longest),
        Order.status.in_(_REALLOCATABLE),
    )
    candidates = sorted(
        set(
            session.scalars(
                select(Reservation.order_id)
                .join(Lot, Lot.id == Reservation.lot_id)
                .join(Order, Order.id == Reservation.order_id)
                .where(*expiring)
            )
        )
    )
    if not candidates:
        return {"units": 0, "lots": [], "orders": [], "reallocated": [], "on_hold": []}
    if session.get_bind().dialect.name == "postgresql":
        # The orders first, in id order, as allocation locks them: no deadlock with it.
        session.execute(
            select(Order.id).where(Order.id.in_(candidates)).order_by(Order.id).with_for_update()
        )
    rows = session.execute(
        select(Reservation, Lot, Order, Channel.min_shelf_life_days, Product.sku, Location.barcode)
        .join(Lot, Lot.id == Reservation.lot_id)
        .join(Order, Order.id == Reservation.order_id)
        .join(Channel, Channel.id == Order.channel_id)
        .join(Product, Product.id == Lot.product_id)
        .join(Location, Location.id == Reservation.location_id)
        .where(Reservation.order_id.in_(candidates), *expiring)
        .order_by(Reservation.order_id, Reservation.id)
    ).all()

    freed: dict[tuple[int, int], int] = defaultdict(int)  # (lot, bin) -> units
    by_order: dict[int, tuple[Order, list[dict[str, Any]]]] = {}
    by_lot: dict[tuple[str, str], dict[str, Any]] = {}
    for reservation, lot, order, shelf_days, sku, bin_code in rows:
        assert lot.expiry_date is not None
        if lot.expiry_date >= today + timedelta(days=shelf_days):
            continue  # fresh enough for this order's channel
        units = reservation.to_pick
        freed[(reservation.lot_id, reservation.location_id)] += units
        reservation.quantity -= units
        reservation.open = False
        if reservation.quantity == 0:
            session.delete(reservation)
        entry = {
            "sku": sku,
            "lot": lot.lot_number,
            "expiry": lot.expiry_date.isoformat(),
            "bin": bin_code,
            "units": units,
            "min_shelf_life_days": shelf_days,
        }
        by_order.setdefault(order.id, (order, []))[1].append(entry)
        lot_entry = by_lot.setdefault(
            (sku, lot.lot_number),
            {
                "sku": sku,
                "lot": lot.lot_number,
                "expiry": entry["expiry"],
                "units": 0,
                "orders": [],
            },
        )
        lot_entry["units"] += units
        lot_entry["orders"].append(order.order_number)
    if not freed:
        return {"units": 0, "lots": [], "orders": [], "reallocated": [], "on_hold": []}
    _unreserve(session, freed)
    for order, entries in by_order.values():
        order_service.record(
            session,
            order,
            order.status,
            order.status,
            "reservation_expired",
            actor,
            now,
            {"freed": entries},
        )
    session.flush()
    outcomes = allocation.allocate_orders(session, sorted(by_order), actor=actor, at=now)
    reallocated = [o.order_number for o in outcomes if not o.missing and not o.note]
    on_hold = [o.order_number for o in outcomes if o.missing]
    for lot_entry in by_lot.values():
        raise_notice(
            session,
            "lot_short_dated",
            f"{lot_entry['sku']} {lot_entry['lot']}",
            f"lot {lot_entry['lot']} of {lot_entry['sku']} expires {lot_entry['expiry']}, too "
            f"soon for the orders' channels: {lot_entry['units']} unit(s) freed from "
            f"{', '.join(sorted(set(lot_entry['orders'])))}; decide what becomes of the lot",
            now,
        )
    return {
        "units": sum(freed.values()),
        "lots": list(by_lot.values()),
        "orders": [order.order_number for order, _ in by_order.values()],
        "reallocated": reallocated,
        "on_hold": on_hold,
    }


def _unreserve(session: Session, back: dict[tuple[int, int], int]) -> None:
    table = Quant.__table__
    stmt = (
        update(table)
        .where(
            table.c.lot_id == bindparam("l"),
            table.c.location_id == bindparam("loc"),
            table.c.reserved_quantity >= bindparam("n"),
        )
        .values(reserved_quantity=table.c.reserved_quantity - bindparam("n"))
    )
    rows = [{"l": lot, "loc": loc, "n": n} for (lot, loc), n in sorted(back.items())]
    result = session.connection().execute(stmt, rows)
    if result.rowcount != len(rows):
        raise Conflict("reserved stock changed while freeing expired reservations; try again")


# --- declarations waiting for customs -------------------------------------------------------

_CHASE_VIA = "system"


def chase_declarations(
    session: Session, *, now: datetime, after_hours: int, actor: str = SCHEDULER
) -> dict[str, Any]:
    """Chase every list submitted at least ``after_hours`` ago that customs has not
    answered and that was not chased in the last ``after_hours``; close the reminders
    of lists answered since."""
    due = now - timedelta(hours=after_hours)
    waiting = session.execute(
        select(CustomsDeclaration, Order.order_number)
        .join(Order, Order.id == CustomsDeclaration.order_id)
        .where(
            CustomsDeclaration.status == CustomsStatus.SUBMITTED,
            CustomsDeclaration.submitted_at <= due,
        )
        .order_by(CustomsDeclaration.id)
        .with_for_update(of=CustomsDeclaration)
    ).all()
    chases: dict[int, tuple[datetime, int]] = {
        declaration_id: (last, n)
        for declaration_id, last, n in session.execute(
            select(
                DeclarationEvent.declaration_id,
                func.max(DeclarationEvent.at),
                func.count(DeclarationEvent.id),
            )
            .where(
                DeclarationEvent.declaration_id.in_([d.id for d, _ in waiting]),
                DeclarationEvent.actor == actor,
                DeclarationEvent.via == _CHASE_VIA,
                DeclarationEvent.status == CustomsStatus.SUBMITTED.value,
            )
            .group_by(DeclarationEvent.declaration_id)
        )
    }
    chased: list[str] = []
    for declaration, order_number in waiting:
        last, n = chases.get(declaration.id, (None, 0))
        if last is not None and last > due:
            continue  # reminded less than after_hours ago
        assert declaration.submitted_at is not None
        hours = int((now - declaration.submitted_at).total_seconds() // 3600)
        session.add(
            DeclarationEvent(
                declaration_id=declaration.id,
                status=CustomsStatus.SUBMITTED.value,
                actor=actor,
                via=_CHASE_VIA,
                at=now,
                details={"chase": n + 1, "waiting_hours": hours, "note": "no answer from customs"},
            )
        )
        raise_notice(
            session,
            "declaration_waiting",
            declaration.number,
            f"list {declaration.number} of order {order_number} was submitted {hours} h ago "
            f"and customs has not answered (reminder {n + 1}): ask the broker, or check the "
            "list's status at customs",
            now,
        )
        chased.append(declaration.number)

    answered = 0
    for notice in session.scalars(
        select(Notice).where(Notice.kind == "declaration_waiting", Notice.acknowledged_at.is_(None))
    ):
        status = session.scalar(
            select(CustomsDeclaration.status).where(CustomsDeclaration.number == notice.subject)
        )
        if status is not CustomsStatus.SUBMITTED:
            notice.acknowledged_at, notice.acknowledged_by = now, actor
            answered += 1
    session.flush()
    return {"waiting": len(waiting), "chased": chased, "closed_reminders": answered}


__all__ = [
    "ABANDONED",
    "FAILED",
    "OK",
    "RUNNING",
    "SCHEDULER",
    "WARNING",
    "abandon_unfinished",
    "chase_declarations",
    "claim",
    "expire_reservations",
    "finish",
    "last_runs",
    "purge",
    "raise_notice",
    "recent_runs",
]
