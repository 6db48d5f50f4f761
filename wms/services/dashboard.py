"""What the planner dashboard shows, read with aggregate queries.

Pure reads: every function takes a Session and returns plain dataclasses or dicts; the
page (``wms.web.dashboard``) only formats them.  Nothing here loops over orders in
Python: counts are grouped in the database and only the short lists (the orders stuck
longest, the latest plans, the overdue loans, the busiest display tags) are read row by
row, so the page stays fast at tens of thousands of orders.

- pipeline: orders per status now, in flow order, and how many entered each status
  today (UTC), from the order events every transition records.
- stuck orders: open orders whose last status change is the oldest.
- plans: the latest runs with cost, rate shopping, saving and gap
  (``services.planning`` stores them), one run with its unassigned parcels, and the
  capacity each courier service used in it.
- loans: display loans past their due date with goods still out, as
  ``loan_queries.loan_summary`` defines overdue.
- showroom traffic: display-tag scans per showroom and product
  (``loan_queries.tag_traffic``) and the orders that followed.  A scan carries no link
  to an order, so "followed" is what it can honestly be: orders containing the product
  received since its first scan in that showroom, next to the orders of the same length
  of time before it.  It is a comparison, not an attribution.
- the account book's reconciliation against the stock on hand (the ledger replay has its
  own endpoint).
- scheduled jobs (``wms.jobs.JOBS``) with their schedules and last runs (``job_runs``,
  which the scheduler process records: ``last_job_runs``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from wms.models import (
    OPEN_STATUSES,
    Channel,
    Flow,
    Loan,
    LoanEvent,
    LoanItem,
    LoanStatus,
    Location,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    PlanKind,
    PlanLine,
    PlanRun,
    Product,
    TagScan,
    Warehouse,
)
from wms.services import account_book, loan_queries, order_flow, planning
from wms.services.ledger import utcnow

S = OrderStatus
# The statuses an order passes through, in the order of the flows (order_flow): the
# bonded-import path holds every step the other flows take.
FLOW_ORDER: tuple[OrderStatus, ...] = order_flow.main_path(Flow.BONDED_IMPORT)
# Off the main path: waiting (short of stock, customs inspection), refused, withdrawn.
SIDE_STATUSES: tuple[OrderStatus, ...] = (S.ON_HOLD, S.REJECTED, S.CANCELLED)
# Done from the warehouse's point of view: gone through the gate, handed over, withdrawn.
CLOSED_STATUSES = frozenset({S.RELEASED, S.HANDED_OVER, S.CANCELLED})
OPEN_ORDER_STATUSES: tuple[OrderStatus, ...] = tuple(
    s for s in (*FLOW_ORDER, *SIDE_STATUSES) if s not in CLOSED_STATUSES
)
LOANS_STILL_OUT = (*sorted(OPEN_STATUSES), LoanStatus.APPROVED)


# --- pipeline ------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageCount:
    status: str
    now: int  # orders in this status now
    entered_today: int  # orders that reached it since midnight UTC (some moved on since)


@dataclass(frozen=True)
class Pipeline:
    stages: tuple[StageCount, ...]  # the main path, in flow order
    side: tuple[StageCount, ...]  # on hold, rejected, cancelled
    open_orders: int
    total_orders: int
    day_start: datetime


def day_start(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(UTC).date(), time(0), tzinfo=UTC)


def pipeline(session: Session, *, now: datetime | None = None) -> Pipeline:
    """Orders per status now, and how many entered each status today: two grouped counts."""
    start = day_start(now or utcnow())
    current: dict[str, int] = {
        status.value: n
        for status, n in session.execute(
            select(Order.status, func.count(Order.id)).group_by(Order.status)
        )
    }
    today: dict[str, int] = dict(
        session.execute(  # type: ignore[arg-type]
            select(OrderEvent.to_status, func.count(func.distinct(OrderEvent.order_id)))
            .where(OrderEvent.at >= start)
            .group_by(OrderEvent.to_status)
        ).all()
    )

    def stage(status: OrderStatus) -> StageCount:
        return StageCount(status.value, current.get(status.value, 0), today.get(status.value, 0))

    return Pipeline(
        stages=tuple(stage(s) for s in FLOW_ORDER),
        side=tuple(stage(s) for s in SIDE_STATUSES),
        open_orders=sum(current.get(s.value, 0) for s in OPEN_ORDER_STATUSES),
        total_orders=sum(current.values()),
        day_start=start,
    )


@dataclass(frozen=True)
class StuckOrder:
    order_id: int
    order_number: str
    channel: str
    flow: str
    status: str
    resume_status: str | None  # where an order on hold goes back to
    since: datetime  # its last status change
    waiting: timedelta


def stuck_orders(
    session: Session, *, limit: int = 10, now: datetime | None = None
) -> list[StuckOrder]:
    """Open orders whose last status change is the oldest, oldest first."""
    now = now or utcnow()
    last_change = (
        select(OrderEvent.order_id, func.max(OrderEvent.at).label("since"))
        .join(Order, Order.id == OrderEvent.order_id)
        .where(Order.status.in_(OPEN_ORDER_STATUSES))
        .group_by(OrderEvent.order_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Order.id,
            Order.order_number,
            Channel.code,
            Order.flow,
            Order.status,
            Order.resume_status,
            last_change.c.since,
        )
        .join(last_change, last_change.c.order_id == Order.id)
        .join(Channel, Channel.id == Order.channel_id)
        .order_by(last_change.c.since, Order.id)
        .limit(limit)
    ).all()
    return [
        StuckOrder(
            order_id=order_id,
            order_number=number,
            channel=channel,
            flow=flow.value,
            status=status.value,
            resume_status=resume.value if resume else None,
            since=since,
            waiting=max(now - since, timedelta(0)),
        )
        for order_id, number, channel, flow, status, resume, since in rows
    ]


# --- plans -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanSummary:
    number: str
    warehouse: str
    kind: str
    status: str  # the solver's: optimal, feasible, greedy
    currency: str
    parcels: int
    unassigned: int
    cost: Decimal
    rate_shopping_cost: Decimal
    saving: Decimal
    gap_pct: float
    seconds: float
    created_by: str
    created_at: datetime
    committed_by: str | None
    committed_at: datetime | None

    @property
    def committable(self) -> bool:
        return self.kind == PlanKind.PLAN.value and self.committed_at is None


def recent_plans(session: Session, *, limit: int = 10) -> list[PlanSummary]:
    """The latest plan runs, newest first, with their unassigned counts in one query."""
    runs = session.execute(
        select(PlanRun, Warehouse.code)
        .join(Warehouse, Warehouse.id == PlanRun.warehouse_id)
        .order_by(PlanRun.created_at.desc(), PlanRun.id.desc())
        .limit(limit)
    ).all()
    unassigned: dict[int, int] = dict(
        session.execute(  # type: ignore[arg-type]
            select(PlanLine.plan_id, func.count(PlanLine.id))
            .where(PlanLine.plan_id.in_([run.id for run, _ in runs]))
            .where(PlanLine.service_code.is_(None))
            .group_by(PlanLine.plan_id)
        ).all()
    )
    return [
        PlanSummary(
            number=run.number,
            warehouse=code,
            kind=run.kind.value,
            status=run.status,
            currency=run.currency,
            parcels=run.parcels,
            unassigned=unassigned.get(run.id, 0),
            cost=run.cost,
            rate_shopping_cost=run.rate_shopping_cost,
            saving=run.rate_shopping_cost - run.cost,
            gap_pct=run.gap_pct,
            seconds=run.seconds,
            created_by=run.created_by,
            created_at=run.created_at,
            committed_by=run.committed_by,
            committed_at=run.committed_at,
        )
        for run, code in runs
    ]


@dataclass(frozen=True)
class PlannableWarehouse:
    code: str
    name: str
    waiting: int  # allocated orders without a courier: what a run would plan


def plannable_warehouses(session: Session) -> list[PlannableWarehouse]:
    """Every warehouse with its allocated orders waiting for a courier (one grouped count)."""
    waiting = (
        select(Order.warehouse_id, func.count(Order.id).label("n"))
        .where(Order.status == OrderStatus.ALLOCATED)
        .group_by(Order.warehouse_id)
        .subquery()
    )
    rows = session.execute(
        select(Warehouse.code, Warehouse.name, func.coalesce(waiting.c.n, 0))
        .outerjoin(waiting, waiting.c.warehouse_id == Warehouse.id)
        .order_by(Warehouse.code)
    ).all()
    return [PlannableWarehouse(code, name, int(n)) for code, name, n in rows]


def latest_plan_number(session: Session) -> str | None:
    """The newest plan that may be committed (what-ifs are comparisons): the one the
    dashboard shows unless another is asked for."""
    return session.scalar(
        select(PlanRun.number)
        .where(PlanRun.kind == PlanKind.PLAN)
        .order_by(PlanRun.created_at.desc(), PlanRun.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class UnassignedParcel:
    order_id: int
    order_number: str
    reason: str  # no_coverage, over_limits, no_capacity, ... (planning.reason_code)
    weight_g: int
    by_service: dict[str, str]


@dataclass(frozen=True)
class PlanDetail:
    view: dict[str, Any]  # planning.plan_view without its lines: what the API shows
    unassigned: list[UnassignedParcel]  # the first `limit`
    unassigned_total: int


def plan_detail(session: Session, number: str, *, limit: int = 50) -> PlanDetail:
    """One run as the API shows it, and its first unassigned parcels with their reasons."""
    run = planning.plan_by_number(session, number)
    view = plan_headline(session, run)
    rows = session.execute(
        select(
            PlanLine.order_id,
            Order.order_number,
            PlanLine.reason,
            PlanLine.weight_g,
            PlanLine.refusals,
        )
        .join(Order, Order.id == PlanLine.order_id)
        .where(PlanLine.plan_id == run.id, PlanLine.service_code.is_(None))
        .order_by(PlanLine.id)
        .limit(limit)
    ).all()
    return PlanDetail(
        view=view,
        unassigned=[
            UnassignedParcel(order_id, order_number, reason or "", weight, dict(refusals or {}))
            for order_id, order_number, reason, weight, refusals in rows
        ],
        unassigned_total=int(view["unassigned_count"]),
    )


def plan_headline(session: Session, run: PlanRun) -> dict[str, Any]:
    """The plan's figures without its lines (``plan_view`` counts the unassigned parcels
    per reason in the database then, so a plan of ten thousand orders stays cheap)."""
    return planning.plan_view(session, run, lines=False)


def _pct(part: Decimal | int, whole: Decimal | int | None) -> float | None:
    # As planning.plan_view rounds its percentages.
    if not whole:
        return None
    return round(float(Decimal(part) * 100 / Decimal(whole)), 2)


@dataclass(frozen=True)
class ServiceCapacity:
    service: str
    parcels: int
    capacity_parcels: int | None  # None: the service sets no daily limit
    grams: int
    capacity_g: int | None

    @property
    def kg(self) -> float:
        return self.grams / 1000

    @property
    def capacity_kg(self) -> float | None:
        return None if self.capacity_g is None else self.capacity_g / 1000


def capacity(view: dict[str, Any]) -> list[ServiceCapacity]:
    """What each courier service carries in a plan against its daily capacity, from the
    plan's stored loads (``plan_view(...)["loads"]``)."""
    return [
        ServiceCapacity(
            service=str(load["service"]),
            parcels=int(load["parcels"]),
            capacity_parcels=load["capacity_parcels"],
            grams=int(load["grams"]),
            capacity_g=load["capacity_g"],
        )
        for load in view["loads"]
    ]


