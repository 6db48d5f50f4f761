"""The move ledger: posting, refusals, idempotency, reversals, append-only, as-of."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from tests import factories as f
from wms.db import Database
from wms.models import Location, Lot, Move, MoveReason, Quant, StockOperation
from wms.services import account_book, catalog, ledger, stock
from wms.services.errors import IdempotencyKeyReused, InsufficientStock, InvalidInput, NotFound
from wms.services.ledger import MoveLine

T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def stocked(db: Database) -> Database:
    """60 units of MILK lot L1 received; 50 put away in A-01, 10 left on the dock."""
    f.build_warehouse(db)
    f.declare(db, "ED-1", (f.MILK.sku, 100))
    f.receive(db, "ED-1", f.MILK.sku, "L1", 60)
    f.putaway(db, f.MILK.sku, "L1", 50)
    return db


def ids(db: Database) -> dict[str, int]:
    with db.reading() as s:
        found = dict(s.execute(select(Location.barcode, Location.id)).tuples().all())
        found["lot"] = s.scalar(select(Lot.id).where(Lot.lot_number == "L1"))
        return found


def post(
    db: Database,
    key: str,
    *lines: MoveLine,
    at: datetime | None = None,
    reason: MoveReason = MoveReason.TRANSFER,
) -> int:
    with db.transaction() as s:
        op = ledger.post(
            s,
            idempotency_key=key,
            fingerprint=key,
            kind="test",
            reason=reason,
            actor="tester",
            lines=lines,
            at=at,
        )
        op.result = {"operation_id": op.id}
        return op.id


def quantities(db: Database) -> dict[str, int]:
    with db.reading() as s:
        return {r.location: r.quantity for r in stock.on_hand(s, stock.StockFilter())}


def move_count(db: Database) -> int:
    with db.reading() as s:
        return s.scalar(select(func.count(Move.id)))


def test_a_batch_posts_all_its_moves_in_one_operation(stocked: Database):
    i = ids(stocked)
    post(
        stocked,
        "batch",
        MoveLine(i["lot"], 20, i[f.BINS[0]], i[f.BINS[1]]),
        MoveLine(i["lot"], 5, i[f.BINS[1]], i[f.BINS[2]]),
    )
    assert quantities(stocked) == {f.DOCK: 10, f.BINS[0]: 30, f.BINS[1]: 15, f.BINS[2]: 5}


def test_taking_more_than_is_free_is_refused_and_nothing_is_written(stocked: Database):
    i, before = ids(stocked), move_count(stocked)
    with pytest.raises(InsufficientStock) as refused:
        post(
            stocked,
            "too-much",
            MoveLine(i["lot"], 10, i[f.BINS[0]], i[f.BINS[1]]),
            MoveLine(i["lot"], 51, i[f.BINS[0]], i[f.BINS[2]]),
        )
    assert refused.value.details["available"] == 50
    assert refused.value.field == "lines[0].quantity"
    assert move_count(stocked) == before
    assert quantities(stocked) == {f.DOCK: 10, f.BINS[0]: 50}
    with stocked.reading() as s:
        assert (
            s.scalar(select(func.count()).where(StockOperation.idempotency_key == "too-much")) == 0
        )


def test_reserved_units_are_not_free_but_can_be_taken_against_the_reservation(stocked: Database):
    i = ids(stocked)
    with stocked.transaction() as s:
        s.execute(
            update(Quant).where(Quant.location_id == i[f.BINS[0]]).values(reserved_quantity=45)
        )
    with pytest.raises(InsufficientStock) as refused:
        post(stocked, "free", MoveLine(i["lot"], 6, i[f.BINS[0]], i[f.BINS[1]]))
    assert refused.value.details["available"] == 5
    post(stocked, "pick", MoveLine(i["lot"], 45, i[f.BINS[0]], i[f.BINS[1]], from_reserved=True))
    with stocked.reading() as s:
        quant = s.scalar(select(Quant).where(Quant.location_id == i[f.BINS[0]]))
        assert (quant.quantity, quant.reserved_quantity) == (5, 0)


def test_a_retry_with_the_same_key_returns_the_first_result_and_posts_nothing(stocked: Database):
    request = ("SKU", "L1", 5)
    with stocked.transaction() as s:
        first = ledger.replayed_result(s, "retry", ledger.request_hash(request))
    assert first is None
    f_result = f.putaway(stocked, f.MILK.sku, "L1", 5, to=f.BINS[1])
    before = move_count(stocked)
    from wms.services import inbound

    data = inbound.PutawayInput(f.MILK.sku, "L1", 5, f.DOCK, f.BINS[1], "same-key", "tester")
    with stocked.transaction() as s:
        one = inbound.putaway(s, data)
    with stocked.transaction() as s:
        two = inbound.putaway(s, data)
    assert one["replayed"] is False and two["replayed"] is True
    assert one["operation_id"] == two["operation_id"] != f_result["operation_id"]
    assert move_count(stocked) == before + 1


def test_a_key_reused_for_a_different_request_is_refused(stocked: Database):
    from wms.services import inbound

    with stocked.transaction() as s:
        inbound.putaway(s, inbound.PutawayInput(f.MILK.sku, "L1", 1, f.DOCK, f.BINS[1], "k", "t"))
    with pytest.raises(IdempotencyKeyReused), stocked.transaction() as s:
        inbound.putaway(s, inbound.PutawayInput(f.MILK.sku, "L1", 2, f.DOCK, f.BINS[1], "k", "t"))


def test_a_reversal_restores_stock_and_the_book_and_cannot_be_repeated(stocked: Database):
    i = ids(stocked)
    op = post(stocked, "send", MoveLine(i["lot"], 7, i[f.BINS[0]], i["SHA1-V-CUSTOMER"]))
    with stocked.reading() as s:
        assert account_book.account_book(s)[0].released == 7
    with stocked.transaction() as s:
        ledger.reverse_operation(s, operation_id=op, idempotency_key="undo", actor="supervisor")
    assert quantities(stocked) == {f.DOCK: 10, f.BINS[0]: 50}
    with stocked.reading() as s:
        book = account_book.account_book(s)[0]
        assert (book.released, book.balance) == (0, 60)
        assert account_book.reconcile(s) == []
        reversed_ids = s.scalars(select(Move.reverses_move_id).where(Move.reason == "reversal"))
        assert list(reversed_ids) != [None]
    with pytest.raises(InvalidInput, match="already reversed"), stocked.transaction() as s:
        ledger.reverse_operation(s, operation_id=op, idempotency_key="undo-2", actor="supervisor")


def test_a_reversal_that_would_go_negative_is_refused(stocked: Database):
    i = ids(stocked)
    op = post(stocked, "a", MoveLine(i["lot"], 50, i[f.BINS[0]], i[f.BINS[1]]))
    post(stocked, "b", MoveLine(i["lot"], 50, i[f.BINS[1]], i[f.BINS[2]]))
    with pytest.raises(InsufficientStock), stocked.transaction() as s:
        ledger.reverse_operation(s, operation_id=op, idempotency_key="undo", actor="supervisor")


def test_reversing_an_unknown_operation_names_the_field(stocked: Database):
    with pytest.raises(NotFound) as refused, stocked.transaction() as s:
        ledger.reverse_operation(s, operation_id=999, idempotency_key="x", actor="t")
    assert refused.value.field == "operation_id"


def test_virtual_places_run_negative_physical_ones_never(stocked: Database):
    with stocked.reading() as s:
        rows = stock.on_hand(s, stock.StockFilter(include_virtual=True))
    supplier = [r for r in rows if r.location == "SHA1-V-SUPPLIER"]
    assert supplier[0].quantity == -60


def test_a_lot_from_no_declaration_cannot_enter_the_bonded_zone(stocked: Database):
    i = ids(stocked)
    with stocked.transaction() as s:
        product = catalog.product_by_code(s, f.SERUM.sku)
        lot = Lot(product_id=product.id, lot_number="DOM-1", created_at=T0)
        s.add(lot)
        s.flush()
        lot_id = lot.id
    post(stocked, "domestic-in", MoveLine(lot_id, 5, i["SHA1-V-DOMESTIC"], i[f.DOMESTIC_BIN]))
    with pytest.raises(InvalidInput) as refused:
        post(stocked, "smuggle", MoveLine(lot_id, 5, i[f.DOMESTIC_BIN], i[f.BINS[0]]))
    assert refused.value.field == "lines[0].lot_id"


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (MoveLine(1, 0, 1, 2), "lines[0].quantity"),
        (MoveLine(1, -3, 1, 2), "lines[0].quantity"),
        (MoveLine(1, 3, 2, 2), "lines[0].to_location_id"),
    ],
)
def test_malformed_lines_are_refused_with_the_field(stocked: Database, line, field):
    with pytest.raises(InvalidInput) as refused:
        post(stocked, "bad", line)
    assert refused.value.field == field


def test_the_database_refuses_negative_stock_even_past_the_service(stocked: Database):
    with pytest.raises(IntegrityError), stocked.transaction() as s:
        s.execute(update(Quant).where(Quant.negative_allowed.is_(False)).values(quantity=-1))


def test_the_database_refuses_to_change_or_delete_a_move(stocked: Database):
    for statement in ("UPDATE moves SET quantity = 999", "DELETE FROM moves"):
        with pytest.raises(DBAPIError, match="append-only"), stocked.transaction() as s:
            s.execute(text(statement))
    assert move_count(stocked) == 2


def test_stock_as_of_a_past_instant_replays_the_moves(db: Database):
    f.build_warehouse(db)
    f.declare(db, "ED-1", (f.MILK.sku, 100))
    from datetime import date

    from wms.services import inbound

    with db.transaction() as s:
        inbound.receive(
            s,
            inbound.ReceiveInput(
                "ED-1", f.MILK.sku, "L1", 30, f.DOCK, "r1", "t", expiry_date=date(2028, 1, 1)
            ),
            at=T0,
        )
    with db.transaction() as s:
        inbound.putaway(
            s,
            inbound.PutawayInput(f.MILK.sku, "L1", 20, f.DOCK, f.BINS[0], "p1", "t"),
            at=T0 + timedelta(hours=1),
        )

    def at(when: datetime) -> dict[str, int]:
        with db.reading() as s:
            return {r.location: r.quantity for r in stock.on_hand(s, stock.StockFilter(), when)}

    assert at(T0 - timedelta(seconds=1)) == {}
    assert at(T0) == {f.DOCK: 30}
    assert at(T0 + timedelta(minutes=59)) == {f.DOCK: 30}
    assert at(T0 + timedelta(hours=1)) == {f.DOCK: 10, f.BINS[0]: 20}
    assert at(datetime.now(UTC)) == quantities(db)
    with db.reading() as s:
        bonded = stock.total_on_hand(
            s, stock.StockFilter(bonded=True, sellable=True), T0 + timedelta(hours=2)
        )
    assert bonded == 20
