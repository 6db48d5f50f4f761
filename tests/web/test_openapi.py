"""The API's OpenAPI document, and schemathesis fuzzing every operation it describes.

The fuzz test asks schemathesis for valid and invalid input to each operation (a fixed
number of examples, derandomised, no shrinking), sends it in-process to the WSGI app
with an admin token, and checks the answers: never a 5xx; status codes, media types and
bodies as the document says; input the document calls invalid refused.  By hand:
WMS_FUZZ_EXAMPLES=100 for a longer run, WMS_FUZZ_SEED=N for other data.
"""

from __future__ import annotations

import os
import re
import time
from typing import Any

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis import BaseSchema, Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests import factories as f
from tests.integration.outbound import support as o
from tests.web.support import API, declaration_body, headers, ok, product_body, receipt_body
from wms.db import Database
from wms.services import brokers, unit_of_work
from wms.web.openapi import DOCUMENT_PATH

EXAMPLES = int(os.environ.get("WMS_FUZZ_EXAMPLES", "12"))
SEED = os.environ.get("WMS_FUZZ_SEED")  # set: other data than the fixed default
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,  # input the document calls invalid is refused (4xx)
]
_PARAM = re.compile(r"<(?:[a-z]+(?:\([^)]*\))?:)?(\w+)>")


def _operations(app: Flask) -> set[tuple[str, str]]:
    """Every (METHOD, /path/{param}) the API answers."""
    out = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and rule.rule != DOCUMENT_PATH:
            for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
                out.add((method, _PARAM.sub(r"{\1}", rule.rule)))
    return out


