"""The data the load bench's scanners work through, built through the services.

``build(db, roles, per_user)`` makes a bonded warehouse (bench/wave.py's: 60 SKUs in two
lots each over 120 bins), orders that are allocated, planned, declared and cleared, and
then, for each simulated scanner, its own work so that no two scanners fight over the same
task (as on a real floor, where the system hands each person their own list):

- receive: an open entry declaration ED-LOAD with a line per SKU declaring 10,000,000
  units; each receiver scans cartons of its own lines (the account-book line is locked per
  receipt, so sharing lines would only measure the queue at that row).
- pick: a wave of its own, its tasks in walking order (one scan per task, for its order).
- pack: orders already picked (their tote's items, lots and expected weight).
- load: labelled parcels, and a release batch (a vehicle) shared by two loaders.

Returns the plan as JSON-ready data: {"declaration", "dock", "users": [{"role", "token",
...work...}]}; the data build is not part of the measurement.
"""

from __future__ import annotations

import importlib.util
import math
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

from wms.db import Database
from wms.models import Order, Parcel
from wms.services import brokers, inbound, orders, packing, releases, waves

ROOT = Path(__file__).resolve().parent.parent
DECLARATION = "ED-LOAD"
DECLARED_PER_LINE = 10_000_000
BOX = "M"
BOX_TARE_G = 120
# The roles of scanners 0, 1, 2, ... in turn: per ten, three pickers, three packers,
# two receivers and two loaders.
ROLE_CYCLE = ("pick", "pack", "receive", "load", "pick", "pack", "pick", "pack", "receive", "load")
LOADERS_PER_VEHICLE = 2
TASKS_PER_ORDER = 2  # orders have 1 to 3 lines (bench/wave.py): about two tasks each


