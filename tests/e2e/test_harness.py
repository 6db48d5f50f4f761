"""The browser harness itself: live server, pages, viewports, error collection, failure
screenshots, the scanner and the accessibility check."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests import factories as f
from tests.e2e.browser import (
    PHONE,
    ROOT,
    BrowserErrors,
    NewPage,
    axe_violations,
    check_accessibility,
    screenshot_dir,
    shot,
    wedge_scan,
)
from wms.db import Database
from wms.services import brokers

SIGN_IN = "/sign-in"  # public: the sign-in page for people
BLANK = '<!doctype html><html lang="en"><head><title>blank</title></head><body></body></html>'


def test_sign_in_page_loads_clean_and_accessible(page: Page, live_server: str) -> None:
    response = page.goto(SIGN_IN)
    assert response is not None and response.status == 200
    assert page.url == f"{live_server}{SIGN_IN}"
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_label("User name")).to_be_focused()
    check_accessibility(page)
    path = shot(page, "sign-in")
    assert path == screenshot_dir() / "sign-in.png" and path.stat().st_size > 0


@pytest.mark.viewport("phone")
def test_phone_viewport_and_the_live_server_shares_the_test_database(
    new_page: NewPage, live_server: str, db: Database
) -> None:
    f.build_warehouse(db)  # written by the test, read by the server's threads
    with db.transaction() as s:
        token = brokers.issue_token(s, "e2e", role="admin")
    page = new_page(extra_http_headers={"Authorization": f"Bearer {token}"})
    assert page.evaluate("[innerWidth, innerHeight]") == [PHONE["width"], PHONE["height"]]
    response = page.goto("/api/v1/warehouses")
    assert response is not None and response.status == 200
    assert f.WAREHOUSE in page.content()


def test_console_and_page_errors_are_collected(page: Page, console_errors: BrowserErrors) -> None:
    page.set_content(BLANK)
    page.evaluate("console.error('boom: expected')")
    page.evaluate("setTimeout(() => { throw new Error('kaput') }, 0)")
    page.evaluate("console.warn('a warning is not an error')")

    [console] = console_errors.expect("boom", kind="console")
    assert console.text == "boom: expected"
    [uncaught] = console_errors.expect("kaput", kind="pageerror")
    assert uncaught.text == "Error: kaput"
    assert len(console_errors) == 0

    page.evaluate("console.error('left over')")
    with pytest.raises(AssertionError, match="left over"):
        console_errors.check()
    console_errors.clear()
    with pytest.raises(AssertionError, match="nothing-like-this"):
        console_errors.expect("nothing-like-this", timeout_ms=100)


def test_server_errors_are_collected(page: Page, console_errors: BrowserErrors) -> None:
    page.route("http://wms.test/**", lambda route: route.fulfill(status=502, body="down"))
    page.goto("http://wms.test/broken")
    [error] = console_errors.expect(r"^502 GET http://wms\.test/broken$", kind="http")
    assert error.kind == "http"
    console_errors.allow("502")  # e.g. a test that provokes server errors on purpose
    page.goto("http://wms.test/again")


def test_new_page_factory_gives_separate_contexts(new_page: NewPage) -> None:
    desktop, phone = new_page(), new_page(viewport="phone", locale="zh-CN")
    assert desktop.context is not phone.context
    assert phone.viewport_size == PHONE
    assert desktop.viewport_size == {"width": 1280, "height": 800}
    assert phone.evaluate("navigator.language") == "zh-CN"


def test_wedge_scan_types_in_order_then_enter(page: Page) -> None:
    page.set_content(
        """<!doctype html><html lang="en"><head><title>scan</title></head><body>
        <script>
          window.keys = [];
          document.addEventListener("keydown", (event) => window.keys.push(event.key));
        </script></body></html>"""
    )
    wedge_scan(page, "SKU-0042/L1")
    assert page.evaluate("window.keys") == [*"SKU-0042/L1", "Enter"]
    assert page.evaluate("document.activeElement === document.body")


def test_accessibility_check_reports_rule_impact_and_element(page: Page) -> None:
    page.set_content(
        '<html><head></head><body><img src="data:," class="logo">'
        '<button id="empty"></button></body></html>'
    )
    violations = axe_violations(page)
    assert {v["id"] for v in violations} == {
        "html-has-lang",
        "document-title",
        "image-alt",
        "button-name",
    }
    with pytest.raises(AssertionError) as failure:
        check_accessibility(page, rules=["image-alt", "button-name"])
    message = str(failure.value)
    assert "2 accessibility rule(s) violated" in message
    assert "image-alt (critical)" in message and "at img" in message
    assert "button-name (critical)" in message and "at #empty" in message
    assert "Fix any of the following" in message


INNER_TESTS = """
    from playwright.sync_api import Page


    def test_leftover_error(page: Page) -> None:
        page.set_content("<title>x</title>")
        page.evaluate("console.error('nobody expected this')")


    def test_failing_assertion(page: Page) -> None:
        page.set_content("<title>x</title><h1>what the page showed</h1>")
        assert False, "on purpose"


    def test_clean(page: Page) -> None:
        page.set_content("<title>x</title>")
"""


@pytest.mark.slow  # a pytest and a chromium of its own: ~3-5 s
def test_leftover_errors_fail_the_test_and_failures_leave_a_screenshot(tmp_path: Path) -> None:
    """Run three tests in a pytest of their own with this harness as a plugin."""
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(INNER_TESTS))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = {**os.environ, "WMS_TEST_ARTIFACTS": str(tmp_path / "artifacts")}
    env.pop("PYTEST_ADDOPTS", None)
    args = ["-p", "tests.e2e.conftest", "-p", "no:cacheprovider", "-q", "--rootdir", str(tmp_path)]
    run = subprocess.run(
        [sys.executable, "-m", "pytest", *args, "-c", str(tmp_path / "pytest.ini"), str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = run.stdout + run.stderr
    assert run.returncode == 1, output
    assert "2 failed, 1 passed" in output, output
    assert "[console] nobody expected this" in output, output
    shots = tmp_path / "artifacts" / "screenshots"
    assert (shots / "test_inner.test_failing_assertion" / "failure.png").is_file(), output
    assert (shots / "test_inner.test_leftover_error" / "failure.png").is_file(), output
    assert not (shots / "test_inner.test_clean").exists(), output
