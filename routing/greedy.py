"""Quick pure-Python solutions: the fallback when a solver has nothing, and its hint."""

from __future__ import annotations

import time
from collections.abc import Sequence


def fill_cheapest_first(
    order: Sequence[int],
    counts: Sequence[int],
    costs: Sequence[Sequence[int | None]],
    uses: Sequence[Sequence[Sequence[int]]],
    remaining: list[list[int | None]],
) -> list[list[int]]:
    """Put each class, in the given order, on its cheapest agents while room is left.

    `remaining` ([resource][agent], None = unlimited) is consumed in place.  Returns the
    amounts [class][agent]; what did not fit is simply not placed.
    """
    agents = len(costs[0]) if costs else 0
    amounts = [[0] * agents for _ in counts]
    for i in order:
        left = counts[i]
        ranked = sorted((c, j) for j, c in enumerate(costs[i]) if c is not None)
        for _, j in ranked:
            if left == 0:
                break
            fit = left
            for r, room in enumerate(remaining):
                use = uses[r][i][j]
                if room[j] is not None and use > 0:
                    fit = min(fit, room[j] // use)
            if fit <= 0:
                continue
            amounts[i][j] += fit
            left -= fit
            for r, room in enumerate(remaining):
                if room[j] is not None:
                    room[j] -= fit * uses[r][i][j]
    return amounts


def regret_order(costs: Sequence[Sequence[int | None]]) -> list[int]:
    """Classes that lose most by missing their cheapest agent go first."""

    def regret(i: int) -> tuple[int, int]:
        ranked = sorted(c for c in costs[i] if c is not None)
        if not ranked:
            return (0, 0)
        second = ranked[1] if len(ranked) > 1 else 10 * ranked[0] + 10**6
        return (-(second - ranked[0]), ranked[0])

    return sorted(range(len(costs)), key=regret)


def first_fit_decreasing(
    sizes: Sequence[Sequence[int]], capacity: Sequence[int]
) -> list[list[int]]:
    """Items by decreasing largest share of a dimension, each into the first bin it fits."""

    def share(i: int) -> float:
        return max(s / c for s, c in zip(sizes[i], capacity, strict=True))

    bins: list[list[int]] = []
    loads: list[list[int]] = []
    for i in sorted(range(len(sizes)), key=share, reverse=True):
        for b, load in enumerate(loads):
            if all(u + s <= c for u, s, c in zip(load, sizes[i], capacity, strict=True)):
                bins[b].append(i)
                loads[b] = [u + s for u, s in zip(load, sizes[i], strict=True)]
                break
        else:
            bins.append([i])
            loads.append(list(sizes[i]))
    return bins


def best_fit_decreasing_1d(sizes: Sequence[int], capacity: int) -> list[list[int]]:
    """One dimension: each item into the fullest bin it fits (usually beats first fit)."""
    bins: list[list[int]] = []
    free: list[int] = []
    for i in sorted(range(len(sizes)), key=lambda i: -sizes[i]):
        best = -1
        for b, room in enumerate(free):
            if sizes[i] <= room and (best < 0 or room < free[best]):
                best = b
        if best < 0:
            bins.append([i])
            free.append(capacity - sizes[i])
        else:
            bins[best].append(i)
            free[best] -= sizes[i]
    return bins


def lower_bound_1d(sizes: Sequence[int], capacity: int) -> int:
    """Martello and Toth's L2 bound (at least ceil(sum / capacity))."""
    total = sum(sizes)
    best = -(-total // capacity)
    half = capacity / 2
    for k in sorted({s for s in sizes if s <= half} | {0}):
        big = [s for s in sizes if s > capacity - k]
        middle = [s for s in sizes if capacity - k >= s > half]
        small = sum(s for s in sizes if half >= s >= k)
        room = len(middle) * capacity - sum(middle)
        best = max(best, len(big) + len(middle) + max(0, -(-(small - room) // capacity)))
    return best


def improve_units(
    counts: Sequence[int],
    costs: Sequence[Sequence[int | None]],
    uses: Sequence[Sequence[Sequence[int]]],
    capacities: Sequence[Sequence[int | None]],
    amounts: Sequence[Sequence[int]],
    deadline: float,
) -> list[list[int]]:
    """Place what is left unplaced (ejecting a unit elsewhere if need be), then descend by
    shift and swap moves until none improves or the deadline passes.

    Works unit by unit, so it is meant for problems with few units (the literature's GAP);
    tight instances (GAP type D) often leave the plain greedy infeasible.
    """
    agents = len(capacities[0])
    unit_class = [i for i, count in enumerate(counts) for _ in range(count)]
    agent_of = [-1] * len(unit_class)
    load = [[0] * agents for _ in capacities]
    next_unit = [sum(counts[:i]) for i in range(len(counts))]
    for i, row in enumerate(amounts):
        for j, amount in enumerate(row):
            for _ in range(amount):
                agent_of[next_unit[i]] = j
                next_unit[i] += 1
                for r in range(len(capacities)):
                    load[r][j] += uses[r][i][j]

    def fits(u: int, j: int, freed: int = -1) -> bool:
        i = unit_class[u]
        if costs[i][j] is None:
            return False
        for r, capacity in enumerate(capacities):
            if capacity[j] is None:
                continue
            room = capacity[j] - load[r][j]
            if freed >= 0:
                room += uses[r][unit_class[freed]][j]
            if uses[r][i][j] > room:
                return False
        return True

    def move(u: int, j: int) -> None:
        i, old = unit_class[u], agent_of[u]
        for r in range(len(capacities)):
            if old >= 0:
                load[r][old] -= uses[r][i][old]
            load[r][j] += uses[r][i][j]
        agent_of[u] = j

    def cost(u: int, j: int) -> int:
        return costs[unit_class[u]][j] or 0

    for u in [u for u, j in enumerate(agent_of) if j < 0]:
        options = [j for j in range(agents) if fits(u, j)]
        if options:
            move(u, min(options, key=lambda j: cost(u, j)))
            continue
        best: tuple[int, int, int, int] | None = None  # (delta, target, ejected, its new agent)
        for v, a in enumerate(agent_of):
            if a < 0 or not fits(u, a, freed=v):
                continue
            for b in range(agents):
                if b != a and fits(v, b):
                    delta = cost(u, a) + cost(v, b) - cost(v, a)
                    if best is None or delta < best[0]:
                        best = (delta, a, v, b)
        if best is not None:
            _, a, v, b = best
            move(v, b)
            move(u, a)

    improved = True
    while improved and time.perf_counter() < deadline:
        improved = False
        for u, a in enumerate(agent_of):
            if a < 0:
                continue
            for b in range(agents):
                if b != a and cost(u, b) < cost(u, a) and fits(u, b):
                    move(u, b)
                    a = b
                    improved = True
        if len(agent_of) > 1000:
            continue
        for u in range(len(agent_of)):
            if time.perf_counter() >= deadline:
                break
            for v in range(u + 1, len(agent_of)):
                a, b = agent_of[u], agent_of[v]
                if a < 0 or b < 0 or a == b:
                    continue
                if cost(u, b) + cost(v, a) >= cost(u, a) + cost(v, b):
                    continue
                if _swap_fits(u, v, a, b, unit_class, costs, uses, capacities, load):
                    move(u, b)
                    move(v, a)
                    improved = True
    result = [[0] * agents for _ in counts]
    for u, j in enumerate(agent_of):
        if j >= 0:
            result[unit_class[u]][j] += 1
    return result


def _swap_fits(
    u: int,
    v: int,
    a: int,
    b: int,
    unit_class: Sequence[int],
    costs: Sequence[Sequence[int | None]],
    uses: Sequence[Sequence[Sequence[int]]],
    capacities: Sequence[Sequence[int | None]],
    load: Sequence[Sequence[int]],
) -> bool:
    """Can unit u (on agent a) and unit v (on agent b) trade places?"""
    iu, iv = unit_class[u], unit_class[v]
    if costs[iu][b] is None or costs[iv][a] is None:
        return False
    for r, capacity in enumerate(capacities):
        if capacity[a] is not None and (load[r][a] - uses[r][iu][a] + uses[r][iv][a] > capacity[a]):
            return False
        if capacity[b] is not None and (load[r][b] - uses[r][iv][b] + uses[r][iu][b] > capacity[b]):
            return False
    return True
