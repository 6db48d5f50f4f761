"""A wave of bonded-import orders through the service layer on SQLite.

    python bench/wave.py [--orders 10000] [--keep DIR]

Stages, each timed: import (orders received, personal data sealed), allocation (FEFO),
plan + declare + clear (courier, tracking number and customs status: the recorded
transitions that must precede picking), wave creation (pick list in walking order),
pick confirmation (one scan per bin and lot for the whole wave, as a batch picker with a
cart works: each scan fills the wave's tasks there in pick order) and packing (every
order's scanned items checked against what was picked, weighed, boxed).  Ends with one
JSON line: {"orders", "seconds", "orders_per_s", plus one "<stage>_s" per stage}.
Target on a 2-core machine: the whole wave in <= 30 s for 10,000 orders.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from wms.db import Database
from wms.migrate import upgrade
from wms.models import (
    Flow,
    LocationKind,
    Lot,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    Reservation,
)
from wms.services import (
    allocation,
    catalog,
    inbound,
    order_flow,
    orders,
    packing,
    waves,
)

T = TypeVar("T")
WAREHOUSE = "BENCH"
PRODUCTS = 60
BINS = 120
CHUNK = 1000


def chunks(items: list[T], size: int = CHUNK) -> Iterator[list[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def timed(stages: dict[str, float], name: str, work: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = work()
    stages[name] = time.perf_counter() - start
    print(f"{name:>16}: {stages[name]:7.2f} s", flush=True)
    return result


def build_stock(db: Database, orders_count: int) -> list[str]:
    """A bonded warehouse with PRODUCTS SKUs in two lots each, spread over BINS bins,
    with enough stock for every order."""
    rng = random.Random(7)
    per_product = orders_count * 3  # generous: orders take 1-3 lines of 1-2 units
    with db.transaction() as s:
        catalog.create_warehouse(s, catalog.WarehouseInput(WAREHOUSE, "Bench bonded DC"))
        catalog.create_zone(s, WAREHOUSE, "A", "Ambient", is_bonded=True)
        catalog.create_location(
            s, catalog.LocationInput(WAREHOUSE, "DOCK", LocationKind.DOCK, zone_code="A")
        )
        for i in range(BINS):
            location = catalog.create_location(
                s,
                catalog.LocationInput(WAREHOUSE, f"A-{i:03d}", LocationKind.BIN, zone_code="A"),
            )
            location.pick_sequence = rng.randrange(10_000)
        skus = []
        for i in range(PRODUCTS):
            sku = f"SKU-{i:03d}"
            catalog.create_product(
                s,
                catalog.ProductInput(
                    sku=sku,
                    name=f"Bench product {i}",
                    hs_code="3304990099",
                    origin_country="KR",
                    declared_unit_value=Decimal("12.50"),
                    currency="USD",
                    net_weight_g=100 + 10 * i,
                    gross_weight_g=130 + 10 * i,
                    length_mm=100,
                    width_mm=60,
                    height_mm=40,
                    tax_category="general",
                ),
            )
            skus.append(sku)
        inbound.create_declaration(
            s,
            inbound.DeclarationInput(
                number="ED-BENCH",
                warehouse_code=WAREHOUSE,
                importer="Bench Importer Ltd",
                arrival_date=date(2026, 11, 1),
                lines=tuple(
                    inbound.DeclarationLineInput(
                        i + 1, sku, per_product, Decimal("12.50"), "USD", "KR"
                    )
                    for i, sku in enumerate(skus)
                ),
            ),
        )
    for i, sku in enumerate(skus):
        with db.transaction() as s:
            for lot, expiry, share in (("A", date(2027, 6, 30), 2), ("B", date(2028, 6, 30), 1)):
                quantity = per_product * share // 3
                inbound.receive(
                    s,
                    inbound.ReceiveInput(
                        "ED-BENCH",
                        sku,
                        f"{sku}-{lot}",
                        quantity,
                        f"{WAREHOUSE}-DOCK",
                        f"r-{sku}-{lot}",
                        "bench",
                        expiry_date=expiry,
                    ),
                )
                target = f"{WAREHOUSE}-A-{(i * 2 + (lot == 'B')) % BINS:03d}"
                inbound.putaway(
                    s,
                    inbound.PutawayInput(
                        sku,
                        f"{sku}-{lot}",
                        quantity,
                        f"{WAREHOUSE}-DOCK",
                        target,
                        f"p-{sku}-{lot}",
                        "bench",
                    ),
                )
    return skus


def order_inputs(count: int, skus: list[str]) -> list[orders.OrderInput]:
    rng = random.Random(11)
    paid_at = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    made = []
    for n in range(count):
        picked = rng.sample(skus, rng.randint(1, 3))
        lines = tuple(
            orders.OrderLineInput(sku, rng.randint(1, 2), Decimal("89.00")) for sku in picked
        )
        goods = sum((line.unit_price * line.quantity for line in lines), Decimal(0))
        made.append(
            orders.OrderInput(
                channel="BENCH",
                order_number=f"B{n:08d}",
                flow=Flow.BONDED_IMPORT,
                warehouse=WAREHOUSE,
                consignee=orders.ConsigneeInput(
                    name="李四",
                    phone=f"139{n:08d}",
                    country="CN",
                    province="广东省",
                    city="深圳市",
                    address=f"南山区科技园{n}号",
                    id_type="resident_id",
                    id_number="11010519491231002X",
                ),
                lines=lines,
                freight=Decimal("8.00"),
                payment=orders.PaymentInput(
                    payment_number=f"PAY{n:010d}",
                    payer_name="李四",
                    amount=goods + Decimal("8.00"),
                    paid_at=paid_at,
                ),
            )
        )
    return made


def import_orders(db: Database, inputs: list[orders.OrderInput]) -> list[int]:
    ids: list[int] = []
    cache: dict[str, Product] = {}
    for chunk in chunks(inputs):
        with db.transaction() as s:
            cache.clear()  # products are bound to the session that loaded them
            for result in orders.receive_orders(s, chunk, actor="import", products=cache):
                if not isinstance(result, orders.Received):
                    raise SystemExit(f"order refused: {result}")
                ids.append(result.order.id)
    return ids


def allocate(db: Database, ids: list[int]) -> None:
    for chunk in chunks(ids):
        with db.transaction() as s:
            outcomes = allocation.allocate_orders(s, chunk, actor="planner")
            held = [o for o in outcomes if o.status != "allocated"]
            if held:
                raise SystemExit(f"{len(held)} orders not allocated: {held[0].as_dict()}")


def plan_and_clear(db: Database, ids: list[int]) -> None:
    for chunk in chunks(ids):
        with db.transaction() as s:
            batch = list(s.scalars(select(Order).where(Order.id.in_(chunk))))
            orders.plan_many(s, [(o, "SF", f"SF{o.id:012d}") for o in batch], actor="planner")
            for order in batch:
                for target in (OrderStatus.DECLARED, OrderStatus.CLEARED):
                    orders.transition(s, order, target, kind=target.value, actor="customs")
    assert order_flow.ready_to_pick(Flow.BONDED_IMPORT) is OrderStatus.CLEARED


def make_wave(db: Database) -> str:
    with db.transaction() as s:
        return waves.create_wave(s, warehouse_code=WAREHOUSE, actor="lead").number


def pick(db: Database, wave: str) -> int:
    with db.reading() as s:
        tasks = waves.pick_list(s, wave)
    per_stop: dict[tuple[str, str, str], int] = defaultdict(int)
    order_of_stops: list[tuple[str, str, str]] = []
    for task in tasks:
        stop = (task["bin"], task["sku"], task["lot_number"])
        if stop not in per_stop:
            order_of_stops.append(stop)
        per_stop[stop] += task["to_pick"]
    for i, stop in enumerate(order_of_stops):
        with db.transaction() as s:
            waves.confirm_pick(
                s,
                waves.PickScan(wave, stop[0], stop[1], stop[2], per_stop[stop], f"pick-{i}", "p1"),
            )
    return len(order_of_stops)


def pack(db: Database, ids: list[int]) -> None:
    with db.reading() as s:
        boxes = {b.code for b in packing.box_types(s)}
    assert "M" in boxes
    for chunk in chunks(ids):
        with db.transaction() as s:
            rows = s.execute(
                select(Order.id, Order.tracking_number).where(Order.id.in_(chunk))
            ).all()
            picked = _picked_items(s, chunk)
            weights = _weights(s, chunk)
            inputs = [
                packing.PackInput(
                    order_ref=tracking,
                    items=tuple(
                        packing.ScannedItem(sku, lot, q) for (sku, lot), q in picked[oid].items()
                    ),
                    gross_weight_g=weights[oid] + 120,
                    box_code="M",
                    idempotency_key=f"pack-{oid}",
                    actor="packer",
                )
                for oid, tracking in rows
            ]
            packing.pack_many(s, inputs)


def _picked_items(s: Any, ids: list[int]) -> dict[int, dict[tuple[str, str], int]]:
    found: dict[int, dict[tuple[str, str], int]] = defaultdict(lambda: defaultdict(int))
    for oid, sku, lot, q in s.execute(
        select(Reservation.order_id, Product.sku, Lot.lot_number, Reservation.picked_quantity)
        .join(Lot, Lot.id == Reservation.lot_id)
        .join(Product, Product.id == Lot.product_id)
        .where(Reservation.order_id.in_(ids), Reservation.picked_quantity > 0)
    ):
        found[oid][(sku, lot)] += q
    return found


def _weights(s: Any, ids: list[int]) -> dict[int, int]:
    found: dict[int, int] = defaultdict(int)
    for oid, grams, q in s.execute(
        select(OrderLine.order_id, Product.gross_weight_g, OrderLine.quantity)
        .join(Product, Product.id == OrderLine.product_id)
        .where(OrderLine.order_id.in_(ids))
    ):
        found[oid] += grams * q
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="keep the database in this folder")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="wms-wave-"))
    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / 'wave.sqlite3'}"
    upgrade(url)
    db = Database(url)
    print(f"setting up stock for {args.orders} orders in {folder} ...", flush=True)
    skus = build_stock(db, args.orders)
    with db.transaction() as s:
        orders.create_channel(s, orders.ChannelInput("BENCH", "Bench channel"))
        packing.create_box_type(s, "M", "Medium", 400, 300, 200, 120)
    inputs = order_inputs(args.orders, skus)

    stages: dict[str, float] = {}
    ids = timed(stages, "import", lambda: import_orders(db, inputs))
    timed(stages, "allocate", lambda: allocate(db, ids))
    timed(stages, "plan_and_clear", lambda: plan_and_clear(db, ids))
    wave = timed(stages, "wave", lambda: make_wave(db))
    stops = timed(stages, "pick", lambda: pick(db, wave))
    timed(stages, "pack", lambda: pack(db, ids))
    with db.reading() as s:
        packed = s.scalar(select(func.count(Order.id)).where(Order.status == OrderStatus.PACKED))
    if packed != args.orders:
        raise SystemExit(f"only {packed} of {args.orders} orders packed")
    total = sum(stages.values())
    print(f"{'total':>16}: {total:7.2f} s for {args.orders} orders ({stops} pick stops)")
    print(f"{'orders/s':>16}: {args.orders / total:7.0f}")
    figures = {
        "orders": args.orders,
        "seconds": round(total, 2),
        "orders_per_s": round(args.orders / total, 1),
        **{f"{name}_s": round(sec, 2) for name, sec in stages.items()},
    }
    print(json.dumps(figures))
    db.dispose()


if __name__ == "__main__":
    main()
