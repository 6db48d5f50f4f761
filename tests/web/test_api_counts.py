"""POST /api/v1/counts: a bin count over HTTP, idempotent, for staff and admins only."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from tests import factories as f
from tests.integration.outbound import support as o
from tests.web.people_support import make_user, sign_in
from tests.web.support import API, error_of, ok
from wms.db import Database
from wms.models import AuditEntry, MoveReason
from wms.services import allocation

A01, A02, B01 = f.BINS


def post_count(
    client: FlaskClient,
    location: str = A01,
    lines: list[dict[str, Any]] | None = None,
    *,
    complete: bool | None = None,
    key: str | None = "count-1",
    headers: dict[str, str] | None = None,
    body: Any = None,
) -> TestResponse:
    sent = dict(headers or {})
    if key is not None:
        sent["Idempotency-Key"] = key
    if body is None:
        body = {"location": location, "lines": lines if lines is not None else []}
        if complete is not None:
            body["complete"] = complete
    return client.post(f"{API}/counts", json=body, headers=sent)


def line(sku: str = f.MILK.sku, lot: str = "L1", quantity: Any = 40, **extra: Any) -> dict:
    return {"sku": sku, "lot": lot, "quantity": quantity, **extra}


def stock_at(client: FlaskClient, location: str) -> dict[tuple[str, str], int]:
    rows = ok(client.get(f"{API}/stock", query_string={"location": location}))
    return {(r["sku"], r["lot_number"]): r["quantity"] for r in rows["rows"]}


def test_a_count_answers_the_differences_posted_and_the_operation(
    client: FlaskClient, stocked: Database
) -> None:
    # stocked: milk L1 45 in A-01, serum S1 40 in B-01.
    body = ok(post_count(client, A01, [line(quantity=43)]), 201)
    assert body["replayed"] is False
    assert isinstance(body["operation_id"], int)
    assert body["location"] == A01
    assert [
        (d["sku"], d["lot_number"], d["expected"], d["counted"], d["difference"])
        for d in body["differences"]
    ] == [(f.MILK.sku, "L1", 45, 43, -2)]
    assert stock_at(client, A01) == {(f.MILK.sku, "L1"): 43}

    moves = ok(client.get(f"{API}/moves", query_string={"operation_id": body["operation_id"]}))
    assert [(m["reason"], m["quantity"]) for m in moves["moves"]] == [(MoveReason.COUNT, 2)]
    book = ok(client.get(f"{API}/account-book", query_string={"declaration": "ED-1"}))
    milk = next(r for r in book["lines"] if r["sku"] == f.MILK.sku)
    assert milk["adjusted"] == -2
    assert ok(client.get(f"{API}/account-book/reconciliation"))["mismatches"] == []


def test_a_retry_answers_the_same_and_another_count_under_the_key_is_refused(
    client: FlaskClient, stocked: Database
) -> None:
    first = ok(post_count(client, A01, [line(quantity=43)], key="same"), 201)
    again = ok(post_count(client, A01, [line(quantity=43)], key="same"), 200)
    assert again == {**first, "replayed": True}
    assert stock_at(client, A01) == {(f.MILK.sku, "L1"): 43}

    error = error_of(post_count(client, A01, [line(quantity=42)], key="same"), 409)
    assert (error["code"], error["field"]) == ("idempotency_key_reused", "Idempotency-Key")
    assert stock_at(client, A01) == {(f.MILK.sku, "L1"): 43}


def test_a_complete_count_zeroes_what_it_does_not_mention(
    client: FlaskClient, stocked: Database
) -> None:
    body = ok(post_count(client, B01, [line(f.MILK.gtin, "L1", 2)], complete=True), 201)
    assert sorted((d["sku"], d["difference"]) for d in body["differences"]) == [
        (f.MILK.sku, 2),
        (f.SERUM.sku, -40),
    ]
    assert stock_at(client, B01) == {(f.MILK.sku, "L1"): 2}
    # Without complete, what is not mentioned stays.
    ok(post_count(client, A01, [line(f.SERUM.sku, "S1", 1)], key="count-2"), 201)
    assert stock_at(client, A01) == {(f.MILK.sku, "L1"): 45, (f.SERUM.sku, "S1"): 1}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"location": "NOPE", "lines": [line()]}, 404, "location"),
        ({"location": f.DOCK, "lines": [line()]}, 422, "location"),
        ({"location": A01, "lines": [line(sku="NOPE-1")]}, 404, "lines[0].sku"),
        ({"location": A01, "lines": [line(lot="NOPE")]}, 404, "lines[0].lot"),
        ({"location": A01, "lines": [line(quantity=-1)]}, 422, "lines[0].quantity"),
        ({"location": A01, "lines": [line(quantity="5")]}, 422, "lines[0].quantity"),
        ({"location": A01, "lines": [line(quantity=2.5)]}, 422, "lines[0].quantity"),
        ({"location": A01, "lines": [line(), line(sku=f.MILK.gtin)]}, 422, "lines[1].lot"),
        ({"location": A01, "lines": []}, 422, "lines"),
        ({"location": A01}, 422, "lines"),
        ({"lines": [line()]}, 422, "location"),
        ({"location": A01, "lines": [line(colour="red")]}, 422, "lines[0].colour"),
        ({"location": A01, "lines": [line()], "complete": "yes"}, 422, "complete"),
        ({"location": A01, "lines": [line(declaration="ED-9")]}, 404, "lines[0].declaration"),
        ({"location": f.DOMESTIC_BIN, "lines": [line()]}, 422, "lines[0].lot"),
        (["not", "an", "object"], 422, "body"),
    ],
)
def test_bad_counts_are_refused_naming_the_field_and_nothing_changes(
    client: FlaskClient, stocked: Database, body: Any, status: int, field: str
) -> None:
    before = stock_at(client, A01)
    error = error_of(post_count(client, body=body), status)
    assert error["field"] == field, error
    assert stock_at(client, A01) == before
    # The key was not used up by the refusal.
    ok(post_count(client, A01, [line(quantity=45)]), 201)


def test_a_count_needs_an_idempotency_key(client: FlaskClient, stocked: Database) -> None:
    error = error_of(post_count(client, A01, [line()], key=None), 422)
    assert error["field"] == "Idempotency-Key"


def test_a_count_below_the_reserved_units_is_refused_naming_the_line(
    client: FlaskClient, stocked: Database
) -> None:
    o.channel(stocked)
    order_id = o.receive_order(stocked, (f.SERUM.sku, 8))
    with stocked.transaction() as s:
        allocation.allocate(s, order_id, actor="planner")
    error = error_of(post_count(client, B01, [line(f.SERUM.sku, "S1", 7)]), 409)
    assert error["field"] == "lines[0].quantity"
    assert error["details"]["reserved"] == 8
    assert stock_at(client, B01) == {(f.SERUM.sku, "S1"): 40}


def test_staff_may_count_planners_and_brokers_may_not(
    client: FlaskClient, stocked: Database
) -> None:
    staff = {"Authorization": f"Bearer {client.token_for('hh-1', 'staff')}"}
    body = ok(post_count(client, A01, [line(quantity=44)], headers=staff), 201)
    assert body["differences"][0]["difference"] == -1

    planner = {"Authorization": f"Bearer {client.token_for('plan', 'planner')}"}
    error_of(post_count(client, A01, [line(quantity=1)], key="p", headers=planner), 403)
    with stocked.transaction() as s:
        from wms.services import brokers

        brokers.create_broker(s, "BRK", "Broker Ltd")
        broker_token = brokers.issue_token(s, "brk", broker_code="BRK")
    broker = {"Authorization": f"Bearer {broker_token}"}
    error_of(post_count(client, A01, [line(quantity=1)], key="b", headers=broker), 403)
    error_of(
        post_count(client, A01, [line(quantity=1)], key="n", headers={"Authorization": ""}), 401
    )
    assert stock_at(client, A01) == {(f.MILK.sku, "L1"): 44}


def test_a_signed_in_counter_needs_the_csrf_token_and_is_recorded(
    page_client: FlaskClient, stocked: Database
) -> None:
    make_user(stocked, "ann", "staff")
    csrf = sign_in(page_client, "ann")
    error_of(post_count(page_client, A01, [line(quantity=44)], key="c1"), 403)
    body = ok(
        post_count(page_client, A01, [line(quantity=44)], key="c1", headers={"X-CSRF-Token": csrf}),
        201,
    )
    with stocked.reading() as s:
        entries = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "api.count_bin").order_by(AuditEntry.id)
        ).all()
        assert [(e.actor, e.outcome) for e in entries] == [("ann", "refused"), ("ann", "ok")]
        assert entries[1].details["idempotency_key"] == "c1"
    moves = page_client.get(f"{API}/moves", query_string={"operation_id": body["operation_id"]})
    assert [m["actor"] for m in ok(moves)["moves"]] == ["ann"]


def test_the_count_sheet_is_blind_unless_asked_and_guards_against_late_counts(
    client: FlaskClient, stocked: Database
) -> None:
    sheet = ok(client.get(f"{API}/count-sheets/{A01}"))
    assert sheet["blind"] is True
    assert "expected" not in sheet
    shown = ok(client.get(f"{API}/count-sheets/{A01}", query_string={"blind": "false"}))
    assert [(e["sku"], e["lot_number"], e["quantity"]) for e in shown["expected"]] == [
        (f.MILK.sku, "L1", 45)
    ]
    error_of(client.get(f"{API}/count-sheets/{f.DOCK}"), 422)
    error_of(client.get(f"{API}/count-sheets/NOPE"), 404)
    planner = {"Authorization": f"Bearer {client.token_for('plan', 'planner')}"}
    error_of(client.get(f"{API}/count-sheets/{A01}", headers=planner), 403)

    since = sheet["since_move_id"]
    moved = client.post(
        f"{API}/transfers",
        json={
            "product_code": f.MILK.sku,
            "lot_number": "L1",
            "quantity": 1,
            "from_barcode": A01,
            "to_barcode": A02,
        },
        headers={"Idempotency-Key": "t-1"},
    )
    ok(moved, 201)
    body = {"location": A01, "lines": [line(quantity=45)], "since_move_id": since}
    error = error_of(post_count(client, body=body), 409)
    assert error["field"] == "since_move_id"
    assert stock_at(client, A01) == {(f.MILK.sku, "L1"): 44}
    body["since_move_id"] = ok(client.get(f"{API}/count-sheets/{A01}"))["since_move_id"]
    assert ok(post_count(client, body=body, key="count-2"), 201)["units_found"] == 1
    body["since_move_id"] = -1
    assert error_of(post_count(client, body=body, key="count-3"), 422)["field"] == "since_move_id"
