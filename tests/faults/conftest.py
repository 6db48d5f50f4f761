"""Fault tests: real gunicorn processes, killed; real database connections, dropped.

Everything here runs against the test database of the session (``database_url`` in
tests/conftest.py: a private schema on PostgreSQL, a file on SQLite) through a real
``gunicorn wsgi:app`` started with explicit command-line flags on a free port.  Every
server a test starts is killed (its whole process group) when the test ends, pass or fail.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Executable, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import selectinload
from sqlalchemy.pool import NullPool

from config import load_settings
from tests import factories as f
from tests.conftest import is_postgres
from tests.integration.outbound import support as o
from wms.db import Database
from wms.models import Order, OrderStatus, Parcel, ParcelStatus, Quant
from wms.services import allocation, brokers, orders, packing, releases, waves
from wms.services.ledger import utcnow

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).with_name("gunicorn")
SERVER_START_S = 60  # a worker imports the app (OR-Tools, ReportLab): slow on a busy machine


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "faults: real server processes killed and database connections dropped (tests/faults)",
    )


# --- PostgreSQL-only parts ---------------------------------------------------------------


@pytest.fixture
def postgres(database_url: str) -> str:
    """The test database's URL when it is PostgreSQL; a test needing PostgreSQL's own
    tools (pg_stat_activity, pg_terminate_backend) is skipped, saying so, on the SQLite
    run.  The PostgreSQL run (make test-postgres; mandatory on CI) runs it."""
    if not is_postgres(database_url):
        pytest.skip(
            "PostgreSQL-specific (pg_terminate_backend on the app's backend): runs in the "
            "PostgreSQL run, WMS_TEST_DATABASE_URL set"
        )
    return database_url


def with_application_name(url: str, name: str) -> str:
    """The URL with a PostgreSQL application_name, to find the app's backends."""
    return f"{url}{'&' if '?' in url else '?'}application_name={name}"


class Activity:
    """What the app's server is doing in the database right now.

    PostgreSQL: its backends in pg_stat_activity, told apart by application_name.
    SQLite: whether some connection holds the write lock (the app's write transactions
    start with BEGIN IMMEDIATE, so a held lock is an open business operation)."""

    def __init__(self, database_url: str, application_name: str) -> None:
        self.name = application_name
        self.postgres = is_postgres(database_url)
        self._conn: Connection | None = None
        self._sqlite: sqlite3.Connection | None = None
        if self.postgres:
            engine = create_engine(database_url, poolclass=NullPool)
            self._conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        else:
            path = make_url(database_url).database
            self._sqlite = sqlite3.connect(str(path), timeout=0, isolation_level=None)

    def backends(self) -> list[dict[str, Any]]:
        """The app's PostgreSQL backends: pid, state, wait_event_type, writing, query."""
        assert self._conn is not None, "PostgreSQL only"
        rows = self._conn.execute(
            text(
                "SELECT pid, state, wait_event_type, backend_xid IS NOT NULL AS writing, query "
                "FROM pg_stat_activity WHERE application_name = :name"
            ),
            {"name": self.name},
        )
        return [dict(row._mapping) for row in rows]

    def in_write_transaction(self) -> bool:
        if self.postgres:
            return any(b["writing"] for b in self.backends())
        assert self._sqlite is not None
        try:
            self._sqlite.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc):
                return True
            raise
        self._sqlite.execute("ROLLBACK")
        return False

    def terminate(self, pid: int) -> bool:
        assert self._conn is not None, "PostgreSQL only"
        return bool(self._conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}))

    def wait_gone(self, timeout: float = 15) -> None:
        """After a kill: until PostgreSQL has noticed and ended the app's backends (each
        rolls its open transaction back and lets go of its locks)."""
        if not self.postgres:
            return
        deadline = time.monotonic() + timeout
        while self.backends():
            assert time.monotonic() < deadline, f"backends still there: {self.backends()}"
            time.sleep(0.05)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn.engine.dispose()
        if self._sqlite is not None:
            self._sqlite.close()


def server_url(database_url: str, name: str) -> str:
    """The URL the server uses: on PostgreSQL tagged with an application_name."""
    return with_application_name(database_url, name) if is_postgres(database_url) else database_url


def quants(db: Database) -> dict[tuple[int, int], tuple[int, int]]:
    """(lot, location) -> (on hand, reserved): the stock as it stands."""
    with db.reading() as s:
        rows = s.execute(
            select(Quant.lot_id, Quant.location_id, Quant.quantity, Quant.reserved_quantity)
        )
        return {(r[0], r[1]): (r[2], r[3]) for r in rows if r[2] or r[3]}


# --- HTTP -------------------------------------------------------------------------------


