"""Courier planning: the hub side of the planner (`routing/`).

A warehouse's orders that are allocated and have no courier yet (courier selection comes
before the declaration, which carries the waybill) become `routing.Parcel`s; the planner
assigns each to a courier service at least total cost; the run is stored as a `PlanRun`
with one `PlanLine` per order.  Every run keeps what planners compare: its cost, the
solver's proven lower bound and the gap, the seconds taken, and what plain rate shopping
pays on the same input.  An order no service takes is stored with the reason (no
coverage, over every service's limits, no capacity left, ...) and each service's own
reason, never dropped.

Committing a plan gives each assigned order its courier and tracking number
(`orders.plan_many`, status ALLOCATED -> PLANNED); unassigned orders stay allocated and
the next run picks them up again.  A what-if (a service removed, or a service's capacity
changed) re-plans exactly the orders of the warehouse's latest committed plan (else its
latest plan) under the changed services and stores the comparison with it; it is never
committed.

How an order becomes a parcel:
- weight: the goods' gross weights plus the tare of the smallest box type (by volume)
  that holds the goods' total volume and each item; the parcel's size is that box.  When
  no box type fits (or none is defined) the parcel is sized as a bundle of the goods (the
  largest item's two longest sides, as high as the total volume needs) with no tare, and
  the plan's notes say so.
- destination: the country, and for China the ISO 3166-2 region read from the order's
  province (Chinese name with or without its 省/市/自治区 suffix, English name, or the
  code).  Hong Kong, Macao and Taiwan are separate customs territories that couriers
  rate as countries (HK, MO, TW), so they travel under those codes.  Foreign orders
  carry no region.  `remote` marks REMOTE_REGIONS.
- restricted contents: a battery if any product has one; cosmetics (tax category
  cosmetics or premium_cosmetics) count their net weight in grams as millilitres towards
  `cosmetic_ml`, other liquids (`is_liquid`) towards `liquid_ml`.  Grams as millilitres
  is exact for water and within ~10 % for creams, lotions and perfumes, which is finer
  than the couriers' allowances (hundreds of ml); a cosmetic liquid counts once, as a
  cosmetic, because that is the allowance couriers grant it under.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

import routing
from customs.exchange import ExchangeRates, MissingRate
from wms.db import Database
from wms.models import (
    BoxType,
    Order,
    OrderLine,
    OrderStatus,
    PlanKind,
    PlanLine,
    PlanRun,
    Warehouse,
)
from wms.models.types import money_text
from wms.services import numbering, unit_of_work
from wms.services import orders as order_service
from wms.services.catalog import warehouse_by_code
from wms.services.errors import Conflict, InvalidInput, NotFound
from wms.services.ledger import utcnow

PLAN_CURRENCY = "CNY"
MIN_TIME_LIMIT_S = 0.1
MAX_TIME_LIMIT_S = 60.0
# Xinjiang and Tibet: on every Chinese courier's remote-area list and in the outermost
# zone of every demo rate card.  Qinghai and Inner Mongolia are on some lists too, but
# the demo cards price them in an ordinary zone for the couriers that serve no remote
# area (ZTO, YTO, Yunda), so flagging them would contradict the cards' own coverage.
REMOTE_REGIONS = frozenset({"CN-XJ", "CN-XZ"})

# China's 34 province-level divisions: ISO 3166-2 code, Chinese short name, English name.
PROVINCES: tuple[tuple[str, str, str], ...] = (
    ("CN-BJ", "北京", "Beijing"),
    ("CN-TJ", "天津", "Tianjin"),
    ("CN-HE", "河北", "Hebei"),
    ("CN-SX", "山西", "Shanxi"),
    ("CN-NM", "内蒙古", "Inner Mongolia"),
    ("CN-LN", "辽宁", "Liaoning"),
    ("CN-JL", "吉林", "Jilin"),
    ("CN-HL", "黑龙江", "Heilongjiang"),
    ("CN-SH", "上海", "Shanghai"),
    ("CN-JS", "江苏", "Jiangsu"),
    ("CN-ZJ", "浙江", "Zhejiang"),
    ("CN-AH", "安徽", "Anhui"),
    ("CN-FJ", "福建", "Fujian"),
    ("CN-JX", "江西", "Jiangxi"),
    ("CN-SD", "山东", "Shandong"),
    ("CN-HA", "河南", "Henan"),
    ("CN-HB", "湖北", "Hubei"),
    ("CN-HN", "湖南", "Hunan"),
    ("CN-GD", "广东", "Guangdong"),
    ("CN-GX", "广西", "Guangxi"),
    ("CN-HI", "海南", "Hainan"),
    ("CN-CQ", "重庆", "Chongqing"),
    ("CN-SC", "四川", "Sichuan"),
    ("CN-GZ", "贵州", "Guizhou"),
    ("CN-YN", "云南", "Yunnan"),
    ("CN-XZ", "西藏", "Tibet"),
    ("CN-SN", "陕西", "Shaanxi"),
    ("CN-GS", "甘肃", "Gansu"),
    ("CN-QH", "青海", "Qinghai"),
    ("CN-NX", "宁夏", "Ningxia"),
    ("CN-XJ", "新疆", "Xinjiang"),
    ("CN-TW", "台湾", "Taiwan"),
    ("CN-HK", "香港", "Hong Kong"),
    ("CN-MO", "澳门", "Macao"),
)
# Longest first: "新疆维吾尔自治区" loses "维吾尔自治区", not just "自治区".
_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")
_ALIASES = {"macau": "CN-MO", "xizang": "CN-XZ", "nei mongol": "CN-NM", "neimenggu": "CN-NM"}
_BY_NAME: dict[str, str] = {
    **{name: code for code, name, _ in PROVINCES},
    **{english.lower(): code for code, _, english in PROVINCES},
    **{code.lower(): code for code, _, _ in PROVINCES},
    **{code[3:].lower(): code for code, _, _ in PROVINCES},
    **_ALIASES,
}
_TERRITORIES = {"CN-HK": "HK", "CN-MO": "MO", "CN-TW": "TW"}
_COSMETICS = frozenset({"cosmetics", "premium_cosmetics"})


def province_code(province: str | None) -> str | None:
    """The ISO 3166-2 code of a Chinese province-level division, or None if unknown."""
    text = " ".join((province or "").split())
    if not text:
        return None
    for suffix in _SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            text = text.removesuffix(suffix)
            break
    text = re.sub(r"\s+(province|municipality|autonomous region|sar)$", "", text, flags=re.I)
    return _BY_NAME.get(text) or _BY_NAME.get(text.lower())


def destination_of(
    country: str, province: str | None, postcode: str | None
) -> tuple[routing.Destination, str | None]:
    """The planner's destination, and a note when a Chinese province is not recognised."""
    if country != "CN":
        return routing.Destination(country, "", postcode or ""), None
    region = province_code(province)
    if region is None:
        note = f"province {province!r} is not a Chinese province-level division"
        return routing.Destination("CN", "", postcode or ""), note
    if region in _TERRITORIES:
        return routing.Destination(_TERRITORIES[region], "", postcode or ""), None
    return routing.Destination("CN", region, postcode or "", remote=region in REMOTE_REGIONS), None


