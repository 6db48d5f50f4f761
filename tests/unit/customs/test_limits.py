"""CBEC limits: CNY 5,000 a transaction, CNY 26,000 a calendar year, the single-item
exception taxed in full, refusals with their reason; limits as dated data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from customs.limits import CbecLimits, Channel, LimitTable, NoLimitsInForce, check_limits

D = Decimal
ON = date(2026, 3, 1)
HEADER = "effective_from,per_transaction_cny,annual_cny,return_apply_days,return_arrive_days"


def test_the_limits_in_force():
    table = LimitTable.load()
    assert table.in_force(ON) == CbecLimits(date(2020, 3, 28), D(5000), D(26000), 30, 45)
    # Before GACC 2020 No. 45 a return had to be back within 30 days.
    assert table.in_force(date(2020, 3, 27)).return_arrive_days == 30
    with pytest.raises(NoLimitsInForce, match="2018-12-31"):
        table.in_force(date(2018, 12, 31))
    assert LimitTable.load() is table


@pytest.mark.parametrize(
    ("value", "items", "used", "channel"),
    [
        ("0.01", 1, "0", Channel.CBEC),
        ("5000.00", 7, "0", Channel.CBEC),  # the limit itself is within
        ("5000.01", 1, "0", Channel.FULL_TAX),
        ("5000.01", 2, "0", Channel.REFUSED),
        ("2000.00", 3, "24000.00", Channel.CBEC),  # exactly up to the annual limit
        ("2000.01", 3, "24000.00", Channel.REFUSED),
        ("6000.00", 1, "20000.00", Channel.FULL_TAX),  # the annual limit again exactly
        ("6000.00", 1, "20000.01", Channel.REFUSED),
        ("26000.00", 1, "0", Channel.FULL_TAX),
        ("26000.01", 1, "0", Channel.REFUSED),
        ("100.00", 1, "27000.00", Channel.REFUSED),  # used beyond the limit somehow
    ],
)
def test_the_channel(value, items, used, channel):
    decision = check_limits(D(value), items, D(used), ON)
    assert decision.channel is channel
    assert decision.allowed is (channel is not Channel.REFUSED)
    assert decision.counts_toward_annual is decision.allowed


def test_the_reasons_say_what_was_exceeded():
    single = check_limits(D("5200.00"), 1, D(0), ON)
    assert "taxed in full" in single.reason
    assert "counted toward the 2026 annual total" in single.reason
    many = check_limits(D("5200.00"), 2, D(0), ON)
    assert "5000 per-transaction limit" in many.reason
    assert "only a single item" in many.reason
    annual = check_limits(D("3000.00"), 2, D("25000.00"), ON)
    assert "2026 annual CBEC remainder of CNY 1000.00" in annual.reason
    assert "not allowed through the cross-border retail channel" in annual.reason


def test_the_annual_remainder_after_the_order():
    decision = check_limits(D("1234.56"), 2, D("10000.00"), ON)
    assert decision.annual_remaining == D("16000.00")
    assert decision.annual_remaining_after == D("14765.44")
    refused = check_limits(D("5200.00"), 2, D("10000.00"), ON)
    assert refused.annual_remaining_after == refused.annual_remaining


def test_the_value_is_rounded_to_the_fen():
    assert check_limits(D("5000.004"), 2, D(0), ON).channel is Channel.CBEC
    assert check_limits(D("5000.004"), 2, D(0), ON).value == D("5000.00")


def test_bad_input_is_refused_loudly():
    with pytest.raises(TypeError):
        check_limits(5000.0, 1, D(0), ON)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="zero or more"):
        check_limits(D(-1), 1, D(0), ON)
    with pytest.raises(ValueError, match="at least one item"):
        check_limits(D(1), 0, D(0), ON)


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "limits.csv"
    path.write_text("\n".join((HEADER, *lines)) + "\n", encoding="utf-8")
    return path


def test_a_limit_change_applies_from_its_date(tmp_path):
    table = LimitTable.load(
        write(tmp_path, "2027-01-01,8000,30000,30,45", "2019-01-01,5000,26000,30,45")
    )
    assert check_limits(D("6000"), 2, D(0), date(2026, 12, 31), table).channel is Channel.REFUSED
    assert check_limits(D("6000"), 2, D(0), date(2027, 1, 1), table).channel is Channel.CBEC
    assert check_limits(D("3000"), 1, D(28000), date(2027, 1, 1), table).allowed is False


@pytest.mark.parametrize(
    ("bad_row", "complaint"),
    [
        ("2027-01-01,0,26000,30,45", "above zero"),
        ("2027-01-01,30000,26000,30,45", "above annual_cny"),
        ("2027-01-01,5000,26000,thirty,45", "whole number of days"),
        ("2027/01/01,5000,26000,30,45", "YYYY-MM-DD"),
        ("2019-01-01,5000,26000,30,45", "a second row"),
    ],
)
def test_a_bad_row_names_its_line(tmp_path, bad_row, complaint):
    with pytest.raises(ValueError, match="line 3") as raised:
        LimitTable.load(write(tmp_path, "2019-01-01,5000,26000,30,45", bad_row))
    assert complaint in str(raised.value)
