"""CBEC retail import tax: effective-dated rates, the 70% composite rate, and the customs
formula (each tax rounded half up to the fen, total their sum)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from customs.tax import TaxBreakdown, TaxRates, UnknownTaxCategory, import_tax

D = Decimal
ON = date(2026, 3, 1)
HEADER = "tax_category,effective_from,vat_rate,consumption_tax_rate"


def composite(ct: str, vat: str) -> Decimal:
    return (D(ct) + D(vat)) / (D(1) - D(ct)) * D("0.7")


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        ("general", D("0.091")),
        ("food_agri", D("0.063")),
        ("cosmetics", D("0.091")),
        ("premium_cosmetics", composite("0.15", "0.13")),
        ("perfume", composite("0.15", "0.13")),
        ("watches", D("0.28875")),
        ("jewellery", composite("0.10", "0.13")),
        ("alcohol", composite("0.10", "0.13")),
    ],
)
def test_composite_rates(category, expected):
    assert TaxRates.load().composite_rate(category, ON) == expected


def test_composite_rates_are_exact_to_28_digits():
    rates = TaxRates.load()
    assert str(rates.composite_rate("premium_cosmetics", ON)) == "0.2305882352941176470588235294"
    assert str(rates.composite_rate("jewellery", ON)) == "0.1788888888888888888888888889"


def test_the_rates_in_force():
    in_force = TaxRates.load().rates("premium_cosmetics", ON)
    assert (in_force.vat, in_force.consumption_tax) == (D("0.13"), D("0.15"))
    assert in_force.effective_from == date(2019, 4, 1)
    assert TaxRates.load().rates("perfume", ON) == in_force


def test_the_bundled_categories():
    assert TaxRates.load().categories == {
        "general",
        "food_agri",
        "cosmetics",
        "premium_cosmetics",
        "perfume",
        "watches",
        "jewellery",
        "alcohol",
    }
    assert TaxRates.load() is TaxRates.load()


def test_import_tax_breakdown():
    tax = import_tax(D("1000.00"), "premium_cosmetics", ON)
    # ct = 1000 / 0.85 x 0.15 x 0.7 = 123.5294..; VAT = 1176.4705.. x 0.13 x 0.7 = 107.0588..
    assert tax == TaxBreakdown(
        vat=D("107.06"),
        consumption_tax=D("123.53"),
        total=D("230.59"),
        composite_rate=composite("0.15", "0.13"),
    )
    assert import_tax(D("200.00"), "general", ON) == TaxBreakdown(
        D("18.20"), D("0.00"), D("18.20"), D("0.091")
    )


def test_each_tax_rounds_half_up_to_the_fen():
    # 15.00 x 0.091 = 1.365: half up 1.37 (half even would give 1.36)
    assert import_tax(D("15.00"), "general", ON).vat == D("1.37")
    # 100.60 x 0.2 / 0.8 x 0.7 = 17.605 -> 17.61; VAT 125.75 x 0.091 = 11.44325 -> 11.44
    tax = import_tax(D("100.60"), "watches", ON)
    assert (tax.consumption_tax, tax.vat, tax.total) == (D("17.61"), D("11.44"), D("29.05"))


@pytest.mark.parametrize(
    "category", ["general", "food_agri", "premium_cosmetics", "watches", "jewellery"]
)
def test_the_total_is_value_times_composite_within_rounding(category):
    # Two taxes each rounded to the fen: at most 0.01 from one rounding of the whole.
    for cents in range(0, 2_000_000, 3_331):
        value = D(cents) / 100
        tax = import_tax(value, category, ON)
        assert tax.total == tax.vat + tax.consumption_tax
        assert abs(tax.total - value * tax.composite_rate) <= D("0.01")


def test_import_tax_wants_a_decimal_of_zero_or_more():
    with pytest.raises(TypeError):
        import_tax(100.0, "general", ON)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="zero or more"):
        import_tax(D("-1"), "general", ON)


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "cbec.csv"
    path.write_text("\n".join((HEADER, *lines)) + "\n", encoding="utf-8")
    return path


def test_a_rate_change_applies_from_its_effective_date(tmp_path):
    path = write(
        tmp_path,
        "general,2026-07-01,0.09,0",  # out of date order on purpose
        "general,2019-04-01,0.13,0",
        "premium_cosmetics,2019-04-01,0.13,0.15",
    )
    rates = TaxRates.load(path)
    before, after = date(2026, 6, 30), date(2026, 7, 1)
    assert rates.composite_rate("general", before) == D("0.091")
    assert rates.composite_rate("general", after) == D("0.063")
    assert rates.rates("general", after).effective_from == after
    assert import_tax(D("1000.00"), "general", before, rates).total == D("91.00")
    assert import_tax(D("1000.00"), "general", after, rates).total == D("63.00")
    # Other categories keep their rates.
    assert import_tax(D("1000.00"), "premium_cosmetics", after, rates).total == D("230.59")


def test_an_unknown_category_raises_naming_it():
    with pytest.raises(UnknownTaxCategory, match="'handbags'") as raised:
        import_tax(D("100"), "handbags", ON)
    assert raised.value.category == "handbags"
    assert isinstance(raised.value, ValueError)


def test_no_rate_in_force_raises_naming_category_and_date():
    with pytest.raises(UnknownTaxCategory, match=r"'general' in force on 2019-03-31"):
        TaxRates.load().rates("general", date(2019, 3, 31))


@pytest.mark.parametrize(
    ("bad_row", "complaint"),
    [
        ("watches,2026-01-01,0.13,1", "must be below 1"),
        ("watches,2026-01-01,thirteen,0.2", "not a number"),
        ("watches,2026-01-01,-0.13,0.2", "zero or more"),
        ("watches,1/1/2026,0.13,0.2", "not a YYYY-MM-DD date"),
        ("perfume,2026-01-01,0.13,0.15", "taxed as premium_cosmetics"),
        ("general,2019-04-01,0.13,0", "a second general rate"),
        ("Watches,2026-01-01,0.13,0.2", "not a lower-case name"),
    ],
)
def test_a_bad_row_raises_naming_its_line(tmp_path, bad_row, complaint):
    path = write(tmp_path, "general,2019-04-01,0.13,0", bad_row)
    with pytest.raises(ValueError, match="line 3") as raised:
        TaxRates.load(path)
    assert complaint in str(raised.value)
