"""Release batches and consumer returns through the JSON API."""

from __future__ import annotations

from typing import Any

import pytest

from tests import factories as f
from tests.integration.outbound import support as o
from tests.web.support import API, error_of, headers, ok
from wms.db import Database


@pytest.fixture
def parcels(stocked: Database) -> list[str]:
    """Two labelled parcels of bonded orders (milk from A-01, serum from B-01)."""
    o.channel(stocked)
    return [
        o.labelled_parcel(stocked, o.receive_order(stocked, (f.MILK.sku, 2))),
        o.labelled_parcel(stocked, o.receive_order(stocked, (f.SERUM.sku, 1))),
    ]


def new_batch(client: Any) -> str:
    body = {"warehouse": f.WAREHOUSE, "vehicle_plate": "沪a12345"}
    batch = ok(client.post(f"{API}/release-batches", json=body, headers=headers()), 201)
    assert batch["status"] == "open" and batch["vehicle_plate"] == "沪A12345"
    return batch["number"]


def test_a_batch_is_loaded_sealed_gated_out_and_handed_over(client, parcels):
    number = new_batch(client)
    for i, parcel in enumerate(parcels):
        scan = client.post(
            f"{API}/release-batches/{number}/parcels",
            json={"parcel_code": parcel},
            headers=headers(f"load-{i}", "loader"),
        )
        assert ok(scan)["parcels_on_batch"] == i + 1
    sealed = ok(client.post(f"{API}/release-batches/{number}/close", json={"seal_number": "SL-77"}))
    assert sealed["status"] == "closed" and sealed["gross_weight_g"] == 3000
    out = ok(
        client.post(f"{API}/release-batches/{number}/gate-out", headers=headers("gate-1", "gate"))
    )
    assert (out["parcels"], out["units"], out["replayed"]) == (2, 3, False)
    again = client.post(
        f"{API}/release-batches/{number}/gate-out", headers=headers("gate-1", "gate")
    )
    assert ok(again)["replayed"] is True
    assert ok(client.post(f"{API}/release-batches/{number}/hand-over"))["orders_handed_over"] == 2
    view = ok(client.get(f"{API}/release-batches/{number}"))
    assert view["status"] == "gated_out" and view["gated_out_by"] == "gate"
    assert {p["status"] for p in view["parcels"]} == {"handed_over"}
    error = error_of(client.post(f"{API}/release-batches/{number}/reopen"), 409)
    assert "cannot be re-opened" in error["message"]


def test_a_wrong_parcel_is_refused_at_the_scan_and_unloading_works_before_the_gate(client, parcels):
    number = new_batch(client)
    url = f"{API}/release-batches/{number}/parcels"
    error = error_of(client.post(url, json={"parcel_code": "P-NONE"}, headers=headers("a")), 404)
    assert error["field"] == "parcel_code"
    ok(client.post(url, json={"parcel_code": parcels[0]}, headers=headers("b")))
    error = error_of(client.post(url, json={"parcel_code": parcels[0]}, headers=headers("c")), 409)
    assert "already on this vehicle" in error["message"]
    ok(client.delete(f"{url}/{parcels[0]}"))
    assert ok(client.get(f"{API}/release-batches/{number}"))["parcels"] == []


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("", {"warehouse": f.WAREHOUSE}, "vehicle_plate"),
        ("", {"warehouse": "NOPE", "vehicle_plate": "X1"}, "warehouse"),
        ("", {"warehouse": f.WAREHOUSE, "vehicle_plate": "X" * 17}, "vehicle_plate"),
        ("", {"warehouse": f.WAREHOUSE, "vehicle_plate": 12}, "vehicle_plate"),
        ("", [1, 2], None),
        ("/{n}/close", {"seal_number": ""}, "seal_number"),
        ("/{n}/close", {}, "seal_number"),
        ("/{n}/parcels", {"parcel_code": None}, "parcel_code"),
        ("/{n}/parcels", {"parcel_code": "P\x00"}, "parcel_code"),
    ],
)
def test_junk_is_refused_naming_the_field(client, parcels, path, body, field):
    number = new_batch(client)
    response = client.post(
        f"{API}/release-batches{path.format(n=number)}", json=body, headers=headers("junk")
    )
    assert response.status_code in {400, 404, 409, 422}, response.get_data(as_text=True)
    error = error_of(response, response.status_code)
    if field:
        assert error["field"] == field


def test_gate_out_needs_an_idempotency_key(client, parcels):
    number = new_batch(client)
    error = error_of(client.post(f"{API}/release-batches/{number}/gate-out"), 422)
    assert error["field"] == "Idempotency-Key"


def test_a_return_is_applied_received_and_inspected_over_http(client, stocked, parcels):
    number = new_batch(client)
    ok(
        client.post(
            f"{API}/release-batches/{number}/parcels",
            json={"parcel_code": parcels[0]},
            headers=headers("l-1"),
        )
    )
    client.post(f"{API}/release-batches/{number}/close", json={"seal_number": "S1"})
    ok(client.post(f"{API}/release-batches/{number}/gate-out", headers=headers("g-1")))
    order_id = 1
    ret = ok(
        client.post(
            f"{API}/returns",
            json={"order_id": order_id, "items": [{"product_code": f.MILK.gtin, "quantity": 2}]},
        ),
        201,
    )
    assert ret["status"] == "applied" and ret["lines"][0]["quantity"] == 2
    url = f"{API}/returns/{ret['number']}"
    received = ok(
        client.post(f"{url}/receipt", json={"dock_barcode": f.DOCK}, headers=headers("r"))
    )
    assert received["units"] == 2
    inspected = ok(
        client.post(
            f"{url}/inspection",
            json={
                "items": [
                    {
                        "product_code": f.MILK.sku,
                        "lot_number": "L1",
                        "good": 2,
                        "scrap": 0,
                        "bin_barcode": f.BINS[0],
                    }
                ]
            },
            headers=headers("i"),
        )
    )
    assert inspected["restocked"] == 2
    assert ok(client.get(url))["status"] == "restocked"
    junk = client.post(f"{API}/returns", json={"order_id": "1", "items": []})
    assert error_of(junk, 422)["field"] in {"order_id", "items"}
    late = client.post(
        f"{API}/returns",
        json={"order_id": 2, "items": [{"product_code": f.SERUM.sku, "quantity": 1}]},
    )
    assert "only released orders" in error_of(late, 409)["message"]
