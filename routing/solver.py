"""The one module that imports OR-Tools.

Two models, each under a time limit, each started from a greedy solution that is kept
whenever the solver has nothing better:

* `solve_assignment`: a generalised assignment problem over classes of identical units
  (integer counts per class and agent), several capacity resources per agent.  GLOP's LP
  relaxation gives a bound and, rounded down and refilled greedily, a second starting
  point; CP-SAT improves the better of the two, which it gets as a hint.  The whole model
  gets a first slice (easy problems end there).  With few units and one capacity
  resource, column generation follows (a set-partitioning LP over each agent's feasible
  sets of units, priced by a knapsack per agent) and a dive on it, which gives both a far
  better solution and a far better bound on tight problems; otherwise cores (each class
  on its 3, then 5 agents of least LP reduced cost).  The whole model has the rest of the
  time.  When the LP bound already proves the start within the requested gap, CP-SAT is
  not run.
* `pack_bins`: bin packing.  One dimension: the arc-flow model of Valerio de Carvalho,
  first restricted to packings into the lower bound's number of bins (each bin may
  waste at most the total slack, which prunes most arcs): its LP (GLOP) rounded down to
  whole patterns plus a small MIP for the items left over usually reaches the bound at
  once; else the restricted MIP, then the unrestricted one (CBC through pywraplp).
  Several dimensions (weight, volume, value): a CP-SAT assignment model hinted with
  first-fit decreasing.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from routing.greedy import (
    best_fit_decreasing_1d,
    fill_cheapest_first,
    first_fit_decreasing,
    improve_units,
    lower_bound_1d,
    regret_order,
)
from routing.knapsack import knapsacks
from routing.lazy import lazy_module

# OR-Tools, imported here only, and loaded when the first model is built.
if TYPE_CHECKING:
    from ortools.linear_solver import pywraplp
    from ortools.sat.python import cp_model
else:
    pywraplp = lazy_module("ortools.linear_solver.pywraplp")
    cp_model = lazy_module("ortools.sat.python.cp_model")

# Measured on two cores: the assignment model is fastest with two CP-SAT workers; for
# packing models a portfolio of eight beat two (shared/FINDINGS.md).
ASSIGNMENT_WORKERS = 2
PACKING_WORKERS = 8
MIP_SOLVERS = ("CBC", "HIGHS")  # CBC measured faster on arc-flow
# The unit-by-unit local search is for problems of a few thousand units at most, and
# gets this share of the time limit.
MAX_LOCAL_SEARCH_UNITS = 2000
LOCAL_SEARCH_SHARE = 0.15
# CP-SAT first runs on cores: each class on its `size` agents of least LP reduced cost,
# for `share` of the time left (linearization level 2: cuts on the tight capacity rows).
# Measured on GAP type D: 3 then 5 agents beat one core of 2, 3 or 4, or 3 then 6.  A core
# is at most half the agents.
CORE_STAGES = ((3, 0.53), (5, 0.7))
# ... after the whole model had this share of the time limit (enough for gap1..gap12).
FIRST_SLICE = 0.1
# Column generation and a dive (unit classes, one capacity resource): at most this many units
# and cells of the knapsack table (units x agents x capacity); the dive stops when this few
# agents or units are left for CP-SAT, re-prices at most this many times after each fix,
# and gets this share of the time left after the first slice.  Prices are smoothed
# towards the best duals so far by this weight (Wentges).
DIVE_MAX_UNITS = 2000
DIVE_MAX_UNITS_PER_AGENT = 12  # longer columns: column generation converges too slowly
DIVE_MAX_CELLS = 20_000_000
DIVE_REST_AGENTS = 5
DIVE_REST_UNITS = 30
DIVE_STEP_ITERATIONS = 5
DIVE_RESERVE = 0.15
DIVE_SHARE = 0.9
DIVE_SMOOTHING = 0.8
DIVE_ROOT_GAP = 1e-4
DIVE_ROOT_SHARE = 0.6
# Beyond this many item-bin pairs the multi-dimensional model is not worth building.
MAX_PACKING_PAIRS = 200_000
# Beyond this many arcs (large capacities in fine units) arc-flow gives way to the
# assignment model.
MAX_ARCS = 300_000


@dataclass(frozen=True)
class AssignmentProblem:
    """Assign counts[i] identical units of every class i to agents.

    costs[i][j] is the cost of one unit of class i on agent j (None: not allowed);
    uses[r][i][j] what one such unit takes of agent j's resource r, whose capacity is
    capacities[r][j] (None: unlimited).  With `unassigned_cost` set, a unit may stay
    unassigned at that cost; without it every unit must be assigned.
    """

    counts: Sequence[int]
    costs: Sequence[Sequence[int | None]]
    uses: Sequence[Sequence[Sequence[int]]]
    capacities: Sequence[Sequence[int | None]]
    unassigned_cost: int | None = None

    @property
    def agents(self) -> int:
        return len(self.capacities[0]) if self.capacities else len(self.costs[0])


@dataclass(frozen=True)
class AssignmentSolution:
    amounts: tuple[tuple[int, ...], ...]  # [class][agent]
    unassigned: tuple[int, ...]  # [class]
    objective: int
    bound: int
    status: str  # "optimal", "feasible", "greedy" (solver found nothing better) or "infeasible"
    seconds: float


@dataclass(frozen=True)
class PackingSolution:
    bins: tuple[tuple[int, ...], ...]  # item indices per bin
    bound: int
    status: str  # "optimal", "feasible" or "greedy"
    seconds: float


def greedy_assignment(problem: AssignmentProblem, order: Sequence[int]) -> list[list[int]]:
    remaining = [list(capacity) for capacity in problem.capacities]
    return fill_cheapest_first(order, problem.counts, problem.costs, problem.uses, remaining)


def _objective(problem: AssignmentProblem, amounts: Sequence[Sequence[int]]) -> int | None:
    """The cost of a (possibly partial) assignment; None if it leaves units it may not."""
    total = 0
    for i, row in enumerate(amounts):
        left = problem.counts[i] - sum(row)
        if left and problem.unassigned_cost is None:
            return None
        total += left * (problem.unassigned_cost or 0)
        total += sum(a * c for a, c in zip(row, problem.costs[i], strict=True) if a)
    return total


def _shortfall_and_cost(
    problem: AssignmentProblem, amounts: Sequence[Sequence[int]]
) -> tuple[int, int]:
    """Units left unplaced, then cost: how far a start is from a good solution."""
    left = sum(c - sum(row) for c, row in zip(problem.counts, amounts, strict=True))
    cost = sum(
        a * (c or 0)
        for i, row in enumerate(amounts)
        for a, c in zip(row, problem.costs[i], strict=True)
    )
    return left, cost


@dataclass(frozen=True)
class _Relaxation:
    bound: float
    values: list[list[float]]  # [class][agent]
    reduced_costs: list[list[float]]  # [class][agent]; inf where not allowed
    duals: list[float]  # [class]: the price of one more unit of the class


def _lp_relaxation(problem: AssignmentProblem, time_limit_s: float) -> _Relaxation | None:
    """GLOP's optimum of the LP relaxation, its values and reduced costs (None: no optimum)."""
    lp = pywraplp.Solver.CreateSolver("GLOP")
    lp.SetTimeLimit(max(1, int(time_limit_s * 1000)))
    infinity = lp.infinity()
    agents = problem.agents
    x: list[list[pywraplp.Variable | None]] = []
    rows: list[pywraplp.Constraint] = []
    objective = lp.Objective()
    for i, count in enumerate(problem.counts):
        row: list[pywraplp.Variable | None] = []
        assigned = lp.Constraint(
            count if problem.unassigned_cost is None else 0, count, f"class{i}"
        )
        rows.append(assigned)
        for j in range(agents):
            cost = problem.costs[i][j]
            if cost is None:
                row.append(None)
                continue
            var = lp.NumVar(0, count, "")
            assigned.SetCoefficient(var, 1)
            objective.SetCoefficient(var, cost)
            row.append(var)
        if problem.unassigned_cost is not None:
            left = lp.NumVar(0, count, "")
            assigned.SetBounds(count, count)
            assigned.SetCoefficient(left, 1)
            objective.SetCoefficient(left, problem.unassigned_cost)
        x.append(row)
    for r, capacity in enumerate(problem.capacities):
        for j in range(agents):
            if capacity[j] is None:
                continue
            row_constraint = lp.Constraint(-infinity, capacity[j], "")
            for i, row in enumerate(x):
                if row[j] is not None and problem.uses[r][i][j]:
                    row_constraint.SetCoefficient(row[j], problem.uses[r][i][j])
    objective.SetMinimization()
    if lp.Solve() != pywraplp.Solver.OPTIMAL:
        return None
    values = [[0.0 if var is None else var.solution_value() for var in row] for row in x]
    reduced = [[math.inf if var is None else var.reduced_cost() for var in row] for row in x]
    return _Relaxation(objective.Value(), values, reduced, [row.dual_value() for row in rows])


