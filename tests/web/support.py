"""Helpers for driving the JSON API through the Flask test client."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests import factories as f

API = "/api/v1"


def error_of(response: TestResponse, status: int) -> dict[str, Any]:
    """The body of a JSON error answer, after checking its status and its envelope."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}, body
    return body["error"]


def ok(response: TestResponse, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    return response.get_json()


def headers(key: str | None = None, actor: str | None = None) -> dict[str, str]:
    out = {}
    if key is not None:
        out["Idempotency-Key"] = key
    if actor is not None:
        out["X-Actor"] = actor
    return out


def receipt_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "product_code": f.MILK.sku,
        "lot_number": "L1",
        "quantity": 10,
        "dock_barcode": f.DOCK,
        "expiry_date": "2028-06-30",
    }
    body.update(overrides)
    return body


def post_receipt(
    client: FlaskClient,
    number: str = "ED-1",
    *,
    key: str | None = None,
    actor: str | None = None,
    **overrides: Any,
) -> TestResponse:
    return client.post(
        f"{API}/declarations/{number}/receipts",
        json=receipt_body(**overrides),
        headers=headers(key if key is not None else f.key("http-receipt"), actor),
    )


def relocate_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "product_code": f.MILK.sku,
        "lot_number": "L1",
        "quantity": 10,
        "from_barcode": f.DOCK,
        "to_barcode": f.BINS[0],
    }
    body.update(overrides)
    return body


def post_relocation(
    client: FlaskClient, kind: str = "putaways", *, key: str | None = None, **overrides: Any
) -> TestResponse:
    return client.post(
        f"{API}/{kind}",
        json=relocate_body(**overrides),
        headers=headers(key if key is not None else f.key(f"http-{kind}")),
    )


def product_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sku": "TEA-100",
        "name": "Green tea 100 g",
        "hs_code": "0902100000",
        "origin_country": "JP",
        "declared_unit_value": "12.5000",
        "currency": "JPY",
        "net_weight_g": 100,
        "gross_weight_g": 130,
        "length_mm": 80,
        "width_mm": 60,
        "height_mm": 150,
        "tax_category": "general",
        "gtin": "4901234567894",
    }
    body.update(overrides)
    return body


def declaration_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "number": "ED-2026-0001",
        "warehouse_code": f.WAREHOUSE,
        "importer": "Tmall Global Importer Ltd",
        "arrival_date": "2026-11-20",
        "lines": [
            {
                "line_no": 1,
                "sku": f.MILK.sku,
                "declared_quantity": 100,
                "unit_value": "25.5000",
                "currency": "USD",
                "origin_country": "NZ",
            }
        ],
    }
    body.update(overrides)
    return body


def stock(client: FlaskClient, **query: Any) -> list[tuple[str, str, str, int]]:
    """(sku, lot, location barcode, quantity) of every row GET /stock answers."""
    body = ok(client.get(f"{API}/stock", query_string=query))
    rows = [(r["sku"], r["lot_number"], r["location"], r["quantity"]) for r in body["rows"]]
    assert body["total"] == sum(r[3] for r in rows)
    return rows


def moves(client: FlaskClient, **query: Any) -> list[dict[str, Any]]:
    return ok(client.get(f"{API}/moves", query_string=query))["moves"]


def move_lines(client: FlaskClient, **query: Any) -> list[tuple[str, str, str, str, str, int]]:
    """(reason, sku, lot, from, to, quantity) of every move, oldest first."""
    return [
        (m["reason"], m["sku"], m["lot_number"], m["from"], m["to"], m["quantity"])
        for m in moves(client, **query)
    ]


def book(client: FlaskClient, declaration: str | None = None) -> list[dict[str, Any]]:
    query = {"declaration": declaration} if declaration else {}
    return ok(client.get(f"{API}/account-book", query_string=query))["lines"]


def reconciled(client: FlaskClient) -> dict[str, Any]:
    return ok(client.get(f"{API}/account-book/reconciliation"))
