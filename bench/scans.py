"""Each scan endpoint alone, in-process: time and SQL statements per scan, on PostgreSQL.

    python bench/scans.py [--scans 150] [--postgres URL]

Where bench/load.py measures the server under 50 scanners, this measures one scan at a
time through the Flask app (no gunicorn, no network to the client), so a change to a scan's
code shows in its own figures: wall time, this process's CPU time (the app's Python; the
database works in its own processes) and SQL statements per scan, for receive, pick, pack
and load, and for two trivial GETs (/healthz, and an authenticated /api/v1/box-types).

Builds the same data as bench/load.py (bench/load_data.py, one scanner per role) in a
scratch database it drops at the end.  Ends with one JSON line:
{"<kind>_ms", "<kind>_cpu_ms", "<kind>_statements", ...}.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import secrets
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402
from sqlalchemy import create_engine, event, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from wms.db import Database  # noqa: E402
from wms.migrate import upgrade  # noqa: E402

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
WARM_UP = 10  # scans per kind before the measured ones (prepared statements, caches)
TRIVIAL_REQUESTS = 300


def _load_data() -> Any:
    spec = importlib.util.spec_from_file_location("bench_load_data", ROOT / "bench/load_data.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def requests_of(user: dict[str, Any], plan: dict[str, Any], count: int) -> Iterator[tuple]:
    """(path, body) of the user's scans, as bench/load_scenario.py sends them."""
    role = user["role"]
    if role == "pick":
        for bin_code, sku, lot, quantity, order_id in user["tasks"]:
            body = {"bin_barcode": bin_code, "product_code": sku, "lot_number": lot}
            yield (
                f"/api/v1/waves/{user['wave']}/picks",
                body
                | {
                    "quantity": quantity,
                    "order_id": order_id,
                },
            )
    elif role == "pack":
        for parcel in user["parcels"]:
            items = [
                {"product_code": s, "lot_number": lot, "quantity": q}
                for s, lot, q in parcel["items"]
            ]
            yield (
                "/api/v1/parcels",
                {
                    "order_ref": parcel["order_ref"],
                    "items": items,
                    "gross_weight_g": parcel["gross_weight_g"],
                    "box_code": plan["box"],
                },
            )
    elif role == "receive":
        for n in range(count):
            line_no, sku = user["lines"][n % len(user["lines"])]
            yield (
                f"/api/v1/declarations/{user['declaration']}/receipts",
                {
                    "product_code": sku,
                    "lot_number": f"B-{line_no}-{n // 24}",
                    "quantity": 5,
                    "dock_barcode": plan["dock"],
                    "expiry_date": "2028-06-30",
                },
            )
    elif role == "load":
        for tracking in user["parcels"]:
            yield f"/api/v1/release-batches/{user['batch']}/parcels", {"parcel_code": tracking}


def measure(app: Any, plan: dict[str, Any], count: int) -> dict[str, float]:
    statements = [0]
    event.listen(
        app.extensions["wms.db"].engine,
        "before_cursor_execute",
        lambda *_: statements.__setitem__(0, statements[0] + 1),
    )
    client = app.test_client()
    figures: dict[str, float] = {}

    def timed(kind: str, calls: list[Any]) -> None:
        statements[0] = 0
        wall, cpu = time.perf_counter(), time.process_time()
        for call in calls:
            response = call()
            if response.status_code not in (200, 201):
                raise SystemExit(f"{kind}: {response.status_code} {response.get_data(True)[:300]}")
        n = len(calls)
        figures[f"{kind}_ms"] = round((time.perf_counter() - wall) / n * 1000, 2)
        figures[f"{kind}_cpu_ms"] = round((time.process_time() - cpu) / n * 1000, 2)
        figures[f"{kind}_statements"] = round(statements[0] / n, 1)

    def post(path: str, body: dict[str, Any], auth: dict[str, str]) -> Any:
        headers = auth | {"Idempotency-Key": uuid.uuid4().hex}
        return lambda: client.post(path, json=body, headers=headers)

    for user in plan["users"]:
        auth = {"Authorization": f"Bearer {user['token']}"}
        calls = [post(p, b, auth) for p, b in requests_of(user, plan, count + WARM_UP)]
        calls = calls[: count + WARM_UP]
        for call in calls[:WARM_UP]:
            call()
        timed(user["role"], calls[WARM_UP:])
    auth = {"Authorization": f"Bearer {plan['users'][0]['token']}"}
    timed("healthz", [lambda: client.get("/healthz")] * TRIVIAL_REQUESTS)
    timed("box_types", [lambda: client.get("/api/v1/box-types", headers=auth)] * TRIVIAL_REQUESTS)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=150, help="measured scans per kind")
    parser.add_argument(
        "--postgres", default=os.environ.get("WMS_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    args = parser.parse_args()
    server = make_url(args.postgres)
    name = f"wms_scans_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    app = None
    try:
        url = server.set(database=name).render_as_string(hide_password=False)
        upgrade(url)
        db = Database(url)
        plan = _load_data().build(
            db, ["pick", "pack", "receive", "load"], args.scans + WARM_UP, say=lambda _: None
        )
        db.dispose()
        os.environ.update(
            DATABASE_URL=url,
            SECRET_KEY=secrets.token_hex(32),
            WMS_DATA_KEY=Fernet.generate_key().decode(),
            WMS_ENV="production",
            WMS_LOG_LEVEL="warning",
        )
        from wms.web.app import create_app

        app = create_app()
        figures = measure(app, plan, args.scans)
    finally:
        if app is not None:
            app.extensions["wms.db"].dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    for kind in ("receive", "pick", "pack", "load", "healthz", "box_types"):
        print(
            f"{kind:>10}: {figures[f'{kind}_ms']:6.2f} ms, {figures[f'{kind}_cpu_ms']:6.2f} ms "
            f"of this process's CPU, {figures[f'{kind}_statements']:4.1f} SQL statements"
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
