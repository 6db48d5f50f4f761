"""The scheduled jobs: their schedules, their slots (a slot runs once, however many
runners or retries), their records, and what each one does, through the services."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from config.settings import SchedulerSettings, Settings
from tests import factories as f
from tests.integration.outbound import support as o
from tests.web.people_support import make_user, sign_in
from wms import jobs
from wms.db import Database
from wms.models import (
    CustomsDeclaration,
    DeclarationEvent,
    JobRun,
    Location,
    Lot,
    Notice,
    OrderEvent,
    OrderStatus,
    PlanRun,
    Quant,
)
from wms.services import account_book, allocation, job_runs, loans, orders
from wms.services import dashboard as board
from wms.services.ledger import utcnow

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def settings_for(db: Database, **scheduler: object) -> Settings:
    return Settings(
        database_url=db.url,
        secret_key="test",
        environment="test",
        scheduler=SchedulerSettings(**scheduler),  # type: ignore[arg-type]
    )


def runs(db: Database, job: str) -> list[JobRun]:
    with db.reading() as s:
        found = list(s.scalars(select(JobRun).where(JobRun.job == job).order_by(JobRun.id)))
        s.expunge_all()  # kept as read: the session's rollback does not expire them
        return found


def notices(db: Database, kind: str) -> list[tuple[str, bool]]:
    with db.reading() as s:
        return [
            (n.subject, n.acknowledged_at is None)
            for n in s.scalars(select(Notice).where(Notice.kind == kind).order_by(Notice.id))
        ]


@pytest.fixture
def probe() -> Iterator[dict[str, object]]:
    """A job of the test's own, registered for the test only."""
    state: dict[str, object] = {"calls": 0, "fail": False}
    lock = threading.Lock()

    def in_transaction(session: Session, ctx: jobs.Context) -> jobs.Outcome:
        job_runs.raise_notice(session, "probe", ctx.slot, "written by the probe", ctx.now)
        with lock:
            state["calls"] = int(state["calls"]) + 1  # type: ignore[call-overload]
        time.sleep(float(state.get("sleep", 0)))  # type: ignore[arg-type]
        if state["fail"]:
            raise RuntimeError("the probe broke")
        return jobs.Outcome("probed")

    jobs.DEFINITIONS["probe"] = jobs.Job("probe", lambda _s: None, in_transaction=in_transaction)
    yield state
    del jobs.DEFINITIONS["probe"]


# --- schedules and slots ----------------------------------------------------------------------


def test_the_jobs_and_their_default_schedules():
    configured = jobs.configured_jobs(SchedulerSettings())
    assert list(configured) == [
        "overdue_loans",
        "expired_reservations",
        "reconcile_book",
        "chase_declarations",
        "purge_job_runs",
    ]  # no cut-off configured: no cut-off runs
    after = datetime(2026, 11, 22, 10, 7, tzinfo=UTC)

    def next_fire(name: str, at: datetime = after) -> datetime:
        return configured[name][1].get_next_fire_time(None, at)

    assert next_fire("overdue_loans") == datetime(2026, 11, 22, 11, 5, tzinfo=UTC)
    assert next_fire("expired_reservations") == datetime(2026, 11, 23, 0, 10, tzinfo=UTC)
    assert next_fire("reconcile_book") == datetime(2026, 11, 22, 18, 30, tzinfo=UTC)
    assert next_fire("chase_declarations") == datetime(2026, 11, 22, 10, 35, tzinfo=UTC)

    cutoffs = jobs.configured_jobs(SchedulerSettings(plan_cutoffs=("09:30", "15:00")))
    trigger = cutoffs["plan_cutoffs"][1]
    assert trigger.get_next_fire_time(None, after) == datetime(2026, 11, 22, 15, 0, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, after.replace(hour=16)) == datetime(
        2026, 11, 23, 9, 30, tzinfo=UTC
    )

    fast = jobs.configured_jobs(
        SchedulerSettings(schedules=(("overdue_loans", "every 2"), ("reconcile_book", "0 2 * * *")))
    )
    assert isinstance(fast["overdue_loans"][1], IntervalTrigger)
    assert fast["reconcile_book"][1].get_next_fire_time(None, after) == datetime(
        2026, 11, 23, 2, 0, tzinfo=UTC
    )
    with pytest.raises(ValueError, match="WMS_JOB_SCHEDULES names no job nightly"):
        jobs.configured_jobs(SchedulerSettings(schedules=(("nightly", "every 5"),)))
    with pytest.raises(ValueError, match="WMS_JOB_SCHEDULES: reconcile_book"):
        jobs.configured_jobs(SchedulerSettings(schedules=(("reconcile_book", "0 25 * * *"),)))


