"""Helpers for the end-to-end browser tests (fixtures are in conftest.py).

- ``BrowserErrors``: what went wrong in the pages of one test (console errors, uncaught
  page errors, HTTP responses >= 500); the ``console_errors`` fixture is one of these, and
  anything left in it when the test ends fails the test.
- ``shot(page, name)``: a screenshot under test-artifacts/screenshots/<test>/<name>.png.
- ``wedge_scan(page, code)``: what a keyboard-wedge barcode scanner does.
- ``check_accessibility(page)``: axe-core (node_modules/axe-core) on the page, restricted
  to a few rules; a readable failure listing rule, impact, elements and why.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol
from urllib.parse import urlsplit

from playwright.sync_api import ConsoleMessage, Error, Page, Response, ViewportSize

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("WMS_CHROMIUM", "/usr/bin/chromium"))
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = Path(os.environ.get("WMS_TEST_ARTIFACTS", ROOT / "test-artifacts"))
SCREENSHOTS = ARTIFACTS / "screenshots"

DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 360, "height": 740}
VIEWPORTS: dict[str, ViewportSize] = {"desktop": DESKTOP, "phone": PHONE}

CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

A11Y_RULES = (
    "color-contrast",
    "label",
    "button-name",
    "image-alt",
    "html-has-lang",
    "document-title",
    "link-name",
)

Kind = Literal["console", "pageerror", "http"]


class NewPage(Protocol):
    """The new_page fixture: a page in a fresh context; ``options`` go to new_context
    (locale, extra_http_headers, bypass_csp, ...)."""

    def __call__(
        self, *, viewport: str | ViewportSize | tuple[int, int] | None = None, **options: Any
    ) -> Page: ...


def missing_prerequisites() -> list[str]:
    """What the browser tests need and this machine lacks (empty when all is there)."""
    missing = []
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"{CHROMIUM} (Debian's chromium)")
    if not AXE_JS.is_file():
        missing.append(f"{AXE_JS.relative_to(ROOT)} (npm ci)")
    return missing


def resolve_viewport(value: str | Mapping[str, int] | Sequence[int]) -> ViewportSize:
    """'phone' / 'desktop', {'width': w, 'height': h} or (w, h) -> a Playwright viewport."""
    if isinstance(value, str):
        try:
            return VIEWPORTS[value]
        except KeyError:
            raise ValueError(f"unknown viewport {value!r}; one of {sorted(VIEWPORTS)}") from None
    if isinstance(value, Mapping):
        return {"width": int(value["width"]), "height": int(value["height"])}
    width, height = value
    return {"width": int(width), "height": int(height)}


# --- errors seen by the pages ---------------------------------------------------------------


@dataclass(frozen=True)
class BrowserError:
    kind: Kind
    text: str
    where: str  # the page's URL, or the script location, or the failing request's URL

    def __str__(self) -> str:
        return f"[{self.kind}] {self.text}" + (f"  ({self.where})" if self.where else "")


@dataclass
class BrowserErrors:
    """Errors seen by every page opened in one test.

    A test that provokes an error on purpose takes it out with ``expect`` (which waits a
    little for it to arrive) or ignores a kind of error for the rest of the test with
    ``allow``; whatever is left when the test ends fails it.
    """

    entries: list[BrowserError] = field(default_factory=list)
    _pages: list[Page] = field(default_factory=list, repr=False)
    _allowed: list[tuple[re.Pattern[str], Kind | None]] = field(default_factory=list, repr=False)

    # wiring (done by the new_page fixture)
    def watch(self, page: Page) -> None:
        if any(seen is page for seen in self._pages):
            return
        self._pages.append(page)
        page.on("console", self._on_console)

        def on_page_error(error: Error) -> None:
            self._add("pageerror", _page_error_text(error), page.url)

        page.on("pageerror", on_page_error)
        page.on("response", self._on_response)

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type != "error":
            return
        location = message.location
        where = location.get("url", "") if location else ""
        if urlsplit(where).path == "/favicon.ico":
            return  # the browser's own request for an icon, not the page's doing
        if where and location.get("lineNumber") is not None:
            where = f"{where}:{location['lineNumber'] + 1}"
        self._add("console", message.text, where)

    def _on_response(self, response: Response) -> None:
        if response.status >= 500:
            request = response.request
            self._add("http", f"{response.status} {request.method} {response.url}", response.url)

    def _add(self, kind: Kind, text: str, where: str) -> None:
        entry = BrowserError(kind, text, where)
        if not any(_matches(entry, pattern, allowed) for pattern, allowed in self._allowed):
            self.entries.append(entry)

    # for tests
    def __len__(self) -> int:
        return len(self.entries)

    def flush(self) -> None:
        """Let the events the browser has already sent arrive."""
        for page in self._pages:
            if not page.is_closed():
                # navigating or crashed: its events were delivered anyway
                with contextlib.suppress(Error):
                    page.evaluate("0")

    def expect(
        self, pattern: str | re.Pattern[str], *, kind: Kind | None = None, timeout_ms: int = 2000
    ) -> list[BrowserError]:
        """Take out (and return) the errors matching ``pattern`` (a regex searched in the
        text), waiting up to ``timeout_ms`` for the first; none arriving fails the test."""
        regex = re.compile(pattern)
        waited = 0
        while True:
            self.flush()
            found = [entry for entry in self.entries if _matches(entry, regex, kind)]
            if found or waited >= timeout_ms or not self._open_pages():
                break
            self._open_pages()[0].wait_for_timeout(50)
            waited += 50
        if not found:
            raise AssertionError(
                f"expected a browser error matching {regex.pattern!r}"
                + (f" of kind {kind}" if kind else "")
                + (f"; seen instead:\n{self.report()}" if self.entries else "; none was seen")
            )
        self.entries = [entry for entry in self.entries if entry not in found]
        return found

    def allow(self, pattern: str | re.Pattern[str], *, kind: Kind | None = None) -> None:
        """Ignore errors matching ``pattern`` from now on in this test (and drop those seen)."""
        regex = re.compile(pattern)
        self._allowed.append((regex, kind))
        self.entries = [entry for entry in self.entries if not _matches(entry, regex, kind)]

    def clear(self) -> list[BrowserError]:
        taken, self.entries = self.entries, []
        return taken

    def report(self) -> str:
        return "\n".join(f"  {entry}" for entry in self.entries)

    def check(self) -> None:
        """Raise AssertionError listing the errors not taken out."""
        self.flush()
        if self.entries:
            raise AssertionError(
                f"{len(self.entries)} browser error(s) during the test:\n{self.report()}\n"
                "(a test expecting an error takes it out with console_errors.expect(...))"
            )

    def _open_pages(self) -> list[Page]:
        return [page for page in self._pages if not page.is_closed()]


def _matches(entry: BrowserError, regex: re.Pattern[str], kind: Kind | None) -> bool:
    return (kind is None or entry.kind == kind) and regex.search(entry.text) is not None


def _page_error_text(error: Error) -> str:
    return f"{error.name}: {error.message}" if error.name else error.message


# --- screenshots ------------------------------------------------------------------------------


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") or "_"


def artifact_name(nodeid: str) -> str:
    """'tests/e2e/test_x.py::test_y[phone]' -> 'test_x.test_y_phone'."""
    path, _, name = nodeid.partition("::")
    return _safe(f"{Path(path).stem}.{name.replace('::', '.')}")


def screenshot_dir(nodeid: str | None = None) -> Path:
    """The screenshot folder of a test (by default the one running now)."""
    if nodeid is None:
        current = os.environ.get("PYTEST_CURRENT_TEST")
        if not current:
            raise RuntimeError("shot() outside a test: no PYTEST_CURRENT_TEST")
        nodeid = current.rsplit(" (", 1)[0]
    return SCREENSHOTS / artifact_name(nodeid)


def shot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save a PNG of the page as test-artifacts/screenshots/<test>/<name>.png."""
    path = screenshot_dir() / f"{_safe(name)}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=path, full_page=full_page)
    return path


