"""Counting a bin: only differences are posted, to and from the count-difference place, the
account book shows them, reserved units are never counted away, retries post once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from tests import factories as f
from tests.integration.outbound import support as o
from tests.integration.test_concurrency import race
from wms.db import Database
from wms.models import Location, LocationKind, Move, MoveReason, StockOperation
from wms.services import (
    account_book,
    allocation,
    counts,
    domestic,
    ledger,
    stock,
    unit_of_work,
)
from wms.services.errors import Conflict, IdempotencyKeyReused, InvalidInput, NotFound

A01, A02, B01 = f.BINS


@pytest.fixture
def bins(db: Database) -> Database:
    """ED-1 (100 milk, 40 serum) received and put away: milk L1 30 in A-01, milk L2 20 in
    A-01, serum S1 40 in B-01; 10 milk L1 left on the dock."""
    f.build_warehouse(db)
    f.declare(db, "ED-1", (f.MILK.sku, 100), (f.SERUM.sku, 40))
    f.receive(db, "ED-1", f.MILK.sku, "L1", 40)
    f.receive(db, "ED-1", f.MILK.sku, "L2", 20)
    f.receive(db, "ED-1", f.SERUM.sku, "S1", 40)
    f.putaway(db, f.MILK.sku, "L1", 30, to=A01)
    f.putaway(db, f.MILK.sku, "L2", 20, to=A01)
    f.putaway(db, f.SERUM.sku, "S1", 40, to=B01)
    return db


def count(
    db: Database,
    location: str,
    *lines: tuple[Any, ...],
    complete: bool = False,
    key: str | None = None,
    actor: str = "counter",
    since: int | None = None,
) -> dict[str, Any]:
    """Count ``location``: lines are (sku, lot, quantity[, declaration])."""
    with db.transaction() as s:
        return counts.count_bin(
            s,
            counts.CountInput(
                location_barcode=location,
                lines=tuple(counts.CountLine(*line) for line in lines),
                complete=complete,
                idempotency_key=key or f.key("count"),
                actor=actor,
                since_move_id=since,
            ),
        )


def on_hand(db: Database, location: str | None = None) -> dict[tuple[str, str, str], int]:
    with db.reading() as s:
        rows = stock.on_hand(s, stock.StockFilter())
    return {
        (r.sku, r.lot_number, r.location): r.quantity
        for r in rows
        if location is None or r.location == location
    }


def book(db: Database) -> dict[str, dict[str, Any]]:
    with db.reading() as s:
        return {r.sku: r.as_dict() for r in account_book.account_book(s, "ED-1")}


def reconciled(db: Database) -> bool:
    with db.reading() as s:
        return account_book.reconcile(s) == []


def operations(db: Database) -> int:
    with db.reading() as s:
        return int(s.scalar(select(func.count()).select_from(StockOperation)) or 0)


def count_diff_id(db: Database) -> int:
    with db.reading() as s:
        return int(
            s.scalar(select(Location.id).where(Location.kind == LocationKind.COUNT_DIFF)) or 0
        )


# --- differences ------------------------------------------------------------------------------


def test_a_count_posts_only_the_differences_to_and_from_count_difference(bins: Database) -> None:
    result = count(bins, A01, (f.MILK.sku, "L1", 27), (f.MILK.sku, "L2", 22))
    assert result["replayed"] is False
    assert result["moves"] == 2
    assert [(d["lot_number"], d["expected"], d["counted"], d["difference"]) for d in
            result["differences"]] == [("L1", 30, 27, -3), ("L2", 20, 22, 2)]  # fmt: skip
    assert (result["units_found"], result["units_lost"]) == (2, 3)
    assert on_hand(bins, A01) == {(f.MILK.sku, "L1", A01): 27, (f.MILK.sku, "L2", A01): 22}

    diff = count_diff_id(bins)
    with bins.reading() as s:
        op = s.get_one(StockOperation, result["operation_id"])
        assert (op.kind, op.actor, op.document_ref) == ("count", "counter", A01)
        moves = {
            (m.reason, m.quantity, m.from_location_id, m.to_location_id, m.actor)
            for m in s.scalars(select(Move).where(Move.operation_id == op.id))
        }
        bin_id = s.scalar(select(Location.id).where(Location.barcode == A01))
    assert moves == {
        (MoveReason.COUNT, 3, bin_id, diff, "counter"),
        (MoveReason.COUNT, 2, diff, bin_id, "counter"),
    }


def test_bonded_count_differences_show_in_the_account_book_and_it_reconciles(
    bins: Database,
) -> None:
    count(bins, A01, (f.MILK.sku, "L1", 27), (f.MILK.sku, "L2", 22))
    count(bins, B01, (f.SERUM.gtin, "S1", 35))
    milk, serum = book(bins)[f.MILK.sku], book(bins)[f.SERUM.sku]
    assert (milk["received"], milk["adjusted"], milk["balance"]) == (60, -1, 59)
    assert (serum["received"], serum["adjusted"], serum["balance"]) == (40, -5, 35)
    assert reconciled(bins)


def test_a_count_that_matches_posts_nothing_but_keeps_its_answer(bins: Database) -> None:
    key = f.key("count")
    before = operations(bins)
    result = count(bins, A01, (f.MILK.sku, "L1", 30), (f.MILK.gtin, "L2", 20), key=key)
    assert (result["moves"], result["differences"]) == (0, [])
    assert [line["difference"] for line in result["lines"]] == [0, 0]
    assert operations(bins) == before + 1
    with bins.reading() as s:
        assert s.scalar(select(func.count()).select_from(Move).where(
            Move.reason == MoveReason.COUNT)) == 0  # fmt: skip
    again = count(bins, A01, (f.MILK.sku, "L1", 30), (f.MILK.gtin, "L2", 20), key=key)
    assert again == {**result, "replayed": True}


def test_lots_not_on_the_count_are_untouched_unless_the_count_is_complete(bins: Database) -> None:
    count(bins, A01, (f.MILK.sku, "L1", 25))
    assert on_hand(bins, A01) == {(f.MILK.sku, "L1", A01): 25, (f.MILK.sku, "L2", A01): 20}

    result = count(bins, A01, (f.MILK.sku, "L1", 25), complete=True)
    assert [(d["lot_number"], d["counted"], d["difference"], d["line"]) for d in
            result["differences"]] == [("L2", 0, -20, None)]  # fmt: skip
    assert on_hand(bins, A01) == {(f.MILK.sku, "L1", A01): 25}
    assert reconciled(bins)


def test_a_complete_count_with_no_lines_records_the_bin_empty(bins: Database) -> None:
    result = count(bins, B01, complete=True)
    assert [(d["sku"], d["difference"]) for d in result["differences"]] == [(f.SERUM.sku, -40)]
    assert on_hand(bins, B01) == {}
    assert book(bins)[f.SERUM.sku]["balance"] == 0
    assert reconciled(bins)


def test_a_lot_found_where_the_ledger_has_none_is_booked_in(bins: Database) -> None:
    result = count(bins, A02, (f.SERUM.sku, "S1", 3), complete=True)
    assert [(d["expected"], d["counted"], d["difference"]) for d in result["differences"]] == [
        (0, 3, 3)
    ]
    assert on_hand(bins, A02) == {(f.SERUM.sku, "S1", A02): 3}
    assert book(bins)[f.SERUM.sku]["adjusted"] == 3
    assert reconciled(bins)


def test_a_count_is_reversed_like_any_operation(bins: Database) -> None:
    result = count(bins, A01, (f.MILK.sku, "L1", 27), (f.MILK.sku, "L2", 22))
    with bins.transaction() as s:
        ledger.reverse_operation(
            s, operation_id=result["operation_id"], idempotency_key=f.key("rev"), actor="lead"
        )
    assert on_hand(bins, A01) == {(f.MILK.sku, "L1", A01): 30, (f.MILK.sku, "L2", A01): 20}
    assert book(bins)[f.MILK.sku]["adjusted"] == 0
    assert reconciled(bins)


# --- idempotency -------------------------------------------------------------------------------


def test_a_retry_answers_the_same_and_posts_nothing_twice(bins: Database) -> None:
    key = f.key("count")
    first = count(bins, A01, (f.MILK.sku, "L1", 27), key=key)
    ops = operations(bins)
    again = count(bins, A01, (f.MILK.sku, "L1", 27), key=key)
    assert again == {**first, "replayed": True}
    assert operations(bins) == ops
    assert on_hand(bins, A01)[(f.MILK.sku, "L1", A01)] == 27


def test_the_same_key_with_another_count_is_refused(bins: Database) -> None:
    key = f.key("count")
    count(bins, A01, (f.MILK.sku, "L1", 27), key=key)
    with pytest.raises(IdempotencyKeyReused) as refused:
        count(bins, A01, (f.MILK.sku, "L1", 26), key=key)
    assert refused.value.field == "idempotency_key"
    with pytest.raises(IdempotencyKeyReused):
        count(bins, A01, (f.MILK.sku, "L1", 27), key=key, complete=True)
    assert on_hand(bins, A01)[(f.MILK.sku, "L1", A01)] == 27


# --- reserved units ----------------------------------------------------------------------------


@pytest.fixture
def reserved(bins: Database) -> Database:
    """8 serum S1 in B-01 reserved for an order."""
    o.channel(bins)
    order_id = o.receive_order(bins, (f.SERUM.sku, 8))
    with bins.transaction() as s:
        assert allocation.allocate(s, order_id, actor="planner").status == "allocated"
    return bins


def test_a_count_below_the_reserved_quantity_is_refused_naming_the_line(reserved: Database) -> None:
    ops = operations(reserved)
    with pytest.raises(Conflict) as refused:
        count(reserved, B01, (f.SERUM.sku, "S1", 5))
    assert refused.value.field == "lines[0].quantity"
    assert "8 are reserved" in refused.value.message
    assert refused.value.details["reserved"] == 8
    assert operations(reserved) == ops
    assert on_hand(reserved, B01) == {(f.SERUM.sku, "S1", B01): 40}


def test_a_count_down_to_the_reserved_quantity_keeps_the_reservation(reserved: Database) -> None:
    count(reserved, B01, (f.SERUM.sku, "S1", 8))
    with reserved.reading() as s:
        (row,) = stock.on_hand(s, stock.StockFilter(lot_number="S1"))
    assert (row.location, row.quantity, row.reserved) == (B01, 8, 8)
    assert reconciled(reserved)


def test_a_complete_count_may_not_zero_a_reserved_lot_it_does_not_mention(
    reserved: Database,
) -> None:
    f.putaway(reserved, f.MILK.sku, "L1", 10, to=B01)
    with pytest.raises(Conflict) as refused:
        count(reserved, B01, (f.MILK.sku, "L1", 10), complete=True)
    assert refused.value.field == "complete"
    assert f.SERUM.sku in refused.value.message
    assert on_hand(reserved, B01)[(f.SERUM.sku, "S1", B01)] == 40


# --- bad input: a clear error naming the field, nothing written --------------------------------


@pytest.mark.parametrize(
    ("location", "lines", "complete", "error", "field"),
    [
        ("NOPE", [(f.MILK.sku, "L1", 1)], False, NotFound, "location"),
        (f.DOCK, [(f.MILK.sku, "L1", 1)], False, InvalidInput, "location"),
        (f.SHOWROOM, [(f.MILK.sku, "L1", 1)], False, InvalidInput, "location"),
        (A01, [(f.MILK.sku, "L1", 30), ("NOPE-1", "L1", 1)], False, NotFound, "lines[1].sku"),
        (A01, [(f.MILK.sku, "NOPE", 1)], False, NotFound, "lines[0].lot"),
        (A01, [(f.MILK.sku, "L1", -1)], False, InvalidInput, "lines[0].quantity"),
        (A01, [(f.MILK.sku, "L1", 1.5)], False, InvalidInput, "lines[0].quantity"),
        (A01, [(f.MILK.sku, "L1", True)], False, InvalidInput, "lines[0].quantity"),
        (A01, [(f.MILK.sku, " ", 1)], False, InvalidInput, "lines[0].lot"),
        (A01, [("", "L1", 1)], False, InvalidInput, "lines[0].sku"),
        (A01, [(f.MILK.sku, "L1", 1), (f.MILK.gtin, "L1", 2)], True, InvalidInput, "lines[1].lot"),
        (A01, [], False, InvalidInput, "lines"),
        (A01, [(f.MILK.sku, "L1", 1, "ED-9")], False, NotFound, "lines[0].declaration"),
        (f.DOMESTIC_BIN, [(f.MILK.sku, "L1", 1)], False, InvalidInput, "lines[0].lot"),
    ],
)
def test_bad_counts_are_refused_naming_the_field_and_nothing_is_written(
    bins: Database,
    location: str,
    lines: list[tuple[Any, ...]],
    complete: bool,
    error: type[Exception],
    field: str,
) -> None:
    ops = operations(bins)
    before = on_hand(bins)
    with pytest.raises(error) as refused:
        count(bins, location, *lines, complete=complete)
    assert refused.value.field == field  # type: ignore[attr-defined]
    assert operations(bins) == ops
    assert on_hand(bins) == before


# --- which lot ---------------------------------------------------------------------------------


def test_a_lot_number_on_two_declarations_needs_the_declaration_when_both_are_here(
    bins: Database,
) -> None:
    f.putaway(bins, f.MILK.sku, "L1", 10, to=f.QUARANTINE)  # the dock holds ED-2's only
    f.declare(bins, "ED-2", (f.MILK.sku, 10))
    f.receive(bins, "ED-2", f.MILK.sku, "L1", 10)
    f.putaway(bins, f.MILK.sku, "L1", 10, to=A02)
    # Only one of them is in A-02: that one is meant.
    result = count(bins, A02, (f.MILK.sku, "L1", 9))
    assert result["differences"][0]["declaration_number"] == "ED-2"

    with bins.transaction() as s:  # both are in A-01 now
        from wms.services import inbound

        inbound.transfer(
            s,
            inbound.PutawayInput(f.MILK.sku, "L1", 9, A02, A01, f.key("t"), "tester", "ED-2"),
        )
    with pytest.raises(InvalidInput) as refused:
        count(bins, A01, (f.MILK.sku, "L1", 39))
    assert refused.value.field == "lines[0].declaration"
    assert "ED-1, ED-2" in refused.value.message
    result = count(bins, A01, (f.MILK.sku, "L1", 8, "ED-2"))
    assert [(d["declaration_number"], d["difference"]) for d in result["differences"]] == [
        ("ED-2", -1)
    ]
    assert reconciled(bins)


def test_duty_paid_bins_are_counted_outside_the_account_book(bins: Database) -> None:
    with bins.transaction() as s:
        domestic.receive_duty_paid(
            s,
            domestic.DutyPaidReceipt(
                f.MILK.sku, "DP1", 12, f.DOMESTIC_BIN, "DP-REF-1", f.key("dp"), "tester"
            ),
        )
    before = book(bins)
    result = count(bins, f.DOMESTIC_BIN, (f.MILK.sku, "DP1", 10))
    assert result["differences"][0]["difference"] == -2
    assert on_hand(bins, f.DOMESTIC_BIN) == {(f.MILK.sku, "DP1", f.DOMESTIC_BIN): 10}
    assert book(bins) == before
    # A duty-paid lot cannot turn up in a bonded bin.
    with pytest.raises(InvalidInput) as refused:
        count(bins, A02, (f.MILK.sku, "DP1", 1))
    assert refused.value.field == "lines[0].lot"
    assert reconciled(bins)


# --- the count sheet and late counts ----------------------------------------------------------


def sheet(db: Database, location: str, *, blind: bool = True) -> dict[str, Any]:
    with db.reading() as s:
        return counts.bin_snapshot(s, location, blind=blind)


def test_a_blind_count_sheet_tells_nothing_of_the_stock(bins: Database) -> None:
    blind = sheet(bins, A01)
    assert "expected" not in blind
    assert blind["blind"] is True
    assert blind["since_move_id"] > 0
    shown = sheet(bins, A01, blind=False)
    assert [(e["lot_number"], e["quantity"], e["reserved"]) for e in shown["expected"]] == [
        ("L1", 30, 0),
        ("L2", 20, 0),
    ]
    assert shown["since_move_id"] == blind["since_move_id"]
    assert sheet(bins, A02)["since_move_id"] == 0
    with pytest.raises(InvalidInput) as refused:
        sheet(bins, f.DOCK)
    assert refused.value.field == "location"


def test_a_count_that_arrives_after_the_bin_moved_is_refused(bins: Database) -> None:
    since = sheet(bins, A01)["since_move_id"]
    f.putaway(bins, f.MILK.sku, "L1", 5, to=A01)  # meanwhile, from the dock
    with pytest.raises(Conflict) as refused:
        count(bins, A01, (f.MILK.sku, "L1", 30), since=since)
    assert refused.value.field == "since_move_id"
    assert on_hand(bins, A01)[(f.MILK.sku, "L1", A01)] == 35
    # Counted again from a fresh sheet: accepted.
    since = sheet(bins, A01)["since_move_id"]
    result = count(bins, A01, (f.MILK.sku, "L1", 34), since=since)
    assert result["differences"][0]["difference"] == -1
    # Moves elsewhere do not matter.
    since = sheet(bins, A01)["since_move_id"]
    f.putaway(bins, f.MILK.sku, "L1", 5, to=A02)
    assert count(bins, A01, (f.MILK.sku, "L1", 34), since=since)["moves"] == 0


# --- racing counters ---------------------------------------------------------------------------


def counting(db: Database, key: str, quantity: int) -> Callable[[], dict[str, Any]]:
    request = counts.CountInput(
        location_barcode=A01,
        lines=(counts.CountLine(f.MILK.sku, "L1", quantity),),
        idempotency_key=key,
        actor="counter",
    )
    return lambda: unit_of_work.run(db, lambda s: counts.count_bin(s, request))


def test_two_counters_of_the_same_bin_at_once_post_the_difference_once(bins: Database) -> None:
    results = race([counting(bins, f.key("count"), 27) for _ in range(4)])
    assert all(isinstance(r, dict) for r in results), results
    assert sorted(r["moves"] for r in results) == [0, 0, 0, 1]
    assert on_hand(bins, A01)[(f.MILK.sku, "L1", A01)] == 27
    assert book(bins)[f.MILK.sku]["adjusted"] == -3
    assert reconciled(bins)


def test_twin_requests_with_one_key_post_once(bins: Database) -> None:
    key = f.key("count")
    results = race([counting(bins, key, 26) for _ in range(4)])
    assert all(isinstance(r, dict) for r in results), results
    assert sorted(r["replayed"] for r in results) == [False, True, True, True]
    assert len({r["operation_id"] for r in results}) == 1
    assert on_hand(bins, A01)[(f.MILK.sku, "L1", A01)] == 26
