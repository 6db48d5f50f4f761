"""The pictures of the role guides (docs/guides/*.md), taken while each role does its
everyday work against seeded data; each step checks what the page shows, the page's
accessibility, and (the harness does it) that no console error happened.

Every picture goes to test-artifacts/screenshots/ like any test's.  With
WMS_GUIDE_SCREENSHOTS=1 (``scripts/guide-screenshots``) they are also written to
docs/guides/images/<name>.png, reduced to at most 200 KB: the guides show what this
code draws.  Staff pictures are taken on a 360 x 740 phone, the others on a desktop.
"""

from __future__ import annotations

import io
import os
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from PIL import Image
from playwright.sync_api import Page, expect

from tests import factories as f
from tests.e2e.browser import (
    ROOT,
    BrowserErrors,
    check_accessibility,
    shot,
    wedge_scan,
)
from tests.e2e.test_scanner_pick import GTINS, TEST_SCAN_GAP_MS, lot_label
from tests.integration.outbound import support as o
from tests.integration.outbound.test_planning import day_of_orders, stocked
from tests.web.people_support import PASSWORD, make_user
from tests.web.test_portal import Organisation, organisation, party, stock_for_four
from wms.db import Database
from wms.models import OrderStatus
from wms.services import loans, orders, packing, releases, waves
from wms.web import scanner

GUIDE_IMAGES = ROOT / "docs" / "guides" / "images"
MAX_IMAGE_BYTES = 200 * 1024
PUBLISH = os.environ.get("WMS_GUIDE_SCREENSHOTS") == "1"


