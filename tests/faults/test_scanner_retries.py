"""A handheld that never saw the answer to its scan sends it again: nothing posts twice.

Two ways an answer is lost, both against a real ``gunicorn wsgi:app`` (2 workers):

- the connection drops right after the request is sent (the handheld leaves Wi-Fi
  coverage): the server does the work and answers nobody; the retry, with the same
  Idempotency-Key, gets the stored answer with ``replayed: true``;
- the request is slow (the test holds the rows it needs locked) and the handheld's own
  timeout fires first; it retries at once, so the original and the retry are both inside
  the server at the same time; when the rows come free, one posts and the other answers
  the same without posting, and a third try is a replay.

For picks, load scans and the gate-out scan, the ledger and the records show one
posting, and every answer, the lost ones included (read from the server's request log),
is a success.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Executable, func, select

from tests import factories as f
from tests.conftest import is_postgres
from tests.faults.conftest import (
    Activity,
    Server,
    call,
    holding,
    quants,
    release_batch,
    send_and_hang_up,
    server_url,
    staff_token,
)
from tests.integration.outbound import support as o
from wms.db import Database
from wms.models import (
    Location,
    Move,
    OrderEvent,
    Parcel,
    ParcelStatus,
    Quant,
    ReleaseBatch,
    StockOperation,
)
from wms.services import releases, waves

pytestmark = pytest.mark.faults

NAME = "wms-faults-scan"
HANDHELD_TIMEOUT_S = 1.0


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for the module (each test's data is its own: the ``db`` fixture
    empties the tables; the app keeps no data between requests)."""
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    running = Server(server_url(database_url, NAME), Path(log), workers=2)
    try:
        yield running.start()
    finally:
        running.kill()


@dataclass(frozen=True)
class Scan:
    kind: str  # the stock operation's kind
    url: str
    body: dict[str, Any] | None
    key: str
    lock: Executable  # what to hold to make the request wait inside its transaction
    check: Callable[[Database], None]  # it was done once


def operation(db: Database, key: str) -> tuple[int, str, dict[str, Any]]:
    """The one stock operation with this key: (id, kind, stored answer)."""
    with db.reading() as s:
        rows = s.execute(
            select(StockOperation.id, StockOperation.kind, StockOperation.result).where(
                StockOperation.idempotency_key == key
            )
        ).all()
    assert len(rows) == 1, rows
    return rows[0][0], rows[0][1], rows[0][2]


def pick_scan(db: Database) -> Scan:
    """A wave with one order of 4 milk; the scan picks its first task whole."""
    o.picking_warehouse(db)
    o.cleared_order(db, (f.MILK.sku, 4))
    with db.transaction() as s:
        wave = waves.create_wave(s, warehouse_code=f.WAREHOUSE, actor="lead").number
    with db.reading() as s:
        task = next(t for t in waves.pick_list(s, wave) if t["to_pick"])
        bin_id = s.scalar(select(Location.id).where(Location.barcode == task["bin"]))
    key = f"pick-{uuid.uuid4().hex[:8]}"
    before = quants(db)

    def check(db: Database) -> None:
        op_id, _, _ = operation(db, key)
        with db.reading() as s:
            moves = s.execute(
                select(
                    Move.lot_id, Move.from_location_id, Move.to_location_id, Move.quantity
                ).where(Move.operation_id == op_id)
            ).all()
        assert [m.quantity for m in moves] == [task["to_pick"]]
        ((lot, source, target, quantity),) = moves
        assert source == bin_id
        after = quants(db)
        on_hand = {
            k: after.get(k, (0, 0))[0] - before.get(k, (0, 0))[0] for k in before.keys() | after
        }
        assert {k: d for k, d in on_hand.items() if d} == {
            (lot, source): -quantity,
            (lot, target): quantity,
        }

    return Scan(
        "pick",
        f"/api/v1/waves/{wave}/picks",
        {
            "bin_barcode": task["bin"],
            "product_code": task["sku"],
            "lot_number": task["lot_number"],
            "quantity": task["to_pick"],
        },
        key,
        select(Quant.id).where(Quant.location_id == bin_id).with_for_update(),
        check,
    )


