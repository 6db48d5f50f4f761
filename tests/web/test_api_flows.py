"""The other flows over the JSON API: direct-mail parcels, duty-paid receipts, export
master cartons."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests import factories as f
from tests.integration.outbound import support
from tests.web.support import API, error_of, headers, move_lines, ok, reconciled, stock
from wms.db import Database
from wms.models import OrderStatus
from wms.services import orders

WAYBILL = "EX123456789NZ"


@pytest.fixture
def ready(warehouse: Database) -> Database:
    support.channel(warehouse)
    return warehouse


def parcel_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "inbound_waybill": WAYBILL,
        "gross_weight_g": 2150,
        "length_mm": 320,
        "width_mm": 220,
        "height_mm": 140,
        "channel": support.CHANNEL,
        "order_number": "DM-0001",
        "warehouse": f.WAREHOUSE,
        "consignee": {
            "name": "张三",
            "phone": "13812345678",
            "country": "CN",
            "province": "浙江省",
            "city": "杭州市",
            "address": "文一西路969号",
            "postcode": "311121",
            "id_type": "resident_id",
            "id_number": "11010519491231002X",
        },
        "payment": {
            "payment_number": "PAY-DM-0001",
            "payer_name": "张三",
            "amount": "408.00",
            "paid_at": "2026-11-21T08:30:00+08:00",
        },
        "lines": [{"sku": f.MILK.sku, "quantity": 2, "unit_price": "199.00"}],
        "freight": "10.00",
    }
    body.update(overrides)
    return body


def register(client: FlaskClient, body: dict[str, Any] | None = None) -> Any:
    return client.post(
        f"{API}/direct-mail/parcels", json=body or parcel_body(), headers=headers(actor="dock-1")
    )


def sort(client: FlaskClient, number: str = WAYBILL, **body: Any) -> Any:
    body = {"courier_code": "SF", "tracking_number": "SF100200300"} | body
    return client.post(f"{API}/direct-mail/parcels/{number}/sort", json=body)


def relabel(client: FlaskClient, number: str = WAYBILL) -> Any:
    return client.post(f"{API}/direct-mail/parcels/{number}/relabel")


def clear(db: Database, number: str = "DM-0001") -> None:
    with db.transaction() as s:
        order = orders.order_by_number(s, support.CHANNEL, number)
        for step in (OrderStatus.DECLARED, OrderStatus.CLEARED):
            orders.transition(s, order, step, kind=step.value, actor="broker")


# --- direct mail -----------------------------------------------------------------------


def test_a_direct_mail_parcel_goes_from_scan_to_new_label(client: FlaskClient, ready: Database):
    moves_before = move_lines(client)
    parcel = ok(register(client), 201)
    assert (parcel["number"], parcel["status"]) == (WAYBILL, "packed")
    assert parcel["order"]["status"] == "received"
    assert parcel["order"]["consignee"]["id_number"] == "110105********002X"
    assert parcel["order"]["consignee"]["phone"] == "138****5678"
    assert parcel["order"]["payment"]["paid_at"] == "2026-11-21T00:30:00+00:00"
    assert ok(register(client), 200)["number"] == WAYBILL  # scanned twice

    sorted_ = ok(sort(client))
    assert (sorted_["courier_code"], sorted_["tracking_number"]) == ("SF", "SF100200300")
    assert sorted_["order"]["status"] == "planned"

    error = error_of(relabel(client), 409)
    assert error["field"] == "parcel_number" and "before customs clears" in error["message"]

    clear(ready)
    response = relabel(client)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data[:5] == b"%PDF-"
    assert move_lines(client) == moves_before  # no stock of ours moved


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"inbound_waybill": None}, 422, "inbound_waybill"),
        ({"inbound_waybill": "EX 123"}, 422, "inbound_waybill"),
        ({"gross_weight_g": "2150"}, 422, "gross_weight_g"),
        ({"height_mm": 0}, 422, "height_mm"),
        ({"lines": []}, 422, "lines"),
        ({"lines": [{"sku": "NOT-OURS", "quantity": 1, "unit_price": "1"}]}, 404, "lines[0].sku"),
        ({"consignee.country": "CHN"}, 422, "consignee.country"),
        ({"consignee.id_number": None}, 422, "consignee.id_number"),
        ({"payment.paid_at": "2026-11-21T08:30:00"}, 422, "payment.paid_at"),
        ({"payment": None}, 422, "payment"),
        ({"colour": "red"}, 422, "colour"),
        ({"channel": "NOPE"}, 404, "channel"),
    ],
)
def test_junk_parcels_are_refused_naming_the_field(
    client: FlaskClient, ready: Database, change: dict[str, Any], status: int, field: str
):
    body = copy.deepcopy(parcel_body())
    for path, value in change.items():
        *parents, name = path.split(".")
        target = body
        for parent in parents:
            target = target[parent]
        if value is None:
            target.pop(name, None)
        else:
            target[name] = value
    assert error_of(register(client, body), status)["field"] == field
    assert error_of(sort(client), 404)["field"] == "parcel_number"  # nothing was written


def test_a_body_that_is_not_an_object_is_refused(client: FlaskClient, ready: Database):
    response = client.post(f"{API}/direct-mail/parcels", json=[1, 2])
    assert error_of(response, 422)["field"] == "body"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"courier_code": "SF"}, "tracking_number"),
        ({"courier_code": "", "tracking_number": "SF1"}, "courier_code"),
        ({"courier_code": "SF", "tracking_number": "SF 1"}, "tracking_number"),
        ({"courier_code": "SF", "tracking_number": 12345}, "tracking_number"),
    ],
)
def test_junk_sorting_is_refused(
    client: FlaskClient, ready: Database, body: dict[str, Any], field: str
):
    ok(register(client), 201)
    response = client.post(f"{API}/direct-mail/parcels/{WAYBILL}/sort", json=body)
    assert error_of(response, 422)["field"] == field


def test_unknown_parcels_are_not_found(client: FlaskClient, ready: Database):
    assert error_of(sort(client, "NOPE"), 404)["field"] == "parcel_number"
    assert error_of(relabel(client, "NOPE"), 404)["field"] == "parcel_number"
    assert error_of(relabel(client, "NO%00PE"), 422)["field"] == "number"


# --- duty-paid receipts ----------------------------------------------------------------


def duty_paid(client: FlaskClient, key: str | None = "dp-1", **overrides: Any) -> Any:
    body = {
        "product_code": f.MILK.sku,
        "lot_number": "D1",
        "quantity": 30,
        "bin_barcode": f.DOMESTIC_BIN,
        "reference": "IMP-2026-0042",
        "expiry_date": "2028-03-31",
    } | overrides
    return client.post(
        f"{API}/stock/duty-paid-receipts", json=body, headers=headers(key, actor="receiver")
    )


def test_a_duty_paid_receipt_lands_in_the_domestic_bin(client: FlaskClient, ready: Database):
    first = ok(duty_paid(client), 201)
    assert (first["location"], first["quantity"], first["replayed"]) == (f.DOMESTIC_BIN, 30, False)
    assert ok(duty_paid(client), 200) == {**first, "replayed": True}
    assert stock(client, sku=f.MILK.sku) == [(f.MILK.sku, "D1", f.DOMESTIC_BIN, 30)]
    assert move_lines(client) == [
        ("receipt", f.MILK.sku, "D1", f"{f.WAREHOUSE}-V-DOMESTIC", f.DOMESTIC_BIN, 30)
    ]
    assert reconciled(client) == {"reconciled": True, "mismatches": []}


@pytest.mark.parametrize(
    ("key", "change", "status", "field"),
    [
        (None, {}, 422, "Idempotency-Key"),
        ("dp-x", {"bin_barcode": f.BINS[0]}, 422, "bin_barcode"),
        ("dp-x", {"bin_barcode": "SHA1-NOPE"}, 404, "bin_barcode"),
        ("dp-x", {"quantity": 0}, 422, "quantity"),
        ("dp-x", {"quantity": 1.5}, 422, "quantity"),
        ("dp-x", {"expiry_date": "2028-13-01"}, 422, "expiry_date"),
        ("dp-x", {"reference": ""}, 422, "reference"),
        ("dp-x", {"product_code": "NOPE"}, 404, "product_code"),
    ],
)
def test_junk_duty_paid_receipts_are_refused(
    client: FlaskClient,
    ready: Database,
    key: str | None,
    change: dict[str, Any],
    status: int,
    field: str,
):
    assert error_of(duty_paid(client, key, **change), status)["field"] == field
    assert move_lines(client) == []


# --- export consolidation --------------------------------------------------------------


def consolidate(client: FlaskClient, key: str | None = "mc-1", **body: Any) -> Any:
    body = {"warehouse": f.WAREHOUSE, "max_weight_g": 10_000} | body
    return client.post(f"{API}/export/consolidations", json=body, headers=headers(key))


def test_export_parcels_are_consolidated_by_country(client: FlaskClient, ready: Database):
    de = [support.export_parcel(ready, "DE", 4000) for _ in range(3)]
    fr = support.export_parcel(ready, "FR", 1000)
    result = ok(consolidate(client, max_volume_mm3=50_000_000), 201)
    cartons = result["cartons"]
    assert [(c["country"], len(c["parcels"])) for c in cartons] == [("DE", 2), ("DE", 1), ("FR", 1)]
    assert sorted(p for c in cartons[:2] for p in c["parcels"]) == sorted(de)
    assert cartons[2]["parcels"] == [fr]
    assert all(c["number"].startswith(f"MC-{c['country']}-") for c in cartons)
    assert result["left_out"] == []
    again = ok(consolidate(client, max_volume_mm3=50_000_000), 200)
    assert again == {**result, "replayed": True}


@pytest.mark.parametrize(
    ("key", "body", "status", "field"),
    [
        (None, {}, 422, "Idempotency-Key"),
        ("mc-x", {"max_weight_g": 0}, 422, "max_weight_g"),
        ("mc-x", {"max_weight_g": "10000"}, 422, "max_weight_g"),
        ("mc-x", {"max_volume_mm3": -1}, 422, "max_volume_mm3"),
        ("mc-x", {"warehouse": "NOPE"}, 404, "warehouse"),
        ("mc-x", {"cartons": 3}, 422, "cartons"),
    ],
)
def test_junk_consolidations_are_refused(
    client: FlaskClient,
    ready: Database,
    key: str | None,
    body: dict[str, Any],
    status: int,
    field: str,
):
    assert error_of(consolidate(client, key, **body), status)["field"] == field