@dataclass
class Reply:
    status: int
    content_type: str
    text: str
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def json(self) -> Any:
        assert self.content_type.startswith("application/json"), (self.status, self.text[:500])
        return json.loads(self.text)


def call(
    port: int,
    method: str,
    path: str,
    *,
    token: str | None = None,
    key: str | None = None,
    body: Any = None,
    timeout: float = 60,
    extra_headers: dict[str, str] | None = None,
) -> Reply:
    """One HTTP request on a fresh connection; socket.timeout (TimeoutError) if the
    answer does not come within ``timeout`` seconds."""
    headers = {"Accept": "application/json", **(extra_headers or {})}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if key:
        headers["Idempotency-Key"] = key
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        return Reply(
            response.status,
            response.getheader("Content-Type", ""),
            text,
            {k.lower(): v for k, v in response.getheaders()},
        )
    finally:
        conn.close()


def send_and_hang_up(
    port: int, method: str, path: str, *, token: str, key: str, body: Any, request_id: str
) -> None:
    """Send a whole request, then close the connection before any answer: the answer
    is lost, as when a handheld leaves Wi-Fi coverage right after a scan."""
    payload = json.dumps(body).encode()
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\nIdempotency-Key: {key}\r\n"
        f"X-Request-Id: {request_id}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        "Connection: close\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(head.encode() + payload)
        sock.shutdown(socket.SHUT_WR)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- gunicorn ---------------------------------------------------------------------------


