"""Readers for the literature's benchmark files (OR-Library GAP and bin packing, BPPLIB)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GapInstance:
    name: str
    costs: tuple[tuple[int, ...], ...]  # [agent][job]
    uses: tuple[tuple[int, ...], ...]  # [agent][job]
    capacities: tuple[int, ...]


@dataclass(frozen=True)
class BinPackingInstance:
    name: str
    capacity: int
    sizes: tuple[int, ...]


def _names(path: Path, count: int) -> list[str]:
    return [f"{path.stem}-{k}" for k in range(count)] if count > 1 else [path.stem]


def read_gap(path: Path) -> Iterator[GapInstance]:
    """OR-Library GAP: a leading problem count P (several problems), else one problem."""
    lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    several = len(lines[0]) == 1
    numbers = [int(t) for line in lines for t in line]
    position = 1 if several else 0
    count = numbers[0] if several else 1
    for name in _names(path, count):
        m, n = numbers[position], numbers[position + 1]
        position += 2
        costs = numbers[position : position + m * n]
        position += m * n
        uses = numbers[position : position + m * n]
        position += m * n
        capacities = numbers[position : position + m]
        position += m
        if len(capacities) != m:
            raise ValueError(f"{path}: problem {name} is truncated")
        yield GapInstance(
            name=name,
            costs=tuple(tuple(costs[a * n : (a + 1) * n]) for a in range(m)),
            uses=tuple(tuple(uses[a * n : (a + 1) * n]) for a in range(m)),
            capacities=tuple(capacities),
        )


def read_bin_packing(path: Path) -> Iterator[BinPackingInstance]:
    """BPPLIB (n / C / sizes) or OR-Library binpack (P, then id / "C n best" / sizes)."""
    lines = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    if len(lines) > 1 and not lines[1].split()[0].lstrip("-").isdigit():
        count, position = int(lines[0]), 1
        for name in _names(path, count):
            capacity, n = (int(t) for t in lines[position + 1].split()[:2])
            sizes = tuple(int(float(v)) for v in lines[position + 2 : position + 2 + n])
            position += 2 + n
            yield BinPackingInstance(name, capacity, sizes)
        return
    n, capacity = int(lines[0]), int(lines[1])
    sizes = tuple(int(float(v)) for v in lines[2 : 2 + n])
    if len(sizes) != n:
        raise ValueError(f"{path}: expected {n} item sizes, found {len(sizes)}")
    yield BinPackingInstance(path.stem, capacity, sizes)