# --- loans and showrooms ------------------------------------------------------------------


@dataclass(frozen=True)
class OverdueLoan:
    number: str
    showroom: str
    showroom_name: str
    due_date: date
    days_overdue: int
    on_display: int  # units still out
    guarantee: Decimal  # CNY
    flagged_at: datetime | None  # when the overdue job flagged it (None: not yet)


def overdue_loans(
    session: Session, *, limit: int = 20, now: datetime | None = None
) -> tuple[list[OverdueLoan], int]:
    """Loans past their due date with goods still out, most overdue first, and how many
    there are in all."""
    today = (now or utcnow()).date()
    late = (
        Loan.status.in_(LOANS_STILL_OUT),
        Loan.out_at.is_not(None),
        Loan.due_date < today,
    )
    total = session.scalar(select(func.count(Loan.id)).where(*late)) or 0
    on_display = func.coalesce(
        func.sum(
            LoanItem.out_quantity - LoanItem.returned_quantity - LoanItem.written_off_quantity
        ),
        0,
    )
    rows = session.execute(
        select(
            Loan.number,
            Location.barcode,
            Location.name,
            Loan.due_date,
            Loan.guarantee_amount,
            Loan.overdue_since,
            on_display,
        )
        .join(Location, Location.id == Loan.showroom_id)
        .outerjoin(LoanItem, LoanItem.loan_id == Loan.id)
        .where(*late)
        .group_by(
            Loan.id,
            Loan.number,
            Location.barcode,
            Location.name,
            Loan.due_date,
            Loan.guarantee_amount,
            Loan.overdue_since,
        )
        .order_by(Loan.due_date, Loan.number)
        .limit(limit)
    ).all()
    return [
        OverdueLoan(
            number=number,
            showroom=barcode,
            showroom_name=name,
            due_date=due,
            days_overdue=(today - due).days,
            on_display=int(units),
            guarantee=guarantee,
            flagged_at=flagged,
        )
        for number, barcode, name, due, guarantee, flagged, units in rows
    ], total


