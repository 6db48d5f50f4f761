"""Every refusal is a JSON error naming what was wrong; no request ever answers 500."""

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
    ok,
    product_body,
    receipt_body,
    relocate_body,
)
from wms.db import Database

# --- routing errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/nope", "/warehouses/SHA1", "/operations/abc/reversal", "/declarations/ED-1/x"]
)
def test_an_unknown_api_route_answers_a_json_404(client: FlaskClient, path: str):
    error = error_of(client.get(API + path), 404)
    assert set(error) == {"code", "message"}
    assert error["code"] == "not_found"
    assert error["message"].startswith("The requested URL was not found on the server.")


def test_an_unknown_api_route_answers_404_to_a_post_too(client: FlaskClient):
    assert error_of(client.post(f"{API}/nope", json={}), 404)["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("delete", "/warehouses"),
        ("get", "/putaways"),
        ("put", "/products/MILK-900"),
        ("get", "/declarations/ED-1/receipts"),
        ("patch", "/locations"),
        ("get", "/operations/1/reversal"),
    ],
)
def test_a_wrong_method_answers_a_json_405(client: FlaskClient, method: str, path: str):
    error = error_of(getattr(client, method)(API + path), 405)
    assert set(error) == {"code", "message"}
    assert error["code"] == "method_not_allowed"
    assert error["message"] == "The method is not allowed for the requested URL."


def test_a_405_says_which_methods_are_allowed(client: FlaskClient):
    response = client.delete(f"{API}/warehouses")
    assert response.status_code == 405
    assert set(response.headers.get("Allow", "").replace(" ", "").split(",")) == {
        "GET",
        "HEAD",
        "OPTIONS",
        "POST",
    }


def test_a_page_outside_the_api_answers_an_html_404(client: FlaskClient):
    response = client.get("/nope")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


# --- the body must be one JSON object -------------------------------------------------------


@pytest.fixture
def ready(warehouse: Database) -> Database:
    """The standard warehouse (ED-1 declared) with 60 milk of lot L1 on the dock."""
    f.receive(warehouse, "ED-1", f.MILK.sku, "L1", 60)
    return warehouse


@pytest.fixture
def prepared(request: pytest.FixtureRequest, db: Database, endpoint: str) -> Database:
    """Just what ``endpoint`` needs for its valid body to succeed (set-up is most of the
    time of the many junk cases)."""
    if endpoint in {"warehouse", "product"}:
        return db
    if endpoint in {"zone", "location", "declaration"}:
        f.build_warehouse(db)
        return db
    return request.getfixturevalue("ready")  # type: ignore[no-any-return]


# path, a valid body, whether it needs an Idempotency-Key
BODY_ENDPOINTS: dict[str, tuple[str, dict[str, Any], bool]] = {
    "warehouse": ("/warehouses", {"code": "NGB1", "name": "Ningbo"}, False),
    "zone": ("/warehouses/SHA1/zones", {"code": "Z", "name": "Zone Z", "is_bonded": True}, False),
    "location": (
        "/locations",
        {"warehouse_code": "SHA1", "code": "A-09", "kind": "bin", "zone_code": "A"},
        False,
    ),
    "product": ("/products", product_body(), False),
    "declaration": ("/declarations", declaration_body(), False),
    "receipt": ("/declarations/ED-1/receipts", receipt_body(), True),
    "putaway": ("/putaways", relocate_body(), True),
    "transfer": ("/transfers", relocate_body(), True),
}


def post(client: FlaskClient, endpoint: str, **kwargs: Any) -> Any:
    path, _, keyed = BODY_ENDPOINTS[endpoint]
    return client.post(API + path, headers=headers(f.key("junk") if keyed else None), **kwargs)


BAD_BODIES: dict[str, dict[str, Any]] = {
    "json-array": {"json": [{"code": "NGB1"}]},
    "json-string": {"json": "NGB1"},
    "json-number": {"json": 42},
    "json-null": {"data": "null", "content_type": "application/json"},
    "json-true": {"json": True},
    "not-json": {"data": "code=NGB1&name=x", "content_type": "application/json"},
    "truncated-json": {"data": '{"code": "NGB1", ', "content_type": "application/json"},
    "empty": {"data": "", "content_type": "application/json"},
    "form-encoded": {"data": {"code": "NGB1", "name": "x"}},
    "plain-text": {"data": '{"code": "NGB1"}', "content_type": "text/plain"},
    "bad-utf8": {"data": b'{"code": "\xff\xfe"}', "content_type": "application/json"},
    "no-body": {},
}