def _rounded(problem: AssignmentProblem, values: Sequence[Sequence[float]]) -> list[list[int]]:
    """LP values rounded down, then what is left placed by the greedy."""
    amounts = [[math.floor(v + 1e-6) for v in row] for row in values]
    remaining: list[list[int | None]] = []
    for r, capacity in enumerate(problem.capacities):
        room: list[int | None] = []
        for j, cap in enumerate(capacity):
            if cap is None:
                room.append(None)
            else:
                used = sum(amounts[i][j] * problem.uses[r][i][j] for i in range(len(amounts)))
                room.append(cap - used)
        remaining.append(room)
    left = [count - sum(row) for count, row in zip(problem.counts, amounts, strict=True)]
    extra = fill_cheapest_first(
        regret_order(problem.costs), left, problem.costs, problem.uses, remaining
    )
    return [
        [a + e for a, e in zip(ra, re, strict=True)] for ra, re in zip(amounts, extra, strict=True)
    ]


def solve_assignment(
    problem: AssignmentProblem,
    *,
    time_limit_s: float,
    relative_gap: float = 0.0,
) -> AssignmentSolution:
    """The least-cost assignment found within the time limit, with a proven bound.

    `relative_gap` stops the search once the solution is proven within that fraction.
    """
    started = time.perf_counter()
    deadline = started + time_limit_s
    candidates = [greedy_assignment(problem, regret_order(problem.costs))]
    lp_bound = -math.inf
    relaxation = _lp_relaxation(problem, time_limit_s / 2)
    if relaxation is not None:
        lp_bound = relaxation.bound
        candidates.append(_rounded(problem, relaxation.values))
    if sum(problem.counts) <= MAX_LOCAL_SEARCH_UNITS:
        start_from = min(candidates, key=lambda a: _shortfall_and_cost(problem, a))
        local_deadline = started + time_limit_s * LOCAL_SEARCH_SHARE
        candidates.append(
            improve_units(
                problem.counts,
                problem.costs,
                problem.uses,
                problem.capacities,
                start_from,
                local_deadline,
            )
        )
    scored = [(obj, a) for a in candidates if (obj := _objective(problem, a)) is not None]
    start = min(scored, key=lambda pair: pair[0]) if scored else None
    hint = start[1] if start else candidates[0]
    lp_ceil = math.ceil(lp_bound - 1e-6) if lp_bound > -math.inf else None
    if start is not None and lp_ceil is not None and start[0] - lp_ceil <= relative_gap * start[0]:
        # The LP already proves the rounded solution good enough: CP-SAT cannot add to it.
        return AssignmentSolution(
            amounts=tuple(tuple(row) for row in start[1]),
            unassigned=tuple(c - sum(row) for c, row in zip(problem.counts, start[1], strict=True)),
            objective=start[0],
            bound=min(lp_ceil, start[0]),
            status="optimal" if lp_ceil >= start[0] else "feasible",
            seconds=time.perf_counter() - started,
        )

    every = _allowed_pairs(problem)
    stages = [(size, share) for size, share in CORE_STAGES if 2 * size <= problem.agents]
    found: tuple[tuple[tuple[int, ...], ...], int] | None = None  # CP-SAT's best
    whole_bound, proven = 0, False

    def run(pairs: set[tuple[int, int]], until: float, cut: int | None, level: int) -> None:
        nonlocal found, hint, whole_bound, proven
        hinted = all((i, j) in pairs for i, row in enumerate(hint) for j, a in enumerate(row) if a)
        answer = _cp_sat(problem, pairs, hint if hinted else None, cut, until, relative_gap, level)
        if answer is None:
            return
        best = found[1] if found else start[0] if start else math.inf
        if answer.objective < best or (pairs is every and answer.objective == best):
            found = (answer.amounts, answer.objective)
            hint = [list(row) for row in answer.amounts]
        if pairs is every:
            whole_bound = max(whole_bound, answer.bound)
            proven = proven or (answer.optimal and answer.objective == found[1])

    if stages and relaxation is not None and FIRST_SLICE > 0:
        # Most problems are proven on the whole model in a moment: a first slice for them.
        run(every, min(deadline, time.perf_counter() + FIRST_SLICE * time_limit_s), lp_ceil, 1)
    dived = False
    shape = _dive_units(problem) if relaxation is not None and not proven else None
    if shape is not None and relaxation is not None:
        # Tight problems (GAP type D): CP-SAT stalls 0.5-1.5 % above the best known even
        # on cores, while the set-partitioning LP of column generation is within about
        # 0.2 % of the optimum: diving on it finds far better solutions, and its bound
        # (the knapsack Lagrangian one) is far above the compact LP's.
        until = time.perf_counter() + DIVE_SHARE * (deadline - time.perf_counter())
        dive = _dive(problem, *shape, relaxation, hint, until)
        if dive is not None:
            lp_ceil = dive.bound if lp_ceil is None else max(lp_ceil, dive.bound)
        if dive is not None and dive.amounts is not None and dive.objective is not None:
            dived = True
            if dive.objective < (found[1] if found else start[0] if start else math.inf):
                found = (tuple(tuple(row) for row in dive.amounts), dive.objective)
                hint = dive.amounts
        if found and lp_ceil is not None and found[1] - lp_ceil <= relative_gap * found[1]:
            proven = True
    if stages and relaxation is not None and not proven and not dived:
        # Without a dive: CP-SAT on the whole model stalls 1-2 % above the best known on
        # tight problems, but on a core (each class on its few agents of least LP reduced
        # cost) its LNS goes far deeper.  Cores grow stage by stage, each hinted with the
        # last one's answer; the whole model comes last, for the bound and what the cores
        # left out.
        for size, share in stages:
            core = _core(problem, relaxation.reduced_costs, size)
            # No LP cut: a core's answer needs no proof; measured no better with it.
            run(core, time.perf_counter() + share * (deadline - time.perf_counter()), None, 2)
            if found and lp_ceil is not None and found[1] - lp_ceil <= relative_gap * found[1]:
                break  # the LP proves it: the whole model only has to confirm
    if not proven:
        run(every, deadline, lp_ceil, 1)
    if found is not None:
        amounts, objective = found
        bound = max(whole_bound, lp_ceil if lp_ceil is not None else 0)
        label = "optimal" if (proven and relative_gap == 0.0) or bound >= objective else "feasible"
    elif start is not None:
        amounts = tuple(tuple(row) for row in start[1])
        objective = start[0]
        bound = lp_ceil if lp_ceil is not None else 0
        label = "optimal" if bound >= objective else "greedy"
    else:
        amounts = tuple(tuple(row) for row in candidates[0])
        objective = 0
        bound = lp_ceil if lp_ceil is not None else 0
        label = "infeasible"
    left = tuple(c - sum(row) for c, row in zip(problem.counts, amounts, strict=True))
    return AssignmentSolution(
        amounts=amounts,
        unassigned=left,
        objective=objective,
        bound=min(bound, objective) if label != "infeasible" else bound,
        status=label,
        seconds=time.perf_counter() - started,
    )


