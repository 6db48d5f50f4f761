"""End-to-end browser tests: Playwright driving Debian's chromium against a live server.

Fixtures:
  live_server      base URL of the test app served over real HTTP (same app and test database
                   as the ``app``/``db`` fixtures), e.g. "http://127.0.0.1:41234"
  browser          one headless chromium for the whole session (/usr/bin/chromium)
  page             a fresh context and page; relative URLs go to live_server when the test
                   uses it; desktop 1280x800 unless the test says otherwise:
                   ``@pytest.mark.viewport("phone")`` (360x740), ``@pytest.mark.viewport((w, h))``
                   or ``@pytest.mark.parametrize("viewport", [DESKTOP, PHONE])``
  new_page         factory for more pages/contexts: ``new_page(viewport="phone", locale="zh-CN")``
  console_errors   the test's BrowserErrors: console errors, uncaught page errors and HTTP
                   responses >= 500 seen by its pages; any left at the end fails the test
                   (take expected ones out with ``console_errors.expect("pattern")``)

Every test here is marked ``e2e`` and ``browser`` (``-m "not e2e"`` leaves them out). Without
chromium or axe-core they are skipped (run scripts/ensure-browser), or fail when CI=true.
A failing test leaves a screenshot of each of its pages under test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    ViewportSize,
    sync_playwright,
)
from werkzeug.serving import make_server

from tests.e2e.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    DESKTOP,
    BrowserErrors,
    NewPage,
    missing_prerequisites,
    resolve_viewport,
    screenshot_dir,
)

E2E_DIR = Path(__file__).resolve().parent
ERRORS_KEY = pytest.StashKey[BrowserErrors]()
REPORTS_KEY = pytest.StashKey[dict[str, pytest.TestReport]]()

ACTION_TIMEOUT_MS = 10_000
NAVIGATION_TIMEOUT_MS = 15_000


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "e2e: end-to-end test in a real browser (tests/e2e)")
    config.addinivalue_line("markers", "browser: needs chromium and axe-core (tests/e2e)")
    config.addinivalue_line(
        "markers", "viewport(size): the page's viewport: 'phone', 'desktop', (w, h) or a dict"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in item.path.resolve().parents:
            item.add_marker(pytest.mark.e2e)
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session", autouse=True)
def _browser_prerequisites() -> None:
    missing = missing_prerequisites()
    if not missing:
        return
    message = f"browser tests need {' and '.join(missing)}: run scripts/ensure-browser"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


# --- the outcome of each test, for the failure screenshots and the error check ---------------


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Iterator[None]:
    report = yield
    item.stash.setdefault(REPORTS_KEY, {})[report.when] = report
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """After the test body: errors left in console_errors fail the test."""
    try:
        result = yield
    except BaseException:
        errors = item.stash.get(ERRORS_KEY, None)
        if errors is not None and errors.entries:
            item.add_report_section("call", "browser errors", errors.report())
        raise
    errors = item.stash.get(ERRORS_KEY, None)
    if errors is not None:
        try:
            errors.check()
        except AssertionError as failure:
            pytest.fail(str(failure), pytrace=False)
    return result


def _failed(item: pytest.Item) -> bool:
    return any(report.failed for report in item.stash.get(REPORTS_KEY, {}).values())


# --- server and browser -----------------------------------------------------------------------


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """The test app over HTTP on 127.0.0.1 (a free port), in a background thread."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="live-server"
    )
    thread.daemon = True
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=list(CHROMIUM_ARGS)
    )
    yield chromium
    chromium.close()


# --- pages ------------------------------------------------------------------------------------


@pytest.fixture
def viewport(request: pytest.FixtureRequest) -> ViewportSize:
    """Desktop unless the test is marked ``@pytest.mark.viewport(...)`` (or parametrizes it)."""
    marker = request.node.get_closest_marker("viewport")
    if marker is None:
        return DESKTOP
    return resolve_viewport(marker.args[0] if marker.args else marker.kwargs)


@pytest.fixture
def console_errors(request: pytest.FixtureRequest) -> BrowserErrors:
    errors = BrowserErrors()
    request.node.stash[ERRORS_KEY] = errors
    return errors


@pytest.fixture
def new_page(
    request: pytest.FixtureRequest,
    browser: Browser,
    viewport: ViewportSize,
    console_errors: BrowserErrors,
) -> Iterator[NewPage]:
    """Factory: a page in a fresh context per call, watched for errors, closed at the end."""
    base_url = (
        request.getfixturevalue("live_server") if "live_server" in request.fixturenames else None
    )
    contexts: list[BrowserContext] = []
    folder = screenshot_dir(request.node.nodeid)
    shutil.rmtree(folder, ignore_errors=True)  # no stale pictures from an earlier run
    default_viewport = viewport

    def make(
        *, viewport: str | ViewportSize | tuple[int, int] | None = None, **options: Any
    ) -> Page:
        size = default_viewport if viewport is None else resolve_viewport(viewport)
        settings: dict[str, Any] = {
            "viewport": size,
            "locale": "en-US",
            "reduced_motion": "reduce",
            **({"base_url": base_url} if base_url else {}),
            **options,
        }
        context = browser.new_context(**settings)
        context.set_default_timeout(ACTION_TIMEOUT_MS)
        context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        context.on("page", console_errors.watch)  # pop-ups too
        contexts.append(context)
        page = context.new_page()
        console_errors.watch(page)  # no-op if the "page" event got there first
        return page

    yield make

    try:
        if _failed(request.node):
            pages = [page for context in contexts for page in context.pages if not page.is_closed()]
            for n, page in enumerate(pages):
                name = "failure" if n == 0 else f"failure-{n + 1}"
                try:
                    folder.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=folder / f"{name}.png", full_page=True, timeout=5000)
                except Exception as exc:  # a crashed page must not hide the real failure
                    print(f"could not save {name}.png: {exc}")
    finally:
        for context in contexts:
            context.close()


@pytest.fixture
def page(new_page: NewPage) -> Page:
    """A fresh page (its own context) in the session's browser."""
    return new_page()
