"""Other regimes in one dated table: EU low-value consignments (EUR 150; EUR 3 per distinct
subheading from 2026-07-01), UPU CN22 up to 300 SDR versus CN23, US de minimis suspended;
HS codes per regime."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from customs.exchange import MissingRate
from customs.hs import check_hs_code, subheading
from customs.regimes import (
    RegimeRules,
    RegimeStatus,
    UnknownRegime,
    convert,
    eu_low_value,
    upu_customs_form,
    us_de_minimis,
)

D = Decimal
HEADER = "regime,effective_from,currency,value_limit,flat_duty_per_subheading,status,note"


def test_the_bundled_rules_in_force():
    rules = RegimeRules.load()
    eu = rules.in_force("EU_LOW_VALUE", date(2026, 6, 30))
    assert (eu.status, eu.value_limit, eu.flat_duty_per_subheading) == (
        RegimeStatus.DUTY_FREE,
        D(150),
        None,
    )
    eu_july = rules.in_force("EU_LOW_VALUE", date(2026, 7, 1))
    assert (eu_july.status, eu_july.flat_duty_per_subheading) == (RegimeStatus.FLAT_DUTY, D(3))
    assert rules.in_force("UPU_CN22", date(2026, 1, 1)).currency == "XDR"
    assert rules.in_force("US_DE_MINIMIS", date(2026, 1, 1)).status is RegimeStatus.SUSPENDED
    with pytest.raises(UnknownRegime, match="'UK_LOW_VALUE'"):
        rules.in_force("UK_LOW_VALUE", date(2026, 1, 1))
    with pytest.raises(UnknownRegime, match="first is from 2021-07-01"):
        rules.in_force("EU_LOW_VALUE", date(2021, 6, 30))


def test_hs_codes_per_regime():
    assert check_hs_code("3304990099", "CN") is None
    assert check_hs_code("3304990099101", "CN") is None
    assert check_hs_code("330499", "INTL") is None
    for code in ("330499", "33049900", "3304990000"):
        assert check_hs_code(code, "EU") is None
    assert "6 or 8 or 10 digits, not 7" in check_hs_code("3304990", "EU")
    assert subheading("3304990099101") == "330499"
    with pytest.raises(ValueError, match="no 6-digit"):
        subheading("3304")


# -- EU ------------------------------------------------------------------------------------------


def test_eu_low_value_is_duty_free_until_july_2026():
    result = eu_low_value(D("150.00"), "EUR", ["33049900", "61091000"], date(2026, 6, 30))
    assert (result.low_value, result.duty_eur) == (True, D("0.00"))
    assert "relieved of duty" in result.reason


def test_eu_flat_duty_of_3_per_distinct_subheading_from_july_2026():
    codes = ["33049900", "3304990000", "330499", "61091000", "6109100010"]
    result = eu_low_value(D("149.99"), "EUR", codes, date(2026, 7, 1))
    assert result.subheadings == ("330499", "610910")  # 2 distinct subheadings
    assert (result.low_value, result.duty_eur) == (True, D("6.00"))
    assert "EUR 3 x 2 distinct tariff subheading(s)" in result.reason


def test_eu_over_150_is_not_a_low_value_consignment():
    result = eu_low_value(D("150.01"), "EUR", ["33049900"], date(2026, 7, 1))
    assert (result.low_value, result.duty_eur) == (False, None)
    assert "ordinary customs duty" in result.reason


def test_eu_values_in_other_currencies_go_through_the_cny_rates():
    # CNY 1166.09 / 7.7739 CNY per EUR (July 2026) = 150.0006.. -> EUR 150.00: within.
    within = eu_low_value(D("1166.09"), "CNY", ["33049900"], date(2026, 7, 15))
    assert (within.value_eur, within.low_value) == (D("150.00"), True)
    over = eu_low_value(D("1166.13"), "CNY", ["33049900"], date(2026, 7, 15))
    assert (over.value_eur, over.low_value) == (D("150.01"), False)
    # USD 100 x 7.1234 / 7.7739 = 91.632..
    assert convert(D("100"), "USD", "EUR", date(2026, 7, 1)) == D("91.63")
    with pytest.raises(MissingRate, match="SEK"):
        eu_low_value(D("100"), "SEK", ["33049900"], date(2026, 7, 1))


def test_eu_hs_codes_are_checked():
    with pytest.raises(ValueError, match="HS 3304990: an HS code for EU"):
        eu_low_value(D("10"), "EUR", ["3304990"], date(2026, 7, 1))
    with pytest.raises(ValueError, match="at least one HS code"):
        eu_low_value(D("10"), "EUR", [], date(2026, 7, 1))


# -- UPU -----------------------------------------------------------------------------------------


def test_cn22_up_to_300_sdr_and_cn23_above():
    on = date(2026, 3, 1)
    assert upu_customs_form(D("300"), "XDR", on).form == "CN22"
    assert upu_customs_form(D("300.01"), "XDR", on).form == "CN23"
    # CNY 2939.19 / 9.7973 CNY per SDR (March 2026) = 299.999.. -> 300.00 SDR
    by_cny = upu_customs_form(D("2939.19"), "CNY", on)
    assert (by_cny.form, by_cny.value_sdr) == ("CN22", D("300.00"))
    assert upu_customs_form(D("2939.25"), "CNY", on).form == "CN23"
    parcel = upu_customs_form(D("10"), "XDR", on, parcel=True)
    assert parcel.form == "CN23"
    assert "parcel" in parcel.reason


# -- US ------------------------------------------------------------------------------------------


def test_us_de_minimis_is_suspended_from_2025_08_29():
    before = us_de_minimis(D("100.00"), "USD", date(2025, 8, 28))
    assert before.available
    assert not us_de_minimis(D("800.01"), "USD", date(2025, 8, 28)).available
    after = us_de_minimis(D("10.00"), "USD", date(2025, 8, 29))
    assert not after.available
    assert "suspended since 2025-08-29" in after.reason


# -- the table -----------------------------------------------------------------------------------


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "regimes.csv"
    path.write_text("\n".join((HEADER, *lines)) + "\n", encoding="utf-8")
    return path


def test_a_rule_change_applies_from_its_date(tmp_path):
    rules = RegimeRules.load(
        write(
            tmp_path,
            "EU_LOW_VALUE,2021-07-01,EUR,150,,duty_free,relief",
            "EU_LOW_VALUE,2028-01-01,EUR,150,2.5,flat_duty,cheaper",
        )
    )
    codes = ["33049900"]
    assert eu_low_value(D(10), "EUR", codes, date(2027, 12, 31), rules=rules).duty_eur == 0
    assert eu_low_value(D(10), "EUR", codes, date(2028, 1, 1), rules=rules).duty_eur == D("2.50")


@pytest.mark.parametrize(
    ("bad_row", "complaint"),
    [
        ("eu,2026-01-01,EUR,150,,duty_free,x", "not an upper-case name"),
        ("EU,2026-01-01,euro,150,,duty_free,x", "not an ISO 4217 code"),
        ("EU,2026-01-01,EUR,150,,free,x", "not one of"),
        ("EU,2026-01-01,EUR,150,3,duty_free,x", "flat duty goes with status flat_duty"),
        ("EU,2026-01-01,EUR,150,,flat_duty,x", "flat duty goes with status flat_duty"),
        ("EU,2026-01-01,EUR,-1,,duty_free,x", "zero or more"),
        ("US,2016-03-10,USD,800,,duty_free,x", "a second US row"),
    ],
)
def test_a_bad_row_names_its_line(tmp_path, bad_row, complaint):
    with pytest.raises(ValueError, match="line 3") as raised:
        RegimeRules.load(write(tmp_path, "US,2016-03-10,USD,800,,duty_free,x", bad_row))
    assert complaint in str(raised.value)
