"""Entry declarations, receiving (idempotent), closing, putaway and transfers over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests import factories as f
from tests.web.support import (
    API,
    declaration_body,
    error_of,
    headers,
    move_lines,
    moves,
    ok,
    post_receipt,
    post_relocation,
    receipt_body,
    relocate_body,
    stock,
)
from wms.db import Database
from wms.models import LocationKind
from wms.services import catalog


def second_warehouse(db: Database) -> None:
    """NGB1: a bonded zone with a dock NGB1-DOCK and a bin NGB1-A-01."""
    with db.transaction() as s:
        catalog.create_warehouse(s, catalog.WarehouseInput("NGB1", "Ningbo bonded DC"))
        catalog.create_zone(s, "NGB1", "A", "Ambient", is_bonded=True)
        for code, kind in (("DOCK", LocationKind.DOCK), ("A-01", LocationKind.BIN)):
            catalog.create_location(s, catalog.LocationInput("NGB1", code, kind, zone_code="A"))


def declaration(client: FlaskClient, number: str = "ED-1") -> dict[str, Any]:
    return ok(client.get(f"{API}/declarations/{number}"))


def line_states(client: FlaskClient, number: str = "ED-1") -> list[tuple[Any, ...]]:
    """(line, sku, declared, received, difference, status, discrepancy) per line."""
    return [
        (
            ln["line_no"],
            ln["sku"],
            ln["declared_quantity"],
            ln["received_quantity"],
            ln["difference"],
            ln["status"],
            ln["discrepancy"],
        )
        for ln in declaration(client, number)["lines"]
    ]


# --- declarations ---------------------------------------------------------------------------


def test_a_declaration_created_by_post_shows_every_line_pending(
    warehouse: Database, client: FlaskClient
):
    body = declaration_body()
    body["lines"].append(
        {
            "line_no": 2,
            "sku": f.SERUM.gtin,  # a line may name its product by GTIN
            "declared_quantity": 40,
            "unit_value": "31.0000",
            "currency": "eur",
            "origin_country": "fr",
        }
    )
    response = client.post(f"{API}/declarations", json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["number"] == "ED-2026-0001"
    assert declaration(client, "ED-2026-0001") == {
        "number": "ED-2026-0001",
        "importer": "Tmall Global Importer Ltd",
        "arrival_date": "2026-11-20",
        "status": "open",
        "closed_at": None,
        "lines": [
            {
                "line_no": 1,
                "sku": f.MILK.sku,
                "declared_quantity": 100,
                "received_quantity": 0,
                "difference": -100,
                "status": "pending",
                "unit_value": "25.5000",
                "currency": "USD",
                "origin_country": "NZ",
                "discrepancy": None,
            },
            {
                "line_no": 2,
                "sku": f.SERUM.sku,
                "declared_quantity": 40,
                "received_quantity": 0,
                "difference": -40,
                "status": "pending",
                "unit_value": "31.0000",
                "currency": "EUR",
                "origin_country": "FR",
                "discrepancy": None,
            },
        ],
    }


def test_a_declaration_reads_back_exactly_as_the_create_answer_described_it(
    warehouse: Database, client: FlaskClient
):
    body = declaration_body()
    body["lines"][0]["unit_value"] = "25.5"
    created = ok(client.post(f"{API}/declarations", json=body), 201)
    assert declaration(client, "ED-2026-0001") == created


def test_declarations_are_listed_latest_arrival_first(warehouse: Database, client: FlaskClient):
    ok(
        client.post(
            f"{API}/declarations", json=declaration_body(number="ED-2", arrival_date="2026-12-01")
        ),
        201,
    )
    assert ok(client.get(f"{API}/declarations")) == {
        "declarations": [
            {
                "number": "ED-2",
                "importer": "Tmall Global Importer Ltd",
                "arrival_date": "2026-12-01",
                "status": "open",
                "lines": 1,
            },
            {
                "number": "ED-1",
                "importer": "Tmall Global Importer Ltd",
                "arrival_date": "2026-11-20",
                "status": "open",
                "lines": 2,
            },
        ]
    }


def test_a_duplicate_declaration_number_answers_409_naming_number(
    warehouse: Database, client: FlaskClient
):
    error = error_of(client.post(f"{API}/declarations", json=declaration_body(number="ED-1")), 409)
    assert error == {
        "code": "conflict",
        "message": "entry declaration ED-1 already exists",
        "field": "number",
    }
    assert len(declaration(client)["lines"]) == 2


def test_a_declaration_for_an_unknown_warehouse_answers_404_naming_warehouse_code(
    warehouse: Database, client: FlaskClient
):
    response = client.post(f"{API}/declarations", json=declaration_body(warehouse_code="NOPE"))
    assert error_of(response, 404)["field"] == "warehouse_code"


def test_a_line_for_an_unknown_product_answers_404_naming_the_line_and_nothing_is_kept(
    warehouse: Database, client: FlaskClient
):
    body = declaration_body()
    body["lines"].append({**body["lines"][0], "line_no": 2, "sku": "NOPE"})
    error = error_of(client.post(f"{API}/declarations", json=body), 404)
    assert (error["code"], error["field"]) == ("not_found", "lines[1].sku")
    error_of(client.get(f"{API}/declarations/ED-2026-0001"), 404)


def test_a_repeated_line_number_answers_422_naming_the_line_and_nothing_is_kept(
    warehouse: Database, client: FlaskClient
):
    body = declaration_body()
    body["lines"].append({**body["lines"][0], "sku": f.SERUM.sku})
    error = error_of(client.post(f"{API}/declarations", json=body), 422)
    assert error == {
        "code": "invalid",
        "message": "line number 1 is repeated",
        "field": "lines[1].line_no",
    }
    error_of(client.get(f"{API}/declarations/ED-2026-0001"), 404)


def test_a_declaration_without_lines_answers_422_naming_lines(
    warehouse: Database, client: FlaskClient
):
    response = client.post(f"{API}/declarations", json=declaration_body(lines=[]))
    assert error_of(response, 422)["field"] == "lines"


@pytest.mark.parametrize("quantity", [100.5, 100.0, "100", True, 0, -5])
def test_a_declared_quantity_that_is_not_a_positive_integer_answers_422_naming_the_line(
    warehouse: Database, client: FlaskClient, quantity: object
):
    body = declaration_body()
    body["lines"][0]["declared_quantity"] = quantity
    error = error_of(client.post(f"{API}/declarations", json=body), 422)
    assert (error["code"], error["field"]) == ("invalid", "lines[0].declared_quantity")


def test_an_unknown_field_in_a_line_answers_422_naming_it(warehouse: Database, client: FlaskClient):
    body = declaration_body()
    body["lines"][0]["hs_code"] = "0402210000"
    assert (
        error_of(client.post(f"{API}/declarations", json=body), 422)["field"] == "lines[0].hs_code"
    )


@pytest.mark.parametrize("number", ["ED1", "ED 0001", "ED/0001", "E" * 33])
def test_a_malformed_declaration_number_answers_422_naming_number(
    warehouse: Database, client: FlaskClient, number: str
):
    response = client.post(f"{API}/declarations", json=declaration_body(number=number))
    assert error_of(response, 422)["field"] == "number"


def test_an_unknown_declaration_answers_404(client: FlaskClient):
    error = error_of(client.get(f"{API}/declarations/ED-404"), 404)
    assert error == {
        "code": "not_found",
        "message": "no entry declaration ED-404",
        "field": "declaration_number",
    }


# --- receiving ------------------------------------------------------------------------------


def test_a_receipt_answers_201_with_what_was_received_against_the_line(
    warehouse: Database, client: FlaskClient
):
    response = post_receipt(
        client, key="r-1", product_code=f.MILK.gtin, lot_number="L-2411", quantity=60
    )
    body = ok(response, 201)
    assert isinstance(body["operation_id"], int)
    assert isinstance(body["lot_id"], int)
    assert {k: v for k, v in body.items() if k not in {"operation_id", "lot_id"}} == {
        "declaration_number": "ED-1",
        "line_no": 1,
        "sku": f.MILK.sku,
        "lot_number": "L-2411",
        "quantity": 60,
        "declared_quantity": 100,
        "received_quantity": 60,
        "outstanding_quantity": 40,
        "over_quantity": 0,
        "location": f.DOCK,
        "replayed": False,
    }
    assert stock(client) == [(f.MILK.sku, "L-2411", f.DOCK, 60)]
    assert line_states(client)[0] == (1, f.MILK.sku, 100, 60, -40, "partial", None)


def test_the_actor_named_in_x_actor_is_recorded_on_the_move(
    warehouse: Database, client: FlaskClient
):
    ok(post_receipt(client, actor="scanner-07"), 201)
    assert [m["actor"] for m in moves(client)] == ["scanner-07"]
    assert [m["document_ref"] for m in moves(client)] == ["ED-1"]


def test_a_receipt_without_x_actor_is_recorded_as_api(warehouse: Database, client: FlaskClient):
    ok(post_receipt(client), 201)
    assert [m["actor"] for m in moves(client)] == ["api"]


def test_the_actor_recorded_is_who_the_token_belongs_to_not_a_name_the_caller_sends(
    warehouse: Database, client: FlaskClient, page_client: FlaskClient
):
    dock = client.token_for("dock-scanner-3", "staff")  # type: ignore[attr-defined]
    sent = {"Authorization": f"Bearer {dock}", "X-Actor": "someone-else", "Idempotency-Key": "k1"}
    body = receipt_body()
    ok(page_client.post(f"{API}/declarations/ED-1/receipts", json=body, headers=sent), 201)
    operation = ok(client.get(f"{API}/operations/{moves(client)[0]['operation_id']}"))
    assert operation["actor"] == "dock-scanner-3"


def test_the_receipt_retried_with_the_same_key_posts_once(warehouse: Database, client: FlaskClient):
    first = ok(post_receipt(client, key="retry-me", quantity=60), 201)
    again = ok(post_receipt(client, key="retry-me", quantity=60), 200)
    assert again == {**first, "replayed": True}
    assert stock(client) == [(f.MILK.sku, "L1", f.DOCK, 60)]
    assert move_lines(client) == [("receipt", f.MILK.sku, "L1", "SHA1-V-SUPPLIER", f.DOCK, 60)]
    assert line_states(client)[0][3] == 60


def test_the_same_key_with_a_different_body_answers_409_and_changes_nothing(
    warehouse: Database, client: FlaskClient
):
    ok(post_receipt(client, key="once", quantity=60), 201)
    error = error_of(post_receipt(client, key="once", quantity=61), 409)
    assert error["code"] == "idempotency_key_reused"
    assert stock(client) == [(f.MILK.sku, "L1", f.DOCK, 60)]
    assert len(moves(client)) == 1


def test_a_reused_key_is_blamed_on_the_idempotency_key_header(
    warehouse: Database, client: FlaskClient
):
    ok(post_receipt(client, key="once", quantity=60), 201)
    error = error_of(post_receipt(client, key="once", quantity=61), 409)
    # The missing-key error names the header "Idempotency-Key"; so should this one.
    assert error["field"] == "Idempotency-Key"


def test_the_same_request_with_its_fields_in_another_order_is_a_replay(
    warehouse: Database, client: FlaskClient
):
    body = receipt_body(quantity=60)
    first = ok(
        client.post(f"{API}/declarations/ED-1/receipts", json=body, headers=headers("o")), 201
    )
    shuffled = dict(reversed(list(body.items())))
    again = client.post(f"{API}/declarations/ED-1/receipts", json=shuffled, headers=headers("o"))
    assert ok(again, 200) == {**first, "replayed": True}
    assert len(moves(client)) == 1


def test_a_receipt_key_reused_for_a_putaway_answers_409(warehouse: Database, client: FlaskClient):
    ok(post_receipt(client, key="shared"), 201)
    error = error_of(post_relocation(client, key="shared", quantity=5), 409)
    assert error["code"] == "idempotency_key_reused"
    assert stock(client) == [(f.MILK.sku, "L1", f.DOCK, 10)]


def test_the_same_key_on_another_declaration_answers_409(warehouse: Database, client: FlaskClient):
    f.declare(warehouse, "ED-2", (f.MILK.sku, 10))
    ok(post_receipt(client, key="k"), 201)
    assert error_of(post_receipt(client, "ED-2", key="k"), 409)["code"] == "idempotency_key_reused"


def test_a_receipt_without_an_idempotency_key_answers_422_naming_the_header(
    warehouse: Database, client: FlaskClient
):
    response = client.post(f"{API}/declarations/ED-1/receipts", json=receipt_body())
    error = error_of(response, 422)
    assert (error["code"], error["field"]) == ("invalid", "Idempotency-Key")
    assert moves(client) == []


@pytest.mark.parametrize("key", ["", "   ", "k" * 129])
def test_a_blank_or_overlong_idempotency_key_answers_422_naming_the_header(
    warehouse: Database, client: FlaskClient, key: str
):
    error = error_of(post_receipt(client, key=key), 422)
    assert error["field"] == "Idempotency-Key"
    assert moves(client) == []


def test_a_key_of_128_characters_is_accepted(warehouse: Database, client: FlaskClient):
    ok(post_receipt(client, key="k" * 128), 201)
    ok(post_receipt(client, key="k" * 128), 200)


def test_an_over_receipt_answers_409_until_accept_over_is_given(
    warehouse: Database, client: FlaskClient
):
    ok(post_receipt(client, product_code=f.SERUM.sku, lot_number="S1", quantity=40), 201)
    error = error_of(
        post_receipt(client, key="over", product_code=f.SERUM.sku, lot_number="S1", quantity=5),
        409,
    )
    assert error == {
        "code": "over_receipt",
        "message": "line 2 declares 40, 40 already received: 5 more would be over by 5; "
        "confirm with accept_over",
        "field": "quantity",
        "details": {"declared": 40, "received": 40},
    }
    assert stock(client, sku=f.SERUM.sku) == [(f.SERUM.sku, "S1", f.DOCK, 40)]

    # The refused attempt did not use up its key: the confirmed request goes through.
    body = ok(
        post_receipt(
            client,
            key="over",
            product_code=f.SERUM.sku,
            lot_number="S1",
            quantity=5,
            accept_over=True,
        ),
        201,
    )
    assert (body["received_quantity"], body["outstanding_quantity"], body["over_quantity"]) == (
        45,
        0,
        5,
    )
    assert stock(client, sku=f.SERUM.sku) == [(f.SERUM.sku, "S1", f.DOCK, 45)]
    assert line_states(client)[1] == (2, f.SERUM.sku, 40, 45, 5, "over", None)


def test_closing_records_short_and_over_discrepancies(warehouse: Database, client: FlaskClient):
    ok(post_receipt(client, quantity=60), 201)
    ok(
        post_receipt(
            client, product_code=f.SERUM.sku, lot_number="S1", quantity=42, accept_over=True
        ),
        201,
    )
    closed = ok(client.post(f"{API}/declarations/ED-1/close", headers=headers(actor="sup")))
    assert closed["status"] == "closed"
    assert isinstance(closed["closed_at"], str)
    assert closed["closed_at"].endswith("+00:00")
    assert [
        (ln["line_no"], ln["status"], ln["difference"], ln["discrepancy"]) for ln in closed["lines"]
    ] == [
        (1, "short", -40, {"kind": "short", "quantity": 40}),
        (2, "over", 2, {"kind": "over", "quantity": 2}),
    ]
    assert declaration(client) == closed
    listed = ok(client.get(f"{API}/declarations"))["declarations"]
    assert [(d["number"], d["status"]) for d in listed] == [("ED-1", "closed")]


def test_closing_a_fully_received_declaration_records_no_discrepancy(
    warehouse: Database, client: FlaskClient
):
    ok(post_receipt(client, quantity=100), 201)
    ok(post_receipt(client, product_code=f.SERUM.sku, lot_number="S1", quantity=40), 201)
    closed = ok(client.post(f"{API}/declarations/ED-1/close"))
    assert [(ln["status"], ln["discrepancy"]) for ln in closed["lines"]] == [
        ("complete", None),
        ("complete", None),
    ]


def test_receiving_on_a_closed_declaration_answers_409(warehouse: Database, client: FlaskClient):
    ok(client.post(f"{API}/declarations/ED-1/close"))
    error = error_of(post_receipt(client), 409)
    assert error == {
        "code": "conflict",
        "message": "declaration ED-1 is closed for receiving",
        "field": "declaration_number",
    }
    assert moves(client) == []


def test_a_receipt_replayed_after_closing_still_answers_its_first_result(
    warehouse: Database, client: FlaskClient
):
    first = ok(post_receipt(client, key="before-close"), 201)
    ok(client.post(f"{API}/declarations/ED-1/close"))
    assert ok(post_receipt(client, key="before-close"), 200) == {**first, "replayed": True}


def test_closing_twice_answers_409(warehouse: Database, client: FlaskClient):
    ok(client.post(f"{API}/declarations/ED-1/close"))
    error = error_of(client.post(f"{API}/declarations/ED-1/close"), 409)
    assert (error["code"], error["field"]) == ("conflict", "declaration_number")


def test_receiving_on_an_unknown_declaration_answers_404(warehouse: Database, client: FlaskClient):
    error = error_of(post_receipt(client, "ED-404"), 404)
    assert (error["code"], error["field"]) == ("not_found", "declaration_number")
    assert moves(client) == []


def test_closing_an_unknown_declaration_answers_404(client: FlaskClient):
    error = error_of(client.post(f"{API}/declarations/ED-404/close"), 404)
    assert error["field"] == "declaration_number"


def test_a_product_not_on_the_declaration_answers_404_naming_product_code(
    warehouse: Database, client: FlaskClient
):
    f.declare(warehouse, "ED-2", (f.SERUM.sku, 5))
    error = error_of(post_receipt(client, "ED-2"), 404)
    assert error["field"] == "product_code"


def test_an_unknown_product_answers_404_naming_product_code(
    warehouse: Database, client: FlaskClient
):
    assert error_of(post_receipt(client, product_code="NOPE"), 404)["field"] == "product_code"


def test_a_product_on_two_lines_needs_the_line_number(warehouse: Database, client: FlaskClient):
    f.declare(warehouse, "ED-2", (f.MILK.sku, 10), (f.MILK.sku, 20))
    error = error_of(post_receipt(client, "ED-2"), 422)
    assert error == {
        "code": "invalid",
        "message": "this product is on lines 1, 2: say which line",
        "field": "line_no",
    }
    body = ok(post_receipt(client, "ED-2", line_no=2, quantity=20), 201)
    assert (body["line_no"], body["outstanding_quantity"]) == (2, 0)
    assert [s[3] for s in line_states(client, "ED-2")] == [0, 20]
    assert error_of(post_receipt(client, "ED-2", line_no=7), 404)["field"] == "line_no"


@pytest.mark.parametrize(
    ("barcode", "status"),
    [(f.BINS[0], 422), (f.SHOWROOM, 422), ("SHA1-V-SUPPLIER", 422), ("NOPE-DOCK", 404)],
)
def test_goods_are_received_only_onto_a_bonded_dock(
    warehouse: Database, client: FlaskClient, barcode: str, status: int
):
    error = error_of(post_receipt(client, dock_barcode=barcode), status)
    assert error["field"] == "dock_barcode"
    assert moves(client) == []


def test_goods_are_not_received_onto_the_dock_of_another_warehouse(
    warehouse: Database, client: FlaskClient
):
    second_warehouse(warehouse)
    error = error_of(post_receipt(client, dock_barcode="NGB1-DOCK"), 422)
    assert error == {
        "code": "invalid",
        "message": "this dock is in another warehouse",
        "field": "dock_barcode",
    }
    assert moves(client) == []


def test_an_expiry_before_production_answers_422_naming_expiry_date(
    warehouse: Database, client: FlaskClient
):
    response = post_receipt(client, production_date="2028-07-01", expiry_date="2028-06-30")
    assert error_of(response, 422)["field"] == "expiry_date"


def test_a_lot_keeps_the_expiry_it_was_received_with(warehouse: Database, client: FlaskClient):
    ok(post_receipt(client), 201)
    error = error_of(post_receipt(client, expiry_date="2029-01-01"), 422)
    assert error["field"] == "expiry_date"
    assert stock(client) == [(f.MILK.sku, "L1", f.DOCK, 10)]


@pytest.mark.parametrize("quantity", [1.5, 10.0, "10", True, 0, -10, None, 10_000_001])
def test_a_quantity_that_is_not_a_positive_json_integer_answers_422_naming_quantity(
    warehouse: Database, client: FlaskClient, quantity: object
):
    error = error_of(post_receipt(client, quantity=quantity), 422)
    assert (error["code"], error["field"]) == ("invalid", "quantity")
    assert moves(client) == []


def test_an_unknown_field_in_a_receipt_answers_422_naming_it(
    warehouse: Database, client: FlaskClient
):
    error = error_of(post_receipt(client, pallet="P-1"), 422)
    assert error["field"] == "pallet"


# --- putaway and transfer -------------------------------------------------------------------


@pytest.fixture
def on_dock(warehouse: Database) -> Database:
    """60 milk of lot L1 on the dock."""
    f.receive(warehouse, "ED-1", f.MILK.sku, "L1", 60)
    return warehouse


def test_putaway_moves_stock_from_the_dock_to_a_bin(on_dock: Database, client: FlaskClient):
    body = ok(post_relocation(client, quantity=45), 201)
    assert {k: v for k, v in body.items() if k not in {"operation_id", "lot_id"}} == {
        "sku": f.MILK.sku,
        "lot_number": "L1",
        "quantity": 45,
        "from": f.DOCK,
        "to": f.BINS[0],
        "replayed": False,
    }
    assert stock(client) == [
        (f.MILK.sku, "L1", f.BINS[0], 45),
        (f.MILK.sku, "L1", f.DOCK, 15),
    ]
    assert move_lines(client)[-1] == ("putaway", f.MILK.sku, "L1", f.DOCK, f.BINS[0], 45)


def test_a_putaway_by_gtin_is_the_same_putaway(on_dock: Database, client: FlaskClient):
    ok(post_relocation(client, product_code=f.MILK.gtin, quantity=60), 201)
    assert stock(client) == [(f.MILK.sku, "L1", f.BINS[0], 60)]


def test_a_putaway_retried_with_the_same_key_moves_once(on_dock: Database, client: FlaskClient):
    first = ok(post_relocation(client, key="p-1", quantity=20), 201)
    assert ok(post_relocation(client, key="p-1", quantity=20), 200) == {**first, "replayed": True}
    assert stock(client) == [
        (f.MILK.sku, "L1", f.BINS[0], 20),
        (f.MILK.sku, "L1", f.DOCK, 40),
    ]
    assert len(moves(client)) == 2


@pytest.mark.parametrize("kind", ["putaways", "transfers"])
def test_taking_more_than_is_there_answers_409_and_writes_nothing(
    on_dock: Database, client: FlaskClient, kind: str
):
    before = moves(client)
    error = error_of(post_relocation(client, kind, key="too-many", quantity=61), 409)
    assert error == {
        "code": "insufficient_stock",
        "message": f"only 60 of {f.MILK.sku} lot L1 available at {f.DOCK}",
        "field": "lines[0].quantity",
        "details": {"sku": f.MILK.sku, "lot": "L1", "location": f.DOCK, "available": 60},
    }
    assert moves(client) == before
    assert stock(client) == [(f.MILK.sku, "L1", f.DOCK, 60)]
    # Nothing was written, so the key is still free for the corrected request.
    ok(post_relocation(client, kind, key="too-many", quantity=60), 201)


def test_putaway_into_a_duty_paid_bin_is_refused(on_dock: Database, client: FlaskClient):
    error = error_of(post_relocation(client, to_barcode=f.DOMESTIC_BIN), 422)
    assert error == {
        "code": "invalid",
        "message": "moving stock in or out of the bonded account is a customs release, "
        "not a putaway",
        "field": "to_barcode",
    }
    assert stock(client) == [(f.MILK.sku, "L1", f.DOCK, 60)]


@pytest.mark.parametrize("target", [f.DOCK, f.SHOWROOM, "SHA1-V-CUSTOMER"])
def test_putaway_goes_to_a_bin_only(on_dock: Database, client: FlaskClient, target: str):
    error = error_of(post_relocation(client, to_barcode=target, from_barcode=f.DOCK), 422)
    assert error["field"] == "to_barcode"
    assert stock(client) == [(f.MILK.sku, "L1", f.DOCK, 60)]


def test_a_putaway_into_the_quarantine_bin_is_allowed(on_dock: Database, client: FlaskClient):
    ok(post_relocation(client, to_barcode=f.QUARANTINE, quantity=5), 201)
    assert stock(client, location=f.QUARANTINE) == [(f.MILK.sku, "L1", f.QUARANTINE, 5)]


@pytest.mark.parametrize("source", ["SHA1-V-SUPPLIER", f.SHOWROOM])
def test_stock_is_relocated_only_from_a_bin_or_dock(
    on_dock: Database, client: FlaskClient, source: str
):
    error = error_of(post_relocation(client, "transfers", from_barcode=source), 422)
    assert error["field"] == "from_barcode"


def test_a_relocation_to_the_same_place_is_refused(on_dock: Database, client: FlaskClient):
    error = error_of(post_relocation(client, "transfers", to_barcode=f.DOCK), 422)
    assert error["field"] == "to_barcode"


def test_a_lot_that_is_not_at_the_source_answers_404_naming_lot_number(
    on_dock: Database, client: FlaskClient
):
    error = error_of(post_relocation(client, lot_number="L2"), 404)
    assert error["field"] == "lot_number"


@pytest.mark.parametrize("field", ["from_barcode", "to_barcode"])
def test_an_unknown_barcode_answers_404_naming_it(
    on_dock: Database, client: FlaskClient, field: str
):
    error = error_of(post_relocation(client, **{field: "NOPE-1"}), 404)
    assert error["field"] == field


def test_a_transfer_moves_stock_between_bins_and_back_to_the_dock(
    on_dock: Database, client: FlaskClient
):
    ok(post_relocation(client, quantity=50), 201)
    moved = ok(
        post_relocation(
            client, "transfers", from_barcode=f.BINS[0], to_barcode=f.BINS[1], quantity=30
        ),
        201,
    )
    assert (moved["from"], moved["to"], moved["quantity"]) == (f.BINS[0], f.BINS[1], 30)
    ok(
        post_relocation(client, "transfers", from_barcode=f.BINS[1], to_barcode=f.DOCK, quantity=5),
        201,
    )
    assert stock(client) == [
        (f.MILK.sku, "L1", f.BINS[0], 20),
        (f.MILK.sku, "L1", f.BINS[1], 25),
        (f.MILK.sku, "L1", f.DOCK, 15),
    ]
    assert [m[0] for m in move_lines(client)] == ["receipt", "putaway", "transfer", "transfer"]


def test_a_transfer_out_of_the_bonded_account_is_refused(on_dock: Database, client: FlaskClient):
    ok(post_relocation(client, quantity=10), 201)
    response = post_relocation(
        client, "transfers", from_barcode=f.BINS[0], to_barcode=f.DOMESTIC_BIN
    )
    assert error_of(response, 422)["field"] == "to_barcode"


@pytest.mark.parametrize("kind", ["putaways", "transfers"])
def test_stock_does_not_move_between_warehouses(on_dock: Database, client: FlaskClient, kind: str):
    second_warehouse(on_dock)
    error = error_of(post_relocation(client, kind, to_barcode="NGB1-A-01"), 422)
    assert error == {
        "code": "invalid",
        "message": "the two places are in different warehouses",
        "field": "to_barcode",
    }
    assert stock(client) == [(f.MILK.sku, "L1", f.DOCK, 60)]


def test_a_relocation_without_an_idempotency_key_answers_422(
    on_dock: Database, client: FlaskClient
):
    response = client.post(f"{API}/putaways", json=relocate_body())
    assert error_of(response, 422)["field"] == "Idempotency-Key"
    assert stock(client) == [(f.MILK.sku, "L1", f.DOCK, 60)]


@pytest.mark.parametrize("quantity", [2.5, "2", 0, -2, False])
def test_a_relocated_quantity_must_be_a_positive_json_integer(
    on_dock: Database, client: FlaskClient, quantity: object
):
    assert error_of(post_relocation(client, quantity=quantity), 422)["field"] == "quantity"
