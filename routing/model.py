"""What the planner is given: parcels, couriers' services and their rate cards.

Money is Decimal with a currency code; weights are grams and sizes millimetres, as integers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Destination:
    """Where a parcel goes. `region` is an ISO 3166-2 code such as "CN-GD" or "DE-BY"."""

    country: str
    region: str = ""
    postcode: str = ""
    remote: bool = False


@dataclass(frozen=True)
class Parcel:
    id: str
    weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    destination: Destination
    declared_value: Decimal = Decimal(0)
    currency: str = "CNY"
    promised_days: int | None = None  # days from dispatch to the promised delivery date
    has_battery: bool = False
    liquid_ml: int = 0
    cosmetic_ml: int = 0

    @property
    def volume_mm3(self) -> int:
        return self.length_mm * self.width_mm * self.height_mm

    @property
    def longest_side_mm(self) -> int:
        return max(self.length_mm, self.width_mm, self.height_mm)

    @property
    def length_plus_girth_mm(self) -> int:
        # Couriers measure girth around the two shorter sides.
        sides = sorted((self.length_mm, self.width_mm, self.height_mm))
        return sides[2] + 2 * (sides[0] + sides[1])


@dataclass(frozen=True)
class ParcelLimits:
    """A courier service's per-parcel limits."""

    max_weight_g: int
    max_length_mm: int
    max_length_plus_girth_mm: int


@dataclass(frozen=True)
class ZoneRate:
    """First-weight price plus a price per started additional-weight step."""

    first_weight_g: int
    first_price: Decimal
    additional_weight_g: int
    additional_price: Decimal
    transit_days: int | None = None  # overrides the service's transit days for this zone


@dataclass(frozen=True)
class RateCard:
    """How a courier prices one service.

    `zones` maps a destination key (an ISO 3166-2 region such as "CN-XJ", else a country
    such as "DE") to a zone name; `rates` maps the zone name to its ZoneRate.  A destination
    with no zone is not covered.  `volumetric_divisor` is in cm3 per kg (5000 or 6000 for
    most couriers); 0 means the service charges actual weight only.
    """

    code: str
    currency: str
    zones: Mapping[str, str]
    rates: Mapping[str, ZoneRate]
    volumetric_divisor: int = 0
    fuel_surcharge_pct: Decimal = Decimal(0)
    remote_surcharge: Decimal = Decimal(0)
    minimum_charge: Decimal = Decimal(0)

    def zone_for(self, destination: Destination) -> str | None:
        for key in (destination.region, destination.country):
            if key and key in self.zones:
                return self.zones[key]
        return None


@dataclass(frozen=True)
class CourierService:
    """One service of one courier, with its daily capacity (None = unlimited)."""

    code: str
    courier: str
    rate_card: RateCard
    transit_days: int
    limits: ParcelLimits
    capacity_parcels: int | None = None
    capacity_g: int | None = None
    serves_remote: bool = True
    accepts_batteries: bool = False
    max_liquid_ml: int = 0
    max_cosmetic_ml: int = 0
    excluded_regions: frozenset[str] = field(default_factory=frozenset)