def test_the_settings_name_the_variable_at_fault():
    from config.settings import scheduler_settings

    parsed = scheduler_settings(
        {
            "WMS_PLAN_CUTOFFS": "15:00, 09:30",
            "WMS_SCHEDULER_POLL_SECONDS": "0.5",
            "WMS_JOB_SCHEDULES": "overdue_loans=every 1; reconcile_book=30 18 * * *",
            "WMS_DECLARATION_CHASE_HOURS": "12",
        }
    )
    assert parsed.plan_cutoffs == ("09:30", "15:00")
    assert parsed.poll_seconds == 0.5 and parsed.declaration_chase_hours == 12
    assert dict(parsed.schedules) == {"overdue_loans": "every 1", "reconcile_book": "30 18 * * *"}
    from config.settings import JOB_NAMES

    assert tuple(jobs.DEFINITIONS) == JOB_NAMES
    for variable, value in (
        ("WMS_JOB_SCHEDULES", "nightly=every 5"),
        ("WMS_PLAN_CUTOFFS", "9:30"),
        ("WMS_PLAN_CUTOFFS", "24:00"),
        ("WMS_SCHEDULER_POLL_SECONDS", "0"),
        ("WMS_JOB_SCHEDULES", "overdue_loans=every 0"),
        ("WMS_JOB_SCHEDULES", "overdue_loans"),
        ("WMS_DECLARATION_CHASE_HOURS", "1.5"),
        ("WMS_JOB_RUNS_KEEP_DAYS", "0"),
    ):
        with pytest.raises(ValueError, match=variable):
            scheduler_settings({variable: value})


def test_a_run_belongs_to_the_slot_that_fired_last():
    configured = jobs.configured_jobs(SchedulerSettings(plan_cutoffs=("09:30", "15:00")))
    hourly = configured["overdue_loans"][1]
    at = datetime(2026, 11, 22, 10, 7, 30, tzinfo=UTC)
    assert jobs.slot_time(hourly, at) == datetime(2026, 11, 22, 10, 5, tzinfo=UTC)
    assert jobs.slot_time(hourly, at.replace(minute=5, second=0)) == at.replace(minute=5, second=0)
    assert jobs.slot_time(hourly, at.replace(minute=4)) == datetime(2026, 11, 22, 9, 5, tzinfo=UTC)
    cutoffs = configured["plan_cutoffs"][1]
    assert jobs.slot_time(cutoffs, at) == datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
    assert jobs.slot_time(cutoffs, at.replace(hour=8)) == datetime(2026, 11, 21, 15, 0, tzinfo=UTC)
    nightly = configured["reconcile_book"][1]
    assert jobs.slot_time(nightly, at) == datetime(2026, 11, 21, 18, 30, tzinfo=UTC)
    # "every N" counts from one origin, so every runner computes the same slots
    every = jobs.parse_schedule("overdue_loans", "every 5")
    assert jobs.slot_time(every, at.replace(second=33)) == at.replace(second=30)
    assert jobs.slot_key(at) == "2026-11-22T10:07:30Z"


