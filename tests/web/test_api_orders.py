"""The orders API: receiving (one, replayed, conflicting, a batch), junk input, lists and
filters, every transition legal and illegal, cancellation, and masked personal data."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests import factories as f
from tests.integration.outbound import support
from tests.web.support import API, error_of, headers, ok, stock
from wms.db import Database
from wms.models import OrderStatus
from wms.services import orders

ID_NUMBER = "11010519491231002X"
PHONE = "13812345678"
SECRETS = (ID_NUMBER, PHONE, "1949123100")


def order_body(number: str = "TM0001", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": support.CHANNEL,
        "order_number": number,
        "flow": "bonded_import",
        "warehouse": f.WAREHOUSE,
        "consignee": {
            "name": "张三",
            "id_type": "resident_id",
            "id_number": ID_NUMBER,
            "phone": PHONE,
            "country": "CN",
            "province": "浙江省",
            "city": "杭州市",
            "district": "余杭区",
            "address": "文一西路969号",
            "postcode": "311121",
        },
        "lines": [{"sku": f.MILK.sku, "quantity": 2, "unit_price": "199.00", "discount": "0"}],
        "currency": "CNY",
        "freight": "10.00",
        "insurance": "0",
        "payment": {
            "payment_number": f"PAY{number}",
            "payer_name": "张三",
            "payer_id_number": ID_NUMBER,
            # goods 2 x 199.00 + freight 10.00 + CBEC tax 9.1% of 408.00
            "amount": "445.13",
            "paid_at": "2026-11-21T08:30:00+08:00",
        },
    }
    body.update(overrides)
    return body


def domestic_body(number: str, **overrides: Any) -> dict[str, Any]:
    body = order_body(number, flow="domestic", **overrides)
    del body["payment"]
    body["consignee"] = {k: v for k, v in body["consignee"].items() if not k.startswith("id_")}
    return body


class Seen:
    """Every answer a test got, to check that personal data never left in clear."""

    def __init__(self, client: FlaskClient) -> None:
        self.client, self.texts = client, []

    def __call__(self, method: str, path: str, **kwargs: Any) -> TestResponse:
        response = getattr(self.client, method)(f"{API}{path}", **kwargs)
        self.texts.append(response.get_data(as_text=True))
        return response

    def assert_masked(self) -> None:
        assert self.texts
        for text in self.texts:
            for secret in SECRETS:
                assert secret not in text


@pytest.fixture
def api(client: FlaskClient, stocked: Database) -> Seen:
    support.channel(stocked)
    return Seen(client)


def order_count(api: Seen) -> int:
    return len(ok(api("get", "/orders"))["orders"])


def test_an_order_is_created_then_replayed_and_a_changed_one_is_refused(api: Seen):
    created = ok(api("post", "/orders", json=order_body(), headers=headers(actor="tmall")), 201)
    assert created["status"] == "received"
    assert created["consignee"]["id_number"] == "110105********002X"
    assert created["consignee"]["phone"] != PHONE and created["consignee"]["phone"].endswith("5678")
    assert created["lines"] == [
        {
            "line_no": 1,
            "sku": f.MILK.sku,
            "quantity": 2,
            "unit_price": "199.0000",
            "discount": "0.0000",
            "picked_quantity": 0,
        }
    ]
    assert created["payment"]["paid_at"] == "2026-11-21T00:30:00+00:00"

    again = ok(api("post", "/orders", json=order_body()), 200)
    assert again == created
    # The same amounts written differently are the same order.
    same = order_body(freight="10", lines=[{"sku": f.MILK.sku, "quantity": 2, "unit_price": 199}])
    assert ok(api("post", "/orders", json=same), 200)["id"] == created["id"]

    changed = order_body(lines=[{"sku": f.MILK.sku, "quantity": 3, "unit_price": "199.00"}])
    error = error_of(api("post", "/orders", json=changed), 409)
    assert error["field"] == "order_number"
    assert order_count(api) == 1
    events = ok(api("get", f"/orders/{created['id']}"))["events"]
    assert [(e["actor"], e["from"], e["to"]) for e in events] == [("tmall", None, "received")]
    api.assert_masked()


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(body: dict[str, Any]) -> None:
        *parents, leaf = path.split(".")
        target: Any = body
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is _DROP:
            del target[leaf]
        else:
            target[int(leaf) if leaf.isdigit() else leaf] = value

    return change


_DROP = object()
JUNK: list[tuple[str, Callable[[dict[str, Any]], None], str, int]] = [
    ("no channel", _set("channel", _DROP), "channel", 422),
    ("no order number", _set("order_number", _DROP), "order_number", 422),
    ("no lines", _set("lines", _DROP), "lines", 422),
    ("empty lines", _set("lines", []), "lines", 422),
    ("lines not a list", _set("lines", "MILK"), "lines", 422),
    (
        "201 lines",
        _set("lines", [{"sku": "MILK-900", "quantity": 1, "unit_price": "1"}] * 201),
        "lines",
        422,
    ),
    ("no consignee", _set("consignee", _DROP), "consignee", 422),
    ("no consignee name", _set("consignee.name", _DROP), "consignee.name", 422),
    ("blank consignee name", _set("consignee.name", "   "), "consignee.name", 422),
    ("no phone", _set("consignee.phone", _DROP), "consignee.phone", 422),
    ("phone of letters", _set("consignee.phone", "call me"), "consignee.phone", 422),
    ("quantity as text", _set("lines.0.quantity", "2"), "lines[0].quantity", 422),
    ("negative quantity", _set("lines.0.quantity", -1), "lines[0].quantity", 422),
    ("zero quantity", _set("lines.0.quantity", 0), "lines[0].quantity", 422),
    ("fractional quantity", _set("lines.0.quantity", 2.5), "lines[0].quantity", 422),
    ("boolean quantity", _set("lines.0.quantity", True), "lines[0].quantity", 422),
    ("negative price", _set("lines.0.unit_price", "-1.00"), "lines[0].unit_price", 422),
    ("NaN price", _set("lines.0.unit_price", "NaN"), "lines[0].unit_price", 422),
    ("price with 3 decimals", _set("lines.0.unit_price", 19.999), "lines[0].unit_price", 422),
    ("price of words", _set("lines.0.unit_price", "cheap"), "lines[0].unit_price", 422),
    ("astronomic freight", _set("freight", "1e30"), "freight", 422),
    ("lower-case currency", _set("currency", "cny"), "currency", 422),
    ("four-letter currency", _set("currency", "EURO"), "currency", 422),
    ("unknown flow", _set("flow", "teleport"), "flow", 422),
    ("naive paid_at", _set("payment.paid_at", "2026-11-21T08:30:00"), "payment.paid_at", 422),
    ("paid_at of words", _set("payment.paid_at", "yesterday"), "payment.paid_at", 422),
    ("three-letter country", _set("consignee.country", "CHN"), "consignee.country", 422),
    ("unknown ID type", _set("consignee.id_type", "library_card"), "consignee.id_type", 422),
    ("huge name", _set("consignee.name", "x" * 5000), "consignee.name", 422),
    ("NUL in address", _set("consignee.address", "Road\x00 1"), "consignee.address", 422),
    ("NUL in order number", _set("order_number", "TM\x001"), "order_number", 422),
    ("unknown field", _set("vip", True), "vip", 422),
    ("unknown SKU", _set("lines.0.sku", "NO-SUCH-SKU"), "lines[0].sku", 404),
    ("unknown channel", _set("channel", "EBAY"), "channel", 404),
    ("unknown warehouse", _set("warehouse", "NOWH"), "warehouse", 404),
    ("import without ID", _set("consignee.id_number", _DROP), "consignee.id_number", 422),
    ("import without payment", _set("payment", _DROP), "payment", 422),
    ("discount above value", _set("lines.0.discount", "999.00"), "lines[0].discount", 422),
]


@pytest.mark.parametrize(
    ("change", "field", "status"), [j[1:] for j in JUNK], ids=[j[0] for j in JUNK]
)
def test_junk_is_refused_naming_the_field_and_nothing_is_written(
    api: Seen, change: Callable[[dict[str, Any]], None], field: str, status: int
):
    body = copy.deepcopy(order_body())
    change(body)
    error = error_of(api("post", "/orders", json=body), status)
    assert error["field"] == field, error
    assert order_count(api) == 0
    api.assert_masked()


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b"", b'"text"'])
def test_a_body_that_is_not_an_object_is_refused(api: Seen, raw: bytes):
    response = api("post", "/orders", data=raw, content_type="application/json")
    assert error_of(response, 422)["field"] == "body"
    assert order_count(api) == 0


def test_the_list_filters_and_pages(api: Seen, stocked: Database):
    with stocked.transaction() as s:
        orders.create_channel(s, orders.ChannelInput("JDWW", "JD Worldwide"))
    first = ok(api("post", "/orders", json=order_body("A1")), 201)
    ok(api("post", "/orders", json=order_body("A2", channel="JDWW")), 201)
    ok(api("post", "/orders", json=domestic_body("D1")), 201)
    ok(api("post", f"/orders/{first['id']}/allocate"))

    def numbers(**query: Any) -> list[str]:
        return [o["order_number"] for o in ok(api("get", "/orders", query_string=query))["orders"]]

    assert numbers() == ["A1", "A2", "D1"]
    assert numbers(status="allocated") == ["A1"]
    assert numbers(status="received", flow="bonded_import") == ["A2"]
    assert numbers(flow="domestic") == ["D1"]
    assert numbers(channel="JDWW") == ["A2"]
    assert numbers(limit=1, offset=1) == ["A2"]
    page = ok(api("get", "/orders", query_string={"limit": 2}))
    assert [o["order_number"] for o in page["orders"]] == ["A1", "A2"]
    rest = ok(api("get", "/orders", query_string={"limit": 2, "after_id": page["next_after_id"]}))
    assert [o["order_number"] for o in rest["orders"]] == ["D1"]
    assert rest["next_after_id"] is None
    assert (
        error_of(api("get", "/orders", query_string={"status": "lost"}), 422)["field"] == "status"
    )
    assert error_of(api("get", "/orders", query_string={"limit": 0}), 422)["field"] == "limit"
    assert error_of(api("get", "/orders/99999"), 404)["field"] == "order_id"
    assert error_of(api("get", f"/orders/{2**70}"), 404)["field"] == "order_id"
    api.assert_masked()


def test_a_bonded_order_walks_its_whole_flow_and_every_step_is_recorded(
    api: Seen, stocked: Database
):
    order_id = ok(api("post", "/orders", json=order_body()), 201)["id"]
    who = headers(actor="planner.li")

    def step(path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        return ok(api("post", f"/orders/{order_id}/{path}", json=body, headers=who))

    allocated = step("allocate")
    assert allocated["order"]["status"] == "allocated"
    assert allocated["allocation"]["reserved"] == [
        {"line_no": 1, "sku": f.MILK.sku, "lot": "L1", "location": f.BINS[0], "quantity": 2}
    ]
    planned = step("plan", {"courier_code": "SF", "tracking_number": "SF1234567890"})
    assert (planned["status"], planned["tracking_number"]) == ("planned", "SF1234567890")
    declared = step("declare")
    assert (declared["status"], declared["declaration_ref"]) == ("declared", f"CL{order_id:010d}-1")
    held = step("hold", {"reason": "inspection of the formula"})
    assert (held["status"], held["resume_status"]) == ("on_hold", "declared")
    assert held["hold_reason"] == {"kind": "customs", "reason": "inspection of the formula"}
    cleared = step("clear")
    assert (cleared["status"], cleared["hold_reason"]) == ("cleared", None)
    with stocked.transaction() as s:  # picking, packing and gate-out have their own APIs
        order = orders.order_by_id(s, order_id)
        for target in ("picked", "packed", "labelled", "loaded", "released"):
            orders.transition(s, order, OrderStatus(target), kind=target, actor="floor")
    assert step("hand-over")["status"] == "handed_over"

    events = ok(api("get", f"/orders/{order_id}"))["events"]
    assert [(e["from"], e["to"]) for e in events] == [
        (None, "received"),
        ("received", "allocated"),
        ("allocated", "planned"),
        ("planned", "declared"),
        ("declared", "on_hold"),
        ("on_hold", "cleared"),
        ("cleared", "picked"),
        ("picked", "packed"),
        ("packed", "labelled"),
        ("labelled", "loaded"),
        ("loaded", "released"),
        ("released", "handed_over"),
    ]
    assert {e["actor"] for e in events[1:6]} == {"planner.li"}
    assert all(e["at"].endswith("+00:00") for e in events)
    assert events[3]["details"]["declaration"] == f"CL{order_id:010d}-1"
    assert events[3]["details"]["tax_total"] == "37.1300"
    api.assert_masked()


ILLEGAL: list[tuple[str, str, dict[str, Any] | None, str]] = [
    ("declare", "received", {"declaration_ref": "INV-1"}, "is received; it cannot become declared"),
    ("clear", "received", None, "is received; it cannot become cleared"),
    ("plan", "received", {"courier_code": "SF", "tracking_number": "SF1"}, "cannot become planned"),
    ("hand-over", "received", None, "cannot become handed_over"),
    ("reject", "allocated", {"reason": "quota"}, "is allocated; it cannot become rejected"),
    ("hold", "allocated", {"reason": "x"}, "customs holds only a declared order"),
    ("declare", "declared", {"declaration_ref": "INV-2"}, "is declared; it cannot become declared"),
    ("hand-over", "cleared", None, "is cleared; it cannot become handed_over"),
]


@pytest.mark.parametrize(("path", "status", "body", "message"), ILLEGAL)
def test_illegal_transitions_answer_409_with_the_reason(
    api: Seen, stocked: Database, path: str, status: str, body: Any, message: str
):
    order_id = ok(api("post", "/orders", json=order_body()), 201)["id"]
    with stocked.transaction() as s:
        if status != "received":
            from wms.services import allocation

            allocation.allocate(s, order_id, actor="t")
        order = orders.order_by_id(s, order_id)
        for target in ("planned", "declared", "cleared"):
            if order.status.value == status:
                break
            if target == "planned":
                orders.plan(s, order, courier_code="SF", tracking_number="SF9", actor="t")
            else:
                orders.transition(s, order, OrderStatus(target), kind=target, actor="t")
    before = ok(api("get", f"/orders/{order_id}"))
    assert before["status"] == status
    error = error_of(api("post", f"/orders/{order_id}/{path}", json=body), 409)
    assert message in error["message"]
    assert ok(api("get", f"/orders/{order_id}")) == before  # nothing recorded


def test_rejected_then_corrected_and_declared_again(api: Seen, stocked: Database):
    order_id = ok(api("post", "/orders", json=order_body()), 201)["id"]
    support.advance(stocked, order_id, "allocated", "planned", "declared")
    bad = error_of(api("post", f"/orders/{order_id}/reject", json={}), 422)
    assert bad["field"] == "reason"
    rejected = ok(api("post", f"/orders/{order_id}/reject", json={"reason": "ID name mismatch"}))
    assert (rejected["status"], rejected["customs_note"]) == ("rejected", "ID name mismatch")
    again = ok(api("post", f"/orders/{order_id}/declare"))
    assert (again["status"], again["declaration_ref"]) == ("declared", f"CL{order_id:010d}-2")


def test_domestic_orders_are_never_declared(api: Seen):
    order_id = ok(api("post", "/orders", json=domestic_body("D1")), 201)["id"]
    error = error_of(api("post", f"/orders/{order_id}/declare", json={"declaration_ref": "X"}), 409)
    assert error["field"] == "flow"


def test_cancelling_frees_the_stock_once_per_key(api: Seen, client: FlaskClient):
    before = stock(client, sku=f.MILK.sku)
    order_id = ok(api("post", "/orders", json=order_body()), 201)["id"]
    ok(api("post", f"/orders/{order_id}/allocate"))
    path = f"/orders/{order_id}/cancel"
    assert error_of(api("post", path, json={"reason": "buyer"}), 422)["field"] == "Idempotency-Key"
    first = ok(api("post", path, json={"reason": "buyer changed mind"}, headers=headers("c-1")))
    assert (first["status"], first["from_status"], first["freed_units"]) == (
        "cancelled",
        "allocated",
        2,
    )
    assert first["replayed"] is False and first["order"]["status"] == "cancelled"
    replay = ok(api("post", path, json={"reason": "buyer changed mind"}, headers=headers("c-1")))
    assert replay["replayed"] is True and replay["operation_id"] == first["operation_id"]
    error = error_of(api("post", path, json={"reason": "again"}, headers=headers("c-2")), 409)
    assert "already cancelled" in error["message"]
    assert stock(client, sku=f.MILK.sku) == before
    milk = ok(api("get", "/stock", query_string={"sku": f.MILK.sku, "location": f.BINS[0]}))
    assert milk["rows"][0]["reserved"] == 0
    api.assert_masked()


def test_a_batch_answers_per_order(api: Seen):
    good = order_body("B1")
    negative = order_body("B2", lines=[{"sku": f.MILK.sku, "quantity": -2, "unit_price": "1"}])
    clash = order_body("B1", freight="99.00")
    unknown = order_body("B4", lines=[{"sku": "GHOST", "quantity": 1, "unit_price": "1"}])
    body = {"orders": [good, negative, clash, unknown, "junk", good]}
    answer = ok(api("post", "/orders/batch", json=body))
    assert (answer["accepted"], answer["refused"]) == (2, 4)
    results = answer["results"]
    assert [r["status"] for r in results] == [
        "new",
        "refused",
        "refused",
        "refused",
        "refused",
        "existing",
    ]
    assert results[5]["order_id"] == results[0]["order_id"]
    assert results[1]["error"]["field"] == "lines[0].quantity"
    assert results[2]["error"]["field"] == "order_number"
    assert results[3]["error"]["field"] == "lines[0].sku"
    assert results[4]["error"]["field"] == "order"
    assert order_count(api) == 1
    too_many = {"orders": [good] * 501}
    assert error_of(api("post", "/orders/batch", json=too_many), 422)["field"] == "orders"
    api.assert_masked()
