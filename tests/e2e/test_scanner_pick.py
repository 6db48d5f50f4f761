"""A picker on a 360 x 740 phone picks a wave with a keyboard-wedge scanner."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from tests import factories as f
from tests.e2e.browser import BrowserErrors, check_accessibility, shot, wedge_scan
from tests.integration.outbound import support as o
from tests.web.people_support import PASSWORD, make_user
from wms.db import Database
from wms.models import StockOperation
from wms.services import waves
from wms.web import scanner

# A wedge scanner types a code in a few milliseconds, but keys sent through the browser's
# debugging protocol on a busy 2-core machine arrive up to ~200 ms apart: the pages under
# test group keys up to this far apart into one scan (the product's default is 50 ms).
TEST_SCAN_GAP_MS = 400

GTINS = {f.MILK.sku: f.MILK.gtin, f.SERUM.sku: f.SERUM.gtin}


def lot_label(sku: str, lot: str, expiry: str | None) -> str:
    """The human-readable form of a GS1-128 lot label: (01) GTIN, (17) expiry, (10) lot."""
    text = f"(01){GTINS[sku].zfill(14)}"
    if expiry:
        text += f"(17){date.fromisoformat(expiry):%y%m%d}"
    return f"{text}(10){lot}"


def allocated_wave(db: Database) -> tuple[str, list[dict[str, Any]]]:
    """Two cleared orders in one wave: milk from two bins and serum, in walking order."""
    o.picking_warehouse(db)
    o.cleared_order(db, (f.MILK.sku, 7), (f.SERUM.sku, 1))
    o.cleared_order(db, (f.SERUM.sku, 2))
    with db.transaction() as s:
        number = waves.create_wave(s, warehouse_code=f.WAREHOUSE, actor="planner").number
    with db.reading() as s:
        return number, waves.pick_list(s, number)


@pytest.mark.viewport("phone")
def test_a_picker_picks_a_wave_by_wedge_scans(
    page: Page, live_server: str, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scanner, "SCAN_GAP_MS", TEST_SCAN_GAP_MS)
    wave, tasks = allocated_wave(db)
    assert len(tasks) >= 3 and len({t["bin"] for t in tasks}) >= 2
    make_user(db, "pia", "staff")

    page.goto("/sign-in")
    page.get_by_label("User name").fill("pia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server}/scan/")  # staff start at the scanner menu
    shot(page, "1-menu")
    page.get_by_role("link", name="Pick a wave").click()
    page.get_by_role("link", name=wave).click()
    expect(page).to_have_url(f"{live_server}/scan/pick?wave={wave}")

    step = page.locator("#scan-step")
    target = page.locator("#scan-target")
    overlay = page.locator("#scan-error")
    first = tasks[0]
    expect(step).to_have_text("Go to bin")
    expect(target).to_have_text(first["bin"])
    check_accessibility(page)
    shot(page, "2-go-to-bin")

    # The wrong bin: a full-screen error naming the bin to go to, that Enter and further
    # scans cannot dismiss; only a deliberate tap on its button does.
    wrong = next(t["bin"] for t in tasks if t["bin"] != first["bin"])
    wedge_scan(page, wrong)
    expect(overlay).to_be_visible()
    expect(page.locator("#scan-error-text")).to_contain_text(f"go to {first['bin']}")
    expect(page.locator("#scan-error-code")).to_contain_text(wrong)
    shot(page, "3-wrong-bin")
    page.keyboard.press("Enter")
    wedge_scan(page, first["bin"])  # not accepted while the error stands
    page.wait_for_timeout(700)
    expect(overlay).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="OK, I have seen it").click()
    expect(overlay).to_be_hidden()
    expect(target).to_have_text(first["bin"])  # still the same line

    for n, task in enumerate(tasks):
        if n == 0 or task["bin"] != tasks[n - 1]["bin"]:
            expect(step).to_have_text("Go to bin")
            expect(target).to_have_text(task["bin"])
            wedge_scan(page, task["bin"])
        expect(step).to_have_text("Scan the item")
        expect(target).to_have_text(task["sku"])
        if n % 2 == 0:
            # A GS1 lot label: SKU, lot and expiry in one scan.
            wedge_scan(page, lot_label(task["sku"], task["lot_number"], task["expiry_date"]))
        else:
            wedge_scan(page, GTINS[task["sku"]])
            expect(step).to_have_text("Scan the lot label")
            wedge_scan(page, task["lot_number"])
        expect(step).to_have_text("Take")
        expect(target).to_have_text(str(task["to_pick"]))
        if n == 0:
            shot(page, "4-quantity")
        page.get_by_role("button", name=f"Confirm {task['to_pick']}").click()
        expect(page.locator("#scan-ok")).to_contain_text(f"Picked {task['to_pick']} of")

    expect(step).to_have_text(f"Wave {wave} is picked.")
    expect(page.locator("#scan-pending-count")).to_have_text("Everything is sent.")
    shot(page, "5-wave-picked")
    check_accessibility(page)
    with db.reading() as s:
        summary = waves.wave_summary(s, waves.wave_by_number(s, wave))
    assert (summary["status"], summary["open_tasks"]) == ("done", 0)
    assert summary["picked"] == sum(t["to_pick"] for t in tasks)
    assert page.evaluate("localStorage.getItem('wms.scan.pending.pia')") == "[]"


def open_wave(page: Page, live_server: str, wave: str, user: str = "pia") -> None:
    page.goto("/sign-in")
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server}/scan/")
    page.goto(f"/scan/pick?wave={wave}")


def pick_line(page: Page, task: dict[str, Any], *, at_bin: bool = False, gs1: bool = True) -> None:
    """Scan the bin (unless already there) and the item, confirm the quantity.  ``gs1``:
    one GS1 lot label (read by the server); else the GTIN then the lot (checked on the
    device against the pick list, so it works without a network)."""
    if not at_bin:
        expect(page.locator("#scan-target")).to_have_text(task["bin"])
        wedge_scan(page, task["bin"])
    expect(page.locator("#scan-target")).to_have_text(task["sku"])
    if gs1:
        wedge_scan(page, lot_label(task["sku"], task["lot_number"], task["expiry_date"]))
    else:
        wedge_scan(page, GTINS[task["sku"]])
        expect(page.locator("#scan-target")).to_have_text(task["lot_number"])
        wedge_scan(page, task["lot_number"])
    page.get_by_role("button", name=f"Confirm {task['to_pick']}").click()


def stored(page: Page) -> list[dict[str, Any]]:
    return page.evaluate("JSON.parse(localStorage.getItem('wms.scan.pending.pia') || '[]')")


@pytest.mark.viewport("phone")
def test_picks_made_on_patchy_wifi_are_kept_and_posted_once(
    page: Page,
    live_server: str,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    console_errors: BrowserErrors,
) -> None:
    """The connection drops after the server has done the pick, then the network is gone,
    then the server fails: every pick waits on the device with its key, is sent again when
    the network is back or the page is loaded again, and is done exactly once."""
    monkeypatch.setattr(scanner, "SCAN_GAP_MS", TEST_SCAN_GAP_MS)
    console_errors.allow(r"net::ERR_|Failed to fetch|status of 503|^503 ")
    wave, tasks = allocated_wave(db)
    make_user(db, "pia", "staff")
    open_wave(page, live_server, wave)
    count = page.locator("#scan-pending-count")

    # 1. The request reaches the server, which picks; the answer never comes back.
    lost: list[str] = []

    def answer_lost(route: Route) -> None:
        if lost:
            route.continue_()
            return
        lost.append(route.request.headers["idempotency-key"])
        route.fetch()  # the server does the pick...
        route.abort("connectionreset")  # ...and the phone never hears of it

    page.route("**/api/v1/waves/*/picks", answer_lost)
    pick_line(page, tasks[0])
    expect(count).to_have_text("1 waiting to be sent")
    page.context.set_offline(True)  # before the device's own retry (3 s later)
    [first] = stored(page)
    assert first["key"] == lost[0]
    assert first["body"]["quantity"] == tasks[0]["to_pick"] and first["entry"] == "scanned"

    # 2. No network at all: the next line is picked on the device and waits too.
    pick_line(page, tasks[1], at_bin=tasks[1]["bin"] == tasks[0]["bin"], gs1=False)
    expect(count).to_have_text("2 waiting to be sent")
    page.get_by_text("Show what is waiting").click()
    expect(page.locator("#scan-pending-list li")).to_have_count(2)
    shot(page, "1-two-waiting")
    assert stored(page)[0]["key"] == first["key"]  # the same key, kept

    # 3. The network is back: both are sent; the first is answered from the server's record.
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(count).to_have_text("Everything is sent.", timeout=15_000)
    assert stored(page) == []

    # 4. The server fails (503) on the third line: kept; a reload of the page sends it.
    page.route("**/api/v1/waves/*/picks", lambda route: route.fulfill(status=503, body="down"))
    expect(page.locator("#scan-step")).not_to_have_text("Loading the pick list…")
    pick_line(page, tasks[2], at_bin=tasks[2]["bin"] == tasks[1]["bin"])
    expect(count).to_have_text("1 waiting to be sent")
    page.unroute_all(behavior="ignoreErrors")
    page.reload()
    expect(count).to_have_text("Everything is sent.", timeout=15_000)
    shot(page, "2-all-sent")

    with db.reading() as s:
        summary = waves.wave_summary(s, waves.wave_by_number(s, wave))
        picks = s.query(StockOperation).filter_by(kind="pick", document_ref=wave).count()
    assert summary["picked"] == sum(t["to_pick"] for t in tasks[:3])  # nothing twice
    assert picks == 3


def picked_order(db: Database) -> int:
    """A bonded order of 2 serum, picked by the desk (its wave confirmed in one go), and a
    small box type: ready to pack."""
    from wms.services import packing

    o.picking_warehouse(db)
    order = o.cleared_order(db, (f.SERUM.sku, 2))
    with db.transaction() as s:
        number = waves.create_wave(s, warehouse_code=f.WAREHOUSE, actor="planner").number
        waves.confirm_wave_picked(s, number, actor="desk", idempotency_key="desk-1")
        packing.create_box_type(s, "S", "Small", 300, 200, 150, 150)
    return order


@pytest.mark.viewport("phone")
def test_the_picked_order_is_packed_loaded_and_gated_out(
    page: Page,
    live_server: str,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    console_errors: BrowserErrors,
) -> None:
    """After picking: pack and weigh, print the label, load the parcel (a second scan of it
    is refused with the reason), seal, let the vehicle out; then look up a bin and a lot."""
    from wms.services import releases

    monkeypatch.setattr(scanner, "SCAN_GAP_MS", TEST_SCAN_GAP_MS)
    order = picked_order(db)
    with db.transaction() as s:
        batch = releases.create_batch(
            s, warehouse_code=f.WAREHOUSE, vehicle_plate="沪A12345", actor="planner"
        ).number
    make_user(db, "pia", "staff")
    page.goto("/sign-in")
    page.get_by_label("User name").fill("pia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server}/scan/")
    step, target = page.locator("#scan-step"), page.locator("#scan-target")
    overlay = page.locator("#scan-error")

    # Pack: the tote, the items (a lot label and a GTIN), the box, the scale's weight.
    page.get_by_role("link", name="Pack and weigh").click()
    expect(step).to_have_text("Scan the tote, the order or the tracking number")
    wedge_scan(page, f"O{order}")
    expect(step).to_have_text("Scan each item into the box")
    expect(target).to_have_text("0 of 2 scanned")
    wedge_scan(page, lot_label(f.SERUM.sku, "S1", None))
    expect(target).to_have_text("1 of 2 scanned")
    wedge_scan(page, f.SERUM.gtin)
    expect(step).to_have_text("Choose the box")
    page.get_by_role("button", name="S · Small").click()
    expect(step).to_have_text("Weigh the parcel")
    page.get_by_label("Weight in grams").fill("2200")
    check_accessibility(page)
    shot(page, "1-weigh")
    page.get_by_role("button", name="Pack the parcel").click()
    parcel = f"P{order:010d}"
    expect(target).to_have_text(parcel)
    shot(page, "2-packed")
    with page.expect_popup() as popup:
        page.locator("#pack-print").get_by_role("button").click()
    popup.value.close()
    with db.reading() as s:
        from wms.services import packing

        assert packing.parcel_view(s, packing.parcel_by_number(s, parcel))["status"] == "labelled"

    # Load: the batch, the parcel; the same parcel again is refused with the reason.
    page.goto("/scan/load")
    page.get_by_role("button", name=batch).click()
    expect(step).to_have_text("Scan each parcel as it goes on the vehicle")
    # The label is torn: the loader types the parcel number; it is sent flagged as typed.
    page.get_by_role("button", name="Type instead").click()
    page.get_by_label("Type the code").press_sequentially(parcel, delay=TEST_SCAN_GAP_MS + 50)
    with page.expect_request("**/parcels") as sent:
        page.get_by_label("Type the code").press("Enter")
    assert sent.value.headers["x-scan-entry"] == "typed"
    assert sent.value.post_data_json == {"parcel_code": parcel}
    expect(page.locator("#scan-ok")).to_contain_text(f"Parcel {parcel} loaded: 1 on the vehicle")
    expect(page.locator("#scan-last")).to_have_text(f"{parcel} (typed)")
    wedge_scan(page, parcel)
    console_errors.expect("status of 409")
    expect(overlay).to_be_visible()
    expect(page.locator("#scan-error-text")).to_contain_text("already on this vehicle")
    shot(page, "3-parcel-refused")
    page.get_by_role("button", name="OK, I have seen it").click()
    page.get_by_role("button", name="Loading finished: seal the vehicle").click()
    page.get_by_label("Seal number").fill("SEAL-778")
    page.get_by_role("button", name="Close the batch").click()
    expect(step).to_have_text(f"Batch {batch} is sealed with SEAL-778.")

    # Gate-out: the batch, then the seal scanned to let it out.
    page.goto("/scan/gate")
    wedge_scan(page, batch)
    expect(step).to_have_text("Check that the seal on the vehicle reads SEAL-778")
    check_accessibility(page)
    wedge_scan(page, "SEAL-778")
    expect(step).to_have_text(f"Batch {batch} left: 1 parcels, 1 orders, 2 units.")
    shot(page, "4-gated-out")
    with db.reading() as s:
        assert releases.batch_view(s, releases.batch_by_number(s, batch))["status"] == "gated_out"

    # What is where: a bin's contents, then where a lot is.
    page.goto("/scan/lookup")
    wedge_scan(page, f.BINS[2])
    expect(step).to_have_text(f"In bin {f.BINS[2]}")
    expect(page.locator("#lookup-result table")).to_contain_text("L2")
    wedge_scan(page, lot_label(f.MILK.sku, "L1", "2028-06-30"))
    expect(step).to_have_text(f"Where {f.MILK.sku} · lot L1 is")
    expect(page.locator("#lookup-result table")).to_contain_text(f.BINS[0])
    check_accessibility(page)
    shot(page, "5-lookup")


@pytest.mark.viewport("phone")
def test_a_scan_never_lands_in_a_text_field(
    page: Page, live_server: str, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A person types slowly into "Type instead"; a scanner's burst while that field has
    the focus is taken as a scan and the field keeps what the person typed."""
    monkeypatch.setattr(scanner, "SCAN_GAP_MS", TEST_SCAN_GAP_MS)
    o.picking_warehouse(db)
    make_user(db, "pia", "staff")
    page.goto("/sign-in")
    page.get_by_label("User name").fill("pia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto("/scan/lookup")
    page.get_by_role("button", name="Type instead").click()
    field = page.get_by_label("Type the code")
    expect(field).to_be_focused()
    field.press_sequentially("SHA", delay=TEST_SCAN_GAP_MS + 100)
    wedge_scan(page, f.BINS[2])  # into the focused field, as a scanner would
    expect(page.locator("#scan-step")).to_have_text(f"In bin {f.BINS[2]}")
    expect(page.locator("#scan-last")).to_have_text(f.BINS[2])
    expect(field).to_have_value("SHA")
    field.press_sequentially("1-A-01", delay=TEST_SCAN_GAP_MS + 100)
    field.press("Enter")
    expect(page.locator("#scan-step")).to_have_text(f"In bin {f.BINS[0]}")
    expect(page.locator("#scan-last")).to_have_text(f"{f.BINS[0]} (typed)")
    expect(field).to_be_hidden()


@pytest.mark.viewport("phone")
def test_a_short_pick_is_reported_from_the_quantity_step(
    page: Page, live_server: str, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scanner, "SCAN_GAP_MS", TEST_SCAN_GAP_MS)
    wave, tasks = allocated_wave(db)
    make_user(db, "pia", "staff")
    open_wave(page, live_server, wave)
    first = tasks[0]
    assert first["to_pick"] >= 1
    wedge_scan(page, first["bin"])
    wedge_scan(page, lot_label(first["sku"], first["lot_number"], first["expiry_date"]))
    expect(page.get_by_role("button", name="Short: only")).to_be_hidden()
    page.get_by_role("button", name="One less").click()
    found = first["to_pick"] - 1
    expect(page.locator("#scan-target")).to_have_text(str(found))
    page.get_by_role("button", name=f"Short: only {found} here").click()
    expect(page.locator("#scan-ok")).to_have_text(f"Short recorded: {found} found, 1 missing")
    with db.reading() as s:
        summary = waves.wave_summary(s, waves.wave_by_number(s, wave))
    assert (summary["short"], summary["picked"]) == (1, found)