class Server:
    """``gunicorn wsgi:app`` as production runs it, in a process group of its own."""

    def __init__(self, database_url: str, log_path: Path, *, workers: int = 1) -> None:
        self.database_url = database_url
        self.log_path = log_path
        self.workers = workers
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        assert self.process is None or self.process.poll() is not None, "already running"
        self.port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "SECRET_KEY": "faults-" + uuid.uuid4().hex,
            # The key this process seals personal data with, as every server shares it.
            "WMS_DATA_KEY": load_settings(secret_key="unused").data_key,
            "WMS_ENV": "production",
            "WMS_LOG_FORMAT": "json",  # one line per request: request_id, status
        }
        command = [
            str(GUNICORN),
            "wsgi:app",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(self.workers),
            "--timeout",
            "120",
            "--graceful-timeout",
            "5",
        ]
        with self.log_path.open("ab") as log:
            log.write(f"\n--- start {' '.join(command)}\n".encode())
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: killpg takes every worker
            )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited at start; see {self.log_path}")
            try:
                if call(self.port, "GET", "/healthz", timeout=2).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.kill()
        raise AssertionError(f"gunicorn did not answer in {SERVER_START_S} s; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL to the master and every worker at once: no clean-up runs anywhere.
        Only while the master is not yet reaped: its group id is then still ours."""
        if self.process is None or self.process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):  # exited, not yet reaped
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def answered(self, request_id: str) -> list[int]:
        """The statuses the server logged for a request (X-Request-Id), whether or not
        the client was still there to read them."""
        statuses = []
        for line in self.log().splitlines():
            if line.startswith("{") and f'"{request_id}"' in line:
                entry = json.loads(line)
                if entry.get("logger") == "wms.request" and entry.get("request_id") == request_id:
                    statuses.append(int(entry["status"]))
        return statuses

    def wait_answered(self, request_id: str, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while not self.answered(request_id):
            assert time.monotonic() < deadline, f"no answer to {request_id}; see {self.log_path}"
            time.sleep(0.05)
        (status,) = self.answered(request_id)
        return status


@pytest.fixture
def servers(database_url: str, tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """``servers(name, workers=1)`` starts a server on the test database (on PostgreSQL
    its connections carry application_name ``name``); all are killed at the end."""
    started: list[Server] = []

    def start(name: str, *, workers: int = 1) -> Server:
        url = server_url(database_url, name)
        server = Server(url, tmp_path / f"gunicorn-{name}.log", workers=workers)
        started.append(server)
        return server.start()

    try:
        yield start
    finally:
        for server in started:
            server.kill()


@contextmanager
def holding(db: Database, lock: Executable) -> Iterator[None]:
    """Hold row locks (``SELECT ... FOR UPDATE``; on SQLite the database's write lock)
    in a transaction of the test's own: a request that needs them waits inside its
    transaction until the block ends, which makes it as slow as the test wants."""
    with db.transaction() as s:
        s.execute(lock).all()
        yield


def staff_token(db: Database, name: str = "scanner-1") -> str:
    with db.transaction() as s:
        return brokers.issue_token(s, name, role="staff")


# --- a release batch of many labelled, cleared parcels ------------------------------------

BOX = "M"
BOX_TARE_G = 120


@dataclass(frozen=True)
class Batch:
    number: str
    parcels: tuple[str, ...]
    wave: str


def release_batch(db: Database, parcels: int, *, load: bool = True) -> Batch:
    """A release batch and ``parcels`` one-unit bonded orders, each packed and labelled;
    with ``load`` they are all on the batch and it is sealed, ready for the gate, else
    the batch is open and the parcels wait to be scanned onto it.

    Built through the services' bulk paths (those of bench/wave.py): orders received in
    one batch, allocated FEFO, planned, declared and cleared as recorded transitions (the
    customs checks are not under test here), one wave picked by scan, packed in one
    batch with the weight check.  Labelling and loading are set as their services leave
    parcels and orders (one transaction instead of 500 PDF labels and 500 scans: the
    fault tests time the gate, not the build); the load scan itself is under test in
    test_scanner_retries."""
    f.build_warehouse(db)
    f.declare(db, "ED-1", (f.MILK.sku, parcels))
    f.receive(db, "ED-1", f.MILK.sku, "L1", parcels)
    f.putaway(db, f.MILK.sku, "L1", parcels, to=f.BINS[0])
    o.channel(db)
    with db.transaction() as s:
        packing.create_box_type(s, BOX, "Medium", 400, 300, 200, BOX_TARE_G)
        inputs = [o.order_input((f.MILK.sku, 1), number=f"G{n:07d}") for n in range(parcels)]
        received = orders.receive_orders(s, inputs, actor="import")
        ids = [r.order.id for r in received]  # type: ignore[union-attr]
    with db.transaction() as s:
        outcomes = allocation.allocate_orders(s, ids, actor="planner")
        assert {x.status for x in outcomes} == {"allocated"}, outcomes[0].as_dict()
    with db.transaction() as s:
        planned = list(s.scalars(select(Order).where(Order.id.in_(ids))))
        orders.plan_many(s, [(x, "SF", f"SF{x.id:012d}") for x in planned], actor="planner")
        for order in planned:
            for target in (OrderStatus.DECLARED, OrderStatus.CLEARED):
                orders.transition(s, order, target, kind=target.value, actor="customs")
    with db.transaction() as s:
        wave = waves.create_wave(s, warehouse_code=f.WAREHOUSE, actor="lead").number
    with db.reading() as s:
        tasks = waves.pick_list(s, wave)
    stops: dict[tuple[str, str, str], int] = {}
    for task in tasks:
        stop = (task["bin"], task["sku"], task["lot_number"])
        stops[stop] = stops.get(stop, 0) + task["to_pick"]
    with db.transaction() as s:
        for i, ((bin_, sku, lot), quantity) in enumerate(stops.items()):
            waves.confirm_pick(
                s, waves.PickScan(wave, bin_, sku, lot, quantity, f"build-pick-{i}", "picker")
            )
    with db.transaction() as s:
        rows = s.execute(select(Order.id, Order.tracking_number).where(Order.id.in_(ids))).all()
        packing.pack_many(
            s,
            [
                packing.PackInput(
                    order_ref=tracking,
                    items=(packing.ScannedItem(f.MILK.sku, "L1", 1),),
                    gross_weight_g=1020 + BOX_TARE_G,
                    box_code=BOX,
                    idempotency_key=f"build-pack-{oid}",
                    actor="packer",
                )
                for oid, tracking in rows
            ],
        )
    with db.transaction() as s:
        number = releases.create_batch(
            s, warehouse_code=f.WAREHOUSE, vehicle_plate="沪A12345", actor="loader"
        ).number
        batch = releases.batch_by_number(s, number)
        at = utcnow()
        parcel_rows = s.scalars(
            select(Parcel).options(selectinload(Parcel.order)).order_by(Parcel.id)
        ).all()
        for parcel in parcel_rows:
            # What the first print of its label does (packing.label_wave), without
            # rendering the PDFs...
            parcel.status, parcel.labelled_at = ParcelStatus.LABELLED, at
            orders.transition(
                s, parcel.order, OrderStatus.LABELLED, kind="labelled", actor="labeller", at=at
            )
            if load:  # ... and what its load scan does (releases.load_parcel).
                parcel.release_batch_id, parcel.loaded_at = batch.id, at
                parcel.status = ParcelStatus.LOADED
                orders.transition(
                    s,
                    parcel.order,
                    OrderStatus.LOADED,
                    kind="loaded",
                    actor="loader",
                    at=at,
                    details={"batch": number, "vehicle_plate": batch.vehicle_plate},
                )
        numbers = tuple(p.number for p in parcel_rows)
        if load:
            s.flush()
            releases.close_batch(s, number, seal_number="SEAL-0001", actor="loader")
    with db.reading() as s:
        ready = s.scalar(
            select(func.count(Parcel.id)).where(
                Parcel.status == (ParcelStatus.LOADED if load else ParcelStatus.LABELLED)
            )
        )
    assert ready == parcels == len(numbers)
    return Batch(number, numbers, wave)
