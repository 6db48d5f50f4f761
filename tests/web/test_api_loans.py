"""Display-only stock loans through the JSON API: request, approve, scan out and back,
extend, the showroom view, notices, display tags and their counting redirect, the
customs paperwork, and every way loaned stock could leave a showroom over HTTP refused.

The API runs on the real clock: due dates are set relative to today.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pypdfium2 as pdfium
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from customs.exchange import ExchangeRates
from tests import factories as f
from tests.unit.labels.decoding import decode, pdf_pages
from tests.web.support import (
    API,
    book,
    error_of,
    headers,
    move_lines,
    ok,
    post_receipt,
    post_relocation,
    product_body,
    reconciled,
    stock,
)
from wms.db import Database

MONEY = re.compile(r"^\d+\.\d{4}$")
REQUESTER, APPROVER, LOADER = "merchandiser", "customs officer", "loader"
LISTING = "https://shop.example.com/p/tea-100"


def today() -> date:
    return datetime.now(UTC).date()


def due(days: int = 30) -> date:
    return today() + timedelta(days=days)


def unit_guarantee(on: date) -> Decimal:
    """25.50 USD a unit (the factories' declared value), general goods: 13% VAT at 70%."""
    value = Decimal("25.50") * ExchangeRates.load().rate("USD", on)
    return (value * Decimal("0.091")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.0001")))


# --- driving the loans API ----------------------------------------------------------------


def item(sku: str = f.MILK.sku, lot: str = "L1", quantity: int = 2, **extra: Any) -> dict:
    return {"sku": sku, "lot_number": lot, "quantity": quantity, **extra}


def loan_body(*items: dict, showroom: str = f.SHOWROOM, due_date: date | None = None) -> dict:
    return {
        "showroom_barcode": showroom,
        "due_date": (due_date or due()).isoformat(),
        "items": list(items) or [item()],
    }


def post_loan(client: FlaskClient, body: dict, actor: str = REQUESTER) -> TestResponse:
    return client.post(f"{API}/loans", json=body, headers=headers(actor=actor))


def request_loan(client: FlaskClient, *items: dict, **body: Any) -> dict:
    return ok(post_loan(client, loan_body(*items, **body)), 201)


def approve(
    client: FlaskClient,
    number: str,
    *,
    actor: str = APPROVER,
    expires: date | None = None,
    reference: str = "BG-2026-0042",
) -> TestResponse:
    return client.post(
        f"{API}/loans/{number}/approval",
        json={
            "guarantee_reference": reference,
            "guarantee_expires": (expires or due(60)).isoformat(),
        },
        headers=headers(actor=actor),
    )


def approved_loan(client: FlaskClient, *items: dict, **body: Any) -> dict:
    number = request_loan(client, *items, **body)["number"]
    return ok(approve(client, number))


def scan_out(
    client: FlaskClient,
    number: str,
    quantity: int,
    source: str = f.BINS[0],
    *,
    sku: str = f.MILK.sku,
    lot: str = "L1",
    key: str | None = None,
) -> TestResponse:
    return client.post(
        f"{API}/loans/{number}/out",
        json={"product_code": sku, "lot_number": lot, "quantity": quantity, "from_barcode": source},
        headers=headers(key or f.key("http-out"), LOADER),
    )


def scan_back(
    client: FlaskClient,
    number: str,
    quantity: int,
    condition: str,
    to: str | None = None,
    *,
    sku: str = f.MILK.sku,
    lot: str = "L1",
    key: str | None = None,
    note: str | None = None,
) -> TestResponse:
    body: dict[str, Any] = {
        "product_code": sku,
        "lot_number": lot,
        "quantity": quantity,
        "condition": condition,
    }
    if to is not None:
        body["to_barcode"] = to
    if note is not None:
        body["note"] = note
    return client.post(
        f"{API}/loans/{number}/returns",
        json=body,
        headers=headers(key or f.key("http-back"), "clerk"),
    )


def get_loan(client: FlaskClient, number: str) -> dict:
    return ok(client.get(f"{API}/loans/{number}"))


def at(client: FlaskClient, barcode: str) -> list[tuple[str, str, str, int]]:
    return stock(client, location=barcode)


def everything(client: FlaskClient) -> list[tuple[str, str, str, int]]:
    return stock(client)


def pdf_text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


# --- request and approval -----------------------------------------------------------------


def test_a_loan_request_answers_201_with_its_guarantee_and_tags(
    client: FlaskClient, stocked: Database
):
    loan = request_loan(client, item(quantity=3), item(f.SERUM.sku, "S1", 2))
    assert loan["status"] == "requested"
    assert loan["showroom"] == f.SHOWROOM
    assert loan["requested_by"] == REQUESTER
    assert loan["approved_by"] is None and loan["out_at"] is None
    assert loan["due_date"] == due().isoformat()
    assert re.fullmatch(r"LN\d{8}-\d{3}", loan["number"])

    amount = loan["guarantee"]["amount"]
    assert MONEY.match(amount) and Decimal(amount) > 0
    assert loan["guarantee"]["currency"] == "CNY"
    on = datetime.fromisoformat(loan["requested_at"]).date()
    unit = unit_guarantee(on)
    assert amount == money(unit * 5)
    assert [
        (i["sku"], i["lot_number"], i["quantity"], i["out"], i["on_display"]) for i in loan["items"]
    ] == [
        (f.MILK.sku, "L1", 3, 0, 0),
        (f.SERUM.sku, "S1", 2, 0, 0),
    ]
    assert all(i["unit_guarantee"] == money(unit) for i in loan["items"])
    tags = [i["tag_code"] for i in loan["items"]]
    assert all(re.fullmatch(r"[0-9a-f]{10}", t) for t in tags) and len(set(tags)) == 2

    shown = get_loan(client, loan["number"])
    assert {k: v for k, v in shown.items() if k != "events"} == loan
    assert [(e["kind"], e["actor"]) for e in shown["events"]] == [("requested", REQUESTER)]
    assert shown["events"][0]["details"]["guarantee_amount"] == amount
    # a request moves nothing
    assert at(client, f.SHOWROOM) == []


def test_loans_of_one_day_are_numbered_in_turn(client: FlaskClient, stocked: Database):
    first = request_loan(client, item(quantity=1))["number"]
    second = request_loan(client, item(quantity=1))["number"]
    assert first[:-3] == second[:-3]
    assert int(second[-3:]) == int(first[-3:]) + 1


def test_an_unknown_loan_answers_404(client: FlaskClient, stocked: Database):
    assert error_of(client.get(f"{API}/loans/LN-NOPE"), 404)["field"] == "loan_number"
    assert error_of(approve(client, "LN-NOPE"), 404)["field"] == "loan_number"
    assert error_of(scan_out(client, "LN-NOPE", 1), 404)["field"] == "loan_number"


def test_the_requester_cannot_approve_their_own_loan(client: FlaskClient, stocked: Database):
    number = request_loan(client)["number"]
    assert error_of(approve(client, number, actor=REQUESTER), 422)["field"] == "actor"
    loan = get_loan(client, number)
    assert loan["status"] == "requested" and loan["approved_by"] is None
    assert [e["kind"] for e in loan["events"]] == ["requested"]


def test_another_actor_approves(client: FlaskClient, stocked: Database):
    number = request_loan(client)["number"]
    loan = ok(approve(client, number, expires=due(60)))
    assert loan["status"] == "approved"
    assert loan["approved_by"] == APPROVER and loan["approved_at"]
    assert loan["guarantee"]["reference"] == "BG-2026-0042"
    assert loan["guarantee"]["expires"] == due(60).isoformat()
    assert loan["guarantee"]["expires_before_due"] is False
    assert ok(client.get(f"{API}/notices"))["notices"] == []
    events = get_loan(client, number)["events"]
    assert [(e["kind"], e["actor"]) for e in events] == [
        ("requested", REQUESTER),
        ("approved", APPROVER),
    ]
    # approving twice is a conflict, not a second approval
    assert error_of(approve(client, number, actor="someone else"), 409)["field"] == "status"


def test_a_guarantee_expiring_before_the_due_date_is_flagged(
    client: FlaskClient, stocked: Database
):
    number = request_loan(client)["number"]
    loan = ok(approve(client, number, expires=due(25), reference="BG-SHORT"))
    assert loan["guarantee"]["expires_before_due"] is True
    notices = ok(client.get(f"{API}/notices"))["notices"]
    assert [(n["kind"], n["subject"]) for n in notices] == [("guarantee_expires_early", number)]
    assert "BG-SHORT" in notices[0]["message"] and due(25).isoformat() in notices[0]["message"]


# --- scanning out ---------------------------------------------------------------------------


def test_a_scan_out_moves_stock_once_whatever_the_retries(client: FlaskClient, stocked: Database):
    number = approved_loan(client, item(quantity=3))["number"]
    first = ok(scan_out(client, number, 2, key="out-1"), 201)
    assert first["replayed"] is False
    assert (first["quantity"], first["out_quantity"], first["requested_quantity"]) == (2, 2, 3)
    assert first["status"] == "approved"  # one unit is still to go
    again = ok(scan_out(client, number, 2, key="out-1"), 200)
    assert again["replayed"] is True
    assert {k: v for k, v in again.items() if k != "replayed"} == {
        k: v for k, v in first.items() if k != "replayed"
    }
    assert at(client, f.SHOWROOM) == [(f.MILK.sku, "L1", f.SHOWROOM, 2)]
    assert (f.MILK.sku, "L1", f.BINS[0], 43) in everything(client)
    assert move_lines(client, location=f.SHOWROOM) == [
        ("loan_out", f.MILK.sku, "L1", f.BINS[0], f.SHOWROOM, 2)
    ]
    # the same key for another request is refused, not replayed
    assert error_of(scan_out(client, number, 1, key="out-1"), 409)["field"] == "Idempotency-Key"

    last = ok(scan_out(client, number, 1), 201)
    assert last["status"] == "out"
    loan = get_loan(client, number)
    assert loan["status"] == "out" and loan["out_at"]
    assert loan["out_checklist"] == f"{number}-CL-O"
    assert loan["out_release_note"] == f"{number}-RN-O"
    assert [e["kind"] for e in loan["events"]] == ["requested", "approved", "item_out", "item_out"]
    assert loan["events"][2]["details"]["from_bin"] == f.BINS[0]
    assert at(client, f.SHOWROOM) == [(f.MILK.sku, "L1", f.SHOWROOM, 3)]
    # loaned stock stays in the bonded account, on display
    milk = next(line for line in book(client) if line["sku"] == f.MILK.sku)
    assert (milk["on_display_loan"], milk["released"], milk["balance"]) == (3, 0, 60)
    assert reconciled(client)["reconciled"] is True


def test_a_scan_out_needs_an_idempotency_key(client: FlaskClient, stocked: Database):
    number = approved_loan(client)["number"]
    response = client.post(
        f"{API}/loans/{number}/out",
        json={
            "product_code": f.MILK.sku,
            "lot_number": "L1",
            "quantity": 1,
            "from_barcode": f.BINS[0],
        },
    )
    assert error_of(response, 422)["field"] == "Idempotency-Key"
    assert at(client, f.SHOWROOM) == []


def test_more_than_is_lent_cannot_go_out(client: FlaskClient, stocked: Database):
    number = approved_loan(client, item(quantity=2))["number"]
    assert error_of(scan_out(client, number, 3), 422)["field"] == "quantity"
    ok(scan_out(client, number, 2), 201)
    assert error_of(scan_out(client, number, 1), 422)["field"] == "quantity"
    assert at(client, f.SHOWROOM) == [(f.MILK.sku, "L1", f.SHOWROOM, 2)]


def test_an_unapproved_loan_cannot_go_out(client: FlaskClient, stocked: Database):
    number = request_loan(client)["number"]
    assert error_of(scan_out(client, number, 1), 409)["field"] == "loan_number"
    assert at(client, f.SHOWROOM) == []


@pytest.mark.parametrize(
    "source", [f.QUARANTINE, f.DOCK, f.DOMESTIC_BIN, f.SHOWROOM, "SHA1-V-SUPPLIER"]
)
def test_loan_goods_leave_only_from_a_bonded_sellable_bin(
    client: FlaskClient, stocked: Database, source: str
):
    number = approved_loan(client)["number"]
    before = everything(client)
    assert error_of(scan_out(client, number, 1, source), 422)["field"] == "from_barcode"
    assert everything(client) == before


def test_a_scan_out_of_a_lot_not_on_the_loan_is_refused(client: FlaskClient, stocked: Database):
    number = approved_loan(client)["number"]
    response = scan_out(client, number, 1, f.BINS[2], sku=f.SERUM.sku, lot="S1")
    assert error_of(response, 404)["field"] == "lot_number"
    assert at(client, f.SHOWROOM) == []


# --- scanning back --------------------------------------------------------------------------


def test_returns_good_damaged_and_missing_until_the_loan_closes(
    client: FlaskClient, stocked: Database
):
    loan = approved_loan(client, item(quantity=3), item(f.SERUM.sku, "S1", 3))
    number = loan["number"]
    unit = Decimal(loan["items"][1]["unit_guarantee"])
    ok(scan_out(client, number, 3), 201)
    assert ok(scan_out(client, number, 3, f.BINS[2], sku=f.SERUM.sku, lot="S1"), 201)["status"] == (
        "out"
    )

    # good, back to a bin: partly returned
    good = ok(scan_back(client, number, 2, "good", f.BINS[1], note="window change"), 201)
    assert (good["status"], good["condition"], good["on_display"]) == ("partly_returned", "good", 1)
    assert good["duty_payable"] == money(Decimal(0))
    assert (good["checklist"], good["release_note"], good["return_sequence"]) == (
        f"{number}-CL-R1",
        f"{number}-RN-R1",
        1,
    )
    assert (f.MILK.sku, "L1", f.BINS[1], 2) in everything(client)

    # damaged, no bin: written off with the duty the units now owe
    damaged = ok(scan_back(client, number, 2, "damaged", sku=f.SERUM.sku, lot="S1"), 201)
    assert damaged["status"] == "partly_returned"
    assert damaged["duty_payable"] == money(unit * 2)
    assert damaged["return_sequence"] == 2

    # missing: written off too
    missing = ok(scan_back(client, number, 1, "missing"), 201)
    assert missing["duty_payable"] == money(unit)
    assert missing["status"] == "partly_returned"

    # the last serum comes back to the dock: everything is back, some written off
    last = ok(scan_back(client, number, 1, "good", f.DOCK, sku=f.SERUM.sku, lot="S1"), 201)
    assert last["status"] == "written_off"

    loan = get_loan(client, number)
    assert loan["status"] == "written_off" and loan["closed_at"]
    assert [
        (i["sku"], i["out"], i["returned"], i["written_off"], i["on_display"], i["duty_payable"])
        for i in loan["items"]
    ] == [
        (f.MILK.sku, 3, 2, 1, 0, money(unit)),
        (f.SERUM.sku, 3, 1, 2, 0, money(unit * 2)),
    ]
    assert loan["duty_payable"] == money(unit * 3)
    assert [e["kind"] for e in loan["events"][-4:]] == [
        "item_returned",
        "written_off",
        "written_off",
        "item_returned",
    ]
    assert loan["events"][-4]["details"]["note"] == "window change"
    assert at(client, f.SHOWROOM) == []
    assert (f.SERUM.sku, "S1", f.DOCK, 1) in everything(client)
    lines = {line["sku"]: line for line in book(client)}
    assert (lines[f.MILK.sku]["on_display_loan"], lines[f.MILK.sku]["returned"]) == (0, 2)
    assert (lines[f.MILK.sku]["written_off"], lines[f.MILK.sku]["balance"]) == (1, 59)
    assert (lines[f.SERUM.sku]["written_off"], lines[f.SERUM.sku]["balance"]) == (2, 38)
    assert reconciled(client)["reconciled"] is True
    # a closed loan takes nothing more back and cannot be extended
    assert error_of(scan_back(client, number, 1, "good", f.BINS[0]), 422)["field"] == "quantity"
    response = client.post(
        f"{API}/loans/{number}/extension",
        json={"new_due_date": due(90).isoformat(), "reason": "late"},
    )
    assert error_of(response, 409)["field"] == "status"


def test_all_good_returns_close_the_loan_as_returned(client: FlaskClient, stocked: Database):
    number = approved_loan(client, item(quantity=2))["number"]
    ok(scan_out(client, number, 2), 201)
    assert ok(scan_back(client, number, 2, "good", f.BINS[0]), 201)["status"] == "returned"
    assert get_loan(client, number)["duty_payable"] == money(Decimal(0))


def test_a_return_replays_by_its_key(client: FlaskClient, stocked: Database):
    number = approved_loan(client, item(quantity=2))["number"]
    ok(scan_out(client, number, 2), 201)
    first = ok(scan_back(client, number, 1, "damaged", key="back-1"), 201)
    again = ok(scan_back(client, number, 1, "damaged", key="back-1"), 200)
    assert again["replayed"] is True and again["duty_payable"] == first["duty_payable"]
    assert at(client, f.SHOWROOM) == [(f.MILK.sku, "L1", f.SHOWROOM, 1)]
    assert get_loan(client, number)["items"][0]["written_off"] == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"condition": "broken"}, "condition"),
        ({"condition": "GOOD"}, "condition"),
        ({"condition": None}, "condition"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": "1"}, "quantity"),
        ({"to_barcode": ""}, "to_barcode"),
        ({"note": "x" * 401}, "note"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_malformed_return_names_its_field(
    client: FlaskClient, stocked: Database, body: dict, field: str
):
    number = approved_loan(client)["number"]
    ok(scan_out(client, number, 2), 201)
    payload = {
        "product_code": f.MILK.sku,
        "lot_number": "L1",
        "quantity": 1,
        "condition": "good",
        "to_barcode": f.BINS[0],
    } | body
    response = client.post(
        f"{API}/loans/{number}/returns", json=payload, headers=headers(f.key("bad-back"))
    )
    assert error_of(response, 422)["field"] == field
    assert at(client, f.SHOWROOM) == [(f.MILK.sku, "L1", f.SHOWROOM, 2)]


@pytest.mark.parametrize(
    ("quantity", "condition", "to", "status", "field"),
    [
        (3, "good", f.BINS[0], 422, "quantity"),  # more than is on display
        (3, "missing", None, 422, "quantity"),
        (1, "good", None, 422, "to_barcode"),  # good units go back somewhere
        (1, "good", f.DOMESTIC_BIN, 422, "to_barcode"),  # not out of the bonded account
        (1, "good", f.SHOWROOM, 422, "to_barcode"),
        (1, "good", "SHA1-V-CUSTOMER", 422, "to_barcode"),
        (1, "good", "SHA1-V-SCRAP", 422, "to_barcode"),
        (1, "good", "SHA1-NOPE", 404, "to_barcode"),
    ],
)
def test_a_return_that_would_lose_track_is_refused(
    client: FlaskClient,
    stocked: Database,
    quantity: int,
    condition: str,
    to: str | None,
    status: int,
    field: str,
):
    number = approved_loan(client)["number"]
    ok(scan_out(client, number, 2), 201)
    before = everything(client)
    assert error_of(scan_back(client, number, quantity, condition, to), status)["field"] == field
    assert everything(client) == before
    assert get_loan(client, number)["items"][0]["on_display"] == 2


def test_nothing_comes_back_before_it_went_out(client: FlaskClient, stocked: Database):
    number = approved_loan(client)["number"]
    assert error_of(scan_back(client, number, 1, "good", f.BINS[0]), 422)["field"] == "quantity"
    assert error_of(scan_back(client, number, 1, "missing"), 422)["field"] == "quantity"


# --- extensions -----------------------------------------------------------------------------


def extend(client: FlaskClient, number: str, new_due: date, reason: str = "window") -> TestResponse:
    return client.post(
        f"{API}/loans/{number}/extension",
        json={"new_due_date": new_due.isoformat(), "reason": reason},
        headers=headers(actor="planner"),
    )


def test_an_extension_moves_the_due_date_later_only(client: FlaskClient, stocked: Database):
    number = approved_loan(client)["number"]
    ok(scan_out(client, number, 2), 201)
    assert error_of(extend(client, number, due(10)), 422)["field"] == "new_due_date"
    assert error_of(extend(client, number, due()), 422)["field"] == "new_due_date"
    assert get_loan(client, number)["due_date"] == due().isoformat()

    loan = ok(extend(client, number, due(45), "Christmas window"))
    assert loan["due_date"] == due(45).isoformat()
    event = get_loan(client, number)["events"][-1]
    assert (event["kind"], event["actor"]) == ("due_date_extended", "planner")
    assert event["details"] == {
        "previous": due().isoformat(),
        "new": due(45).isoformat(),
        "reason": "Christmas window",
    }


def test_an_extension_past_the_guarantee_raises_a_notice(client: FlaskClient, stocked: Database):
    number = request_loan(client)["number"]
    ok(approve(client, number, expires=due(40), reference="BG-40"))
    assert ok(client.get(f"{API}/notices"))["notices"] == []
    loan = ok(extend(client, number, due(50)))
    assert loan["guarantee"]["expires_before_due"] is True
    notices = ok(client.get(f"{API}/notices"))["notices"]
    assert [(n["kind"], n["subject"]) for n in notices] == [("guarantee_expires_early", number)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"new_due_date": "2026-02-30", "reason": "x"}, "new_due_date"),
        ({"new_due_date": "soon", "reason": "x"}, "new_due_date"),
        ({"reason": "x"}, "new_due_date"),
        ({"new_due_date": "2099-01-01"}, "reason"),
        ({"new_due_date": "2099-01-01", "reason": "   "}, "reason"),
        ({"new_due_date": "2099-01-01", "reason": "x" * 401}, "reason"),
    ],
)
def test_a_malformed_extension_names_its_field(
    client: FlaskClient, stocked: Database, body: dict, field: str
):
    number = request_loan(client)["number"]
    response = client.post(f"{API}/loans/{number}/extension", json=body)
    assert error_of(response, 422)["field"] == field


