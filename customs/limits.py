"""China cross-border e-commerce (CBEC) retail import limits: which channel an order takes.

The limits are effective-dated data (``customs/data/cbec_limits.csv``): CNY 5,000 per
transaction and CNY 26,000 per person per calendar year since 2019-01-01, with the return
windows (apply within 30 days of release, back in the zone within 45) beside them.

An order's dutiable value (goods less discount, plus freight and insurance, in CNY rounded
to the fen) decides its channel, boundaries included ("not over" the limit is within):

- within the per-transaction limit and the annual remainder: ``Channel.CBEC`` - tariff 0,
  70% of the VAT and consumption tax (customs.tax);
- over the per-transaction limit, within the annual remainder, and one item only:
  ``Channel.FULL_TAX`` - taxed in full as general trade, and it counts toward the annual
  total all the same;
- otherwise ``Channel.REFUSED`` with the reason: the order cannot use this channel.

Public API:
    CbecLimits(effective_from, per_transaction, annual, return_apply_days, return_arrive_days)
    LimitTable.load(path=None) -> LimitTable;  LimitTable.in_force(on) -> CbecLimits
    Channel: CBEC | FULL_TAX | REFUSED
    LimitDecision(channel, reason, value, annual_used, annual_remaining, limits)
        .allowed, .counts_toward_annual, .annual_remaining_after
    check_limits(value_cny, item_count, annual_used_cny, on, limits=None) -> LimitDecision
    NoLimitsInForce (ValueError)
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cache
from pathlib import Path

from customs.exchange import DATA_DIR, parse_date, parse_decimal, read_csv_rows

BUNDLED_LIMITS = DATA_DIR / "cbec_limits.csv"
COLUMNS = (
    "effective_from",
    "per_transaction_cny",
    "annual_cny",
    "return_apply_days",
    "return_arrive_days",
)
FEN = Decimal("0.01")


class NoLimitsInForce(ValueError):
    """The table has no limits for the date: guessing would misdeclare."""


class Channel(StrEnum):
    CBEC = "cbec"  # within the limits: CBEC rate
    FULL_TAX = "full_tax"  # single item over the per-transaction limit: general-trade tax
    REFUSED = "refused"  # not through the CBEC retail channel


@dataclass(frozen=True)
class CbecLimits:
    """The limits in force from ``effective_from`` on (amounts in CNY, windows in days)."""

    effective_from: date
    per_transaction: Decimal
    annual: Decimal
    return_apply_days: int
    return_arrive_days: int


@dataclass(frozen=True)
class LimitTable:
    rows: tuple[CbecLimits, ...]  # in effective_from order
    source: str = "<memory>"

    @classmethod
    def load(cls, path: Path | None = None) -> LimitTable:
        """The limits in ``path``; without one the bundled file, read once per process."""
        return _bundled() if path is None else _read(path)

    def in_force(self, on: date) -> CbecLimits:
        index = bisect_right(self.rows, on, key=lambda row: row.effective_from)
        if index == 0:
            first = self.rows[0].effective_from.isoformat() if self.rows else "none"
            raise NoLimitsInForce(
                f"no CBEC limits in force on {on.isoformat()} in {self.source} (first: {first})"
            )
        return self.rows[index - 1]


@dataclass(frozen=True)
class LimitDecision:
    """The channel of one order and why; amounts in CNY."""

    channel: Channel
    reason: str
    value: Decimal  # the order's dutiable value, rounded to the fen
    annual_used: Decimal  # used this calendar year before the order
    annual_remaining: Decimal  # the annual limit less annual_used, before the order
    limits: CbecLimits

    @property
    def allowed(self) -> bool:
        return self.channel is not Channel.REFUSED

    @property
    def counts_toward_annual(self) -> bool:
        """Both CBEC-rate and full-tax orders count toward the annual total."""
        return self.allowed

    @property
    def annual_remaining_after(self) -> Decimal:
        return self.annual_remaining - self.value if self.allowed else self.annual_remaining


def check_limits(
    value_cny: Decimal,
    item_count: int,
    annual_used_cny: Decimal,
    on: date,
    limits: LimitTable | None = None,
) -> LimitDecision:
    """The channel of an order of ``item_count`` items (the sum of the line quantities)
    worth ``value_cny`` (dutiable value, CNY) for a consignee who has used
    ``annual_used_cny`` of the calendar year of ``on`` (cleared orders less credited
    returns; add orders declared but not yet cleared to be safe)."""
    for name, amount in (("value", value_cny), ("annual used", annual_used_cny)):
        if not isinstance(amount, Decimal):
            raise TypeError(f"{name} must be a Decimal, not {type(amount).__name__}")
        if not amount.is_finite() or amount < 0:
            raise ValueError(f"{name} {amount} must be zero or more")
    if item_count < 1:
        raise ValueError(f"an order has at least one item, not {item_count}")
    in_force = (limits or LimitTable.load()).in_force(on)
    value = value_cny.quantize(FEN)
    remaining = max(in_force.annual - annual_used_cny, Decimal(0))
    year = on.year

    def decide(channel: Channel, reason: str) -> LimitDecision:
        return LimitDecision(channel, reason, value, annual_used_cny, remaining, in_force)

    if value > remaining:
        return decide(
            Channel.REFUSED,
            f"CNY {value} exceeds the consignee's {year} annual CBEC remainder of CNY "
            f"{remaining} (annual limit CNY {in_force.annual}, used CNY {annual_used_cny}): "
            "not allowed through the cross-border retail channel",
        )
    if value <= in_force.per_transaction:
        return decide(
            Channel.CBEC,
            f"CNY {value} within the CNY {in_force.per_transaction} per-transaction and "
            f"the {year} annual limit: tariff 0, 70% of VAT and consumption tax",
        )
    if item_count == 1:
        return decide(
            Channel.FULL_TAX,
            f"a single item of CNY {value} over the CNY {in_force.per_transaction} "
            "per-transaction limit: taxed in full as general trade, counted toward the "
            f"{year} annual total",
        )
    return decide(
        Channel.REFUSED,
        f"CNY {value} exceeds the CNY {in_force.per_transaction} per-transaction limit and "
        f"the order holds {item_count} items: only a single item may exceed it",
    )


def _read(path: Path) -> LimitTable:
    by_date: dict[date, CbecLimits] = {}
    for line, row in read_csv_rows(path, COLUMNS):
        where = f"{path}: line {line}"
        effective = parse_date(row["effective_from"], "effective_from", where)
        if effective in by_date:
            raise ValueError(f"{where}: a second row from {effective.isoformat()}")
        per_transaction = parse_decimal(
            row["per_transaction_cny"], "per_transaction_cny", where, positive=True
        )
        annual = parse_decimal(row["annual_cny"], "annual_cny", where, positive=True)
        if per_transaction > annual:
            raise ValueError(f"{where}: per_transaction_cny is above annual_cny")
        apply_days, arrive_days = (
            _parse_days(row[field], field, where)
            for field in ("return_apply_days", "return_arrive_days")
        )
        by_date[effective] = CbecLimits(effective, per_transaction, annual, apply_days, arrive_days)
    return LimitTable(tuple(by_date[d] for d in sorted(by_date)), path.name)


def _parse_days(text: str, field: str, where: str) -> int:
    if not text.isdigit():
        raise ValueError(f"{where}: {field} {text!r} is not a whole number of days")
    return int(text)


@cache
def _bundled() -> LimitTable:
    return _read(BUNDLED_LIMITS)
