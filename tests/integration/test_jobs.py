"""The scheduler process: which jobs it runs, and when."""

from __future__ import annotations

from datetime import UTC, datetime

from wms.db import Database
from wms.jobs import JOBS, build_scheduler, overdue_loans


def test_the_scheduler_runs_the_overdue_check_every_hour(db: Database):
    scheduler = build_scheduler(db)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == set(JOBS) == {"overdue_loans"}
    trigger = jobs["overdue_loans"].trigger
    after = datetime(2026, 11, 22, 10, 7, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, after) == datetime(2026, 11, 22, 11, 5, tzinfo=UTC)
    assert jobs["overdue_loans"].coalesce is True
    assert jobs["overdue_loans"].max_instances == 1


def test_the_overdue_job_on_an_empty_warehouse_flags_nothing(db: Database):
    assert overdue_loans(db) == []