@dataclass(frozen=True)
class _Answer:
    amounts: tuple[tuple[int, ...], ...]
    objective: int
    bound: int
    optimal: bool


def _allowed_pairs(problem: AssignmentProblem) -> set[tuple[int, int]]:
    """Every (class, agent) pair with a cost: the whole model's variables."""
    return {
        (i, j) for i, row in enumerate(problem.costs) for j, c in enumerate(row) if c is not None
    }


def _core(
    problem: AssignmentProblem, reduced: Sequence[Sequence[float]], size: int
) -> set[tuple[int, int]]:
    """Each class's `size` allowed agents of least LP reduced cost (cores of growing size
    nest, so one stage's answer is a valid hint for the next)."""
    core: set[tuple[int, int]] = set()
    for i, row in enumerate(reduced):
        allowed = [j for j, c in enumerate(problem.costs[i]) if c is not None]
        core.update((i, j) for j in sorted(allowed, key=lambda j: (row[j], j))[:size])
    return core


@dataclass(frozen=True)
class _Dive:
    bound: int  # the Lagrangian (knapsack) bound of the root
    amounts: list[list[int]] | None = None  # [class][agent]; None: no solution in time
    objective: int | None = None


def _dive_units(problem: AssignmentProblem) -> tuple[list[int], int] | None:
    """Each unit's class and the one capacity resource, when column generation applies:
    few units, one resource with a capacity, and a knapsack table that fits in memory."""
    limited = [
        r for r, capacity in enumerate(problem.capacities) if any(c is not None for c in capacity)
    ]
    if len(limited) != 1 or problem.agents <= DIVE_REST_AGENTS:
        return None
    if sum(problem.counts) > min(DIVE_MAX_UNITS, DIVE_MAX_UNITS_PER_AGENT * problem.agents):
        return None
    resource = limited[0]
    units = [i for i, count in enumerate(problem.counts) for _ in range(count)]
    top = max((c for c in problem.capacities[resource] if c is not None), default=0)
    if len(units) * problem.agents * (top + 1) > DIVE_MAX_CELLS:
        return None
    return units, resource


