"""One active scheduler however many are started, with real processes: a second runner
waits as a standby and takes over when the active one is killed (SIGKILL: no clean-up
of any kind).  On SQLite the lock is a file lock beside the database, on PostgreSQL an
advisory lock; the suite runs on whichever database it is given."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, text

from config.settings import SchedulerSettings, Settings
from tests.conftest import is_postgres
from wms import jobs, scheduler_lock
from wms.db import Database
from wms.models import JobRun

ROOT = Path(__file__).resolve().parents[2]
POLL_S = 0.3
ACTIVE = re.compile(r"scheduler active: (\S+) holds")


class Runner:
    """`flask --app wsgi scheduler run` in a process of its own, its log in a file."""

    def __init__(self, url: str, folder: Path, name: str) -> None:
        self.log = folder / f"{name}.log"
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "WMS_ENV": "test",
            "SECRET_KEY": "test",
            "WMS_INSTANCE_DIR": str(folder),
            "WMS_SCHEDULER_POLL_SECONDS": str(POLL_S),
            "WMS_JOB_SCHEDULES": "overdue_loans=every 1",
            "PYTHONUNBUFFERED": "1",
        }
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "wsgi", "scheduler", "run"],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, pattern: str, timeout: float = 30.0) -> float:
        """Seconds until ``pattern`` appears in the log."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if re.search(pattern, self.output()):
                return time.monotonic() - start
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"no {pattern!r} in the log of {self.pid}:\n{self.output()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def started(database_url: str, db: Database, tmp_path: Path) -> Iterator[list[Runner]]:
    runners: list[Runner] = []
    yield runners
    for runner in runners:
        runner.stop()


def runs_by(db: Database) -> dict[str, int]:
    with db.reading() as s:
        counts: dict[str, int] = {}
        for runner in s.scalars(select(JobRun.runner).where(JobRun.job == "overdue_loans")):
            counts[runner] = counts.get(runner, 0) + 1
        return counts


def wait_runs(db: Database, runner: str, n: int, timeout: float = 20.0) -> None:
    start = time.monotonic()
    while runs_by(db).get(runner, 0) < n:
        assert time.monotonic() - start < timeout, f"{runner} ran {runs_by(db)}"
        time.sleep(0.1)


def test_one_runner_is_active_and_a_standby_takes_over_when_it_is_killed(
    database_url: str, db: Database, tmp_path: Path, started: list[Runner]
):
    # Two runners started at once: exactly one becomes active, the other waits.
    started.extend(Runner(database_url, tmp_path, name) for name in ("one", "two"))
    for runner in started:
        runner.wait_for("scheduler (active|standby): ")
    actives = [r for r in started if ACTIVE.search(r.output())]
    assert len(actives) == 1, "\n\n".join(r.output() for r in started)
    [first] = actives
    [second] = [r for r in started if r is not first]
    second.wait_for("scheduler standby: ")

    active = ACTIVE.search(first.output())
    assert active is not None and active.group(1).endswith(f":{first.pid}")
    first_name = active.group(1)
    holder = scheduler_lock.holder(database_url)
    assert holder is not None and holder.runner == first_name
    # Only the active runner runs jobs (every second, one slot each), the standby none.
    done = runs_by(db).get(first_name, 0)
    wait_runs(db, first_name, done + 2)
    assert "scheduler active" not in second.output()
    assert set(runs_by(db)) == {first_name}

    killed = time.monotonic()
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(10)
    second.wait_for("scheduler active: ", timeout=15)
    took = time.monotonic() - killed
    print(f"standby took over {took:.2f} s after the SIGKILL (poll {POLL_S} s)")
    assert took < 5, f"took over after {took:.1f} s"
    second_name = f"{first_name.rsplit(':', 1)[0]}:{second.pid}"
    assert f"scheduler active: {second_name} holds" in second.output()
    wait_runs(db, second_name, 2)
    holder = scheduler_lock.holder(database_url)
    assert holder is not None and holder.runner == second_name
    with db.reading() as s:  # a slot never ran twice (the unique claim) and none is left open
        slots = list(s.scalars(select(JobRun.slot).where(JobRun.job == "overdue_loans")))
        assert len(slots) == len(set(slots))

    # SIGTERM: the runner finishes what runs, lets the lock go and exits cleanly.
    second.process.send_signal(signal.SIGTERM)
    assert second.process.wait(15) == 0
    assert f"scheduler stopped: {second_name}" in second.output()
    assert scheduler_lock.holder(database_url) is None


def test_the_lock_admits_one_holder_at_a_time(database_url: str, db: Database):
    one = scheduler_lock.lock_for(database_url, runner="one:1")
    two = scheduler_lock.lock_for(database_url, runner="two:2")
    try:
        assert one.try_acquire() is True
        assert two.try_acquire() is False
        assert one.still_held() and not two.still_held()
        held = scheduler_lock.holder(database_url)
        assert held is not None and held.runner == "one:1"
        one.release()
        assert scheduler_lock.holder(database_url) is None
        assert two.try_acquire() is True
    finally:
        one.release()
        two.release()


def test_an_active_runner_that_loses_its_lock_stops_its_jobs(
    database_url: str, db: Database, caplog: pytest.LogCaptureFixture
):
    """The lock's connection dropped (PostgreSQL) or its file was deleted (SQLite): the
    runner stops its jobs at once, then competes for the lock again like a standby."""
    settings = Settings(
        database_url=database_url,
        secret_key="test",
        environment="test",
        scheduler=SchedulerSettings(poll_seconds=0.2, schedules=(("overdue_loans", "every 60"),)),
    )
    stop = threading.Event()
    me = f"me:{os.getpid()}"  # unique: other runs may share the PostgreSQL server
    caplog.set_level("INFO", logger="wms.jobs")
    thread = threading.Thread(
        target=jobs.serve, args=(db, settings), kwargs={"stop": stop, "runner": me}
    )
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while f"scheduler active: {me}" not in caplog.text:
            assert time.monotonic() < deadline, caplog.text
            time.sleep(0.05)
        if is_postgres(database_url):
            with db.engine.begin() as conn:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE application_name = :name"
                    ),
                    {"name": f"wms-scheduler {me}"},
                )
        else:
            scheduler_lock.lock_path(database_url).unlink()
        while caplog.text.count(f"scheduler active: {me} holds") < 2:
            assert time.monotonic() < deadline, caplog.text
            time.sleep(0.05)
        assert "scheduler lost" in caplog.text
    finally:
        stop.set()
        thread.join(15)
    assert not thread.is_alive()
    assert f"scheduler stopped: {me}" in caplog.text
