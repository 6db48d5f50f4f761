"""Racing scanners: the last units go exactly once, and retries post nothing twice.

Runs on SQLite (writers serialised by BEGIN IMMEDIATE) and on PostgreSQL (row locks,
SELECT ... FOR UPDATE) alike.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from tests import factories as f
from wms.db import Database
from wms.models import Move, StockOperation
from wms.services import account_book, inbound, stock, unit_of_work
from wms.services.errors import InsufficientStock

THREADS = 16


@pytest.fixture
def last_ten(db: Database) -> Database:
    f.build_warehouse(db)
    f.declare(db, "ED-1", (f.MILK.sku, 10))
    f.receive(db, "ED-1", f.MILK.sku, "L1", 10)
    f.putaway(db, f.MILK.sku, "L1", 10, to=f.BINS[0])
    return db


def race(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Start every job at the same instant on its own thread; collect results or errors."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def runner(i: int) -> None:
        barrier.wait()
        try:
            results[i] = jobs[i]()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return results


def take_one(db: Database, key: str) -> Callable[[], dict[str, Any]]:
    request = inbound.PutawayInput(f.MILK.sku, "L1", 1, f.BINS[0], f.BINS[1], key, "picker")
    return lambda: unit_of_work.run(db, lambda s: inbound.transfer(s, request))


def counts(db: Database) -> tuple[int, int, dict[str, int]]:
    with db.reading() as s:
        moves = s.scalar(select(func.count(Move.id)))
        operations = s.scalar(select(func.count(StockOperation.id)))
        where = {r.location: r.quantity for r in stock.on_hand(s, stock.StockFilter())}
        assert account_book.reconcile(s) == []
    return moves, operations, where


def test_sixteen_pickers_race_for_the_last_ten_units(last_ten: Database):
    before_moves, _, _ = counts(last_ten)
    keys = [f"pick-{i}" for i in range(THREADS)]
    results = race([take_one(last_ten, k) for k in keys])

    won = [r for r in results if isinstance(r, dict)]
    lost = [r for r in results if isinstance(r, InsufficientStock)]
    assert len(won) == 10, results
    assert len(lost) == THREADS - 10, results
    assert all("only 0 of MILK-900 lot L1 available" in str(e) for e in lost)
    moves, operations, where = counts(last_ten)
    assert moves == before_moves + 10
    assert where == {f.BINS[1]: 10}

    # Every scanner retries its request after a lost response: nothing changes.
    replays = race([take_one(last_ten, k) for k in keys])
    for first, again in zip(results, replays, strict=True):
        if isinstance(first, dict):
            assert again == {**first, "replayed": True}
        else:
            assert isinstance(again, InsufficientStock)
    assert counts(last_ten) == (moves, operations, where)


def test_the_same_request_arriving_eight_times_at_once_posts_once(last_ten: Database):
    before_moves, before_ops, _ = counts(last_ten)
    results = race([take_one(last_ten, "same-scan") for _ in range(8)])
    assert all(isinstance(r, dict) for r in results), results
    assert len({r["operation_id"] for r in results}) == 1
    assert Counter(r["replayed"] for r in results) == {False: 1, True: 7}
    moves, operations, where = counts(last_ten)
    assert (moves, operations) == (before_moves + 1, before_ops + 1)
    assert where == {f.BINS[0]: 9, f.BINS[1]: 1}


def test_racing_receipts_never_pass_the_declared_quantity_unconfirmed(db: Database):
    from wms.services.errors import OverReceipt

    f.build_warehouse(db)
    f.declare(db, "ED-R", (f.SERUM.sku, 100))

    def receive(i: int) -> Callable[[], dict[str, Any]]:
        request = inbound.ReceiveInput("ED-R", f.SERUM.sku, "S1", 20, f.DOCK, f"r-{i}", "dock")
        return lambda: unit_of_work.run(db, lambda s: inbound.receive(s, request))

    results = race([receive(i) for i in range(8)])
    assert sum(isinstance(r, dict) for r in results) == 5, results
    assert sum(isinstance(r, OverReceipt) for r in results) == 3, results
    with db.reading() as s:
        assert inbound.declaration_summary(s, "ED-R")["lines"][0]["received_quantity"] == 100
        assert account_book.reconcile(s) == []
