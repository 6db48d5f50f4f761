"""Courier selection: every parcel to one service that may take it, at least total cost.

Parcels that price the same on every service and weigh the same on a manifest are
interchangeable, so the model works on such classes with integer counts: 20,000 parcels
become a few thousand classes, and the LP bound stays as tight as the per-parcel model's.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

from routing.eligibility import Reason, refusal, summary
from routing.model import CourierService, Parcel
from routing.plan import Assignment, CourierPlan, PlanComparison, ServiceLoad, Unassigned
from routing.pricing import CENT, billing_key, from_cents, price_of, to_cents
from routing.solver import AssignmentProblem, solve_assignment

# Daily kg capacities are checked on manifest weights: each parcel rounded up to 0.1 kg.
MANIFEST_STEP_G = 100
# Without an explicit penalty, a parcel left behind costs this many times the dearest
# price on offer, so the solver leaves one behind only when capacity forces it.
PENALTY_FACTOR = 100


class PlanningError(ValueError):
    pass


def manifest_weight_g(parcel: Parcel) -> int:
    return -(-parcel.weight_g // MANIFEST_STEP_G) * MANIFEST_STEP_G


def plan_couriers(
    parcels: Sequence[Parcel],
    services: Sequence[CourierService],
    *,
    time_limit_s: float = 10.0,
    currency: str = "CNY",
    exchange_rates: Mapping[str, Decimal] | None = None,
    unassigned_penalty: Decimal | None = None,
    relative_gap: float = 0.0,
    aggregate: bool = True,
) -> CourierPlan:
    """Assign each parcel to one courier service at least total cost.

    `exchange_rates` maps a rate card's currency to units of `currency` (needed for every
    card not priced in `currency`).  `relative_gap` lets the solver stop once it has proven
    the plan within that fraction of optimal.  `aggregate=False` solves one variable per
    parcel and service (kept to check the class model against).
    """
    started = time.perf_counter()
    _check_unique(parcels, services)
    rates = _rates(services, currency, exchange_rates or {})
    prices, refused = _price_matrix(parcels, services, rates)

    unassigned: list[Unassigned] = []
    classes: dict[tuple[object, ...], list[int]] = defaultdict(list)
    for p, parcel in enumerate(parcels):
        row = prices[p]
        if all(c is None for c in row):
            by_service = tuple(
                (s.code, reason) for s, reason in zip(services, refused[p], strict=True)
            )
            reasons = (reason for reason in refused[p] if reason is not None)
            unassigned.append(Unassigned(parcel.id, summary(reasons), by_service))
            continue
        key = (tuple(row), manifest_weight_g(parcel)) if aggregate else (p,)
        classes[key].append(p)

    members = list(classes.values())
    dearest = max((c for row in prices for c in row if c is not None), default=0)
    penalty = (
        to_cents(unassigned_penalty)
        if unassigned_penalty is not None
        else PENALTY_FACTOR * max(dearest, 1)
    )
    problem = _problem(parcels, services, prices, members, penalty)
    shop_cost, shop_left = rate_shop(parcels, services, prices)

    if members:
        remaining = max(0.1, time_limit_s - (time.perf_counter() - started))
        solution = solve_assignment(problem, time_limit_s=remaining, relative_gap=relative_gap)
        amounts, objective, bound, status = (
            solution.amounts,
            solution.objective,
            solution.bound,
            solution.status,
        )
    else:
        amounts, objective, bound, status = (), 0, 0, "empty"

    assignments: list[Assignment] = []
    loads = [[0, 0] for _ in services]
    for c, group in enumerate(members):
        queue = list(group)
        for j, amount in enumerate(amounts[c]):
            for p in queue[:amount]:
                assignments.append(
                    Assignment(parcels[p].id, services[j].code, from_cents(prices[p][j]))
                )
                loads[j][0] += 1
                loads[j][1] += manifest_weight_g(parcels[p])
            queue = queue[amount:]
        for p in queue:
            by_service = tuple(
                (s.code, refused[p][j] or Reason.NO_CAPACITY) for j, s in enumerate(services)
            )
            unassigned.append(Unassigned(parcels[p].id, Reason.NO_CAPACITY, by_service))

    order = {parcel.id: p for p, parcel in enumerate(parcels)}
    assignments.sort(key=lambda a: order[a.parcel_id])
    unassigned.sort(key=lambda u: order[u.parcel_id])
    cost = sum((a.price for a in assignments), Decimal(0))
    gap = 100.0 * (objective - bound) / objective if objective else 0.0
    return CourierPlan(
        currency=currency,
        assignments=tuple(assignments),
        unassigned=tuple(unassigned),
        loads=tuple(
            ServiceLoad(s.code, n, g, s.capacity_parcels, s.capacity_g)
            for s, (n, g) in zip(services, loads, strict=True)
        ),
        cost=cost,
        objective=from_cents(objective),
        bound=from_cents(bound),
        gap_pct=round(gap, 4),
        penalty=from_cents(penalty),
        seconds=time.perf_counter() - started,
        status=status,
        rate_shopping_cost=from_cents(shop_cost),
        rate_shopping_unassigned=shop_left,
    )


def rate_shop(
    parcels: Sequence[Parcel],
    services: Sequence[CourierService],
    prices: Sequence[Sequence[int | None]],
) -> tuple[int, int]:
    """Plain rate shopping: each parcel in turn to its cheapest service with room left.

    Returns (cost in cents, parcels left with no room).
    """
    room_parcels = [s.capacity_parcels for s in services]
    room_g = [s.capacity_g for s in services]
    cost = left = 0
    for p, parcel in enumerate(parcels):
        weight = manifest_weight_g(parcel)
        ranked = sorted((c, j) for j, c in enumerate(prices[p]) if c is not None)
        if not ranked:
            continue
        for c, j in ranked:
            if (room_parcels[j] is None or room_parcels[j] >= 1) and (
                room_g[j] is None or room_g[j] >= weight
            ):
                if room_parcels[j] is not None:
                    room_parcels[j] -= 1
                if room_g[j] is not None:
                    room_g[j] -= weight
                cost += c
                break
        else:
            left += 1
    return cost, left


def compare_plans(committed: CourierPlan, what_if: CourierPlan) -> PlanComparison:
    """What changes if the what-if plan replaces the committed one."""
    before = {a.parcel_id: a.service_code for a in committed.assignments}
    after = {a.parcel_id: a.service_code for a in what_if.assignments}
    moved = sum(1 for p, s in after.items() if p in before and before[p] != s)
    load_before = {load.service_code: load.parcels for load in committed.loads}
    load_after = {load.service_code: load.parcels for load in what_if.loads}
    codes = sorted(load_before.keys() | load_after.keys())
    return PlanComparison(
        cost_delta=what_if.cost - committed.cost,
        objective_delta=what_if.objective - committed.objective,
        moved_parcels=moved,
        newly_unassigned=tuple(p for p in before if p not in after),
        newly_assigned=tuple(p for p in after if p not in before),
        load_delta=tuple(
            (code, load_after.get(code, 0) - load_before.get(code, 0))
            for code in codes
            if load_after.get(code, 0) != load_before.get(code, 0)
        ),
    )


def without_service(services: Sequence[CourierService], code: str) -> list[CourierService]:
    """The services with one removed (a what-if)."""
    if code not in {s.code for s in services}:
        raise PlanningError(f"unknown service {code!r}")
    return [s for s in services if s.code != code]


def with_capacity(
    services: Sequence[CourierService],
    code: str,
    *,
    capacity_parcels: int | None = None,
    capacity_g: int | None = None,
) -> list[CourierService]:
    """The services with one service's daily capacity changed (a what-if; None keeps it)."""
    if code not in {s.code for s in services}:
        raise PlanningError(f"unknown service {code!r}")
    return [
        replace(
            s,
            capacity_parcels=s.capacity_parcels if capacity_parcels is None else capacity_parcels,
            capacity_g=s.capacity_g if capacity_g is None else capacity_g,
        )
        if s.code == code
        else s
        for s in services
    ]


