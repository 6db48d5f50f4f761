"""A counter on a 360 x 740 phone counts a bin blind, by keyboard-wedge scans."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests import factories as f
from tests.e2e.browser import BrowserErrors, check_accessibility, shot
from tests.web.people_support import PASSWORD, make_user
from wms.db import Database
from wms.services import account_book, stock

A01, A02, B01 = f.BINS


def stocked(db: Database) -> None:
    """Milk L1: 45 in A-01; serum S1: 40 in B-01 (ED-1)."""
    f.build_warehouse(db)
    f.declare(db, "ED-1", (f.MILK.sku, 100), (f.SERUM.sku, 40))
    f.receive(db, "ED-1", f.MILK.sku, "L1", 45)
    f.receive(db, "ED-1", f.SERUM.sku, "S1", 40)
    f.putaway(db, f.MILK.sku, "L1", 45, to=A01)
    f.putaway(db, f.SERUM.sku, "S1", 40, to=B01)


# A keyboard-wedge scanner types a whole code within a few milliseconds, then Enter.  The
# keys are sent from inside the page in one go: sent one by one from here (as
# tests.e2e.browser.wedge_scan does), a busy test machine can leave more than the page's
# 50 ms between two of them, and the page then rightly takes them for a person typing.
_WEDGE = """(code) => {
  const target = document.activeElement || document.body;
  const key = (type, k) =>
    target.dispatchEvent(new KeyboardEvent(type, { key: k, bubbles: true, cancelable: true }));
  for (const k of [...code, "Enter"]) {
    key("keydown", k);
    if (k.length === 1) key("keypress", k);
    key("keyup", k);
  }
}"""


def wedge_scan(page: Page, code: str) -> None:
    page.evaluate(_WEDGE, code)


def lot_label(gtin: str, lot: str) -> str:
    """The human-readable form of a GS1-128 lot label: (01) GTIN, (17) expiry, (10) lot."""
    return f"(01){gtin.zfill(14)}(17)280630(10){lot}"


@pytest.mark.viewport("phone")
def test_a_counter_counts_a_bin_blind_by_wedge_scans(
    page: Page, live_server: str, db: Database, console_errors: BrowserErrors
) -> None:
    stocked(db)
    make_user(db, "cora", "staff")

    page.goto("/sign-in")
    page.get_by_label("User name").fill("cora")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server}/scan/")
    page.get_by_role("link", name="Count a bin").click()
    expect(page).to_have_url(f"{live_server}/scan/count")

    step = page.locator("#scan-step")
    target = page.locator("#scan-target")
    overlay = page.locator("#scan-error")
    expect(step).to_have_text("Scan the bin to count")
    check_accessibility(page)

    # A dock is not counted: the full-screen error, acknowledged by a tap.
    wedge_scan(page, f.DOCK)
    expect(overlay).to_be_visible()
    expect(page.locator("#scan-error-text")).to_have_text(
        "Only storage bins are counted: scan a bin."
    )
    console_errors.expect(r"422")  # the refusal the page showed, as the browser logs it
    page.get_by_role("button", name="OK, I have seen it").click()
    expect(overlay).to_be_hidden()

    wedge_scan(page, A01)
    expect(step).to_have_text("Scan every item in the bin, then submit")
    expect(page.locator("#count-sheet-title")).to_have_text(f"Counting {A01}")
    # Blind: nothing on the page says what the records expect.
    assert "45" not in page.locator("#scan-app").inner_text()

    # Three units of milk by its lot label, the fourth line typed later.
    for _ in range(3):
        wedge_scan(page, lot_label(f.MILK.gtin, "L1"))
    milk = page.get_by_label(f"Counted quantity of {f.MILK.sku} lot L1")
    expect(milk).to_have_value("3")
    expect(target).to_have_text("3")
    expect(page.locator("#scan-detail")).to_have_text(f"3 units counted · {A01}")
    # A serum found here, where the records have none: the GTIN, then the lot number.
    wedge_scan(page, f.SERUM.gtin)
    expect(step).to_have_text("Scan the lot label or the lot number")
    expect(target).to_have_text(f.SERUM.sku)
    wedge_scan(page, "S1")
    expect(page.get_by_label(f"Counted quantity of {f.SERUM.sku} lot S1")).to_have_value("1")
    shot(page, "1-counting")

    # Another bin while counting: refused until this one is submitted.
    wedge_scan(page, B01)
    expect(overlay).to_be_visible()
    expect(page.locator("#scan-error-text")).to_contain_text(f"You are counting {A01}")
    page.keyboard.press("Enter")  # Enter does not dismiss it
    page.wait_for_timeout(700)
    expect(overlay).to_be_visible()
    page.get_by_role("button", name="OK, I have seen it").click()
    expect(overlay).to_be_hidden()

    # The counter types the milk total (a full carton counted by eye).
    milk.fill("44")
    check_accessibility(page)
    page.get_by_role("button", name="Count finished: submit").click()

    expect(step).to_have_text(f"Count of {A01} recorded")
    expect(page.locator("#count-result-summary")).to_have_text("2 differences posted")
    expect(page.locator("#count-result-table li")).to_have_text(
        [
            f"{f.MILK.sku} lot L1: 44 counted, 45 on record (-1)",
            f"{f.SERUM.sku} lot S1: 1 counted, 0 on record (+1)",
        ]
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # nothing off-screen
    expect(page.locator("#scan-pending-count")).to_have_text("Everything is sent.")
    shot(page, "2-differences")
    check_accessibility(page)

    with db.reading() as s:
        here = {
            (r.sku, r.lot_number): r.quantity
            for r in stock.on_hand(s, stock.StockFilter())
            if r.location == A01
        }
        assert account_book.reconcile(s) == []
        book = {r.sku: r.adjusted for r in account_book.account_book(s, "ED-1")}
    assert here == {(f.MILK.sku, "L1"): 44, (f.SERUM.sku, "S1"): 1}
    assert book == {f.MILK.sku: -1, f.SERUM.sku: 1}
    assert page.evaluate("localStorage.getItem('wms.scan.pending.cora')") == "[]"