# --- the showroom -------------------------------------------------------------------------


def test_a_showroom_lists_what_is_on_display(client: FlaskClient, stocked: Database):
    assert ok(client.get(f"{API}/showrooms/{f.SHOWROOM}")) == {
        "showroom": f.SHOWROOM,
        "name": "SHOW-1",
        "items": [],
    }
    late = approved_loan(client, item(quantity=2), item(f.SERUM.sku, "S1", 1), due_date=due(40))
    soon = approved_loan(client, item(quantity=1), due_date=due(20))
    ok(scan_out(client, late["number"], 2), 201)
    ok(scan_out(client, soon["number"], 1), 201)
    # nothing of the serum is out yet: it is not shown

    view = ok(client.get(f"{API}/showrooms/{f.SHOWROOM}"))
    assert [
        (i["loan_number"], i["sku"], i["lot_number"], i["on_display"], i["due_date"], i["overdue"])
        for i in view["items"]
    ] == [
        (soon["number"], f.MILK.sku, "L1", 1, due(20).isoformat(), False),
        (late["number"], f.MILK.sku, "L1", 2, due(40).isoformat(), False),
    ]
    assert view["items"][0]["tag_code"] == soon["items"][0]["tag_code"]
    assert all(i["since"] for i in view["items"])

    ok(scan_back(client, soon["number"], 1, "good", f.BINS[0]), 201)
    view = ok(client.get(f"{API}/showrooms/{f.SHOWROOM}"))
    assert [(i["loan_number"], i["on_display"]) for i in view["items"]] == [(late["number"], 2)]


