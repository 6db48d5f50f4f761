"""The plans API: run, list, show, commit, what-if; junk input answered 4xx naming the field."""

from __future__ import annotations

import dataclasses
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests import factories as f
from tests.integration.outbound.test_planning import allocated_order, day_of_orders, stocked
from tests.web.support import API, error_of, headers, ok
from wms.db import Database

PLANS = f"{API}/plans"


@pytest.fixture
def day(db: Database) -> dict[str, int]:
    stocked(db)
    return day_of_orders(db)


def post_plan(client: FlaskClient, actor: str = "planner", **body: object):
    return client.post(
        PLANS,
        json={"warehouse": f.WAREHOUSE, "time_limit_s": 1, **body},
        headers=headers(actor=actor),
    )


def test_run_show_list_and_commit_a_plan(client: FlaskClient, day: dict[str, int]):
    plan = ok(post_plan(client), 201)
    number = plan["number"]
    assert number.startswith("PL") and plan["kind"] == "plan" and plan["created_by"] == "planner"
    assert plan["parcels"] == 6 and plan["assigned"] == 4
    for name in ("cost", "bound", "objective"):
        Decimal(plan[name])  # money as text
    assert Decimal(plan["cost"]) <= Decimal(plan["rate_shopping"]["cost"])
    assert isinstance(plan["gap_pct"], float) and isinstance(plan["seconds"], float)
    assert plan["unassigned_by_reason"] == {"no_coverage": 1, "over_limits": 1}
    assert {u["order_id"]: u["reason"] for u in plan["unassigned"]} == {
        day["br"]: "no_coverage",
        day["heavy"]: "over_limits",
    }
    assert all("capacity_parcels" in load for load in plan["loads"])
    assert ok(client.get(f"{PLANS}/{number}")) == plan

    committed = ok(client.post(f"{PLANS}/{number}/commit", headers=headers(actor="lead")))
    assert committed["committed_by"] == "lead" and committed["committed_at"]
    assert all(a["tracking_number"] for a in committed["assignments"])
    order = ok(client.get(f"{API}/orders/{day['gd']}"))
    assert order["status"] == "planned"
    gd = next(a for a in committed["assignments"] if a["order_id"] == day["gd"])
    assert (order["courier_code"], order["tracking_number"]) == (
        gd["service"],
        gd["tracking_number"],
    )
    assert ok(client.get(f"{API}/orders/{day['heavy']}"))["status"] == "allocated"

    again = error_of(client.post(f"{PLANS}/{number}/commit"), 409)
    assert again["field"] == "plan_number" and "already committed" in again["message"]

    service = gd["service"]
    what_if = ok(post_plan(client, what_if={"remove_service": service}), 201)
    assert what_if["kind"] == "what_if" and what_if["based_on"] == number
    assert what_if["comparison"]["against"] == number
    assert what_if["comparison"]["moved_parcels"] >= 1
    assert Decimal(what_if["comparison"]["cost_delta"]) >= 0
    refused = error_of(client.post(f"{PLANS}/{what_if['number']}/commit"), 409)
    assert "what-if" in refused["message"]

    listed = ok(client.get(PLANS, query_string={"warehouse": f.WAREHOUSE}))["plans"]
    assert [p["number"] for p in listed] == [what_if["number"], number]
    assert "assignments" not in listed[0] and listed[0]["comparison"]["against"] == number
    assert ok(client.get(PLANS, query_string={"limit": "1"}))["plans"][0]["kind"] == "what_if"


