"""Small hand-made couriers and parcels for the planner's tests."""

from __future__ import annotations

from decimal import Decimal

from routing import CourierService, Destination, Parcel, ParcelLimits, RateCard, ZoneRate

ROOMY = ParcelLimits(max_weight_g=30_000, max_length_mm=1200, max_length_plus_girth_mm=3000)


def card(
    code: str = "CARD",
    *,
    first: str = "12.00",
    additional: str = "3.00",
    first_weight_g: int = 1000,
    step_g: int = 500,
    divisor: int = 6000,
    fuel_pct: str = "10",
    remote: str = "5.00",
    minimum: str = "10.00",
    currency: str = "CNY",
    zones: dict[str, str] | None = None,
    transit_days: int | None = None,
) -> RateCard:
    rate = ZoneRate(
        first_weight_g, Decimal(first), step_g, Decimal(additional), transit_days=transit_days
    )
    return RateCard(
        code=code,
        currency=currency,
        zones=zones or {"CN": "A"},
        rates={name: rate for name in set((zones or {"CN": "A"}).values())},
        volumetric_divisor=divisor,
        fuel_surcharge_pct=Decimal(fuel_pct),
        remote_surcharge=Decimal(remote),
        minimum_charge=Decimal(minimum),
    )


def service(
    code: str,
    first: str = "10.00",
    *,
    capacity_parcels: int | None = None,
    capacity_g: int | None = None,
    transit_days: int = 2,
    limits: ParcelLimits = ROOMY,
    additional: str = "2.00",
    **options: object,
) -> CourierService:
    return CourierService(
        code=code,
        courier=code.split("-")[0],
        rate_card=card(code, first=first, additional=additional, fuel_pct="0", minimum="0"),
        transit_days=transit_days,
        limits=limits,
        capacity_parcels=capacity_parcels,
        capacity_g=capacity_g,
        **options,  # type: ignore[arg-type]
    )


def parcel(
    id: str = "P1",
    weight_g: int = 800,
    size_mm: tuple[int, int, int] = (200, 150, 100),
    *,
    region: str = "CN-GD",
    country: str = "CN",
    remote: bool = False,
    **options: object,
) -> Parcel:
    return Parcel(
        id,
        weight_g,
        *size_mm,
        destination=Destination(country, region, remote=remote),
        **options,  # type: ignore[arg-type]
    )