@pytest.mark.parametrize("endpoint", list(BODY_ENDPOINTS))
@pytest.mark.parametrize("bad", list(BAD_BODIES))
def test_a_body_that_is_not_a_json_object_answers_422_naming_body(
    prepared: Database, client: FlaskClient, endpoint: str, bad: str
):
    error = error_of(post(client, endpoint, **BAD_BODIES[bad]), 422)
    assert error == {
        "code": "invalid",
        "message": "the request body must be a JSON object",
        "field": "body",
    }


@pytest.mark.parametrize("endpoint", list(BODY_ENDPOINTS))
def test_a_deeply_nested_json_body_answers_422_naming_body(
    ready: Database, client: FlaskClient, endpoint: str
):
    nested = "[" * 100_000 + "]" * 100_000
    response = post(client, endpoint, data=nested, content_type="application/json")
    assert error_of(response, 422)["field"] == "body"


# --- junk in every field of every POST body -------------------------------------------------

JUNK: dict[str, Any] = {
    "null": None,
    "float": 1.5,
    "negative": -1,
    "empty-string": "",
    "blank-string": "   ",
    "huge-string": "x" * 100_000,
    "nested-object": {"$gt": {"a": [1, {"b": None}]}},
    "list": [1, 2, 3],
    "huge-int": 2**70,
    "bool": True,
}

# Where a junk value is in fact a valid value for the field, it is not junk there.
OPTIONAL = {
    "customs_area_code",
    "address",
    "name@location",
    "barcode",
    "zone_code",
    "is_bonded@location",
    "is_sellable",
    "gtin",
    "expiry_date",
    "production_date",
    "line_no@receipt",
}
MONEY = {"declared_unit_value", "unit_value"}
BOOLEAN = {"is_bonded", "is_sellable", "has_battery", "is_liquid", "accept_over"}
EXTRA_FIELDS = {
    "product": {"has_battery": False, "is_liquid": False},
    "receipt": {"line_no": 1, "production_date": "2026-01-01", "accept_over": False},
    "location": {"name": "Bin A-09", "barcode": "LBL-A-09", "is_bonded": True, "is_sellable": True},
    "warehouse": {"customs_area_code": "2216", "address": "1 Bonded Road"},
}


def junk_is_valid(endpoint: str, field: str, junk: str) -> bool:
    name = field.rsplit(".", 1)[-1]
    if junk == "null" and (name in OPTIONAL or f"{name}@{endpoint}" in OPTIONAL):
        return True
    if junk == "float" and name in MONEY:
        return True
    return junk == "bool" and name in BOOLEAN


def full_body(endpoint: str) -> dict[str, Any]:
    body = dict(BODY_ENDPOINTS[endpoint][1])
    body.update(EXTRA_FIELDS.get(endpoint, {}))
    return body


def field_paths(endpoint: str) -> list[str]:
    body = full_body(endpoint)
    paths = [name for name in body if name != "lines"]
    if "lines" in body:
        paths += [f"lines[0].{name}" for name in body["lines"][0]]
    return paths