def load_scan(db: Database) -> Scan:
    """An open batch and two labelled parcels; the scan loads the first."""
    batch = release_batch(db, 2, load=False)
    parcel = batch.parcels[0]
    key = f"load-{uuid.uuid4().hex[:8]}"

    def check(db: Database) -> None:
        assert operation(db, key)[1] == "load"
        with db.reading() as s:
            record = releases.batch_by_number(s, batch.number)
            on_batch = list(
                s.scalars(select(Parcel.number).where(Parcel.release_batch_id == record.id))
            )
            loaded = releases.parcel_by_code(s, parcel)
            events = s.scalar(
                select(func.count(OrderEvent.id)).where(
                    OrderEvent.order_id == loaded.order_id, OrderEvent.kind == "loaded"
                )
            )
            assert (on_batch, loaded.status, events) == ([parcel], ParcelStatus.LOADED, 1)

    return Scan(
        "load",
        f"/api/v1/release-batches/{batch.number}/parcels",
        {"parcel_code": parcel},
        key,
        select(ReleaseBatch.id).where(ReleaseBatch.number == batch.number).with_for_update(),
        check,
    )


def gate_scan(db: Database) -> Scan:
    """A sealed batch of three parcels; the scan at the gate releases it."""
    batch = release_batch(db, 3)
    key = f"gate-{uuid.uuid4().hex[:8]}"

    def check(db: Database) -> None:
        op_id, kind, _ = operation(db, key)
        assert kind == "gate_out"
        with db.reading() as s:
            statuses = Counter(s.scalars(select(Parcel.status)))
            units = s.scalar(select(func.sum(Move.quantity)).where(Move.operation_id == op_id))
            released = s.scalar(
                select(func.count(OrderEvent.id)).where(OrderEvent.kind == "gate_out")
            )
        assert (statuses, units, released) == ({ParcelStatus.RELEASED: 3}, 3, 3)

    return Scan(
        "gate_out",
        f"/api/v1/release-batches/{batch.number}/gate-out",
        None,
        key,
        select(ReleaseBatch.id).where(ReleaseBatch.number == batch.number).with_for_update(),
        check,
    )


SCANS = {"pick": pick_scan, "load": load_scan, "gate-out": gate_scan}


def request_id() -> str:
    return f"faults-{uuid.uuid4().hex}"


def test_a_pick_whose_answer_was_lost_is_answered_again_without_posting_again(
    db: Database, server: Server
) -> None:
    scan = pick_scan(db)
    token = staff_token(db)
    lost = request_id()
    send_and_hang_up(
        server.port, "POST", scan.url, token=token, key=scan.key, body=scan.body, request_id=lost
    )
    assert server.wait_answered(lost) == 201  # done, and nobody heard
    _, _, stored = operation(db, scan.key)
    for _ in range(2):
        retry = call(server.port, "POST", scan.url, token=token, key=scan.key, body=scan.body)
        assert retry.status == 200, retry.text
        assert retry.json == {**stored, "replayed": True}
    scan.check(db)


@pytest.mark.parametrize("kind", list(SCANS))
def test_a_retry_sent_while_the_slow_original_is_still_running_posts_once(
    db: Database, server: Server, database_url: str, kind: str, request: pytest.FixtureRequest
) -> None:
    scan = SCANS[kind](db)
    token = staff_token(db)
    tries = [request_id(), request_id()]
    activity = Activity(database_url, NAME)
    try:
        with holding(db, scan.lock):
            for rid in tries:  # the handheld gives up after a second and sends it again
                with pytest.raises(TimeoutError):
                    call(
                        server.port,
                        "POST",
                        scan.url,
                        token=token,
                        key=scan.key,
                        body=scan.body,
                        timeout=HANDHELD_TIMEOUT_S,
                        extra_headers={"X-Request-Id": rid},
                    )
            if is_postgres(database_url):  # both are inside their transactions, waiting
                waiting = [b for b in activity.backends() if b["wait_event_type"] == "Lock"]
                assert len(waiting) == 2, activity.backends()
        lost_answers = [server.wait_answered(rid) for rid in tries]
    finally:
        activity.close()
    _, _, stored = operation(db, scan.key)
    third = call(server.port, "POST", scan.url, token=token, key=scan.key, body=scan.body)
    assert third.status == 200 and third.json == {**stored, "replayed": True}, third.text
    scan.check(db)  # posted once
    # Neither lost answer was a refusal: the one that did not post answered as a replay.
    assert sorted(lost_answers) == sorted([201 if kind == "pick" else 200, 200]), lost_answers
