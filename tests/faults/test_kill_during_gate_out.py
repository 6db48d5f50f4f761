"""SIGKILL of the server in the middle of a 500-parcel gate-out: all or nothing.

The gate-out of a release batch posts every parcel's goods out of the bonded zone in one
transaction.  A real ``gunicorn wsgi:app`` is killed (master and workers, SIGKILL, no
clean-up anywhere) while that transaction is open, early, half-way and late in it; after
each kill the batch must be either wholly released or untouched, and the ledger, the
quants and the customs account book must agree.  The server is then restarted and the
gate scanned again with the same Idempotency-Key: it is released exactly once.
"""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import event, func, select

from tests.conftest import is_postgres
from tests.faults.conftest import (
    Activity,
    Batch,
    Reply,
    Server,
    call,
    quants,
    release_batch,
    staff_token,
)
from wms.db import Database
from wms.models import (
    AuditEntry,
    Move,
    MoveReason,
    Order,
    OrderEvent,
    OrderStatus,
    Parcel,
    ParcelStatus,
    ReleaseStatus,
    StockOperation,
)
from wms.services import account_book, releases

pytestmark = pytest.mark.faults

PARCELS = 500
# When to kill, as a share of how long the gate-out's transaction takes, counted from
# the moment the server is seen inside it.
KILL_POINTS = (("early", 0.0), ("middle", 0.5), ("late", 0.9))
GATE_ACTION = "api.gate_out"  # the audit log's action for the gate-out endpoint


@dataclass
class Attempt:
    point: str
    delay_s: float
    transaction_seen_after_s: float | None  # from sending the request
    open_at_kill: bool
    outcome: str = ""


def gate_out_dry_run_s(db: Database, batch: Batch, *, from_first_write: bool) -> float:
    """How long the gate-out's transaction is seen open, measured in this process and
    rolled back.  On PostgreSQL a backend is seen writing from its first write on (its
    xid), and the gate-out reads for a while before that: the whole run, more than twice
    the window, once put the "middle" kill after the commit.  On SQLite the app's write
    transactions hold the lock from BEGIN IMMEDIATE: the whole run."""
    first_write: list[float] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not first_write and statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            first_write.append(time.perf_counter())

    started = time.perf_counter()
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        with db.reading() as s:  # rolled back at the end: nothing is released
            result = releases.gate_out(s, releases.GateOut(batch.number, "dry-run", "gate"))
            s.flush()
            ended = time.perf_counter()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert result["parcels"] == PARCELS
    assert first_write, "the gate-out wrote nothing"
    return ended - (first_write[0] if from_first_write else started)


def kill_during_gate_out(
    server: Server, url: str, token: str, key: str, activity: Activity, point: str, delay: float
) -> Attempt:
    answer: dict[str, Any] = {}

    def send() -> None:
        try:
            answer["reply"] = call(server.port, "POST", url, token=token, key=key, timeout=120)
        except (OSError, http.client.HTTPException) as exc:  # the server died under us
            answer["error"] = exc

    sender = threading.Thread(target=send, daemon=True)
    sent = time.monotonic()
    sender.start()
    seen = None
    while sender.is_alive() and time.monotonic() - sent < 60:
        if activity.in_write_transaction():
            seen = time.monotonic()
            break
        time.sleep(0.003)
    if seen is not None:
        time.sleep(delay)
    open_at_kill = seen is not None and activity.in_write_transaction()
    server.kill()
    sender.join(30)
    assert not sender.is_alive()
    if "reply" in answer:  # it finished before the kill: it must have succeeded
        reply: Reply = answer["reply"]
        assert reply.status == 200, reply.text
    return Attempt(point, delay, None if seen is None else seen - sent, open_at_kill)


