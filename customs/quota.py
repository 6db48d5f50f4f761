"""The per-consignee CBEC annual quota, keyed by ID number: pure ledger logic.

Each consignee may import CNY 26,000 (the limit in force, customs.limits) per calendar
year through the cross-border retail channel.  The ledger is a list of entries:

- a DEBIT when an inventory list is cleared, for its dutiable value, counted in the
  calendar year of the clearance date (an order declared on 31 December and cleared on
  2 January counts in the new year);
- a CREDIT when a return is accepted: applied for within 30 days of release and back in
  the zone within 45 days (the windows in force on the release date).  It restores quota
  in the year of the debit it returns (a December order returned in January gives back
  December's year), never more than that debit less its earlier credits, so a partial
  return credits its own amount.

So the amount used in a year is never below zero, and a debit that would take it above
the annual limit is refused: the ledger never holds more than the limit.  Amounts are
Decimal CNY to the fen; the database table (wms) stores the entries as they are.

Public API:
    EntryKind: DEBIT | CREDIT
    QuotaEntry(kind, reference, amount, on, year, debit_reference="")
    ReturnRequest(reference, debit_reference, amount, released_on, applied_on, back_in_zone_on)
    check_return_window(released_on, applied_on, back_in_zone_on, limits=None) -> str | None
    QuotaCheck(allowed, reason, year, limit, used, remaining, remaining_after)
    QuotaLedger(id_number, entries=())
        .used(year) -> Decimal;  .remaining(on, limits=None) -> Decimal
        .check(amount, on, limits=None) -> QuotaCheck
        .debit(reference, amount, cleared_on, limits=None) -> (QuotaLedger, QuotaEntry)
        .credit_return(request, limits=None) -> (QuotaLedger, QuotaEntry)
    QuotaRefused, ReturnRefused (ValueError)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from customs.identity import normalize_id
from customs.limits import LimitTable

FEN = Decimal("0.01")
ZERO = Decimal("0.00")


class QuotaRefused(ValueError):
    """A debit the annual quota cannot take."""


class ReturnRefused(ValueError):
    """A return that restores no quota: outside the windows, or more than was debited."""


class EntryKind(StrEnum):
    DEBIT = "debit"
    CREDIT = "credit"


@dataclass(frozen=True)
class QuotaEntry:
    kind: EntryKind
    reference: str  # debit: the inventory list number; credit: the return's reference
    amount: Decimal  # CNY, above zero, to the fen
    on: date  # debit: cleared on; credit: back in the zone on
    year: int  # the calendar year whose quota the entry moves
    debit_reference: str = ""  # credit: the debit it gives back


@dataclass(frozen=True)
class ReturnRequest:
    reference: str
    debit_reference: str  # the inventory list whose goods come back
    amount: Decimal  # the dutiable value of the goods returned, CNY
    released_on: date  # customs release of that inventory list
    applied_on: date
    back_in_zone_on: date


@dataclass(frozen=True)
class QuotaCheck:
    allowed: bool
    reason: str
    year: int
    limit: Decimal
    used: Decimal
    remaining: Decimal  # before the amount
    remaining_after: Decimal  # after the amount if allowed, else == remaining


def check_return_window(
    released_on: date,
    applied_on: date,
    back_in_zone_on: date,
    limits: LimitTable | None = None,
) -> str | None:
    """None if a return restores quota, else the reason (windows in force on release)."""
    windows = (limits or LimitTable.load()).in_force(released_on)
    if applied_on < released_on or back_in_zone_on < released_on:
        return "a return cannot be applied for or arrive before the release"
    applied_after = (applied_on - released_on).days
    if applied_after > windows.return_apply_days:
        return (
            f"the return was applied for {applied_after} days after the release on "
            f"{released_on.isoformat()}: the limit is {windows.return_apply_days} days"
        )
    back_after = (back_in_zone_on - released_on).days
    if back_after > windows.return_arrive_days:
        return (
            f"the goods were back in the zone {back_after} days after the release on "
            f"{released_on.isoformat()}: the limit is {windows.return_arrive_days} days"
        )
    return None


def _amount(amount: Decimal) -> Decimal:
    if not isinstance(amount, Decimal):
        raise TypeError(f"a quota amount must be a Decimal, not {type(amount).__name__}")
    if not amount.is_finite() or amount <= 0:
        raise ValueError(f"a quota amount must be above zero, not {amount}")
    if amount != amount.quantize(FEN):
        raise ValueError(f"a quota amount is to the fen, not {amount}")
    return amount.quantize(FEN)


@dataclass(frozen=True)
class QuotaLedger:
    """One consignee's entries over the years; new entries give a new ledger."""

    id_number: str
    entries: tuple[QuotaEntry, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "id_number", normalize_id(self.id_number))

    def used(self, year: int) -> Decimal:
        """Debits less credits of ``year``."""
        total = ZERO
        for entry in self.entries:
            if entry.year == year:
                total += entry.amount if entry.kind is EntryKind.DEBIT else -entry.amount
        return total

    def remaining(self, on: date, limits: LimitTable | None = None) -> Decimal:
        limit = (limits or LimitTable.load()).in_force(on).annual
        return max(limit - self.used(on.year), ZERO)

    def check(self, amount: Decimal, on: date, limits: LimitTable | None = None) -> QuotaCheck:
        """Whether ``amount`` fits the quota of the calendar year of ``on``."""
        amount = _amount(amount)
        limit = (limits or LimitTable.load()).in_force(on).annual
        used = self.used(on.year)
        remaining = max(limit - used, ZERO)
        if amount > remaining:
            return QuotaCheck(
                False,
                f"CNY {amount} exceeds the {on.year} annual remainder of CNY {remaining} for "
                f"ID {self.id_number} (limit CNY {limit}, used CNY {used})",
                on.year,
                limit,
                used,
                remaining,
                remaining,
            )
        return QuotaCheck(
            True,
            f"CNY {amount} fits the {on.year} annual remainder of CNY {remaining}",
            on.year,
            limit,
            used,
            remaining,
            remaining - amount,
        )

    def debit(
        self,
        reference: str,
        amount: Decimal,
        cleared_on: date,
        limits: LimitTable | None = None,
    ) -> tuple[QuotaLedger, QuotaEntry]:
        """Debit a cleared inventory list; raises QuotaRefused if the year cannot take it
        or the list was already debited (a retried clearance must not count twice)."""
        if any(e.kind is EntryKind.DEBIT and e.reference == reference for e in self.entries):
            raise QuotaRefused(f"inventory list {reference} is already debited")
        outcome = self.check(amount, cleared_on, limits)
        if not outcome.allowed:
            raise QuotaRefused(outcome.reason)
        entry = QuotaEntry(EntryKind.DEBIT, reference, _amount(amount), cleared_on, cleared_on.year)
        return QuotaLedger(self.id_number, (*self.entries, entry)), entry

    def credit_return(
        self, request: ReturnRequest, limits: LimitTable | None = None
    ) -> tuple[QuotaLedger, QuotaEntry]:
        """Credit an accepted return to the year of its debit; raises ReturnRefused."""
        amount = _amount(request.amount)
        if any(
            e.kind is EntryKind.CREDIT and e.reference == request.reference for e in self.entries
        ):
            raise ReturnRefused(f"return {request.reference} is already credited")
        debit = next(
            (
                e
                for e in self.entries
                if e.kind is EntryKind.DEBIT and e.reference == request.debit_reference
            ),
            None,
        )
        if debit is None:
            raise ReturnRefused(
                f"no debit of inventory list {request.debit_reference} for ID {self.id_number}"
            )
        if problem := check_return_window(
            request.released_on, request.applied_on, request.back_in_zone_on, limits
        ):
            raise ReturnRefused(problem)
        credited = sum(
            (
                e.amount
                for e in self.entries
                if e.kind is EntryKind.CREDIT and e.debit_reference == debit.reference
            ),
            ZERO,
        )
        returnable = debit.amount - credited
        if amount > returnable:
            raise ReturnRefused(
                f"CNY {amount} is more than the CNY {returnable} of inventory list "
                f"{debit.reference} not yet returned"
            )
        entry = QuotaEntry(
            EntryKind.CREDIT,
            request.reference,
            amount,
            request.back_in_zone_on,
            debit.year,
            debit.reference,
        )
        return QuotaLedger(self.id_number, (*self.entries, entry)), entry
