"""The one module that imports OR-Tools.

Two models, each under a time limit, each started from a greedy solution that is kept
whenever the solver has nothing better:

* `solve_assignment`: a generalised assignment problem over classes of identical units
  (integer counts per class and agent), several capacity resources per agent.  GLOP's LP
  relaxation gives a bound and, rounded down and refilled greedily, a second starting
  point; CP-SAT improves the better of the two, which it gets as a hint.  The whole model
  gets a first slice (easy problems end there), then cores (each class on its 3, then 5
  agents of least LP reduced cost: far deeper search on tight problems), then the rest of
  the time.  When the LP bound already proves the start within the requested gap,
  CP-SAT is not run.
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

from routing.greedy import (
    best_fit_decreasing_1d,
    fill_cheapest_first,
    first_fit_decreasing,
    improve_units,
    lower_bound_1d,
    regret_order,
)
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


def _lp_relaxation(problem: AssignmentProblem, time_limit_s: float) -> _Relaxation | None:
    """GLOP's optimum of the LP relaxation, its values and reduced costs (None: no optimum)."""
    lp = pywraplp.Solver.CreateSolver("GLOP")
    lp.SetTimeLimit(max(1, int(time_limit_s * 1000)))
    infinity = lp.infinity()
    agents = problem.agents
    x: list[list[pywraplp.Variable | None]] = []
    objective = lp.Objective()
    for i, count in enumerate(problem.counts):
        row: list[pywraplp.Variable | None] = []
        assigned = lp.Constraint(
            count if problem.unassigned_cost is None else 0, count, f"class{i}"
        )
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
    return _Relaxation(objective.Value(), values, reduced)


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

    every = {
        (i, j) for i, row in enumerate(problem.costs) for j, c in enumerate(row) if c is not None
    }
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

    if stages and relaxation is not None:
        if FIRST_SLICE > 0:
            # Most problems are proven on the whole model in a moment: a first slice for them.
            until = min(deadline, time.perf_counter() + FIRST_SLICE * time_limit_s)
            run(every, until, lp_ceil, 1)
        # Tight problems (GAP type D): CP-SAT on the whole model stalls 1-2 % above the best
        # known, but on a core (each class on its few agents of least LP reduced cost) its
        # LNS goes far deeper.  Cores grow stage by stage, each hinted with the last one's
        # answer; the whole model comes last, for the bound and what the cores left out.
        for size, share in stages if not proven else []:
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
