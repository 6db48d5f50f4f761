"""The lock that makes one scheduler runner active however many are started.

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) taken on a
  connection of its own, held for the life of the process.  The key is derived from the
  database and the schema (``search_path``), so two installations sharing a server, or
  test runs in private schemas, do not exclude each other.  When the process dies its
  session ends and the server releases the lock; the session sets TCP keepalives so that
  a host that vanished without closing its connection is noticed within about 30 s.
- SQLite: an exclusive ``flock`` on ``<database file>.scheduler-lock`` beside the
  database file, held on an open descriptor; the operating system releases it when the
  process ends, however it ends.  The holder writes who it is into the file.

A runner that does not get the lock is a standby: it tries again every poll.  The
active one checks every poll that it still holds the lock (the connection may have
dropped; the lock file may have been deleted) and stops its jobs at once if not.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import Connection, create_engine, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)
APPLICATION_NAME = "wms-scheduler"


def runner_id() -> str:
    """This process, as the run records and the lock name it: host:pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Holder:
    """Who holds the scheduler lock now."""

    runner: str  # host:pid of the active scheduler process
    since: datetime | None  # when it took the lock (SQLite) / opened its session (PostgreSQL)
    detail: str  # where the lock lives: the key, or the lock file


class RunnerLock(Protocol):
    description: str

    def try_acquire(self) -> bool: ...

    def still_held(self) -> bool: ...

    def release(self) -> None: ...


def lock_for(url: str, *, runner: str | None = None) -> RunnerLock:
    if url.startswith("postgresql"):
        return AdvisoryLock(url, runner=runner or runner_id())
    if url.startswith("sqlite"):
        return FileLock(lock_path(url), runner=runner or runner_id())
    raise ValueError(f"no scheduler lock for {make_url(url).drivername} databases")


def holder(url: str) -> Holder | None:
    """The active runner, or None when no runner holds the lock."""
    if url.startswith("postgresql"):
        return _advisory_holder(url)
    return _file_holder(lock_path(url))


# --- PostgreSQL ------------------------------------------------------------------------------


def advisory_key(database: str, schema: str) -> int:
    """A signed 64-bit key for this database and schema."""
    digest = hashlib.sha256(f"wms.scheduler|{database}|{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _key_parts(key: int) -> dict[str, int]:
    # pg_locks shows a bigint advisory key as classid (high half) and objid (low half).
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    return {"hi": unsigned >> 32, "lo": unsigned & 0xFFFFFFFF}


_HELD = text(
    "SELECT l.pid FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted "
    "AND l.classid::bigint = :hi AND l.objid::bigint = :lo AND l.objsubid = 1 "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


def _open(engine_url: str) -> tuple[Connection, int]:
    engine = create_engine(engine_url, poolclass=NullPool)
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    database, schema = conn.execute(text("SELECT current_database(), current_schema()")).one()
    return conn, advisory_key(database, schema or "public")


class AdvisoryLock:
    def __init__(self, url: str, *, runner: str) -> None:
        self.url = url
        self.runner = runner
        self.description = "the PostgreSQL advisory lock"
        self._conn: Connection | None = None
        self._key = 0
        self._held = False

    def _connect(self) -> Connection:
        if self._conn is None:
            conn, self._key = _open(self.url)
            self.description = f"the PostgreSQL advisory lock {self._key}"
            # Who we are, for `scheduler status`; and keepalives, so that the server ends
            # the session (and frees the lock) soon after a host vanishes.
            conn.execute(
                text("SELECT set_config('application_name', :name, false)"),
                {"name": f"{APPLICATION_NAME} {self.runner}"[:63]},
            )
            for setting, value in (
                ("tcp_keepalives_idle", "10"),
                ("tcp_keepalives_interval", "5"),
                ("tcp_keepalives_count", "3"),
            ):
                conn.execute(text("SELECT set_config(:s, :v, false)"), {"s": setting, "v": value})
            self._conn = conn
        return self._conn

    def try_acquire(self) -> bool:
        try:
            conn = self._connect()
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key}).scalar()
        except DBAPIError as exc:
            log.warning("scheduler lock: the database is unreachable (%s)", exc.orig)
            self._close()
            return False
        self._held = bool(got)
        return self._held

    def still_held(self) -> bool:
        if self._conn is None or not self._held:
            return False
        try:
            pids = self._conn.execute(_HELD, _key_parts(self._key)).scalars().all()
            mine = self._conn.execute(text("SELECT pg_backend_pid()")).scalar()
        except DBAPIError as exc:
            log.error("scheduler lock: the lock's connection failed (%s)", exc.orig)
            self._close()
            return False
        return mine in pids

    def release(self) -> None:
        if self._conn is not None and self._held:
            with contextlib.suppress(DBAPIError):
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
        self._close()

    def _close(self) -> None:
        self._held = False
        if self._conn is not None:
            conn, self._conn = self._conn, None
            engine = conn.engine
            with contextlib.suppress(Exception):
                conn.close()
            engine.dispose()


def _advisory_holder(url: str) -> Holder | None:
    conn, key = _open(url)
    try:
        row = conn.execute(
            text(
                "SELECT a.application_name, a.backend_start FROM pg_stat_activity a "
                f"WHERE a.pid IN ({_HELD.text})"
            ),
            _key_parts(key),
        ).first()
    finally:
        engine = conn.engine
        conn.close()
        engine.dispose()
    if row is None:
        return None
    name, started = row
    runner = name.removeprefix(f"{APPLICATION_NAME} ") if name else "(unknown session)"
    return Holder(runner, started, f"advisory lock {key}")


# --- SQLite ---------------------------------------------------------------------------------


def lock_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise ValueError("the scheduler needs a SQLite database file to keep its lock beside")
    return Path(database).resolve().with_name(Path(database).name + ".scheduler-lock")


class FileLock:
    def __init__(self, path: Path, *, runner: str) -> None:
        self.path = path
        self.runner = runner
        self.description = f"the lock file {path}"
        self._fd: int | None = None
        self._held = False

    def try_acquire(self) -> bool:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        note = {"runner": self.runner, "since": datetime.now(UTC).isoformat()}
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, json.dumps(note).encode(), 0)
        self._held = True
        return True

    def still_held(self) -> bool:
        if self._fd is None or not self._held:
            return False
        try:
            # Deleted or replaced, the file another runner would lock is not ours.
            return os.stat(self.path).st_ino == os.fstat(self._fd).st_ino
        except FileNotFoundError:
            return False

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        if self._held:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
        self._held = False
        os.close(fd)  # closing the descriptor releases the flock


def _file_holder(path: Path) -> Holder | None:
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raw = os.pread(fd, 4096, 0)
            try:
                note = json.loads(raw)
                since = datetime.fromisoformat(note["since"])
                return Holder(str(note["runner"]), since, f"lock file {path}")
            except (ValueError, KeyError, TypeError):
                return Holder("(unknown: the holder has not written its name yet)", None, str(path))
        return None  # nobody holds it (closing our descriptor lets it go again)
    finally:
        os.close(fd)
