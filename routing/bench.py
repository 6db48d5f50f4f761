"""Literature benchmarks on the planner's own models.

    python -m routing.bench gap FILE... [--time-limit S]
    python -m routing.bench binpack FILE... [--time-limit S]

One JSON line per problem: {"instance", "objective", "bound", "seconds", "status"}.
GAP problems are solved as minimisation.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from routing.instances import BinPackingInstance, GapInstance, read_bin_packing, read_gap
from routing.solver import (
    AssignmentProblem,
    AssignmentSolution,
    PackingSolution,
    pack_bins,
    solve_assignment,
)


def gap_problem(instance: GapInstance) -> AssignmentProblem:
    """The planner's model of a GAP file's problem: every job a class of one unit."""
    agents, jobs = len(instance.capacities), len(instance.costs[0])
    return AssignmentProblem(
        counts=[1] * jobs,
        costs=[[instance.costs[a][j] for a in range(agents)] for j in range(jobs)],
        uses=[[[instance.uses[a][j] for a in range(agents)] for j in range(jobs)]],
        capacities=[list(instance.capacities)],
    )


def solve_gap(instance: GapInstance, time_limit_s: float) -> AssignmentSolution:
    return solve_assignment(gap_problem(instance), time_limit_s=time_limit_s)


def solve_bin_packing(instance: BinPackingInstance, time_limit_s: float) -> PackingSolution:
    sizes = [(s,) for s in instance.sizes]
    return pack_bins(sizes, (instance.capacity,), time_limit_s=time_limit_s)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m routing.bench", description=__doc__)
    parser.add_argument("problem", choices=("gap", "binpack"))
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--time-limit", type=float, default=10.0, metavar="S")
    args = parser.parse_args(argv)
    for path in args.files:
        if args.problem == "gap":
            for gap in read_gap(path):
                solved = solve_gap(gap, args.time_limit)
                line = (gap.name, solved.objective, solved.bound, solved.seconds, solved.status)
                _print(*line)
        else:
            for bpp in read_bin_packing(path):
                packed = solve_bin_packing(bpp, args.time_limit)
                _print(bpp.name, len(packed.bins), packed.bound, packed.seconds, packed.status)
    return 0


def _print(instance: str, objective: int, bound: int, seconds: float, status: str) -> None:
    record = {
        "instance": instance,
        "objective": objective,
        "bound": bound,
        "seconds": round(seconds, 3),
        "status": status,
    }
    print(json.dumps(record), flush=True)


if __name__ == "__main__":
    sys.exit(main())