# --- inputs --------------------------------------------------------------------------


@dataclass(frozen=True)
class CapacityChange:
    service: str
    capacity_parcels: int | None = None  # None keeps the service's own
    capacity_g: int | None = None


@dataclass(frozen=True)
class WhatIf:
    remove_service: str | None = None
    capacity: CapacityChange | None = None

    def parameters(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.remove_service is not None:
            out["remove_service"] = self.remove_service
        if self.capacity is not None:
            out["capacity"] = {
                "service": self.capacity.service,
                **{
                    name: value
                    for name in ("capacity_parcels", "capacity_g")
                    if (value := getattr(self.capacity, name)) is not None
                },
            }
        return out


@dataclass(frozen=True)
class PlanInput:
    """Everything one run needs, read from the database before the solver starts."""

    warehouse_id: int
    kind: PlanKind
    parameters: dict[str, Any]
    parcels: tuple[routing.Parcel, ...]
    services: tuple[routing.CourierService, ...]
    exchange_rates: dict[str, Decimal]
    notes: tuple[str, ...] = ()
    # A what-if's baseline: the stored plan it re-plans, rebuilt for compare_plans.
    based_on_id: int | None = None
    based_on_number: str | None = None
    based_on_committed: bool = False
    baseline: routing.CourierPlan | None = field(default=None, compare=False)


def courier_services(path: str | None) -> list[routing.CourierService]:
    """The services in `path` (a services.json, its rate cards in the same folder), or
    the demo couriers of routing/data without one."""
    try:
        if path is None:
            return routing.demo_services()
        return routing.load_services(path, routing.load_rate_cards(Path(path).parent))
    except routing.RateCardError as exc:
        raise Conflict(
            f"the courier services cannot be read: {exc}", field="courier_services"
        ) from None


def check_time_limit(time_limit_s: float) -> float:
    if isinstance(time_limit_s, bool) or not MIN_TIME_LIMIT_S <= time_limit_s <= MAX_TIME_LIMIT_S:
        raise InvalidInput(
            f"the time limit is {MIN_TIME_LIMIT_S} to {MAX_TIME_LIMIT_S:g} seconds",
            field="time_limit_s",
        )
    return float(time_limit_s)


def prepare_plan(
    session: Session,
    warehouse_code: str,
    *,
    what_if: WhatIf | None = None,
    services: Sequence[routing.CourierService] | None = None,
    today: date | None = None,
) -> PlanInput:
    """Read the orders to plan and build the planner's input (reads only)."""
    warehouse = warehouse_by_code(session, warehouse_code, field="warehouse")
    offered = list(services) if services is not None else routing.demo_services()
    based_on: PlanRun | None = None
    if what_if is None:
        kind, parameters = PlanKind.PLAN, {}
        candidates = _orders(session, Order.warehouse_id == warehouse.id, allocated=True)
        if not candidates:
            raise Conflict(
                f"no allocated order of {warehouse.code} is waiting for a courier",
                field="warehouse",
            )
    else:
        kind, parameters = PlanKind.WHAT_IF, what_if.parameters()
        offered = _apply(offered, what_if)
        based_on = _baseline(session, warehouse)
        ids = [line.order_id for line in based_on.lines]
        candidates = _orders(session, Order.id.in_(ids), allocated=False)
    boxes = list(
        session.scalars(
            select(BoxType).order_by(
                BoxType.length_mm * BoxType.width_mm * BoxType.height_mm,
                BoxType.tare_g,
                BoxType.code,
            )
        )
    )
    notes: list[str] = [] if boxes else ["no box types are defined: parcels sized from the goods"]
    parcels = []
    for order in candidates:
        parcel, order_notes = _parcel_of(order, boxes)
        parcels.append(parcel)
        notes += [f"order {order.order_number}: {note}" for note in order_notes]
    return PlanInput(
        warehouse_id=warehouse.id,
        kind=kind,
        parameters=parameters,
        parcels=tuple(parcels),
        services=tuple(offered),
        exchange_rates=_exchange_rates(offered, today or utcnow().date()),
        notes=tuple(notes),
        based_on_id=based_on.id if based_on else None,
        based_on_number=based_on.number if based_on else None,
        based_on_committed=based_on is not None and based_on.committed_at is not None,
        baseline=stored_plan(based_on) if based_on is not None else None,
    )


def solve(plan_input: PlanInput, *, time_limit_s: float) -> routing.CourierPlan:
    """The planner itself: pure, touches no database."""
    return routing.plan_couriers(
        plan_input.parcels,
        plan_input.services,
        time_limit_s=check_time_limit(time_limit_s),
        currency=PLAN_CURRENCY,
        exchange_rates=plan_input.exchange_rates,
    )


def store_plan(
    session: Session,
    plan_input: PlanInput,
    plan: routing.CourierPlan,
    *,
    actor: str,
    at: datetime | None = None,
) -> PlanRun:
    at = at or utcnow()
    weights = {p.id: p.weight_g for p in plan_input.parcels}
    run = PlanRun(
        number=numbering.daily_number(session, PlanRun.number, "PL", at),
        warehouse_id=plan_input.warehouse_id,
        kind=plan_input.kind,
        parameters=plan_input.parameters,
        based_on_id=plan_input.based_on_id,
        status=plan.status,
        currency=plan.currency,
        cost=plan.cost,
        objective=plan.objective,
        bound=plan.bound,
        penalty=plan.penalty,
        gap_pct=float(plan.gap_pct),
        seconds=round(plan.seconds, 3),
        rate_shopping_cost=plan.rate_shopping_cost,
        rate_shopping_unassigned=plan.rate_shopping_unassigned,
        parcels=len(plan_input.parcels),
        loads=[
            {
                "service": load.service_code,
                "parcels": load.parcels,
                "grams": load.grams,
                "capacity_parcels": load.capacity_parcels,
                "capacity_g": load.capacity_g,
            }
            for load in plan.loads
        ],
        notes=list(plan_input.notes),
        comparison=_comparison(plan_input, plan),
        created_by=actor,
        created_at=at,
    )
    run.lines = [
        PlanLine(
            order_id=int(a.parcel_id),
            weight_g=weights[a.parcel_id],
            service_code=a.service_code,
            price=a.price,
        )
        for a in plan.assignments
    ] + [
        PlanLine(
            order_id=int(u.parcel_id),
            weight_g=weights[u.parcel_id],
            reason=reason_code(u.reason),
            refusals={code: reason_code(reason) for code, reason in u.by_service},
        )
        for u in plan.unassigned
    ]
    session.add(run)
    session.flush()
    return run


def run_plan(
    session: Session,
    warehouse_code: str,
    *,
    actor: str,
    time_limit_s: float = 10.0,
    what_if: WhatIf | None = None,
    services: Sequence[routing.CourierService] | None = None,
) -> PlanRun:
    """Plan (or what-if) a warehouse's orders in one session: read, solve, store."""
    check_time_limit(time_limit_s)
    plan_input = prepare_plan(session, warehouse_code, what_if=what_if, services=services)
    return store_plan(
        session, plan_input, solve(plan_input, time_limit_s=time_limit_s), actor=actor
    )


def plan_warehouse(
    db: Database,
    warehouse_code: str,
    *,
    actor: str,
    time_limit_s: float = 10.0,
    what_if: WhatIf | None = None,
    services: Sequence[routing.CourierService] | None = None,
    writer: Callable[[Callable[[Session], str]], str] | None = None,
) -> str:
    """`run_plan` with the solver outside any write transaction: a run may take up to a
    minute, and holding the write lock that long (all of SQLite's) would stall every
    scan in the warehouse.  The plan is a proposal; commit_plan checks it against the
    orders as they are then.  Returns the plan's number.  ``writer`` runs the storing
    transaction instead of ``unit_of_work.run`` (the web's, which adds the audit entry)."""
    check_time_limit(time_limit_s)
    with db.reading() as session:
        plan_input = prepare_plan(session, warehouse_code, what_if=what_if, services=services)
    plan = solve(plan_input, time_limit_s=time_limit_s)
    for attempt in range(3):
        try:

            def store(s: Session) -> str:
                return store_plan(s, plan_input, plan, actor=actor).number

            return writer(store) if writer else unit_of_work.run(db, store)
        except IntegrityError as exc:
            # Two runs stored at once took the same number: the loser takes the next one.
            if attempt == 2 or "number" not in str(exc.orig):
                raise
    raise AssertionError("unreachable")


# --- commit ----------------------------------------------------------------------------


def tracking_number(service_code: str, order_id: int) -> str:
    """A placeholder waybill number until the couriers' e-waybill APIs are connected:
    the courier's prefix from the service code (SF-STD -> SF) and the order id in 12
    digits, so it is unique per order and never reused."""
    prefix = re.sub(r"[^A-Z0-9]", "", service_code.split("-")[0].upper())[:8] or "WB"
    return f"{prefix}{order_id:012d}"


def commit_plan(
    session: Session, plan_number: str, *, actor: str, at: datetime | None = None
) -> PlanRun:
    """Give each assigned order of the plan its courier (the service code) and a tracking
    number (see `tracking_number`: generated until the couriers' e-waybill APIs are
    connected); unassigned orders stay allocated.  Refused for a what-if, a plan already
    committed, and when any assigned order is no longer allocated or is already planned
    by another plan (the refusal names them)."""
    at = at or utcnow()
    run = plan_by_number(session, plan_number, lock=True)
    if run.kind is PlanKind.WHAT_IF:
        raise Conflict(
            f"{run.number} is a what-if: it is compared, never committed", field="plan_number"
        )
    if run.committed_at is not None:
        raise Conflict(
            f"{run.number} was already committed by {run.committed_by} "
            f"at {run.committed_at:%Y-%m-%d %H:%M} UTC",
            field="plan_number",
        )
    assigned = {line.order_id: line.service_code for line in run.lines if line.service_code}
    found = {
        o.id: o
        for o in session.scalars(
            select(Order).where(Order.id.in_(assigned)).order_by(Order.id).with_for_update()
        )
    }
    stale = [o for o in found.values() if o.status is not OrderStatus.ALLOCATED]
    if stale:
        listed = ", ".join(f"{o.order_number} is {o.status.value}" for o in stale[:10])
        raise Conflict(
            f"{run.number} is out of date: order {listed}, no longer allocated; run a new plan",
            field="plan_number",
            orders=[o.order_number for o in stale],
        )
    elsewhere = session.execute(
        select(Order.order_number, PlanRun.number)
        .join(PlanLine, PlanLine.order_id == Order.id)
        .join(PlanRun, PlanRun.id == PlanLine.plan_id)
        .where(
            PlanLine.order_id.in_(assigned),
            PlanLine.service_code.is_not(None),
            PlanRun.committed_at.is_not(None),
            PlanRun.id != run.id,
        )
    ).first()
    if elsewhere is not None:
        raise Conflict(
            f"order {elsewhere[0]} is already planned by {elsewhere[1]}", field="plan_number"
        )
    order_service.plan_many(
        session,
        [
            (found[order_id], code, tracking_number(code, order_id))
            for order_id, code in sorted(assigned.items())
        ],
        actor=actor,
        at=at,
    )
    run.committed_at, run.committed_by = at, actor
    session.flush()
    return run


# --- reading ---------------------------------------------------------------------------


def plan_by_number(session: Session, number: str, *, lock: bool = False) -> PlanRun:
    stmt = select(PlanRun).where(PlanRun.number == number)
    if lock:
        stmt = stmt.with_for_update()
    run = session.scalar(stmt)
    if run is None:
        raise NotFound(f"no plan {number}", field="plan_number")
    return run


def plans_of(
    session: Session, warehouse_code: str | None = None, *, limit: int = 50
) -> list[PlanRun]:
    """The latest plans first, of one warehouse or of all."""
    stmt = select(PlanRun).order_by(PlanRun.created_at.desc(), PlanRun.id.desc()).limit(limit)
    if warehouse_code is not None:
        warehouse = warehouse_by_code(session, warehouse_code, field="warehouse")
        stmt = stmt.where(PlanRun.warehouse_id == warehouse.id)
    return list(session.scalars(stmt))


def stored_plan(run: PlanRun) -> routing.CourierPlan:
    """The planner's result rebuilt from a stored run (what compare_plans needs)."""
    return routing.CourierPlan(
        currency=run.currency,
        assignments=tuple(
            routing.Assignment(str(line.order_id), line.service_code, line.price)
            for line in run.lines
            if line.service_code is not None and line.price is not None
        ),
        unassigned=tuple(
            routing.Unassigned(
                str(line.order_id),
                _reason(line.reason),
                tuple((code, _reason(r)) for code, r in (line.refusals or {}).items()),
            )
            for line in run.lines
            if line.service_code is None
        ),
        loads=tuple(
            routing.ServiceLoad(
                load["service"],
                load["parcels"],
                load["grams"],
                load["capacity_parcels"],
                load["capacity_g"],
            )
            for load in run.loads
        ),
        cost=run.cost,
        objective=run.objective,
        bound=run.bound,
        gap_pct=run.gap_pct,
        penalty=run.penalty,
        seconds=run.seconds,
        status=run.status,
        rate_shopping_cost=run.rate_shopping_cost,
        rate_shopping_unassigned=run.rate_shopping_unassigned,
    )


def reason_code(reason: routing.Reason) -> str:
    """The stored form of a planner reason: no_coverage, over_limits, no_capacity, ..."""
    return reason.name.lower()


def _reason(code: str | None) -> routing.Reason:
    return routing.Reason[(code or "no_coverage").upper()]


def plan_view(session: Session, run: PlanRun, *, lines: bool = True) -> dict[str, Any]:
    """A plan as the API and the dashboard show it."""
    warehouse = session.get(Warehouse, run.warehouse_id)
    based_on = session.get(PlanRun, run.based_on_id) if run.based_on_id else None
    saving = run.rate_shopping_cost - run.cost
    if lines or run.comparison is not None:
        by_reason = Counter(line.reason for line in run.lines if line.service_code is None)
    else:  # the headline only: count in the database instead of loading every line
        counted = session.execute(
            select(PlanLine.reason, func.count(PlanLine.id))
            .where(PlanLine.plan_id == run.id, PlanLine.service_code.is_(None))
            .group_by(PlanLine.reason)
        )
        by_reason = Counter({reason: int(n) for reason, n in counted})
    unassigned_count = sum(by_reason.values())
    view: dict[str, Any] = {
        "number": run.number,
        "warehouse": warehouse.code if warehouse else None,
        "kind": run.kind.value,
        "parameters": run.parameters,
        "based_on": based_on.number if based_on else None,
        "status": run.status,
        "currency": run.currency,
        "parcels": run.parcels,
        "assigned": run.parcels - unassigned_count,
        "unassigned_count": unassigned_count,
        "cost": money_text(run.cost),
        "objective": money_text(run.objective),
        "bound": money_text(run.bound),
        "gap_pct": run.gap_pct,
        "seconds": run.seconds,
        "rate_shopping": {
            "cost": money_text(run.rate_shopping_cost),
            "unassigned": run.rate_shopping_unassigned,
            "saving": money_text(saving),
            "saving_pct": _pct(saving, run.rate_shopping_cost),
        },
        "loads": [
            {
                **load,
                "parcels_used_pct": _pct(load["parcels"], load["capacity_parcels"]),
                "grams_used_pct": _pct(load["grams"], load["capacity_g"]),
            }
            for load in run.loads
        ],
        "unassigned_by_reason": dict(sorted(by_reason.items())),
        "notes": run.notes,
        "created_by": run.created_by,
        "created_at": run.created_at.isoformat(),
        "committed_by": run.committed_by,
        "committed_at": run.committed_at.isoformat() if run.committed_at else None,
        "comparison": None,
    }
    if not lines and run.comparison is None:
        return view
    orders = {
        row.id: row
        for row in session.execute(
            select(
                Order.id,
                Order.order_number,
                Order.status,
                Order.courier_code,
                Order.tracking_number,
            ).where(Order.id.in_([line.order_id for line in run.lines]))
        )
    }
    numbers = {order_id: row.order_number for order_id, row in orders.items()}
    if run.comparison is not None:
        view["comparison"] = {
            **run.comparison,
            **{
                key: [numbers.get(i, str(i)) for i in run.comparison[key]]
                for key in ("moved", "newly_unassigned", "newly_assigned")
            },
        }
    if lines:
        view["assignments"] = [
            {
                "order_id": line.order_id,
                "order_number": numbers.get(line.order_id),
                "service": line.service_code,
                "price": money_text(line.price),
                "weight_g": line.weight_g,
                "tracking_number": _tracking(orders.get(line.order_id), run, line),
            }
            for line in run.lines
            if line.service_code is not None and line.price is not None
        ]
        view["unassigned"] = [
            {
                "order_id": line.order_id,
                "order_number": numbers.get(line.order_id),
                "reason": line.reason,
                "reason_text": _reason(line.reason).value,
                "weight_g": line.weight_g,
                "by_service": line.refusals or {},
            }
            for line in run.lines
            if line.service_code is None
        ]
    return view


# --- helpers ---------------------------------------------------------------------------


def _tracking(order: Any, run: PlanRun, line: PlanLine) -> str | None:
    # Only the committed plan's own courier counts (a later re-plan may differ).
    if order is None or run.committed_at is None or order.courier_code != line.service_code:
        return None
    return order.tracking_number  # type: ignore[no-any-return]


def _pct(part: Decimal | int, whole: Decimal | int | None) -> float | None:
    if not whole:
        return None
    return round(float(Decimal(part) * 100 / Decimal(whole)), 2)


def _orders(session: Session, condition: Any, *, allocated: bool) -> list[Order]:
    stmt = (
        select(Order)
        .where(condition)
        .options(selectinload(Order.lines).selectinload(OrderLine.product))
        .order_by(Order.id)
    )
    if allocated:
        stmt = stmt.where(Order.status == OrderStatus.ALLOCATED)
    return list(session.scalars(stmt))


def _baseline(session: Session, warehouse: Warehouse) -> PlanRun:
    """The plan a what-if is compared with: the latest committed one, else the latest."""
    plans = select(PlanRun).where(
        PlanRun.warehouse_id == warehouse.id, PlanRun.kind == PlanKind.PLAN
    )
    run = session.scalar(
        plans.where(PlanRun.committed_at.is_not(None))
        .order_by(PlanRun.committed_at.desc(), PlanRun.id.desc())
        .limit(1)
    ) or session.scalar(plans.order_by(PlanRun.id.desc()).limit(1))
    if run is None:
        raise Conflict(
            f"{warehouse.code} has no plan to compare a what-if with: run a plan first",
            field="what_if",
        )
    return run


def _apply(services: list[routing.CourierService], what_if: WhatIf) -> list[routing.CourierService]:
    codes = {s.code for s in services}
    if what_if.remove_service is None and what_if.capacity is None:
        raise InvalidInput("say what changes: remove_service or capacity", field="what_if")
    if what_if.remove_service is not None:
        if what_if.remove_service not in codes:
            raise InvalidInput(
                f"no service {what_if.remove_service}; services: {', '.join(sorted(codes))}",
                field="what_if.remove_service",
            )
        services = routing.without_service(services, what_if.remove_service)
    change = what_if.capacity
    if change is not None:
        if change.service not in codes:
            raise InvalidInput(
                f"no service {change.service}; services: {', '.join(sorted(codes))}",
                field="what_if.capacity.service",
            )
        if change.service == what_if.remove_service:
            raise InvalidInput(
                f"{change.service} is removed; its capacity cannot change too",
                field="what_if.capacity.service",
            )
        if change.capacity_parcels is None and change.capacity_g is None:
            raise InvalidInput(
                "give capacity_parcels, capacity_g or both", field="what_if.capacity"
            )
        for name in ("capacity_parcels", "capacity_g"):
            value = getattr(change, name)
            if value is not None and (isinstance(value, bool) or value < 0):
                raise InvalidInput("must be a whole number >= 0", field=f"what_if.capacity.{name}")
        services = routing.with_capacity(
            services,
            change.service,
            capacity_parcels=change.capacity_parcels,
            capacity_g=change.capacity_g,
        )
    return services


def _exchange_rates(services: Iterable[routing.CourierService], on: date) -> dict[str, Decimal]:
    """Foreign rate cards convert at the customs rate of the day (the rate the parcels'
    values are declared at)."""
    currencies = {s.rate_card.currency for s in services} - {PLAN_CURRENCY}
    rates = ExchangeRates.load() if currencies else None
    out: dict[str, Decimal] = {}
    for currency in sorted(currencies):
        assert rates is not None
        try:
            out[currency] = rates.rate(currency, on)
        except MissingRate as exc:
            raise Conflict(str(exc), field="courier_services") from None
    return out


def _parcel_of(order: Order, boxes: Sequence[BoxType]) -> tuple[routing.Parcel, list[str]]:
    notes: list[str] = []
    goods_g = volume = 0
    sides: list[tuple[int, int, int]] = []
    cosmetic_ml = liquid_ml = 0
    battery = False
    declared = Decimal(0)
    for line in order.lines:
        product, quantity = line.product, line.quantity
        goods_g += product.gross_weight_g * quantity
        volume += product.length_mm * product.width_mm * product.height_mm * quantity
        sides.append(_sorted_sides(product.length_mm, product.width_mm, product.height_mm))
        battery = battery or product.has_battery
        if product.tax_category in _COSMETICS:
            cosmetic_ml += product.net_weight_g * quantity
        elif product.is_liquid:
            liquid_ml += product.net_weight_g * quantity
        declared += line.unit_price * quantity - line.discount
    box = next((b for b in boxes if _holds(b, volume, sides)), None)
    if box is not None:
        size, weight = (box.length_mm, box.width_mm, box.height_mm), goods_g + box.tare_g
    else:
        longest = max(s[0] for s in sides)
        middle = max(s[1] for s in sides)
        height = max(max(s[2] for s in sides), -(-volume // (longest * middle)))
        size, weight = (longest, middle, height), goods_g
        if boxes:
            notes.append(
                f"no box type holds its goods ({volume // 1000} cm3): sized as a "
                f"{longest} x {middle} x {height} mm bundle without tare"
            )
    destination, note = destination_of(order.country, order.province, order.postcode)
    if note:
        notes.append(note)
    parcel = routing.Parcel(
        id=str(order.id),
        weight_g=weight,
        length_mm=size[0],
        width_mm=size[1],
        height_mm=size[2],
        destination=destination,
        declared_value=declared,
        currency=order.currency,
        has_battery=battery,
        liquid_ml=liquid_ml,
        cosmetic_ml=cosmetic_ml,
    )
    return parcel, notes


def _sorted_sides(*sides: int) -> tuple[int, int, int]:
    a, b, c = sorted(sides, reverse=True)
    return a, b, c


def _holds(box: BoxType, volume: int, items: list[tuple[int, int, int]]) -> bool:
    inner = _sorted_sides(box.length_mm, box.width_mm, box.height_mm)
    if box.length_mm * box.width_mm * box.height_mm < volume:
        return False
    return all(all(s <= i for s, i in zip(item, inner, strict=True)) for item in items)


def _comparison(plan_input: PlanInput, plan: routing.CourierPlan) -> dict[str, Any] | None:
    if plan_input.kind is not PlanKind.WHAT_IF or plan_input.baseline is None:
        return None
    baseline = plan_input.baseline
    compared = routing.compare_plans(baseline, plan)
    before = {a.parcel_id: a.service_code for a in baseline.assignments}
    moved = [
        int(a.parcel_id)
        for a in plan.assignments
        if a.parcel_id in before and before[a.parcel_id] != a.service_code
    ]
    return {
        "against": plan_input.based_on_number,
        "against_committed": plan_input.based_on_committed,
        "cost_delta": money_text(compared.cost_delta),
        "objective_delta": money_text(compared.objective_delta),
        "moved_parcels": compared.moved_parcels,
        "moved": moved,
        "newly_unassigned": [int(p) for p in compared.newly_unassigned],
        "newly_assigned": [int(p) for p in compared.newly_assigned],
        "load_delta": dict(compared.load_delta),
    }