def test_only_a_showroom_has_a_showroom_view(client: FlaskClient, stocked: Database):
    assert error_of(client.get(f"{API}/showrooms/{f.BINS[0]}"), 422)["field"] == "showroom"
    assert error_of(client.get(f"{API}/showrooms/SHA1-V-SCRAP"), 422)["field"] == "showroom"
    assert error_of(client.get(f"{API}/showrooms/SHA1-NOPE"), 404)["field"] == "showroom"


def test_loans_go_to_a_showroom_only(client: FlaskClient, stocked: Database):
    response = post_loan(client, loan_body(showroom=f.BINS[1]))
    assert error_of(response, 422)["field"] == "showroom_barcode"
    response = post_loan(client, loan_body(showroom="SHA1-NOPE"))
    assert error_of(response, 404)["field"] == "showroom_barcode"


def test_loaned_stock_is_never_sellable(client: FlaskClient, stocked: Database):
    number = approved_loan(client, item(quantity=2))["number"]
    ok(scan_out(client, number, 2), 201)
    rows = ok(client.get(f"{API}/stock", query_string={"location": f.SHOWROOM}))["rows"]
    assert [(r["quantity"], r["is_bonded"], r["is_sellable"]) for r in rows] == [(2, True, False)]
    sellable = stock(client, sellable="true")
    assert all(r[2] != f.SHOWROOM for r in sellable)