def open_notices(session: Session) -> list[dict[str, Any]]:
    """The notices the planners have not acknowledged (``loan_queries.open_notices``)."""
    return loan_queries.open_notices(session)


@dataclass(frozen=True)
class ShowroomTraffic:
    showroom: str
    showroom_name: str
    sku: str
    product_name: str
    scans: int
    first_scan: datetime
    last_scan: datetime
    orders_since_first_scan: int  # orders containing the product, received since then
    orders_before: int  # the same, in as long a time before the first scan


def showroom_traffic(
    session: Session, *, limit: int = 20, now: datetime | None = None
) -> list[ShowroomTraffic]:
    """Display-tag scans per showroom and product (the counts of
    ``loan_queries.tag_traffic``), busiest first, with the orders that followed: orders
    (not cancelled) containing the product received since its first scan in the showroom,
    and as a baseline the same count over as long a time just before that scan."""
    now = now or utcnow()
    scans = {(t["showroom"], t["sku"]): t["scans"] for t in loan_queries.tag_traffic(session)}
    spans = session.execute(
        select(
            Location.barcode,
            Location.name,
            Product.sku,
            Product.name,
            Product.id,
            func.min(TagScan.scanned_at),
            func.max(TagScan.scanned_at),
        )
        .join(Location, Location.id == TagScan.showroom_id)
        .join(Product, Product.id == TagScan.product_id)
        .group_by(Location.barcode, Location.name, Product.sku, Product.name, Product.id)
    ).all()
    busiest = sorted(spans, key=lambda r: (-scans.get((r[0], r[2]), 0), r[0], r[2]))[:limit]
    out = []
    for barcode, name, sku, product_name, product_id, first, last in busiest:
        after, before = _orders_around(session, product_id, first, now)
        out.append(
            ShowroomTraffic(
                showroom=barcode,
                showroom_name=name,
                sku=sku,
                product_name=product_name,
                scans=scans.get((barcode, sku), 0),
                first_scan=first,
                last_scan=last,
                orders_since_first_scan=after,
                orders_before=before,
            )
        )
    return out


