"""A whole day of outbound work through the JSON API.

1,000 orders of every flow (800 bonded imports, 100 domestic, 50 export, 50 direct-mail
parcels) go from import to gate-out.  On the way: a re-sent batch, cancellations at
five different stages, three rejected declarations (two cancelled, one corrected and
declared again), two short picks (one found elsewhere and picked in a second wave, one
with no stock left that waits on hold), a parcel taken off a vehicle and put back on.
At the end the ledger balances, the account book reconciles, and every order is where
the story says.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests import factories as f
from tests.integration.outbound import support as o
from tests.web.support import API, headers, ok
from wms.db import Database

BONDED, DOMESTIC, EXPORT, DIRECT = 800, 100, 50, 50
TARE = 120  # box M
GROSS = 1020  # both test products weigh 1,020 g gross


def paid(qty: int) -> Decimal:
    """What the consumer paid: goods, freight and the CBEC tax on both."""
    goods = Decimal("99.00") * qty
    return goods + Decimal("10.00") + o.tax_of([(qty, Decimal("99.00"))], Decimal("10.00"))


def body(n: int, flow: str, sku: str, qty: int) -> dict[str, Any]:
    order: dict[str, Any] = {
        "channel": o.CHANNEL,
        "order_number": f"D{n:05d}",
        "flow": flow,
        "warehouse": f.WAREHOUSE,
        "consignee": {
            "name": "王五",
            "phone": f"137{n:08d}",
            "country": "CN" if flow != "export" else "DE",
            "city": "杭州市" if flow != "export" else "Berlin",
            "address": f"文三路{n}号" if flow != "export" else f"Hauptstr. {n}",
        },
        "lines": [{"sku": sku, "quantity": qty, "unit_price": "99.00"}],
        "freight": "10.00",
    }
    if flow in {"bonded_import", "direct_mail"}:
        order["consignee"] |= {"id_type": "resident_id", "id_number": o.resident_id(n)}
        order["payment"] = {
            "payment_number": f"PAY-D{n:05d}",
            "payer_name": "王五",
            "amount": str(paid(qty)),
            "paid_at": "2026-11-21T08:00:00+08:00",
        }
    return order


class Day:
    """The story's bookkeeping: which orders are where, by the test's own account."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.flow: dict[int, str] = {}
        self.expected: dict[int, str] = {}
        self.keys = 0

    def key(self) -> str:
        self.keys += 1
        return f"day-{self.keys}"

    def post(self, path: str, json: Any = None, *, key: bool = False, status: int = 200) -> Any:
        response = self.client.post(
            f"{API}{path}", json=json, headers=headers(self.key() if key else None, "day")
        )
        return ok(response, status)

    def cancel(self, order_id: int, reason: str) -> None:
        self.post(f"/orders/{order_id}/cancel", {"reason": reason}, key=True)
        self.expected[order_id] = "cancelled"


@pytest.fixture
def day_stock(warehouse: Database) -> Database:
    """Milk: bonded lot L1 1,000 in A-01 and lot L2 200 in A-02 (later expiry); serum:
    exactly what the bonded serum orders need, in B-01; duty-paid milk comes in by API."""
    db = warehouse
    f.declare(db, "ED-DAY", (f.MILK.sku, 1200), (f.SERUM.sku, 400))
    f.receive(db, "ED-DAY", f.MILK.sku, "L1", 1000)
    f.receive(db, "ED-DAY", f.MILK.sku, "L2", 200, expiry_date=date(2029, 1, 1))
    f.putaway(db, f.MILK.sku, "L1", 1000, to=f.BINS[0])
    f.putaway(db, f.MILK.sku, "L2", 200, to=f.BINS[1])
    o.channel(db)
    return db