# --- display tags and their redirect -------------------------------------------------------


@pytest.fixture
def listed(client: FlaskClient, stocked: Database) -> Database:
    """A third product with an online listing, declared, received and put away."""
    ok(
        client.post(
            f"{API}/products",
            json=product_body(sku="TEA-100", listing_url=LISTING),
        ),
        201,
    )
    f.declare(stocked, "ED-2", ("TEA-100", 20))
    f.receive(stocked, "ED-2", "TEA-100", "T1", 20)
    f.putaway(stocked, "TEA-100", "T1", 20, to=f.BINS[1])
    return stocked


def test_the_display_tags_print_one_per_unit_and_lead_to_the_redirect(
    client: FlaskClient, listed: Database
):
    loan = request_loan(client, item(quantity=2), item("TEA-100", "T1", 1))
    response = client.get(f"{API}/loans/{loan['number']}/tags.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Label-Count"] == "3"
    pages = pdf_pages(response.get_data())
    assert len(pages) == 3
    urls = [sorted(d.text for d in decode(page) if "QR" in d.format) for page in pages]
    milk_tag, tea_tag = (i["tag_code"] for i in loan["items"])
    assert urls == [
        [f"http://localhost/t/{milk_tag}"],
        [f"http://localhost/t/{milk_tag}"],
        [f"http://localhost/t/{tea_tag}"],
    ]