# --- scanner ----------------------------------------------------------------------------------


def wedge_scan(page: Page, code: str, delay_ms: float = 5, *, enter: bool = True) -> None:
    """Type ``code`` the way a keyboard-wedge scanner does: fast keystrokes into whatever
    has the focus (nothing is focused first), then Enter."""
    page.keyboard.type(code, delay=delay_ms)
    if enter:
        page.keyboard.press("Enter")


# --- accessibility ----------------------------------------------------------------------------

_RUN_AXE = """async ([context, options]) => {
  const results = await window.axe.run(context === null ? document : context, options);
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({
      target: n.target,
      html: n.html,
      impact: n.impact,
      failureSummary: n.failureSummary,
    })),
  }));
}"""


def axe_violations(
    page: Page, rules: Iterable[str] = A11Y_RULES, *, include: str | None = None
) -> list[dict[str, Any]]:
    """axe-core's violations of ``rules`` on the page (or within the ``include`` selector)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, which the pages' Content-Security-Policy
        # (no inline scripts) does not cover; a <script> tag would be refused.
        page.evaluate(f"() => {{ {Path(AXE_JS).read_text()}\n }}")
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            raise RuntimeError("axe-core could not be loaded into the page")
    options = {"runOnly": {"type": "rule", "values": list(rules)}, "resultTypes": ["violations"]}
    return page.evaluate(_RUN_AXE, [include, options])


def format_violations(violations: list[dict[str, Any]], url: str = "") -> str:
    lines = [f"{len(violations)} accessibility rule(s) violated" + (f" on {url}" if url else "")]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}"
            f"  <{violation['helpUrl']}>"
        )
        for node in violation["nodes"]:
            target = " >> ".join(
                " >>> ".join(part) if isinstance(part, list) else part for part in node["target"]
            )
            lines.append(f"    at {target}   {_short(node['html'])}")
            for summary_line in (node.get("failureSummary") or "").splitlines():
                lines.append(f"      {summary_line.strip()}")
    return "\n".join(lines)


def check_accessibility(
    page: Page, rules: Iterable[str] = A11Y_RULES, *, include: str | None = None
) -> list[dict[str, Any]]:
    """Run axe-core on the page restricted to ``rules``; fail listing every violation."""
    violations = axe_violations(page, rules, include=include)
    if violations:
        raise AssertionError(format_violations(violations, page.url))
    return violations


def _short(html: str, limit: int = 120) -> str:
    html = " ".join(html.split())
    return html if len(html) <= limit else html[: limit - 1] + "…"
