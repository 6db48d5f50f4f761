"""Low-value import regimes outside China, as one effective-dated table.

``customs/data/regimes.csv`` holds one row per regime per change; the row in force is the
latest on or before the date.  Bundled:

- ``EU_LOW_VALUE``: consignments of intrinsic value up to EUR 150 are relieved of customs
  duty (VAT is due regardless); from 2026-07-01 a flat EUR 3 per distinct tariff
  subheading (6-digit HS) in the consignment is due instead of nothing.
- ``UPU_CN22``: the CN22 declaration for letter-post items up to 300 SDR; above, or for a
  postal parcel, the CN23.
- ``US_DE_MINIMIS``: USD 800 (Section 321) until its suspension for every origin on
  2025-08-29: from then on every consignment pays the ordinary duty.

Foreign amounts are converted through the customs exchange rates (customs.exchange, CNY
per unit): amount x rate(currency) / rate(target), on the date given; a missing rate is
a MissingRate error.  Converted values are rounded half up to the cent (0.01 of the
target currency) before they are compared with a limit; EU flat duties are exact.

Public API:
    RegimeStatus: DUTY_FREE | FLAT_DUTY | FORM_LIMIT | SUSPENDED
    RegimeRule(regime, effective_from, currency, value_limit, flat_duty_per_subheading,
               status, note)
    RegimeRules.load(path=None) -> RegimeRules;  .in_force(regime, on) -> RegimeRule
    convert(amount, currency, target, on, exchange=None) -> Decimal   (to the cent)
    eu_low_value(value, currency, hs_codes, on, *, rules=None, exchange=None) -> EuLowValue
    upu_customs_form(value, currency, on, *, parcel=False, rules=None, exchange=None)
        -> UpuForm
    us_de_minimis(value, currency, on, *, rules=None, exchange=None) -> DeMinimis
    UnknownRegime (ValueError)
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, localcontext
from enum import StrEnum
from functools import cache
from pathlib import Path

from customs.exchange import DATA_DIR, ExchangeRates, parse_date, parse_decimal, read_csv_rows
from customs.hs import check_hs_code, subheading

BUNDLED_REGIMES = DATA_DIR / "regimes.csv"
COLUMNS = (
    "regime",
    "effective_from",
    "currency",
    "value_limit",
    "flat_duty_per_subheading",
    "status",
    "note",
)
EU_LOW_VALUE = "EU_LOW_VALUE"
UPU_CN22 = "UPU_CN22"
US_DE_MINIMIS = "US_DE_MINIMIS"
CENT = Decimal("0.01")
_EXACT = Context(prec=28, rounding=ROUND_HALF_EVEN)
_REGIME = re.compile(r"[A-Z][A-Z0-9_]*")
_CURRENCY = re.compile(r"[A-Z]{3}")


class UnknownRegime(ValueError):
    """A regime with no rows, or none in force on the date."""


class RegimeStatus(StrEnum):
    DUTY_FREE = "duty_free"  # within the limit: no customs duty
    FLAT_DUTY = "flat_duty"  # within the limit: a flat duty per distinct subheading
    FORM_LIMIT = "form_limit"  # the limit chooses the declaration form
    SUSPENDED = "suspended"  # no low-value relief at all


@dataclass(frozen=True)
class RegimeRule:
    regime: str
    effective_from: date
    currency: str
    value_limit: Decimal
    flat_duty_per_subheading: Decimal | None
    status: RegimeStatus
    note: str


@dataclass(frozen=True)
class RegimeRules:
    table: Mapping[str, tuple[RegimeRule, ...]]  # regime -> rows in effective_from order
    source: str = "<memory>"

    @classmethod
    def load(cls, path: Path | None = None) -> RegimeRules:
        """The rules in ``path``; without one the bundled file, read once per process."""
        return _bundled() if path is None else _read(path)

    def in_force(self, regime: str, on: date) -> RegimeRule:
        rows = self.table.get(regime)
        if not rows:
            known = ", ".join(sorted(self.table))
            raise UnknownRegime(f"unknown regime {regime!r} (known: {known})")
        index = bisect_right(rows, on, key=lambda row: row.effective_from)
        if index == 0:
            raise UnknownRegime(
                f"no {regime} rule in force on {on.isoformat()}: the first is from "
                f"{rows[0].effective_from.isoformat()}"
            )
        return rows[index - 1]


def convert(
    amount: Decimal,
    currency: str,
    target: str,
    on: date,
    exchange: ExchangeRates | None = None,
) -> Decimal:
    """``amount`` of ``currency`` in ``target``, through the CNY customs rates of ``on``,
    rounded half up to the cent."""
    if not isinstance(amount, Decimal):
        raise TypeError(f"amount must be a Decimal, not {type(amount).__name__}")
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"amount {amount} must be zero or more")
    if currency.upper() == target.upper():
        return amount.quantize(CENT, rounding=ROUND_HALF_UP)
    rates = exchange or ExchangeRates.load()
    with localcontext(_EXACT):
        converted = amount * rates.rate(currency, on) / rates.rate(target, on)
    return converted.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class EuLowValue:
    low_value: bool  # within the EUR 150 limit
    value_eur: Decimal
    subheadings: tuple[str, ...]  # the distinct 6-digit subheadings, sorted
    duty_eur: Decimal | None  # None above the limit: ordinary duty by the tariff
    reason: str
    rule: RegimeRule


def eu_low_value(
    value: Decimal,
    currency: str,
    hs_codes: Iterable[str],
    on: date,
    *,
    rules: RegimeRules | None = None,
    exchange: ExchangeRates | None = None,
) -> EuLowValue:
    """The EU low-value treatment of a consignment of intrinsic ``value`` (goods only,
    without transport and insurance) whose items carry ``hs_codes`` (6, 8 or 10 digits)."""
    rule = (rules or RegimeRules.load()).in_force(EU_LOW_VALUE, on)
    codes = tuple(hs_codes)
    if not codes:
        raise ValueError("a consignment has at least one HS code")
    for code in codes:
        if problem := check_hs_code(code, "EU"):
            raise ValueError(f"HS {code}: {problem}")
    distinct = tuple(sorted({subheading(code) for code in codes}))
    value_eur = convert(value, currency, rule.currency, on, exchange)
    if value_eur > rule.value_limit:
        return EuLowValue(
            False,
            value_eur,
            distinct,
            None,
            f"EUR {value_eur} is over the EUR {rule.value_limit} low-value limit: "
            "ordinary customs duty by the tariff",
            rule,
        )
    if rule.status is RegimeStatus.FLAT_DUTY and rule.flat_duty_per_subheading is not None:
        duty = rule.flat_duty_per_subheading * len(distinct)
        reason = (
            f"low-value consignment: EUR {rule.flat_duty_per_subheading} x {len(distinct)} "
            f"distinct tariff subheading(s) from {rule.effective_from.isoformat()}"
        )
    else:
        duty = Decimal("0.00")
        reason = f"low-value consignment up to EUR {rule.value_limit}: relieved of duty"
    return EuLowValue(True, value_eur, distinct, duty.quantize(CENT), reason, rule)


@dataclass(frozen=True)
class UpuForm:
    form: str  # "CN22" or "CN23"
    value_sdr: Decimal
    reason: str
    rule: RegimeRule


def upu_customs_form(
    value: Decimal,
    currency: str,
    on: date,
    *,
    parcel: bool = False,
    rules: RegimeRules | None = None,
    exchange: ExchangeRates | None = None,
) -> UpuForm:
    """CN22 for a letter-post item up to the SDR limit, else CN23 (always for a parcel)."""
    rule = (rules or RegimeRules.load()).in_force(UPU_CN22, on)
    value_sdr = convert(value, currency, rule.currency, on, exchange)
    if parcel:
        return UpuForm("CN23", value_sdr, "a postal parcel is declared on a CN23", rule)
    if value_sdr <= rule.value_limit:
        return UpuForm("CN22", value_sdr, f"{value_sdr} SDR is within {rule.value_limit} SDR", rule)
    return UpuForm("CN23", value_sdr, f"{value_sdr} SDR is over {rule.value_limit} SDR", rule)


@dataclass(frozen=True)
class DeMinimis:
    available: bool
    value_usd: Decimal
    reason: str
    rule: RegimeRule


def us_de_minimis(
    value: Decimal,
    currency: str,
    on: date,
    *,
    rules: RegimeRules | None = None,
    exchange: ExchangeRates | None = None,
) -> DeMinimis:
    """Whether a US shipment of ``value`` enters duty-free under de minimis on ``on``."""
    rule = (rules or RegimeRules.load()).in_force(US_DE_MINIMIS, on)
    value_usd = convert(value, currency, rule.currency, on, exchange)
    if rule.status is RegimeStatus.SUSPENDED:
        return DeMinimis(
            False,
            value_usd,
            f"de minimis suspended since {rule.effective_from.isoformat()} ({rule.note}): "
            "ordinary duty applies",
            rule,
        )
    if value_usd <= rule.value_limit:
        return DeMinimis(True, value_usd, f"USD {value_usd} within USD {rule.value_limit}", rule)
    return DeMinimis(False, value_usd, f"USD {value_usd} over USD {rule.value_limit}", rule)


def _read(path: Path) -> RegimeRules:
    found: dict[str, dict[date, RegimeRule]] = {}
    for line, row in read_csv_rows(path, COLUMNS):
        where = f"{path}: line {line}"
        regime = row["regime"]
        if not _REGIME.fullmatch(regime):
            raise ValueError(f"{where}: regime {regime!r} is not an upper-case name")
        effective = parse_date(row["effective_from"], "effective_from", where)
        if not _CURRENCY.fullmatch(row["currency"]):
            raise ValueError(f"{where}: currency {row['currency']!r} is not an ISO 4217 code")
        try:
            status = RegimeStatus(row["status"])
        except ValueError:
            known = ", ".join(s.value for s in RegimeStatus)
            raise ValueError(f"{where}: status {row['status']!r} is not one of {known}") from None
        flat_text = row["flat_duty_per_subheading"]
        flat = (
            parse_decimal(flat_text, "flat_duty_per_subheading", where, positive=True)
            if flat_text
            else None
        )
        if (flat is not None) != (status is RegimeStatus.FLAT_DUTY):
            raise ValueError(f"{where}: a flat duty goes with status flat_duty, and only there")
        by_date = found.setdefault(regime, {})
        if effective in by_date:
            raise ValueError(f"{where}: a second {regime} row from {effective.isoformat()}")
        by_date[effective] = RegimeRule(
            regime,
            effective,
            row["currency"],
            parse_decimal(row["value_limit"], "value_limit", where),
            flat,
            status,
            row["note"],
        )
    table = {
        regime: tuple(rule for _, rule in sorted(by_date.items()))
        for regime, by_date in found.items()
    }
    return RegimeRules(table, path.name)


@cache
def _bundled() -> RegimeRules:
    return _read(BUNDLED_REGIMES)
