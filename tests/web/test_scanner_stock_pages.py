"""The scanner pages that move stock (/scan/receive, /putaway, /loan-out, /loan-return,
/count): who may open them, what they hand their script, and the API calls the script
makes with the session cookie, its CSRF token and a device-made idempotency key."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests import factories as f
from tests.web.people_support import make_user, sign_in
from tests.web.support import API, error_of, ok
from wms.db import Database

PAGES = {
    "/scan/receive": "receive",
    "/scan/putaway": "putaway",
    "/scan/loan-out": "loan_out",
    "/scan/loan-return": "loan_return",
    "/scan/count": "count",
}
SCRIPT = Path(__file__).resolve().parents[2] / "wms" / "web" / "static" / "scanner_stock.js"
_JSON_BLOCK = r'<script type="application/json" id="{}">(.*?)</script>'
A01, A02, B01 = f.BINS


def json_block(html: str, block: str) -> Any:
    found = re.search(_JSON_BLOCK.format(block), html, re.S)
    assert found, f"no {block} block"
    return json.loads(found.group(1))


def page(page_client: FlaskClient, path: str) -> str:
    response = page_client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[-500:]
    return response.get_data(as_text=True)


def signed_in(page_client: FlaskClient, db: Database, role: str, name: str = "ann") -> str:
    make_user(db, name, role)
    return sign_in(page_client, name)


def sent(csrf: str, key: str, entry: str = "scanned") -> dict[str, str]:
    """The headers the page's script sends with a stock action."""
    return {"X-CSRF-Token": csrf, "Idempotency-Key": key, "X-Scan-Entry": entry}


# --- who may open the pages, what they carry ---------------------------------------------------


@pytest.mark.parametrize("role", ["staff", "admin"])
@pytest.mark.parametrize("path", sorted(PAGES))
def test_the_pages_render_for_the_warehouse_floor(
    page_client: FlaskClient, db: Database, role: str, path: str
) -> None:
    signed_in(page_client, db, role)
    html = page(page_client, path)
    config = json_block(html, "scan-config")
    assert config["flow"] == PAGES[path]
    assert config["user"] == "ann"
    assert json_block(html, "scan-strings")["error_ack"] == "OK, I have seen it"
    assert "/static/scanner.js" in html and "/static/scanner_stock.js" in html
    assert html.index("/static/scanner.js") < html.index("/static/scanner_stock.js")
    assert 'id="scan-error"' in html and 'name="csrf-token"' in html
    # Every input has its label.
    for field in re.findall(r'<input id="([^"]+)"', html):
        assert f'for="{field}"' in html, field


@pytest.mark.parametrize("role", ["planner", "broker"])
@pytest.mark.parametrize("path", sorted(PAGES))
def test_planners_and_brokers_are_refused(
    page_client: FlaskClient, db: Database, role: str, path: str
) -> None:
    make_user(db, "bob", role, broker="BRK1" if role == "broker" else None)
    sign_in(page_client, "bob")
    assert page_client.get(path).status_code == 403


def test_signed_out_people_are_sent_to_sign_in(page_client: FlaskClient, db: Database) -> None:
    response = page_client.get("/scan/count")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=/scan/count")


def test_the_menu_offers_the_stock_flows(page_client: FlaskClient, db: Database) -> None:
    signed_in(page_client, db, "staff")
    html = page(page_client, "/scan/")
    for path in PAGES:
        assert f'href="{path}"' in html
    for label in ("Receive goods", "Put away", "Loan out", "Loan return", "Count a bin"):
        assert label in html


def keys_used(text: str) -> set[str]:
    """S.t("key") calls, and the table columns named as "col_..." keys passed to S.t."""
    return set(re.findall(r'S\.t\("(\w+)"', text)) | set(re.findall(r'"(col_\w+)"', text))


def test_every_string_the_script_uses_is_on_the_pages(
    page_client: FlaskClient, db: Database
) -> None:
    """The script shows no text of its own: each S.t("key") comes from the page it runs on."""
    signed_in(page_client, db, "staff")
    script = SCRIPT.read_text(encoding="utf-8")
    start, end = script.index("function loanFlow"), script.index("// --- loan out")
    loan_helper, script = script[start:end], script[:start] + script[end:]
    parts = re.split(r'WmsScanner\.flow\("(\w+)"', script)
    helpers = keys_used(parts[0])
    by_flow = dict(zip(parts[1::2], parts[2::2], strict=True))
    assert sorted(by_flow) == sorted(PAGES.values())
    for path, flow in PAGES.items():
        offered = set(json_block(page(page_client, path), "scan-strings"))
        used = keys_used(by_flow[flow]) | helpers
        if flow.startswith("loan"):
            used |= keys_used(loan_helper)
        assert len(used) > 10, flow
        assert sorted(used - offered) == [], flow