def test_the_tags_of_an_unknown_loan_answer_404(client: FlaskClient, stocked: Database):
    assert error_of(client.get(f"{API}/loans/LN-NOPE/tags.pdf"), 404)["field"] == "loan_number"


def test_a_tag_scan_redirects_to_the_listing_and_is_counted(client: FlaskClient, listed: Database):
    tea = request_loan(client, item("TEA-100", "T1", 1))["items"][0]["tag_code"]
    for _ in range(3):
        response = client.get(f"/t/{tea}")
        assert response.status_code == 302
        assert response.headers["Location"] == LISTING
    assert ok(client.get(f"{API}/showrooms/traffic")) == {
        "traffic": [{"showroom": f.SHOWROOM, "sku": "TEA-100", "scans": 3}]
    }


def test_an_unknown_tag_answers_404_and_counts_nothing(client: FlaskClient, listed: Database):
    request_loan(client, item("TEA-100", "T1", 1))
    assert client.get("/t/0123456789").status_code == 404
    assert client.get("/t/").status_code == 404
    assert ok(client.get(f"{API}/showrooms/traffic")) == {"traffic": []}


def test_a_tag_of_a_product_without_a_listing_answers_404(client: FlaskClient, stocked: Database):
    milk = request_loan(client, item(quantity=1))["items"][0]["tag_code"]
    assert client.get(f"/t/{milk}").status_code == 404
    assert ok(client.get(f"{API}/showrooms/traffic")) == {"traffic": []}


