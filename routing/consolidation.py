"""Consolidation: split orders, merge one consumer's export orders, fill cartons and vehicles.

All four are bin packing (by weight, volume and, for merging, declared value), solved by
`routing.solver.pack_bins` under one overall time limit shared by the groups.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Generic, TypeVar

from routing.model import Destination, Parcel
from routing.pricing import to_cents
from routing.solver import pack_bins

T = TypeVar("T")


@dataclass(frozen=True)
class Item:
    sku: str
    weight_g: int
    volume_mm3: int
    value: Decimal = Decimal(0)


@dataclass(frozen=True)
class ExportOrder:
    id: str
    consignee: str
    address: str
    destination: Destination
    weight_g: int
    volume_mm3: int
    declared_value: Decimal
    currency: str


@dataclass(frozen=True)
class ValueLimit:
    """Most a parcel may declare for a destination, e.g. the EU's EUR 150 low-value limit."""

    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Container:
    """A parcel box, master carton / bag, or vehicle: what one holds."""

    max_weight_g: int
    max_volume_mm3: int | None = None
    max_parcels: int | None = None


@dataclass(frozen=True)
class Packing(Generic[T]):
    """Groups of what was packed; `oversize` holds what fits no container even alone.

    `bound` is a proven lower bound on the number of groups (summed over destinations).
    """

    groups: tuple[tuple[T, ...], ...]
    oversize: tuple[T, ...]
    bound: int
    status: str  # "optimal" when len(groups) == bound, else "feasible" or "greedy"
    seconds: float


@dataclass(frozen=True)
class MergedParcel:
    orders: tuple[ExportOrder, ...]
    weight_g: int
    volume_mm3: int
    declared_value: Decimal


def split_order(
    items: Sequence[Item], box: Container, *, time_limit_s: float = 2.0
) -> Packing[Item]:
    """The fewest parcels holding an order's items within a parcel's weight / volume / count."""
    return _pack_groups({None: list(items)}, _item_size, _capacity(box), time_limit_s)


def merge_export_orders(
    orders: Sequence[ExportOrder],
    box: Container,
    *,
    value_limits: dict[str, ValueLimit] | None = None,
    time_limit_s: float = 5.0,
) -> Packing[MergedParcel]:
    """Merge orders of one consignee at one address into as few parcels as the rules allow.

    A merged parcel stays within the box's weight and volume and below the destination
    country's value limit; an order already over it alone goes alone (never merged).
    """
    limits = value_limits or {}
    groups: dict[Hashable, list[ExportOrder]] = defaultdict(list)
    for order in orders:
        limit = limits.get(order.destination.country)
        if limit is not None and limit.currency != order.currency:
            raise ValueError(
                f"order {order.id} is declared in {order.currency}, but the "
                f"{order.destination.country} value limit is in {limit.currency}"
            )
        key = (
            " ".join(order.consignee.casefold().split()),
            " ".join(order.address.casefold().split()),
            order.destination,
            order.currency,
        )
        groups[key].append(order)

    started = time.perf_counter()
    merged: list[MergedParcel] = []
    oversize: list[MergedParcel] = []
    bound, status = 0, "optimal"
    for index, (key, members) in enumerate(groups.items()):
        limit = limits.get(members[0].destination.country)
        value_cap = (
            to_cents(limit.amount) if limit else sum(to_cents(o.declared_value) for o in members)
        )
        alone = [o for o in members if to_cents(o.declared_value) > value_cap]
        rest = [o for o in members if to_cents(o.declared_value) <= value_cap]
        capacity = (*_capacity(box), value_cap)

        def size(order: ExportOrder) -> tuple[int, ...]:
            return (order.weight_g, order.volume_mm3 or 0, 1, to_cents(order.declared_value))

        budget = _share(started, time_limit_s, len(groups) - index)
        packed = _pack_groups({key: rest}, size, capacity, budget)
        for group in (*packed.groups, *((o,) for o in alone)):
            merged.append(_merged(group))
        oversize.extend(_merged((o,)) for o in packed.oversize)
        bound += packed.bound + len(alone)
        status = _worse(status, packed.status)
    return Packing(tuple(merged), tuple(oversize), bound, status, time.perf_counter() - started)


def pack_master_cartons(
    parcels: Sequence[Parcel], carton: Container, *, time_limit_s: float = 5.0
) -> Packing[Parcel]:
    """Parcels into the fewest master cartons / bags, each carton for one destination country."""
    by_country: dict[Hashable, list[Parcel]] = defaultdict(list)
    for parcel in parcels:
        by_country[parcel.destination.country].append(parcel)
    return _pack_groups(by_country, _parcel_size, _capacity(carton), time_limit_s)


def load_vehicles(
    parcels: Sequence[Parcel], vehicle: Container, *, time_limit_s: float = 5.0
) -> Packing[Parcel]:
    """Parcels onto the fewest release vehicles by weight (and parcel count, volume if set)."""
    return _pack_groups({None: list(parcels)}, _parcel_size, _capacity(vehicle), time_limit_s)


def _capacity(container: Container) -> tuple[int, ...]:
    return (
        container.max_weight_g,
        container.max_volume_mm3 if container.max_volume_mm3 is not None else 0,
        container.max_parcels if container.max_parcels is not None else 0,
    )


def _item_size(item: Item) -> tuple[int, ...]:
    return (item.weight_g, item.volume_mm3, 1)


def _parcel_size(parcel: Parcel) -> tuple[int, ...]:
    return (parcel.weight_g, parcel.volume_mm3, 1)


def _pack_groups(
    groups: dict[Hashable, list[T]],
    size: Callable[[T], tuple[int, ...]],
    capacity: tuple[int, ...],
    time_limit_s: float,
) -> Packing[T]:
    """Pack every group on its own; dimensions whose capacity is 0 are not limited."""
    started = time.perf_counter()
    limited = [d for d, c in enumerate(capacity) if c > 0]
    packed: list[tuple[T, ...]] = []
    oversize: list[T] = []
    bound, status = 0, "optimal"
    for index, members in enumerate(groups.values()):
        sizes = [size(m) for m in members]
        fits = [i for i, s in enumerate(sizes) if all(s[d] <= capacity[d] for d in limited)]
        oversize.extend(m for i, m in enumerate(members) if i not in set(fits))
        if not fits:
            continue
        solution = pack_bins(
            [tuple(sizes[i][d] for d in limited) for i in fits],
            tuple(capacity[d] for d in limited),
            time_limit_s=_share(started, time_limit_s, len(groups) - index),
        )
        packed.extend(tuple(members[fits[k]] for k in content) for content in solution.bins)
        bound += solution.bound
        status = _worse(status, solution.status)
    return Packing(tuple(packed), tuple(oversize), bound, status, time.perf_counter() - started)


def _share(started: float, time_limit_s: float, groups_left: int) -> float:
    """An equal share of the time left for each group still to pack."""
    left = time_limit_s - (time.perf_counter() - started)
    return max(0.05, left / max(1, groups_left))


def _worse(a: str, b: str) -> str:
    rank = {"optimal": 0, "feasible": 1, "greedy": 2}
    return a if rank[a] >= rank[b] else b


def _merged(orders: Sequence[ExportOrder]) -> MergedParcel:
    return MergedParcel(
        orders=tuple(orders),
        weight_g=sum(o.weight_g for o in orders),
        volume_mm3=sum(o.volume_mm3 for o in orders),
        declared_value=sum((o.declared_value for o in orders), Decimal(0)),
    )