def test_the_script_writes_no_text_of_its_own() -> None:
    script = SCRIPT.read_text(encoding="utf-8")
    # Text nodes are only S.t(...), data from the API, numbers, or symbols.
    for literal in re.findall(r'el\("[a-z0-9]+", [^)]*?, "([^"]*)"\)', script):
        assert not re.search(r"[A-Za-z]{2}", literal), literal


# --- receive -----------------------------------------------------------------------------------


def test_receiving_through_the_session(page_client: FlaskClient, warehouse: Database) -> None:
    csrf = signed_in(page_client, warehouse, "staff")
    chooser = page(page_client, "/scan/receive")
    assert 'data-choice="ED-1"' in chooser
    chosen = page(page_client, "/scan/receive?declaration=ED-1")
    config = json_block(chosen, "scan-config")
    assert (config["declaration"], config["docks"]) == ("ED-1", [f.DOCK])
    assert json_block(chosen, "scan-strings")["receive_submit"] == "Receive %(n)s"

    # The GS1 lot label fills SKU, lot and expiry at once.
    label = f"(01){f.MILK.gtin.zfill(14)}(17)280630(10)L9"
    reading = ok(page_client.post(f"{API}/scans", json={"scan": label}, headers=sent(csrf, "r")))
    assert (reading["kind"], reading["sku"], reading["lot_number"], reading["expiry_date"]) == (
        "lot",
        f.MILK.sku,
        "L9",
        "2028-06-30",
    )
    body = {
        "product_code": reading["sku"],
        "lot_number": reading["lot_number"],
        "quantity": 30,
        "dock_barcode": f.DOCK,
        "expiry_date": reading["expiry_date"],
    }
    path = f"{API}/declarations/ED-1/receipts"
    error_of(page_client.post(path, json=body, headers={"Idempotency-Key": "rcv-1"}), 403)
    first = ok(page_client.post(path, json=body, headers=sent(csrf, "rcv-1")), 201)
    assert first["outstanding_quantity"] == 70
    again = ok(page_client.post(path, json=body, headers=sent(csrf, "rcv-1")))
    assert again["replayed"] and again["operation_id"] == first["operation_id"]
    lines = ok(page_client.get(f"{API}/declarations/ED-1"))["lines"]
    assert lines[0]["received_quantity"] == 30

    over = error_of(
        page_client.post(path, json=body | {"quantity": 71}, headers=sent(csrf, "rcv-2")), 409
    )
    assert over["code"] == "over_receipt"
    assert (over["details"]["declared"], over["details"]["received"]) == (100, 30)


# --- putaway -----------------------------------------------------------------------------------


def test_putting_away_through_the_session(page_client: FlaskClient, stocked: Database) -> None:
    csrf = signed_in(page_client, stocked, "staff")
    page(page_client, "/scan/putaway")
    at_dock = ok(page_client.get(f"{API}/stock", query_string={"location": f.DOCK}))["rows"]
    assert [(r["sku"], r["lot_number"], r["quantity"]) for r in at_dock] == [(f.MILK.sku, "L1", 5)]
    body = {
        "product_code": f.MILK.sku,
        "lot_number": "L1",
        "quantity": 5,
        "from_barcode": f.DOCK,
        "to_barcode": A02,
    }
    result = ok(page_client.post(f"{API}/putaways", json=body, headers=sent(csrf, "p-1")), 201)
    assert (result["from"], result["to"], result["quantity"]) == (f.DOCK, A02, 5)
    assert ok(page_client.post(f"{API}/putaways", json=body, headers=sent(csrf, "p-1")))["replayed"]


# --- display loans -----------------------------------------------------------------------------


def approved_loan(client: FlaskClient, quantity: int = 3) -> str:
    due = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
    loan = ok(
        client.post(
            f"{API}/loans",
            json={
                "showroom_barcode": f.SHOWROOM,
                "due_date": due,
                "items": [{"sku": f.MILK.sku, "lot_number": "L1", "quantity": quantity}],
            },
            headers={"X-Actor": "merchandiser"},
        ),
        201,
    )
    expires = (datetime.now(UTC).date() + timedelta(days=60)).isoformat()
    ok(
        client.post(
            f"{API}/loans/{loan['number']}/approval",
            json={"guarantee_reference": "BG-1", "guarantee_expires": expires},
            headers={"X-Actor": "customs officer"},
        )
    )
    return str(loan["number"])