def with_value(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    body = {**body, "lines": [dict(ln) for ln in body["lines"]]} if "lines" in body else dict(body)
    if path.startswith("lines[0]."):
        body["lines"][0][path.removeprefix("lines[0].")] = value
    else:
        body[path] = value
    return body


@pytest.mark.parametrize("endpoint", list(BODY_ENDPOINTS))
@pytest.mark.parametrize("shape", ["required-fields-only", "every-field"])
def test_every_post_endpoint_accepts_the_valid_body_the_junk_is_put_into(
    prepared: Database, client: FlaskClient, endpoint: str, shape: str
):
    body = BODY_ENDPOINTS[endpoint][1] if shape == "required-fields-only" else full_body(endpoint)
    response = post(client, endpoint, json=body)
    assert response.status_code == 201, response.get_data(as_text=True)


JUNK_CASES = [
    pytest.param(endpoint, path, junk, id=f"{endpoint}-{path}-{junk}")
    for endpoint in BODY_ENDPOINTS
    for path in field_paths(endpoint)
    for junk in JUNK
    if not junk_is_valid(endpoint, path, junk)
]


@pytest.mark.parametrize(("endpoint", "path", "junk"), JUNK_CASES)
def test_junk_in_any_field_answers_a_4xx_json_error_naming_that_field(
    prepared: Database, client: FlaskClient, endpoint: str, path: str, junk: str
):
    body = with_value(full_body(endpoint), path, JUNK[junk])
    response = post(client, endpoint, json=body)
    assert 400 <= response.status_code < 500, (
        response.status_code,
        response.get_data(as_text=True),
    )
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert isinstance(error["message"], str)
    assert error["field"] == path


TEXT_FIELDS = [
    pytest.param(endpoint, path, id=f"{endpoint}-{path}")
    for endpoint, path in [
        ("warehouse", "code"),
        ("warehouse", "name"),
        ("warehouse", "address"),
        ("zone", "code"),
        ("zone", "name"),
        ("location", "code"),
        ("location", "name"),
        ("location", "warehouse_code"),
        ("product", "sku"),
        ("product", "name"),
        ("product", "tax_category"),
        ("declaration", "importer"),
        ("declaration", "warehouse_code"),
        ("declaration", "lines[0].sku"),
        ("receipt", "lot_number"),
        ("receipt", "product_code"),
        ("receipt", "dock_barcode"),
        ("putaway", "lot_number"),
        ("putaway", "to_barcode"),
    ]
]


@pytest.mark.parametrize(("endpoint", "path"), TEXT_FIELDS)
def test_a_nul_byte_in_a_text_field_answers_a_4xx_json_error_naming_that_field(
    prepared: Database, client: FlaskClient, endpoint: str, path: str
):
    # JSON may carry "\u0000"; PostgreSQL text cannot hold it and a code should not.
    body = with_value(full_body(endpoint), path, "A\u0000B")
    response = post(client, endpoint, json=body)
    assert 400 <= response.status_code < 500, (
        response.status_code,
        response.get_data(as_text=True),
    )
    assert response.get_json()["error"]["field"] == path


# --- headers and paths of the stock operations ----------------------------------------------


@pytest.mark.parametrize("endpoint", ["receipt", "putaway", "transfer"])
@pytest.mark.parametrize(
    ("header", "value", "field"),
    [
        ("Idempotency-Key", "k" * 129, "Idempotency-Key"),
        ("Idempotency-Key", " ", "Idempotency-Key"),
    ],
    ids=["long-key", "blank-key"],
)
def test_bad_headers_answer_422_naming_the_header(
    ready: Database, client: FlaskClient, endpoint: str, header: str, value: str, field: str
):
    path, body, _ = BODY_ENDPOINTS[endpoint]
    sent = {"Idempotency-Key": "good-key", header: value}
    error = error_of(client.post(API + path, json=body, headers=sent), 422)
    assert error["field"] == field


@pytest.mark.parametrize(
    ("path", "header", "value"),
    [
        ("/operations/1/reversal", "Idempotency-Key", "k" * 129),
    ],
    ids=["reversal-long-key"],
)
def test_the_body_free_posts_refuse_bad_headers_with_422_naming_the_header(
    ready: Database, client: FlaskClient, path: str, header: str, value: str
):
    sent = {"Idempotency-Key": "good-key", header: value}
    error = error_of(client.post(API + path, headers=sent), 422)
    assert error["field"] == header
    assert ok(client.get(f"{API}/declarations/ED-1"))["status"] == "open"
    assert len(ok(client.get(f"{API}/moves"))["moves"]) == 1


@pytest.mark.parametrize("operation_id", ["0", "999", str(2**63), str(2**70)])
def test_reversing_an_operation_that_does_not_exist_answers_404_whatever_its_id(
    ready: Database, client: FlaskClient, operation_id: str
):
    response = client.post(
        f"{API}/operations/{operation_id}/reversal", headers=headers("undo-nothing")
    )
    error = error_of(response, 404)
    assert error["field"] == "operation_id"


@pytest.mark.parametrize("operation_id", ["0", str(2**63), str(2**70)])
def test_reading_an_operation_that_does_not_exist_answers_404_whatever_its_id(
    client: FlaskClient, operation_id: str
):
    error = error_of(client.get(f"{API}/operations/{operation_id}"), 404)
    assert error["field"] == "operation_id"


@pytest.mark.parametrize("name", ["after_id", "operation_id"])
def test_a_huge_number_in_the_moves_query_answers_422_naming_it(
    ready: Database, client: FlaskClient, name: str
):
    error = error_of(client.get(f"{API}/moves", query_string={name: str(2**70)}), 422)
    assert error["field"] == name


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/stock", {"sku": "A\u0000B"}),
        ("/stock", {"location": "A\u0000B"}),
        ("/stock", {"lot": "A\u0000B"}),
        ("/moves", {"sku": "A\u0000B"}),
        ("/products", {"q": "A\u0000B"}),
        ("/locations", {"warehouse": "A\u0000B"}),
        ("/account-book", {"declaration": "A\u0000B"}),
        ("/products/A%00B", {}),
        ("/locations/A%00B", {}),
        ("/declarations/A%00B", {}),
    ],
    ids=[
        "stock-sku",
        "stock-location",
        "stock-lot",
        "moves-sku",
        "products-q",
        "locations-warehouse",
        "account-book-declaration",
        "product-path",
        "location-path",
        "declaration-path",
    ],
)
def test_a_nul_byte_in_a_read_never_answers_500(
    ready: Database, client: FlaskClient, path: str, query: dict[str, str]
):
    response = client.get(API + path, query_string=query)
    assert response.status_code < 500, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    if response.status_code >= 400:
        assert "field" in response.get_json()["error"]