class _SetPartition:
    """The master LP of column generation: every unit covered once (or left at the
    unassigned cost, else at a prohibitive one), every agent at most one column, a column
    being a set of units within that agent's capacity."""

    def __init__(
        self, cost: np.ndarray, weight: np.ndarray, capacity: np.ndarray, left: float
    ) -> None:
        self.cost, self.weight, self.capacity, self.left = cost, weight, capacity, left
        self.units, self.agents = cost.shape
        self.lp = pywraplp.Solver.CreateSolver("GLOP")
        self.covered = [self.lp.Constraint(1, 1) for _ in range(self.units)]
        self.one_each = [self.lp.Constraint(-self.lp.infinity(), 1) for _ in range(self.agents)]
        self.objective = self.lp.Objective()
        self.objective.SetMinimization()
        for row in self.covered:  # the unit left unassigned
            var = self.lp.NumVar(0, 1, "")
            row.SetCoefficient(var, 1)
            self.objective.SetCoefficient(var, left)
        self.columns: list[tuple[int, tuple[int, ...], pywraplp.Variable]] = []
        self.known: set[tuple[int, tuple[int, ...]]] = set()
        self.fixed_units = np.zeros(self.units, dtype=bool)
        self.fixed_agents = np.zeros(self.agents, dtype=bool)
        self.fixed: list[int] = []  # column indices, in the order fixed
        self.center: np.ndarray | None = None  # the duals of the best Lagrangian bound
        self.bound = -math.inf
        self.converged = False

    def add(self, agent: int, units: tuple[int, ...]) -> bool:
        if (agent, units) in self.known:
            return False
        self.known.add((agent, units))
        var = self.lp.NumVar(0, 1, "")
        for u in units:
            self.covered[u].SetCoefficient(var, 1)
        self.one_each[agent].SetCoefficient(var, 1)
        self.objective.SetCoefficient(var, float(self.cost[list(units), agent].sum()))
        self.columns.append((agent, units, var))
        return True

    def price(self, duals: np.ndarray) -> tuple[float, np.ndarray]:
        """The Lagrangian bound at these unit prices, and each free agent's best column."""
        profit = duals[:, None] - self.cost
        profit[self.fixed_units, :] = -math.inf
        value, take = knapsacks(profit, self.weight, self.capacity)
        value[self.fixed_agents] = 0.0
        free = ~self.fixed_units
        bound = (
            float(duals[free].sum() - value.sum() - np.maximum(duals[free] - self.left, 0).sum())
            + self.fixed_cost()
        )
        return bound, take

    def fixed_cost(self) -> float:
        fixed = (self.columns[k] for k in self.fixed)
        return float(sum(self.cost[list(units), agent].sum() for agent, units, _ in fixed))

    def generate(self, deadline: float, iterations: int, gap: float = 1e-6) -> bool:
        """Add columns of negative reduced cost until none is left (or the LP is within
        `gap` of the bound, or the iterations or the time run out); False: no LP optimum.
        `converged` tells whether it ended for want of columns."""
        self.converged = False
        if self.center is not None:
            bound, take = self.price(self.center)
            self.bound = max(self.bound, bound)
            self._add_taken(take, None, None)
        added = True
        for _ in range(iterations):
            if self.lp.Solve() != pywraplp.Solver.OPTIMAL:
                return False
            self.converged = not added
            if not added or time.perf_counter() >= deadline:
                return True
            value = self.objective.Value()
            duals = np.array([row.dual_value() for row in self.covered])
            agent_duals = np.array([row.dual_value() for row in self.one_each])
            added = False
            # Wentges smoothing: price first near the best duals so far (fewer iterations),
            # then at the LP's own duals when that finds nothing.
            for weight in (DIVE_SMOOTHING, 0.0) if self.center is not None else (0.0,):
                prices = duals if weight == 0.0 else weight * self.center + (1 - weight) * duals
                bound, take = self.price(prices)
                if bound > self.bound or self.center is None:
                    self.bound, self.center = max(bound, self.bound), prices
                if self._add_taken(take, duals, agent_duals):
                    added = True
                    break
            if value - self.bound < gap:
                added = False  # the LP is (nearly) at the bound: columns can hardly lower it
        return self.lp.Solve() == pywraplp.Solver.OPTIMAL

    def _add_taken(
        self, take: np.ndarray, duals: np.ndarray | None, agent_duals: np.ndarray | None
    ) -> bool:
        added = False
        for agent in np.flatnonzero(~self.fixed_agents):
            units = tuple(int(u) for u in np.flatnonzero(take[:, agent]))
            if duals is not None and agent_duals is not None:
                reduced = self.cost[list(units), agent].sum() - duals[list(units)].sum()
                if reduced - agent_duals[agent] > -1e-6:
                    continue
            added = self.add(int(agent), units) or added
        return added

    def fix(self, k: int) -> None:
        agent, units, var = self.columns[k]
        var.SetLb(1)
        self.fixed.append(k)
        self.fixed_agents[agent] = True
        self.fixed_units[list(units)] = True


