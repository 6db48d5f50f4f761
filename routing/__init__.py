"""Pure planner: frozen dataclasses in, a plan out.  Nothing here imports the hub (wms/).

Courier selection
    plan_couriers(parcels, services, *, time_limit_s, currency, exchange_rates, ...)
        -> CourierPlan (assignments with prices, unassigned parcels with reasons, cost,
           bound, gap, seconds, status, rate-shopping cost)
    compare_plans(committed, what_if) -> PlanComparison
    without_service(services, code), with_capacity(services, code, ...)  (what-if inputs)
Pricing and data
    price(parcel, rate_card), chargeable_weight_g, volumetric_weight_g, refusal(parcel, service)
    load_rate_cards(path), load_services(path, rate_cards), demo_services()
Consolidation
    split_order(items, box), merge_export_orders(orders, box, value_limits=...),
    pack_master_cartons(parcels, carton), load_vehicles(parcels, vehicle) -> Packing

See docs/planner.md.
"""

from routing.consolidation import (
    Container,
    ExportOrder,
    Item,
    MergedParcel,
    Packing,
    ValueLimit,
    load_vehicles,
    merge_export_orders,
    pack_master_cartons,
    split_order,
)
from routing.couriers import (
    PlanningError,
    compare_plans,
    plan_couriers,
    with_capacity,
    without_service,
)
from routing.eligibility import Reason, refusal
from routing.model import (
    CourierService,
    Destination,
    Parcel,
    ParcelLimits,
    RateCard,
    ZoneRate,
)
from routing.plan import Assignment, CourierPlan, PlanComparison, ServiceLoad, Unassigned
from routing.pricing import chargeable_weight_g, price, volumetric_weight_g
from routing.ratecards import RateCardError, demo_services, load_rate_cards, load_services

__all__ = [
    "Assignment",
    "Container",
    "CourierPlan",
    "CourierService",
    "Destination",
    "ExportOrder",
    "Item",
    "MergedParcel",
    "Packing",
    "Parcel",
    "ParcelLimits",
    "PlanComparison",
    "PlanningError",
    "RateCard",
    "RateCardError",
    "Reason",
    "ServiceLoad",
    "Unassigned",
    "ValueLimit",
    "ZoneRate",
    "chargeable_weight_g",
    "compare_plans",
    "demo_services",
    "load_rate_cards",
    "load_services",
    "load_vehicles",
    "merge_export_orders",
    "pack_master_cartons",
    "plan_couriers",
    "price",
    "refusal",
    "split_order",
    "volumetric_weight_g",
    "with_capacity",
    "without_service",
]
