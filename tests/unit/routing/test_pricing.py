from decimal import Decimal

from routing import chargeable_weight_g, price, volumetric_weight_g
from routing.pricing import billing_key

from .builders import card, parcel

# The card: first 1 kg CNY 12.00, then CNY 3.00 per started 500 g, volumetric divisor
# 6000 cm3/kg, fuel 10 %, remote area CNY 5.00, minimum charge CNY 10.00.


def test_a_light_parcel_pays_the_first_weight_plus_fuel():
    assert price(parcel(weight_g=800), card()) == Decimal("13.20")  # 12.00 x 1.10


def test_additional_weight_is_charged_per_started_step():
    assert price(parcel(weight_g=1000), card()) == Decimal("13.20")
    assert price(parcel(weight_g=1001), card()) == Decimal("16.50")  # (12 + 3) x 1.1
    assert price(parcel(weight_g=1500), card()) == Decimal("16.50")
    assert price(parcel(weight_g=1501), card()) == Decimal("19.80")  # (12 + 2 x 3) x 1.1


def test_volumetric_weight_is_charged_when_it_exceeds_the_actual_weight():
    bulky = parcel(weight_g=1000, size_mm=(400, 300, 300))  # 36,000 cm3 / 6000 = 6 kg
    assert volumetric_weight_g(bulky, 6000) == 6000
    assert chargeable_weight_g(bulky, card()) == 6000
    assert price(bulky, card()) == Decimal("46.20")  # (12 + 10 x 3) x 1.1


def test_actual_weight_is_charged_when_it_exceeds_the_volumetric_weight():
    dense = parcel(weight_g=2600, size_mm=(200, 150, 100))  # volumetric 500 g
    assert chargeable_weight_g(dense, card()) == 2600
    assert price(dense, card()) == Decimal("26.40")  # 1600 g over: 4 steps, (12 + 12) x 1.1


def test_volumetric_weight_rounds_up_to_the_gram():
    assert volumetric_weight_g(parcel(size_mm=(100, 100, 101)), 6000) == 169  # 168.33


def test_a_card_without_a_divisor_charges_actual_weight_only():
    bulky = parcel(weight_g=1000, size_mm=(400, 300, 300))
    assert price(bulky, card(divisor=0)) == Decimal("13.20")


def test_remote_area_surcharge_is_added_before_the_fuel_surcharge():
    assert price(parcel(remote=True), card()) == Decimal("18.70")  # (12 + 5) x 1.1


def test_the_minimum_charge_applies_to_the_freight():
    assert price(parcel(), card(minimum="20.00")) == Decimal("22.00")  # 20 x 1.1
    assert price(parcel(), card(minimum="20.00", fuel_pct="0")) == Decimal("20.00")


def test_prices_round_half_up_to_the_cent():
    # 12.05 x 1.15 = 13.8575 -> 13.86
    assert price(parcel(), card(first="12.05", fuel_pct="15")) == Decimal("13.86")


def test_a_destination_without_a_zone_has_no_price():
    assert price(parcel(country="US", region=""), card()) is None
    assert billing_key(parcel(country="US", region=""), card()) is None


def test_a_region_zone_wins_over_the_country_zone():
    regional = card(zones={"CN": "A", "CN-XJ": "FAR"})
    assert regional.zone_for(parcel(region="CN-XJ").destination) == "FAR"
    assert regional.zone_for(parcel(region="CN-GD").destination) == "A"
