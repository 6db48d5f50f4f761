"""Runs of the scheduled jobs (wms.jobs): one row per run, claimed before or with the work."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from wms.models.base import Base


class JobRun(Base):
    """One run of a scheduled job.  ``(job, slot)`` is unique: the slot is the scheduled
    time the run belongs to (``2026-11-22T10:05:00Z``) or, for a run asked for by hand,
    ``manual-`` and the instant it was asked.  Claiming the slot is an INSERT that does
    nothing when the slot is taken, so two runners, or a retry, never run a slot twice.

    outcome: running (claimed, not finished), ok, warning (done, and found something
    people must look at, e.g. account-book drift), failed (``error`` says why), abandoned
    (its runner stopped before finishing: the next active runner says so)."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    slot: Mapped[str] = mapped_column(String(48))
    trigger: Mapped[str] = mapped_column(String(16))  # schedule | manual
    runner: Mapped[str] = mapped_column(String(120))  # host:pid
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(16))
    summary: Mapped[str | None] = mapped_column(String(400))
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
