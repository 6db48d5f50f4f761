"""Customs exchange rates: monthly, dated data; a missing rate is an error, never 1:1."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from customs.exchange import ExchangeRates, MissingRate

CURRENCIES = {"USD", "EUR", "JPY", "AUD", "NZD", "GBP", "KRW", "CHF", "HKD", "CAD", "XDR", "DKK"}


@pytest.fixture(scope="module")
def rates() -> ExchangeRates:
    return ExchangeRates.load()


def test_the_bundled_file_is_read_once(rates):
    assert ExchangeRates.load() is rates


@pytest.mark.parametrize(
    ("currency", "on", "expected"),
    [
        ("USD", date(2026, 2, 28), "7.1595"),  # last day of February: February's rate
        ("USD", date(2026, 3, 1), "7.1670"),  # the 1st: March's rate takes over
        ("USD", date(2026, 3, 31), "7.1670"),
        ("EUR", date(2026, 7, 1), "7.7739"),
        ("JPY", date(2026, 12, 31), "0.049270"),
        ("KRW", date(2026, 1, 1), "0.005154"),
        ("usd", date(2026, 3, 15), "7.1670"),
    ],
)
def test_the_rate_in_force_is_the_latest_on_or_before_the_date(rates, currency, on, expected):
    assert rates.rate(currency, on) == Decimal(expected)


def test_every_currency_has_a_rate_every_month_of_2026(rates):
    assert rates.currencies == CURRENCIES | {"CNY"}
    for currency in CURRENCIES:
        for month in range(1, 13):
            assert rates.rate(currency, date(2026, month, 15)) > 0


@pytest.mark.parametrize("on", [date(1999, 1, 1), date(2026, 6, 1), date(2040, 1, 1)])
def test_cny_is_one_on_any_date(rates, on):
    assert rates.rate("CNY", on) == Decimal(1)
    assert rates.to_cny(Decimal("12.34"), "CNY", on) == Decimal("12.34")


@pytest.mark.parametrize(
    ("currency", "on"),
    [
        ("BRL", date(2026, 5, 10)),  # no rates at all
        ("USD", date(2025, 12, 31)),  # before the first month
    ],
)
def test_a_missing_rate_raises_naming_currency_and_date(rates, currency, on):
    with pytest.raises(MissingRate) as raised:
        rates.to_cny(Decimal("100"), currency, on)
    message = str(raised.value)
    assert currency in message
    assert on.isoformat() in message
    assert isinstance(raised.value, ValueError)


def test_the_last_rate_stays_in_force_until_a_newer_one(rates):
    assert rates.rate("USD", date(2027, 3, 1)) == rates.rate("USD", date(2026, 12, 31))


def test_to_cny_is_exact_and_not_rounded(rates):
    converted = rates.to_cny(Decimal("123.45"), "USD", date(2026, 7, 15))
    assert converted == Decimal("879.383730")  # 123.45 x 7.1234
    assert str(converted) == "879.383730"
    assert str(rates.to_cny(Decimal("1999"), "JPY", date(2026, 1, 31))) == "97.861045"


def test_to_cny_refuses_floats(rates):
    with pytest.raises(TypeError):
        rates.to_cny(12.5, "USD", date(2026, 7, 15))  # type: ignore[arg-type]


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "rates.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


HEADER = "currency,effective_from,cny_per_unit"


def test_a_file_of_its_own_with_notes(tmp_path):
    path = write(tmp_path, HEADER, "# a note", "", "USD,2026-01-01,7", "USD,2026-02-01,7.5")
    rates = ExchangeRates.load(path)
    assert rates.rate("USD", date(2026, 1, 31)) == Decimal(7)
    assert rates.rate("USD", date(2026, 2, 28)) == Decimal("7.5")
    with pytest.raises(MissingRate, match=r"USD on 2025-12-31"):
        rates.rate("USD", date(2025, 12, 31))


@pytest.mark.parametrize(
    ("bad_row", "complaint"),
    [
        ("USD,2026-02-01,seven", "not a number"),
        ("USD,2026-02-01,-7.1", "must be above zero"),
        ("USD,2026-02-01,0", "must be above zero"),
        ("USD,2026-02-01,NaN", "not a finite number"),
        ("USD,01/02/2026,7.1", "not a YYYY-MM-DD date"),
        ("USD,20260201,7.1", "not a YYYY-MM-DD date"),
        ("USD,2026-02-30,7.1", "not a valid date"),
        ("US Dollar,2026-02-01,7.1", "not an ISO 4217 code"),
        ("CNY,2026-02-01,1", "CNY"),
        ("USD,2026-01-01,7.2", "a second USD rate"),
        ("USD,2026-02-01", "expected 3 fields"),
    ],
)
def test_a_bad_row_raises_naming_its_line(tmp_path, bad_row, complaint):
    path = write(tmp_path, HEADER, "# note", "USD,2026-01-01,7.1", bad_row)
    with pytest.raises(ValueError, match="line 4") as raised:
        ExchangeRates.load(path)
    assert complaint in str(raised.value)
    assert "rates.csv" in str(raised.value)


def test_a_wrong_header_raises(tmp_path):
    path = write(tmp_path, "# note", "currency,date,rate", "USD,2026-01-01,7.1")
    with pytest.raises(ValueError, match="line 2: expected the header"):
        ExchangeRates.load(path)
