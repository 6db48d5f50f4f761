"""China import tariff rates by HS code prefix, and the full (general-trade) import tax.

A cross-border single item over the per-transaction limit is taxed in full, as general
trade: tariff at the applied MFN rate of its HS code, then the full consumption tax and
VAT (no 70% share):

    tariff          = value x tariff_rate
    consumption tax = (value + tariff) / (1 - ct) x ct
    VAT             = (value + tariff + consumption tax) x vat

each computed exactly and rounded half up to the fen on its own, the total their sum
(customs rounds each tax amount).  The consumption tax and VAT bases use the exact
amounts, not the rounded ones, as customs.tax does.

Tariff rates are effective-dated data keyed by HS code prefix
(``customs/data/tariff_rates.csv``): the longest prefix with a row in force on the date
wins, so ``190110`` (infant formula) overrides ``1901``.  The bundled figures are
illustrative and must be checked against the published tariff before real use.

Public API:
    TariffRate(prefix, effective_from, rate, description)
    TariffRates.load(path=None) -> TariffRates;  .rate(hs_code, on) -> TariffRate
    general_trade_tax(value_cny, hs_code, category, on, tariff_rates=None, tax_rates=None)
        -> FullTaxBreakdown(tariff, consumption_tax, vat, total, tariff_rate)
    MissingTariffRate (ValueError)
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, localcontext
from functools import cache
from pathlib import Path

from customs.exchange import DATA_DIR, parse_date, parse_decimal, read_csv_rows
from customs.tax import TaxRates

BUNDLED_TARIFFS = DATA_DIR / "tariff_rates.csv"
COLUMNS = ("hs_prefix", "effective_from", "mfn_rate", "description")
FEN = Decimal("0.01")
_EXACT = Context(prec=28, rounding=ROUND_HALF_EVEN)


class MissingTariffRate(ValueError):
    """No tariff rate for an HS code on a date: a 0% guess would underpay duty."""

    def __init__(self, hs_code: str, on: date, reason: str) -> None:
        super().__init__(f"no tariff rate for HS {hs_code} on {on.isoformat()}: {reason}")
        self.hs_code = hs_code
        self.on = on


@dataclass(frozen=True)
class TariffRate:
    prefix: str
    effective_from: date
    rate: Decimal
    description: str


@dataclass(frozen=True)
class TariffRates:
    table: Mapping[str, tuple[TariffRate, ...]]  # prefix -> rows in effective_from order
    source: str = "<memory>"

    @classmethod
    def load(cls, path: Path | None = None) -> TariffRates:
        """The rates in ``path``; without one the bundled file, read once per process."""
        return _bundled() if path is None else _read(path)

    def rate(self, hs_code: str, on: date) -> TariffRate:
        """The row of the longest prefix of ``hs_code`` that has a rate in force on ``on``
        (inspection digits past the 10th are ignored)."""
        code = hs_code[:10]
        for length in range(len(code), 1, -1):
            rows = self.table.get(code[:length])
            if not rows:
                continue
            index = bisect_right(rows, on, key=lambda row: row.effective_from)
            if index:
                return rows[index - 1]
        raise MissingTariffRate(hs_code, on, f"no prefix of it is in {self.source}")


@dataclass(frozen=True)
class FullTaxBreakdown:
    """General-trade import tax on one dutiable value, each tax rounded to the fen."""

    tariff: Decimal
    consumption_tax: Decimal
    vat: Decimal
    total: Decimal
    tariff_rate: Decimal


def general_trade_tax(
    value_cny: Decimal,
    hs_code: str,
    category: str,
    on: date,
    tariff_rates: TariffRates | None = None,
    tax_rates: TaxRates | None = None,
) -> FullTaxBreakdown:
    """Tariff, consumption tax and VAT in full on a dutiable value in CNY."""
    if not isinstance(value_cny, Decimal):
        raise TypeError(f"dutiable value must be a Decimal, not {type(value_cny).__name__}")
    if not value_cny.is_finite() or value_cny < 0:
        raise ValueError(f"dutiable value {value_cny} must be zero or more")
    tariff_rate = (tariff_rates or TariffRates.load()).rate(hs_code, on).rate
    in_force = (tax_rates or TaxRates.load()).rates(category, on)
    ct, vat = in_force.consumption_tax, in_force.vat
    with localcontext(_EXACT):
        tariff = value_cny * tariff_rate
        consumption_tax = (value_cny + tariff) / (Decimal(1) - ct) * ct
        value_added_tax = (value_cny + tariff + consumption_tax) * vat
    rounded = [
        amount.quantize(FEN, rounding=ROUND_HALF_UP)
        for amount in (tariff, consumption_tax, value_added_tax)
    ]
    return FullTaxBreakdown(
        tariff=rounded[0],
        consumption_tax=rounded[1],
        vat=rounded[2],
        total=sum(rounded, Decimal("0.00")),
        tariff_rate=tariff_rate,
    )


def _read(path: Path) -> TariffRates:
    found: dict[str, dict[date, TariffRate]] = {}
    for line, row in read_csv_rows(path, COLUMNS):
        where = f"{path}: line {line}"
        prefix = row["hs_prefix"]
        if not (prefix.isdigit() and prefix.isascii() and 2 <= len(prefix) <= 10):
            raise ValueError(f"{where}: hs_prefix {prefix!r} is not 2 to 10 digits")
        effective = parse_date(row["effective_from"], "effective_from", where)
        by_date = found.setdefault(prefix, {})
        if effective in by_date:
            raise ValueError(f"{where}: a second {prefix} rate from {effective.isoformat()}")
        by_date[effective] = TariffRate(
            prefix,
            effective,
            parse_decimal(row["mfn_rate"], "mfn_rate", where, below_one=True),
            row["description"],
        )
    table = {
        prefix: tuple(rate for _, rate in sorted(by_date.items()))
        for prefix, by_date in found.items()
    }
    return TariffRates(table, path.name)


@cache
def _bundled() -> TariffRates:
    return _read(BUNDLED_TARIFFS)
