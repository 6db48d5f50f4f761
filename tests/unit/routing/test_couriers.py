import itertools
import random
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from routing import (
    PlanningError,
    Reason,
    compare_plans,
    demo_services,
    plan_couriers,
    price,
    with_capacity,
    without_service,
)
from routing.couriers import manifest_weight_g

from .builders import parcel, service


def brute_force(parcels, services, penalty):
    """The least objective over every assignment (None = left behind), by enumeration."""
    options = []
    for p in parcels:
        choices = [
            (j, price(p, s.rate_card))
            for j, s in enumerate(services)
            if price(p, s.rate_card) is not None
        ]
        options.append([*choices, (None, penalty)])
    best = None
    for combo in itertools.product(*options):
        count = [0] * len(services)
        grams = [0] * len(services)
        for p, (j, _) in zip(parcels, combo, strict=True):
            if j is not None:
                count[j] += 1
                grams[j] += manifest_weight_g(p)
        if all(
            (s.capacity_parcels is None or count[j] <= s.capacity_parcels)
            and (s.capacity_g is None or grams[j] <= s.capacity_g)
            for j, s in enumerate(services)
        ):
            total = sum(c for _, c in combo)
            best = total if best is None else min(best, total)
    return best


def assert_consistent(plan, parcels, services):
    ids = [a.parcel_id for a in plan.assignments] + [u.parcel_id for u in plan.unassigned]
    assert sorted(ids) == sorted(p.id for p in parcels)  # every parcel exactly once
    by_id = {p.id: p for p in parcels}
    for service_ in services:
        mine = [by_id[a.parcel_id] for a in plan.assignments if a.service_code == service_.code]
        if service_.capacity_parcels is not None:
            assert len(mine) <= service_.capacity_parcels
        if service_.capacity_g is not None:
            assert sum(manifest_weight_g(p) for p in mine) <= service_.capacity_g
    assert plan.cost == sum(a.price for a in plan.assignments)
    assert plan.bound <= plan.objective


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_small_plans_are_optimal_against_brute_force(seed):
    rng = random.Random(seed)
    services = [
        service(
            f"S{j}-X",
            f"{rng.randint(5, 15)}.00",
            additional=f"{rng.randint(1, 4)}.00",
            capacity_parcels=rng.choice([None, 1, 2, 3]),
            capacity_g=rng.choice([None, 3000, 6000]),
        )
        for j in range(3)
    ]
    parcels = [parcel(f"P{i}", rng.randint(100, 3000)) for i in range(6)]
    plan = plan_couriers(parcels, services, time_limit_s=5, unassigned_penalty=Decimal(100))
    assert_consistent(plan, parcels, services)
    assert plan.status == "optimal"
    assert plan.objective == brute_force(parcels, services, Decimal(100))
    assert plan.objective <= plan.rate_shopping_cost + 100 * plan.rate_shopping_unassigned


def test_the_class_model_equals_the_per_parcel_model():
    rng = random.Random(7)
    services = [
        service("A-1", "6.00", capacity_parcels=25, capacity_g=30_000),
        service("B-1", "7.00", capacity_parcels=30),
        service("C-1", "9.00", additional="1.00"),
    ]
    # 80 parcels but only a handful of distinct (price, manifest weight) classes.
    parcels = [
        parcel(f"P{i}", rng.choice([400, 900, 1900, 2600]), region=rng.choice(["CN-GD", "CN-SH"]))
        for i in range(80)
    ]
    grouped = plan_couriers(parcels, services, time_limit_s=10)
    single = plan_couriers(parcels, services, time_limit_s=10, aggregate=False)
    assert grouped.status == single.status == "optimal"
    assert grouped.objective == single.objective
    assert grouped.cost == single.cost
    assert_consistent(grouped, parcels, services)


def test_capacity_binds_and_the_cheap_courier_is_filled_first():
    services = [service("CHEAP-1", "5.00", capacity_parcels=2), service("DEAR-1", "9.00")]
    parcels = [parcel(f"P{i}") for i in range(5)]
    plan = plan_couriers(parcels, services, time_limit_s=5)
    loads = {load.service_code: load.parcels for load in plan.loads}
    assert loads == {"CHEAP-1": 2, "DEAR-1": 3}
    assert plan.cost == Decimal("37.00")
    assert plan.gap_pct == 0.0


def test_optimisation_beats_rate_shopping_when_capacity_binds():
    # Rate shopping gives P1 the one cheap slot; the heavy P2 saves far more there.
    services = [
        service("A-1", "10.00", capacity_parcels=1),
        service("B-1", "11.00", additional="9.00"),
    ]
    parcels = [parcel("P1", 500), parcel("P2", 4000)]
    plan = plan_couriers(parcels, services, time_limit_s=5)
    assert plan.service_of("P2") == "A-1"
    assert plan.cost == Decimal("33.00")  # 22 + 11
    assert plan.rate_shopping_cost == Decimal("75.00")  # 10 + 65
    assert plan.saving == Decimal("42.00")


