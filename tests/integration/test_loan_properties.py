"""Property test: loaned stock leaves a showroom only by its loan's own return or
write-off, whatever one tries.

A state machine requests, approves, scans out and scans back display loans (valid and
invalid: wrong quantities, wrong bins, over-returns, replays and reused keys), extends
them and runs the overdue job at random times, and in between attacks the showrooms:
the poster with every move reason from a showroom to every other place and into it
from everywhere, putaways and transfers from and to a showroom, and reversals of the
loans' own movements.  After every step:

- the stock everywhere equals what a plain-Python model of the same steps expects;
- a showroom holds, lot by lot, exactly what its loans say is on display
  (out - returned - written off, read from the loan items themselves);
- the loan items and statuses are the model's;
- the account book reconciles, and its "on display loan" column is the showroom stock;
- no showroom stock is ever sellable.

The poster itself cannot tell a loan's own movement from any other caller using the
same reasons (a loan-out into a showroom, a loan return to a bonded bin or dock, a
write-off to scrap): those are what the loan service posts, so the attacks skip them
and use every other reason and place.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import select

from tests import factories as f
from tests.conftest import wipe
from wms.db import Database
from wms.models import (
    ItemCondition,
    Loan,
    LoanItem,
    LoanStatus,
    Location,
    LocationKind,
    Lot,
    MoveReason,
    Quant,
)
from wms.services import account_book, catalog, inbound, ledger, loans, stock, unit_of_work
from wms.services.errors import ServiceError
from wms.services.ledger import MoveLine

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SHOWROOM_2 = "SHA1-SHOW-2"
SHOWROOMS = (f.SHOWROOM, SHOWROOM_2)
LENDING_BINS = f.BINS  # bonded, sellable: where loan goods leave from
RETURN_PLACES = (f.DOCK, *f.BINS, f.QUARANTINE)  # bonded bins and dock: where they come back
PHYSICAL = (f.DOCK, *f.BINS, f.QUARANTINE, f.DOMESTIC_BIN, *SHOWROOMS)
SCRAP = "SHA1-V-SCRAP"
VIRTUAL = ("SHA1-V-SUPPLIER", "SHA1-V-CUSTOMER", SCRAP, "SHA1-V-COUNT_DIFF", "SHA1-V-DOMESTIC")
LOTS = ((f.MILK.sku, "L1"), (f.MILK.sku, "L2"), (f.SERUM.sku, "S1"))
NO_LOT = (f.SERUM.sku, "S9")  # never received
LINE_OF = {f.MILK.sku: 1, f.SERUM.sku: 2}  # entry-declaration line per product
ACTORS = ("ann", "bob")
AUTO = "auto"  # let the rule pick a choice that can work

OPEN = {LoanStatus.OUT, LoanStatus.PARTLY_RETURNED}
EXTENDABLE = OPEN | {LoanStatus.APPROVED, LoanStatus.REQUESTED}

quantities = st.integers(min_value=-1, max_value=6)
picks = st.integers(min_value=0, max_value=99)
# -1: a loan the step can work on, when there is one
loan_picks = st.one_of(st.just(-1), st.just(-1), picks)


@dataclass
class Item:
    quantity: int
    out: int = 0
    returned: int = 0
    written_off: int = 0

    @property
    def on_display(self) -> int:
        return self.out - self.returned - self.written_off


@dataclass
class ModelLoan:
    number: str
    showroom: str
    requested_by: str
    due: date
    items: dict[tuple[str, str], Item]
    status: LoanStatus = LoanStatus.REQUESTED
    out: bool = False  # something has gone out
    overdue: bool = False


@dataclass
class Scan:
    kind: str  # out | return
    data: Any  # loans.ScanOut | loans.ScanReturn
    result: dict[str, Any] = field(default_factory=dict)


def make_machine(database_url: str) -> type[RuleBasedStateMachine]:
    class LoanMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.db = Database(database_url)
            wipe(self.db)
            self.now = T0
            self.keys = 0
            self.stock: dict[tuple[str, str, str], int] = defaultdict(int)
            self.loans: list[ModelLoan] = []
            self.loan_operations: list[int] = []
            self.scans: list[Scan] = []
            self._build()

        # --- set-up ---------------------------------------------------------------------

        def _build(self) -> None:
            f.build_warehouse(self.db)
            with self.db.transaction() as s:
                catalog.create_location(
                    s,
                    catalog.LocationInput(
                        f.WAREHOUSE, "SHOW-2", LocationKind.SHOWROOM, zone_code="S"
                    ),
                )
            f.declare(self.db, "ED-P", (f.MILK.sku, 80), (f.SERUM.sku, 60))
            for sku, lot, quantity in ((f.MILK.sku, "L1", 40), (f.MILK.sku, "L2", 10)):
                f.receive(self.db, "ED-P", sku, lot, quantity)
                self.stock[(sku, lot, f.DOCK)] += quantity
            f.receive(self.db, "ED-P", f.SERUM.sku, "S1", 40)
            self.stock[(f.SERUM.sku, "S1", f.DOCK)] += 40
            for sku, lot, quantity, to in (
                (f.MILK.sku, "L1", 20, f.BINS[0]),
                (f.MILK.sku, "L1", 10, f.BINS[1]),
                (f.MILK.sku, "L1", 5, f.QUARANTINE),
                (f.MILK.sku, "L2", 10, f.BINS[1]),
                (f.SERUM.sku, "S1", 20, f.BINS[2]),
                (f.SERUM.sku, "S1", 15, f.BINS[1]),
            ):
                f.putaway(self.db, sku, lot, quantity, to=to)
                self.stock[(sku, lot, f.DOCK)] -= quantity
                self.stock[(sku, lot, to)] += quantity
            with self.db.reading() as s:
                self.location_ids = dict(
                    s.execute(select(Location.barcode, Location.id)).tuples().all()
                )
                self.lot_ids = {
                    (sku, lot): s.scalar(
                        select(Lot.id).where(Lot.lot_number == lot, Lot.product.has(sku=sku))
                    )
                    for sku, lot in LOTS
                }
            # 2 milk released to a duty-paid bin: stock outside the bonded account too
            self._post(MoveReason.RELEASE, [(f.MILK.sku, "L1", 2, f.DOCK, f.DOMESTIC_BIN)])
            self.stock[(f.MILK.sku, "L1", f.DOCK)] -= 2
            self.stock[(f.MILK.sku, "L1", f.DOMESTIC_BIN)] += 2
            # loans already on display in both showrooms, so attacks have goods to aim at
            first = self._request(
                f.SHOWROOM, [((f.MILK.sku, "L1"), 4), ((f.SERUM.sku, "S1"), 3)], 20, "ann"
            )
            second = self._request(SHOWROOM_2, [((f.MILK.sku, "L2"), 3)], 10, "ann")
            assert first is not None and second is not None
            for loan in (first, second):
                assert self._approve(loan, "bob", 30)
            assert self._out(first, (f.MILK.sku, "L1"), 4, f.BINS[0])
            assert self._out(first, (f.SERUM.sku, "S1"), 2, f.BINS[2])
            assert self._out(second, (f.MILK.sku, "L2"), 2, f.BINS[1])

        def teardown(self) -> None:
            self.db.dispose()

        # --- helpers ---------------------------------------------------------------------

        def key(self) -> str:
            self.keys += 1
            return f"loanprop-{self.keys}"

        def attempt(self, work: Any, expect_ok: bool, what: str) -> Any:
            try:
                result = unit_of_work.run(self.db, work)
            except ServiceError as exc:
                assert not expect_ok, f"a valid step was refused: {what}: {exc.message}"
                return None
            assert expect_ok, f"an invalid step was accepted: {what}"
            return result

        def _post(self, reason: MoveReason, moves: list[tuple[str, str, int, str, str]]) -> None:
            key = self.key()
            lines = [
                MoveLine(
                    self.lot_ids[(sku, lot)], qty, self.location_ids[src], self.location_ids[dst]
                )
                for sku, lot, qty, src, dst in moves
            ]
            with self.db.transaction() as s:
                ledger.post(
                    s,
                    idempotency_key=key,
                    fingerprint=key,
                    kind="setup",
                    reason=reason,
                    actor="setup",
                    lines=lines,
                )

        def free_in_bins(self, lot: tuple[str, str]) -> int:
            return sum(self.stock[(*lot, b)] for b in LENDING_BINS)

        def pick_loan(self, pick: int, fits: Any = None) -> ModelLoan | None:
            if pick < 0 and fits is not None:
                fitting = [loan for loan in self.loans if fits(loan)]
                if fitting:
                    return fitting[self.keys % len(fitting)]
            return self.loans[pick % len(self.loans)] if self.loans else None

        def _request(
            self,
            showroom: str,
            wanted: list[tuple[tuple[str, str], int]],
            due_in: int,
            actor: str,
        ) -> ModelLoan | None:
            due = self.now.date() + timedelta(days=due_in)
            lots = [lot for lot, _ in wanted]
            ok = (
                showroom in SHOWROOMS
                and due > self.now.date()
                and bool(wanted)
                and len(set(lots)) == len(lots)
                and all(lot != NO_LOT and 0 < qty <= self.free_in_bins(lot) for lot, qty in wanted)
            )
            data = loans.LoanRequest(
                showroom_barcode=showroom,
                due_date=due,
                items=tuple(loans.LoanItemInput(sku, lot, qty) for (sku, lot), qty in wanted),
                requested_by=actor,
            )
            at = self.now
            number = self.attempt(
                lambda s: loans.request_loan(s, data, at=at).number, ok, f"request {data}"
            )
            if number is None:
                return None
            loan = ModelLoan(number, showroom, actor, due, {lot: Item(qty) for lot, qty in wanted})
            self.loans.append(loan)
            return loan

        def _approve(self, loan: ModelLoan, approver: str, expires_in: int) -> bool:
            ok = loan.status is LoanStatus.REQUESTED and approver != loan.requested_by
            at = self.now
            done = self.attempt(
                lambda s: (
                    loans.approve_loan(
                        s,
                        loan.number,
                        approved_by=approver,
                        guarantee_reference="BG-1",
                        guarantee_expires=at.date() + timedelta(days=expires_in),
                        at=at,
                    ).number
                ),
                ok,
                f"approve {loan.number} by {approver}",
            )
            if done:
                loan.status = LoanStatus.APPROVED
            return bool(done)

        def _out(self, loan: ModelLoan, lot: tuple[str, str], qty: int, source: str) -> bool:
            item = loan.items.get(lot)
            ok = (
                loan.status in (LoanStatus.APPROVED, LoanStatus.OUT)
                and item is not None
                and qty > 0
                and item.out + qty <= item.quantity
                and source in LENDING_BINS
                and self.stock[(*lot, source)] >= qty
            )
            data = loans.ScanOut(loan.number, *lot, qty, source, self.key(), "loader")
            at = self.now
            result = self.attempt(lambda s: loans.scan_out(s, data, at=at), ok, f"{data}")
            if result is None:
                return False
            assert result["replayed"] is False
            assert item is not None
            item.out += qty
            loan.out = True
            self.stock[(*lot, source)] -= qty
            self.stock[(*lot, loan.showroom)] += qty
            if all(i.out == i.quantity for i in loan.items.values()):
                loan.status = LoanStatus.OUT
            self.loan_operations.append(result["operation_id"])
            self.scans.append(Scan("out", data, result))
            return True

        def _back(
            self,
            loan: ModelLoan,
            lot: tuple[str, str],
            qty: int,
            condition: ItemCondition,
            to: str | None,
        ) -> bool:
            item = loan.items.get(lot)
            ok = (
                item is not None
                and 0 < qty <= item.on_display
                and (condition is not ItemCondition.GOOD or to in RETURN_PLACES)
            )
            data = loans.ScanReturn(loan.number, *lot, qty, condition, self.key(), "clerk", to)
            at = self.now
            result = self.attempt(lambda s: loans.scan_return(s, data, at=at), ok, f"{data}")
            if result is None:
                return False
            assert item is not None
            self.stock[(*lot, loan.showroom)] -= qty
            if condition is ItemCondition.GOOD:
                assert to is not None
                item.returned += qty
                self.stock[(*lot, to)] += qty
            else:
                item.written_off += qty
            if any(i.on_display for i in loan.items.values()):
                loan.status = LoanStatus.PARTLY_RETURNED
            elif any(i.written_off for i in loan.items.values()):
                loan.status = LoanStatus.CLOSED_WITH_WRITE_OFF
            else:
                loan.status = LoanStatus.RETURNED
            assert result["status"] == loan.status.value
            self.loan_operations.append(result["operation_id"])
            self.scans.append(Scan("return", data, result))
            return True

        # --- the loans' own life --------------------------------------------------------

        @rule(
            showroom=st.sampled_from((*SHOWROOMS, f.BINS[0])),
            wanted=st.one_of(
                # most requests can be granted; some ask for what cannot be
                st.lists(
                    st.tuples(st.sampled_from(LOTS), st.integers(1, 8)),
                    min_size=1,
                    max_size=3,
                    unique_by=lambda pair: pair[0],
                ),
                st.lists(
                    st.tuples(st.sampled_from((*LOTS, NO_LOT)), st.integers(-1, 60)), max_size=3
                ),
            ),
            due_in=st.integers(min_value=-1, max_value=30),
            actor=st.sampled_from(ACTORS),
            approve_now=st.booleans(),
        )
        def request(
            self,
            showroom: str,
            wanted: list[tuple[tuple[str, str], int]],
            due_in: int,
            actor: str,
            approve_now: bool,
        ) -> None:
            loan = self._request(showroom, wanted, due_in, actor)
            if loan is not None and approve_now:
                self._approve(loan, next(a for a in ACTORS if a != actor), due_in + 5)

        @rule(
            pick=loan_picks,
            same_actor=st.sampled_from((False, False, True)),
            expires_in=st.integers(0, 60),
        )
        def approve(self, pick: int, same_actor: bool, expires_in: int) -> None:
            if loan := self.pick_loan(pick, lambda loan: loan.status is LoanStatus.REQUESTED):
                others = [a for a in ACTORS if a != loan.requested_by]
                approver = loan.requested_by if same_actor else others[0]
                self._approve(loan, approver, expires_in)

        @rule(
            pick=loan_picks,
            lot=st.sampled_from((AUTO, AUTO, *LOTS, NO_LOT)),
            qty=st.one_of(st.just(0), st.just(0), quantities, st.integers(1, 60)),
            source=st.sampled_from((AUTO, AUTO, *PHYSICAL, *VIRTUAL)),
        )
        def scan_out(self, pick: int, lot: Any, qty: int, source: str) -> None:
            loan = self.pick_loan(pick, lambda loan: loan.status is LoanStatus.APPROVED)
            if loan is None:
                return
            if lot == AUTO:
                waiting = [k for k, i in loan.items.items() if i.out < i.quantity]
                lot = waiting[0] if waiting else next(iter(loan.items))
            if source == AUTO:
                source = max(LENDING_BINS, key=lambda b: self.stock[(*lot, b)])
            if qty == 0 and lot in loan.items:  # as many as can go: a likely valid scan
                item = loan.items[lot]
                qty = max(1, min(item.quantity - item.out, self.stock[(*lot, source)]))
            self._out(loan, lot, qty, source)

        @rule(
            pick=loan_picks,
            lot=st.sampled_from((AUTO, AUTO, *LOTS, NO_LOT)),
            qty=st.one_of(st.just(0), st.just(0), quantities),
            condition=st.sampled_from(ItemCondition),
            to=st.one_of(st.just(AUTO), st.sampled_from((None, *PHYSICAL, *VIRTUAL))),
        )
        def scan_back(
            self, pick: int, lot: Any, qty: int, condition: ItemCondition, to: str | None
        ) -> None:
            loan = self.pick_loan(pick, lambda loan: any(i.on_display for i in loan.items.values()))
            if loan is None:
                return
            if lot == AUTO:
                shown = [k for k, i in loan.items.items() if i.on_display]
                lot = shown[0] if shown else next(iter(loan.items))
            if to == AUTO:
                to = RETURN_PLACES[self.keys % len(RETURN_PLACES)]
            if qty == 0 and lot in loan.items:  # all that is on display
                qty = max(1, loan.items[lot].on_display)
            self._back(loan, lot, qty, condition, to)

        @rule(pick=picks, tamper=st.booleans())
        def replay_a_scan(self, pick: int, tamper: bool) -> None:
            """Retries answer as the first time and move nothing; the same key on
            another request is refused."""
            if not self.scans:
                return
            scan = self.scans[pick % len(self.scans)]
            data = replace(scan.data, quantity=scan.data.quantity + 1) if tamper else scan.data
            service = loans.scan_out if scan.kind == "out" else loans.scan_return
            at = self.now
            result = self.attempt(lambda s: service(s, data, at=at), not tamper, f"replay {data}")
            if result is not None:
                assert result == {**scan.result, "replayed": True}

        @rule(
            pick=loan_picks,
            days=st.integers(min_value=-3, max_value=20),
            reason=st.sampled_from(("Christmas window", "   ")),
        )
        def extend(self, pick: int, days: int, reason: str) -> None:
            loan = self.pick_loan(pick, lambda loan: loan.status in EXTENDABLE)
            if loan is None:
                return
            new_due = loan.due + timedelta(days=days)
            ok = loan.status in EXTENDABLE and new_due > loan.due and bool(reason.strip())
            at = self.now
            done = self.attempt(
                lambda s: (
                    loans.extend_due_date(
                        s, loan.number, new_due_date=new_due, reason=reason, actor="planner", at=at
                    ).number
                ),
                ok,
                f"extend {loan.number} to {new_due}",
            )
            if done:
                loan.due = new_due
                if loan.overdue and new_due >= at.date():
                    loan.overdue = False

        @rule(hours=st.integers(min_value=0, max_value=24 * 12))
        def mark_overdue(self, hours: int) -> None:
            self.now += timedelta(hours=hours)
            now = self.now
            marked = unit_of_work.run(self.db, lambda s: loans.mark_overdue(s, now=now))
            due = sorted(
                loan.number
                for loan in self.loans
                if loan.status in OPEN | {LoanStatus.APPROVED}
                and loan.due < now.date()
                and loan.out
                and not loan.overdue
            )
            assert marked == due
            by_number = {loan.number: loan for loan in self.loans}
            for number in marked:
                loan = by_number[number]
                # flagged "with goods still out"
                assert sum(i.on_display for i in loan.items.values()) > 0, number
                loan.overdue = True
            # a second run at the same time flags nothing
            assert unit_of_work.run(self.db, lambda s: loans.mark_overdue(s, now=now)) == []

        # --- attacks on the showrooms ---------------------------------------------------

        @rule(
            showroom=st.sampled_from(SHOWROOMS),
            other=st.sampled_from((*PHYSICAL, *VIRTUAL)),
            outwards=st.booleans(),
            lot=st.sampled_from(LOTS),
            qty=st.integers(min_value=1, max_value=3),
            decoy=st.booleans(),
        )
        def post_around_the_loan(
            self,
            showroom: str,
            other: str,
            outwards: bool,
            lot: tuple[str, str],
            qty: int,
            decoy: bool,
        ) -> None:
            """Straight through the poster with every reason, alone or behind an
            innocent bin-to-bin line."""
            if other == showroom:
                return
            src, dst = (showroom, other) if outwards else (other, showroom)
            for reason in MoveReason:
                loans_own_move = (
                    (dst in SHOWROOMS and src not in SHOWROOMS and reason is MoveReason.LOAN_OUT)
                    or (
                        src in SHOWROOMS
                        and reason is MoveReason.LOAN_RETURN
                        and dst in RETURN_PLACES
                    )
                    or (src in SHOWROOMS and reason is MoveReason.WRITE_OFF and dst == SCRAP)
                )
                if loans_own_move:
                    continue  # what the loan service posts; the poster cannot tell who calls
                lines = [
                    MoveLine(self.lot_ids[lot], qty, self.location_ids[src], self.location_ids[dst])
                ]
                if decoy:
                    bins = self.location_ids[f.BINS[0]], self.location_ids[f.BINS[1]]
                    lines.insert(0, MoveLine(self.lot_ids[lot], 1, *bins))
                self._attack_post(reason, lines, f"{reason} {qty} {lot} {src} -> {dst}")

        def _attack_post(self, reason: MoveReason, lines: list[MoveLine], what: str) -> None:
            key = self.key()

            def work(s: Any) -> int:
                return ledger.post(
                    s,
                    idempotency_key=key,
                    fingerprint=key,
                    kind="attack",
                    reason=reason,
                    actor="thief",
                    lines=lines,
                ).id

            self.attempt(work, False, what)

        @rule(
            showroom=st.sampled_from(SHOWROOMS),
            other=st.sampled_from(PHYSICAL),
            lot=st.sampled_from(LOTS),
            qty=st.integers(min_value=1, max_value=3),
        )
        def relocate_around_the_loan(
            self, showroom: str, other: str, lot: tuple[str, str], qty: int
        ) -> None:
            """Putaways and transfers from and to a showroom; receipts into one."""
            receipt = inbound.ReceiveInput("ED-P", *lot, qty, showroom, self.key(), "thief")
            self.attempt(lambda s: inbound.receive(s, receipt), False, f"receive {receipt}")
            for service in (inbound.putaway, inbound.transfer):
                for src, dst in ((showroom, other), (other, showroom)):
                    data = inbound.PutawayInput(*lot, qty, src, dst, self.key(), "thief")
                    self.attempt(
                        lambda s, service=service, data=data: service(s, data),
                        False,
                        f"{service.__name__} {data}",
                    )

        @rule(pick=picks)
        def reverse_a_loan_movement(self, pick: int) -> None:
            if not self.loan_operations:
                return
            op_id = self.loan_operations[pick % len(self.loan_operations)]
            key = self.key()
            self.attempt(
                lambda s: ledger.reverse_operation(
                    s, operation_id=op_id, idempotency_key=key, actor="thief"
                ),
                False,
                f"reverse loan operation {op_id}",
            )

        # --- invariants -----------------------------------------------------------------

        @invariant()
        def showrooms_hold_exactly_what_their_loans_lend(self) -> None:
            with self.db.reading() as s:
                assert account_book.reconcile(s) == []
                actual = {
                    (r.sku, r.lot_number, r.location): r.quantity
                    for r in stock.on_hand(s, stock.StockFilter())
                }
                assert all(q >= 0 for q in actual.values()), actual
                showroom_ids = {self.location_ids[b] for b in SHOWROOMS}
                in_showrooms: dict[tuple[int, int], int] = defaultdict(int)
                sellable = []
                for quant, is_sellable in s.execute(
                    select(Quant, Location.is_sellable)
                    .join(Location, Location.id == Quant.location_id)
                    .where(Quant.location_id.in_(showroom_ids))
                ).tuples():
                    if quant.quantity:
                        in_showrooms[(quant.lot_id, quant.location_id)] += quant.quantity
                    sellable.append(is_sellable)
                lent: dict[tuple[int, int], int] = defaultdict(int)
                items: dict[tuple[str, str, str], tuple[int, int, int, int]] = {}
                statuses: dict[str, tuple[str, bool, date]] = {}
                for item, loan in s.execute(
                    select(LoanItem, Loan).join(Loan, Loan.id == LoanItem.loan_id)
                ).tuples():
                    if item.on_display:
                        lent[(item.lot_id, loan.showroom_id)] += item.on_display
                    items[(loan.number, item.product.sku, item.lot.lot_number)] = (
                        item.quantity,
                        item.out_quantity,
                        item.returned_quantity,
                        item.written_off_quantity,
                    )
                    statuses[loan.number] = (
                        loan.status.value,
                        loan.overdue_since is not None,
                        loan.due_date,
                    )
                on_loan_by_line = {
                    row.line_no: row.on_display_loan for row in account_book.account_book(s)
                }
                sellable_rows = stock.on_hand(s, stock.StockFilter(sellable=True))
            # the stock everywhere is the model's
            expected = {k: v for k, v in self.stock.items() if v and k[2] in PHYSICAL}
            assert actual == expected
            # a showroom holds what its loans have on display, lot by lot
            assert dict(in_showrooms) == dict(lent)
            # loan items and statuses are the model's
            assert items == {
                (loan.number, sku, lot): (i.quantity, i.out, i.returned, i.written_off)
                for loan in self.loans
                for (sku, lot), i in loan.items.items()
            }
            assert statuses == {
                loan.number: (loan.status.value, loan.overdue, loan.due) for loan in self.loans
            }
            # the book's on-display column is the showroom stock
            by_line: dict[int, int] = defaultdict(int)
            for (sku, _lot, where), quantity in expected.items():
                if where in SHOWROOMS:
                    by_line[LINE_OF[sku]] += quantity
            assert on_loan_by_line == {line: by_line.get(line, 0) for line in LINE_OF.values()}
            # never sellable
            assert not any(sellable)
            assert not [r for r in sellable_rows if r.location in SHOWROOMS]

    return LoanMachine


def test_loaned_stock_leaves_a_showroom_only_with_its_loan(database_url: str):
    run_state_machine_as_test(
        make_machine(database_url),
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