@pytest.mark.slow
def test_a_day_of_outbound_work_balances_to_the_last_unit(client: FlaskClient, day_stock):
    day = Day(client)
    db = day_stock
    serum_orders = list(range(600, 800))  # bonded orders 600..799 buy one serum each
    f.receive(db, "ED-DAY", f.SERUM.sku, "S1", len(serum_orders))
    f.putaway(db, f.SERUM.sku, "S1", len(serum_orders), to=f.BINS[2])
    day.post(
        "/stock/duty-paid-receipts",
        {
            "product_code": f.MILK.sku,
            "lot_number": "D1",
            "quantity": 300,
            "bin_barcode": f.DOMESTIC_BIN,
            "reference": "CUSTOMS-PAID-2026-118",
            "expiry_date": "2028-12-31",
        },
        key=True,
        status=201,
    )
    day.post(
        "/box-types",
        {"code": "M", "name": "Medium", "length_mm": 400, "width_mm": 300, "height_mm": 200,
         "tare_g": TARE},
        status=201,
    )  # fmt: skip

    # --- morning: orders arrive -----------------------------------------------------------
    bodies = [
        body(n, "bonded_import", f.SERUM.sku if n in serum_orders else f.MILK.sku, 1 + n % 2)
        if n < BONDED
        else body(n, "domestic" if n < BONDED + DOMESTIC else "export", f.MILK.sku, 1)
        for n in range(BONDED + DOMESTIC + EXPORT)
    ]
    for b in bodies:
        if b["lines"][0]["sku"] == f.SERUM.sku:
            b["lines"][0]["quantity"] = 1
            b["payment"]["amount"] = str(paid(1))
    ids: list[int] = []
    for start in (0, 500):
        answer = day.post("/orders/batch", {"orders": bodies[start : start + 500]})
        assert answer["accepted"] == len(bodies[start : start + 500]) and answer["refused"] == 0
        ids += [r["order_id"] for r in answer["results"]]
    again = day.post("/orders/batch", {"orders": bodies[:500]})  # a marketplace retry
    assert {r["status"] for r in again["results"]} == {"existing"}
    for n, order_id in enumerate(ids):
        day.flow[order_id] = bodies[n]["flow"]
        day.expected[order_id] = "handed_over"
    direct: list[str] = []
    for n in range(DIRECT):
        parcel = day.post(
            "/direct-mail/parcels",
            body(5000 + n, "direct_mail", f.SERUM.sku, 1)
            | {"inbound_waybill": f"EMS{n:09d}KR", "gross_weight_g": 800, "length_mm": 250,
               "width_mm": 200, "height_mm": 100},
            status=201,
        )  # fmt: skip
        direct.append(parcel["number"])
        day.flow[parcel["order"]["id"]] = "direct_mail"
        day.expected[parcel["order"]["id"]] = "handed_over"
    assert len(day.expected) == 1000

    bonded = [i for i in ids if day.flow[i] == "bonded_import"]
    for order_id in bonded[:5]:
        day.cancel(order_id, "consumer changed their mind")

    # --- allocation, planning, customs ----------------------------------------------------
    live = [i for i in ids if day.expected[i] != "cancelled"]
    for order_id in live:
        answer = day.post(f"/orders/{order_id}/allocate")
        assert answer["allocation"]["status"] == "allocated", answer
    for order_id in bonded[5:10]:
        day.cancel(order_id, "payment reversed")
    live = [i for i in ids if day.expected[i] != "cancelled"]
    for order_id in live:
        day.post(
            f"/orders/{order_id}/plan",
            {"courier_code": "SF", "tracking_number": f"SF{order_id:010d}"},
        )
    for n, number in enumerate(direct):
        day.post(
            f"/direct-mail/parcels/{number}/sort",
            {"courier_code": "YTO", "tracking_number": f"YT{n:010d}"},
        )
    dm_orders = [i for i, flow in day.flow.items() if flow == "direct_mail"]
    declared = [i for i in live if day.flow[i] in {"bonded_import", "export"}] + dm_orders
    for order_id in declared:
        day.post(f"/orders/{order_id}/declare")
    rejected = bonded[10:13]
    for order_id in rejected:
        day.post(f"/orders/{order_id}/reject", {"reason": "payer identity does not match"})
    day.cancel(rejected[0], "rejected by customs")
    day.cancel(rejected[1], "rejected by customs")
    day.post(f"/orders/{rejected[2]}/declare")
    for order_id in declared:
        if day.expected[order_id] != "cancelled":
            day.post(f"/orders/{order_id}/clear", {})
    for order_id in bonded[13:18]:
        day.cancel(order_id, "out of stock at the marketplace")

    # --- picking: one wave, two short picks -----------------------------------------------
    wave = day.post("/waves", {"warehouse": f.WAREHOUSE}, status=201)["number"]
    tasks = ok(client.get(f"{API}/waves/{wave}/pick-list"))["tasks"]
    milk_short = next(t for t in tasks if t["sku"] == f.MILK.sku and t["bin"] == f.BINS[0])
    serum_short = next(t for t in tasks if t["sku"] == f.SERUM.sku)
    for task, found in ((milk_short, 0), (serum_short, 0)):
        day.post(
            f"/waves/{wave}/shorts",
            {"bin_barcode": task["bin"], "product_code": task["sku"],
             "lot_number": task["lot_number"], "found_quantity": found,
             "order_id": task["order_id"]},
            key=True,
            status=201,
        )  # fmt: skip
    day.expected[serum_short["order_id"]] = "on_hold"  # no serum left anywhere
    pick_wave(day, wave)
    picked = [i for i in day.expected if day.expected[i] != "cancelled" and i not in dm_orders]
    picked.remove(serum_short["order_id"])
    picked.remove(milk_short["order_id"])
    for order_id in bonded[18:23]:
        day.cancel(order_id, "consumer cancelled after picking")
        picked.remove(order_id)

    # The milk order found short is covered from A-02 and picked in a second wave.
    second = day.post("/waves", {"warehouse": f.WAREHOUSE}, status=201)["number"]
    again_tasks = ok(client.get(f"{API}/waves/{second}/pick-list"))["tasks"]
    assert [(t["order_id"], t["bin"]) for t in again_tasks] == [
        (milk_short["order_id"], f.BINS[1])  # not the bin just found short
    ]
    pick_wave(day, second)
    picked.append(milk_short["order_id"])

    # --- packing and labels ---------------------------------------------------------------
    for order_id in picked:
        view = ok(client.get(f"{API}/orders/{order_id}"))
        line = view["lines"][0]
        day.post(
            "/parcels",
            {"order_ref": view["tracking_number"],
             "items": [{"product_code": line["sku"], "quantity": line["quantity"]}],
             "gross_weight_g": GROSS * line["quantity"] + TARE + 10, "box_code": "M"},
            key=True,
            status=201,
        )  # fmt: skip
    for number in (wave, second):
        response = client.post(f"{API}/waves/{number}/labels", headers=headers(None, "day"))
        assert response.status_code == 200 and response.mimetype == "application/pdf"
    for number in direct:
        assert client.post(f"{API}/direct-mail/parcels/{number}/relabel").status_code == 200

    # --- release: two vehicles, one parcel off and on again -------------------------------
    trackings = [ok(client.get(f"{API}/orders/{i}"))["tracking_number"] for i in picked]
    trackings += [ok(client.get(f"{API}/orders/{i}"))["tracking_number"] for i in dm_orders]
    batches = []
    for plate, share in (("沪A00001", trackings[:500]), ("沪A00002", trackings[500:])):
        number = day.post(
            "/release-batches", {"warehouse": f.WAREHOUSE, "vehicle_plate": plate}, status=201
        )["number"]
        for tracking in share:
            day.post(f"/release-batches/{number}/parcels", {"parcel_code": tracking}, key=True)
        batches.append(number)
    ok(client.delete(f"{API}/release-batches/{batches[0]}/parcels/{trackings[0]}"))
    day.post(f"/release-batches/{batches[0]}/parcels", {"parcel_code": trackings[0]}, key=True)
    units_out = 0
    for number in batches:
        day.post(f"/release-batches/{number}/close", {"seal_number": f"SEAL-{number}"})
        units_out += day.post(f"/release-batches/{number}/gate-out", key=True)["units"]
        day.post(f"/release-batches/{number}/hand-over")

    # --- the evening check ----------------------------------------------------------------
    check = ok(client.get(f"{API}/account-book/reconciliation"))
    assert check == {"reconciled": True, "mismatches": []}
    statuses: dict[int, str] = {}
    after = None
    while True:
        query = "limit=500" + (f"&after_id={after}" if after else "")
        page = ok(client.get(f"{API}/orders?{query}"))
        for row in page["orders"]:
            statuses[row["id"]] = row["status"]
        after = page.get("next_after_id")
        if not after:
            break
    assert statuses == day.expected
    tally = Counter(statuses.values())
    assert tally == {"handed_over": 1000 - 23, "cancelled": 22, "on_hold": 1}
    book = ok(client.get(f"{API}/account-book"))
    released = sum(row["released"] for row in book["lines"])
    shipped_bonded = sum(
        1 + n % 2 if n not in serum_orders else 1
        for n, i in enumerate(ids)
        if day.flow[i] == "bonded_import" and statuses[i] == "handed_over"
    )
    assert released == shipped_bonded
    assert units_out == shipped_bonded + sum(
        1 for i in ids if day.flow[i] in {"domestic", "export"} and statuses[i] == "handed_over"
    )
    for dock in ("SHA1-OUT-B", "SHA1-OUT-D"):  # staging holds nothing after the gate
        assert ok(client.get(f"{API}/stock?location={dock}"))["total"] == 0


def pick_wave(day: Day, wave: str) -> None:
    """Pick every open task, one scan per bin and lot, as a batch picker does."""
    tasks = ok(day.client.get(f"{API}/waves/{wave}/pick-list"))["tasks"]
    stops: dict[tuple[str, str, str], int] = defaultdict(int)
    for task in tasks:
        if task["to_pick"]:
            stops[(task["bin"], task["sku"], task["lot_number"])] += task["to_pick"]
    for (bin_barcode, sku, lot), quantity in stops.items():
        day.post(
            f"/waves/{wave}/picks",
            {"bin_barcode": bin_barcode, "product_code": sku, "lot_number": lot,
             "quantity": quantity},
            key=True,
            status=201,
        )  # fmt: skip