def _dive(
    problem: AssignmentProblem,
    units: list[int],
    resource: int,
    relaxation: _Relaxation,
    start: Sequence[Sequence[int]] | None,
    deadline: float,
) -> _Dive | None:
    """Column generation, then a dive: fix the columns the LP takes whole (else its
    largest), re-price, and so on until few agents are left, whose units CP-SAT then
    assigns exactly (backing off two fixed columns at a time if they leave no solution)."""
    agents = problem.agents
    capacity_row = problem.capacities[resource]
    cost = np.full((len(units), agents), math.inf)
    weight = np.zeros((len(units), agents), dtype=np.int64)
    for u, i in enumerate(units):
        for j, c in enumerate(problem.costs[i]):
            if c is not None:
                cost[u, j] = c
                weight[u, j] = problem.uses[resource][i][j]
    allowed = np.isfinite(cost)
    unlimited = int(np.where(allowed, weight, 0).sum(axis=0).max(initial=0))
    capacity = np.array([unlimited if c is None else c for c in capacity_row], dtype=np.int64)
    if problem.unassigned_cost is not None:
        left = float(problem.unassigned_cost)
    else:
        left = 10.0 * float(np.abs(cost[allowed]).max(initial=1.0)) + 1.0
    master = _SetPartition(cost, weight, capacity, left)
    if start is not None:  # the start's columns keep the master feasible from the first LP
        next_unit = [sum(problem.counts[:i]) for i in range(len(problem.counts))]
        by_agent: dict[int, list[int]] = defaultdict(list)
        for i, row in enumerate(start):
            for j, amount in enumerate(row):
                for _ in range(amount):
                    by_agent[j].append(next_unit[i])
                    next_unit[i] += 1
        for j, content in by_agent.items():
            if weight[content, j].sum() <= capacity[j]:
                master.add(j, tuple(content))
    master.center = np.array([relaxation.duals[i] for i in units])
    # The root needs no exact convergence: the tail of column generation is long and flat.
    # If it is still far from converging after its share of the time, the dive is given up
    # for the cores (its bound holds all the same).
    root_until = time.perf_counter() + DIVE_ROOT_SHARE * (deadline - time.perf_counter())
    if not master.generate(root_until, 10**9, gap=DIVE_ROOT_GAP * abs(relaxation.bound)):
        return None
    root_bound = math.ceil(master.bound - 1e-6)
    if not master.converged:
        return _Dive(root_bound)
    # Leave the completion a share of the time: a dive cut short leaves more to complete.
    dive_until = deadline - DIVE_RESERVE * (deadline - time.perf_counter())
    while time.perf_counter() < dive_until:
        if agents - master.fixed_agents.sum() <= DIVE_REST_AGENTS:
            break
        if (~master.fixed_units).sum() <= DIVE_REST_UNITS:
            break
        taken = [
            (k, var.solution_value())
            for k, (_, _, var) in enumerate(master.columns)
            if var.lb() < 1 and var.solution_value() > 1e-6
        ]
        if not taken:
            break
        whole = [k for k, value in taken if value > 1 - 1e-3]
        if not whole:
            whole = [max(taken, key=lambda kv: (kv[1], -kv[0]))[0]]
        for k in whole:
            master.fix(k)
        if not master.generate(dive_until, DIVE_STEP_ITERATIONS):
            break
    keep = len(master.fixed)
    while True:
        amounts = _complete(problem, units, master, keep, deadline)
        if amounts is not None or keep == 0 or time.perf_counter() >= deadline:
            break
        keep = max(0, keep - 2)
    objective = None if amounts is None else _objective(problem, amounts)
    if objective is None:
        return _Dive(root_bound)
    return _Dive(root_bound, amounts, objective)


def _complete(
    problem: AssignmentProblem, units: list[int], master: _SetPartition, keep: int, deadline: float
) -> list[list[int]] | None:
    """The first `keep` fixed columns, and the rest of the units assigned exactly."""
    amounts = [[0] * problem.agents for _ in problem.counts]
    done_units: set[int] = set()
    done_agents: set[int] = set()
    for k in master.fixed[:keep]:
        agent, content, _ = master.columns[k]
        done_agents.add(agent)
        for u in content:
            done_units.add(u)
            amounts[units[u]][agent] += 1
    rest = [u for u in range(len(units)) if u not in done_units]
    free = [j for j in range(problem.agents) if j not in done_agents]
    if not rest:
        return amounts
    residual = AssignmentProblem(
        counts=[1] * len(rest),
        costs=[[problem.costs[units[u]][j] for j in free] for u in rest],
        uses=[[[uses[units[u]][j] for j in free] for u in rest] for uses in problem.uses],
        capacities=[[capacity[j] for j in free] for capacity in problem.capacities],
        unassigned_cost=problem.unassigned_cost,
    )
    # Half the time left, so that a residual with no solution leaves time to back off.
    until = time.perf_counter() + (deadline - time.perf_counter()) / 2
    answer = _cp_sat(residual, _allowed_pairs(residual), None, None, until, 0.0, 2)
    if answer is None:
        return None
    for k, row in enumerate(answer.amounts):
        for f, amount in enumerate(row):
            amounts[units[rest[k]]][free[f]] += amount
    return amounts


