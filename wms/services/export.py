"""Export to consumers abroad: packed export parcels are consolidated by destination
country into master cartons (or postal bags) for the line-haul, within a weight and an
optional volume limit per carton.

The packing itself is the planner's (routing.pack_master_cartons: fewest cartons by
weight and volume, OR-Tools inside), reached through the small adapter ``_pack``.  A
carton never mixes destination countries: they are customs territories with their own
paperwork, so ``pack`` refuses a mixed list before the planner sees it.

A consolidation posts no stock (the parcels' goods stay where packing put them); it is
stored as a stock operation without moves so that a retried request answers the same.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

import routing
from wms.models import Flow, Order, Parcel, ParcelStatus
from wms.services import ledger
from wms.services.catalog import warehouse_by_code
from wms.services.errors import InvalidInput
from wms.services.ledger import utcnow

KIND = "export_consolidation"
PACK_TIME_LIMIT_S = 2.0  # the planner proves small instances optimal in milliseconds
CONSOLIDATABLE = (ParcelStatus.PACKED, ParcelStatus.LABELLED)


@dataclass(frozen=True)
class CartonLimits:
    max_weight_g: int
    max_volume_mm3: int | None = None  # None: weight is the only limit (bags)


@dataclass(frozen=True)
class ConsolidationRequest:
    warehouse_code: str
    limits: CartonLimits
    idempotency_key: str
    actor: str


@dataclass(frozen=True, order=True)
class PackItem:
    """What the packer needs to know about one parcel."""

    number: str
    country: str
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int

    @property
    def volume_mm3(self) -> int:
        return self.length_mm * self.width_mm * self.height_mm


def consolidate_export(
    session: Session, data: ConsolidationRequest, *, at: datetime | None = None
) -> dict[str, Any]:
    """Put every packed or labelled export parcel of the warehouse that is in no master
    carton yet into master cartons, one destination country per carton.  A parcel too
    big or heavy for a carton on its own is left out (it travels alone) and reported."""
    fingerprint, replay = ledger.check_replay(session, KIND, data)
    if replay is not None:
        return replay
    at = at or utcnow()
    _check_limits(data.limits)
    warehouse = warehouse_by_code(session, data.warehouse_code, field="warehouse")
    rows = _waiting_parcels(session, warehouse.id)
    by_country: dict[str, list[PackItem]] = defaultdict(list)
    left_out: list[dict[str, Any]] = []
    for parcel, country in rows:
        item = PackItem(
            parcel.number,
            country,
            parcel.gross_weight_g,
            parcel.length_mm,
            parcel.width_mm,
            parcel.height_mm,
        )
        too_big = _too_big(item, data.limits)
        if too_big:
            left_out.append({"parcel": item.number, "country": country, "reason": too_big[1]})
        else:
            by_country[country].append(item)
    parcels = {parcel.number: parcel for parcel, _ in rows}
    cartons: list[dict[str, Any]] = []
    for country in sorted(by_country):
        numbers = _carton_numbers(session, country, at)
        for group in pack(by_country[country], data.limits):
            number = next(numbers)
            for item in group:
                parcels[item.number].master_carton = number
            cartons.append(
                {
                    "number": number,
                    "country": country,
                    "parcels": sorted(item.number for item in group),
                    "weight_g": sum(item.weight_g for item in group),
                    "volume_mm3": sum(item.volume_mm3 for item in group),
                }
            )
    result = {"warehouse": warehouse.code, "cartons": cartons, "left_out": left_out}
    # No moves: the stored answer makes a retry answer the same.
    ledger.record_answer(session, data.idempotency_key, KIND, fingerprint, data.actor, at, result)
    return {**result, "replayed": False}


def pack(items: list[PackItem], limits: CartonLimits) -> list[list[PackItem]]:
    """Master cartons for the parcels of ONE destination country."""
    countries = {item.country for item in items}
    if len(countries) > 1:
        raise InvalidInput(
            "a master carton holds parcels for one destination country, not "
            + ", ".join(sorted(countries)),
            field="country",
        )
    for item in items:
        too_big = _too_big(item, limits)
        if too_big:
            raise InvalidInput(f"parcel {item.number} {too_big[1]}", field=too_big[0])
    return _pack(items, limits)


def _pack(items: list[PackItem], limits: CartonLimits) -> list[list[PackItem]]:
    """Adapter to the planner's bin packer (fewest cartons by weight and volume)."""
    packing = routing.pack_master_cartons(
        [
            routing.Parcel(
                id=item.number,
                weight_g=item.weight_g,
                length_mm=item.length_mm,
                width_mm=item.width_mm,
                height_mm=item.height_mm,
                destination=routing.Destination(item.country),
            )
            for item in items
        ],
        routing.Container(limits.max_weight_g, limits.max_volume_mm3),
        time_limit_s=PACK_TIME_LIMIT_S,
    )
    if packing.oversize:  # pack() let through only parcels that fit a carton alone
        raise AssertionError(f"the packer found oversize parcels: {packing.oversize}")
    by_number = {item.number: item for item in items}
    groups = [sorted(by_number[p.id] for p in group) for group in packing.groups]
    # Fullest carton first, then by parcel number: the same answer for the same parcels.
    return sorted(groups, key=lambda g: (-sum(i.weight_g for i in g), g[0].number))


def _check_limits(limits: CartonLimits) -> None:
    for name in ("max_weight_g", "max_volume_mm3"):
        value = getattr(limits, name)
        if value is None and name == "max_volume_mm3":
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise InvalidInput(f"{name} must be a positive whole number", field=name)


def _too_big(item: PackItem, limits: CartonLimits) -> tuple[str, str] | None:
    """(the limit's field, why) when the parcel does not fit a carton on its own."""
    if item.weight_g > limits.max_weight_g:
        why = f"weighs {item.weight_g} g, more than a carton may ({limits.max_weight_g} g)"
        return "max_weight_g", why
    cap = limits.max_volume_mm3
    if cap is not None and item.volume_mm3 > cap:
        return "max_volume_mm3", f"is {item.volume_mm3} mm3, more than a carton holds ({cap} mm3)"
    return None


def _waiting_parcels(session: Session, warehouse_id: int) -> list[tuple[Parcel, str]]:
    stmt = (
        select(Parcel, Order.country)
        .join(Order, Order.id == Parcel.order_id)
        .where(
            Order.warehouse_id == warehouse_id,
            Order.flow == Flow.EXPORT,
            Parcel.status.in_(CONSOLIDATABLE),
            Parcel.master_carton.is_(None),
        )
        .order_by(Parcel.id)
    )
    if session.get_bind().dialect.name == "postgresql":
        # A concurrent consolidation waits here, then finds these parcels taken.
        stmt = stmt.with_for_update(of=Parcel)
    return [(parcel, country) for parcel, country in session.execute(stmt).tuples()]


def _carton_numbers(session: Session, country: str, at: datetime) -> Iterator[str]:
    """MC-<country>-<yyyymmdd>-<n>, going on from the day's last carton for the country."""
    prefix = f"MC-{country}-{at:%Y%m%d}-"
    pattern = re.compile(re.escape(prefix) + r"(\d+)")
    used = session.scalars(
        select(Parcel.master_carton).where(Parcel.master_carton.like(f"{prefix}%")).distinct()
    )
    last = max((int(m.group(1)) for n in used if n and (m := pattern.fullmatch(n))), default=0)
    n = last
    while True:
        n += 1
        yield f"{prefix}{n}"
