"""China cross-border e-commerce (CBEC) retail import tax, within the CBEC limits.

Within the limits (per transaction and per person per year) the tariff is 0 and 70% of the
statutory import VAT and consumption tax is levied, so the composite rate is

    (consumption_tax_rate + vat_rate) / (1 - consumption_tax_rate) x 70%.

Goods over the limits are taxed as general trade, which this module does not compute.
The statutory rates are effective-dated data (``customs/data/cbec_tax_rates.csv``): a rate
change is a new row, and results change from its effective date on.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, localcontext
from functools import cache
from pathlib import Path

from customs.exchange import DATA_DIR, parse_date, parse_decimal, read_csv_rows

BUNDLED_RATES = DATA_DIR / "cbec_tax_rates.csv"
COLUMNS = ("tax_category", "effective_from", "vat_rate", "consumption_tax_rate")
CBEC_SHARE = Decimal("0.7")  # the part of the statutory VAT and consumption tax levied
FEN = Decimal("0.01")
# Categories taxed exactly as another: perfume is a premium cosmetic for consumption tax.
ALIASES: Mapping[str, str] = {"perfume": "premium_cosmetics"}

# The rates are fixed inputs: the same 28 significant digits whatever decimal context the
# calling thread has set, so a composite rate is the same number everywhere.
_EXACT = Context(prec=28, rounding=ROUND_HALF_EVEN)
_CATEGORY = re.compile(r"[a-z][a-z0-9_]*")


class UnknownTaxCategory(ValueError):
    """A category with no rates, or none in force on the date."""

    def __init__(self, category: str, message: str) -> None:
        super().__init__(message)
        self.category = category


@dataclass(frozen=True)
class CategoryRates:
    """The statutory rates of one category from ``effective_from`` on."""

    category: str
    effective_from: date
    vat: Decimal
    consumption_tax: Decimal

    @property
    def composite(self) -> Decimal:
        with localcontext(_EXACT):
            return (
                (self.consumption_tax + self.vat) / (Decimal(1) - self.consumption_tax)
            ) * CBEC_SHARE


@dataclass(frozen=True)
class TaxBreakdown:
    """The tax on one dutiable value: each tax rounded to the fen, total their sum."""

    vat: Decimal
    consumption_tax: Decimal
    total: Decimal
    composite_rate: Decimal


@dataclass(frozen=True)
class TaxRates:
    """``table[category]`` is that category's rates in effective_from order."""

    table: Mapping[str, tuple[CategoryRates, ...]]
    source: str = "<memory>"

    @classmethod
    def load(cls, path: Path | None = None) -> TaxRates:
        """The rates in ``path``; without one the bundled file, read once per process."""
        return _bundled() if path is None else _read(path)

    @property
    def categories(self) -> frozenset[str]:
        return frozenset(self.table) | {
            alias for alias, target in ALIASES.items() if target in self.table
        }

    def rates(self, category: str, on: date) -> CategoryRates:
        """The rates of ``category`` in force on ``on`` (latest effective_from <= on)."""
        rows = self.table.get(ALIASES.get(category, category))
        if not rows:
            known = ", ".join(sorted(self.categories))
            raise UnknownTaxCategory(
                category, f"unknown CBEC tax category {category!r} (known: {known})"
            )
        index = bisect_right(rows, on, key=lambda row: row.effective_from)
        if index == 0:
            raise UnknownTaxCategory(
                category,
                f"no CBEC tax rate for {category!r} in force on {on.isoformat()}: the first "
                f"is from {rows[0].effective_from.isoformat()}",
            )
        return rows[index - 1]

    def composite_rate(self, category: str, on: date) -> Decimal:
        return self.rates(category, on).composite


def import_tax(
    dutiable_value_cny: Decimal, category: str, on: date, rates: TaxRates | None = None
) -> TaxBreakdown:
    """The CBEC import tax on a dutiable value (goods + freight + insurance, in CNY).

    This is the customs formula: each tax is computed and rounded to the fen on its own
    (half up, as customs rounds tax amounts) and the total is their sum, so the total can
    differ by 0.01 from the dutiable value x the composite rate rounded once.

        consumption tax = value / (1 - ct) x ct x 70%
        VAT             = (value + value / (1 - ct) x ct) x vat x 70%

    The VAT base includes the full statutory consumption tax, not the 70% levied.
    """
    if not isinstance(dutiable_value_cny, Decimal):
        raise TypeError(
            f"dutiable value must be a Decimal, not {type(dutiable_value_cny).__name__}"
        )
    if not dutiable_value_cny.is_finite() or dutiable_value_cny < 0:
        raise ValueError(f"dutiable value {dutiable_value_cny} must be zero or more")
    in_force = (rates or TaxRates.load()).rates(category, on)
    ct, vat = in_force.consumption_tax, in_force.vat
    with localcontext(_EXACT):
        statutory_ct = dutiable_value_cny / (Decimal(1) - ct) * ct
        consumption_tax = statutory_ct * CBEC_SHARE
        value_added_tax = (dutiable_value_cny + statutory_ct) * vat * CBEC_SHARE
    consumption_tax = consumption_tax.quantize(FEN, rounding=ROUND_HALF_UP)
    value_added_tax = value_added_tax.quantize(FEN, rounding=ROUND_HALF_UP)
    return TaxBreakdown(
        vat=value_added_tax,
        consumption_tax=consumption_tax,
        total=value_added_tax + consumption_tax,
        composite_rate=in_force.composite,
    )


def _read(path: Path) -> TaxRates:
    found: dict[str, dict[date, CategoryRates]] = {}
    for line, row in read_csv_rows(path, COLUMNS):
        where = f"{path}: line {line}"
        category = row["tax_category"]
        if not _CATEGORY.fullmatch(category):
            raise ValueError(f"{where}: tax_category {category!r} is not a lower-case name")
        if category in ALIASES:
            raise ValueError(f"{where}: {category} is taxed as {ALIASES[category]} and has no rows")
        effective = parse_date(row["effective_from"], "effective_from", where)
        by_date = found.setdefault(category, {})
        if effective in by_date:
            raise ValueError(f"{where}: a second {category} rate from {effective.isoformat()}")
        by_date[effective] = CategoryRates(
            category,
            effective,
            parse_decimal(row["vat_rate"], "vat_rate", where, below_one=True),
            parse_decimal(
                row["consumption_tax_rate"], "consumption_tax_rate", where, below_one=True
            ),
        )
    table = {
        category: tuple(rates for _, rates in sorted(by_date.items()))
        for category, by_date in found.items()
    }
    return TaxRates(table, path.name)


@cache
def _bundled() -> TaxRates:
    return _read(BUNDLED_RATES)
