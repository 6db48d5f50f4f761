"""The per-consignee annual quota ledger: debits at clearance, credits for returns in
time, calendar years apart, never below zero nor above the limit."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from customs.quota import (
    EntryKind,
    QuotaEntry,
    QuotaLedger,
    QuotaRefused,
    ReturnRefused,
    ReturnRequest,
    check_return_window,
)

D = Decimal
ID = "11010519491231002X"


def ledger_with(*debits: tuple[str, str, date]) -> QuotaLedger:
    ledger = QuotaLedger(ID)
    for reference, amount, on in debits:
        ledger, _ = ledger.debit(reference, D(amount), on)
    return ledger


def a_return(reference: str, debit: str, amount: str, released: date, **days: int) -> ReturnRequest:
    return ReturnRequest(
        reference,
        debit,
        D(amount),
        released,
        released + timedelta(days=days.get("applied", 3)),
        released + timedelta(days=days.get("back", 10)),
    )


def test_a_debit_is_an_entry_of_the_clearance_year():
    ledger, entry = QuotaLedger(ID.lower()).debit("L1", D("1500.00"), date(2026, 3, 1))
    assert entry == QuotaEntry(EntryKind.DEBIT, "L1", D("1500.00"), date(2026, 3, 1), 2026)
    assert ledger.id_number == ID  # keyed by the normalized ID number
    assert ledger.entries == (entry,)
    assert ledger.used(2026) == D("1500.00")
    assert ledger.remaining(date(2026, 12, 31)) == D("24500.00")


def test_the_check_says_allowed_or_refused_with_the_balance():
    ledger = ledger_with(("L1", "25000.00", date(2026, 2, 1)))
    fits = ledger.check(D("1000.00"), date(2026, 5, 1))
    assert (fits.allowed, fits.used, fits.remaining, fits.remaining_after) == (
        True,
        D("25000.00"),
        D("1000.00"),
        D("0.00"),
    )
    over = ledger.check(D("1000.01"), date(2026, 5, 1))
    assert not over.allowed
    assert over.remaining_after == over.remaining == D("1000.00")
    assert "2026 annual remainder of CNY 1000.00" in over.reason
    assert ID in over.reason


def test_a_debit_over_the_limit_is_refused_and_changes_nothing():
    ledger = ledger_with(("L1", "25000.00", date(2026, 2, 1)))
    with pytest.raises(QuotaRefused, match=r"remainder of CNY 1000\.00"):
        ledger.debit("L2", D("1000.01"), date(2026, 5, 1))
    assert ledger.used(2026) == D("25000.00")
    full, _ = ledger.debit("L2", D("1000.00"), date(2026, 5, 1))
    assert full.used(2026) == D("26000.00")


def test_the_same_inventory_list_is_debited_once():
    ledger = ledger_with(("L1", "100.00", date(2026, 2, 1)))
    with pytest.raises(QuotaRefused, match="L1 is already debited"):
        ledger.debit("L1", D("100.00"), date(2026, 2, 1))


def test_each_calendar_year_has_its_own_quota():
    ledger = ledger_with(
        ("L1", "26000.00", date(2026, 12, 31)),
        ("L2", "5000.00", date(2027, 1, 1)),
    )
    assert (ledger.used(2026), ledger.used(2027)) == (D("26000.00"), D("5000.00"))
    assert ledger.remaining(date(2027, 6, 1)) == D("21000.00")
    assert ledger.remaining(date(2025, 6, 1)) == D("26000.00")


def test_a_return_credits_the_year_of_its_debit_even_in_the_next_year():
    released = date(2026, 12, 20)
    ledger = ledger_with(("L1", "20000.00", released), ("L2", "3000.00", date(2027, 1, 3)))
    ledger, credit = ledger.credit_return(a_return("R1", "L1", "20000.00", released, back=20))
    assert credit == QuotaEntry(
        EntryKind.CREDIT, "R1", D("20000.00"), date(2027, 1, 9), 2026, debit_reference="L1"
    )
    assert ledger.used(2026) == D("0.00")
    assert ledger.used(2027) == D("3000.00")


def test_partial_returns_credit_no_more_than_was_debited():
    released = date(2026, 4, 1)
    ledger = ledger_with(("L1", "900.00", released))
    ledger, _ = ledger.credit_return(a_return("R1", "L1", "300.00", released))
    assert ledger.used(2026) == D("600.00")
    with pytest.raises(ReturnRefused, match=r"more than the CNY 600.00 of inventory list L1"):
        ledger.credit_return(a_return("R2", "L1", "600.01", released))
    ledger, _ = ledger.credit_return(a_return("R2", "L1", "600.00", released))
    assert ledger.used(2026) == D("0.00")
    with pytest.raises(ReturnRefused, match="R2 is already credited"):
        ledger.credit_return(a_return("R2", "L1", "1.00", released))
    with pytest.raises(ReturnRefused, match="no debit of inventory list L9"):
        ledger.credit_return(a_return("R3", "L9", "1.00", released))


@pytest.mark.parametrize(
    ("applied", "back", "problem"),
    [
        (30, 45, None),
        (0, 0, None),
        (31, 40, "applied for 31 days after the release on 2026-04-01: the limit is 30"),
        (10, 46, "back in the zone 46 days after the release on 2026-04-01: the limit is 45"),
        (-1, 10, "before the release"),
    ],
)
def test_the_return_windows(applied, back, problem):
    released = date(2026, 4, 1)
    outcome = check_return_window(
        released, released + timedelta(days=applied), released + timedelta(days=back)
    )
    if problem is None:
        assert outcome is None
    else:
        assert problem in outcome
    if problem:
        ledger = ledger_with(("L1", "100.00", released))
        with pytest.raises(ReturnRefused, match=re.escape(problem)):
            ledger.credit_return(
                a_return("R1", "L1", "100.00", released, applied=applied, back=back)
            )


def test_the_windows_are_those_in_force_on_the_release_date():
    # Released before GACC 2020 No. 45: back within 30 days, not 45.
    released = date(2020, 3, 1)
    late = check_return_window(released, released, released + timedelta(days=31))
    assert "the limit is 30 days" in late


@pytest.mark.parametrize("amount", [D(0), D("-1.00"), D("1.001"), D("NaN")])
def test_amounts_are_positive_and_to_the_fen(amount):
    with pytest.raises(ValueError):
        QuotaLedger(ID).debit("L1", amount, date(2026, 1, 1))


YEAR_DAYS = st.dates(min_value=date(2026, 1, 1), max_value=date(2027, 12, 31))
AMOUNTS = st.integers(min_value=1, max_value=3_000_000).map(lambda fen: D(fen) / 100)
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("debit"), AMOUNTS, YEAR_DAYS),
        st.tuples(st.just("return"), AMOUNTS, st.integers(0, 50), st.integers(0, 60)),
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(OPERATIONS)
def test_the_ledger_never_goes_below_zero_nor_above_the_limit(operations):
    ledger = QuotaLedger(ID)
    debits: list[QuotaEntry] = []
    for number, operation in enumerate(operations):
        try:
            if operation[0] == "debit":
                _, amount, on = operation
                ledger, entry = ledger.debit(f"L{number}", amount, on)
                debits.append(entry)
            elif debits:
                _, amount, applied, back = operation
                debit = debits[number % len(debits)]
                request = ReturnRequest(
                    f"R{number}",
                    debit.reference,
                    amount,
                    debit.on,
                    debit.on + timedelta(days=applied),
                    debit.on + timedelta(days=back),
                )
                ledger, _ = ledger.credit_return(request)
        except (QuotaRefused, ReturnRefused):
            pass
        for year in (2026, 2027):
            assert D(0) <= ledger.used(year) <= D(26000)