def wave_module() -> Any:
    """bench/wave.py (its name would clash with the standard library's ``wave``)."""
    spec = importlib.util.spec_from_file_location("bench_wave", ROOT / "bench" / "wave.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def roles_for(users: int) -> list[str]:
    return [ROLE_CYCLE[i % len(ROLE_CYCLE)] for i in range(users)]


def build(
    db: Database,
    roles: list[str],
    per_user: int,
    *,
    say: Callable[[str], None] = lambda message: print(message, flush=True),
) -> dict[str, Any]:
    """Everything the scanners need; ``per_user`` scans of work for each of them."""
    wave = wave_module()
    pickers = [i for i, r in enumerate(roles) if r == "pick"]
    packers = [i for i, r in enumerate(roles) if r == "pack"]
    loaders = [i for i, r in enumerate(roles) if r == "load"]
    receivers = [i for i, r in enumerate(roles) if r == "receive"]
    pick_orders = math.ceil(per_user / TASKS_PER_ORDER) + 1
    group_sizes = {
        "pick": [pick_orders] * len(pickers),
        "pack": [per_user] * len(packers),
        "load": [per_user] * len(loaders),
    }
    total = sum(sum(sizes) for sizes in group_sizes.values())
    say(f"building {total} orders for {len(roles)} scanners ({per_user} scans each) ...")

    started = time.perf_counter()

    def step(message: str) -> None:
        say(f"  {time.perf_counter() - started:6.1f} s  {message}")

    skus = wave.build_stock(db, max(total, 100))
    step("stock received and put away")
    with db.transaction() as s:
        orders.create_channel(s, orders.ChannelInput("BENCH", "Bench channel"))
        packing.create_box_type(s, BOX, "Medium", 400, 300, 200, BOX_TARE_G)
        inbound.create_declaration(
            s,
            inbound.DeclarationInput(
                number=DECLARATION,
                warehouse_code=wave.WAREHOUSE,
                importer="Bench Importer Ltd",
                arrival_date=date(2026, 11, 20),
                lines=tuple(
                    inbound.DeclarationLineInput(
                        n + 1, sku, DECLARED_PER_LINE, Decimal("12.50"), "USD", "KR"
                    )
                    for n, sku in enumerate(skus)
                ),
            ),
        )
        tokens = [
            brokers.issue_token(s, f"scanner-{i:03d}", role="staff") for i in range(len(roles))
        ]
    ids = wave.import_orders(db, wave.order_inputs(total, skus)) if total else []
    step("orders imported")
    if ids:
        wave.allocate(db, ids)
        step("orders allocated")
        wave.plan_and_clear(db, ids)
        step("orders planned, declared and cleared")
    analyze(db)
    groups: dict[str, list[list[int]]] = {}
    start = 0
    for role, sizes in group_sizes.items():
        groups[role] = []
        for size in sizes:
            groups[role].append(ids[start : start + size])
            start += size

    work: dict[int, dict[str, Any]] = {}
    for n, user in enumerate(receivers):
        mine = [(k + 1, sku) for k, sku in enumerate(skus) if k % len(receivers) == n]
        work[user] = {"declaration": DECLARATION, "lines": mine or [(1, skus[0])]}
    for user, group in zip(pickers, groups["pick"], strict=True):
        work[user] = _pick_work(db, wave.WAREHOUSE, group)
    step(f"{len(pickers)} waves to pick")
    # Packers' and loaders' orders go through one wave each: one pick scan per bin and
    # lot for hundreds of orders, instead of one per scanner.
    if packers:
        everyone = [i for group in groups["pack"] for i in group]
        _pick_all(db, _wave(db, wave.WAREHOUSE, everyone))
        totes = {p["order_id"]: p for p in _pack_work(db, wave, everyone)}
        for user, group in zip(packers, groups["pack"], strict=True):
            work[user] = {"parcels": [totes[i] for i in group]}
    step(f"{sum(group_sizes['pack'])} orders picked for packing")
    vehicles: list[str] = []
    if loaders:
        everyone = [i for group in groups["load"] for i in group]
        number = _wave(db, wave.WAREHOUSE, everyone)
        _pick_all(db, number)
        wave.pack(db, everyone)
        with db.transaction() as s:
            packing.label_wave(s, number, "bench")
        for n, (user, group) in enumerate(zip(loaders, groups["load"], strict=True)):
            if n % LOADERS_PER_VEHICLE == 0:
                with db.transaction() as s:
                    batch = releases.create_batch(
                        s,
                        warehouse_code=wave.WAREHOUSE,
                        vehicle_plate=f"BENCH{n:03d}",
                        actor="bench",
                    )
                    vehicles.append(batch.number)
            work[user] = {"batch": vehicles[-1], "parcels": _tracking_numbers(db, group)}
    step(f"{sum(group_sizes['load'])} parcels labelled on {len(vehicles)} vehicles")
    analyze(db)
    return {
        "declaration": DECLARATION,
        "dock": f"{wave.WAREHOUSE}-DOCK",
        "box": BOX,
        "users": [{"role": role, "token": tokens[i], **work[i]} for i, role in enumerate(roles)],
    }


def analyze(db: Database) -> None:
    """Fresh planner statistics.  Thousands of rows just written in bulk are invisible to
    PostgreSQL's planner until autovacuum gets round to them (about a minute, or more on a
    busy server); meanwhile it plans as if the tables were empty: creating a wave of 127
    named orders out of 4,000 took 5.2 s before ANALYZE and 0.06 s after.  A production
    database has its statistics; the bench must not measure their absence."""
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


def _wave(db: Database, warehouse: str, order_ids: list[int]) -> str:
    with db.transaction() as s:
        return waves.create_wave(
            s, warehouse_code=warehouse, actor="lead", order_ids=order_ids
        ).number


def _pick_all(db: Database, number: str) -> None:
    """Pick a whole wave, one scan per bin and lot (bench/wave.py's batch picker, with
    keys of this wave's own)."""
    with db.reading() as s:
        tasks = waves.pick_list(s, number)
    stops: dict[tuple[str, str, str], int] = defaultdict(int)
    for t in tasks:
        stops[(t["bin"], t["sku"], t["lot_number"])] += t["to_pick"]
    for i, ((where, sku, lot), quantity) in enumerate(stops.items()):
        with db.transaction() as s:
            waves.confirm_pick(
                s, waves.PickScan(number, where, sku, lot, quantity, f"{number}-{i}", "bench")
            )


def _pick_work(db: Database, warehouse: str, order_ids: list[int]) -> dict[str, Any]:
    number = _wave(db, warehouse, order_ids)
    with db.reading() as s:
        tasks = [
            (t["bin"], t["sku"], t["lot_number"], t["to_pick"], t["order_id"])
            for t in waves.pick_list(s, number)
            if t["to_pick"] > 0
        ]
    return {"wave": number, "tasks": tasks}


def _pack_work(db: Database, wave: Any, order_ids: list[int]) -> list[dict[str, Any]]:
    with db.reading() as s:
        tracking = dict(
            s.execute(select(Order.id, Order.tracking_number).where(Order.id.in_(order_ids))).all()
        )
        picked = wave._picked_items(s, order_ids)
        weights = wave._weights(s, order_ids)
    return [
        {
            "order_id": oid,
            "order_ref": tracking[oid],
            "items": [[sku, lot, q] for (sku, lot), q in sorted(picked[oid].items())],
            "gross_weight_g": weights[oid] + BOX_TARE_G,
        }
        for oid in order_ids
    ]


def _tracking_numbers(db: Database, order_ids: list[int]) -> list[str]:
    with db.reading() as s:
        found = s.scalars(
            select(Parcel.tracking_number).where(Parcel.order_id.in_(order_ids)).order_by(Parcel.id)
        )
        return [t for t in found if t]
