"""Waves and picking through the services: wave contents and walking order, pick scans
and their refusals, replays, short picks and what the ledger holds afterwards."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from tests import factories as f
from tests.integration.outbound import support as o
from wms.db import Database
from wms.models import (
    AccountBookLine,
    Location,
    LocationKind,
    Lot,
    Move,
    MoveReason,
    Order,
    OrderEvent,
    OrderStatus,
    Quant,
    Reservation,
)
from wms.services import account_book, allocation, orders, waves
from wms.services.errors import Conflict, InvalidInput, NotFound


@pytest.fixture
def wh(db: Database) -> Database:
    o.picking_warehouse(db)
    return db


def make_wave(db: Database, **kwargs: Any) -> str:
    with db.transaction() as s:
        return waves.create_wave(s, warehouse_code=f.WAREHOUSE, actor="planner", **kwargs).number


def pick(db: Database, wave: str, bin_: str, code: str, lot: str, qty: int, **kw: Any) -> Any:
    scan = waves.PickScan(
        wave_number=wave,
        bin_barcode=bin_,
        product_code=code,
        lot_number=lot,
        quantity=qty,
        idempotency_key=kw.pop("key", None) or f.key("pick"),
        actor="picker",
        **kw,
    )
    with db.transaction() as s:
        return waves.confirm_pick(s, scan)


def short(db: Database, wave: str, bin_: str, code: str, lot: str, found: int) -> Any:
    scan = waves.ShortPick(wave, bin_, code, lot, found, f.key("short"), "picker")
    with db.transaction() as s:
        return waves.report_short(s, scan)


def tasks(db: Database, wave: str) -> list[tuple[int, str, str, str, int, int]]:
    with db.reading() as s:
        return [
            (t["sequence"], t["bin"], t["sku"], t["lot_number"], t["quantity"], t["order_id"])
            for t in waves.pick_list(s, wave)
        ]


def quant(db: Database, barcode: str, lot: str) -> tuple[int, int]:
    with db.reading() as s:
        row = s.execute(
            select(Quant.quantity, Quant.reserved_quantity)
            .join(Location, Location.id == Quant.location_id)
            .join(Lot, Lot.id == Quant.lot_id)
            .where(Location.barcode == barcode, Lot.lot_number == lot)
        ).first()
        return (row[0], row[1]) if row else (0, 0)


def status(db: Database, order_id: int) -> OrderStatus:
    with db.reading() as s:
        return orders.order_by_id(s, order_id).status


def reconciles(db: Database) -> None:
    with db.reading() as s:
        assert account_book.reconcile(s) == []


STAGING = "SHA1-OUT-B"


# --- creating waves --------------------------------------------------------------------


def test_a_wave_takes_the_cleared_orders_in_walking_order(wh: Database) -> None:
    milk = o.cleared_order(wh, (f.MILK.sku, 8))  # L1: 5 from A-02 (path 2), 3 from A-01
    serum = o.cleared_order(wh, (f.SERUM.sku, 2))  # B-01 (path 1)
    waiting = o.receive_order(wh, (f.SERUM.sku, 1))
    with wh.transaction() as s:
        allocation.allocate(s, waiting, actor="tester")  # allocated, not cleared

    number = make_wave(wh)

    assert number.startswith("W") and number.endswith("-001")
    assert tasks(wh, number) == [
        (1, f.BINS[2], f.SERUM.sku, "S1", 2, serum),
        (2, f.BINS[1], f.MILK.sku, "L1", 5, milk),
        (3, f.BINS[0], f.MILK.sku, "L1", 3, milk),
    ]
    with wh.reading() as s:
        wave = waves.wave_by_number(s, number)
        assert s.get(Order, milk).wave_id == wave.id
        assert s.get(Order, waiting).wave_id is None
        summary = waves.wave_summary(s, wave)
    assert (summary["orders"], summary["tasks"], summary["units"]) == (2, 3, 10)
    assert summary["warehouse"] == f.WAREHOUSE


def test_a_wave_refuses_when_nothing_or_a_named_order_is_not_ready(wh: Database) -> None:
    with pytest.raises(Conflict) as nothing:
        make_wave(wh)
    assert nothing.value.field == "warehouse"

    allocated = o.receive_order(wh, (f.MILK.sku, 1))
    with wh.transaction() as s:
        allocation.allocate(s, allocated, actor="tester")
    with pytest.raises(Conflict, match="is allocated: only cleared") as named:
        make_wave(wh, order_ids=[allocated])
    assert named.value.field == "order_ids"
    with pytest.raises(NotFound):
        make_wave(wh, order_ids=[999_999])

    first = o.cleared_order(wh, (f.MILK.sku, 1))
    number = make_wave(wh, order_ids=[first])
    with pytest.raises(Conflict, match=f"already in wave {number}"):
        make_wave(wh, order_ids=[first])


def test_max_orders_takes_the_oldest(wh: Database) -> None:
    ids = [o.cleared_order(wh, (f.SERUM.sku, 1)) for _ in range(3)]
    number = make_wave(wh, max_orders=2)
    assert {t[5] for t in tasks(wh, number)} == set(ids[:2])
    second = make_wave(wh)
    assert second.endswith("-002")
    assert {t[5] for t in tasks(wh, second)} == {ids[2]}


# --- picking ---------------------------------------------------------------------------


def test_picks_move_goods_to_the_bonded_staging_dock_and_the_order_is_picked(
    wh: Database,
) -> None:
    order_id = o.cleared_order(wh, (f.MILK.sku, 8), (f.SERUM.sku, 2))
    number = make_wave(wh)
    with wh.reading() as s:
        book_before = [(b.received, b.released) for b in s.scalars(select(AccountBookLine))]

    first = pick(wh, number, f.BINS[2], f.SERUM.sku, "S1", 2)
    assert first["picks"] == [
        {
            "sequence": 1,
            "order_id": order_id,
            "order_number": first["picks"][0]["order_number"],
            "picked": 2,
            "left": 0,
        }
    ]
    assert first["next"] == {
        "sequence": 2,
        "bin": f.BINS[1],
        "sku": f.MILK.sku,
        "lot_number": "L1",
        "to_pick": 5,
    }
    # The GTIN in its 14-digit form is the same product.
    pick(wh, number, f.BINS[1], f.MILK.gtin.zfill(14), "L1", 5)
    assert status(wh, order_id) is OrderStatus.CLEARED
    last = pick(wh, number, f.BINS[0], f.MILK.sku, "L1", 3)

    assert last["orders_picked"] and last["wave_status"] == "done" and last["next"] is None
    assert status(wh, order_id) is OrderStatus.PICKED
    assert quant(wh, f.BINS[0], "L1") == (2, 0)  # 5 less 3 picked; nothing reserved
    assert quant(wh, f.BINS[1], "L1") == (0, 0)
    assert quant(wh, STAGING, "L1") == (8, 0)
    assert quant(wh, STAGING, "S1") == (2, 0)
    with wh.reading() as s:
        # Bin -> bonded dock stays inside the bonded account.
        book_after = [(b.received, b.released) for b in s.scalars(select(AccountBookLine))]
        assert book_after == book_before
        lines = {line.line_no: line.picked_quantity for line in s.get(Order, order_id).lines}
        assert lines == {1: 8, 2: 2}
        reasons = {m.reason for m in s.scalars(select(Move).where(Move.document_ref == number))}
        assert reasons == {MoveReason.TRANSFER}
        kinds = [
            e.kind for e in s.scalars(select(OrderEvent).where(OrderEvent.order_id == order_id))
        ]
        assert kinds[-1] == "picked"
    reconciles(wh)


def test_a_pick_replayed_with_its_key_posts_once(wh: Database) -> None:
    o.cleared_order(wh, (f.SERUM.sku, 3))
    number = make_wave(wh)
    first = pick(wh, number, f.BINS[2], f.SERUM.sku, "S1", 1, key="scan-1")
    again = pick(wh, number, f.BINS[2], f.SERUM.sku, "S1", 1, key="scan-1")
    assert again["replayed"] and not first["replayed"]
    assert {k: v for k, v in again.items() if k != "replayed"} == {
        k: v for k, v in first.items() if k != "replayed"
    }
    assert quant(wh, STAGING, "S1") == (1, 0)
    with wh.reading() as s:
        assert s.scalar(select(func.sum(Reservation.picked_quantity))) == 1


@pytest.mark.parametrize(
    ("bin_", "code", "lot", "qty", "field", "message"),
    [
        (f.BINS[1], f.SERUM.sku, "S1", 1, "bin_barcode", "nothing to pick at SHA1-A-02 in wave"),
        (f.BINS[0], f.SERUM.sku, "S1", 1, "product_code", "SERUM-30 is not on this wave at"),
        (f.BINS[0], f.MILK.sku, "L2", 1, "lot_number", "lot L2 is not the lot to pick: pick lot"),
        (f.BINS[0], f.MILK.sku, "L1", 3, "quantity", "only 2 left to pick of MILK-900 lot L1"),
    ],
)
def test_wrong_scans_are_refused_in_words_a_picker_understands(
    wh: Database, bin_: str, code: str, lot: str, qty: int, field: str, message: str
) -> None:
    # Milk 7: all of A-02 (path 2) first, then 2 from A-01.
    o.cleared_order(wh, (f.MILK.sku, 7))
    number = make_wave(wh)
    pick(wh, number, f.BINS[1], f.MILK.sku, "L1", 5)
    with pytest.raises(Conflict) as refused:
        pick(wh, number, bin_, code, lot, qty)
    assert refused.value.field == field
    assert message in refused.value.message
    assert quant(wh, f.BINS[0], "L1") == (5, 2)  # nothing moved


def test_the_refusals_tell_where_to_go_and_what_to_pick(wh: Database) -> None:
    o.cleared_order(wh, (f.MILK.sku, 2))
    number = make_wave(wh)
    with pytest.raises(Conflict, match=f"in wave {number}: go to SHA1-A-02"):
        pick(wh, number, f.BINS[0], f.MILK.sku, "L1", 1)
    with pytest.raises(Conflict, match="SERUM-30 is not on this wave at SHA1-A-02: pick MILK-900"):
        pick(wh, number, f.BINS[1], f.SERUM.sku, "L1", 1)
    with pytest.raises(InvalidInput):
        pick(wh, number, f.BINS[1], f.MILK.sku, "L1", 0)
    with pytest.raises(NotFound):
        pick(wh, number, "NO-SUCH-BIN", f.MILK.sku, "L1", 1)


def test_a_scan_spanning_two_orders_fills_them_in_pick_order(wh: Database) -> None:
    a = o.cleared_order(wh, (f.SERUM.sku, 2))
    b = o.cleared_order(wh, (f.SERUM.sku, 3))
    number = make_wave(wh)
    chosen = pick(wh, number, f.BINS[2], f.SERUM.sku, "S1", 1, order_id=b)
    assert [(p["order_id"], p["picked"]) for p in chosen["picks"]] == [(b, 1)]
    spread = pick(wh, number, f.BINS[2], f.SERUM.sku, "S1", 4)
    assert [(p["order_id"], p["picked"]) for p in spread["picks"]] == [(a, 2), (b, 2)]
    assert status(wh, a) is OrderStatus.PICKED and status(wh, b) is OrderStatus.PICKED


def test_a_whole_wave_confirmed_at_once(wh: Database) -> None:
    ids = [o.cleared_order(wh, (f.SERUM.sku, 1), (f.MILK.sku, 2)) for _ in range(3)]
    number = make_wave(wh)
    with wh.transaction() as s:
        done = waves.confirm_wave_picked(s, number, actor="desk", idempotency_key="wave-all")
    assert (done["units"], done["orders_picked"], done["wave_status"]) == (9, 3, "done")
    assert all(status(wh, i) is OrderStatus.PICKED for i in ids)
    with wh.transaction() as s:
        again = waves.confirm_wave_picked(s, number, actor="desk", idempotency_key="wave-all")
    assert again["replayed"]
    assert quant(wh, STAGING, "L1") == (6, 0)
    reconciles(wh)


# --- short picks -----------------------------------------------------------------------


def test_a_short_pick_books_the_gap_and_reallocates_from_another_bin(wh: Database) -> None:
    order_id = o.cleared_order(wh, (f.MILK.sku, 5))  # L1 all from A-02
    number = make_wave(wh)

    answer = short(wh, number, f.BINS[1], f.MILK.sku, "L1", 3)

    assert (answer["found"], answer["missing"]) == (3, 2)
    assert quant(wh, f.BINS[1], "L1") == (0, 0)  # 3 picked, 2 booked as not there
    assert quant(wh, STAGING, "L1") == (3, 0)
    with wh.reading() as s:
        count_diff = s.scalar(select(Location.id).where(Location.kind == LocationKind.COUNT_DIFF))
        counted = s.execute(
            select(Move.quantity, Move.reason).where(Move.to_location_id == count_diff)
        ).all()
        assert counted == [(2, MoveReason.COUNT)]
        order = s.get(Order, order_id)
        assert order.status is OrderStatus.CLEARED  # customs status kept
        assert [line.picked_quantity for line in order.lines] == [3]
        fresh = s.execute(
            select(Reservation.quantity, Location.barcode)
            .join(Location, Location.id == Reservation.location_id)
            .where(Reservation.order_id == order_id, Reservation.wave_id.is_(None))
        ).all()
        assert fresh == [(2, f.BINS[0])]  # the same lot L1 from A-01
        events = s.execute(
            select(OrderEvent.kind, OrderEvent.actor, OrderEvent.details).where(
                OrderEvent.order_id == order_id
            )
        ).all()
        short_event = next(e for e in events if e.kind == "short_pick")
        assert short_event.actor == "picker" and short_event.details["missing"] == 2
        assert events[-1].kind == "reallocated"
    assert answer["wave_status"] == "done"
    reconciles(wh)

    # The next wave picks the missing units; then the order is picked.
    second = make_wave(wh)
    pick(wh, second, f.BINS[0], f.MILK.sku, "L1", 2)
    assert status(wh, order_id) is OrderStatus.PICKED


def test_a_short_pick_with_no_stock_elsewhere_puts_the_order_on_hold(wh: Database) -> None:
    order_id = o.cleared_order(wh, (f.SERUM.sku, 10))  # all the serum there is
    number = make_wave(wh)
    answer = short(wh, number, f.BINS[2], f.SERUM.sku, "S1", 0)
    assert answer["missing"] == 10
    assert answer["reallocation"][0]["missing"][0]["missing"] == 10
    with wh.reading() as s:
        order = s.get(Order, order_id)
        assert order.status is OrderStatus.ON_HOLD
        assert order.resume_status is OrderStatus.CLEARED
        assert order.hold_reason["missing"][0]["sku"] == f.SERUM.sku
    assert quant(wh, f.BINS[2], "S1") == (0, 0)
    reconciles(wh)


def test_a_short_pick_that_is_not_short_is_refused(wh: Database) -> None:
    o.cleared_order(wh, (f.SERUM.sku, 2))
    number = make_wave(wh)
    with pytest.raises(Conflict, match="confirm the pick instead") as refused:
        short(wh, number, f.BINS[2], f.SERUM.sku, "S1", 2)
    assert refused.value.field == "found_quantity"