# --- customs paperwork ----------------------------------------------------------------------


def document(client: FlaskClient, number: str, which: str) -> TestResponse:
    return client.get(f"{API}/loans/{number}/documents/{which}.pdf")


def test_the_out_and_return_paperwork(client: FlaskClient, stocked: Database):
    number = approved_loan(client, item(quantity=2))["number"]
    assert error_of(document(client, number, "out"), 404)["field"] == "document"
    ok(scan_out(client, number, 2), 201)

    response = document(client, number, "out")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert number in response.headers["Content-Disposition"]
    text = pdf_text(response.get_data())
    for expected in (f"{number}-CL-O", f"{number}-RN-O", number):
        assert expected in text

    assert error_of(document(client, number, "return-1"), 404)["field"] == "document"
    ok(scan_back(client, number, 1, "good", f.BINS[0]), 201)
    text = pdf_text(ok_pdf(document(client, number, "return-1")))
    for expected in (f"{number}-CL-R1", f"{number}-RN-R1", number):
        assert expected in text
    assert f"{number}-CL-O" not in text

    assert error_of(document(client, number, "return-9"), 404)["field"] == "document"
    assert error_of(document(client, number, "return-0"), 404)["field"] == "document"
    for bogus in ("bogus", "return-", "return-x", "in", "return--1"):
        assert error_of(document(client, number, bogus), 422)["field"] == "document"
    assert error_of(document(client, "LN-NOPE", "out"), 404)["field"] == "loan_number"


def ok_pdf(response: TestResponse) -> bytes:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/pdf"
    return response.get_data()


# --- loaned stock cannot leave over HTTP ----------------------------------------------------


@pytest.fixture
def on_display(client: FlaskClient, stocked: Database) -> str:
    """A loan with 3 milk on display at the showroom."""
    loan = approved_loan(client, item(quantity=3))
    ok(scan_out(client, loan["number"], 3), 201)
    return loan["number"]


@pytest.mark.parametrize("kind", ["putaways", "transfers"])
@pytest.mark.parametrize("dest", [f.BINS[0], f.DOCK, f.QUARANTINE, f.DOMESTIC_BIN])
def test_loaned_stock_cannot_be_relocated_out_of_the_showroom(
    client: FlaskClient, on_display: str, kind: str, dest: str
):
    before = everything(client)
    response = post_relocation(client, kind, quantity=1, from_barcode=f.SHOWROOM, to_barcode=dest)
    assert error_of(response, 422)["field"] == "from_barcode"
    assert everything(client) == before
    assert get_loan(client, on_display)["items"][0]["on_display"] == 3


@pytest.mark.parametrize("kind", ["putaways", "transfers"])
def test_stock_cannot_be_relocated_into_a_showroom(client: FlaskClient, on_display: str, kind: str):
    before = everything(client)
    response = post_relocation(
        client, kind, quantity=1, from_barcode=f.BINS[0], to_barcode=f.SHOWROOM
    )
    assert error_of(response, 422)["field"] == "to_barcode"
    assert everything(client) == before


def test_goods_cannot_be_received_straight_into_a_showroom(client: FlaskClient, on_display: str):
    before = everything(client)
    response = post_receipt(client, quantity=1, dock_barcode=f.SHOWROOM)
    assert error_of(response, 422)["field"] == "dock_barcode"
    assert everything(client) == before


def test_loan_movements_cannot_be_reversed(client: FlaskClient, on_display: str):
    ok(scan_back(client, on_display, 1, "good", f.BINS[0]), 201)
    ok(scan_back(client, on_display, 1, "damaged"), 201)
    before = everything(client)
    operations = {m["operation_id"] for m in ok(client.get(f"{API}/moves"))["moves"]}
    loan_ops = {
        m["operation_id"]
        for m in ok(client.get(f"{API}/moves", query_string={"location": f.SHOWROOM}))["moves"]
    }
    assert len(loan_ops) == 3 and loan_ops <= operations
    for op in sorted(loan_ops):
        response = client.post(
            f"{API}/operations/{op}/reversal", headers=headers(f.key("steal-rev"), "thief")
        )
        error = error_of(response, 422)
        assert error["field"].startswith("lines[0].")
        assert "showroom" in error["message"]
    assert everything(client) == before
    assert reconciled(client)["reconciled"] is True


# --- junk never answers 500 ------------------------------------------------------------------


