"""A sample of the literature's benchmarks, solved by the planner's own models at optimum.

The instances are verbatim copies of a sample of ../shared/bench, kept in
tests/unit/routing/instances (SOURCES.md there) so that the test never depends on a
folder outside the repository.
"""

import json
from pathlib import Path

import pytest

from routing.bench import main, solve_bin_packing, solve_gap
from routing.instances import read_bin_packing, read_gap

BENCH = Path(__file__).resolve().parent / "instances"

GAP_MIN_OPTIMA = {
    "gap1": [261, 269, 256, 274, 251],
    "gap5": [403, 389, 383, 384, 396],
    "gap9": [482, 476, 496, 497, 488],
}
BIN_OPTIMA = {
    "Falkenauer_U/Falkenauer_u120_00": 48,
    "Falkenauer_U/Falkenauer_u120_08": 50,  # OR-Library's 1994 header still says 51
    "Falkenauer_U/Falkenauer_u120_19": 49,
    "Falkenauer_U/Falkenauer_u250_07": 103,
    "Falkenauer_T/Falkenauer_t60_00": 20,
    "Falkenauer_T/Falkenauer_t60_07": 20,
    "Falkenauer_T/Falkenauer_t120_03": 40,
}


@pytest.mark.parametrize("name", sorted(GAP_MIN_OPTIMA))
def test_gap_problems_reach_their_proven_minimum(name):
    problems = list(read_gap(BENCH / "gap" / f"{name}.txt"))
    assert [p.name for p in problems] == [f"{name}-{k}" for k in range(5)]
    for problem, optimum in zip(problems, GAP_MIN_OPTIMA[name], strict=True):
        solved = solve_gap(problem, time_limit_s=10)
        assert (solved.objective, solved.bound, solved.status) == (optimum, optimum, "optimal")
        jobs = len(problem.costs[0])
        for agent, capacity in enumerate(problem.capacities):
            used = sum(problem.uses[agent][j] for j in range(jobs) if solved.amounts[j][agent])
            assert used <= capacity
        assert all(sum(row) == 1 for row in solved.amounts)


@pytest.mark.parametrize("name", sorted(BIN_OPTIMA))
def test_falkenauer_instances_reach_their_optimum(name):
    (instance,) = read_bin_packing(BENCH / "binpack" / f"{name}.txt")
    packed = solve_bin_packing(instance, time_limit_s=10)
    assert (len(packed.bins), packed.bound) == (BIN_OPTIMA[name], BIN_OPTIMA[name])
    assert sorted(i for b in packed.bins for i in b) == list(range(len(instance.sizes)))
    assert all(sum(instance.sizes[i] for i in b) <= instance.capacity for b in packed.bins)


def test_the_or_library_file_and_the_bpplib_file_agree():
    orlib = list(read_bin_packing(BENCH / "binpack" / "orlib" / "binpack1.txt"))
    assert [p.name for p in orlib[:2]] == ["binpack1-0", "binpack1-1"]
    (bpplib,) = read_bin_packing(BENCH / "binpack" / "Falkenauer_U" / "Falkenauer_u120_08.txt")
    assert sorted(orlib[8].sizes) == sorted(bpplib.sizes)
    assert orlib[8].capacity == bpplib.capacity == 150


def test_the_command_line_prints_one_json_line_per_problem(capsys):
    assert main(["gap", str(BENCH / "gap" / "gap2.txt"), "--time-limit", "5"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["instance"] for line in lines] == [f"gap2-{k}" for k in range(5)]
    assert [line["objective"] for line in lines] == [277, 269, 260, 269, 267]
    assert all(
        set(line) == {"instance", "objective", "bound", "seconds", "status"} for line in lines
    )
    assert all(isinstance(line["bound"], int) for line in lines)
    path = BENCH / "binpack" / "Falkenauer_T" / "Falkenauer_t60_01.txt"
    assert main(["binpack", str(path), "--time-limit", "5"]) == 0
    (line,) = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert line["instance"] == "Falkenauer_t60_01"
    assert (line["objective"], line["bound"], line["status"]) == (20, 20, "optimal")
