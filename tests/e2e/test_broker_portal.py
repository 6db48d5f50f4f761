"""The broker portal in a real browser: a broker signs in, filters to a release batch,
downloads the batch's lists as one PDF, and cannot open another organisation's
declaration (the 404 page); no console errors, the pages pass the accessibility check."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import BrowserErrors, NewPage, check_accessibility, shot
from tests.integration.customs.support import pdf_pages
from tests.web.people_support import PASSWORD
from tests.web.test_portal import Organisation, organisation, party, stock_for_four
from wms.db import Database


@pytest.fixture
def two(db: Database) -> tuple[Organisation, Organisation]:
    """Broker B1 (user bea) for M1 and B2 (user bob) for M2, each with a submitted list
    and a release batch loaded with a cleared order."""
    stock_for_four(db)
    mine = organisation(db, party(db, 1, "TMALLG", "bea"), "沪A12341")
    theirs = organisation(db, party(db, 2, "JDWW", "bob"), "沪A12342")
    return mine, theirs


def sign_in(page: Page, user: str) -> None:
    page.get_by_label("User name").fill(user)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def rows(page: Page) -> list[str]:
    """The declaration numbers the list shows."""
    return page.locator("#declarations tbody tr td:first-child a").all_inner_texts()


def test_a_broker_downloads_a_batch_pdf_and_cannot_open_another_organisations_list(
    page: Page,
    live_server: str,
    two: tuple[Organisation, Organisation],
    tmp_path: Path,
    console_errors: BrowserErrors,
) -> None:
    mine, theirs = two

    page.goto("/portal/")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/portal/$"))
    sign_in(page, mine.user)

    expect(page).to_have_url(f"{live_server}/portal/")
    expect(page.get_by_role("heading", name="Customs declarations")).to_be_visible()
    assert sorted(rows(page)) == sorted([mine.submitted, mine.cleared])
    check_accessibility(page)
    shot(page, "1-declarations")

    page.get_by_label("Release batch").fill(mine.batch)
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(rf"[?&]batch={mine.batch}(&|$)"))
    assert rows(page) == [mine.cleared]
    expect(page.get_by_role("heading", name=f"Release batch {mine.batch}")).to_be_visible()
    check_accessibility(page)
    shot(page, "2-filtered-to-a-batch")

    with page.expect_download() as waiting:
        page.get_by_role("link", name="All its lists as one PDF").click()
    download = waiting.value
    assert download.suggested_filename == f"{mine.batch}-lists.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    pdf = saved.read_bytes()
    assert pdf.startswith(b"%PDF")
    text = "\n".join(pdf_pages(pdf))
    assert mine.cleared in text
    assert theirs.cleared not in text and mine.submitted not in text

    response = page.goto(f"/portal/declarations/{theirs.submitted}")
    assert response is not None and response.status == 404
    console_errors.expect("status of 404")  # chromium logs the 404 of the document
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text(
        "There is nothing at this address that you may see."
    )
    assert theirs.submitted not in page.locator("main").inner_text()
    shot(page, "3-another-organisations-list")
    batch = page.goto(f"/portal/batches/{theirs.batch}.pdf")
    assert batch is not None and batch.status == 404
    console_errors.expect("status of 404")

    response = page.goto(f"/portal/declarations/{mine.submitted}")
    assert response is not None and response.status == 200
    check_accessibility(page)
    shot(page, "4-own-declaration")


def test_a_broker_records_customs_answer_in_the_browser(
    page: Page, live_server: str, two: tuple[Organisation, Organisation]
) -> None:
    mine, _ = two
    page.goto(f"/portal/declarations/{mine.submitted}")
    sign_in(page, mine.user)
    expect(page).to_have_url(f"{live_server}/portal/declarations/{mine.submitted}")

    page.get_by_label("Reason customs gave").fill("payer ID mismatch")
    page.get_by_role("button", name="Record as rejected").click()

    expect(page.get_by_role("status")).to_have_text(
        f"Recorded: declaration {mine.submitted} is rejected."
    )
    expect(page.locator("#status")).to_have_text("rejected")
    expect(page.locator("#reason")).to_have_text("payer ID mismatch")
    check_accessibility(page)
    shot(page, "rejected")


def test_the_portal_in_chinese_passes_the_accessibility_check(
    new_page: NewPage, live_server: str, two: tuple[Organisation, Organisation]
) -> None:
    mine, _ = two
    page = new_page(locale="zh-CN")
    page.goto("/portal/")
    sign_in_zh(page, mine.user)

    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    assert sorted(rows(page)) == sorted([mine.submitted, mine.cleared])
    check_accessibility(page)
    shot(page, "declarations-zh")


def sign_in_zh(page: Page, user: str) -> None:
    """The sign-in form by its fields' names (the labels may be translated)."""
    page.locator("#username").fill(user)
    page.locator("#password").fill(PASSWORD)
    page.locator("form.stack button[type=submit]").click()