def test_a_loan_goes_out_and_comes_back_through_the_session(
    page_client: FlaskClient, client: FlaskClient, stocked: Database
) -> None:
    number = approved_loan(client)
    csrf = signed_in(page_client, stocked, "staff")
    assert f'data-choice="{number}"' in page(page_client, "/scan/loan-out")
    assert f'data-choice="{number}"' not in page(page_client, "/scan/loan-return")

    loan = ok(page_client.get(f"{API}/loans/{number}"))
    assert [(i["sku"], i["lot_number"], i["quantity"], i["out"]) for i in loan["items"]] == [
        (f.MILK.sku, "L1", 3, 0)
    ]
    where = ok(
        page_client.get(
            f"{API}/stock",
            query_string={"sku": f.MILK.sku, "lot": "L1", "bonded": "true", "sellable": "true"},
        )
    )["rows"]
    assert [r["location"] for r in where] == [A01]
    out = {"product_code": f.MILK.sku, "lot_number": "L1", "quantity": 3, "from_barcode": A01}
    result = ok(
        page_client.post(f"{API}/loans/{number}/out", json=out, headers=sent(csrf, "o-1")), 201
    )
    assert result["status"] == "out"
    assert f'data-choice="{number}"' in page(page_client, "/scan/loan-return")

    back = {
        "product_code": f.MILK.sku,
        "lot_number": "L1",
        "quantity": 2,
        "condition": "good",
        "to_barcode": A01,
    }
    path = f"{API}/loans/{number}/returns"
    ok(page_client.post(path, json=back, headers=sent(csrf, "b-1", "typed")), 201)
    lost = {
        "product_code": f.MILK.sku,
        "lot_number": "L1",
        "quantity": 1,
        "condition": "damaged",
        "note": "dropped",
    }
    written = ok(page_client.post(path, json=lost, headers=sent(csrf, "b-2")), 201)
    assert written["condition"] == "damaged" and written["on_display"] == 0
    assert ok(page_client.post(path, json=lost, headers=sent(csrf, "b-2")))["replayed"]


# --- count -------------------------------------------------------------------------------------


def test_the_count_page_is_blind_for_the_counter(
    page_client: FlaskClient, stocked: Database
) -> None:
    signed_in(page_client, stocked, "staff")
    for path in ("/scan/count", "/scan/count?blind=0"):
        html = page(page_client, path)
        assert json_block(html, "scan-config")["blind"] is True
        assert 'id="count-expected"' not in html
        assert 'href="/scan/count?blind=0"' not in html  # no way to the expected quantities


def test_a_supervisor_may_count_with_the_expected_quantities(
    page_client: FlaskClient, stocked: Database
) -> None:
    signed_in(page_client, stocked, "admin")
    assert json_block(page(page_client, "/scan/count"), "scan-config")["blind"] is True
    html = page(page_client, "/scan/count?blind=0")
    assert json_block(html, "scan-config")["blind"] is False
    assert 'id="count-expected"' in html


def test_counting_a_bin_through_the_session(page_client: FlaskClient, stocked: Database) -> None:
    csrf = signed_in(page_client, stocked, "staff")
    sheet = ok(page_client.get(f"{API}/count-sheets/{A01}", query_string={"blind": "true"}))
    assert "expected" not in sheet
    label = f"(01){f.MILK.gtin.zfill(14)}(10)L1"
    reading = ok(page_client.post(f"{API}/scans", json={"scan": label}, headers=sent(csrf, "s")))
    body = {
        "location": A01,
        "lines": [{"sku": reading["sku"], "lot": reading["lot_number"], "quantity": 44}],
        "complete": True,
        "since_move_id": sheet["since_move_id"],
    }
    error_of(page_client.post(f"{API}/counts", json=body, headers={"Idempotency-Key": "c"}), 403)
    result = ok(page_client.post(f"{API}/counts", json=body, headers=sent(csrf, "c-1")), 201)
    assert [
        (d["sku"], d["expected"], d["counted"], d["difference"]) for d in result["differences"]
    ] == [(f.MILK.sku, 45, 44, -1)]
    again = ok(page_client.post(f"{API}/counts", json=body, headers=sent(csrf, "c-1")))
    assert again == {**result, "replayed": True}
    # The same sheet again: the bin has moved since (the count itself), so it is refused.
    stale = error_of(page_client.post(f"{API}/counts", json=body, headers=sent(csrf, "c-2")), 409)
    assert stale["field"] == "since_move_id"
