"""Customs exchange rates: the CNY value of a foreign-currency amount on a date.

China customs publishes one rate per currency per month, in force from the first of the
month; declarations convert at the rate in force on the declaration date.  The rates are
data (``customs/data/exchange_rates.csv``), not code, so a new month is a new row.
"""

from __future__ import annotations

import csv
import re
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
BUNDLED_RATES = DATA_DIR / "exchange_rates.csv"
COLUMNS = ("currency", "effective_from", "cny_per_unit")
CNY = "CNY"

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CURRENCY = re.compile(r"[A-Z]{3}")


class MissingRate(ValueError):
    """No customs rate for a currency on a date: converting 1:1 instead would misdeclare."""

    def __init__(self, currency: str, on: date, reason: str) -> None:
        super().__init__(f"no customs exchange rate for {currency} on {on.isoformat()}: {reason}")
        self.currency = currency
        self.on = on


# -- reading dated CSV data (shared with customs.tax) --------------------------------------


def read_csv_rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, fields) for each data row.  The first row is the header and must be
    ``columns``; blank lines and lines starting with '#' are notes, so a data file can say
    where its figures come from."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header_seen = False
        for row in reader:
            line = reader.line_num
            cells = [cell.strip() for cell in row]
            if not any(cells) or cells[0].startswith("#"):
                continue
            if not header_seen:
                if tuple(cells) != columns:
                    raise ValueError(
                        f"{path}: line {line}: expected the header {','.join(columns)}, "
                        f"got {','.join(cells)}"
                    )
                header_seen = True
                continue
            if len(cells) != len(columns):
                raise ValueError(
                    f"{path}: line {line}: expected {len(columns)} fields, got {len(cells)}"
                )
            yield line, dict(zip(columns, cells, strict=True))
    if not header_seen:
        raise ValueError(f"{path}: no header line {','.join(columns)}")


def parse_date(text: str, field: str, where: str) -> date:
    # ISO only: 01/02/2026 is the 1st of February in one country and the 2nd of January in
    # another, and fromisoformat alone would also take 20260201 and week dates.
    if not _ISO_DATE.fullmatch(text):
        raise ValueError(f"{where}: {field} {text!r} is not a YYYY-MM-DD date")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{where}: {field} {text!r} is not a valid date") from None


def parse_decimal(
    text: str, field: str, where: str, *, positive: bool = False, below_one: bool = False
) -> Decimal:
    """A non-negative finite decimal (``positive``: above zero; ``below_one``: under 1)."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{where}: {field} {text!r} is not a number") from None
    if not value.is_finite():
        raise ValueError(f"{where}: {field} {text!r} is not a finite number")
    if value < 0 or (positive and value == 0):
        bound = "above zero" if positive else "zero or more"
        raise ValueError(f"{where}: {field} {text} must be {bound}")
    if below_one and value >= 1:
        raise ValueError(f"{where}: {field} {text} must be below 1")
    return value


# -- rates ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExchangeRates:
    """CNY per unit of each currency: ``table[currency]`` is (effective_from, rate) pairs
    in date order."""

    table: Mapping[str, tuple[tuple[date, Decimal], ...]]
    source: str = "<memory>"

    @classmethod
    def load(cls, path: Path | None = None) -> ExchangeRates:
        """The rates in ``path``; without one the bundled file, read once per process."""
        return _bundled() if path is None else _read(path)

    @property
    def currencies(self) -> frozenset[str]:
        return frozenset(self.table) | {CNY}

    def rate(self, currency: str, on: date) -> Decimal:
        """CNY per unit of ``currency`` in force on ``on``: the row with the latest
        effective_from on or before it (a rate stays in force until the next one; keeping
        the file up to date with each month's published rates is an operations task)."""
        code = currency.upper()
        if code == CNY:
            return Decimal(1)
        rows = self.table.get(code)
        if not rows:
            raise MissingRate(currency, on, f"{self.source} has no rates for {currency}")
        index = bisect_right(rows, on, key=lambda row: row[0])
        if index == 0:
            raise MissingRate(
                currency, on, f"the first rate in {self.source} is from {rows[0][0].isoformat()}"
            )
        return rows[index - 1][1]

    def to_cny(self, amount: Decimal, currency: str, on: date) -> Decimal:
        """``amount`` in CNY at the rate in force on ``on``, exact: rounding is the
        caller's, once, at the end (customs rounds a tax, not each conversion)."""
        if not isinstance(amount, Decimal):
            raise TypeError(f"amount must be a Decimal, not {type(amount).__name__}")
        return amount * self.rate(currency, on)


def _read(path: Path) -> ExchangeRates:
    found: dict[str, dict[date, Decimal]] = {}
    for line, row in read_csv_rows(path, COLUMNS):
        where = f"{path}: line {line}"
        currency = row["currency"]
        if not _CURRENCY.fullmatch(currency):
            raise ValueError(f"{where}: currency {currency!r} is not an ISO 4217 code")
        if currency == CNY:
            raise ValueError(f"{where}: CNY is 1 CNY per unit and has no row")
        effective = parse_date(row["effective_from"], "effective_from", where)
        rate = parse_decimal(row["cny_per_unit"], "cny_per_unit", where, positive=True)
        by_date = found.setdefault(currency, {})
        if effective in by_date:
            raise ValueError(f"{where}: a second {currency} rate from {effective.isoformat()}")
        by_date[effective] = rate
    table = {currency: tuple(sorted(by_date.items())) for currency, by_date in found.items()}
    return ExchangeRates(table, path.name)


@cache
def _bundled() -> ExchangeRates:
    return _read(BUNDLED_RATES)