def test_a_capacity_what_if(client: FlaskClient, day: dict[str, int]):
    ok(post_plan(client), 201)
    body = {"capacity": {"service": "SF-STD", "capacity_parcels": 0, "capacity_g": 0}}
    what_if = ok(post_plan(client, what_if=body), 201)
    assert what_if["parameters"] == body
    load = next(x for x in what_if["loads"] if x["service"] == "SF-STD")
    assert load["parcels"] == 0 and load["capacity_parcels"] == 0
    assert load["parcels_used_pct"] is None  # no capacity at all: no percentage


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"time_limit_s": 0}, "time_limit_s"),
        ({"time_limit_s": 61}, "time_limit_s"),
        ({"time_limit_s": "5"}, "time_limit_s"),
        ({"time_limit_s": True}, "time_limit_s"),
        ({"time_limit_s": None}, "time_limit_s"),
        ({"warehouse": ""}, "warehouse"),
        ({"warehouse": 7}, "warehouse"),
        ({"colour": "red"}, "colour"),
        ({"what_if": "SF-STD"}, "what_if"),
        ({"what_if": {}}, "what_if"),
        ({"what_if": {"remove_service": "NOPE"}}, "what_if.remove_service"),
        ({"what_if": {"remove_service": ["SF-STD"]}}, "what_if.remove_service"),
        (
            {"what_if": {"capacity": {"service": "NOPE", "capacity_g": 1}}},
            "what_if.capacity.service",
        ),
        ({"what_if": {"capacity": {"service": "SF-STD"}}}, "what_if.capacity"),
        (
            {"what_if": {"capacity": {"service": "SF-STD", "capacity_parcels": -1}}},
            "what_if.capacity.capacity_parcels",
        ),
        (
            {"what_if": {"capacity": {"service": "SF-STD", "capacity_parcels": 1.5}}},
            "what_if.capacity.capacity_parcels",
        ),
        ({"what_if": {"capacity": {"service": "SF-STD", "speed": 1}}}, "what_if.capacity.speed"),
    ],
)
def test_junk_is_refused_naming_the_field(client: FlaskClient, day, body, field):
    ok(post_plan(client), 201)  # what-ifs need a plan to compare with
    error = error_of(post_plan(client, **body), 422)
    assert error["field"] == field
    assert len(ok(client.get(PLANS))["plans"]) == 1  # nothing more was written


def test_other_refusals(client: FlaskClient, db: Database):
    stocked(db)
    assert error_of(client.post(PLANS, data="nope"), 422)["field"] == "body"
    assert error_of(post_plan(client, warehouse="NOWHERE"), 404)["field"] == "warehouse"
    assert error_of(post_plan(client), 409)["field"] == "warehouse"  # nothing to plan
    allocated_order(db, (f.MILK.sku, 1))
    what_if = error_of(post_plan(client, what_if={"remove_service": "SF-STD"}), 409)
    assert what_if["field"] == "what_if" and "run a plan first" in what_if["message"]
    assert error_of(client.get(f"{PLANS}/PL-NOPE"), 404)["field"] == "plan_number"
    assert error_of(client.post(f"{PLANS}/PL-NOPE/commit"), 404)["field"] == "plan_number"
    assert error_of(client.get(PLANS, query_string={"limit": "0"}), 422)["field"] == "limit"
    assert error_of(client.get(PLANS, query_string={"limit": "x"}), 422)["field"] == "limit"
    assert (
        error_of(client.get(PLANS, query_string={"warehouse": "NO"}), 404)["field"] == "warehouse"
    )
    assert ok(client.get(PLANS)) == {"plans": []}


def test_courier_services_come_from_the_settings(
    app: Flask, client: FlaskClient, db: Database, tmp_path: Path
):
    stocked(db)
    allocated_order(db, (f.MILK.sku, 1), province="浙江")
    shutil.copy(Path("routing/data/zto.csv"), tmp_path / "zto.csv")
    service = json.loads(Path("routing/data/services.json").read_text())["services"][3]
    assert service["code"] == "ZTO-STD"
    (tmp_path / "services.json").write_text(json.dumps({"services": [service]}))
    settings = app.extensions["wms.settings"]
    app.extensions["wms.settings"] = dataclasses.replace(
        settings, courier_services_path=str(tmp_path / "services.json")
    )
    plan = ok(post_plan(client), 201)
    # 1020 g of milk + the S box's 150 g: ZTO's zone 3 first kilo 6.50 + one more 3.00.
    assert [(a["service"], a["price"]) for a in plan["assignments"]] == [("ZTO-STD", "9.5000")]
    assert [load["service"] for load in plan["loads"]] == ["ZTO-STD"]

    (tmp_path / "services.json").write_text("{")
    broken = error_of(post_plan(client), 409)
    assert broken["field"] == "courier_services" and "services.json" in broken["message"]
