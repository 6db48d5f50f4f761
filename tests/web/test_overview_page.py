"""The read-only overview page: stock by zone, the account book and its health."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import text

from tests import factories as f
from tests.web.support import API, ok, post_receipt, post_relocation, product_body
from wms.db import Database

RECONCILED = (
    '<p class="ok" id="reconciliation">Reconciled: the account book agrees with the stock '
    "on hand.</p>"
)


def page(client: FlaskClient) -> str:
    response = client.get("/overview")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.mimetype_params.get("charset") == "utf-8"
    return response.get_data(as_text=True)


def book_row(line_no: int, sku: str, *numbers: int) -> str:
    cells = "".join(f"<td>{n}</td>" for n in numbers)
    return f'<tr><td>{line_no}</td><td class="text">{sku}</td>{cells}</tr>'


def zone_row(zone: str, bonded: str, skus: int, on_hand: int, reserved: int) -> str:
    return (
        f'<tr><td>SHA1</td><td class="text">{zone}</td><td class="text">{bonded}</td>'
        f"<td>{skus}</td><td>{on_hand}</td><td>{reserved}</td></tr>"
    )


def test_an_empty_system_shows_an_empty_reconciled_overview(client: FlaskClient):
    html = page(client)
    assert "<title>Stock and account book · WMS</title>" in html
    assert "0 products · 0 entry declarations" in html
    assert RECONCILED in html
    assert '<td colspan="6" class="muted">No stock yet.</td>' in html
    assert '<p class="muted">No entry declarations yet.</p>' in html


def test_the_overview_shows_each_declaration_line_of_the_account_book(
    warehouse: Database, client: FlaskClient
):
    ok(post_receipt(client, quantity=60), 201)
    ok(post_receipt(client, product_code=f.SERUM.sku, lot_number="S1", quantity=40), 201)
    html = page(client)
    assert "2 products · 1 entry declarations" in html
    assert '<h3>ED-1 <span class="muted">(open)</span></h3>' in html
    #                              declared received released loan returned off adjusted balance
    assert book_row(1, f.MILK.sku, 100, 60, 0, 0, 0, 0, 0, 60) in html
    assert book_row(2, f.SERUM.sku, 40, 40, 0, 0, 0, 0, 0, 40) in html
    assert html.index(book_row(1, f.MILK.sku, 100, 60, 0, 0, 0, 0, 0, 60)) < html.index(
        book_row(2, f.SERUM.sku, 40, 40, 0, 0, 0, 0, 0, 40)
    )
    assert RECONCILED in html
    assert "No entry declarations yet." not in html


def test_the_overview_agrees_with_the_account_book_api(stocked: Database, client: FlaskClient):
    html = page(client)
    for line in ok(client.get(f"{API}/account-book"))["lines"]:
        numbers = [
            line[c]
            for c in (
                "declared",
                "received",
                "released",
                "on_display_loan",
                "returned",
                "written_off",
                "adjusted",
                "balance",
            )
        ]
        assert book_row(line["line_no"], line["sku"], *numbers) in html


def test_the_overview_shows_stock_by_zone(stocked: Database, client: FlaskClient):
    html = page(client)
    # The dock is in zone A: 45 in A-01 and 5 on the dock.
    assert zone_row("A", "yes", 1, 50, 0) in html
    assert zone_row("B", "yes", 1, 40, 0) in html
    assert zone_row("Q", "yes", 1, 10, 0) in html
    assert "No stock yet." not in html


def test_the_overview_follows_a_putaway_made_through_the_api(
    warehouse: Database, client: FlaskClient
):
    ok(post_receipt(client, product_code=f.SERUM.sku, lot_number="S1", quantity=40), 201)
    assert zone_row("A", "yes", 1, 40, 0) in page(client)
    ok(
        post_relocation(
            client, product_code=f.SERUM.sku, lot_number="S1", quantity=40, to_barcode=f.BINS[2]
        ),
        201,
    )
    html = page(client)
    assert zone_row("B", "yes", 1, 40, 0) in html
    assert zone_row("A", "yes", 1, 40, 0) not in html


def test_a_closed_declaration_is_marked_closed(warehouse: Database, client: FlaskClient):
    ok(client.post(f"{API}/declarations/ED-1/close"))
    assert '<h3>ED-1 <span class="muted">(closed)</span></h3>' in page(client)


def test_a_book_that_disagrees_with_the_stock_is_shown_as_mismatches(
    stocked: Database, client: FlaskClient
):
    with stocked.engine.begin() as conn:
        conn.execute(text("UPDATE account_book_lines SET received = received + 3"))
    html = page(client)
    assert RECONCILED not in html
    assert (
        '<p class="bad" id="reconciliation">2 mismatch(es) between the account book and '
        "the stock on hand</p>"
    ) in html
    for line, on_hand in ((1, 60), (2, 40)):
        assert (
            f'<tr><td>book_vs_stock</td><td class="text">ED-1/{line}</td>'
            f'<td class="text">balance</td><td>{on_hand}</td><td>{on_hand + 3}</td></tr>'
        ) in html
    # The API's full check also replays the ledger and finds the received column wrong.
    full = ok(client.get(f"{API}/account-book/reconciliation"))
    assert {
        "check": "book_vs_ledger",
        "subject": "ED-1/1",
        "field": "received",
        "expected": 60,
        "actual": 63,
    } in full["mismatches"]


def test_text_from_the_api_is_escaped_on_the_page(warehouse: Database, client: FlaskClient):
    ok(client.post(f"{API}/products", json=product_body(sku="<b>X</b>", gtin=None)), 201)
    f.declare(warehouse, "ED-2", ("<b>X</b>", 3))
    html = page(client)
    assert book_row(1, "&lt;b&gt;X&lt;/b&gt;", 3, 0, 0, 0, 0, 0, 0, 0) in html
    assert "<b>X</b>" not in html