def _cp_sat(
    problem: AssignmentProblem,
    pairs: set[tuple[int, int]],
    hint: Sequence[Sequence[int]] | None,
    lp_ceil: int | None,
    deadline: float,
    relative_gap: float,
    linearization_level: int = 1,
) -> _Answer | None:
    """CP-SAT on the class-agent pairs given (the others held at 0) until the deadline."""
    model = cp_model.CpModel()
    x: dict[tuple[int, int], cp_model.IntVar] = {}
    terms = []
    for i, count in enumerate(problem.counts):
        row = []
        for j, cost in enumerate(problem.costs[i]):
            if cost is None or count == 0 or (i, j) not in pairs:
                continue
            var = model.new_int_var(0, count, f"x{i}_{j}")
            x[i, j] = var
            row.append(var)
            terms.append(cost * var)
            if hint is not None:
                model.add_hint(var, hint[i][j])
        if problem.unassigned_cost is not None and count:
            left = model.new_int_var(0, count, f"u{i}")
            row.append(left)
            terms.append(problem.unassigned_cost * left)
            if hint is not None:
                model.add_hint(left, count - sum(hint[i]))
        model.add(sum(row) == count)
    for r, capacity in enumerate(problem.capacities):
        for j, cap in enumerate(capacity):
            if cap is None:
                continue
            used = [problem.uses[r][i][j] * var for (i, jj), var in x.items() if jj == j]
            if used:
                model.add(sum(used) <= cap)
    model.minimize(sum(terms))
    if lp_ceil is not None:
        # The LP optimum is a valid cut; it lets CP-SAT prove optimality sooner.
        model.add(sum(terms) >= lp_ceil)

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, deadline - time.perf_counter())
    solver.parameters.num_workers = ASSIGNMENT_WORKERS
    solver.parameters.relative_gap_limit = relative_gap
    solver.parameters.linearization_level = linearization_level
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    amounts = tuple(
        tuple(int(solver.value(x[i, j])) if (i, j) in x else 0 for j in range(problem.agents))
        for i in range(len(problem.counts))
    )
    return _Answer(
        amounts=amounts,
        objective=round(solver.objective_value),
        bound=math.ceil(solver.best_objective_bound - 1e-6),
        optimal=status == cp_model.OPTIMAL,
    )


def pack_bins(
    sizes: Sequence[Sequence[int]], capacity: Sequence[int], *, time_limit_s: float
) -> PackingSolution:
    """Fewest bins of the given capacity holding every item (each item must fit alone)."""
    started = time.perf_counter()
    if not sizes:
        return PackingSolution((), 0, "optimal", 0.0)
    for i, size in enumerate(sizes):
        if any(s > c for s, c in zip(size, capacity, strict=True)):
            raise ValueError(f"item {i} ({list(size)}) exceeds the bin capacity {list(capacity)}")
    if len(capacity) == 1:
        flat = [s[0] for s in sizes]
        bins, bound, status = _pack_1d(flat, capacity[0], started + time_limit_s)
    else:
        bins, bound, status = _pack_nd(sizes, capacity, started + time_limit_s)
    if not _is_packing(bins, sizes, capacity):
        raise AssertionError("the packing lost or overfilled an item")  # a bug, never input
    return PackingSolution(
        bins=tuple(tuple(sorted(b)) for b in bins),
        bound=bound,
        status=status,
        seconds=time.perf_counter() - started,
    )


def _is_packing(
    bins: Sequence[Sequence[int]], sizes: Sequence[Sequence[int]], capacity: Sequence[int]
) -> bool:
    placed = sorted(i for content in bins for i in content)
    return placed == list(range(len(sizes))) and all(
        sum(sizes[i][d] for i in content) <= cap
        for content in bins
        for d, cap in enumerate(capacity)
    )


def _pack_1d(sizes: list[int], capacity: int, deadline: float) -> tuple[list[list[int]], int, str]:
    best = best_fit_decreasing_1d(sizes, capacity)
    bound = lower_bound_1d(sizes, capacity)
    if len(best) <= bound:
        return best, bound, "optimal"
    # First: can the lower bound's number of bins do?  Then no bin wastes more than the
    # total slack, which prunes most arcs.  The LP, rounded, usually answers yes at once
    # (arc-flow's LP bound is famously tight); the MIP settles the rest.
    try:
        graph = _ArcGraph.build(sizes, capacity, max_waste=bound * capacity - sum(sizes))
    except _GraphTooLarge:
        return _pack_nd([(s,) for s in sizes], (capacity,), deadline, known_bound=bound)
    feasible = graph is not None
    if graph is not None:
        relaxed = _solve_arc_flow(graph, deadline, max_bins=bound, integer=False)
        if relaxed.flow is None and relaxed.infeasible:
            feasible = False
        elif relaxed.flow is not None:
            rounded = _round_lp_solution(graph, relaxed.flow, sizes, capacity, bound, deadline)
            if len(rounded) <= bound:
                return rounded, bound, "optimal"
            if len(rounded) < len(best):
                best = rounded
        if feasible:
            exact = _solve_arc_flow(graph, deadline, max_bins=bound, integer=True, exact=True)
            if exact.flow is not None:
                return graph.bins(exact.flow), bound, "optimal"
            feasible = not exact.infeasible
    if not feasible:
        bound += 1  # proven: no packing into `bound` bins exists
    if len(best) <= bound or time.perf_counter() >= deadline:
        return best, bound, "optimal" if len(best) <= bound else "greedy"
    try:
        graph = _ArcGraph.build(sizes, capacity, max_waste=None)
    except _GraphTooLarge:
        return _pack_nd([(s,) for s in sizes], (capacity,), deadline, known_bound=bound)
    assert graph is not None  # with any waste allowed every item fits its own bin
    found = _solve_arc_flow(graph, deadline, max_bins=len(best) - 1, integer=True, exact=True)
    bound = max(bound, found.bound)
    if found.flow is not None:
        best = graph.bins(found.flow)
    elif found.infeasible:
        bound = len(best)
    status = "optimal" if len(best) <= bound else ("feasible" if found.flow else "greedy")
    return best, bound, status


