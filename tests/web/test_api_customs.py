"""The customs API: declarations and their documents behind bearer tokens, a broker seeing
only its merchants' lists (anything else a 404 like a number that does not exist)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient

from customs.message_check import check_message
from tests import factories as f
from tests.integration.customs import support as c
from tests.integration.outbound import support as o
from tests.web.support import API, error_of, ok
from wms.db import Database
from wms.models import OrderStatus
from wms.services import declarations, orders, releases
from wms.services.customs_documents import CHINA

BUYER_ID = "11010519491231002X"


@pytest.fixture
def wh(db: Database) -> Database:
    return c.stocked(db)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def labelled_on_batch(db: Database, *order_ids: int) -> str:
    parcels = [o.labelled_parcel(db, order_id) for order_id in order_ids]
    with db.transaction() as s:
        batch = releases.create_batch(
            s, warehouse_code=f.WAREHOUSE, vehicle_plate="沪B99999", actor="gate"
        ).number
    for parcel in parcels:
        with db.transaction() as s:
            releases.load_parcel(s, releases.LoadScan(batch, parcel, f.key("load"), "loader"))
    return batch


def declaration_of(db: Database, order_id: int) -> str:
    with db.reading() as s:
        number = orders.order_by_id(s, order_id).declaration_ref
    assert number
    return number


def status_of(db: Database, order_id: int) -> OrderStatus:
    with db.reading() as s:
        return orders.order_by_id(s, order_id).status


ROUTES = [
    ("get", "/customs/declarations/{number}"),
    ("post", "/customs/declarations/{number}/status"),
    ("get", "/customs/declarations/{number}/list.pdf"),
    ("get", "/customs/declarations/{number}/messages.zip"),
    ("get", "/release-batches/{batch}/declarations.pdf"),
    ("get", "/release-batches/{batch}/messages.zip"),
    ("post", "/release-batches/{batch}/release-note"),
    ("get", "/orders/{order_id}/export-documents/invoice.pdf"),
    ("get", "/orders/{order_id}/export-documents/customs-form.pdf"),
]
BODIES = {
    "/status": {"status": "cleared", "customs_number": "X1"},
    "/release-note": {"vehicle_weight_g": 3_000_000, "format": "json"},
}


def call(client: FlaskClient, method: str, path: str, token: str | None = None) -> Any:
    body = next((b for suffix, b in BODIES.items() if path.endswith(suffix)), None)
    headers = bearer(token) if token else {}
    return getattr(client, method)(f"{API}{path}", json=body, headers=headers)


@pytest.mark.parametrize(("method", "route"), [*ROUTES, ("get", "/customs/declarations")])
def test_every_route_wants_a_token(page_client, db, method, route):
    client = page_client
    path = route.format(number="CL1", batch="RB1", order_id=1)
    assert error_of(call(client, method, path), 401)["field"] == "Authorization"
    assert error_of(call(client, method, path, "wms_not-a-token"), 401)["field"] == "Authorization"


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_a_broker_of_another_organisation_gets_404_on_every_document(client, wh, method, route):
    theirs = o.receive_order(wh, (f.MILK.sku, 1), channel_code=c.OTHER_CHANNEL)
    batch = labelled_on_batch(wh, theirs)
    exported, _ = c.export_order(wh)
    number = declaration_of(wh, theirs)
    b1 = c.token(wh, "B1")
    path = route.format(number=number, batch=batch, order_id=exported)
    if "export-documents" in route or "release-note" in route:
        # the warehouse's own papers: no broker may call these at all
        assert error_of(call(client, method, path, b1), 403)["code"] == "forbidden"
        assert error_of(call(client, method, path, c.token(wh, "B2")), 403)
        return

    refused = error_of(call(client, method, path, b1), 404)

    # word for word what a number, batch or order that does not exist gets
    missing = route.format(number="CL9999999999-1", batch="RB-NONE", order_id=999_999)
    absent = error_of(call(client, method, missing, b1), 404)
    for value, placeholder in ((number, "N"), (batch, "B"), (str(exported), "O")):
        refused["message"] = refused["message"].replace(value, placeholder)
    for value, placeholder in (("CL9999999999-1", "N"), ("RB-NONE", "B"), ("999999", "O")):
        absent["message"] = absent["message"].replace(value, placeholder)
    assert refused == absent
    assert status_of(wh, theirs) is OrderStatus.LOADED  # nothing was decided
    if route.endswith("/status"):
        return  # deciding is tested below
    # ... while the broker of that merchant gets it
    assert call(client, method, path, c.token(wh, "B2")).status_code == 200


def test_internal_papers_are_there_for_an_internal_token(client, wh):
    order_id = o.receive_order(wh, (f.MILK.sku, 1))
    batch = labelled_on_batch(wh, order_id)
    exported, _ = c.export_order(wh)
    internal = c.token(wh)
    for path in (
        f"/release-batches/{batch}/release-note",
        f"/orders/{exported}/export-documents/invoice.pdf",
        f"/orders/{exported}/export-documents/customs-form.pdf",
    ):
        method = "post" if path.endswith("release-note") else "get"
        assert call(client, method, path, internal).status_code == 200, path


def test_a_broker_lists_and_reads_only_its_merchants_declarations(client, wh):
    _, mine = c.declared(wh, (f.MILK.sku, 1))
    _, theirs = c.declared(wh, (f.MILK.sku, 1), channel_code=c.OTHER_CHANNEL)
    b1, internal = c.token(wh, "B1"), c.token(wh)

    listed = ok(client.get(f"{API}/customs/declarations", headers=bearer(b1)))
    everything = ok(client.get(f"{API}/customs/declarations", headers=bearer(internal)))
    submitted = ok(
        client.get(
            f"{API}/customs/declarations",
            query_string={"status": "submitted", "kind": "import_list", "limit": 1},
            headers=bearer(internal),
        )
    )
    shown = ok(client.get(f"{API}/customs/declarations/{mine}", headers=bearer(b1)))

    assert [d["number"] for d in listed["declarations"]] == [mine]
    assert [d["number"] for d in everything["declarations"]] == [mine, theirs]
    assert [d["number"] for d in submitted["declarations"]] == [mine]
    after = submitted["next_after_id"]
    more = ok(
        client.get(
            f"{API}/customs/declarations",
            query_string={"after_id": after},
            headers=bearer(internal),
        )
    )
    assert [d["number"] for d in more["declarations"]] == [theirs]
    assert shown["number"] == mine and shown["consignee_id"] == "110105********002X"
    today = datetime.now(CHINA).date().isoformat()  # the filter reads Beijing dates
    for query, expected in (
        ({"from": today, "to": today}, [mine, theirs]),
        ({"to": "2020-01-31"}, []),
        ({"order_number": listed["declarations"][0]["order_number"]}, [mine]),
    ):
        found = ok(
            client.get(f"{API}/customs/declarations", query_string=query, headers=bearer(internal))
        )
        assert [d["number"] for d in found["declarations"]] == expected, query


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "approved"}, "status"),
        ({"kind": "letter"}, "kind"),
        ({"from": "2026-13-01"}, "from"),
        ({"from": "2026-11-22", "to": "2026-11-01"}, "from"),
        ({"limit": "0"}, "limit"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_junk_in_the_list_query_is_refused_naming_the_field(client, db, query, field):
    token = c.token(db)
    response = client.get(f"{API}/customs/declarations", query_string=query, headers=bearer(token))
    assert error_of(response, 422)["field"] == field


def test_clearing_through_the_api_clears_the_order(client, wh):
    order_id, number = c.declared(wh, (f.MILK.sku, 1))
    b1 = c.token(wh, "B1")

    body = ok(
        client.post(
            f"{API}/customs/declarations/{number}/status",
            json={"status": "cleared", "customs_number": "22162026I000777"},
            headers=bearer(b1),
        )
    )

    assert (body["status"], body["customs_number"]) == ("cleared", "22162026I000777")
    assert body["events"][-1]["via"] == "api"
    assert body["events"][-1]["actor"] == "B1:token-B1"
    assert status_of(wh, order_id) is OrderStatus.CLEARED
    again = client.post(
        f"{API}/customs/declarations/{number}/status",
        json={"status": "rejected", "reason": "late"},
        headers=bearer(b1),
    )
    assert error_of(again, 409)["field"] == "status"


def test_rejecting_through_the_api_rejects_the_order_with_the_reason(client, wh):
    order_id, number = c.declared(wh, (f.MILK.sku, 1))
    body = ok(
        client.post(
            f"{API}/customs/declarations/{number}/status",
            json={"status": "rejected", "reason": "订购人身份信息不符"},
            headers=bearer(c.token(wh)),
        )
    )
    assert (body["status"], body["reason"]) == ("rejected", "订购人身份信息不符")
    assert status_of(wh, order_id) is OrderStatus.REJECTED


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "approved"}, "status"),
        ({"status": "rejected"}, "reason"),
        ({"status": "rejected", "reason": "   "}, "reason"),
        ({"status": "cleared", "customs_number": "9" * 41}, "customs_number"),
        ({"status": "cleared", "extra": 1}, "extra"),
        ([], "body"),
    ],
)
def test_junk_status_is_refused_naming_the_field_and_changes_nothing(client, wh, body, field):
    order_id, number = c.declared(wh, (f.MILK.sku, 1))
    response = client.post(
        f"{API}/customs/declarations/{number}/status", json=body, headers=bearer(c.token(wh))
    )
    assert error_of(response, 422)["field"] == field
    assert status_of(wh, order_id) is OrderStatus.DECLARED


def test_the_list_pdf_is_masked_unless_personal_data_is_asked(client, wh):
    order_id, number = c.declared(wh, (f.MILK.sku, 2))
    b1 = c.token(wh, "B1")
    url = f"{API}/customs/declarations/{number}/list.pdf"

    masked = client.get(url, headers=bearer(b1))
    full = client.get(url, query_string={"personal_data": "1"}, headers=bearer(b1))

    assert masked.status_code == 200 and masked.mimetype == "application/pdf"
    (page,) = c.pdf_pages(masked.data)
    assert number in page and f"SF{order_id:010d}" in page and "398.00" in page
    assert BUYER_ID not in page
    (page,) = c.pdf_pages(full.data)
    assert BUYER_ID in page
    junk = client.get(url, query_string={"personal_data": "yes"}, headers=bearer(b1))
    assert error_of(junk, 422)["field"] == "personal_data"


def test_the_messages_zip_holds_both_messages_of_the_list(client, wh):
    _, number = c.declared(wh, (f.MILK.sku, 1))
    response = client.get(
        f"{API}/customs/declarations/{number}/messages.zip", headers=bearer(c.token(wh, "B1"))
    )
    assert response.status_code == 200 and response.mimetype == "application/zip"
    files = c.zip_files(response.data)
    assert sorted(files) == [f"{number}-CEB311.xml", f"{number}-CEB621.xml"]
    assert all(check_message(xml) == [] for xml in files.values())
    assert all(BUYER_ID in xml.decode() for xml in files.values())


def test_a_batch_pdf_holds_the_lists_the_caller_may_see(client, wh):
    mine = [o.receive_order(wh, (f.MILK.sku, 1)) for _ in range(2)]
    theirs = o.receive_order(wh, (f.SERUM.sku, 1), channel_code=c.OTHER_CHANNEL)
    batch = labelled_on_batch(wh, mine[0], theirs, mine[1])
    numbers = [declaration_of(wh, i) for i in (mine[0], theirs, mine[1])]

    internal = client.get(
        f"{API}/release-batches/{batch}/declarations.pdf", headers=bearer(c.token(wh))
    )
    broker = client.get(
        f"{API}/release-batches/{batch}/declarations.pdf", headers=bearer(c.token(wh, "B1"))
    )
    zipped = client.get(
        f"{API}/release-batches/{batch}/messages.zip", headers=bearer(c.token(wh, "B2"))
    )

    pages = c.pdf_pages(internal.data)
    assert internal.headers["X-List-Count"] == "3" and len(pages) == 3
    assert [n in page for n, page in zip(numbers, pages, strict=True)] == [True] * 3
    pages = c.pdf_pages(broker.data)
    assert len(pages) == 2 and not any(numbers[1] in page for page in pages)
    assert sorted(c.zip_files(zipped.data)) == [
        f"{numbers[1]}-CEB311.xml",
        f"{numbers[1]}-CEB621.xml",
    ]


def test_the_release_note_answers_the_gate_check_in_headers_and_json(client, wh):
    batch = labelled_on_batch(wh, o.receive_order(wh, (f.MILK.sku, 1)))
    token = c.token(wh)
    url = f"{API}/release-batches/{batch}/release-note"

    figures = ok(
        client.post(
            url,
            json={"vehicle_weight_g": 2_000_000, "measured_weight_g": 2_100_000, "format": "json"},
            headers=bearer(token),
        )
    )
    pdf = client.post(
        url, json={"vehicle_weight_g": 2_000_000, "measured_weight_g": 2_010_000},
        headers=bearer(token),
    )  # fmt: skip
    xml = client.post(
        url, json={"vehicle_weight_g": 2_000_000, "format": "xml"}, headers=bearer(token)
    )

    assert figures["gate_weighing"] == {
        "expected_g": 2_001_500, "measured_g": 2_100_000, "allowed_g": 40_030,
        "difference_g": 98_500, "passed": False,
    }  # fmt: skip
    assert figures["vehicle_plate"] == "沪B99999" and figures["total_gross_g"] == 1500
    assert pdf.mimetype == "application/pdf"
    assert pdf.headers["X-Gate-Weight-Check"] == "passed"
    assert pdf.headers["X-Gate-Allowed-Difference-g"] == "40030"
    assert "沪B99999" in c.pdf_pages(pdf.data)[0]
    assert xml.headers["X-Gate-Weight-Check"] == "not-weighed"
    assert "<VehicleWt>2000</VehicleWt>" in xml.get_data(as_text=True)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "vehicle_weight_g"),
        ({"vehicle_weight_g": -1}, "vehicle_weight_g"),
        ({"vehicle_weight_g": "heavy"}, "vehicle_weight_g"),
        ({"vehicle_weight_g": 1, "measured_weight_g": 1.5}, "measured_weight_g"),
        ({"vehicle_weight_g": 1, "format": "docx"}, "format"),
    ],
)
def test_junk_release_note_input_is_refused_naming_the_field(client, db, body, field):
    response = client.post(
        f"{API}/release-batches/RB1/release-note", json=body, headers=bearer(c.token(db))
    )
    assert error_of(response, 422)["field"] == field


def test_export_papers_and_reports(client, wh):
    order_id, number = c.export_order(wh, "DE", Decimal("20.00"))
    token = c.token(wh)
    invoice = client.get(
        f"{API}/orders/{order_id}/export-documents/invoice.pdf", headers=bearer(token)
    )
    form = client.get(
        f"{API}/orders/{order_id}/export-documents/customs-form.pdf", headers=bearer(token)
    )
    assert number in c.pdf_pages(invoice.data)[0]
    assert form.headers["X-Customs-Form"] == "CN22"
    with wh.reading() as s:
        submitted = declarations.declaration_by_number(s, number).submitted_at
    assert submitted is not None
    month = submitted.replace(tzinfo=submitted.tzinfo or UTC).astimezone(CHINA).strftime("%Y-%m")
    eu = client.get(
        f"{API}/export/eu-low-value", query_string={"month": month, "format": "json"},
        headers=bearer(token),
    )  # fmt: skip
    summary = client.get(
        f"{API}/export/monthly-summary", query_string={"month": month, "hs_digits": "4"},
        headers=bearer(token),
    )  # fmt: skip
    assert [row["waybill_no"] for row in eu.get_json()] == [f"SF{order_id:010d}"]
    assert summary.mimetype == "text/csv"
    assert summary.get_data(as_text=True).splitlines()[1].split(",")[5] == "0402"
    # a broker for another merchant sees none of it
    other = client.get(
        f"{API}/export/eu-low-value", query_string={"month": month, "format": "json"},
        headers=bearer(c.token(wh, "B2")),
    )  # fmt: skip
    assert other.get_json() == []


@pytest.mark.parametrize(
    ("path", "query", "field"),
    [
        ("/export/eu-low-value", {"month": "2026-13"}, "month"),
        ("/export/eu-low-value", {"month": "November"}, "month"),
        ("/export/eu-low-value", {}, "month"),
        ("/export/eu-low-value", {"month": "2026-11", "format": "xml"}, "format"),
        ("/export/monthly-summary", {"month": "2026-1"}, "month"),
        ("/export/monthly-summary", {"month": "2026-11", "hs_digits": "5"}, "hs_digits"),
    ],
)
def test_junk_report_queries_are_refused_naming_the_field(client, db, path, query, field):
    response = client.get(f"{API}{path}", query_string=query, headers=bearer(c.token(db)))
    assert error_of(response, 422)["field"] == field
