"""Scheduled jobs, run by their own process (`flask --app wsgi scheduler run`), never
inside web workers: with several gunicorn workers each would run every job.

One runner is active however many are started (``wms.scheduler_lock``: a PostgreSQL
advisory lock, a file lock on SQLite); the others wait as standbys and one takes over
when the active one dies.  Every run claims its slot, the scheduled time it belongs to,
in ``job_runs`` (unique per job and slot): in the same transaction as the work when the
work is one transaction, else just before it, so no slot ever runs twice.  A run that
fails is recorded with its error and the scheduler goes on; the next slot runs as usual.

The jobs (default schedules in UTC; ``WMS_JOB_SCHEDULES`` replaces them):
- overdue_loans, hourly at :05: display loans past their due date are flagged once, with
  a notice (``loans.mark_overdue``).
- expired_reservations, daily 00:10: reservations on lots now too short-dated for their
  orders' channels are freed and the orders allocated again
  (``job_runs.expire_reservations``).
- reconcile_book, nightly 18:30 (02:30 in China): the account book is rebuilt from all
  the moves and the quants from their moves, and compared
  (``account_book.reconcile(replay_ledger=True)``); drift is logged, kept in the run and
  raised as a notice.
- chase_declarations, hourly at :35: customs lists unanswered for
  ``WMS_DECLARATION_CHASE_HOURS`` are chased (``job_runs.chase_declarations``).
- plan_cutoffs, at the ``WMS_PLAN_CUTOFFS`` times (none by default): the courier planner
  runs for every warehouse with allocated orders; the plans wait for a planner to commit.
- purge_job_runs, daily 19:00: run records older than ``WMS_JOB_RUNS_KEEP_DAYS``.  The
  slots are the scheduler's own idempotency keys; the stock operations' keys belong to
  the ledger and are never purged (see ``job_runs``).
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select
from sqlalchemy.orm import Session

from config.settings import SchedulerSettings, Settings, scheduler_settings
from wms import scheduler_lock
from wms.db import Database
from wms.models import Order, OrderStatus, Warehouse
from wms.services import account_book, job_runs, loans, planning, unit_of_work
from wms.services.errors import ServiceError
from wms.services.ledger import utcnow

log = logging.getLogger(__name__)

# "every N" schedules count from this instant, so every runner shares one grid of slots.
GRID_ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)
CUTOFF_TIME_LIMIT_S = 10.0  # the solver's time for a cut-off run, per warehouse
# A slot missed while no runner was active still runs when a runner becomes active within
# this time (APScheduler's misfire grace, for a scheduler that keeps no job store).
CATCH_UP = timedelta(hours=1)
MAX_LISTED = 10  # names listed in a run's summary


def overdue_loans(db: Database) -> list[str]:
    """Flag loans past their due date, with a notice for the planners: what
    `loans mark-overdue` does by hand (it prints the result; the scheduled job,
    ``_overdue_loans``, logs it and records its run)."""
    return unit_of_work.run(db, lambda s: loans.mark_overdue(s))


# --- what a job is ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Context:
    db: Database
    settings: Settings
    now: datetime  # when the run started
    slot: str


@dataclass(frozen=True)
class Outcome:
    summary: str
    details: dict[str, Any] | None = None
    outcome: str = job_runs.OK  # or WARNING: done, and people must look at something


class JobFailed(Exception):
    """The job did part of its work and failed the rest: recorded as failed, with what
    it did in the summary."""

    def __init__(self, outcome: Outcome, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.outcome = outcome


@dataclass(frozen=True)
class Job:
    """A job's work: ``in_transaction`` runs inside the transaction that claims the slot
    (all or nothing); ``on_its_own`` runs after the claim is committed and opens its own
    transactions (long reads, the planner's solve outside any write transaction)."""

    name: str
    default_schedule: Callable[[SchedulerSettings], BaseTrigger | None]
    in_transaction: Callable[[Session, Context], Outcome] | None = None
    on_its_own: Callable[[Context], Outcome] | None = None


def _names(items: list[str]) -> str:
    shown = ", ".join(items[:MAX_LISTED])
    return shown + (f" and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else "")


def _overdue_loans(session: Session, ctx: Context) -> Outcome:
    marked = loans.mark_overdue(session, now=ctx.now)
    if marked:
        log.info("loans now overdue: %s", ", ".join(marked))
    return Outcome(
        f"{len(marked)} loan(s) newly overdue: {_names(marked)}" if marked else "none newly due",
        {"loans": marked},
    )


def _expired_reservations(session: Session, ctx: Context) -> Outcome:
    result = job_runs.expire_reservations(session, now=ctx.now)
    if not result["units"]:
        return Outcome("no reservation on a lot too short-dated", result)
    summary = (
        f"freed {result['units']} unit(s) of {len(result['lots'])} short-dated lot(s) from "
        f"{len(result['orders'])} order(s): {len(result['reallocated'])} allocated again, "
        f"{len(result['on_hold'])} on hold for stock"
    )
    log.info("expired reservations: %s", summary)
    return Outcome(summary, result)


@contextmanager
def _snapshot(db: Database) -> Iterator[Session]:
    """A read session that sees one instant throughout: the reconciliation reads the
    book, the moves and the quants in several statements while scanners keep working.
    SQLite's read transaction is a snapshot already (WAL); PostgreSQL's default (read
    committed) is not, so there it is repeatable read."""
    if db.dialect != "postgresql":
        with db.reading() as session:
            yield session
        return
    with db.engine.connect() as conn:
        snapshot = conn.execution_options(isolation_level="REPEATABLE READ")
        with Session(bind=snapshot) as session:
            try:
                yield session
            finally:
                session.rollback()


def _reconcile_book(ctx: Context) -> Outcome:
    with _snapshot(ctx.db) as session:
        mismatches = account_book.reconcile(session, replay_ledger=True)
    if not mismatches:
        return Outcome("no drift: the book, the moves and the quants agree", {"mismatches": 0})
    by_check: dict[str, int] = {}
    for m in mismatches:
        by_check[m.check] = by_check.get(m.check, 0) + 1
    counts = ", ".join(f"{check} {n}" for check, n in sorted(by_check.items()))
    first = "; ".join(
        f"{m.check} {m.subject} {m.field}: expected {m.expected}, found {m.actual}"
        for m in mismatches[:3]
    )
    summary = f"DRIFT: {len(mismatches)} mismatch(es) ({counts}); {first}"
    log.warning("account book reconciliation: %s", summary)
    unit_of_work.run(
        ctx.db,
        lambda s: job_runs.raise_notice(s, "book_drift", f"reconcile {ctx.slot}", summary, ctx.now),
    )
    return Outcome(
        summary,
        {"mismatches": len(mismatches), "first": [m.as_dict() for m in mismatches[:100]]},
        job_runs.WARNING,
    )


def _chase_declarations(session: Session, ctx: Context) -> Outcome:
    hours = ctx.settings.scheduler.declaration_chase_hours
    result = job_runs.chase_declarations(session, now=ctx.now, after_hours=hours)
    chased = result["chased"]
    summary = (
        f"chased {len(chased)} list(s) unanswered for {hours} h or more: {_names(chased)}"
        if chased
        else f"no list unanswered for {hours} h needs a reminder ({result['waiting']} waiting)"
    )
    if result["closed_reminders"]:
        summary += f"; {result['closed_reminders']} reminder(s) of answered lists closed"
    return Outcome(summary, result)


def _plan_cutoffs(ctx: Context) -> Outcome:
    with ctx.db.reading() as session:
        codes = list(
            session.scalars(
                select(Warehouse.code)
                .join(Order, Order.warehouse_id == Warehouse.id)
                .where(Order.status == OrderStatus.ALLOCATED)
                .group_by(Warehouse.code)
                .order_by(Warehouse.code)
            )
        )
    if not codes:
        return Outcome("no warehouse has allocated orders to plan", {"plans": []})
    services = planning.courier_services(ctx.settings.courier_services_path)
    plans: list[dict[str, Any]] = []
    errors: list[str] = []
    for code in codes:
        try:
            number = planning.plan_warehouse(
                ctx.db,
                code,
                actor=job_runs.SCHEDULER,
                time_limit_s=CUTOFF_TIME_LIMIT_S,
                services=services,
            )
        except ServiceError as exc:
            errors.append(f"{code}: {exc.message}")
            continue
        with ctx.db.reading() as session:
            view = planning.plan_view(
                session, planning.plan_by_number(session, number), lines=False
            )
        plans.append(
            {
                "warehouse": code,
                "plan": number,
                "parcels": view["parcels"],
                "assigned": view["assigned"],
                "cost": view["cost"],
                "currency": view["currency"],
            }
        )
        unit_of_work.run(
            ctx.db,
            lambda s, v=view, c=code: job_runs.raise_notice(
                s,
                "plan_cutoff",
                str(v["number"]),
                f"cut-off plan {v['number']} for {c}: {v['assigned']} of {v['parcels']} "
                f"parcel(s) assigned, {v['cost']} {v['currency']}; commit it to give the "
                "orders their couriers",
                ctx.now,
            ),
        )
    summary = "planned " + (
        ", ".join(f"{p['warehouse']} {p['plan']} ({p['assigned']}/{p['parcels']})" for p in plans)
        or "nothing"
    )
    outcome = Outcome(summary + " (to commit)", {"plans": plans, "errors": errors})
    if errors:
        raise JobFailed(outcome, errors)
    return outcome


def _purge_job_runs(session: Session, ctx: Context) -> Outcome:
    days = ctx.settings.scheduler.job_runs_keep_days
    n = job_runs.purge(session, before=ctx.now - timedelta(days=days))
    return Outcome(f"purged {n} run record(s) older than {days} days", {"purged": n})


def _cutoff_trigger(settings: SchedulerSettings) -> BaseTrigger | None:
    triggers = [
        CronTrigger(hour=int(t[:2]), minute=int(t[3:]), timezone=UTC) for t in settings.plan_cutoffs
    ]
    if not triggers:
        return None
    return triggers[0] if len(triggers) == 1 else OrTrigger(triggers)


def _cron(**fields: int) -> Callable[[SchedulerSettings], BaseTrigger]:
    return lambda _settings: CronTrigger(timezone=UTC, **fields)


DEFINITIONS: dict[str, Job] = {
    job.name: job
    for job in (
        Job("overdue_loans", _cron(minute=5), in_transaction=_overdue_loans),
        Job(
            "expired_reservations",
            _cron(hour=0, minute=10),
            in_transaction=_expired_reservations,
        ),
        Job("reconcile_book", _cron(hour=18, minute=30), on_its_own=_reconcile_book),
        Job("chase_declarations", _cron(minute=35), in_transaction=_chase_declarations),
        Job("plan_cutoffs", _cutoff_trigger, on_its_own=_plan_cutoffs),
        Job("purge_job_runs", _cron(hour=19, minute=0), in_transaction=_purge_job_runs),
    )
}


def parse_schedule(name: str, spec: str) -> BaseTrigger:
    """``every N`` (seconds, on a grid shared by all runners) or a crontab line in UTC."""
    words = spec.split()
    if words[0] == "every":
        return IntervalTrigger(seconds=int(words[1]), start_date=GRID_ORIGIN, timezone=UTC)
    try:
        return CronTrigger.from_crontab(spec, timezone=UTC)
    except ValueError as exc:
        raise ValueError(f"WMS_JOB_SCHEDULES: {name}: {exc}") from None


def configured_jobs(settings: SchedulerSettings) -> dict[str, tuple[Job, BaseTrigger]]:
    """name -> (job, trigger): the jobs that run and when, the overrides applied."""
    overrides = dict(settings.schedules)
    unknown = sorted(set(overrides) - set(DEFINITIONS))
    if unknown:
        raise ValueError(
            f"WMS_JOB_SCHEDULES names no job {', '.join(unknown)}; the jobs are "
            f"{', '.join(DEFINITIONS)}"
        )
    out: dict[str, tuple[Job, BaseTrigger]] = {}
    for name, job in DEFINITIONS.items():
        trigger = (
            parse_schedule(name, overrides[name])
            if name in overrides
            else job.default_schedule(settings)
        )
        if trigger is not None:
            out[name] = (job, trigger)
    return out


# name -> (job, trigger), as configured by the environment: what the dashboard shows.
JOBS: dict[str, tuple[Job, BaseTrigger]] = configured_jobs(scheduler_settings())


# --- slots and runs ------------------------------------------------------------------------


def slot_time(trigger: BaseTrigger, now: datetime) -> datetime | None:
    """The latest time ``trigger`` fired at or before ``now``: the slot a run started
    now belongs to (a run a little late still belongs to its own slot)."""
    if isinstance(trigger, IntervalTrigger):
        start: datetime = trigger.start_date
        if now < start:
            return None
        return start + ((now - start) // trigger.interval) * trigger.interval
    lookback = timedelta(hours=1)
    while lookback <= timedelta(days=800):
        fire = trigger.get_next_fire_time(None, now - lookback)
        if fire is not None and fire <= now:
            while True:
                following = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))
                if following is None or following > now:
                    return fire.astimezone(UTC)
                fire = following
        lookback *= 8
    return None


def slot_key(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def manual_slot(now: datetime) -> str:
    return "manual-" + now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class RunResult:
    job: str
    slot: str
    outcome: str  # ok, warning, failed, or skipped (the slot was already taken)
    summary: str | None = None
    run_id: int | None = None


def run_job(
    db: Database,
    settings: Settings,
    name: str,
    *,
    slot: str,
    trigger: str = "schedule",
    runner: str | None = None,
    now: datetime | None = None,
) -> RunResult:
    """Run one job for one slot, once: a slot already claimed is skipped.  Never raises
    for the job's own failures: they are recorded and returned.  ``now`` is the job's
    clock (tests)."""
    job = DEFINITIONS[name]
    runner = runner or scheduler_lock.runner_id()
    now = now or utcnow()
    ctx = Context(db, settings, now, slot)
    claim = partial(job_runs.claim, trigger=trigger, runner=runner, at=now)
    if job.in_transaction is not None:
        body = job.in_transaction

        def work(session: Session) -> RunResult:
            run_id = claim(session, name, slot)
            if run_id is None:
                return RunResult(name, slot, "skipped")
            outcome = body(session, ctx)
            job_runs.finish(
                session,
                run_id,
                outcome.outcome,
                at=utcnow(),
                summary=outcome.summary,
                details=outcome.details,
            )
            return RunResult(name, slot, outcome.outcome, outcome.summary, run_id)

        try:
            result = unit_of_work.run(db, work)
        except Exception as exc:  # the work is rolled back; the failure is recorded
            return _record_failure(db, name, slot, exc, claim)
        _log_result(result)
        return result

    assert job.on_its_own is not None
    run_id = unit_of_work.run(db, lambda s: claim(s, name, slot))
    if run_id is None:
        return RunResult(name, slot, "skipped")
    try:
        outcome = job.on_its_own(ctx)
    except Exception as exc:
        done = exc.outcome if isinstance(exc, JobFailed) else Outcome(f"failed: {exc}")
        error = str(exc) if isinstance(exc, JobFailed) else traceback.format_exc()
        unit_of_work.run(
            db,
            lambda s: job_runs.finish(
                s,
                run_id,
                job_runs.FAILED,
                at=utcnow(),
                summary=done.summary,
                details=done.details,
                error=error,
            ),
        )
        log.error("job %s (%s) failed: %s", name, slot, error.strip().splitlines()[-1])
        return RunResult(name, slot, job_runs.FAILED, done.summary, run_id)
    unit_of_work.run(
        db,
        lambda s: job_runs.finish(
            s,
            run_id,
            outcome.outcome,
            at=utcnow(),
            summary=outcome.summary,
            details=outcome.details,
        ),
    )
    result = RunResult(name, slot, outcome.outcome, outcome.summary, run_id)
    _log_result(result)
    return result


def _record_failure(
    db: Database,
    name: str,
    slot: str,
    exc: Exception,
    claim: Callable[[Session, str, str], int | None],
) -> RunResult:
    log.error("job %s (%s) failed: %s", name, slot, exc)
    error = "".join(traceback.format_exception(exc))

    def record(session: Session) -> int | None:
        run_id = claim(session, name, slot)
        if run_id is not None:
            job_runs.finish(
                session,
                run_id,
                job_runs.FAILED,
                at=utcnow(),
                summary=f"failed: {exc}",
                error=error,
            )
        return run_id

    try:
        run_id = unit_of_work.run(db, record)
    except Exception:
        log.exception("job %s (%s): the failure could not be recorded", name, slot)
        run_id = None
    return RunResult(name, slot, job_runs.FAILED, str(exc), run_id)


def _log_result(result: RunResult) -> None:
    if result.outcome == "skipped":
        log.info("job %s (%s): slot already taken, skipped", result.job, result.slot)
    else:
        log.info("job %s (%s) %s: %s", result.job, result.slot, result.outcome, result.summary)


def run_scheduled(
    db: Database, settings: Settings, name: str, trigger: BaseTrigger, runner: str
) -> None:
    """What APScheduler calls: the run for the slot that is due now."""
    when = slot_time(trigger, utcnow())
    if when is not None:
        _run_slot(db, settings, name, slot_key(when), runner)


def _run_slot(db: Database, settings: Settings, name: str, slot: str, runner: str) -> None:
    try:
        run_job(db, settings, name, slot=slot, runner=runner)
    except Exception:  # the database itself failed (claim or record): next slot retries
        log.exception("job %s (%s) could not run", name, slot)


class _Scheduler(BackgroundScheduler):
    """APScheduler's background scheduler, quiet about one race: a one-off (catch-up) job
    that finishes while the scheduler stops (the lock was lost) is removed by its thread
    after ``shutdown`` emptied the stores; it is gone either way."""

    def remove_job(self, job_id: str, jobstore: str | None = None) -> None:
        try:
            super().remove_job(job_id, jobstore)
        except JobLookupError:
            if self.state != STATE_STOPPED:
                raise


def build_scheduler(
    db: Database,
    settings: Settings,
    *,
    runner: str | None = None,
    jobs: dict[str, tuple[Job, BaseTrigger]] | None = None,
) -> BackgroundScheduler:
    """The APScheduler of the active runner (not started)."""
    runner = runner or scheduler_lock.runner_id()
    scheduler = _Scheduler(timezone=UTC)
    chosen = configured_jobs(settings.scheduler) if jobs is None else jobs
    now = utcnow()
    for name, (_job, trigger) in chosen.items():
        # The latest slot, if recent, runs now unless someone ran it (its claim says so):
        # a runner that takes over at 18:40 still reconciles the 18:30 slot.
        when = slot_time(trigger, now)
        if when is not None and now - when <= CATCH_UP:
            scheduler.add_job(
                _run_slot,
                "date",
                run_date=now,
                args=[db, settings, name, slot_key(when), runner],
                id=f"{name}:catch-up",
                name=f"{name} (latest slot)",
                misfire_grace_time=None,
            )
        # coalesce: a scheduler that was down runs a missed slot once, not once per miss
        scheduler.add_job(
            run_scheduled,
            trigger,
            args=[db, settings, name, trigger, runner],
            id=name,
            name=name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=3600,
        )
    return scheduler


# --- the process: active or standby ---------------------------------------------------------


def _activate(
    db: Database, settings: Settings, jobs: dict[str, tuple[Job, BaseTrigger]], runner: str
) -> BackgroundScheduler:
    abandoned = unit_of_work.run(
        db, lambda s: job_runs.abandon_unfinished(s, runner=runner, at=utcnow())
    )
    if abandoned:
        log.warning("runs left unfinished by a stopped runner: %s", ", ".join(abandoned))
    scheduler = build_scheduler(db, settings, runner=runner, jobs=jobs)
    scheduler.start()
    log.info("scheduler active: jobs %s", ", ".join(jobs) or "none")
    return scheduler


def serve(
    db: Database,
    settings: Settings,
    *,
    stop: threading.Event,
    runner: str | None = None,
) -> None:
    """Run until ``stop`` is set: active while holding the lock, standby otherwise."""
    runner = runner or scheduler_lock.runner_id()
    poll = settings.scheduler.poll_seconds
    jobs = configured_jobs(settings.scheduler)
    lock = scheduler_lock.lock_for(db.url, runner=runner)
    scheduler: BackgroundScheduler | None = None
    waiting = False
    try:
        while not stop.is_set():
            if scheduler is None:
                if lock.try_acquire():
                    waiting = False
                    log.info("scheduler active: %s holds %s", runner, lock.description)
                    try:
                        scheduler = _activate(db, settings, jobs, runner)
                    except Exception:
                        log.exception("scheduler could not start its jobs: lock released")
                        lock.release()
                elif not waiting:
                    waiting = True
                    log.info(
                        "scheduler standby: %s waits for %s (another runner is active), "
                        "trying every %g s",
                        runner,
                        lock.description,
                        poll,
                    )
            elif not lock.still_held():
                log.error("scheduler lost %s: stopping the jobs, standby again", lock.description)
                scheduler.shutdown(wait=False)
                scheduler = None
                lock.release()
                continue
            stop.wait(poll)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=True)
        lock.release()
        log.info("scheduler stopped: %s", runner)