Arc = tuple[int, int, int]  # (tail position, head position, item size)


class _GraphTooLarge(Exception):
    pass


@dataclass(frozen=True)
class _ArcGraph:
    """Valerio de Carvalho's arc-flow graph: a bin is a path from 0 over item arcs, larger
    items first; it closes at any position of `ends` (with at most the allowed waste)."""

    demand: dict[int, list[int]]  # item size -> indices of the items of that size
    arcs: list[Arc]
    positions: set[int]
    ends: list[int]

    @classmethod
    def build(cls, sizes: Sequence[int], capacity: int, max_waste: int | None) -> _ArcGraph | None:
        demand: dict[int, list[int]] = defaultdict(list)
        for i, size in enumerate(sizes):
            demand[size].append(i)
        arc_set: set[Arc] = set()
        reachable = {0}
        for size in sorted(demand, reverse=True):
            new: set[int] = set()
            for start in sorted(reachable):
                position = start
                for _ in demand[size]:
                    if position + size > capacity:
                        break
                    arc_set.add((position, position + size, size))
                    position += size
                    new.add(position)
            reachable |= new
            if len(arc_set) > MAX_ARCS:
                raise _GraphTooLarge
        floor = 0 if max_waste is None else capacity - max_waste
        # Keep arcs on some path to a position allowed to close a bin; arcs point forward,
        # so one sweep by decreasing tail settles every position.
        useful = {p for p in reachable if p >= floor}
        keep: list[Arc] = []
        for arc in sorted(arc_set, key=lambda a: -a[0]):
            if arc[1] in useful:
                keep.append(arc)
                useful.add(arc[0])
        if 0 not in useful:
            return None
        ends = sorted(p for p in useful if p >= floor and p > 0)
        return cls(dict(demand), keep, useful, ends)

    def bins(self, flow: dict[Arc, int]) -> list[list[int]]:
        """Decompose an integer flow into bins of item indices (extra copies are dropped)."""
        out: dict[int, list[Arc]] = defaultdict(list)
        for arc, amount in flow.items():
            out[arc[0]].extend([arc] * amount)
        left = {size: list(items) for size, items in self.demand.items()}
        bins: list[list[int]] = []
        while out[0]:
            position, content = 0, []
            while out[position]:
                arc = out[position].pop()
                if left[arc[2]]:
                    content.append(left[arc[2]].pop())
                position = arc[1]
            if content:
                bins.append(content)
        return bins


@dataclass
class _FlowResult:
    flow: dict[Arc, float] | None
    bound: int
    infeasible: bool


def _solve_arc_flow(
    graph: _ArcGraph, deadline: float, *, max_bins: int, integer: bool, exact: bool = False
) -> _FlowResult:
    """The LP (GLOP), a small MIP (CBC), or with `exact` the full integer model on CP-SAT,
    which keeps to its time limit where CBC may overrun it by seconds."""
    remaining = deadline - time.perf_counter()
    if remaining <= 0.05:
        return _FlowResult(None, 0, infeasible=False)
    if exact:
        return _solve_arc_flow_cp(graph, remaining, max_bins)
    solver = _mip_solver() if integer else pywraplp.Solver.CreateSolver("GLOP")
    solver.SuppressOutput()
    solver.SetTimeLimit(int(remaining * 1000))
    new_var = solver.IntVar if integer else solver.NumVar
    flow = [new_var(0, len(graph.demand[size]), "") for (_, _, size) in graph.arcs]
    bins = new_var(0, max_bins, "bins")
    balance: dict[int, list[pywraplp.Variable]] = defaultdict(list)
    for var, (tail, head, _) in zip(flow, graph.arcs, strict=True):
        balance[tail].append(-var)
        balance[head].append(var)
    for position in graph.ends:
        balance[position].append(-new_var(0, max_bins, ""))
    for position in graph.positions:
        solver.Add(solver.Sum(balance[position]) == (-bins if position == 0 else 0))
    of_size: dict[int, list[pywraplp.Variable]] = defaultdict(list)
    for var, arc in zip(flow, graph.arcs, strict=True):
        of_size[arc[2]].append(var)
    for size, items in graph.demand.items():
        solver.Add(solver.Sum(of_size[size]) >= len(items))
    solver.Minimize(bins)
    result = solver.Solve()
    if result == pywraplp.Solver.INFEASIBLE:
        return _FlowResult(None, max_bins + 1, infeasible=True)
    if result not in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        return _FlowResult(None, 0, infeasible=False)
    bound = math.ceil(solver.Objective().BestBound() - 1e-6) if integer else 0
    values = {arc: var.solution_value() for var, arc in zip(flow, graph.arcs, strict=True)}
    if integer:
        return _FlowResult({arc: round(v) for arc, v in values.items()}, bound, infeasible=False)
    return _FlowResult(values, bound, infeasible=False)


def _round_lp_solution(
    graph: _ArcGraph,
    flow: dict[Arc, float],
    sizes: Sequence[int],
    capacity: int,
    target: int,
    deadline: float,
) -> list[list[int]]:
    """Whole copies of the LP's patterns, then the few items left packed exactly if they
    fit the bins the target leaves (a small MIP), else by best fit."""
    kept, rest = _whole_patterns(graph, flow)
    room = target - len(kept)
    if rest and room > 0:
        residual = [sizes[i] for i in rest]
        try:
            small = _ArcGraph.build(residual, capacity, max_waste=room * capacity - sum(residual))
        except _GraphTooLarge:
            small = None
        if small is not None:
            share = time.perf_counter() + (deadline - time.perf_counter()) / 4
            found = _solve_arc_flow(small, share, max_bins=room, integer=True)
            if found.flow is not None:
                return kept + [[rest[k] for k in content] for content in small.bins(found.flow)]
    for content in best_fit_decreasing_1d([sizes[i] for i in rest], capacity):
        kept.append([rest[k] for k in content])
    return kept