def outcome(db: Database, batch: Batch, key: str, stock_before: dict[Any, Any]) -> str:
    """ "all" or "none", after checking that nothing in between exists, and that the
    ledger, the quants and the account book agree."""
    with db.reading() as s:
        record = releases.batch_by_number(s, batch.number)
        parcels = Counter(
            s.scalars(select(Parcel.status).where(Parcel.release_batch_id == record.id))
        )
        on_batch = select(Parcel.order_id).where(Parcel.release_batch_id == record.id)
        order_states = Counter(s.scalars(select(Order.status).where(Order.id.in_(on_batch))))
        operations = s.execute(
            select(StockOperation.idempotency_key, StockOperation.id).where(
                StockOperation.kind == "gate_out"
            )
        ).all()
        released_units, release_ops = s.execute(
            select(
                func.coalesce(func.sum(Move.quantity), 0),
                func.count(func.distinct(Move.operation_id)),
            ).where(Move.reason == MoveReason.RELEASE)
        ).one()
        release_events = s.scalar(
            select(func.count(OrderEvent.id)).where(OrderEvent.to_status == OrderStatus.RELEASED)
        )
        audited = s.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.action == GATE_ACTION)
        )
        mismatches = account_book.reconcile(s, replay_ledger=True)
        status = record.status
        operation_id = record.operation_id
    assert [m.as_dict() for m in mismatches] == []  # quants = sum of moves; book = ledger = stock
    if status is ReleaseStatus.GATED_OUT:
        assert parcels == {ParcelStatus.RELEASED: PARCELS}
        assert order_states == {OrderStatus.RELEASED: PARCELS}
        assert [tuple(op) for op in operations] == [(key, operation_id)]
        assert (released_units, release_ops, release_events) == (PARCELS, 1, PARCELS)
        assert audited >= 1
        return "all"
    assert status is ReleaseStatus.CLOSED
    assert parcels == {ParcelStatus.LOADED: PARCELS}
    assert order_states == {OrderStatus.LOADED: PARCELS}
    assert operations == []
    assert (released_units, release_ops, release_events, audited) == (0, 0, 0, 0)
    assert quants(db) == stock_before
    return "none"


def test_a_gate_out_killed_mid_flight_is_all_or_nothing_and_the_retry_releases_once(
    db: Database, servers: Callable[..., Server], database_url: str
) -> None:
    started = time.perf_counter()
    batch = release_batch(db, PARCELS)
    built_s = time.perf_counter() - started
    token = staff_token(db, "gate-scanner")
    dry_s = gate_out_dry_run_s(db, batch, from_first_write=is_postgres(database_url))
    stock_before = quants(db)
    url = f"/api/v1/release-batches/{batch.number}/gate-out"
    key = f"gate-{batch.number}-1"  # the gate scanner's one key for this gate-out
    activity = Activity(database_url, "wms-faults-gate")
    attempts: list[Attempt] = []
    try:
        for point, share in KILL_POINTS:
            server = servers("wms-faults-gate")
            attempt = kill_during_gate_out(server, url, token, key, activity, point, share * dry_s)
            activity.wait_gone()
            attempt.outcome = outcome(db, batch, key, stock_before)
            attempts.append(attempt)
            if attempt.outcome == "all":
                break  # it committed just before the kill: nothing left to interrupt
        # The kills landed inside the open transaction, and it was rolled back.
        interrupted = [a for a in attempts if a.open_at_kill and a.outcome == "none"]
        assert len(interrupted) >= 2, attempts
        assert all(a.transaction_seen_after_s is not None for a in attempts), attempts

        server = servers("wms-faults-gate")
        retry_started = time.perf_counter()
        first = call(server.port, "POST", url, token=token, key=key)
        retry_s = time.perf_counter() - retry_started
        assert first.status == 200, first.text
        body = first.json
        assert (body["parcels"], body["orders"], body["units"]) == (PARCELS, PARCELS, PARCELS)
        assert body["replayed"] is (attempts[-1].outcome == "all")
        again = call(server.port, "POST", url, token=token, key=key)
        assert again.status == 200 and again.json == {**body, "replayed": True}
        assert outcome(db, batch, key, stock_before) == "all"
        with db.reading() as s:
            audited = s.scalar(
                select(func.count(AuditEntry.id)).where(AuditEntry.action == GATE_ACTION)
            )
        # The two answered requests, and a killed one only if it had committed.
        assert audited == 2 + sum(a.outcome == "all" for a in attempts)
    finally:
        activity.close()
    print(
        f"\nbuild {PARCELS} parcels {built_s:.1f} s; "
        f"gate-out in process {dry_s:.2f} s (seen open); "
        + "; ".join(
            f"{a.point}: in the transaction {a.transaction_seen_after_s:.2f} s after sending, "
            f"killed {a.delay_s:.2f} s later (open: {a.open_at_kill}) -> {a.outcome}"
            for a in attempts
            if a.transaction_seen_after_s is not None
        )
        + f"; retry after restart {retry_s:.2f} s"
    )
