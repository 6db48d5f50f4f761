"""solve_assignment against enumeration, on problems where the LP cores leave agents out."""

import pytest

from routing import solver
from routing.solver import CORE_STAGES, AssignmentProblem, _core, solve_assignment

from .gap_problems import brute_force, tight_problem


# Seeds 12, 16, 29 and 35: the optimum found by enumeration puts a job on an agent outside
# its first core (3 agents of least LP reduced cost), so the later stages must find it.
@pytest.mark.parametrize("seed", [0, 1, 12, 16, 29, 35])
def test_the_core_stages_still_end_at_the_optimum(seed, monkeypatch):
    problem = tight_problem(seed)
    assert 2 * CORE_STAGES[0][0] <= problem.agents
    # Without the first slice on the whole model (which proves such small problems at once)
    # and without the dive (which comes before the cores), the first core does run.
    monkeypatch.setattr(solver, "FIRST_SLICE", 0.0)
    monkeypatch.setattr(solver, "_dive_units", lambda problem: None)
    cores = []
    monkeypatch.setattr(solver, "_core", lambda *args: cores.append(args) or _core(*args))
    optimum = brute_force(problem)
    solved = solve_assignment(problem, time_limit_s=5)
    assert (solved.objective, solved.bound, solved.status) == (optimum, optimum, "optimal")
    assert [size for *_, size in cores] == [3]


def test_cores_nest_and_keep_each_classs_least_reduced_costs():
    problem = AssignmentProblem(
        counts=[1, 1],
        costs=[[1, 2, 3, 4, None], [5, 5, 5, 5, 5]],
        uses=[[[1] * 5, [1] * 5]],
        capacities=[[1] * 5],
    )
    reduced = [[3.0, 0.0, 2.0, 1.0, float("inf")], [0.0, 0.0, 4.0, 0.0, 0.0]]
    small, large = _core(problem, reduced, 2), _core(problem, reduced, 5)
    assert small == {(0, 1), (0, 3), (1, 0), (1, 1)}
    assert small <= large
    assert {j for i, j in large if i == 0} == {0, 1, 2, 3}  # never a forbidden agent