def _solve_arc_flow_cp(graph: _ArcGraph, time_limit_s: float, max_bins: int) -> _FlowResult:
    model = cp_model.CpModel()
    flow = [model.new_int_var(0, len(graph.demand[size]), "") for (_, _, size) in graph.arcs]
    bins = model.new_int_var(0, max_bins, "bins")
    balance: dict[int, list[cp_model.LinearExprT]] = defaultdict(list)
    for var, (tail, head, _) in zip(flow, graph.arcs, strict=True):
        balance[tail].append(-var)
        balance[head].append(var)
    for position in graph.ends:
        balance[position].append(-model.new_int_var(0, max_bins, ""))
    for position in graph.positions:
        model.add(sum(balance[position]) == (-bins if position == 0 else 0))
    of_size: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for var, arc in zip(flow, graph.arcs, strict=True):
        of_size[arc[2]].append(var)
    for size, items in graph.demand.items():
        model.add(sum(of_size[size]) >= len(items))
    model.minimize(bins)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = PACKING_WORKERS
    status = solver.solve(model)
    if status == cp_model.INFEASIBLE:
        return _FlowResult(None, max_bins + 1, infeasible=True)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return _FlowResult(None, 0, infeasible=False)
    bound = math.ceil(solver.best_objective_bound - 1e-6)
    values = {arc: int(solver.value(var)) for var, arc in zip(flow, graph.arcs, strict=True)}
    return _FlowResult(dict(values), bound, infeasible=False)


def _whole_patterns(graph: _ArcGraph, flow: dict[Arc, float]) -> tuple[list[list[int]], list[int]]:
    """Split the LP flow into weighted paths; a bin for every whole copy, and the rest."""
    residual = {arc: v for arc, v in flow.items() if v > 1e-9}
    out: dict[int, list[Arc]] = defaultdict(list)
    for arc in residual:
        out[arc[0]].append(arc)
    left = {size: list(items) for size, items in graph.demand.items()}
    bins: list[list[int]] = []
    while True:
        path, position = [], 0
        while True:
            arcs = [a for a in out[position] if residual[a] > 1e-9]
            if not arcs:
                break
            arc = max(arcs, key=residual.__getitem__)
            path.append(arc)
            position = arc[1]
        if not path:
            break
        weight = min(residual[a] for a in path)
        for arc in path:
            residual[arc] -= weight
        for _ in range(math.floor(weight + 1e-6)):
            content = [left[a[2]].pop() for a in path if left[a[2]]]
            if content:
                bins.append(content)
    return bins, [i for items in left.values() for i in items]


def _mip_solver() -> pywraplp.Solver:
    for name in MIP_SOLVERS:
        solver = pywraplp.Solver.CreateSolver(name)
        if solver is not None:
            return solver
    raise RuntimeError("no MIP solver in this OR-Tools build")


def _pack_nd(
    sizes: Sequence[Sequence[int]],
    capacity: Sequence[int],
    deadline: float,
    known_bound: int = 0,
) -> tuple[list[list[int]], int, str]:
    best = first_fit_decreasing(sizes, capacity)
    trivial = max(-(-sum(s[d] for s in sizes) // c) for d, c in enumerate(capacity))
    bound = max(trivial, known_bound)
    n, slots = len(sizes), len(best)
    if slots <= bound or n * slots > MAX_PACKING_PAIRS:
        return best, bound, "optimal" if slots <= bound else "greedy"
    # Item k in FFD's order may only go to bins 0..k: removes most symmetric copies, and
    # FFD's own bins (opened in that order) obey the rule, so they are a valid hint.
    order = sorted(
        range(n),
        key=lambda i: max(s / c for s, c in zip(sizes[i], capacity, strict=True)),
        reverse=True,
    )
    position = {item: k for k, item in enumerate(order)}
    hint_bin = {i: b for b, content in enumerate(best) for i in content}
    model = cp_model.CpModel()
    used = [model.new_bool_var(f"y{b}") for b in range(slots)]
    x = {
        (i, b): model.new_bool_var(f"x{i}_{b}")
        for i in range(n)
        for b in range(min(slots, position[i] + 1))
    }
    for i in range(n):
        model.add_exactly_one(x[i, b] for b in range(slots) if (i, b) in x)
    for b in range(slots):
        for d, cap in enumerate(capacity):
            model.add(sum(sizes[i][d] * x[i, b] for i in range(n) if (i, b) in x) <= cap * used[b])
        if b:
            model.add_implication(used[b], used[b - 1])
    model.add(sum(used) >= bound)
    model.minimize(sum(used))
    for (i, b), var in x.items():
        model.add_hint(var, hint_bin[i] == b)
    for b, var in enumerate(used):
        model.add_hint(var, b < slots)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.05, deadline - time.perf_counter())
    solver.parameters.num_workers = PACKING_WORKERS
    status = solver.solve(model)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        bins: list[list[int]] = [[] for _ in range(slots)]
        for (i, b), var in x.items():
            if solver.value(var):
                bins[b].append(i)
        found = [b for b in bins if b]
        bound = max(bound, math.ceil(solver.best_objective_bound - 1e-6))
        if len(found) <= len(best):
            best = found
    return best, bound, "optimal" if len(best) <= bound else "feasible"
