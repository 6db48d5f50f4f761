"""0/1 knapsacks of many agents at once, by dynamic programming over integer capacity.

Column generation prices one knapsack per agent at every iteration, so the agents share
one vectorised pass per item instead of a Python loop per agent and capacity.
"""

from __future__ import annotations

import numpy as np


def knapsacks(
    profits: np.ndarray, weights: np.ndarray, capacities: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For every agent a, the most profitable set of items weighing at most capacities[a].

    `profits` (float) and `weights` (non-negative int) are arrays of shape (items, agents);
    an item of profit <= 0 (or -inf: not allowed) is never taken.  Returns each agent's best
    profit and a boolean (items, agents) array of the items it takes.
    """
    items, agents = profits.shape
    capacities = np.asarray(capacities, dtype=np.int64)
    top = int(capacities.max(initial=0))
    room = np.arange(top + 1)
    rows = np.arange(agents)
    best = np.zeros((agents, top + 1))  # best[a, t]: most profit within weight t
    took = np.zeros((items, agents, top + 1), dtype=bool)
    for k in range(items):
        source = room[None, :] - weights[k][:, None]
        fits = (source >= 0) & (profits[k] > 0)[:, None]
        gained = best[rows[:, None], np.maximum(source, 0)] + profits[k][:, None]
        candidate = np.where(fits, gained, -np.inf)
        took[k] = candidate > best
        best = np.maximum(best, candidate)
    value = best[rows, capacities]
    take = np.zeros((items, agents), dtype=bool)
    left = capacities.copy()
    for k in range(items - 1, -1, -1):
        taken = took[k, rows, left]
        take[k] = taken
        left = left - np.where(taken, weights[k], 0)
    return value, take
