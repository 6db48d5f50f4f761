"""`flask loans mark-overdue`: what the hourly job does, run by hand, on the real clock.

Loans are made with the services at a past instant so that their due date has passed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from tests import factories as f
from wms.db import Database
from wms.models import ItemCondition, LoanEvent, Notice
from wms.services import loans

PAST = datetime.now(UTC) - timedelta(days=40)


@pytest.fixture
def warehouse(db: Database) -> Database:
    f.build_warehouse(db)
    f.declare(db, "ED-1", (f.MILK.sku, 100))
    f.receive(db, "ED-1", f.MILK.sku, "L1", 100)
    f.putaway(db, f.MILK.sku, "L1", 100, to=f.BINS[0])
    return db


def mark_overdue(app: Flask) -> str:
    result = app.test_cli_runner().invoke(args=["loans", "mark-overdue"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def lent(db: Database, quantity: int, *, out: int, due_in: int = 10, back: int = 0, at=PAST) -> str:
    """A loan requested and approved at ``at``, due ``due_in`` days later, with ``out``
    units scanned out and ``back`` of them returned, all at that time."""
    with db.transaction() as s:
        number = loans.request_loan(
            s,
            loans.LoanRequest(
                f.SHOWROOM,
                at.date() + timedelta(days=due_in),
                (loans.LoanItemInput(f.MILK.sku, "L1", quantity),),
                "merchandiser",
            ),
            at=at,
        ).number
        loans.approve_loan(
            s,
            number,
            approved_by="customs officer",
            guarantee_reference="BG-1",
            guarantee_expires=at.date() + timedelta(days=90),
            at=at,
        )
    if out:
        with db.transaction() as s:
            scan = loans.ScanOut(number, f.MILK.sku, "L1", out, f.BINS[0], f.key("out"), "loader")
            loans.scan_out(s, scan, at=at)
    if back:
        with db.transaction() as s:
            scan_back = loans.ScanReturn(
                number,
                f.MILK.sku,
                "L1",
                back,
                ItemCondition.GOOD,
                f.key("back"),
                "clerk",
                f.BINS[0],
            )
            loans.scan_return(s, scan_back, at=at)
    return number


def test_a_fresh_database_has_nothing_overdue(app: Flask):
    assert mark_overdue(app) == "overdue: none newly"


def test_a_loan_past_due_is_flagged_once(app: Flask, warehouse: Database):
    number = lent(warehouse, 3, out=3)
    assert mark_overdue(app) == f"overdue: {number}"
    assert mark_overdue(app) == "overdue: none newly"
    with warehouse.reading() as s:
        notices = s.scalars(select(Notice).where(Notice.kind == "loan_overdue")).all()
        assert [(n.subject, n.acknowledged_at) for n in notices] == [(number, None)]
        assert "3 unit(s)" in notices[0].message
        loan = loans.loan_by_number(s, number)
        assert loan.overdue_since is not None
        overdue = s.scalars(select(LoanEvent).where(LoanEvent.kind == "overdue")).all()
        assert [(e.loan_id, e.actor) for e in overdue] == [(loan.id, "scheduler")]


def test_several_loans_are_flagged_together_in_number_order(app: Flask, warehouse: Database):
    first = lent(warehouse, 2, out=1)  # partly out: still approved, goods on display
    second = lent(warehouse, 2, out=2)
    assert mark_overdue(app) == f"overdue: {first}, {second}"


def test_what_is_not_out_or_not_yet_due_is_not_flagged(app: Flask, warehouse: Database):
    lent(warehouse, 2, out=0)  # approved, nothing went out
    lent(warehouse, 2, out=2, back=2)  # everything came back: closed
    lent(warehouse, 2, out=1, back=1)  # what went out came back: closed too
    lent(warehouse, 2, out=2, due_in=60)  # due in 20 days
    lent(warehouse, 2, out=2, due_in=40)  # due today
    assert mark_overdue(app) == "overdue: none newly"


def test_an_extension_clears_the_flag_until_the_new_date_passes(app: Flask, warehouse: Database):
    number = lent(warehouse, 2, out=2)
    assert mark_overdue(app) == f"overdue: {number}"
    with warehouse.transaction() as s:
        loans.extend_due_date(
            s,
            number,
            new_due_date=datetime.now(UTC).date() + timedelta(days=5),
            reason="window",
            actor="planner",
        )
    with warehouse.reading() as s:
        assert loans.loan_by_number(s, number).overdue_since is None
    assert mark_overdue(app) == "overdue: none newly"


def test_the_loans_commands_are_listed(app: Flask):
    result = app.test_cli_runner().invoke(args=["loans", "--help"])
    assert result.exit_code == 0
    assert "mark-overdue" in result.output
