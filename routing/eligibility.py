"""Why a courier service cannot take a parcel, checked in the order planners reason."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from routing.model import CourierService, Parcel


class Reason(StrEnum):
    """Listed from "furthest from fitting" to "nearly fits"; the order is used in summaries."""

    NO_COVERAGE = "no coverage"
    REMOTE_NOT_SERVED = "remote area not served"
    OVER_LIMITS = "over the per-parcel limits"
    RESTRICTED = "restricted contents"
    TOO_SLOW = "misses the promised delivery date"
    NO_CAPACITY = "no capacity left"


RANK = {reason: rank for rank, reason in enumerate(Reason)}


def transit_days(parcel: Parcel, service: CourierService) -> int:
    zone = service.rate_card.zone_for(parcel.destination)
    zone_days = service.rate_card.rates[zone].transit_days if zone is not None else None
    return service.transit_days if zone_days is None else zone_days


def refusal(parcel: Parcel, service: CourierService) -> Reason | None:
    """The first reason the service refuses the parcel, or None if it may take it."""
    destination = parcel.destination
    if (
        service.rate_card.zone_for(destination) is None
        or destination.region in service.excluded_regions
    ):
        return Reason.NO_COVERAGE
    if destination.remote and not service.serves_remote:
        return Reason.REMOTE_NOT_SERVED
    limits = service.limits
    if (
        parcel.weight_g > limits.max_weight_g
        or parcel.longest_side_mm > limits.max_length_mm
        or parcel.length_plus_girth_mm > limits.max_length_plus_girth_mm
    ):
        return Reason.OVER_LIMITS
    if (
        (parcel.has_battery and not service.accepts_batteries)
        or parcel.liquid_ml > service.max_liquid_ml
        or parcel.cosmetic_ml > service.max_cosmetic_ml
    ):
        return Reason.RESTRICTED
    if parcel.promised_days is not None and transit_days(parcel, service) > parcel.promised_days:
        return Reason.TOO_SLOW
    return None


def summary(reasons: Iterable[Reason]) -> Reason:
    """The reason of the service that came closest to taking the parcel."""
    return max(reasons, key=RANK.__getitem__, default=Reason.NO_COVERAGE)