JUNK_LOANS: list[Any] = [
    None,
    [],
    "loan",
    42,
    {},
    {"showroom_barcode": f.SHOWROOM},
    {"showroom_barcode": f.SHOWROOM, "due_date": "2099-01-01"},
    {"showroom_barcode": f.SHOWROOM, "due_date": "2099-01-01", "items": []},
    {"showroom_barcode": f.SHOWROOM, "due_date": "2099-01-01", "items": {}},
    {"showroom_barcode": f.SHOWROOM, "due_date": "2099-01-01", "items": [None]},
    {"showroom_barcode": f.SHOWROOM, "due_date": "2099-01-01", "items": ["MILK-900"]},
    {"showroom_barcode": f.SHOWROOM, "due_date": "2099-01-01", "items": [item()] * 201},
    {"showroom_barcode": f.SHOWROOM, "due_date": "2099-01-01", "items": [item(), item()]},
    {"showroom_barcode": f.SHOWROOM, "due_date": "2000-01-01", "items": [item()]},
    {"showroom_barcode": f.SHOWROOM, "due_date": "2099-02-30", "items": [item()]},
    {"showroom_barcode": f.SHOWROOM, "due_date": "99999-01-01", "items": [item()]},
    {"showroom_barcode": f.SHOWROOM, "due_date": 20990101, "items": [item()]},
    {"showroom_barcode": f.SHOWROOM, "due_date": None, "items": [item()]},
    {"showroom_barcode": "", "due_date": "2099-01-01", "items": [item()]},
    {"showroom_barcode": "x" * 49, "due_date": "2099-01-01", "items": [item()]},
    {"showroom_barcode": "SHA1\x00", "due_date": "2099-01-01", "items": [item()]},
    {"showroom_barcode": 7, "due_date": "2099-01-01", "items": [item()]},
    {"showroom_barcode": f.BINS[0], "due_date": "2099-01-01", "items": [item()]},
    {"showroom_barcode": "SHA1-V-SCRAP", "due_date": "2099-01-01", "items": [item()]},
    {"showroom_barcode": f.SHOWROOM, "due_date": "2099-01-01", "items": [item()], "x": 1},
]
JUNK_ITEMS: list[Any] = [
    item(quantity=0),
    item(quantity=-1),
    item(quantity=1.5),
    item(quantity="2"),
    item(quantity=True),
    item(quantity=10**7 + 1),
    item(quantity=2**63),
    item(quantity=1000),  # more than is free in bonded bins
    item(quantity=50),  # 45 free: the quarantine and the dock do not count
    item(sku="NOPE"),
    item(sku="9999999999999"),
    item(sku=""),
    item(sku="x" * 41),
    item(sku=None),
    item(lot="NOPE"),
    item(lot=""),
    item(lot="L1\x00"),
    item(lot="x" * 65),
    item(declaration_number="ED-9"),
    item(declaration_number=""),
    item(declaration_number="x" * 33),
    item(colour="red"),
    {"sku": f.MILK.sku},
    {"quantity": 1},
]


@pytest.mark.parametrize("body", JUNK_LOANS + [loan_body(junk) for junk in JUNK_ITEMS])
def test_a_junk_loan_request_is_refused_without_a_500(
    client: FlaskClient, stocked: Database, body: Any
):
    response = client.post(f"{API}/loans", json=body, headers=headers(actor=REQUESTER))
    assert response.status_code in (404, 409, 422), response.get_data(as_text=True)
    error = error_of(response, response.status_code)
    assert error["code"] in ("invalid", "not_found", "conflict")
    assert error.get("field")
    assert ok(client.get(f"{API}/showrooms/{f.SHOWROOM}"))["items"] == []


def test_a_loan_request_that_is_not_json_is_refused(client: FlaskClient, stocked: Database):
    for data, content_type in [
        ("not json", "application/json"),
        ('{"showroom_barcode": ', "application/json"),
        ("showroom_barcode=SHA1-SHOW-1", "application/x-www-form-urlencoded"),
        ("[" * 5000 + "]" * 5000, "application/json"),
    ]:
        response = client.post(f"{API}/loans", data=data, content_type=content_type)
        assert error_of(response, 422)["field"] == "body"


JUNK_SCANS: list[Any] = [
    None,
    [],
    {},
    {"quantity": 1},
    {"product_code": f.MILK.sku, "lot_number": "L1", "quantity": 0, "from_barcode": f.BINS[0]},
    {"product_code": f.MILK.sku, "lot_number": "L1", "quantity": -3, "from_barcode": f.BINS[0]},
    {"product_code": f.MILK.sku, "lot_number": "L1", "quantity": 1.0, "from_barcode": f.BINS[0]},
    {"product_code": f.MILK.sku, "lot_number": "L1", "quantity": 10**9, "from_barcode": f.BINS[0]},
    {"product_code": f.MILK.sku, "lot_number": "L1", "quantity": 1, "from_barcode": "NOPE"},
    {"product_code": f.MILK.sku, "lot_number": "L1", "quantity": 1, "from_barcode": ""},
    {"product_code": f.MILK.sku, "lot_number": "L9", "quantity": 1, "from_barcode": f.BINS[0]},
    {"product_code": "NOPE", "lot_number": "L1", "quantity": 1, "from_barcode": f.BINS[0]},
    {
        "product_code": f.MILK.sku,
        "lot_number": "L1",
        "quantity": 1,
        "from_barcode": f.BINS[0],
        "condition": "good",
    },
    {
        "product_code": f.MILK.sku,
        "lot_number": "L1",
        "quantity": 1,
        "condition": "good",
        "to_barcode": f.BINS[0],
        "from_barcode": f.BINS[0],
    },
    {"product_code": f.MILK.sku, "lot_number": "L1", "quantity": 1, "condition": 1},
    {
        "product_code": f.MILK.sku,
        "lot_number": "L1",
        "quantity": 1,
        "condition": "good",
        "to_barcode": "SHA1-NOPE",
    },
    {
        "product_code": f.MILK.sku,
        "lot_number": "L1",
        "quantity": 1,
        "condition": "good",
        "to_barcode": f.BINS[0],
        "note": "\x00",
    },
]


