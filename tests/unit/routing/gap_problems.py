"""Small tight assignment problems and their optimum by enumeration, for the solver's tests."""

from __future__ import annotations

import itertools
import random

from routing.solver import AssignmentProblem


def tight_problem(seed: int, agents: int = 6, jobs: int = 6) -> AssignmentProblem:
    """GAP type D in small: heavier is cheaper, capacities 80 % of an even share."""
    rng = random.Random(seed)
    uses = [[rng.randint(1, 100) for _ in range(agents)] for _ in range(jobs)]
    costs = [[111 - u + rng.randint(-10, 10) for u in row] for row in uses]
    capacities = [
        max(max(row[j] for row in uses), int(0.8 * sum(row[j] for row in uses) / agents) * 2)
        for j in range(agents)
    ]
    return AssignmentProblem(counts=[1] * jobs, costs=costs, uses=[uses], capacities=[capacities])


def brute_force(problem: AssignmentProblem) -> int | None:
    """The least cost over every choice of an agent (or, if allowed, none) for every unit."""
    units = [i for i, count in enumerate(problem.counts) for _ in range(count)]
    options = list(range(problem.agents)) + ([None] if problem.unassigned_cost is not None else [])
    best = None
    for choice in itertools.product(options, repeat=len(units)):
        cost, load = 0, [[0] * problem.agents for _ in problem.capacities]
        for i, j in zip(units, choice, strict=True):
            if j is None:
                cost += problem.unassigned_cost or 0
                continue
            if problem.costs[i][j] is None:
                break
            cost += problem.costs[i][j] or 0
            for r in range(len(problem.capacities)):
                load[r][j] += problem.uses[r][i][j]
        else:
            if all(
                cap is None or load[r][j] <= cap
                for r, capacity in enumerate(problem.capacities)
                for j, cap in enumerate(capacity)
            ):
                best = cost if best is None else min(best, cost)
    return best
