"""Property test: random sequences of receive / putaway / transfer / move / reverse,
valid and invalid, never break the ledger.

After every step: quants equal the sum of moves, nothing physical is negative, the
account book reconciles with the ledger and the stock, and the stock equals what a
plain-Python model of the same steps expects.  Refused steps change nothing.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import select

from tests import factories as f
from tests.conftest import wipe
from wms.db import Database
from wms.models import Location, Lot, MoveReason, Quant
from wms.services import account_book, inbound, ledger, stock, unit_of_work
from wms.services.errors import ServiceError
from wms.services.ledger import MoveLine

SKUS = (f.MILK.sku, f.SERUM.sku)
LOTS = ("L1", "L2")
DECLARED = 60
PHYSICAL = (f.DOCK, *f.BINS, f.SHOWROOM)
VIRTUAL = ("SHA1-V-CUSTOMER", "SHA1-V-SCRAP", "SHA1-V-COUNT_DIFF")
quantities = st.integers(min_value=-2, max_value=25)


def reason_for(source: str, dest: str) -> MoveReason | None:
    """The reason a move between these places is posted under; None where the ledger
    must refuse it whatever the reason (display-loan stock moves only with its loan)."""
    if dest == f.SHOWROOM:
        return MoveReason.LOAN_OUT if source in f.BINS else None
    if source == f.SHOWROOM:
        if dest == "SHA1-V-SCRAP":
            return MoveReason.WRITE_OFF
        return MoveReason.LOAN_RETURN if dest in PHYSICAL else None
    return MoveReason.TRANSFER


def make_machine(database_url: str) -> type[RuleBasedStateMachine]:
    class LedgerMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.db = Database(database_url)
            wipe(self.db)
            f.build_warehouse(self.db)
            f.declare(self.db, "ED-P", *((sku, DECLARED) for sku in SKUS))
            with self.db.reading() as s:
                self.location_ids = dict(
                    s.execute(select(Location.barcode, Location.id)).tuples().all()
                )
            self.expected: dict[tuple[str, str, str], int] = defaultdict(int)
            self.received: dict[str, int] = defaultdict(int)
            self.operations: list[tuple[int, list[tuple[str, str, int, str, str]]]] = []
            self.reversed: set[int] = set()
            self.keys = 0

        def teardown(self) -> None:
            self.db.dispose()

        def key(self) -> str:
            self.keys += 1
            return f"prop-{self.keys}"

        def attempt(self, work, expect_ok: bool) -> dict | None:
            try:
                result = unit_of_work.run(self.db, work)
            except ServiceError:
                assert not expect_ok, "a valid step was refused"
                return None
            assert expect_ok, "an invalid step was accepted"
            return result

        def lot_id(self, sku: str, lot: str) -> int | None:
            with self.db.reading() as s:
                return s.scalar(
                    select(Lot.id)
                    .join(Lot.product)
                    .where(Lot.lot_number == lot, Lot.product.has(sku=sku))
                )

        def physical(self, barcode: str) -> bool:
            return barcode in PHYSICAL

        def on_hand(self, sku: str, lot: str, barcode: str) -> int:
            return self.expected[(sku, lot, barcode)]

        @rule(
            sku=st.sampled_from(SKUS),
            lot=st.sampled_from(LOTS),
            qty=quantities,
            accept_over=st.booleans(),
        )
        def receive(self, sku: str, lot: str, qty: int, accept_over: bool) -> None:
            ok = qty > 0 and (self.received[sku] + qty <= DECLARED or accept_over)
            data = inbound.ReceiveInput(
                "ED-P",
                sku,
                lot,
                qty,
                f.DOCK,
                self.key(),
                "prop",
                expiry_date=date(2028, 1, 1),
                accept_over=accept_over,
            )
            if self.attempt(lambda s: inbound.receive(s, data), ok):
                self.received[sku] += qty
                self.expected[(sku, lot, f.DOCK)] += qty
                self.operations.append((0, []))  # receipts are not reversed here

        @rule(
            sku=st.sampled_from(SKUS),
            lot=st.sampled_from(LOTS),
            qty=quantities,
            source=st.sampled_from((f.DOCK, *f.BINS)),
            dest=st.sampled_from(f.BINS),
        )
        def relocate(self, sku: str, lot: str, qty: int, source: str, dest: str) -> None:
            ok = (
                qty > 0
                and source != dest
                and self.lot_id(sku, lot) is not None
                and self.on_hand(sku, lot, source) >= qty
                and (sku, lot, source) in self.expected
            )
            data = inbound.PutawayInput(sku, lot, qty, source, dest, self.key(), "prop")
            result = self.attempt(lambda s: inbound.transfer(s, data), ok)
            if result:
                self.expected[(sku, lot, source)] -= qty
                self.expected[(sku, lot, dest)] += qty
                self.operations.append((result["operation_id"], [(sku, lot, qty, source, dest)]))

        @rule(
            sku=st.sampled_from(SKUS),
            lot=st.sampled_from(LOTS),
            qty=quantities,
            source=st.sampled_from(PHYSICAL + VIRTUAL),
            dest=st.sampled_from(PHYSICAL + VIRTUAL),
        )
        def move(self, sku: str, lot: str, qty: int, source: str, dest: str) -> None:
            """Releases, loans, returns, write-offs and count adjustments, straight
            through the poster."""
            lot_id = self.lot_id(sku, lot)
            if lot_id is None or source == dest or qty <= 0:
                return  # the poster's own input checks are covered elsewhere
            reason = reason_for(source, dest)
            ok = (not self.physical(source) or self.on_hand(sku, lot, source) >= qty) and (
                reason is not None
            )
            line = MoveLine(lot_id, qty, self.location_ids[source], self.location_ids[dest])
            key = self.key()

            def work(s):
                op = ledger.post(
                    s,
                    idempotency_key=key,
                    fingerprint=key,
                    kind="move",
                    reason=reason or MoveReason.TRANSFER,
                    actor="prop",
                    lines=[line],
                )
                op.result = {"operation_id": op.id}
                return op.result

            result = self.attempt(work, ok)
            if result:
                self.expected[(sku, lot, source)] -= qty
                self.expected[(sku, lot, dest)] += qty
                self.operations.append((result["operation_id"], [(sku, lot, qty, source, dest)]))

        @rule(pick=st.integers(min_value=0, max_value=50))
        def reverse(self, pick: int) -> None:
            candidates = [op for op in self.operations if op[0]]
            if not candidates:
                return
            op_id, moves = candidates[pick % len(candidates)]
            touches_showroom = any(f.SHOWROOM in (m[3], m[4]) for m in moves)
            ok = (
                op_id not in self.reversed
                and not touches_showroom
                and all(
                    not self.physical(target) or self.on_hand(sku, lot, target) >= qty
                    for sku, lot, qty, _source, target in moves
                )
            )
            key = self.key()
            result = self.attempt(
                lambda s: ledger.reverse_operation(
                    s, operation_id=op_id, idempotency_key=key, actor="prop"
                ),
                ok,
            )
            if result:
                self.reversed.add(op_id)
                for sku, lot, qty, source, target in moves:
                    self.expected[(sku, lot, target)] -= qty
                    self.expected[(sku, lot, source)] += qty

        @invariant()
        def ledger_is_consistent(self) -> None:
            with self.db.reading() as s:
                assert account_book.reconcile(s) == []
                negative = s.scalars(
                    select(Quant).where(Quant.negative_allowed.is_(False), Quant.quantity < 0)
                ).all()
                assert negative == []
                actual = {
                    (r.sku, r.lot_number, r.location): r.quantity
                    for r in stock.on_hand(s, stock.StockFilter())
                }
            expected = {k: v for k, v in self.expected.items() if v and self.physical(k[2])}
            assert actual == expected

    return LedgerMachine


def test_random_operations_never_break_the_ledger(database_url: str):
    machine = make_machine(database_url)
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=30,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
