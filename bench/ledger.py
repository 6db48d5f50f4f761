"""Ledger benchmark on SQLite.

1. Posts --moves moves through the posting service (ledger.post) in batches of
   --batch, one transaction per batch, and prints moves/s.
2. Inserts the same rows with raw sqlite3 executemany into an identical schema, one
   transaction per batch, and prints the ratio service/raw.
3. Keeps posting through the service until the ledger holds --seed-total moves (spread
   over a year of timestamps), then times on-hand and as-of queries for one SKU and
   prints their medians.

Ends with one JSON line: {"moves_per_s", "raw_ratio", "onhand_ms", "asof_ms"}.
Run: .venv/bin/python bench/ledger.py   (about two minutes on 2 cores)
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from wms import migrate
from wms.db import Database
from wms.models import Location, LocationKind, Lot, Move, MoveReason
from wms.services import account_book, catalog, inbound, ledger, stock
from wms.services.ledger import MoveLine

START = datetime(2026, 1, 1, tzinfo=UTC)
YEAR = timedelta(days=365)


def build(db: Database, skus: int, bins: int) -> tuple[list[int], list[int], int]:
    """A warehouse with `bins` bins and `skus` products, each with one lot of plenty
    of stock in a reserve bin.  Returns lot ids, bin ids and the reserve bin id."""
    with db.transaction() as s:
        catalog.create_warehouse(s, catalog.WarehouseInput("BENCH", "Bench warehouse"))
        catalog.create_zone(s, "BENCH", "A", "Ambient", is_bonded=True)
        catalog.create_location(
            s, catalog.LocationInput("BENCH", "DOCK", LocationKind.DOCK, zone_code="A")
        )
        for b in range(bins + 1):
            catalog.create_location(
                s, catalog.LocationInput("BENCH", f"A-{b:03d}", LocationKind.BIN, zone_code="A")
            )
        lines = []
        for p in range(skus):
            sku = f"SKU-{p:04d}"
            catalog.create_product(
                s,
                catalog.ProductInput(
                    sku,
                    f"Product {p}",
                    "2106909090",
                    "AU",
                    Decimal("12.5"),
                    "AUD",
                    300,
                    350,
                    100,
                    60,
                    60,
                    "general",
                ),
            )
            lines.append(
                inbound.DeclarationLineInput(p + 1, sku, 10_000_000, Decimal("12.5"), "AUD", "AU")
            )
        inbound.create_declaration(
            s,
            inbound.DeclarationInput(
                "BENCH-ED-1", "BENCH", "Bench importer", START.date(), tuple(lines)
            ),
        )
    for p in range(skus):
        with db.transaction() as s:
            inbound.receive(
                s,
                inbound.ReceiveInput(
                    "BENCH-ED-1",
                    f"SKU-{p:04d}",
                    "LOT-1",
                    10_000_000,
                    "BENCH-DOCK",
                    f"bench-recv-{p}",
                    "bench",
                ),
                at=START,
            )
            inbound.putaway(
                s,
                inbound.PutawayInput(
                    f"SKU-{p:04d}",
                    "LOT-1",
                    10_000_000,
                    "BENCH-DOCK",
                    "BENCH-A-000",
                    f"bench-put-{p}",
                    "bench",
                ),
                at=START,
            )
    with db.reading() as s:
        lot_ids = list(s.scalars(select(Lot.id).order_by(Lot.id)))
        bin_ids = list(
            s.scalars(
                select(Location.id).where(Location.kind == LocationKind.BIN).order_by(Location.code)
            )
        )
    return lot_ids, bin_ids[1:], bin_ids[0]


def batches(
    lot_ids: list[int], bin_ids: list[int], reserve: int, count: int, size: int, rng: random.Random
) -> list[list[MoveLine]]:
    """One unit at a time from the reserve bin to a random bin: always valid stock."""
    return [
        [MoveLine(rng.choice(lot_ids), 1, reserve, rng.choice(bin_ids)) for _ in range(size)]
        for _ in range(count // size)
    ]


def post_all(db: Database, work: list[list[MoveLine]], first: int, total_batches: int) -> float:
    started = time.perf_counter()
    for n, lines in enumerate(work, start=first):
        at = START + YEAR * (n / total_batches)
        with db.transaction() as s:
            op = ledger.post(
                s,
                idempotency_key=f"bench-{n}",
                fingerprint="bench",
                kind="transfer",
                reason=MoveReason.TRANSFER,
                actor="bench",
                lines=lines,
                at=at,
            )
            op.result = {"operation_id": op.id, "moves": len(lines)}
    return time.perf_counter() - started


def raw_baseline(url_path: str, work: list[list[MoveLine]], product_of: dict[int, int]) -> float:
    """The same rows, straight into an identical moves table with sqlite3 executemany."""
    conn = sqlite3.connect(url_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA cache_size=-65536")  # the same pragmas as the service's engine
    conn.execute("BEGIN")
    conn.execute(
        "INSERT INTO stock_operations (idempotency_key, kind, request_hash, actor, "
        "created_at, result) VALUES ('raw', 'raw', 'raw', 'raw', '2026-01-01', '{}')"
    )
    op_id = conn.execute("SELECT max(id) FROM stock_operations").fetchone()[0]
    conn.execute("COMMIT")
    sql = (
        "INSERT INTO moves (operation_id, product_id, lot_id, quantity, from_location_id, "
        "to_location_id, reason, document_ref, actor, created_at, reverses_move_id) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    stamp = "2026-06-01 00:00:00.000000"
    started = time.perf_counter()
    for lines in work:
        conn.execute("BEGIN")
        conn.executemany(
            sql,
            [
                (
                    op_id,
                    product_of[m.lot_id],
                    m.lot_id,
                    m.quantity,
                    m.from_location_id,
                    m.to_location_id,
                    "transfer",
                    None,
                    "bench",
                    stamp,
                    None,
                )
                for m in lines
            ],
        )
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


def median_ms(fn: object, args: list[object], repeat: int = 1) -> float:
    times = []
    for arg in args:
        started = time.perf_counter()
        for _ in range(repeat):
            fn(arg)  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000 / repeat)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--moves", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--seed-total", type=int, default=1_000_000)
    parser.add_argument("--skus", type=int, default=200)
    parser.add_argument("--bins", type=int, default=40)
    parser.add_argument("--queries", type=int, default=51)
    args = parser.parse_args()
    rng = random.Random(20261122)

    with tempfile.TemporaryDirectory() as tmp:
        path, raw_path = f"{tmp}/service.sqlite3", f"{tmp}/raw.sqlite3"
        url = f"sqlite:///{path}"
        migrate.upgrade(url)
        db = Database(url)
        print(f"building {args.skus} SKUs and {args.bins} bins ...", flush=True)
        lot_ids, bin_ids, reserve = build(db, args.skus, args.bins)
        with db.reading() as s:
            product_of = dict(s.execute(select(Lot.id, Lot.product_id)).tuples().all())
        # The raw baseline gets an identical database: same schema, indexes, master data.
        with sqlite3.connect(path) as src, sqlite3.connect(raw_path) as dst:
            src.backup(dst)

        total_batches = args.seed_total // args.batch
        work = batches(lot_ids, bin_ids, reserve, args.moves, args.batch, rng)
        posted = sum(len(b) for b in work)
        seconds = post_all(db, work, 0, total_batches)
        moves_per_s = posted / seconds
        print(f"service: {posted:,} moves in {seconds:.2f} s = {moves_per_s:,.0f} moves/s")

        raw_seconds = raw_baseline(raw_path, work, product_of)
        raw_per_s = posted / raw_seconds
        ratio = moves_per_s / raw_per_s
        print(f"raw sqlite3 executemany: {raw_per_s:,.0f} moves/s; ratio {ratio:.3f}")

        remaining = args.seed_total - posted
        if remaining > 0:
            print(f"seeding {remaining:,} more moves through the service ...", flush=True)
            more = batches(lot_ids, bin_ids, reserve, remaining, args.batch, rng)
            post_all(db, more, len(work), total_batches)
        with db.reading() as s:
            total = s.scalar(select(func.count(Move.id)))
        print(f"ledger holds {total:,} moves")

        products = rng.sample(sorted(set(product_of.values())), min(args.queries, args.skus))
        instants = [START + YEAR * rng.random() for _ in products]
        with db.reading() as s:
            onhand_ms = median_ms(
                lambda p: stock.on_hand(s, stock.StockFilter(product_id=p)), products, repeat=5
            )
            asof_ms = median_ms(
                lambda pt: stock.on_hand(s, stock.StockFilter(product_id=pt[0]), as_of=pt[1]),
                list(zip(products, instants, strict=True)),
            )
            # The as-of query must agree with the quants at the end of history.
            now = stock.on_hand(s, stock.StockFilter(product_id=products[0]))
            replay = stock.on_hand(
                s, stock.StockFilter(product_id=products[0]), as_of=START + 2 * YEAR
            )
            assert [(r.location_id, r.quantity) for r in now] == [
                (r.location_id, r.quantity) for r in replay
            ], "as-of replay disagrees with the quants"
            started = time.perf_counter()
            mismatches = account_book.reconcile(s)
            reconcile_s = time.perf_counter() - started
            assert mismatches == [], mismatches[:5]
        print(f"full reconciliation of the book and the ledger: {reconcile_s:.2f} s")
        print(f"on-hand query for one SKU: median {onhand_ms:.2f} ms")
        print(f"as-of query for one SKU: median {asof_ms:.2f} ms")
        db.dispose()

    print(
        json.dumps(
            {
                "moves_per_s": round(moves_per_s),
                "raw_ratio": round(ratio, 3),
                "onhand_ms": round(onhand_ms, 3),
                "asof_ms": round(asof_ms, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
