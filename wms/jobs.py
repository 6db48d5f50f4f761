"""Scheduled jobs, run by their own process (`flask --app wsgi scheduler run`), never
inside web workers: with several gunicorn workers each would run every job.

Every job is safe to run twice (it changes only what is still due), so a second
scheduler started by mistake does no harm; guaranteeing a single active runner and
recording job runs come with the operations work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger

from wms.db import Database
from wms.services import loans, unit_of_work

log = logging.getLogger(__name__)


def overdue_loans(db: Database) -> list[str]:
    """Flag loans past their due date, with a notice for the planners."""
    marked = unit_of_work.run(db, lambda s: loans.mark_overdue(s))
    if marked:
        log.info("loans now overdue: %s", ", ".join(marked))
    return marked


# name -> (job, trigger): the schedule in one place.
JOBS: dict[str, tuple[Callable[[Database], object], CronTrigger]] = {
    "overdue_loans": (overdue_loans, CronTrigger(minute=5, timezone="UTC")),  # hourly
}


def build_scheduler(db: Database) -> BlockingScheduler:
    scheduler = BlockingScheduler(timezone="UTC")
    for name, (job, trigger) in JOBS.items():
        # coalesce: a scheduler that was down runs a missed job once, not once per miss
        scheduler.add_job(
            job,
            trigger,
            args=[db],
            id=name,
            name=name,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=3600,
        )
    return scheduler