def _orders_around(
    session: Session, product_id: int, first: datetime, now: datetime
) -> tuple[int, int]:
    """Orders containing the product received in [first, now] and in the span as long
    just before ``first``: one grouped count."""
    span = max(now - first, timedelta(0))
    after = func.count(func.distinct(case((Order.created_at >= first, Order.id))))
    before = func.count(func.distinct(case((Order.created_at < first, Order.id))))
    row = session.execute(
        select(after, before)
        .select_from(Order)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .where(
            OrderLine.product_id == product_id,
            Order.status != OrderStatus.CANCELLED,
            Order.created_at >= first - span,
            Order.created_at <= now,
        )
    ).one()
    return int(row[0]), int(row[1])


# --- the account book ----------------------------------------------------------------------


@dataclass(frozen=True)
class Reconciliation:
    mismatches: list[account_book.Mismatch]
    ledger_replayed: bool  # False: the book against the stock on hand only

    @property
    def reconciled(self) -> bool:
        return not self.mismatches


def reconciliation(session: Session) -> Reconciliation:
    """The book against the stock on hand, as the overview page checks it (replaying the
    whole ledger takes seconds at millions of moves and has its own endpoint)."""
    return Reconciliation(account_book.reconcile(session, replay_ledger=False), False)


# --- scheduled jobs --------------------------------------------------------------------------