def test_the_document_describes_every_api_route(app: Flask, client: FlaskClient) -> None:
    response = client.get(DOCUMENT_PATH)
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    documented = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    assert documented == _operations(app)
    assert len(documented) > 90
    for path, item in document["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            statuses = set(operation["responses"])
            assert statuses & {"200", "201"}, where
            assert {"401", "403", "422"} <= statuses, where
            if method != "get":
                assert "409" in statuses, where
            assert operation["security"][0] == {"bearer": []}, where
            assert operation["x-roles"] and "admin" in operation["x-roles"], where
            for status in ("401", "403", "422"):
                schema = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, where
            for parameter in operation["parameters"]:
                if parameter["in"] == "path":
                    assert parameter["name"] in path, where


def test_the_document_uses_the_views_own_models(client: FlaskClient) -> None:
    document = client.get(DOCUMENT_PATH).get_json()
    schemas = document["components"]["schemas"]
    product = document["paths"]["/api/v1/products"]["post"]
    assert product["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ProductIn"
    }
    assert schemas["ProductIn"]["additionalProperties"] is False  # extra="forbid"
    assert schemas["ProductIn"]["properties"]["sku"]["maxLength"] == 40
    order = document["paths"]["/api/v1/orders/{order_id}"]["get"]
    assert order["parameters"][0]["schema"] == {"type": "integer", "minimum": 0}
    stock = document["paths"]["/api/v1/stock"]["get"]
    assert {p["name"] for p in stock["parameters"]} >= {"sku", "lot", "as_of"}
    receive = document["paths"]["/api/v1/declarations/{number}/receipts"]["post"]
    header = next(p for p in receive["parameters"] if p["in"] == "header")
    assert header["name"] == "Idempotency-Key" and header["required"] is True
    assert set(receive["responses"]) >= {"200", "201", "404", "409", "422"}
    label = document["paths"]["/api/v1/parcels/{number}/label"]["post"]
    assert "application/pdf" in label["responses"]["200"]["content"]
    assert document["paths"]["/api/v1/moves"]["get"]["x-roles"] == ["admin", "planner", "staff"]
    assert set(document["components"]["securitySchemes"]) == {"bearer", "session", "csrf"}


def test_the_document_is_for_signed_in_callers(page_client: FlaskClient) -> None:
    response = page_client.get(DOCUMENT_PATH)
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"


@pytest.fixture
def world(db: Database, client: FlaskClient) -> dict[str, str]:
    """Things to fuzz against besides unknown ones: stock in bins, orders received,
    cleared and packed, a wave, a release batch with a parcel on it, a loan, a customs
    list.  Returns the path values that name them, by the collection they are in."""
    o.picking_warehouse(db)
    o.receive_order(db, (f.MILK.sku, 1))  # one order that has not gone further
    cleared = o.cleared_order(db, (f.MILK.sku, 1))
    parcel = o.labelled_parcel(db, o.receive_order(db, (f.SERUM.sku, 1)))
    wave = ok(client.post(f"{API}/waves", json={"warehouse": f.WAREHOUSE}), 201)["number"]
    batch = ok(
        client.post(
            f"{API}/release-batches", json={"warehouse": f.WAREHOUSE, "vehicle_plate": "沪A12345"}
        ),
        201,
    )["number"]
    ok(
        client.post(
            f"{API}/release-batches/{batch}/parcels",
            json={"parcel_code": parcel},
            headers=headers("fuzz-load"),
        )
    )
    loan = {"sku": f.SERUM.sku, "lot_number": "S1", "quantity": 1}
    loan_number = ok(
        client.post(
            f"{API}/loans",
            json={"showroom_barcode": f.SHOWROOM, "due_date": "2027-01-31", "items": [loan]},
        ),
        201,
    )["number"]
    lists = ok(client.get(f"{API}/customs/declarations"))["declarations"]
    operation = ok(client.get(f"{API}/moves"))["moves"][0]["operation_id"]
    return {
        "declarations": "ED-1",
        "customs/declarations": lists[0]["number"],
        "orders": str(cleared),
        "waves": wave,
        "parcels": parcel,
        "release-batches": batch,
        "loans": loan_number,
        "documents": "out",
        "warehouses": f.WAREHOUSE,
        "products": f.MILK.sku,
        "locations": f.BINS[0],
        "count-sheets": f.BINS[0],
        "showrooms": f.SHOWROOM,
        "operations": str(operation),
    }


def _known(path: str, world: dict[str, str]) -> dict[str, str] | None:
    """Path values naming things that exist, or None when some do not."""
    values = {}
    segments = path.removeprefix(API + "/").split("/")
    for i, segment in enumerate(segments):
        name = re.fullmatch(r"\{(\w+)\}(?:\.\w+)?", segment)
        if name is None:
            continue
        collection = "/".join(segments[max(0, i - 2) : i])
        key = collection if collection in world else segments[i - 1]
        if key not in world:
            return None
        values[name[1]] = world[key]
    return values


def _admin(app: Flask, db: Database) -> tuple[BaseSchema, dict[str, str]]:
    token = unit_of_work.run(db, lambda s: brokers.issue_token(s, "fuzz", role="admin"))
    auth = {"Authorization": f"Bearer {token}"}
    return schemathesis.openapi.from_wsgi(DOCUMENT_PATH, app, headers=auth), auth


def test_the_main_answers_are_as_documented(
    app: Flask, world: dict[str, str], db: Database
) -> None:
    """A short day through the operations whose bodies have a model: each answer is
    checked against the document (status, media type, body)."""
    schema, auth = _admin(app, db)

    def call(method: str, path: str, status: int, **given: Any) -> Any:
        key = given.pop("key", None)
        sent = auth | ({"Idempotency-Key": key} if key else {})
        case = schema[f"{API}{path}"][method].Case(headers=sent, **given)
        response = case.call(headers=sent)
        case.validate_response(response, checks=CHECKS, headers=sent)
        assert response.status_code == status, response.text
        return response.json()

    call("POST", "/warehouses", 201, body={"code": "SHA2", "name": "Second"})
    call(
        "POST",
        "/warehouses/{code}/zones",
        201,
        path_parameters={"code": "SHA2"},
        body={"code": "A", "name": "Ambient", "is_bonded": True},
    )
    location = {"warehouse_code": "SHA2", "code": "A-01", "kind": "bin", "zone_code": "A"}
    call("POST", "/locations", 201, body=location)
    assert call("GET", "/warehouses", 200)["warehouses"][1]["zones"][0]["code"] == "A"
    call("GET", "/locations", 200, query={"warehouse": "SHA2", "kind": "bin"})
    call("GET", "/locations/{barcode}", 200, path_parameters={"barcode": f.BINS[0]})
    call("POST", "/products", 201, body=product_body())
    call("GET", "/products", 200, query={"q": "tea"})
    call("GET", "/products/{code}", 200, path_parameters={"code": f.MILK.gtin})
    call("POST", "/declarations", 201, body=declaration_body())
    receipt = receipt_body(lot_number="L9")
    call(
        "POST",
        "/declarations/{number}/receipts",
        201,
        path_parameters={"number": "ED-1"},
        body=receipt,
        key="answers-1",
    )
    call(
        "POST",
        "/declarations/{number}/receipts",
        200,
        path_parameters={"number": "ED-1"},
        body=receipt,
        key="answers-1",
    )  # the retry
    call("GET", "/declarations", 200)
    call("POST", "/declarations/{number}/close", 200, path_parameters={"number": "ED-2026-0001"})
    call("GET", "/stock", 200, query={"sku": f.MILK.sku, "bonded": "true"})
    moves = call("GET", "/moves", 200, query={"limit": 5})["moves"]
    call(
        "GET",
        "/operations/{operation_id}",
        200,
        path_parameters={"operation_id": moves[0]["operation_id"]},
    )
    call("GET", "/account-book", 200, query={"declaration": "ED-1"})
    assert call("GET", "/account-book/reconciliation", 200)["reconciled"] is True
    domestic = {
        "channel": o.CHANNEL,
        "order_number": "ANSWERS-1",
        "flow": "domestic",
        "warehouse": f.WAREHOUSE,
        "consignee": {
            "name": "王五",
            "phone": "13700000001",
            "country": "CN",
            "city": "杭州市",
            "address": "文三路1号",
        },
        "lines": [{"sku": f.MILK.sku, "quantity": 1, "unit_price": "99.00"}],
    }
    order = call("POST", "/orders", 201, body=domestic)
    assert order["consignee"]["phone"] != "13700000001"  # masked
    call("POST", "/orders", 200, body=domestic)  # the same order again
    received = {"status": "received", "flow": "bonded_import"}
    bonded = {"order_id": call("GET", "/orders", 200, query=received)["orders"][0]["id"]}
    call("POST", "/orders/{order_id}/allocate", 200, path_parameters=bonded)
    planned = call(
        "POST",
        "/orders/{order_id}/plan",
        200,
        path_parameters=bonded,
        body={"courier_code": "SF", "tracking_number": "SF0000000001"},
    )
    assert planned["tracking_number"] == "SF0000000001"
    batch = call(
        "POST",
        "/release-batches",
        201,
        body={"warehouse": f.WAREHOUSE, "vehicle_plate": "沪B54321"},
    )
    call("GET", "/release-batches/{number}", 200, path_parameters={"number": batch["number"]})
    number = {"number": world["release-batches"]}
    call(
        "POST",
        "/release-batches/{number}/close",
        200,
        path_parameters=number,
        body={"seal_number": "SEAL-1"},
    )
    call("POST", "/release-batches/{number}/reopen", 200, path_parameters=number)
    loaded = call("GET", "/release-batches/{number}", 200, path_parameters=number)
    assert loaded["parcels"][0]["number"] == world["parcels"]


def test_fuzz_every_operation(app: Flask, world: dict[str, str], db: Database) -> None:
    schema, auth = _admin(app, db)
    failures: list[str] = []
    calls = 0
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        both = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        known = _known(operation.path, world) if "{" in operation.path else None
        # Generated path values (mostly naming nothing), then, where the world has what
        # the path names, valid and invalid input against the real thing.
        rounds = [(None, both)] if known is None else [(None, both[:1]), (known, both)]
        for path_values, modes in rounds:
            for mode in modes:
                strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_values)

                @settings(
                    max_examples=EXAMPLES,
                    derandomize=SEED is None,
                    phases=[Phase.explicit, Phase.generate],  # no shrinking
                    deadline=None,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                )
                @given(case=strategy)
                def fuzz(case: Case) -> None:
                    nonlocal calls
                    calls += 1
                    response = case.call(headers=auth)
                    case.validate_response(response, checks=CHECKS, headers=auth)

                if SEED:
                    fuzz = seed(int(SEED))(fuzz)
                try:
                    fuzz()
                except (Exception, BaseExceptionGroup) as exc:  # every failure, not the first
                    where = f" {path_values}" if path_values else ""
                    failures.append(f"{operation.label}{where} [{mode.value}]: {_short(exc)}")
    elapsed = time.monotonic() - started
    print(f"fuzzed {calls} calls in {elapsed:.1f} s")
    assert not failures, "\n\n".join(failures)


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text[:4000]
