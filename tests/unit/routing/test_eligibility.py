import pytest

from routing import ParcelLimits, Reason, refusal
from routing.eligibility import summary

from .builders import parcel, service

LIMITS = ParcelLimits(max_weight_g=2000, max_length_mm=600, max_length_plus_girth_mm=900)


def test_a_parcel_within_everything_is_accepted():
    assert refusal(parcel(), service("A")) is None


@pytest.mark.parametrize(
    ("the_parcel", "the_service", "reason"),
    [
        (parcel(country="US", region="US-CA"), service("A"), Reason.NO_COVERAGE),
        (
            parcel(region="CN-XZ"),
            service("A", excluded_regions=frozenset({"CN-XZ"})),
            Reason.NO_COVERAGE,
        ),
        (parcel(remote=True), service("A", serves_remote=False), Reason.REMOTE_NOT_SERVED),
        (parcel(weight_g=2001), service("A", limits=LIMITS), Reason.OVER_LIMITS),
        (parcel(size_mm=(601, 100, 100)), service("A", limits=LIMITS), Reason.OVER_LIMITS),
        # 500 + 2 x (150 + 60) = 920 > 900: girth is around the two shorter sides
        (parcel(size_mm=(150, 500, 60)), service("A", limits=LIMITS), Reason.OVER_LIMITS),
        (parcel(has_battery=True), service("A"), Reason.RESTRICTED),
        (parcel(liquid_ml=100), service("A", max_liquid_ml=50), Reason.RESTRICTED),
        (parcel(cosmetic_ml=150), service("A", max_cosmetic_ml=100), Reason.RESTRICTED),
        (parcel(promised_days=1), service("A", transit_days=2), Reason.TOO_SLOW),
    ],
)
def test_refusals_name_their_reason(the_parcel, the_service, reason):
    assert refusal(the_parcel, the_service) == reason


def test_restrictions_within_the_allowance_are_accepted():
    fine = parcel(has_battery=True, liquid_ml=50, cosmetic_ml=100)
    allowed = service("A", accepts_batteries=True, max_liquid_ml=50, max_cosmetic_ml=100)
    assert refusal(fine, allowed) is None


def test_the_summary_is_the_reason_of_the_service_that_came_closest():
    assert summary([Reason.NO_COVERAGE, Reason.TOO_SLOW, Reason.OVER_LIMITS]) == Reason.TOO_SLOW
    assert summary([]) == Reason.NO_COVERAGE