@dataclass(frozen=True)
class JobRun:
    """One recorded run of a scheduled job."""

    started_at: datetime
    finished_at: datetime | None
    outcome: str  # running, ok, warning, failed, abandoned
    summary: str


@dataclass(frozen=True)
class JobStatus:
    name: str
    schedule: str  # the trigger as APScheduler writes it, e.g. cron[minute='5']
    timezone: str
    next_run: datetime | None
    last_run: JobRun | None  # None: no run recorded
    last_change: datetime | None  # the latest change the job's own records show


def last_job_runs(session: Session, names: Sequence[str]) -> dict[str, JobRun]:
    """The last recorded run of each named job (``job_runs``, written by the scheduler
    process: ``wms.jobs``); a job that never ran is absent."""
    from wms.services import job_runs

    return {
        name: JobRun(
            started_at=run.started_at,
            finished_at=run.finished_at,
            outcome=run.outcome,
            summary=run.summary or "",
        )
        for name, run in job_runs.last_runs(session, names).items()
    }


def _last_overdue_flag(session: Session) -> datetime | None:
    return session.scalar(
        select(func.max(LoanEvent.at)).where(
            LoanEvent.kind == "overdue", LoanEvent.actor == "scheduler"
        )
    )


# What each job leaves behind in the data when it changes something: not a run record
# (a run that finds nothing due leaves no trace), but the latest change it made.
JOB_TRACES: dict[str, Callable[[Session], datetime | None]] = {
    "overdue_loans": _last_overdue_flag,
}


def scheduled_jobs(session: Session, *, now: datetime | None = None) -> list[JobStatus]:
    """The configured jobs (``wms.jobs.JOBS``), their schedules and next runs, their last
    recorded runs (``last_job_runs``) and the latest change each made."""
    from wms import jobs  # the scheduler module imports APScheduler: only when asked

    now = now or utcnow()
    runs = last_job_runs(session, list(jobs.JOBS))
    out = []
    for name, (_job, trigger) in jobs.JOBS.items():
        trace = JOB_TRACES.get(name)
        out.append(
            JobStatus(
                name=name,
                schedule=str(trigger),
                timezone=str(getattr(trigger, "timezone", "UTC")),
                next_run=trigger.get_next_fire_time(None, now),
                last_run=runs.get(name),
                last_change=trace(session) if trace else None,
            )
        )
    return out
