"""Rate-card arithmetic: chargeable weight and the price of one parcel."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from routing.model import Parcel, RateCard

CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def volumetric_weight_g(parcel: Parcel, divisor_cm3_per_kg: int) -> int:
    """L x W x H / divisor, in grams, rounded up; 0 when the card charges actual weight."""
    if divisor_cm3_per_kg <= 0:
        return 0
    # mm3 / 1000 = cm3; cm3 / divisor = kg; kg * 1000 = g: the factors of 1000 cancel.
    return -(-parcel.volume_mm3 // divisor_cm3_per_kg)


def chargeable_weight_g(parcel: Parcel, card: RateCard) -> int:
    return max(parcel.weight_g, volumetric_weight_g(parcel, card.volumetric_divisor))


def billing_key(parcel: Parcel, card: RateCard) -> tuple[str, int, bool] | None:
    """(zone, additional steps, remote): all a card's price depends on; None if uncovered."""
    zone = card.zone_for(parcel.destination)
    if zone is None:
        return None
    rate = card.rates[zone]
    over_g = max(0, chargeable_weight_g(parcel, card) - rate.first_weight_g)
    return zone, -(-over_g // rate.additional_weight_g), parcel.destination.remote


def price_of(card: RateCard, key: tuple[str, int, bool]) -> Decimal:
    """freight = first price + each started additional step, at least the minimum charge;
    the remote-area surcharge is added, and the fuel surcharge applies to both (as the
    express couriers bill it).  Rounded half-up to the cent, in the card's currency.
    """
    zone, steps, remote = key
    rate = card.rates[zone]
    freight = max(rate.first_price + steps * rate.additional_price, card.minimum_charge)
    if remote:
        freight += card.remote_surcharge
    total = freight * (HUNDRED + card.fuel_surcharge_pct) / HUNDRED
    return total.quantize(CENT, rounding=ROUND_HALF_UP)


def price(parcel: Parcel, card: RateCard) -> Decimal | None:
    """The card's price for the parcel in the card's currency; None if its zone is missing."""
    key = billing_key(parcel, card)
    return None if key is None else price_of(card, key)


def to_cents(amount: Decimal) -> int:
    return int((amount / CENT).to_integral_value(rounding=ROUND_HALF_UP))


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) * CENT).quantize(CENT)
