"""The planner dashboard at 10,000 orders: how long the page and each of its queries take.

    python bench/dashboard.py [--orders 10000] [--url postgresql+psycopg://...] [--keep DIR]

Builds the data through the services (bench/wave.py's warehouse and orders): every order
received, 60 % allocated, two thirds of those planned, declared and cleared, and one real
courier plan over the orders still waiting for a courier (stored, not committed), so the
page has a pipeline across states, stuck orders, a plan of thousands of lines with its
capacity charts, and the order events of every transition.  Then times each query of
``services.dashboard`` and whole GET /dashboard/ requests through the app (a planner's API
token), best and median of several.  Ends with one JSON line:
{"orders", "dashboard_ms", "dashboard_best_ms", "<query>_ms", ...}.
Target: the page well under a second at 10,000 orders.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402

from config import load_settings  # noqa: E402
from wms.db import Database  # noqa: E402
from wms.migrate import upgrade  # noqa: E402
from wms.models import Order, OrderEvent, PlanLine  # noqa: E402
from wms.services import brokers, orders, packing, planning  # noqa: E402
from wms.services import dashboard as board  # noqa: E402
from wms.web.app import create_app  # noqa: E402

REPEAT = 7


def _wave_module() -> Any:
    """bench/wave.py (its name would clash with the standard library's ``wave``)."""
    spec = importlib.util.spec_from_file_location("bench_wave", ROOT / "bench" / "wave.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed(label: str, work: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = work()
    print(f"{label:>28}: {time.perf_counter() - start:7.2f} s", flush=True)
    return result


def build(db: Database, count: int) -> str:
    wave = _wave_module()
    skus = timed("stock", lambda: wave.build_stock(db, count))
    with db.transaction() as s:
        orders.create_channel(s, orders.ChannelInput("BENCH", "Bench channel"))
        packing.create_box_type(s, "M", "Medium", 400, 300, 200, 120)
    ids = timed("import", lambda: wave.import_orders(db, wave.order_inputs(count, skus)))
    allocated = ids[: count * 6 // 10]
    timed("allocate", lambda: wave.allocate(db, allocated))
    timed(
        "plan, declare, clear",
        lambda: wave.plan_and_clear(db, allocated[: len(allocated) * 2 // 3]),
    )
    return str(
        timed(
            "courier plan",
            lambda: planning.plan_warehouse(db, wave.WAREHOUSE, actor="bench", time_limit_s=5.0),
        )
    )


def measure(label: str, work: Callable[[], Any], figures: dict[str, float]) -> None:
    runs = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        work()
        runs.append((time.perf_counter() - start) * 1000)
    figures[f"{label}_ms"] = round(statistics.median(runs), 1)
    print(f"{label:>28}: median {statistics.median(runs):7.1f} ms  best {min(runs):7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--url", help="a database URL (default: a new SQLite file)")
    parser.add_argument("--keep", type=Path, help="keep the SQLite database in this folder")
    args = parser.parse_args()
    if args.url:
        url = args.url
    else:
        folder = args.keep or Path(tempfile.mkdtemp(prefix="wms-dashboard-"))
        folder.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{folder / 'dashboard.sqlite3'}"
    upgrade(url)
    db = Database(url)
    print(f"building {args.orders} orders in {url} ...", flush=True)
    plan_number = build(db, args.orders)

    with db.reading() as s:
        counts = {
            "orders": s.scalar(select(func.count(Order.id))) or 0,
            "order_events": s.scalar(select(func.count(OrderEvent.id))) or 0,
            "plan_lines": s.scalar(select(func.count(PlanLine.id))) or 0,
        }
        token = None
    with db.transaction() as s:
        token = brokers.issue_token(s, "bench-planner", role="planner")
    print(", ".join(f"{n} {name}" for name, n in counts.items()))

    figures: dict[str, float] = {}

    def query(work: Callable[[Any], Any]) -> Callable[[], Any]:
        def run() -> Any:
            with db.reading() as s:
                return work(s)

        return run

    measure("pipeline", query(board.pipeline), figures)
    measure("stuck_orders", query(board.stuck_orders), figures)
    measure("plannable_warehouses", query(board.plannable_warehouses), figures)
    measure("recent_plans", query(board.recent_plans), figures)
    measure("plan_detail", query(lambda s: board.plan_detail(s, plan_number)), figures)
    measure("overdue_loans", query(board.overdue_loans), figures)
    measure("showroom_traffic", query(board.showroom_traffic), figures)
    measure("reconciliation", query(board.reconciliation), figures)
    measure("scheduled_jobs", query(board.scheduled_jobs), figures)

    app = create_app(load_settings(database_url=url, secret_key="bench", environment="test"))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    first = client.get("/dashboard/", headers=headers)  # warm: templates compiled, pools open
    assert first.status_code == 200, first.get_data(as_text=True)[-500:]
    html = first.get_data(as_text=True)
    assert plan_number in html and "<svg" in html
    page_runs = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        response = client.get("/dashboard/", headers=headers)
        page_runs.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    page_ms, best_ms = statistics.median(page_runs), min(page_runs)
    print(f"{'GET /dashboard/':>28}: median {page_ms:7.1f} ms  best {best_ms:7.1f} ms "
          f"({len(html) // 1024} KiB)")  # fmt: skip
    app.extensions["wms.db"].dispose()
    db.dispose()
    print(
        json.dumps(
            {
                "orders": counts["orders"],
                "order_events": counts["order_events"],
                "plan_lines": counts["plan_lines"],
                "database": url.split(":", 1)[0],
                "dashboard_ms": round(page_ms, 1),
                "dashboard_best_ms": round(best_ms, 1),
                **figures,
            }
        )
    )


if __name__ == "__main__":
    main()
