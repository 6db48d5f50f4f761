"""Stock now and in the past, the move ledger, reversals and the account book over HTTP."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests import factories as f
from tests.web.support import (
    API,
    book,
    error_of,
    headers,
    move_lines,
    moves,
    ok,
    post_receipt,
    post_relocation,
    reconciled,
    stock,
)
from wms.db import Database

SUPPLIER = "SHA1-V-SUPPLIER"

STOCKED = [
    (f.MILK.sku, "L1", f.BINS[0], 45),
    (f.MILK.sku, "L1", f.DOCK, 5),
    (f.MILK.sku, "L1", f.QUARANTINE, 10),
    (f.SERUM.sku, "S1", f.BINS[2], 40),
]


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def reverse(client: FlaskClient, operation_id: int, key: str | None = None) -> Any:
    return client.post(
        f"{API}/operations/{operation_id}/reversal",
        headers=headers(key if key is not None else f.key("http-reversal")),
    )


# --- stock now ------------------------------------------------------------------------------


def test_stock_lists_every_physical_row_with_its_facts(stocked: Database, client: FlaskClient):
    body = ok(client.get(f"{API}/stock"))
    assert body["as_of"] is None
    assert body["total"] == 100
    assert [
        (
            r["sku"],
            r["lot_number"],
            r["expiry_date"],
            r["location"],
            r["is_bonded"],
            r["is_sellable"],
            r["quantity"],
            r["reserved"],
        )
        for r in body["rows"]
    ] == [
        (f.MILK.sku, "L1", "2028-06-30", f.BINS[0], True, True, 45, 0),
        (f.MILK.sku, "L1", "2028-06-30", f.DOCK, True, False, 5, 0),
        (f.MILK.sku, "L1", "2028-06-30", f.QUARANTINE, True, False, 10, 0),
        (f.SERUM.sku, "S1", "2028-06-30", f.BINS[2], True, True, 40, 0),
    ]
    for row in body["rows"]:
        assert {type(row[k]) for k in ("product_id", "lot_id", "location_id")} == {int}


def test_an_empty_warehouse_has_no_stock(warehouse: Database, client: FlaskClient):
    assert ok(client.get(f"{API}/stock")) == {"as_of": None, "total": 0, "rows": []}


@pytest.mark.parametrize("code", [f.MILK.sku, f.MILK.gtin, f"0{f.MILK.gtin}"])
def test_stock_is_filtered_by_sku_or_gtin(stocked: Database, client: FlaskClient, code: str):
    assert stock(client, sku=code) == STOCKED[:3]


def test_stock_of_an_unknown_sku_answers_404_naming_sku(stocked: Database, client: FlaskClient):
    error = error_of(client.get(f"{API}/stock", query_string={"sku": "NOPE"}), 404)
    assert (error["code"], error["field"]) == ("not_found", "sku")


def test_stock_is_filtered_by_location_barcode(stocked: Database, client: FlaskClient):
    assert stock(client, location=f.QUARANTINE) == [(f.MILK.sku, "L1", f.QUARANTINE, 10)]
    assert stock(client, location=f.BINS[1]) == []


def test_stock_at_an_unknown_location_answers_404_naming_location(
    stocked: Database, client: FlaskClient
):
    error = error_of(client.get(f"{API}/stock", query_string={"location": "NOPE"}), 404)
    assert (error["code"], error["field"]) == ("not_found", "location")


def test_stock_is_filtered_by_lot(stocked: Database, client: FlaskClient):
    assert stock(client, lot="S1") == [STOCKED[3]]
    assert stock(client, lot="NOPE") == []


def test_stock_is_filtered_by_bonded(stocked: Database, client: FlaskClient):
    assert stock(client, bonded="true") == STOCKED
    assert stock(client, bonded="false") == []


def test_stock_is_filtered_by_sellable(stocked: Database, client: FlaskClient):
    assert stock(client, sellable="true") == [STOCKED[0], STOCKED[3]]
    assert stock(client, sellable="false") == [STOCKED[1], STOCKED[2]]


def test_filters_combine(stocked: Database, client: FlaskClient):
    assert stock(client, sku=f.MILK.sku, sellable="false", location=f.DOCK) == [STOCKED[1]]


@pytest.mark.parametrize("name", ["bonded", "sellable", "include_virtual"])
def test_a_boolean_filter_that_is_not_a_boolean_answers_422_naming_it(
    stocked: Database, client: FlaskClient, name: str
):
    error = error_of(client.get(f"{API}/stock", query_string={name: "maybe"}), 422)
    assert (error["code"], error["field"]) == ("invalid", name)


def test_an_unknown_stock_filter_answers_422_naming_it(stocked: Database, client: FlaskClient):
    error = error_of(client.get(f"{API}/stock", query_string={"warehouse": "SHA1"}), 422)
    assert error["field"] == "warehouse"


def test_include_virtual_shows_what_came_from_the_supplier(stocked: Database, client: FlaskClient):
    rows = stock(client, include_virtual="true")
    assert (f.MILK.sku, "L1", SUPPLIER, -60) in rows
    assert (f.SERUM.sku, "S1", SUPPLIER, -40) in rows
    assert len(rows) == 6


# --- stock as of an instant -----------------------------------------------------------------


def test_stock_as_of_an_instant_between_two_operations_shows_the_earlier_stock(
    warehouse: Database, client: FlaskClient
):
    ok(post_receipt(client, quantity=60), 201)
    time.sleep(0.01)
    ok(post_relocation(client, quantity=45), 201)
    received, put_away = (instant(m["created_at"]) for m in moves(client))
    assert received < put_away
    between = received + (put_away - received) / 2

    body = ok(client.get(f"{API}/stock", query_string={"as_of": between.isoformat()}))
    assert body["as_of"] == between.isoformat()
    assert [(r["location"], r["quantity"], r["reserved"]) for r in body["rows"]] == [
        (f.DOCK, 60, None)
    ]
    assert body["total"] == 60
    assert stock(client) == [(f.MILK.sku, "L1", f.BINS[0], 45), (f.MILK.sku, "L1", f.DOCK, 15)]


def test_stock_as_of_the_very_instant_of_a_move_includes_it(
    warehouse: Database, client: FlaskClient
):
    ok(post_receipt(client, quantity=60), 201)
    time.sleep(0.01)
    ok(post_relocation(client, quantity=45), 201)
    received, put_away = (m["created_at"] for m in moves(client))
    assert stock(client, as_of=received) == [(f.MILK.sku, "L1", f.DOCK, 60)]
    assert stock(client, as_of=put_away) == [
        (f.MILK.sku, "L1", f.BINS[0], 45),
        (f.MILK.sku, "L1", f.DOCK, 15),
    ]


def test_stock_as_of_before_the_first_move_is_empty(warehouse: Database, client: FlaskClient):
    ok(post_receipt(client, quantity=60), 201)
    first = instant(moves(client)[0]["created_at"])
    earlier = (first - timedelta(microseconds=1)).isoformat()
    assert ok(client.get(f"{API}/stock", query_string={"as_of": earlier}))["rows"] == []


def test_as_of_in_another_time_zone_means_the_same_instant_and_is_answered_in_utc(
    warehouse: Database, client: FlaskClient
):
    ok(post_receipt(client, quantity=60), 201)
    time.sleep(0.01)
    ok(post_relocation(client, quantity=45), 201)
    received, put_away = (instant(m["created_at"]) for m in moves(client))
    between = received + (put_away - received) / 2
    shanghai = between.astimezone(timezone(timedelta(hours=8)))
    body = ok(client.get(f"{API}/stock", query_string={"as_of": shanghai.isoformat()}))
    assert body["as_of"] == between.astimezone(UTC).isoformat()
    assert [(r["location"], r["quantity"]) for r in body["rows"]] == [(f.DOCK, 60)]
    zulu = between.astimezone(UTC).isoformat().replace("+00:00", "Z")
    assert stock(client, as_of=zulu) == [(f.MILK.sku, "L1", f.DOCK, 60)]


def test_stock_as_of_now_agrees_with_stock_now(stocked: Database, client: FlaskClient):
    later = (datetime.now(UTC) + timedelta(seconds=5)).isoformat()
    assert stock(client, as_of=later) == stock(client) == STOCKED
    assert stock(client, as_of=later, sellable="true", sku=f.MILK.sku) == [STOCKED[0]]


def test_as_of_without_a_time_zone_answers_422_naming_as_of(stocked: Database, client: FlaskClient):
    error = error_of(client.get(f"{API}/stock", query_string={"as_of": "2026-11-22T08:00:00"}), 422)
    assert error["code"] == "invalid"
    assert error["field"] == "as_of"
    assert "time zone" in error["message"]


@pytest.mark.parametrize(
    "as_of", ["yesterday", "", "2026-13-01T00:00:00Z", "2026-11-22 25:00+00:00", "1e9", "null"]
)
def test_a_garbage_as_of_answers_422_naming_as_of(
    stocked: Database, client: FlaskClient, as_of: str
):
    error = error_of(client.get(f"{API}/stock", query_string={"as_of": as_of}), 422)
    assert (error["code"], error["field"]) == ("invalid", "as_of")


@pytest.mark.parametrize("as_of", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_an_as_of_outside_the_utc_calendar_answers_422_naming_as_of(
    stocked: Database, client: FlaskClient, as_of: str
):
    # Valid ISO text whose UTC instant falls before year 1 or after year 9999.
    error = error_of(client.get(f"{API}/stock", query_string={"as_of": as_of}), 422)
    assert (error["code"], error["field"]) == ("invalid", "as_of")


def test_as_of_the_first_and_last_representable_instants_answers_200(
    stocked: Database, client: FlaskClient
):
    assert stock(client, as_of="0001-01-01T00:00:00+00:00") == []
    assert stock(client, as_of="9999-12-31T23:59:59+00:00") == STOCKED


# --- the move ledger ------------------------------------------------------------------------


def test_moves_are_listed_oldest_first_with_their_facts(stocked: Database, client: FlaskClient):
    listed = moves(client)
    assert move_lines(client) == [
        ("receipt", f.MILK.sku, "L1", SUPPLIER, f.DOCK, 60),
        ("receipt", f.SERUM.sku, "S1", SUPPLIER, f.DOCK, 40),
        ("putaway", f.MILK.sku, "L1", f.DOCK, f.BINS[0], 45),
        ("putaway", f.MILK.sku, "L1", f.DOCK, f.QUARANTINE, 10),
        ("putaway", f.SERUM.sku, "S1", f.DOCK, f.BINS[2], 40),
    ]
    assert [m["id"] for m in listed] == sorted(m["id"] for m in listed)
    assert [m["document_ref"] for m in listed] == ["ED-1", "ED-1", None, None, None]
    assert {m["actor"] for m in listed} == {"tester"}
    assert {m["reverses_move_id"] for m in listed} == {None}
    for m in listed:
        assert instant(m["created_at"]).utcoffset() == timedelta(0)


def test_moves_are_filtered_by_sku_location_and_operation(stocked: Database, client: FlaskClient):
    assert [m[0] for m in move_lines(client, sku=f.SERUM.gtin)] == ["receipt", "putaway"]
    assert [m[4] for m in move_lines(client, location=f.DOCK)] == [
        f.DOCK,
        f.DOCK,
        f.BINS[0],
        f.QUARANTINE,
        f.BINS[2],
    ]
    third = moves(client)[2]
    assert moves(client, operation_id=third["operation_id"]) == [third]


def test_moves_are_paged_with_after_id(stocked: Database, client: FlaskClient):
    page = ok(client.get(f"{API}/moves", query_string={"limit": 2}))
    assert len(page["moves"]) == 2
    assert page["next_after_id"] == page["moves"][-1]["id"]
    rest = ok(
        client.get(f"{API}/moves", query_string={"limit": 10, "after_id": page["next_after_id"]})
    )
    assert [m["id"] for m in page["moves"] + rest["moves"]] == [m["id"] for m in moves(client)]
    last = ok(client.get(f"{API}/moves", query_string={"after_id": rest["moves"][-1]["id"]}))
    assert last == {"moves": [], "next_after_id": None}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("limit", "0"),
        ("limit", "1001"),
        ("limit", "ten"),
        ("after_id", "-1"),
        ("operation_id", "0"),
    ],
)
def test_a_bad_moves_query_answers_422_naming_the_parameter(
    stocked: Database, client: FlaskClient, name: str, value: str
):
    error = error_of(client.get(f"{API}/moves", query_string={name: value}), 422)
    assert error["field"] == name


def test_an_operation_reads_back_with_its_stored_result(warehouse: Database, client: FlaskClient):
    posted = ok(post_receipt(client, actor="gate-2", quantity=60), 201)
    operation = ok(client.get(f"{API}/operations/{posted['operation_id']}"))
    assert operation["id"] == posted["operation_id"]
    assert (operation["kind"], operation["document_ref"], operation["actor"]) == (
        "receive",
        "ED-1",
        "gate-2",
    )
    assert operation["reverses_operation_id"] is None
    assert operation["result"] == {k: v for k, v in posted.items() if k != "replayed"}


def test_an_unknown_operation_answers_404_naming_operation_id(client: FlaskClient):
    error = error_of(client.get(f"{API}/operations/999"), 404)
    assert (error["code"], error["field"]) == ("not_found", "operation_id")


# --- reversals ------------------------------------------------------------------------------


@pytest.fixture
def put_away(warehouse: Database, client: FlaskClient) -> dict[str, Any]:
    """60 milk received; 45 put away into A-01 by the operation returned."""
    ok(post_receipt(client, quantity=60), 201)
    return ok(post_relocation(client, quantity=45), 201)


def test_a_reversal_puts_the_stock_back_and_lists_reversing_moves(
    put_away: dict[str, Any], client: FlaskClient
):
    original = moves(client, operation_id=put_away["operation_id"])[0]
    body = ok(reverse(client, put_away["operation_id"], key="undo-1"), 201)
    assert isinstance(body["operation_id"], int)
    assert body == {
        "operation_id": body["operation_id"],
        "reverses_operation_id": put_away["operation_id"],
        "moves": 1,
        "replayed": False,
    }
    assert stock(client) == [(f.MILK.sku, "L1", f.DOCK, 60)]
    [undo] = moves(client, operation_id=body["operation_id"])
    assert (undo["reason"], undo["from"], undo["to"], undo["quantity"]) == (
        "reversal",
        f.BINS[0],
        f.DOCK,
        45,
    )
    assert undo["reverses_move_id"] == original["id"]
    operation = ok(client.get(f"{API}/operations/{body['operation_id']}"))
    assert (operation["kind"], operation["reverses_operation_id"]) == (
        "reversal",
        put_away["operation_id"],
    )
    assert reconciled(client) == {"reconciled": True, "mismatches": []}


def test_a_reversal_replayed_with_the_same_key_answers_200_and_reverses_once(
    put_away: dict[str, Any], client: FlaskClient
):
    first = ok(reverse(client, put_away["operation_id"], key="undo-1"), 201)
    again = ok(reverse(client, put_away["operation_id"], key="undo-1"), 200)
    assert again == {**first, "replayed": True}
    assert stock(client) == [(f.MILK.sku, "L1", f.DOCK, 60)]
    assert [m[0] for m in move_lines(client)] == ["receipt", "putaway", "reversal"]


def test_a_second_reversal_of_the_same_operation_answers_422(
    put_away: dict[str, Any], client: FlaskClient
):
    first = ok(reverse(client, put_away["operation_id"], key="undo-1"), 201)
    error = error_of(reverse(client, put_away["operation_id"], key="undo-2"), 422)
    assert error == {
        "code": "invalid",
        "message": f"operation {put_away['operation_id']} was already reversed by operation "
        f"{first['operation_id']}",
        "field": "operation_id",
    }
    assert stock(client) == [(f.MILK.sku, "L1", f.DOCK, 60)]
    assert len(moves(client)) == 3


def test_a_reversal_cannot_itself_be_reversed(put_away: dict[str, Any], client: FlaskClient):
    undo = ok(reverse(client, put_away["operation_id"]), 201)
    error = error_of(reverse(client, undo["operation_id"]), 422)
    assert (error["code"], error["field"]) == ("invalid", "operation_id")
    assert len(moves(client)) == 3


def test_reversing_an_unknown_operation_answers_404(warehouse: Database, client: FlaskClient):
    error = error_of(reverse(client, 999), 404)
    assert (error["code"], error["field"]) == ("not_found", "operation_id")


def test_a_reversal_key_reused_for_another_operation_answers_409(
    put_away: dict[str, Any], client: FlaskClient
):
    ok(reverse(client, put_away["operation_id"], key="undo-1"), 201)
    receipt_id = moves(client)[0]["operation_id"]
    error = error_of(reverse(client, receipt_id, key="undo-1"), 409)
    assert error["code"] == "idempotency_key_reused"


def test_a_reversal_without_an_idempotency_key_answers_422(
    put_away: dict[str, Any], client: FlaskClient
):
    response = client.post(f"{API}/operations/{put_away['operation_id']}/reversal")
    assert error_of(response, 422)["field"] == "Idempotency-Key"
    assert len(moves(client)) == 2


def test_reversing_a_receipt_whose_goods_moved_on_answers_409_and_writes_nothing(
    put_away: dict[str, Any], client: FlaskClient
):
    receipt_id = moves(client)[0]["operation_id"]
    before = moves(client)
    error = error_of(reverse(client, receipt_id), 409)
    assert (error["code"], error["field"]) == ("insufficient_stock", "lines[0].quantity")
    assert error["details"]["available"] == 15
    assert moves(client) == before


def test_reversing_a_receipt_takes_it_out_of_the_book(warehouse: Database, client: FlaskClient):
    receipt = ok(post_receipt(client, quantity=60), 201)
    ok(reverse(client, receipt["operation_id"]), 201)
    assert stock(client) == []
    milk = book(client, "ED-1")[0]
    assert (milk["received"], milk["balance"]) == (0, 0)
    line = ok(client.get(f"{API}/declarations/ED-1"))["lines"][0]
    assert (line["received_quantity"], line["status"]) == (0, "pending")
    assert reconciled(client) == {"reconciled": True, "mismatches": []}


# --- the account book -----------------------------------------------------------------------


def book_line(number: str, line_no: int, sku: str, declared: int, **values: int) -> dict:
    columns = ("received", "released", "on_display_loan", "returned", "written_off", "adjusted")
    row = {"declaration_number": number, "line_no": line_no, "sku": sku, "declared": declared}
    row.update({c: values.get(c, 0) for c in columns})
    row["balance"] = values.get("balance", 0)
    return row


def test_the_account_book_has_a_line_per_declaration_line(stocked: Database, client: FlaskClient):
    f.declare(stocked, "ED-2", (f.SERUM.sku, 12))
    assert book(client) == [
        book_line("ED-1", 1, f.MILK.sku, 100, received=60, balance=60),
        book_line("ED-1", 2, f.SERUM.sku, 40, received=40, balance=40),
        book_line("ED-2", 1, f.SERUM.sku, 12),
    ]
    assert book(client, "ED-2") == [book_line("ED-2", 1, f.SERUM.sku, 12)]
    assert book(client, "ED-404") == []


def test_the_book_counts_receipts_not_putaways_and_not_replays(
    warehouse: Database, client: FlaskClient
):
    ok(post_receipt(client, key="r", quantity=30), 201)
    ok(post_receipt(client, key="r", quantity=30), 200)
    ok(post_relocation(client, quantity=30, to_barcode=f.BINS[1]), 201)
    assert book(client, "ED-1")[0] == book_line("ED-1", 1, f.MILK.sku, 100, received=30, balance=30)


def test_the_book_reconciles_after_normal_operations(stocked: Database, client: FlaskClient):
    assert reconciled(client) == {"reconciled": True, "mismatches": []}


def test_an_empty_book_reconciles(client: FlaskClient):
    assert ok(client.get(f"{API}/account-book")) == {"lines": []}
    assert reconciled(client) == {"reconciled": True, "mismatches": []}


def test_a_tampered_book_is_reported_with_every_mismatch(stocked: Database, client: FlaskClient):
    from sqlalchemy import text

    with stocked.engine.begin() as conn:
        conn.execute(text("UPDATE account_book_lines SET received = received + 1"))
    report = reconciled(client)
    assert report["reconciled"] is False
    assert sorted(
        (m["check"], m["subject"], m["field"], m["expected"], m["actual"])
        for m in report["mismatches"]
    ) == [
        ("book_vs_ledger", "ED-1/1", "received", 60, 61),
        ("book_vs_ledger", "ED-1/2", "received", 40, 41),
        ("book_vs_stock", "ED-1/1", "balance", 60, 61),
        ("book_vs_stock", "ED-1/2", "balance", 40, 41),
    ]
