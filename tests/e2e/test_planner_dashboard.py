"""The planner in a real browser: signs in, lands on the dashboard, runs the courier
planner, commits the plan and sees the capacity chart; no console errors, accessible."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests import factories as f
from tests.e2e.browser import check_accessibility, shot
from tests.integration.outbound.test_planning import day_of_orders, stocked
from tests.web.people_support import PASSWORD, make_user
from wms.db import Database
from wms.models import OrderStatus
from wms.services import orders


@pytest.fixture
def day(db: Database) -> dict[str, int]:
    stocked(db)
    return day_of_orders(db)


def sign_in(page: Page, username: str) -> None:
    page.goto("/sign-in")
    page.get_by_label("User name").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_the_planner_runs_and_commits_a_plan_and_sees_the_chart(
    page: Page, live_server: str, db: Database, day: dict[str, int]
) -> None:
    make_user(db, "pat", "planner")
    sign_in(page, "pat")
    expect(page).to_have_url(f"{live_server}/dashboard/")
    expect(page.get_by_role("heading", name="Planner dashboard", level=1)).to_be_visible()
    expect(page.locator('li[data-status="allocated"] .figure')).to_have_text("6")
    expect(page.locator("#no-plan")).to_be_visible()
    check_accessibility(page)
    shot(page, "1-dashboard-before")

    page.get_by_label("Time limit (seconds)").fill("2")
    page.get_by_role("button", name="Run the planner").click()
    expect(page.locator(".flash.success")).to_contain_text("parcels assigned")
    heading = page.locator("#plan-heading")
    expect(heading).to_contain_text("Plan PL")
    number = heading.inner_text().split()[1]
    expect(page.locator("#plan-assigned")).to_have_text("4 / 6")
    expect(page.locator("#plan-cost")).to_contain_text("CN¥")
    expect(page.locator("#unassigned tbody tr")).to_have_count(2)

    # The chart: an inline SVG image named by its title, one bar per courier service.
    chart = page.get_by_role("img", name=f"Parcels per courier service in plan {number}")
    expect(chart).to_be_visible()
    bars = chart.locator("g.bar")
    services = page.locator("#capacity-table tbody tr")
    expect(bars).to_have_count(services.count())
    assert bars.count() > 0
    used = chart.locator("rect.used")
    widths = [float(used.nth(i).get_attribute("width") or 0) for i in range(used.count())]
    assert any(w > 0 for w in widths)  # the services the plan uses have a bar
    box = chart.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 50
    expect(chart.locator("text.label").first).to_be_visible()
    weight = page.get_by_role("img", name=f"Weight per courier service in plan {number}")
    expect(weight).to_be_visible()
    check_accessibility(page)
    shot(page, "2-plan-run")

    page.get_by_role("button", name=f"Commit plan {number}").click()
    expect(page.locator(".flash.success")).to_contain_text(
        f"Plan {number} is committed: 4 orders have their courier and tracking number."
    )
    expect(page.locator("#plan-state")).to_contain_text("Committed by pat")
    expect(page.get_by_role("button", name=f"Commit plan {number}")).to_have_count(0)
    expect(page.locator('li[data-status="planned"] .figure')).to_have_text("4")
    expect(page.locator(f'#plans tr[data-plan="{number}"]')).to_contain_text("pat")
    expect(chart).to_be_visible()
    check_accessibility(page)
    shot(page, "3-plan-committed")

    with db.reading() as s:
        assert orders.order_by_id(s, day["gd"]).status is OrderStatus.PLANNED
        assert orders.order_by_id(s, day["heavy"]).status is OrderStatus.ALLOCATED

    # From a stuck order to its page and back.
    page.locator("#stuck a").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Order ")
    check_accessibility(page)
    shot(page, "4-order")


def test_the_dashboard_in_chinese_is_clean_and_accessible(
    page: Page, live_server: str, db: Database
) -> None:
    f.build_warehouse(db)
    make_user(db, "wang", "planner", locale="zh")
    sign_in(page, "wang")
    expect(page).to_have_url(f"{live_server}/dashboard/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    check_accessibility(page)
    shot(page, "dashboard-zh")
