"""The planner dashboard's queries against real data: the pipeline's counts, the orders
stuck longest, plans and their capacity, overdue loans, showroom traffic and the orders
that followed, the reconciliation and the scheduled jobs.  A clock the test controls."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from tests import factories as f
from tests.integration.outbound import support as o
from tests.integration.outbound.test_planning import day_of_orders, stocked
from wms.db import Database
from wms.models import Order, OrderStatus, Product, Quant
from wms.services import dashboard as board
from wms.services import loans, orders, planning

NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
TODAY = board.day_start(NOW)
S = OrderStatus


def order_through(
    db: Database, path: list[tuple[OrderStatus, datetime]], *, number: str | None = None
) -> int:
    """An order received at the first moment, then moved through each (status, when):
    the recorded transitions of services.orders, at the times given."""
    (_, received_at), *steps = path
    with db.transaction() as s:
        data = o.order_input((f.MILK.sku, 1), number=number)
        order = orders.receive_order(s, data, actor="api", at=received_at).order
        for status, at in steps:
            orders.transition(s, order, status, kind=status.value, actor="tester", at=at)
        return order.id


def walk(
    *statuses: OrderStatus, start: datetime, step: timedelta
) -> list[tuple[OrderStatus, datetime]]:
    return [(status, start + n * step) for n, status in enumerate((S.RECEIVED, *statuses))]


@pytest.fixture
def shop(db: Database) -> Database:
    f.build_warehouse(db)
    o.channel(db)
    return db


# --- pipeline -------------------------------------------------------------------------------------


def test_the_pipeline_counts_orders_per_status_in_flow_order(shop: Database):
    db = shop
    yesterday = TODAY - timedelta(hours=6)
    hour = timedelta(hours=1)
    order_through(db, walk(start=yesterday, step=hour))  # received yesterday
    order_through(db, walk(start=TODAY + hour, step=hour))  # received today
    order_through(db, walk(S.ALLOCATED, start=yesterday, step=hour))  # both yesterday
    order_through(db, walk(S.ALLOCATED, start=yesterday, step=timedelta(hours=7)))  # alloc today
    order_through(db, walk(S.ALLOCATED, S.PLANNED, start=TODAY, step=hour))
    order_through(db, walk(S.ON_HOLD, start=TODAY, step=hour))
    order_through(db, walk(S.CANCELLED, start=yesterday, step=hour))
    full = [S.ALLOCATED, S.PLANNED, S.DECLARED, S.CLEARED, S.PICKED, S.PACKED, S.LABELLED,
            S.LOADED, S.RELEASED]  # fmt: skip
    order_through(db, walk(*full, start=TODAY, step=timedelta(minutes=5)))

    with db.reading() as s:
        pipe = board.pipeline(s, now=NOW)

    assert [stage.status for stage in pipe.stages] == [
        "received", "allocated", "planned", "declared", "cleared", "picked", "packed",
        "labelled", "loaded", "released", "handed_over",
    ]  # fmt: skip
    now = {stage.status: stage.now for stage in (*pipe.stages, *pipe.side)}
    today = {stage.status: stage.entered_today for stage in (*pipe.stages, *pipe.side)}
    assert now == {
        "received": 2, "allocated": 2, "planned": 1, "declared": 0, "cleared": 0, "picked": 0,
        "packed": 0, "labelled": 0, "loaded": 0, "released": 1, "handed_over": 0,
        "on_hold": 1, "rejected": 0, "cancelled": 1,
    }  # fmt: skip
    # Entered today, whether still there or moved on: received today by four orders
    # (one, planned, on hold, released), allocated by three, and so on.
    assert today["received"] == 4
    assert today["allocated"] == 3
    assert today["planned"] == 2
    assert today["released"] == 1 and today["declared"] == 1
    assert today["on_hold"] == 1 and today["cancelled"] == 0
    assert [stage.status for stage in pipe.side] == ["on_hold", "rejected", "cancelled"]
    assert pipe.total_orders == 8
    assert pipe.open_orders == 6  # not released, not cancelled
    assert pipe.day_start == datetime(2026, 11, 25, tzinfo=UTC)


def test_an_empty_pipeline(db: Database):
    with db.reading() as s:
        pipe = board.pipeline(s, now=NOW)
        assert board.stuck_orders(s, now=NOW) == []
    assert all(stage.now == stage.entered_today == 0 for stage in pipe.stages)
    assert pipe.open_orders == pipe.total_orders == 0


# --- stuck orders ---------------------------------------------------------------------------------


def test_the_orders_stuck_longest_come_first_and_closed_ones_never(shop: Database):
    db = shop
    day = timedelta(days=1)
    # The oldest orders of all are done or withdrawn: never "stuck".
    order_through(db, walk(S.CANCELLED, start=NOW - 30 * day, step=day), number="GONE")
    full = [S.ALLOCATED, S.PLANNED, S.DECLARED, S.CLEARED, S.PICKED, S.PACKED, S.LABELLED,
            S.LOADED, S.RELEASED]  # fmt: skip
    order_through(db, walk(*full, start=NOW - 40 * day, step=day), number="SHIPPED")
    # Received long ago but moved yesterday: its last change counts, not its age.
    moved = order_through(
        db, walk(S.ALLOCATED, start=NOW - 20 * day, step=19 * day), number="MOVED"
    )
    held = order_through(db, walk(S.ON_HOLD, start=NOW - 6 * day, step=day), number="HELD")
    oldest = order_through(db, walk(S.ALLOCATED, start=NOW - 9 * day, step=day), number="OLDEST")
    fresh = order_through(db, walk(start=NOW - timedelta(minutes=5), step=day), number="FRESH")

    with db.reading() as s:
        stuck = board.stuck_orders(s, now=NOW)
        top2 = board.stuck_orders(s, now=NOW, limit=2)

    assert [o.order_number for o in stuck] == ["OLDEST", "HELD", "MOVED", "FRESH"]
    assert [o.order_id for o in stuck] == [oldest, held, moved, fresh]
    assert [o.order_number for o in top2] == ["OLDEST", "HELD"]
    first = stuck[0]
    assert (first.status, first.channel, first.flow) == ("allocated", o.CHANNEL, "bonded_import")
    assert first.since == NOW - 8 * day and first.waiting == 8 * day
    assert stuck[1].status == "on_hold" and stuck[1].resume_status == "allocated"
    assert stuck[2].since == NOW - day
    assert stuck[3].waiting == timedelta(minutes=5)


# --- plans and capacity ---------------------------------------------------------------------------


@pytest.fixture
def day(db: Database) -> dict[str, int]:
    stocked(db)
    return day_of_orders(db)


def run_plan(db: Database, what_if: planning.WhatIf | None = None) -> str:
    with db.transaction() as s:
        return planning.run_plan(
            s, f.WAREHOUSE, actor="planner", time_limit_s=1.0, what_if=what_if
        ).number


def test_plans_their_figures_and_capacity_match_the_stored_run(db: Database, day: dict[str, int]):
    with db.reading() as s:
        assert board.recent_plans(s) == [] and board.latest_plan_number(s) is None
        assert [(w.code, w.waiting) for w in board.plannable_warehouses(s)] == [(f.WAREHOUSE, 6)]
    number = run_plan(db)

    with db.reading() as s:
        view = planning.plan_view(s, planning.plan_by_number(s, number))
        [summary] = board.recent_plans(s)
        detail = board.plan_detail(s, number)
        assert board.latest_plan_number(s) == number

    assert summary.number == number and summary.warehouse == f.WAREHOUSE
    assert summary.kind == "plan" and summary.committable
    assert summary.parcels == 6 and summary.unassigned == 2
    assert str(summary.cost) == view["cost"]
    assert str(summary.rate_shopping_cost) == view["rate_shopping"]["cost"]
    assert str(summary.saving) == view["rate_shopping"]["saving"]
    assert summary.gap_pct == view["gap_pct"]

    # The detail is the API's view, with the unassigned parcels and their reasons.
    assert {k: v for k, v in detail.view.items()} == {
        k: v for k, v in view.items() if k not in ("assignments", "unassigned")
    }
    assert detail.unassigned_total == 2
    assert {u.order_id: u.reason for u in detail.unassigned} == {
        day["br"]: "no_coverage",
        day["heavy"]: "over_limits",
    }
    heavy = next(u for u in detail.unassigned if u.order_id == day["heavy"])
    assert heavy.by_service == next(
        u["by_service"] for u in view["unassigned"] if u["order_id"] == day["heavy"]
    )
    assert heavy.order_number and heavy.weight_g > 60_000

    # Capacity: exactly the plan's loads, service by service.
    loads = board.capacity(detail.view)
    assert [(c.service, c.parcels, c.capacity_parcels, c.grams, c.capacity_g) for c in loads] == [
        (x["service"], x["parcels"], x["capacity_parcels"], x["grams"], x["capacity_g"])
        for x in view["loads"]
    ]
    assert sum(c.parcels for c in loads) == 4
    by_service: dict[str, int] = {}
    for a in view["assignments"]:
        by_service[a["service"]] = by_service.get(a["service"], 0) + 1
    assert {c.service: c.parcels for c in loads if c.parcels} == by_service
    assert all(c.kg == c.grams / 1000 for c in loads)


def test_committed_plans_and_what_ifs(db: Database, day: dict[str, int]):
    first = run_plan(db)
    with db.transaction() as s:
        planning.commit_plan(s, first, actor="lead")
    what_if = run_plan(db, planning.WhatIf(remove_service="SF-STD"))
    with db.reading() as s:
        plans = board.recent_plans(s)
        # What-ifs are comparisons: the dashboard shows the latest plan by default.
        assert board.latest_plan_number(s) == first
        limited = board.plan_detail(s, first, limit=1)
        # The headline read without the lines is the API's view, committed or a what-if.
        for number in (first, what_if):
            run = planning.plan_by_number(s, number)
            assert board.plan_headline(s, run) == planning.plan_view(s, run, lines=False)
    assert [p.number for p in plans] == [what_if, first]
    assert plans[0].kind == "what_if" and not plans[0].committable
    assert plans[1].committed_by == "lead" and plans[1].committed_at is not None
    assert not plans[1].committable
    assert len(limited.unassigned) == 1 and limited.unassigned_total == 2


def test_a_plan_that_does_not_exist(db: Database):
    from wms.services.errors import NotFound

    with db.reading() as s, pytest.raises(NotFound):
        board.plan_detail(s, "PL-NOPE")


# --- loans ----------------------------------------------------------------------------------------

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def lent(db: Database) -> Database:
    f.build_warehouse(db)
    f.declare(db, "ED-1", (f.MILK.sku, 100), (f.SERUM.sku, 40))
    f.receive(db, "ED-1", f.MILK.sku, "L1", 100)
    f.receive(db, "ED-1", f.SERUM.sku, "S1", 40)
    f.putaway(db, f.MILK.sku, "L1", 100, to=f.BINS[0])
    f.putaway(db, f.SERUM.sku, "S1", 40, to=f.BINS[1])
    o.channel(db)
    return db


def loan(db: Database, due: date, *items: tuple[str, str, int], out: bool = True) -> str:
    with db.transaction() as s:
        number = loans.request_loan(
            s,
            loans.LoanRequest(
                showroom_barcode=f.SHOWROOM,
                due_date=due,
                items=tuple(loans.LoanItemInput(sku, lot, q) for sku, lot, q in items),
                requested_by="merchandiser",
            ),
            at=T0,
        ).number
        if not out:
            return number
        loans.approve_loan(
            s, number, approved_by="officer", guarantee_reference="BG-1",
            guarantee_expires=due + timedelta(days=30), at=T0,
        )  # fmt: skip
    for n, (sku, lot, quantity) in enumerate(items):
        bin_ = f.BINS[0] if sku == f.MILK.sku else f.BINS[1]
        with db.transaction() as s:
            loans.scan_out(
                s, loans.ScanOut(number, sku, lot, quantity, bin_, f"{number}-{n}", "loader"), at=T0
            )
    return number


def test_overdue_loans_are_those_past_due_with_goods_still_out(lent: Database):
    db = lent
    late = loan(db, date(2026, 11, 30), (f.MILK.sku, "L1", 3), (f.SERUM.sku, "S1", 2))
    later = loan(db, date(2026, 12, 3), (f.MILK.sku, "L1", 1))
    loan(db, date(2026, 12, 20), (f.MILK.sku, "L1", 1))  # not due yet
    loan(db, date(2026, 11, 28), (f.MILK.sku, "L1", 1), out=False)  # never went out
    back = loan(db, date(2026, 11, 29), (f.MILK.sku, "L1", 1))  # came back in time
    with db.transaction() as s:
        loans.scan_return(
            s,
            loans.ScanReturn(
                back, f.MILK.sku, "L1", 1, loans.ItemCondition.GOOD, "r1", "clerk", f.BINS[0]
            ),
            at=T0 + timedelta(days=2),
        )
    when = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
    with db.transaction() as s:
        flagged = loans.mark_overdue(s, now=datetime(2026, 12, 1, 0, 5, tzinfo=UTC))
    assert flagged == [late]

    with db.reading() as s:
        rows, total = board.overdue_loans(s, now=when)
        first_only, same_total = board.overdue_loans(s, now=when, limit=1)
    assert total == same_total == 2
    assert [r.number for r in rows] == [late, later]
    assert [r.number for r in first_only] == [late]
    assert (rows[0].days_overdue, rows[0].on_display) == (5, 5)
    assert rows[0].flagged_at == datetime(2026, 12, 1, 0, 5, tzinfo=UTC)
    assert rows[1].flagged_at is None and rows[1].days_overdue == 2
    assert rows[0].showroom == f.SHOWROOM and rows[0].guarantee > 0
    with db.reading() as s:
        notices = board.open_notices(s)
    assert [(n["kind"], n["subject"]) for n in notices] == [("loan_overdue", late)]


# --- showroom traffic -----------------------------------------------------------------------------

LISTING = "https://shop.example.com/item/1"


def test_traffic_counts_scans_and_the_orders_that_followed(lent: Database):
    db = lent
    with db.transaction() as s:
        for product in s.scalars(select(Product)):
            product.listing_url = LISTING
    number = loan(db, date(2026, 12, 20), (f.MILK.sku, "L1", 1), (f.SERUM.sku, "S1", 1))
    with db.reading() as s:
        tags = {i.product.sku: i.tag_code for i in loans.loan_by_number(s, number).items}
    first = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    now = first + timedelta(days=4)
    with db.transaction() as s:
        for hours in (0, 5, 30):
            loans.record_tag_scan(s, tags[f.MILK.sku], at=first + timedelta(hours=hours))
        loans.record_tag_scan(s, tags[f.SERUM.sku], at=first + timedelta(days=1))

    def order_at(at: datetime, *lines: tuple[str, int], cancel: bool = False) -> None:
        with db.transaction() as s:
            order = orders.receive_order(s, o.order_input(*lines), actor="api", at=at).order
            if cancel:
                orders.transition(s, order, S.CANCELLED, kind="cancelled", actor="t", at=at)

    # Milk, first scanned at `first`, 4 days ago: orders in the 4 days since and before.
    order_at(first + timedelta(hours=1), (f.MILK.sku, 1))
    order_at(first + timedelta(days=2), (f.MILK.sku, 2), (f.SERUM.sku, 1))
    order_at(first + timedelta(days=3), (f.MILK.sku, 1), cancel=True)  # withdrawn: not counted
    order_at(first - timedelta(days=1), (f.MILK.sku, 1))
    order_at(first - timedelta(days=5), (f.MILK.sku, 1))  # before the comparable span
    order_at(first + timedelta(days=1), (f.SERUM.sku, 1))  # serum only
    order_at(now + timedelta(hours=1), (f.MILK.sku, 1))  # after "now": not yet

    with db.reading() as s:
        traffic = board.showroom_traffic(s, now=now)
        top = board.showroom_traffic(s, now=now, limit=1)

    assert [(t.sku, t.scans) for t in traffic] == [(f.MILK.sku, 3), (f.SERUM.sku, 1)]
    assert [t.sku for t in top] == [f.MILK.sku]
    milk, serum = traffic
    assert milk.showroom == f.SHOWROOM and milk.showroom_name
    assert (milk.first_scan, milk.last_scan) == (first, first + timedelta(hours=30))
    assert (milk.orders_since_first_scan, milk.orders_before) == (2, 1)
    # Serum, first scanned a day later (3 days before now): 2 orders since, none before
    # (the serum order at first + 1 day counts as since: received at the scan's moment).
    assert serum.first_scan == first + timedelta(days=1)
    assert (serum.orders_since_first_scan, serum.orders_before) == (2, 0)


def test_no_traffic(db: Database):
    with db.reading() as s:
        assert board.showroom_traffic(s) == []


# --- the account book and the jobs ----------------------------------------------------------------


def test_reconciliation_reports_the_book_against_the_stock(lent: Database):
    db = lent
    with db.reading() as s:
        healthy = board.reconciliation(s)
    assert healthy.reconciled and healthy.mismatches == [] and not healthy.ledger_replayed
    from wms.models import append_only

    with db.engine.begin() as conn, append_only.lifted(conn):
        quant_id = conn.execute(select(Quant.id).where(Quant.quantity == 100)).scalar_one()
        conn.execute(Quant.__table__.update().where(Quant.id == quant_id).values(quantity=99))
    with db.reading() as s:
        broken = board.reconciliation(s)
    assert not broken.reconciled
    assert {m.check for m in broken.mismatches} == {"book_vs_stock"}


def test_scheduled_jobs_show_their_schedule_and_no_invented_runs(lent: Database):
    db = lent
    from wms import jobs

    with db.reading() as s:
        listed = board.scheduled_jobs(s, now=NOW)
    assert [j.name for j in listed] == list(jobs.JOBS)
    job = listed[0]
    assert job.name == "overdue_loans"
    assert job.schedule == str(jobs.JOBS["overdue_loans"][1])
    assert job.next_run == datetime(2026, 11, 25, 15, 5, tzinfo=UTC)  # minute 5 of each hour
    assert job.last_run is None  # runs are not recorded yet: nothing is made up
    assert job.last_change is None
    number = loan(db, date(2026, 11, 24), (f.MILK.sku, "L1", 1))
    flagged_at = datetime(2026, 11, 25, 1, 5, tzinfo=UTC)
    with db.transaction() as s:
        assert loans.mark_overdue(s, now=flagged_at) == [number]
    with db.reading() as s:
        job = board.scheduled_jobs(s, now=NOW)[0]
        assert board.last_job_runs(s, ["overdue_loans"]) == {}
    assert job.last_change == flagged_at and job.last_run is None


# --- it stays aggregate ---------------------------------------------------------------------------


def count_queries(db: Database, work: Callable[[Session], object]) -> int:
    seen: list[str] = []

    def count(*_args: object) -> None:
        seen.append("q")

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        with db.reading() as s:
            work(s)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


def everything(s: Session) -> None:
    board.pipeline(s, now=NOW)
    board.stuck_orders(s, now=NOW)
    board.recent_plans(s)
    board.plannable_warehouses(s)
    board.overdue_loans(s, now=NOW)
    board.showroom_traffic(s, now=NOW)
    board.reconciliation(s)
    board.scheduled_jobs(s, now=NOW)


def test_the_number_of_queries_does_not_grow_with_the_orders(shop: Database):
    db = shop
    hour = timedelta(hours=1)
    for n in range(3):
        order_through(db, walk(S.ALLOCATED, start=NOW - (n + 2) * hour, step=hour))
    few = count_queries(db, everything)
    with db.transaction() as s:
        batch = [
            replace(o.order_input((f.MILK.sku, 1)), order_number=f"BULK{n:04d}") for n in range(60)
        ]
        orders.receive_orders(s, batch, actor="api", at=NOW - 3 * hour)
        for order in s.scalars(select(Order).where(Order.order_number.like("BULK%"))):
            orders.transition(s, order, S.ALLOCATED, kind="allocated", actor="t", at=NOW - hour)
    assert count_queries(db, everything) == few
