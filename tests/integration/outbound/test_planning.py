"""Courier planning: allocated orders become parcels, every one is assigned or listed with
its reason, committing plans the orders, what-ifs compare with the committed plan."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import select

import routing
from tests import factories as f
from tests.integration.outbound import support as o
from wms.db import Database
from wms.models import BoxType, Flow, OrderEvent, OrderStatus
from wms.services import allocation, cancellation, domestic, orders, planning
from wms.services.errors import Conflict, InvalidInput, NotFound

LIMIT = 1.0  # seconds: a handful of parcels solves to optimal long before this
BOXES = (("S", 300, 200, 150, 150), ("M", 400, 300, 250, 300), ("L", 600, 400, 400, 600))


def stocked(db: Database, *, boxes: bool = True) -> None:
    """SHA1 with 80 bonded milk, 20 serum, 5 duty-paid milk, channel TMALLG, box types."""
    f.build_warehouse(db)
    f.declare(db, "ED-1", (f.MILK.sku, 100), (f.SERUM.sku, 40))
    f.receive(db, "ED-1", f.MILK.sku, "L1", 80)
    f.receive(db, "ED-1", f.SERUM.sku, "S1", 20)
    f.putaway(db, f.MILK.sku, "L1", 80, to=f.BINS[0])
    f.putaway(db, f.SERUM.sku, "S1", 20, to=f.BINS[2])
    with db.transaction() as s:
        domestic.receive_duty_paid(
            s,
            domestic.DutyPaidReceipt(
                f.MILK.sku, "DP1", 5, f.DOMESTIC_BIN, "GP-2026-1", f.key("dp"), "tester"
            ),
        )
        if boxes:
            for code, length, width, height, tare in BOXES:
                s.add(BoxType(code=code, name=code, length_mm=length, width_mm=width,
                              height_mm=height, tare_g=tare))  # fmt: skip
    o.channel(db)


def allocated_order(
    db: Database,
    *lines: tuple[str, int],
    province: str | None = "广东省",
    country: str = "CN",
    flow: Flow = Flow.BONDED_IMPORT,
) -> int:
    data = o.order_input(*lines, flow=flow)
    consignee = replace(data.consignee, province=province, country=country)
    if flow is Flow.EXPORT:
        consignee = replace(consignee, id_type=None, id_number=None)
    with db.transaction() as s:
        order_id = orders.receive_order(s, replace(data, consignee=consignee), actor="api").order.id
        assert allocation.allocate(s, order_id, actor="tester").status == "allocated"
    return order_id


def day_of_orders(db: Database) -> dict[str, int]:
    """Orders to several provinces, one nobody covers (Brazil), one too heavy for all."""
    return {
        "gd": allocated_order(db, (f.MILK.sku, 2), province="广东"),
        "zj": allocated_order(db, (f.SERUM.sku, 1), province="浙江省"),
        "bj": allocated_order(db, (f.MILK.sku, 3), (f.SERUM.sku, 1), province="北京市"),
        "xj": allocated_order(db, (f.MILK.sku, 1), province="新疆维吾尔自治区"),
        "br": allocated_order(
            db, (f.MILK.sku, 1), province="São Paulo", country="BR", flow=Flow.EXPORT
        ),
        "heavy": allocated_order(db, (f.MILK.sku, 60), province="上海"),
    }


@pytest.fixture
def day(db: Database) -> dict[str, int]:
    stocked(db)
    return day_of_orders(db)


def run(db: Database, what_if: planning.WhatIf | None = None) -> str:
    with db.transaction() as s:
        return planning.run_plan(
            s, f.WAREHOUSE, actor="planner", time_limit_s=LIMIT, what_if=what_if
        ).number


def view(db: Database, number: str) -> dict:
    with db.reading() as s:
        return planning.plan_view(s, planning.plan_by_number(s, number))


def commit(db: Database, number: str) -> None:
    with db.transaction() as s:
        planning.commit_plan(s, number, actor="lead")


def status_of(db: Database, order_id: int) -> tuple[OrderStatus, str | None, str | None]:
    with db.reading() as s:
        order = orders.order_by_id(s, order_id)
        return order.status, order.courier_code, order.tracking_number


def test_every_order_is_assigned_or_listed_with_its_reason(db: Database, day: dict[str, int]):
    plan = view(db, run(db))

    assert plan["kind"] == "plan" and plan["parcels"] == 6
    assigned = {a["order_id"]: a for a in plan["assignments"]}
    unassigned = {u["order_id"]: u for u in plan["unassigned"]}
    assert set(assigned) | set(unassigned) == set(day.values())
    assert not set(assigned) & set(unassigned)
    assert set(assigned) == {day[k] for k in ("gd", "zj", "bj", "xj")}
    assert unassigned[day["br"]]["reason"] == "no_coverage"
    assert set(unassigned[day["br"]]["by_service"].values()) == {"no_coverage"}
    assert unassigned[day["heavy"]]["reason"] == "over_limits"
    assert unassigned[day["heavy"]]["reason_text"] == "over the per-parcel limits"
    assert unassigned[day["heavy"]]["by_service"]["DHL-EXP"] == "no_coverage"  # domestic
    assert plan["unassigned_by_reason"] == {"no_coverage": 1, "over_limits": 1}

    cost = Decimal(plan["cost"])
    assert cost == sum(Decimal(a["price"]) for a in assigned.values())
    assert cost > 0
    assert cost <= Decimal(plan["rate_shopping"]["cost"])
    assert Decimal(plan["rate_shopping"]["saving"]) == Decimal(plan["rate_shopping"]["cost"]) - cost
    assert Decimal(plan["bound"]) <= Decimal(plan["objective"])
    assert plan["status"] in {"optimal", "feasible", "greedy"} and plan["seconds"] < 5
    # Xinjiang is remote: only a service that serves remote areas may take it.
    services = {s.code: s for s in routing.demo_services()}
    assert services[assigned[day["xj"]]["service"]].serves_remote
    # Two tins of milk (2 x 1020 g) go in the smallest box that holds them (S, 150 g tare).
    assert assigned[day["gd"]]["weight_g"] == 2 * 1020 + 150
    # Sixty tins fit no box: sized from the goods, and the notes say so.
    assert any("no box type holds its goods" in n for n in plan["notes"])
    loads = {load["service"]: load for load in plan["loads"]}
    assert sum(load["parcels"] for load in loads.values()) == 4


def test_commit_plans_assigned_orders_and_leaves_the_others_allocated(db, day):
    number = run(db)
    commit(db, number)

    plan = view(db, number)
    assert plan["committed_by"] == "lead" and plan["committed_at"]
    for a in plan["assignments"]:
        expected = planning.tracking_number(a["service"], a["order_id"])
        assert status_of(db, a["order_id"]) == (OrderStatus.PLANNED, a["service"], expected)
        assert a["tracking_number"] == expected
    assert planning.tracking_number("SF-STD", 42) == "SF000000000042"
    for key in ("br", "heavy"):
        assert status_of(db, day[key]) == (OrderStatus.ALLOCATED, None, None)
    with db.reading() as s:
        events = s.execute(
            select(OrderEvent.order_id, OrderEvent.actor).where(OrderEvent.kind == "planned")
        ).all()
    assert {e.order_id for e in events} == {day[k] for k in ("gd", "zj", "bj", "xj")}
    assert {e.actor for e in events} == {"lead"}

    with pytest.raises(Conflict, match="already committed"):
        commit(db, number)

    # The next run plans what is still waiting: the two no service can take.
    again = view(db, run(db))
    assert {u["order_id"] for u in again["unassigned"]} == {day["br"], day["heavy"]}
    assert again["assignments"] == []


def test_a_stale_plan_is_refused_naming_the_order(db, day):
    number = run(db)
    with db.transaction() as s:
        cancellation.cancel(s, day["zj"], reason="customer changed mind", actor="cs",
                            idempotency_key=f.key("cancel"))  # fmt: skip
    with db.reading() as s:
        zj_number = orders.order_by_id(s, day["zj"]).order_number
    with pytest.raises(Conflict, match=f"{zj_number} is cancelled") as refused:
        commit(db, number)
    assert refused.value.field == "plan_number"
    assert status_of(db, day["gd"])[0] is OrderStatus.ALLOCATED  # nothing was committed


def test_a_what_if_without_a_courier_compares_with_the_committed_plan(db, day):
    committed = run(db)
    commit(db, committed)
    before = {a["order_id"]: a["service"] for a in view(db, committed)["assignments"]}
    busiest = max(set(before.values()), key=list(before.values()).count)
    on_busiest = sorted(o for o, s in before.items() if s == busiest)

    number = run(db, planning.WhatIf(remove_service=busiest))
    what_if = view(db, number)

    assert what_if["kind"] == "what_if" and what_if["based_on"] == committed
    assert what_if["parameters"] == {"remove_service": busiest}
    assert what_if["parcels"] == 6  # the committed plan's orders, though now planned
    assert busiest not in {a["service"] for a in what_if["assignments"]}
    comparison = what_if["comparison"]
    assert comparison["against"] == committed and comparison["against_committed"]
    assert comparison["moved_parcels"] == len(on_busiest)
    numbers = {a["order_id"]: a["order_number"] for a in view(db, committed)["assignments"]}
    assert sorted(comparison["moved"]) == sorted(numbers[o] for o in on_busiest)
    assert comparison["load_delta"][busiest] == -len(on_busiest)
    # The committed plan was optimal with every service, so losing one cannot save.
    assert Decimal(comparison["cost_delta"]) >= 0
    assert Decimal(comparison["cost_delta"]) == Decimal(what_if["cost"]) - Decimal(
        view(db, committed)["cost"]
    )
    assert comparison["newly_unassigned"] == [] and comparison["newly_assigned"] == []

    with pytest.raises(Conflict, match="what-if"):
        commit(db, number)


def test_a_capacity_cut_moves_parcels_or_leaves_them_for_lack_of_capacity(db: Database):
    stocked(db)
    order_id = allocated_order(db, (f.MILK.sku, 1), province="Guangdong")
    committed = run(db)
    commit(db, committed)
    chosen = view(db, committed)["assignments"][0]["service"]
    cut = planning.WhatIf(capacity=planning.CapacityChange(chosen, capacity_parcels=0))

    moved = view(db, run(db, cut))
    assert moved["parameters"] == {"capacity": {"service": chosen, "capacity_parcels": 0}}
    assert moved["assignments"][0]["service"] != chosen
    assert moved["comparison"]["moved_parcels"] == 1
    loads = {load["service"]: load for load in moved["loads"]}
    assert loads[chosen]["capacity_parcels"] == 0 and loads[chosen]["parcels"] == 0

    # With that service alone on offer, the parcel has nowhere to go, and says why.
    alone = [svc for svc in routing.demo_services() if svc.code == chosen]
    with db.transaction() as s:
        number = planning.run_plan(
            s, f.WAREHOUSE, actor="planner", time_limit_s=LIMIT, what_if=cut, services=alone
        ).number
    left = view(db, number)
    assert [(u["order_id"], u["reason"]) for u in left["unassigned"]] == [(order_id, "no_capacity")]
    assert left["unassigned"][0]["by_service"] == {chosen: "no_capacity"}
    assert left["comparison"]["newly_unassigned"] == [left["unassigned"][0]["order_number"]]
    assert left["unassigned_by_reason"] == {"no_capacity": 1}


def test_what_if_input_is_checked(db, day):
    with pytest.raises(Conflict, match="run a plan first") as refused:
        run(db, planning.WhatIf(remove_service="SF-STD"))
    assert refused.value.field == "what_if"
    run(db)
    for what_if, field in (
        (planning.WhatIf(remove_service="NOPE"), "what_if.remove_service"),
        (planning.WhatIf(capacity=planning.CapacityChange("NOPE", 1)), "what_if.capacity.service"),
        (planning.WhatIf(capacity=planning.CapacityChange("SF-STD")), "what_if.capacity"),
        (planning.WhatIf(), "what_if"),
        (
            planning.WhatIf("SF-STD", planning.CapacityChange("SF-STD", 5)),
            "what_if.capacity.service",
        ),
    ):
        with pytest.raises(InvalidInput) as refused:
            run(db, what_if)
        assert refused.value.field == field
    with pytest.raises(InvalidInput) as refused, db.transaction() as s:
        planning.run_plan(s, f.WAREHOUSE, actor="p", time_limit_s=0.01)
    assert refused.value.field == "time_limit_s"
    with pytest.raises(NotFound), db.transaction() as s:
        planning.run_plan(s, "NOWHERE", actor="p", time_limit_s=LIMIT)


def test_hong_kong_goes_abroad_priced_in_yuan_at_the_customs_rate(db: Database):
    stocked(db)
    order_id = allocated_order(db, (f.MILK.sku, 1), province="香港特别行政区")
    (line,) = view(db, run(db))["assignments"]
    assert (line["order_id"], line["service"]) == (order_id, "DHL-EXP")  # only DHL serves HK
    dhl = next(s for s in routing.demo_services() if s.code == "DHL-EXP")
    parcel = routing.Parcel(str(order_id), 1170, 300, 200, 150, routing.Destination("HK"))
    usd = routing.price(parcel, dhl.rate_card)
    assert dhl.rate_card.currency == "USD" and usd is not None
    assert Decimal(line["price"]) > usd * 6  # converted to CNY, not taken as yuan


def test_nothing_to_plan_is_refused(db: Database):
    stocked(db)
    with pytest.raises(Conflict, match="no allocated order"):
        run(db)


def test_without_box_types_parcels_are_sized_from_the_goods(db: Database):
    stocked(db, boxes=False)
    order_id = allocated_order(db, (f.MILK.sku, 2))
    plan = view(db, run(db))
    assert plan["notes"] == ["no box types are defined: parcels sized from the goods"]
    (line,) = plan["assignments"]
    assert line["order_id"] == order_id and line["weight_g"] == 2 * 1020  # no tare


@pytest.mark.parametrize(
    ("province", "code"),
    [
        ("广东省", "CN-GD"),
        ("广东", "CN-GD"),
        ("北京市", "CN-BJ"),
        ("内蒙古自治区", "CN-NM"),
        ("广西壮族自治区", "CN-GX"),
        ("宁夏回族自治区", "CN-NX"),
        ("新疆维吾尔自治区", "CN-XJ"),
        ("新疆", "CN-XJ"),
        ("香港特别行政区", "CN-HK"),
        (" Inner Mongolia ", "CN-NM"),
        ("Guangdong Province", "CN-GD"),
        ("CN-ZJ", "CN-ZJ"),
        ("火星", None),
        ("", None),
        (None, None),
    ],
)
def test_provinces_read_as_iso_codes(province, code):
    assert planning.province_code(province) == code


def test_every_division_is_mapped_once():
    codes = [code for code, _, _ in planning.PROVINCES]
    assert len(codes) == len(set(codes)) == 34
    assert planning.destination_of("CN", "新疆", "830000")[0] == routing.Destination(
        "CN", "CN-XJ", "830000", remote=True
    )
    assert planning.destination_of("CN", "香港", None)[0] == routing.Destination("HK")
    assert planning.destination_of("DE", "Bayern", "80331")[0] == routing.Destination(
        "DE", "", "80331"
    )
    destination, note = planning.destination_of("CN", "火星", None)
    assert destination.region == "" and "火星" in (note or "")


def test_the_cli_runs_and_commits_a_plan(app, db: Database, day: dict[str, int]):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["plans", "run", "--time-limit", "1", "--commit"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("planning SHA1 (12 courier services")
    assert "6 parcels, 4 assigned" in lines[1]
    for label in ("cost", "lower bound", "rate shopping", "saving"):
        assert any(line.startswith(label) for line in lines), label
    assert "unassigned     no_coverage 1, over_limits 1" in lines
    assert lines[-1] == "committed by planner: 4 orders planned"
    assert status_of(db, day["gd"])[0] is OrderStatus.PLANNED

    # Refusals are a clear message and exit code 1; a bad option is a usage error (2).
    result = runner.invoke(args=["plans", "run", "--warehouse", "NOWHERE"])
    assert result.exit_code == 1 and "no warehouse NOWHERE" in result.output
    result = runner.invoke(args=["plans", "run", "--time-limit", "0"])
    assert result.exit_code == 2