@pytest.mark.parametrize("body", JUNK_SCANS)
@pytest.mark.parametrize("action", ["out", "returns", "approval", "extension"])
def test_junk_on_a_loan_is_refused_without_a_500(
    client: FlaskClient, stocked: Database, action: str, body: Any
):
    number = approved_loan(client, item(quantity=2))["number"]
    ok(scan_out(client, number, 1), 201)
    before = everything(client)
    response = client.post(
        f"{API}/loans/{number}/{action}", json=body, headers=headers(f.key("junk"), "junk")
    )
    assert response.status_code in (404, 409, 422), response.get_data(as_text=True)
    assert error_of(response, response.status_code).get("field")
    assert everything(client) == before


@pytest.mark.parametrize("action", ["out", "returns", "approval", "extension"])
@pytest.mark.parametrize("number", ["LN-NOPE", "x" * 300, "%00", "LN%2F1"])
def test_an_action_on_no_loan_is_refused_without_a_500(
    client: FlaskClient, stocked: Database, action: str, number: str
):
    body = {
        "out": {
            "product_code": f.MILK.sku,
            "lot_number": "L1",
            "quantity": 1,
            "from_barcode": f.BINS[0],
        },
        "returns": {
            "product_code": f.MILK.sku,
            "lot_number": "L1",
            "quantity": 1,
            "condition": "missing",
        },
        "approval": {"guarantee_reference": "BG", "guarantee_expires": "2099-01-01"},
        "extension": {"new_due_date": "2099-01-01", "reason": "x"},
    }[action]
    response = client.post(
        f"{API}/loans/{number}/{action}", json=body, headers=headers(f.key("none"), "someone")
    )
    assert response.status_code in (404, 422), response.get_data(as_text=True)
    error_of(response, response.status_code)


# --- stock shared between loans, lots under two declarations, loans left half out ----------


def test_two_loans_cannot_take_the_same_units_out(client: FlaskClient, stocked: Database):
    # 45 milk are free in A-01: both requests fit on their own, not together
    first = approved_loan(client, item(quantity=30))["number"]
    second = approved_loan(client, item(quantity=30))["number"]
    ok(scan_out(client, first, 30), 201)
    before = everything(client)
    error = error_of(scan_out(client, second, 30), 409)
    assert (error["code"], error["field"]) == ("insufficient_stock", "lines[0].quantity")
    assert error["details"]["available"] == 15
    assert everything(client) == before
    assert get_loan(client, second)["items"][0]["out"] == 0
    # a bin without the lot has none to give
    error = error_of(scan_out(client, second, 1, f.BINS[1]), 409)
    assert error["code"] == "insufficient_stock"
    assert ok(scan_out(client, second, 15), 201)["out_quantity"] == 15


def test_a_lot_number_lent_under_two_declarations_can_go_out_in_full(
    client: FlaskClient, stocked: Database
):
    """Lot L1 of milk came in under ED-1 (in A-01) and again under ED-2 (in A-02).  The
    request lets the loan lend both (saying which declaration), so both must be able to
    go out: each from the bin where that declaration's units are."""
    f.declare(stocked, "ED-2", (f.MILK.sku, 10))
    f.receive(stocked, "ED-2", f.MILK.sku, "L1", 10)
    ok(
        post_relocation(
            client, "putaways", quantity=10, to_barcode=f.BINS[1], declaration_number="ED-2"
        ),
        201,
    )
    number = approved_loan(
        client,
        item(quantity=1, declaration_number="ED-1"),
        item(quantity=1, declaration_number="ED-2"),
    )["number"]
    ok(scan_out(client, number, 1, f.BINS[0]), 201)  # ED-1's unit, from A-01
    second = scan_out(client, number, 1, f.BINS[1])  # ED-2's unit, from A-02
    assert second.status_code == 201, (
        "the second item (lot L1 under ED-2) can never go out: the scan is matched to "
        f"the first item of lot L1 whatever the bin: {second.get_data(as_text=True)}"
    )
    assert get_loan(client, number)["status"] == "out"
    # and both come back, each to its own declaration's account
    ok(scan_back(client, number, 1, "good", f.BINS[0]), 201)
    assert ok(scan_back(client, number, 1, "missing"), 201)["status"] == "written_off"
    lines = {line["declaration_number"]: line for line in book(client) if line["sku"] == "MILK-900"}
    assert [
        (lines[d]["on_display_loan"], lines[d]["returned"], lines[d]["written_off"])
        for d in ("ED-1", "ED-2")
    ] == [(0, 1, 0), (0, 0, 1)]
    assert reconciled(client)["reconciled"] is True


def test_a_loan_half_out_closes_once_what_went_out_is_back(client: FlaskClient, stocked: Database):
    """2 lent, 1 went out and came back: units never scanned out were not lent, so the
    loan closes rather than staying open for ever with nothing on display."""
    number = approved_loan(client, item(quantity=2))["number"]
    ok(scan_out(client, number, 1), 201)
    assert ok(scan_back(client, number, 1, "good", f.BINS[0]), 201)["status"] == "returned"
    loan = get_loan(client, number)
    assert loan["status"] == "returned" and loan["closed_at"]
    assert loan["items"][0]["on_display"] == 0
    assert error_of(scan_out(client, number, 1), 409)["field"] == "loan_number"
    assert at(client, f.SHOWROOM) == []


@pytest.mark.parametrize("which", ["return-\u00b2", "return-1\u00b9", "return-\u2460"])
def test_a_document_name_with_other_digits_is_refused_not_a_500(
    app: Flask, client: FlaskClient, stocked: Database, which: str
):
    """str.isdigit() holds for superscripts and circled digits, which int() refuses."""
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as in production
    number = approved_loan(client, item(quantity=1))["number"]
    ok(scan_out(client, number, 1), 201)
    ok(scan_back(client, number, 1, "good", f.BINS[0]), 201)
    assert error_of(document(client, number, which), 422)["field"] == "document"