def _check_unique(parcels: Sequence[Parcel], services: Sequence[CourierService]) -> None:
    if len({p.id for p in parcels}) != len(parcels):
        raise PlanningError("parcel ids must be unique")
    if len({s.code for s in services}) != len(services):
        raise PlanningError("service codes must be unique")


def _rates(
    services: Sequence[CourierService], currency: str, exchange_rates: Mapping[str, Decimal]
) -> list[Decimal]:
    rates = []
    for service in services:
        card_currency = service.rate_card.currency
        if card_currency == currency:
            rates.append(Decimal(1))
        elif card_currency in exchange_rates:
            rates.append(exchange_rates[card_currency])
        else:
            raise PlanningError(
                f"service {service.code} prices in {card_currency}: "
                f"exchange_rates needs a {card_currency} -> {currency} rate"
            )
    return rates


def _price_matrix(
    parcels: Sequence[Parcel], services: Sequence[CourierService], rates: Sequence[Decimal]
) -> tuple[list[list[int | None]], list[list[Reason | None]]]:
    """Prices in cents of the plan currency (None where refused), and the refusals."""
    cache: dict[tuple[int, tuple[str, int, bool]], int] = {}
    prices: list[list[int | None]] = []
    refused: list[list[Reason | None]] = []
    for parcel in parcels:
        row: list[int | None] = []
        reasons: list[Reason | None] = []
        for j, service in enumerate(services):
            reason = refusal(parcel, service)
            reasons.append(reason)
            if reason is not None:
                row.append(None)
                continue
            key = billing_key(parcel, service.rate_card)
            assert key is not None  # refusal() checked the coverage
            if (j, key) not in cache:
                amount = price_of(service.rate_card, key) * rates[j]
                cache[j, key] = to_cents(amount.quantize(CENT, rounding=ROUND_HALF_UP))
            row.append(cache[j, key])
        prices.append(row)
        refused.append(reasons)
    return prices, refused


def _problem(
    parcels: Sequence[Parcel],
    services: Sequence[CourierService],
    prices: Sequence[Sequence[int | None]],
    members: Sequence[Sequence[int]],
    penalty: int,
) -> AssignmentProblem:
    agents = range(len(services))
    weights = [manifest_weight_g(parcels[group[0]]) for group in members]
    return AssignmentProblem(
        counts=[len(group) for group in members],
        costs=[list(prices[group[0]]) for group in members],
        uses=[
            [[1 for _ in agents] for _ in members],
            [[w for _ in agents] for w in weights],
        ],
        capacities=[
            [s.capacity_parcels for s in services],
            [s.capacity_g for s in services],
        ],
        unassigned_cost=penalty,
    )