def test_the_scheduler_holds_the_configured_jobs_and_catches_up_the_latest_slot(db: Database):
    settings = settings_for(db, plan_cutoffs=("09:30",))
    scheduler = jobs.build_scheduler(db, settings, runner="a:1")
    listed = {job.id: job for job in scheduler.get_jobs()}
    scheduled = {name for name in listed if ":" not in name}
    assert scheduled == set(jobs.configured_jobs(settings.scheduler))
    assert all(listed[name].coalesce and listed[name].max_instances == 1 for name in scheduled)
    # The hourly job fired less than an hour ago: its latest slot runs at once, unless
    # someone ran it already (a runner taking over at 18:40 still reconciles at 18:30).
    catch_up = listed["overdue_loans:catch-up"]
    trigger = jobs.configured_jobs(settings.scheduler)["overdue_loans"][1]
    latest = jobs.slot_key(jobs.slot_time(trigger, utcnow()))  # type: ignore[arg-type]
    assert catch_up.args[3] == latest
    catch_up.func(*catch_up.args)
    catch_up.func(*catch_up.args)  # a second runner doing the same finds the slot taken
    assert [(r.slot, r.outcome) for r in runs(db, "overdue_loans")] == [(latest, "ok")]


# --- slots: once, whatever happens -------------------------------------------------------------


def test_a_slot_claimed_twice_runs_once(db: Database, probe: dict[str, object]):
    settings = settings_for(db)
    first = jobs.run_job(db, settings, "probe", slot="2026-11-22T10:05:00Z", runner="a:1")
    again = jobs.run_job(db, settings, "probe", slot="2026-11-22T10:05:00Z", runner="b:2")
    assert (first.outcome, again.outcome) == ("ok", "skipped")
    assert probe["calls"] == 1
    [run] = runs(db, "probe")
    assert (run.runner, run.outcome, run.summary) == ("a:1", "ok", "probed")
    assert run.finished_at is not None and run.finished_at >= run.started_at
    assert jobs.run_job(db, settings, "probe", slot="2026-11-22T11:05:00Z").outcome == "ok"
    assert probe["calls"] == 2