def test_parcels_no_service_can_take_are_reported_with_their_reason():
    services = [
        service("A-1", limits=service("X").limits, transit_days=3),
        service("B-1", transit_days=5, accepts_batteries=False),
    ]
    parcels = [
        parcel("ABROAD", country="US", region="US-NY"),
        parcel("HEAVY", weight_g=40_000),
        parcel("URGENT", promised_days=2),
        parcel("FINE"),
    ]
    plan = plan_couriers(parcels, services, time_limit_s=5)
    reasons = {u.parcel_id: u.reason for u in plan.unassigned}
    assert reasons == {
        "ABROAD": Reason.NO_COVERAGE,
        "HEAVY": Reason.OVER_LIMITS,
        "URGENT": Reason.TOO_SLOW,
    }
    urgent = next(u for u in plan.unassigned if u.parcel_id == "URGENT")
    assert dict(urgent.by_service) == {"A-1": Reason.TOO_SLOW, "B-1": Reason.TOO_SLOW}
    assert plan.service_of("FINE") is not None


def test_parcels_beyond_every_capacity_are_reported_as_no_capacity_left():
    services = [service("A-1", capacity_parcels=1), service("B-1", capacity_g=1000)]
    parcels = [parcel("P1", 800), parcel("P2", 800), parcel("P3", 800)]
    plan = plan_couriers(parcels, services, time_limit_s=5)
    assert len(plan.assignments) == 2
    (left,) = plan.unassigned
    assert left.reason == Reason.NO_CAPACITY
    assert plan.objective == plan.cost + plan.penalty
    assert_consistent(plan, parcels, services)


def test_prices_in_another_currency_are_converted_or_refused():
    base = service("DHL-1", "5.00")
    usd = replace(base, rate_card=replace(base.rate_card, currency="USD"))
    with pytest.raises(PlanningError, match="USD"):
        plan_couriers([parcel()], [usd], time_limit_s=1)
    plan = plan_couriers([parcel()], [usd], time_limit_s=1, exchange_rates={"USD": Decimal("7.1")})
    assert plan.cost == Decimal("35.50")


def test_duplicate_parcel_ids_are_refused():
    with pytest.raises(PlanningError, match="unique"):
        plan_couriers([parcel("P1"), parcel("P1")], [service("A-1")], time_limit_s=1)


def test_what_if_a_courier_is_removed_or_its_capacity_cut():
    services = [service("CHEAP-1", "5.00", capacity_parcels=10), service("DEAR-1", "9.00")]
    parcels = [parcel(f"P{i}") for i in range(6)]
    committed = plan_couriers(parcels, services, time_limit_s=5)
    removed = plan_couriers(parcels, without_service(services, "CHEAP-1"), time_limit_s=5)
    change = compare_plans(committed, removed)
    assert change.moved_parcels == 6
    assert change.cost_delta == Decimal("24.00")
    assert dict(change.load_delta) == {"CHEAP-1": -6, "DEAR-1": 6}
    cut = plan_couriers(
        parcels, with_capacity(services, "CHEAP-1", capacity_parcels=4), time_limit_s=5
    )
    assert compare_plans(committed, cut).moved_parcels == 2
    with pytest.raises(PlanningError):
        without_service(services, "NOPE")


def test_the_demo_day_plan_is_consistent_and_beats_rate_shopping():
    rng = random.Random(3)
    services = demo_services()
    regions = ["CN-GD", "CN-SH", "CN-BJ", "CN-XJ", "CN-SC", "CN-ZJ"]
    parcels = [
        parcel(
            f"P{i}",
            rng.randint(100, 6000),
            region=rng.choice(regions),
            promised_days=rng.choice([None, 3]),
        )
        for i in range(400)
    ] + [parcel(f"X{i}", rng.randint(100, 1800), country="DE", region="") for i in range(40)]
    plan = plan_couriers(parcels, services, time_limit_s=10, exchange_rates={"USD": Decimal("7.1")})
    assert_consistent(plan, parcels, services)
    assert plan.objective <= plan.rate_shopping_cost + plan.penalty * plan.rate_shopping_unassigned
    assert plan.gap_pct <= 1.0


def test_a_plan_with_no_parcels_is_empty():
    plan = plan_couriers([], [service("A-1")], time_limit_s=1)
    assert plan.status == "empty"
    assert plan.cost == 0
