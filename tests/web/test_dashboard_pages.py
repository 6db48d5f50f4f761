"""The planner dashboard page: who may open it, what it shows, running and committing a
plan from it (CSRF, audit), refusals as messages naming the field, the order page."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from tests import factories as f
from tests.integration.outbound.test_planning import day_of_orders, stocked
from tests.web.people_support import make_user, sign_in
from wms.db import Database
from wms.models import AuditEntry, Order, OrderStatus, PlanRun
from wms.services import planning

DASHBOARD = "/dashboard/"
RUN = "/dashboard/plans"
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def day(db: Database) -> dict[str, int]:
    stocked(db)
    return day_of_orders(db)


def signed_in(page_client: FlaskClient, db: Database, role: str, name: str = "pat") -> str:
    make_user(db, name, role)
    return sign_in(page_client, name)


def html_of(response: object, status: int = 200) -> str:
    assert response.status_code == status, response.get_data(as_text=True)[-600:]  # type: ignore[attr-defined]
    return response.get_data(as_text=True)  # type: ignore[attr-defined,no-any-return]


def flashes(html: str) -> list[tuple[str, str]]:
    return re.findall(r'<p class="flash (\w+)" role="status">([^<]*)</p>', html)


def plans(db: Database) -> list[Stored]:
    with db.reading() as s:
        return [
            Stored(run.number, run.created_by, run.committed_at is not None)
            for run in s.scalars(select(PlanRun).order_by(PlanRun.id))
        ]


def run(page_client: FlaskClient, csrf: str, **form: str) -> object:
    data = {"csrf_token": csrf, "warehouse": f.WAREHOUSE, "time_limit_s": "1", **form}
    return page_client.post(RUN, data=data)


@dataclass(frozen=True)
class Stored:
    number: str
    created_by: str
    committed: bool


# --- who may open it ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["planner", "admin"])
def test_planners_and_admins_see_every_section(page_client: FlaskClient, db: Database, role: str):
    signed_in(page_client, db, role)
    html = html_of(page_client.get(DASHBOARD))
    assert "<title>Planner dashboard · WMS</title>" in html
    for section in ("pipeline", "planner", "loans", "traffic", "book", "jobs"):
        assert f'<section id="{section}"' in html
    assert 'id="no-plan"' in html  # nothing planned yet
    assert 'id="reconciliation">Reconciled' in html
    assert "never run" in html and "cron[minute=&#39;5&#39;]" in html
    assert 'href="/dashboard/" aria-current="page"' in html  # the menu knows where we are


def test_planners_start_on_the_dashboard(page_client: FlaskClient, db: Database):
    make_user(db, "pat", "planner")
    page_client.get("/sign-in")
    csrf = page_client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', csrf).group(1)  # type: ignore[union-attr]
    response = page_client.post(
        "/sign-in",
        data={"username": "pat", "password": "correct horse battery", "csrf_token": token},
    )
    assert response.status_code == 302 and response.headers["Location"] == DASHBOARD


@pytest.mark.parametrize("role", ["staff", "broker"])
def test_other_roles_are_refused(page_client: FlaskClient, db: Database, role: str):
    if role == "broker":
        make_user(db, "bea", role, broker="BRK")
        csrf = sign_in(page_client, "bea")
    else:
        csrf = signed_in(page_client, db, role)
    for path in (DASHBOARD, "/dashboard/orders/1"):
        assert page_client.get(path).status_code == 403
    refused = page_client.post(RUN, data={"csrf_token": csrf, "warehouse": f.WAREHOUSE})
    assert refused.status_code == 403
    assert (
        page_client.post("/dashboard/plans/PL1/commit", data={"csrf_token": csrf}).status_code
        == 403
    )
    assert plans(db) == []


def test_without_signing_in_the_dashboard_leads_to_the_sign_in(page_client: FlaskClient):
    response = page_client.get(DASHBOARD)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=/dashboard/")
    assert page_client.post(RUN, data={"warehouse": f.WAREHOUSE}).status_code == 302


def test_an_api_token_of_a_planner_may_read_it(client: FlaskClient):
    token = client.token_for("robot", "planner")  # type: ignore[attr-defined]
    response = client.get(DASHBOARD, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    staff = client.token_for("scanner", "staff")  # type: ignore[attr-defined]
    assert client.get(DASHBOARD, headers={"Authorization": f"Bearer {staff}"}).status_code == 403


# --- running and committing a plan ----------------------------------------------------------------


def test_run_and_commit_a_plan_from_the_page(
    page_client: FlaskClient, db: Database, day: dict[str, int]
):
    csrf = signed_in(page_client, db, "planner")
    before = html_of(page_client.get(DASHBOARD))
    assert f"{f.WAREHOUSE} — 6 allocated orders waiting" in before

    response = run(page_client, csrf)
    assert response.status_code == 303  # type: ignore[attr-defined]
    [stored] = plans(db)
    assert response.headers["Location"] == f"/dashboard/?plan={stored.number}#plan"  # type: ignore[attr-defined]
    assert stored.created_by == "pat" and not stored.committed

    html = html_of(page_client.get(response.headers["Location"]))  # type: ignore[attr-defined]
    assert flashes(html) == [
        ("success", f"Plan {stored.number} is ready: 4 of 6 parcels assigned.")
    ]
    with db.reading() as s:
        view = planning.plan_view(s, planning.plan_by_number(s, stored.number))
    assert f'<h3 id="plan-heading">Plan {stored.number}' in html
    assert f'id="plan-cost">CN¥{float(view["cost"]):,.2f}</span>' in html
    assert f'id="plan-rate-shopping">CN¥{float(view["rate_shopping"]["cost"]):,.2f}</span>' in html
    assert f'id="plan-bound">CN¥{float(view["bound"]):,.2f}</span>' in html
    assert 'id="plan-assigned">4 / 6</span>' in html
    assert "no service covers the destination" in html and "over the per-parcel limits" in html
    assert f'action="/dashboard/plans/{stored.number}/commit"' in html

    # The capacity charts: inline SVG, one bar per courier service of the plan's loads.
    charts = re.findall(r"<svg .*?</svg>", html, flags=re.S)
    assert len(charts) == 2
    for chart in charts:
        svg = ET.fromstring(chart)
        assert svg.get("role") == "img"
        labels = [g.get("data-label") for g in svg.findall(f"{SVG}g")]
        assert labels == [load["service"] for load in view["loads"]]
    used = {load["service"]: load["parcels"] for load in view["loads"]}
    busy = next(service for service, n in used.items() if n)
    assert f"{used[busy]} of " in charts[0]

    committed = page_client.post(
        f"/dashboard/plans/{stored.number}/commit", data={"csrf_token": csrf}
    )
    assert committed.status_code == 303
    html = html_of(page_client.get(committed.headers["Location"]))
    assert flashes(html) == [
        (
            "success",
            f"Plan {stored.number} is committed: 4 orders have their courier and tracking number.",
        )
    ]
    assert 'id="plan-state">Committed by pat at' in html
    assert "/commit" not in html  # nothing left to commit
    with db.reading() as s:
        statuses = dict(s.execute(select(Order.id, Order.status)).all())
        committed_by = planning.plan_by_number(s, stored.number).committed_by
        audit = [
            (e.action, e.target, e.actor, e.outcome)
            for e in s.scalars(select(AuditEntry).where(AuditEntry.action.like("dashboard.%")))
        ]
    assert committed_by == "pat"
    assert statuses[day["gd"]] is OrderStatus.PLANNED
    assert statuses[day["heavy"]] is OrderStatus.ALLOCATED
    assert audit == [
        ("dashboard.run_plan", RUN, "pat", "ok"),
        ("dashboard.commit_plan", f"/dashboard/plans/{stored.number}/commit", "pat", "ok"),
    ]

    # Committing again is refused with the service's reason, as a message.
    again = page_client.post(f"/dashboard/plans/{stored.number}/commit", data={"csrf_token": csrf})
    [(kind, text)] = flashes(html_of(page_client.get(again.headers["Location"])))
    assert kind == "error" and "plan_number" in text and "already committed" in text


def test_run_and_commit_need_the_csrf_token(
    page_client: FlaskClient, db: Database, day: dict[str, int]
):
    csrf = signed_in(page_client, db, "planner")
    for data in ({}, {"csrf_token": "forged"}):
        response = page_client.post(RUN, data={"warehouse": f.WAREHOUSE, **data})
        assert response.status_code == 403
        assert "did not come from this site" in response.get_data(as_text=True)
    assert plans(db) == []
    run(page_client, csrf)
    [stored] = plans(db)
    response = page_client.post(f"/dashboard/plans/{stored.number}/commit")
    assert response.status_code == 403
    assert not plans(db)[0].committed


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"time_limit_s": "abc"}, "time_limit_s"),
        ({"time_limit_s": "0"}, "time_limit_s"),
        ({"time_limit_s": "61"}, "time_limit_s"),
        ({"time_limit_s": "nan"}, "time_limit_s"),
        ({"time_limit_s": "inf"}, "time_limit_s"),
        ({"warehouse": ""}, "warehouse"),
        ({"warehouse": "NOWHERE"}, "warehouse"),
        ({"warehouse": "X" * 300}, "warehouse"),
    ],
)
def test_junk_in_the_run_form_is_a_message_naming_the_field(
    page_client: FlaskClient, db: Database, day: dict[str, int], form: dict[str, str], field: str
):
    csrf = signed_in(page_client, db, "planner")
    response = run(page_client, csrf, **form)
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["Location"] == "/dashboard/#planner"  # type: ignore[attr-defined]
    [(kind, text)] = flashes(html_of(page_client.get(DASHBOARD)))
    assert kind == "error" and text.startswith(f"The planner did not run. {field}: ")
    assert plans(db) == []


def test_nothing_to_plan_is_said_so(page_client: FlaskClient, db: Database):
    f.build_warehouse(db)
    csrf = signed_in(page_client, db, "planner")
    run(page_client, csrf)
    [(kind, text)] = flashes(html_of(page_client.get(DASHBOARD)))
    assert kind == "error" and "no allocated order of SHA1 is waiting for a courier" in text


def test_commit_of_an_unknown_plan_is_a_message(page_client: FlaskClient, db: Database):
    csrf = signed_in(page_client, db, "planner")
    for number in ("PL-NOPE", "P" * 300):
        response = page_client.post(f"/dashboard/plans/{number}/commit", data={"csrf_token": csrf})
        assert response.status_code == 303
        [(kind, text)] = flashes(html_of(page_client.get(response.headers["Location"])))
        assert kind == "error" and "plan_number: no plan" in text


def test_an_unknown_plan_asked_for_answers_404_naming_it(page_client: FlaskClient, db: Database):
    signed_in(page_client, db, "planner")
    html = html_of(page_client.get(DASHBOARD, query_string={"plan": "PL-NOPE"}), 404)
    assert "plan_number: no plan PL-NOPE" in html
    html = html_of(page_client.get(DASHBOARD, query_string={"plan": "P" * 40}), 422)
    assert "plan: plan numbers have at most 32 characters" in html


# --- what else it shows ---------------------------------------------------------------------------


def test_the_stuck_orders_link_to_their_order_page(
    page_client: FlaskClient, db: Database, day: dict[str, int]
):
    signed_in(page_client, db, "planner")
    html = html_of(page_client.get(DASHBOARD))
    stuck = html[html.index('id="stuck"') : html.index("</table>", html.index('id="stuck"'))]
    links = re.findall(r'href="/dashboard/orders/(\d+)"', stuck)
    assert sorted(map(int, links)) == sorted(day.values())
    assert stuck.count("allocated") == 6

    page = html_of(page_client.get(f"/dashboard/orders/{day['gd']}"))
    with db.reading() as s:
        number = s.scalar(select(Order.order_number).where(Order.id == day["gd"]))
    assert f"<h1>Order {number}</h1>" in page
    assert '<dd id="order-status">allocated</dd>' in page
    assert "received → allocated" in page
    assert "138****5678" in page and "13812345678" not in page  # the phone stays masked
    assert page_client.get("/dashboard/orders/999999").status_code == 404
    assert page_client.get(f"/dashboard/orders/{2**40}").status_code == 404


def test_the_pipeline_cards_count_the_orders(
    page_client: FlaskClient, db: Database, day: dict[str, int]
):
    signed_in(page_client, db, "planner")
    html = html_of(page_client.get(DASHBOARD))
    cards = dict(
        re.findall(
            r'data-status="(\w+)">\s*<span class="label">[^<]*</span>\s*'
            r'<span class="figure">([^<]*)</span>',
            html,
        )
    )
    assert cards["allocated"] == "6" and cards["received"] == "0" and cards["on_hold"] == "0"
    assert list(cards)[:3] == ["received", "allocated", "planned"]
    assert "6 open orders of 6." in html


def test_the_dashboard_in_chinese(page_client: FlaskClient, db: Database, day: dict[str, int]):
    csrf = signed_in(page_client, db, "planner")
    page_client.post("/language", data={"csrf_token": csrf, "locale": "zh", "next": DASHBOARD})
    run(page_client, csrf)
    html = html_of(page_client.get(DASHBOARD))
    assert '<html lang="zh-Hans">' in html
    assert "¥" in html  # money formatted for the Chinese locale
    for chart in re.findall(r"<svg .*?</svg>", html, flags=re.S):
        ET.fromstring(chart)  # still well-formed