def test_two_runners_racing_for_one_slot_run_it_once(db: Database, probe: dict[str, object]):
    settings = settings_for(db)
    probe["sleep"] = 0.4  # the first holds its claim while the second arrives
    results: list[str] = []

    def runner(name: str) -> None:
        result = jobs.run_job(db, settings, "probe", slot="2026-11-22T12:00:00Z", runner=name)
        results.append(result.outcome)

    threads = [threading.Thread(target=runner, args=(f"r:{n}",)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(results) == ["ok", "skipped"]
    assert probe["calls"] == 1
    assert len(runs(db, "probe")) == 1
    assert notices(db, "probe") == [("2026-11-22T12:00:00Z", True)]


def test_a_failed_run_is_recorded_undone_and_the_next_slot_runs(
    db: Database, probe: dict[str, object]
):
    settings = settings_for(db)
    probe["fail"] = True
    failed = jobs.run_job(db, settings, "probe", slot="s1")
    assert failed.outcome == "failed" and "the probe broke" in (failed.summary or "")
    [run] = runs(db, "probe")
    assert run.outcome == "failed" and "RuntimeError: the probe broke" in (run.error or "")
    assert notices(db, "probe") == []  # the job's own writes were rolled back
    # the failed slot stays taken (a retry would not run it twice) ...
    assert jobs.run_job(db, settings, "probe", slot="s1").outcome == "skipped"
    # ... and the next slot runs
    probe["fail"] = False
    assert jobs.run_job(db, settings, "probe", slot="s2").outcome == "ok"
    assert notices(db, "probe") == [("s2", True)]


def test_a_job_that_runs_on_its_own_is_claimed_before_its_work_or_marked_abandoned(
    db: Database,
):
    seen: list[str] = []

    def on_its_own(ctx: jobs.Context) -> jobs.Outcome:
        with ctx.db.reading() as s:  # the claim is committed before the work starts
            seen.append(s.scalar(select(JobRun.outcome).where(JobRun.slot == ctx.slot)) or "")
        if ctx.slot == "bad":
            raise ValueError("no luck")
        return jobs.Outcome("done on its own")

    jobs.DEFINITIONS["staged"] = jobs.Job("staged", lambda _s: None, on_its_own=on_its_own)
    try:
        settings = settings_for(db)
        assert jobs.run_job(db, settings, "staged", slot="good").outcome == "ok"
        assert jobs.run_job(db, settings, "staged", slot="good").outcome == "skipped"
        assert jobs.run_job(db, settings, "staged", slot="bad").outcome == "failed"
    finally:
        del jobs.DEFINITIONS["staged"]
    assert seen == ["running", "running"]
    outcomes = [(r.slot, r.outcome, r.summary) for r in runs(db, "staged")]
    assert outcomes == [("good", "ok", "done on its own"), ("bad", "failed", "failed: no luck")]
    assert "ValueError: no luck" in (runs(db, "staged")[1].error or "")

    # A run left running by a runner that died: the next active runner says so.
    with db.transaction() as s:
        job_runs.claim(s, "staged", "x1", trigger="schedule", runner="gone:1", at=T0)
        job_runs.claim(s, "staged", "x2", trigger="schedule", runner="me:2", at=T0)
    with db.transaction() as s:
        assert job_runs.abandon_unfinished(s, runner="me:2", at=T0) == ["staged"]
    states = {r.slot: (r.outcome, r.error) for r in runs(db, "staged")}
    assert states["x1"][0] == "abandoned" and "gone:1 stopped" in (states["x1"][1] or "")
    assert states["x2"] == ("running", None)


# --- each job's effect ------------------------------------------------------------------------


@pytest.fixture
def stocked(db: Database) -> Database:
    f.build_warehouse(db)
    f.declare(db, "ED-1", (f.MILK.sku, 100), (f.SERUM.sku, 40))
    f.receive(db, "ED-1", f.MILK.sku, "L1", 30)
    f.putaway(db, f.MILK.sku, "L1", 30, to=f.BINS[0])
    return db


def lend(db: Database, due: date) -> str:
    """A display loan of 2 milk, out in the showroom, due back on ``due``."""
    with db.transaction() as s:
        number = loans.request_loan(
            s,
            loans.LoanRequest(
                showroom_barcode=f.SHOWROOM,
                due_date=due,
                items=(loans.LoanItemInput(f.MILK.sku, "L1", 2),),
                requested_by="merchandiser",
            ),
            at=T0,
        ).number
        loans.approve_loan(
            s,
            number,
            approved_by="customs officer",
            guarantee_reference="BG-1",
            guarantee_expires=due + timedelta(days=30),
            at=T0,
        )
        loans.scan_out(
            s, loans.ScanOut(number, f.MILK.sku, "L1", 2, f.BINS[0], f.key(), "loader"), at=T0
        )
    return number


def test_a_loan_past_due_is_flagged_once_even_when_the_job_runs_twice(stocked: Database):
    db = stocked
    assert jobs.overdue_loans(db) == []  # by hand (`flask loans mark-overdue`): none yet
    number = lend(db, date(2026, 11, 30))
    settings = settings_for(db)
    late = datetime(2026, 12, 1, 10, 5, tzinfo=UTC)
    first = jobs.run_job(db, settings, "overdue_loans", slot="2026-12-01T10:05:00Z", now=late)
    assert first.outcome == "ok" and first.summary == f"1 loan(s) newly overdue: {number}"
    same = jobs.run_job(db, settings, "overdue_loans", slot="2026-12-01T10:05:00Z", now=late)
    later = jobs.run_job(
        db, settings, "overdue_loans", slot="2026-12-01T11:05:00Z", now=late + timedelta(hours=1)
    )
    assert same.outcome == "skipped" and later.summary == "none newly due"
    assert notices(db, "loan_overdue") == [(number, True)]
    with db.reading() as s:
        assert loans.loan_by_number(s, number).overdue_since == late


def test_reconciliation_finds_a_corrupted_quant(stocked: Database):
    db = stocked
    settings = settings_for(db)
    clean = jobs.run_job(db, settings, "reconcile_book", slot="n1")
    assert clean.outcome == "ok" and clean.summary.startswith("no drift")  # type: ignore[union-attr]
    with db.engine.begin() as conn:  # what no service would do: a quant out of step
        bin_id = conn.execute(select(Location.id).where(Location.barcode == f.BINS[0])).scalar_one()
        conn.execute(update(Quant).where(Quant.location_id == bin_id).values(quantity=33))
    drift = jobs.run_job(db, settings, "reconcile_book", slot="n2")
    assert drift.outcome == "warning"
    assert drift.summary is not None and drift.summary.startswith("DRIFT: ")
    assert "quant_vs_moves" in drift.summary and "book_vs_stock" in drift.summary
    [_, run] = runs(db, "reconcile_book")
    assert run.details is not None and run.details["mismatches"] >= 2
    assert {"check": "quant_vs_moves", "expected": 30, "actual": 33}.items() <= {
        k: v for m in run.details["first"] if m["check"] == "quant_vs_moves" for k, v in m.items()
    }.items()
    assert notices(db, "book_drift") == [("reconcile n2", True)]


def test_reservations_on_lots_too_short_dated_are_freed_and_allocated_again(db: Database):
    today = utcnow().date()
    f.build_warehouse(db)
    f.declare(db, "ED-1", (f.MILK.sku, 100))
    f.receive(db, "ED-1", f.MILK.sku, "OLD", 10, expiry_date=today + timedelta(days=40))
    f.receive(db, "ED-1", f.MILK.sku, "NEW", 10, expiry_date=today + timedelta(days=400))
    f.putaway(db, f.MILK.sku, "OLD", 10, to=f.BINS[0])
    f.putaway(db, f.MILK.sku, "NEW", 10, to=f.BINS[1])
    o.channel(db, min_shelf_life_days=30)
    first = o.receive_order(db, (f.MILK.sku, 4))
    second = o.receive_order(db, (f.MILK.sku, 12))
    with db.transaction() as s:
        allocation.allocate_orders(s, [first, second], actor="tester")
    o.advance(db, first, "planned")

    def reserved() -> dict[str, int]:
        with db.reading() as s:
            rows = s.execute(
                select(Lot.lot_number, func.sum(Quant.reserved_quantity))
                .join(Lot, Lot.id == Quant.lot_id)
                .group_by(Lot.lot_number)
            )
            return {lot: int(n) for lot, n in rows}

    assert reserved() == {"OLD": 10, "NEW": 6}  # FEFO: the old lot first

    settings = settings_for(db)
    in_two_weeks = utcnow() + timedelta(days=15)  # OLD now expires too soon for 30 days
    result = jobs.run_job(db, settings, "expired_reservations", slot="d1", now=in_two_weeks)
    assert result.outcome == "ok"
    assert result.summary == (
        "freed 10 unit(s) of 1 short-dated lot(s) from 2 order(s): 1 allocated again, "
        "1 on hold for stock"
    )
    # The first order (first come) took the 4 fresh units left and kept its status; the
    # second keeps its 6 fresh units and waits for 6 more.
    assert reserved() == {"OLD": 0, "NEW": 10}
    with db.reading() as s:
        one, two = orders.order_by_id(s, first), orders.order_by_id(s, second)
        assert one.status is OrderStatus.PLANNED
        assert two.status is OrderStatus.ON_HOLD and two.resume_status is OrderStatus.ALLOCATED
        assert two.hold_reason == {
            "kind": "stock",
            "missing": [
                {"line_no": 1, "sku": f.MILK.sku, "wanted": 6, "available": 0, "missing": 6}
            ],
        }
        kinds = s.scalars(
            select(OrderEvent.kind).where(OrderEvent.order_id == first).order_by(OrderEvent.id)
        ).all()
        assert kinds[-2:] == ["reservation_expired", "reallocated"]
        assert account_book.reconcile(s) == []
    assert notices(db, "lot_short_dated") == [(f"{f.MILK.sku} OLD", True)]
    again = jobs.run_job(db, settings, "expired_reservations", slot="d2", now=in_two_weeks)
    assert again.summary == "no reservation on a lot too short-dated"


def test_lists_customs_does_not_answer_are_chased_every_period_until_answered(db: Database):
    f.build_warehouse(db)
    f.declare(db, "ED-1", (f.MILK.sku, 100))
    f.receive(db, "ED-1", f.MILK.sku, "L1", 10)
    f.putaway(db, f.MILK.sku, "L1", 10, to=f.BINS[0])
    o.channel(db)
    order_id = o.receive_order(db, (f.MILK.sku, 1))
    with db.transaction() as s:
        allocation.allocate(s, order_id, actor="tester")
    o.advance(db, order_id, "planned", "declared")
    with db.reading() as s:
        listed = s.scalar(select(CustomsDeclaration).where(CustomsDeclaration.order_id == order_id))
        assert listed is not None and listed.submitted_at is not None
        number, submitted = listed.number, listed.submitted_at
    settings = settings_for(db, declaration_chase_hours=24)

    def chase(hours: int) -> str:
        at = submitted + timedelta(hours=hours)
        result = jobs.run_job(db, settings, "chase_declarations", slot=f"h{hours}", now=at)
        return result.summary or ""

    def reminders() -> list[object]:
        with db.reading() as s:
            return [
                (e.details or {}).get("chase")
                for e in s.scalars(
                    select(DeclarationEvent)
                    .join(CustomsDeclaration)
                    .where(
                        CustomsDeclaration.number == number, DeclarationEvent.actor == "scheduler"
                    )
                )
            ]

    assert chase(1).startswith("no list unanswered for 24 h needs a reminder (0 waiting)")
    assert chase(25) == f"chased 1 list(s) unanswered for 24 h or more: {number}"
    assert chase(26).startswith("no list unanswered")  # reminded an hour ago
    assert reminders() == [1]
    assert notices(db, "declaration_waiting") == [(number, True)]
    with db.transaction() as s:  # a planner reads it and acknowledges it
        s.execute(update(Notice).values(acknowledged_at=utcnow(), acknowledged_by="planner"))
    assert chase(49) == f"chased 1 list(s) unanswered for 24 h or more: {number}"
    assert reminders() == [1, 2]
    assert notices(db, "declaration_waiting") == [(number, True)]  # open again
    o.advance(db, order_id, "cleared")
    assert chase(50).endswith("; 1 reminder(s) of answered lists closed")
    assert notices(db, "declaration_waiting") == [(number, False)]


def test_a_cut_off_plans_each_warehouse_with_allocated_orders_without_committing(
    stocked: Database,
):
    db = stocked
    settings = settings_for(db, plan_cutoffs=("09:30", "15:00"))
    nothing = jobs.run_job(db, settings, "plan_cutoffs", slot="c0")
    assert nothing.summary == "no warehouse has allocated orders to plan"
    o.channel(db)
    data = o.order_input((f.MILK.sku, 2))
    with db.transaction() as s:
        order_id = orders.receive_order(
            s, replace(data, consignee=replace(data.consignee, province="广东省")), actor="api"
        ).order.id
        allocation.allocate(s, order_id, actor="tester")
    result = jobs.run_job(db, settings, "plan_cutoffs", slot="c1")
    assert result.outcome == "ok", result.summary
    with db.reading() as s:
        [plan] = s.scalars(select(PlanRun)).all()
        assert plan.created_by == "scheduler" and plan.committed_at is None
        assert orders.order_by_id(s, order_id).status is OrderStatus.ALLOCATED  # planners commit
        number = plan.number
    assert result.summary == f"planned {f.WAREHOUSE} {number} (1/1) (to commit)"
    assert notices(db, "plan_cutoff") == [(number, True)]
    assert jobs.run_job(db, settings, "plan_cutoffs", slot="c1").outcome == "skipped"
    with db.reading() as s:
        assert s.scalar(select(func.count(PlanRun.id))) == 1


def test_old_run_records_are_purged_and_nothing_else(db: Database):
    settings = settings_for(db, job_runs_keep_days=90)
    now = utcnow()
    with db.transaction() as s:
        for slot, age, outcome in (("old", 100, "ok"), ("recent", 10, "ok"), ("stuck", 100, "")):
            run_id = job_runs.claim(
                s, "overdue_loans", slot, trigger="schedule", runner="a:1", at=now - timedelta(age)
            )
            assert run_id is not None
            if outcome:
                job_runs.finish(s, run_id, outcome, at=now - timedelta(age))
    with db.transaction() as s:
        operations = s.scalar(text("SELECT count(*) FROM stock_operations"))
    result = jobs.run_job(db, settings, "purge_job_runs", slot="p1", now=now)
    assert result.summary == "purged 1 run record(s) older than 90 days"
    assert [r.slot for r in runs(db, "overdue_loans")] == ["recent", "stuck"]
    with db.reading() as s:
        assert s.scalar(text("SELECT count(*) FROM stock_operations")) == operations


# --- where the runs are shown -----------------------------------------------------------------


def test_the_cli_runs_a_job_once_and_reports_the_state(app: Flask, db: Database):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["scheduler", "run-once", "overdue_loans"])
    assert result.exit_code == 0, result.output
    assert "overdue_loans: ok: none newly due" in result.output.splitlines()
    assert runs(db, "overdue_loans")[0].trigger == "manual"
    result = runner.invoke(args=["scheduler", "run-once", "nightly"])
    assert result.exit_code == 2 and "the jobs are overdue_loans" in result.output

    status = runner.invoke(args=["scheduler", "status"])
    assert status.exit_code == 0, status.output
    lines = status.output.splitlines()
    assert lines[0] == "active runner: none (no scheduler holds the lock)"
    overdue = next(line for line in lines if line.startswith("overdue_loans:"))
    assert "cron[minute='5']" in overdue and "ok on " in overdue and "none newly due" in overdue
    assert any(line.startswith("plan_cutoffs: not scheduled; never run") for line in lines)


def test_the_dashboard_shows_the_last_runs(db: Database, page_client: FlaskClient):
    settings = settings_for(db)
    jobs.run_job(db, settings, "overdue_loans", slot="2026-11-22T09:05:00Z")
    jobs.run_job(db, settings, "overdue_loans", slot="2026-11-22T10:05:00Z")
    with db.reading() as s:
        last = board.last_job_runs(s, ["overdue_loans", "reconcile_book"])
        assert set(last) == {"overdue_loans"}
        assert (last["overdue_loans"].outcome, last["overdue_loans"].summary) == (
            "ok",
            "none newly due",
        )
        [overdue] = [j for j in board.scheduled_jobs(s) if j.name == "overdue_loans"]
        assert overdue.last_run == last["overdue_loans"]
    make_user(db, "pat", "planner")
    sign_in(page_client, "pat")
    html = page_client.get("/dashboard/").get_data(as_text=True)
    row = html[html.index('<tr data-job="overdue_loans">') :]
    row = row[: row.index("</tr>")]
    assert "ok · none newly due" in row