def reduce_png(source: Path, limit: int = MAX_IMAGE_BYTES) -> bytes:
    """The picture as a 256-colour PNG (no dithering: text stays sharp), scaled down in
    steps until it is at most ``limit`` bytes."""
    with Image.open(source) as opened:
        image = opened.convert("RGB")
    scale = 1.0
    while True:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        frame = image if scale == 1.0 else image.resize(size, Image.Resampling.LANCZOS)
        paletted = frame.quantize(256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        buffer = io.BytesIO()
        paletted.save(buffer, "PNG", optimize=True)
        if buffer.tell() <= limit or scale < 0.3:
            return buffer.getvalue()
        scale *= 0.85


def guide_shot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """shot() under the test's artifacts; with WMS_GUIDE_SCREENSHOTS=1 also the guides'."""
    path = shot(page, name, full_page=full_page)
    if PUBLISH:
        data = reduce_png(path)
        assert len(data) <= MAX_IMAGE_BYTES, f"{name}: {len(data)} bytes"
        GUIDE_IMAGES.mkdir(parents=True, exist_ok=True)
        (GUIDE_IMAGES / f"{name}.png").write_bytes(data)
    return path


def at_top(page: Page, selector: str) -> None:
    """Scroll so that ``selector`` starts at the top of the window (for a viewport shot)."""
    page.locator(selector).evaluate("(el) => el.scrollIntoView({block: 'start'})")


def sign_in(page: Page, user: str) -> None:
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


# --- warehouse staff (phone) ------------------------------------------------------------------


def stock_floor(db: Database) -> str:
    """The picking warehouse, 6 more milk (lot L3) waiting on the dock, and an approved
    display loan of one serum to the showroom; the loan's number."""
    o.picking_warehouse(db)
    f.receive(db, "ED-1", f.MILK.sku, "L3", 6)
    with db.transaction() as s:
        loan = loans.request_loan(
            s,
            loans.LoanRequest(
                showroom_barcode=f.SHOWROOM,
                due_date=date.today() + timedelta(days=30),
                items=(loans.LoanItemInput(f.SERUM.sku, "S1", 1),),
                requested_by="merchandiser",
            ),
        )
        loans.approve_loan(
            s,
            loan.number,
            approved_by="customs officer",
            guarantee_reference="BG-2026-0042",
            guarantee_expires=date.today() + timedelta(days=60),
        )
        return loan.number


@pytest.mark.viewport("phone")
def test_staff_receive_putaway_count_lookup_and_loans(
    page: Page, live_server: str, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scanner, "SCAN_GAP_MS", TEST_SCAN_GAP_MS)
    loan = stock_floor(db)
    make_user(db, "sam", "staff")
    step, target = page.locator("#scan-step"), page.locator("#scan-target")

    page.goto("/sign-in")
    expect(page.get_by_role("heading", name="Sign in", level=1)).to_be_visible()
    check_accessibility(page)
    guide_shot(page, "staff-sign-in")
    sign_in(page, "sam")
    expect(page).to_have_url(f"{live_server}/scan/")
    expect(page.get_by_role("heading", name="Scanner", level=1)).to_be_visible()
    for flow in ("Receive goods", "Put away", "Pick a wave", "Pack and weigh", "Gate-out",
                 "Loan out", "Loan return", "Count a bin", "What is where"):  # fmt: skip
        expect(page.get_by_role("link", name=flow)).to_be_visible()
    check_accessibility(page)
    guide_shot(page, "staff-menu")

    # Receive: the declaration (its only dock is taken), a GS1 lot label, the quantity.
    page.get_by_role("link", name="Receive goods").click()
    expect(step).to_have_text("Scan the entry declaration number or tap one")
    page.get_by_role("button", name=re.compile(r"^ED-1")).click()
    expect(step).to_have_text("Scan the lot label or the item")
    expect(page.locator("#scan-detail")).to_have_text(f"Onto {f.DOCK}")
    wedge_scan(page, lot_label(f.SERUM.sku, "S2", "2028-03-31"))
    expect(step).to_have_text(f"How many of {f.SERUM.sku}?")
    page.get_by_role("spinbutton", name="Quantity received").fill("4")
    check_accessibility(page)
    guide_shot(page, "staff-receive")
    page.get_by_role("button", name="Receive 4").click()
    expect(page.locator("#scan-ok")).to_contain_text(f"Received 4 of {f.SERUM.sku} lot S2")
    expect(page.locator("#scan-pending-count")).to_have_text("Everything is sent.")

    # Putaway: what waits on the dock.
    page.goto("/scan/putaway")
    expect(step).to_have_text("Scan the dock (or bin) to take from")
    wedge_scan(page, f.DOCK)
    expect(page.locator("#putaway-source")).to_be_visible()
    expect(page.locator("#putaway-stock")).to_contain_text("L3")
    check_accessibility(page)
    guide_shot(page, "staff-putaway")

    # Count a bin, blind.
    page.goto("/scan/count")
    expect(step).to_have_text("Scan the bin to count")
    wedge_scan(page, f.BINS[2])
    expect(step).to_have_text("Scan every item in the bin, then submit")
    wedge_scan(page, lot_label(f.SERUM.sku, "S1", None))
    check_accessibility(page)
    guide_shot(page, "staff-count")

    # What is where.
    page.goto("/scan/lookup")
    wedge_scan(page, f.BINS[2])
    expect(step).to_have_text(f"In bin {f.BINS[2]}")
    expect(page.locator("#lookup-result table")).to_contain_text("L2")
    check_accessibility(page)
    guide_shot(page, "staff-lookup")

    # Display loans waiting to go out.
    page.goto("/scan/loan-out")
    expect(step).to_have_text("Scan the loan number or tap a loan")
    expect(page.get_by_role("button", name=re.compile(loan))).to_be_visible()
    expect(target).to_be_hidden()
    check_accessibility(page)
    guide_shot(page, "staff-loan-out")


def outbound_floor(db: Database) -> tuple[str, int, str]:
    """The picking warehouse with: an order picked by the desk and ready to pack (box
    type S), a wave of two orders to pick, and a release batch to load; (wave, the order
    to pack, the batch)."""
    o.picking_warehouse(db)
    to_pack = o.cleared_order(db, (f.SERUM.sku, 2))
    with db.transaction() as s:
        done = waves.create_wave(s, warehouse_code=f.WAREHOUSE, actor="planner").number
        waves.confirm_wave_picked(s, done, actor="desk", idempotency_key="desk-1")
        packing.create_box_type(s, "S", "Small", 300, 200, 150, 150)
    o.cleared_order(db, (f.MILK.sku, 7), (f.SERUM.sku, 1))
    o.cleared_order(db, (f.SERUM.sku, 2))
    with db.transaction() as s:
        wave = waves.create_wave(s, warehouse_code=f.WAREHOUSE, actor="planner").number
        batch = releases.create_batch(
            s, warehouse_code=f.WAREHOUSE, vehicle_plate="沪A12345", actor="planner"
        ).number
    return wave, to_pack, batch


@pytest.mark.viewport("phone")
def test_staff_pick_pack_load_and_gate_out(
    page: Page,
    live_server: str,
    db: Database,
    monkeypatch: pytest.MonkeyPatch,
    console_errors: BrowserErrors,
) -> None:
    monkeypatch.setattr(scanner, "SCAN_GAP_MS", TEST_SCAN_GAP_MS)
    console_errors.allow(r"net::ERR_|Failed to fetch")  # the device goes offline on purpose
    wave, to_pack, batch = outbound_floor(db)
    with db.reading() as s:
        tasks: list[dict[str, Any]] = waves.pick_list(s, wave)
    make_user(db, "pia", "staff")
    step, target = page.locator("#scan-step"), page.locator("#scan-target")
    overlay, pending = page.locator("#scan-error"), page.locator("#scan-pending-count")
    page.goto("/sign-in")
    sign_in(page, "pia")
    expect(page).to_have_url(f"{live_server}/scan/")

    # Pick: the wave, the bin to go to; a wrong bin stops everything until tapped away.
    page.get_by_role("link", name="Pick a wave").click()
    page.get_by_role("link", name=wave).click()
    first = tasks[0]
    expect(step).to_have_text("Go to bin")
    expect(target).to_have_text(first["bin"])
    check_accessibility(page)
    guide_shot(page, "staff-pick")
    wrong = next(t["bin"] for t in tasks if t["bin"] != first["bin"])
    wedge_scan(page, wrong)
    expect(overlay).to_be_visible()
    expect(page.locator("#scan-error-text")).to_contain_text(f"go to {first['bin']}")
    check_accessibility(page)
    guide_shot(page, "staff-error", full_page=False)
    page.get_by_role("button", name="OK, I have seen it").click()
    expect(overlay).to_be_hidden()

    # No network: the pick is kept on the device and listed as waiting, then sent.
    page.context.set_offline(True)
    wedge_scan(page, first["bin"])
    expect(target).to_have_text(first["sku"])
    wedge_scan(page, GTINS[first["sku"]])
    expect(target).to_have_text(first["lot_number"])
    wedge_scan(page, first["lot_number"])
    page.get_by_role("button", name=f"Confirm {first['to_pick']}").click()
    expect(pending).to_have_text("1 waiting to be sent")
    page.get_by_text("Show what is waiting").click()
    expect(page.locator("#scan-pending-list li")).to_have_count(1)
    check_accessibility(page)
    guide_shot(page, "staff-pending")
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(pending).to_have_text("Everything is sent.", timeout=15_000)

    # Pack and weigh the order the desk picked.
    page.goto("/scan/pack")
    expect(step).to_have_text("Scan the tote, the order or the tracking number")
    wedge_scan(page, f"O{to_pack}")
    expect(step).to_have_text("Scan each item into the box")
    wedge_scan(page, lot_label(f.SERUM.sku, "S1", None))
    expect(target).to_have_text("1 of 2 scanned")
    wedge_scan(page, f.SERUM.gtin)
    expect(step).to_have_text("Choose the box")
    page.get_by_role("button", name="S · Small").click()
    expect(step).to_have_text("Weigh the parcel")
    page.get_by_label("Weight in grams").fill("2200")
    check_accessibility(page)
    guide_shot(page, "staff-pack")
    page.get_by_role("button", name="Pack the parcel").click()
    parcel = f"P{to_pack:010d}"
    expect(target).to_have_text(parcel)
    with page.expect_popup() as popup:
        page.locator("#pack-print").get_by_role("button").click()
    popup.value.close()

    # Load it onto the release batch, seal the vehicle.
    page.goto("/scan/load")
    page.get_by_role("button", name=batch).click()
    expect(step).to_have_text("Scan each parcel as it goes on the vehicle")
    wedge_scan(page, parcel)
    expect(page.locator("#scan-ok")).to_contain_text(f"Parcel {parcel} loaded: 1 on the vehicle")
    check_accessibility(page)
    guide_shot(page, "staff-load")
    page.get_by_role("button", name="Loading finished: seal the vehicle").click()
    page.get_by_label("Seal number").fill("SEAL-778")
    page.get_by_role("button", name="Close the batch").click()
    expect(step).to_have_text(f"Batch {batch} is sealed with SEAL-778.")

    # Gate-out: the batch, then its seal.
    page.goto("/scan/gate")
    wedge_scan(page, batch)
    expect(step).to_have_text("Check that the seal on the vehicle reads SEAL-778")
    check_accessibility(page)
    guide_shot(page, "staff-gate")
    wedge_scan(page, "SEAL-778")
    expect(step).to_have_text(f"Batch {batch} left: 1 parcels, 1 orders, 2 units.")
    with db.reading() as s:
        assert releases.batch_view(s, releases.batch_by_number(s, batch))["status"] == "gated_out"
        summary = waves.wave_summary(s, waves.wave_by_number(s, wave))
    assert summary["picked"] == first["to_pick"]  # the offline pick, posted once


# --- planner (desktop) ------------------------------------------------------------------------


def test_planner_dashboard_plan_what_if_and_commit(
    page: Page, live_server: str, db: Database
) -> None:
    stocked(db)
    day = day_of_orders(db)
    make_user(db, "pat", "planner")
    page.goto("/sign-in")
    sign_in(page, "pat")
    expect(page).to_have_url(f"{live_server}/dashboard/")
    expect(page.get_by_role("heading", name="Planner dashboard", level=1)).to_be_visible()
    expect(page.locator('li[data-status="allocated"] .figure')).to_have_text("6")
    check_accessibility(page)
    guide_shot(page, "planner-dashboard", full_page=False)

    page.get_by_label("Time limit (seconds)").fill("2")
    page.get_by_role("button", name="Run the planner").click()
    expect(page.locator(".flash.success")).to_contain_text("parcels assigned")
    number = page.locator("#plan-heading").inner_text().split()[1]
    expect(page.locator("#plan-assigned")).to_have_text("4 / 6")
    at_top(page, "#plan")
    check_accessibility(page)
    guide_shot(page, "planner-plan", full_page=False)
    chart = page.get_by_role("img", name=f"Parcels per courier service in plan {number}")
    expect(chart).to_be_visible()
    at_top(page, "#capacity")
    guide_shot(page, "planner-capacity", full_page=False)

    # A what-if through the API, as the guide shows it: the same plan without a service
    # it uses.
    used = page.locator("#capacity-table tbody tr").filter(
        has=page.locator("td:nth-child(2)", has_not_text=re.compile(r"^0$"))
    )
    service = used.first.get_attribute("data-service")
    csrf = page.locator('meta[name="csrf-token"]').get_attribute("content")
    assert service and csrf
    response = page.request.post(
        "/api/v1/plans",
        headers={"X-CSRF-Token": csrf},
        data={"warehouse": f.WAREHOUSE, "time_limit_s": 2, "what_if": {"remove_service": service}},
    )
    assert response.status == 201, response.text()
    what_if = response.json()
    assert what_if["kind"] == "what_if" and what_if["based_on"] == number
    assert what_if["comparison"]["moved_parcels"] >= 1
    page.goto(f"/dashboard/?plan={what_if['number']}#plan")
    expect(page.locator("#plan-state")).to_contain_text(f"A what-if compared with {number}")
    expect(page.locator("#plan-comparison")).to_contain_text(f"Against {number}")
    at_top(page, "#plan")
    check_accessibility(page)
    guide_shot(page, "planner-what-if", full_page=False)

    page.goto(f"/dashboard/?plan={number}#plan")
    page.get_by_role("button", name=f"Commit plan {number}").click()
    expect(page.locator(".flash.success")).to_contain_text(f"Plan {number} is committed")
    expect(page.locator('li[data-status="planned"] .figure')).to_have_text("4")
    page.locator("#stuck a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Order ")
    check_accessibility(page)
    guide_shot(page, "planner-order", full_page=False)
    with db.reading() as s:
        assert orders.order_by_id(s, day["gd"]).status is OrderStatus.PLANNED


# --- customs broker (desktop) -----------------------------------------------------------------


def test_broker_filters_downloads_and_records_an_answer(
    page: Page, live_server: str, db: Database, tmp_path: Path
) -> None:
    stock_for_four(db)
    mine: Organisation = organisation(db, party(db, 1, "TMALLG", "bea"), "沪A12341")
    organisation(db, party(db, 2, "JDWW", "bob"), "沪A12342")
    page.goto("/portal/")
    sign_in(page, "bea")
    expect(page).to_have_url(f"{live_server}/portal/")
    expect(page.get_by_role("heading", name="Customs declarations", level=1)).to_be_visible()
    expect(page.locator("#count")).to_have_text("2 declarations")
    check_accessibility(page)
    guide_shot(page, "broker-declarations", full_page=False)

    page.get_by_label("Release batch").fill(mine.batch)
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", name=f"Release batch {mine.batch}")).to_be_visible()
    expect(page.locator("#count")).to_have_text("1 declaration")
    check_accessibility(page)
    guide_shot(page, "broker-batch", full_page=False)
    with page.expect_download() as waiting:
        page.get_by_role("link", name="All its lists as one PDF").click()
    saved = tmp_path / waiting.value.suggested_filename
    waiting.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF")

    page.get_by_role("link", name="Clear the filters").click()
    page.get_by_role("link", name=mine.submitted, exact=True).click()
    expect(page.get_by_role("heading", name=f"Declaration {mine.submitted}")).to_be_visible()
    expect(page.locator("#status")).to_have_text("submitted")
    check_accessibility(page)
    guide_shot(page, "broker-declaration")
    page.get_by_label("Customs inventory number").fill("22162026I000000123")
    page.get_by_role("button", name="Record as cleared").click()
    expect(page.get_by_role("status")).to_have_text(
        f"Recorded: declaration {mine.submitted} is cleared."
    )
    expect(page.locator("#status")).to_have_text("cleared")
    expect(page.locator("#customs-number")).to_have_text("22162026I000000123")
    check_accessibility(page)
    guide_shot(page, "broker-cleared", full_page=False)


# --- administrator (desktop) ------------------------------------------------------------------


def test_administrator_users_tokens_audit_and_languages(
    page: Page, live_server: str, app: Flask, db: Database, console_errors: BrowserErrors
) -> None:
    f.build_warehouse(db)
    make_user(db, "ada", "admin")
    cli = app.test_cli_runner()
    created = cli.invoke(
        args=["users", "create", "wei", "--role", "staff", "--locale", "zh", "--password-stdin"],
        input="handheld-2026-wei\n",
    )
    assert created.exit_code == 0 and "user wei created (staff)" in created.output
    issued = cli.invoke(args=["tokens", "issue", "scanner-07", "--role", "staff"])
    assert issued.exit_code == 0, issued.output
    assert re.search(r"token \d+ \(scanner-07, role staff, every merchant\):", issued.output)
    listed = cli.invoke(args=["users", "list"])
    assert re.search(r"^wei\tstaff\t-\tactive\tnever$", listed.output, re.M), listed.output

    page.goto("/sign-in")
    check_accessibility(page)
    guide_shot(page, "sign-in", full_page=False)
    page.get_by_label("User name").fill("wei")  # a typo in the password: refused, audited
    page.get_by_label("Password").fill("handheld-2026-wie")
    page.get_by_role("button", name="Sign in").click()
    console_errors.expect("status of 422")
    expect(page.get_by_role("alert")).to_have_text("The user name or the password is not right.")

    page.goto("/sign-in")
    sign_in(page, "ada")
    expect(page).to_have_url(f"{live_server}/dashboard/")
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log", level=1)).to_be_visible()
    table = page.locator("table.data tbody")
    expect(table).to_contain_text("users.create")
    expect(table).to_contain_text("sign_in")
    check_accessibility(page)
    guide_shot(page, "admin-audit", full_page=False)

    page.get_by_label("Language").select_option("zh")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page.get_by_role("heading", level=1)).to_have_text("审计日志")
    check_accessibility(page)
    guide_shot(page, "admin-audit-zh", full_page=False)
    page.locator("#language-choice").select_option("en")
    page.locator("form.inline button[type=submit]").first.click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
