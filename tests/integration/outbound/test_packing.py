"""Packing and labelling through the services: the items and the weight are checked
against what was picked, the parcel is created once, and its label is the courier's."""

from __future__ import annotations

from decimal import Decimal

import pypdfium2 as pdfium
import pytest
from sqlalchemy import func, select

from tests import factories as f
from tests.integration.outbound import support as o
from wms.db import Database
from wms.models import OrderEvent, OrderStatus, Parcel, ParcelItem, ParcelStatus
from wms.services import orders, packing, waves
from wms.services.errors import Conflict, InvalidInput, NotFound

MILK_G = 1020  # the factories' gross weight of one unit (both products)
TARE = 150


@pytest.fixture
def wh(db: Database) -> Database:
    o.picking_warehouse(db)
    with db.transaction() as s:
        packing.create_box_type(s, "S", "Small carton", 300, 200, 150, TARE)
    return db


def picked_order(db: Database, *lines: tuple[str, int]) -> int:
    order_id = o.cleared_order(db, *lines)
    with db.transaction() as s:
        number = waves.create_wave(
            s, warehouse_code=f.WAREHOUSE, actor="planner", order_ids=[order_id]
        ).number
    with db.transaction() as s:
        waves.confirm_wave_picked(s, number, actor="picker", idempotency_key=f.key("wave"))
    return order_id


def pack_input(
    ref: str, *items: tuple[str, str | None, int], weight: int, box: str = "S", key: str = ""
) -> packing.PackInput:
    return packing.PackInput(
        order_ref=ref,
        items=tuple(packing.ScannedItem(code, lot, q) for code, lot, q in items),
        gross_weight_g=weight,
        box_code=box,
        idempotency_key=key or f.key("pack"),
        actor="packer",
    )


def pack(db: Database, data: packing.PackInput, **kwargs: object) -> dict[str, object]:
    with db.transaction() as s:
        return packing.pack(s, data, **kwargs)  # type: ignore[arg-type]


def pdf_text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def test_packing_creates_the_parcel_from_what_was_picked(wh: Database) -> None:
    order_id = picked_order(wh, (f.MILK.sku, 8))  # L1 from two bins
    expected = 8 * MILK_G + TARE
    data = pack_input(f"O{order_id}", (f.MILK.sku, "L1", 3), (f.MILK.gtin, None, 5), weight=8300)

    answer = pack(wh, data)

    assert answer["parcel_number"] == f"P{order_id:010d}"
    assert (answer["expected_weight_g"], answer["gross_weight_g"]) == (expected, 8300)
    assert answer["items"] == [{"sku": f.MILK.sku, "lot_number": "L1", "quantity": 8}]
    with wh.reading() as s:
        parcel = packing.parcel_by_number(s, answer["parcel_number"])
        assert parcel.status is ParcelStatus.PACKED
        assert (parcel.length_mm, parcel.width_mm, parcel.height_mm) == (300, 200, 150)
        order = orders.order_by_id(s, order_id)
        assert order.status is OrderStatus.PACKED
        assert parcel.tracking_number == order.tracking_number
        assert [i.quantity for i in parcel.items] == [8]  # one order line, one lot

    again = pack(wh, data)
    assert again["replayed"] and again["parcel_number"] == answer["parcel_number"]
    with wh.reading() as s:
        assert s.scalar(select(func.count(Parcel.id))) == 1
        assert s.scalar(select(func.count(ParcelItem.id))) == 1


def test_the_order_is_found_by_tracking_number_or_order_number(wh: Database) -> None:
    first = picked_order(wh, (f.SERUM.sku, 1))
    second = picked_order(wh, (f.SERUM.sku, 1))
    with wh.reading() as s:
        tracking = orders.order_by_id(s, first).tracking_number
        number = orders.order_by_id(s, second).order_number
    weight = MILK_G + TARE
    assert (
        pack(wh, pack_input(tracking, (f.SERUM.sku, "S1", 1), weight=weight))["order_id"] == first
    )
    assert pack(wh, pack_input(number, (f.SERUM.sku, None, 1), weight=weight))["order_id"] == second
    with pytest.raises(NotFound) as unknown:
        pack(wh, pack_input("NOPE", (f.SERUM.sku, None, 1), weight=weight))
    assert unknown.value.field == "order_ref"


@pytest.mark.parametrize(
    ("weight", "tolerance", "accepted"),
    [
        (2 * MILK_G + TARE + 109, None, True),  # 2190 g expected: 5 % is 110 g
        (2 * MILK_G + TARE - 110, None, True),
        (2 * MILK_G + TARE + 111, None, False),
        (2 * MILK_G + TARE + 200, Decimal(10), True),  # a looser setting
        (2 * MILK_G + TARE + 51, Decimal(0), False),  # never tighter than 50 g
        (2 * MILK_G + TARE + 50, Decimal(0), True),
    ],
)
def test_the_weight_must_be_within_tolerance(
    wh: Database, weight: int, tolerance: Decimal | None, accepted: bool
) -> None:
    order_id = picked_order(wh, (f.SERUM.sku, 2))
    data = pack_input(f"O{order_id}", (f.SERUM.sku, "S1", 2), weight=weight)
    if accepted:
        assert pack(wh, data, tolerance_pct=tolerance)["gross_weight_g"] == weight
        return
    with pytest.raises(Conflict, match=f"weighs {weight} g but should weigh 2190 g") as refused:
        pack(wh, data, tolerance_pct=tolerance)
    assert refused.value.field == "gross_weight_g"
    assert refused.value.details["expected_g"] == 2190
    with wh.reading() as s:
        assert orders.order_by_id(s, order_id).status is OrderStatus.PICKED
        assert s.scalar(select(func.count(Parcel.id))) == 0


def test_an_order_not_yet_picked_is_refused(wh: Database) -> None:
    order_id = o.cleared_order(wh, (f.SERUM.sku, 1))
    with pytest.raises(Conflict, match="is cleared: only picked orders are packed") as refused:
        pack(wh, pack_input(f"O{order_id}", (f.SERUM.sku, None, 1), weight=MILK_G + TARE))
    assert refused.value.field == "order_ref"


@pytest.mark.parametrize(
    ("items", "field", "message"),
    [
        (
            ((f.MILK.sku, None, 1), (f.SERUM.sku, None, 1), (f.SERUM.sku, None, 1)),
            "items[0].product_code",
            "MILK-900 is not in order",
        ),
        (((f.SERUM.sku, None, 1),), "items", "SERUM-30: 1 scanned, 2 picked"),
        (((f.SERUM.sku, None, 3),), "items", "SERUM-30: 3 scanned, 2 picked"),
        (((f.SERUM.sku, "S9", 2),), "items[0].lot_number", "lot S9 of SERUM-30 was not picked"),
        (((f.SERUM.sku, None, 0),), "items[0].quantity", "positive"),
        ((), "items", "scan the items"),
    ],
)
def test_wrong_items_are_refused_naming_the_sku(
    wh: Database, items: tuple[tuple[str, str | None, int], ...], field: str, message: str
) -> None:
    order_id = picked_order(wh, (f.SERUM.sku, 2))
    with pytest.raises((Conflict, InvalidInput)) as refused:
        pack(wh, pack_input(f"O{order_id}", *items, weight=2 * MILK_G + TARE))
    assert refused.value.field == field
    assert message in refused.value.message


def test_the_label_carries_the_tracking_number_and_marks_the_parcel_labelled(
    wh: Database,
) -> None:
    order_id = picked_order(wh, (f.SERUM.sku, 1))
    number = pack(wh, pack_input(f"O{order_id}", (f.SERUM.sku, None, 1), weight=1200))[
        "parcel_number"
    ]
    with wh.transaction() as s:
        pdf = packing.label_parcel(s, number, "packer")
    with wh.reading() as s:
        order = orders.order_by_id(s, order_id)
        tracking = order.tracking_number
        assert order.status is OrderStatus.LABELLED
        assert packing.parcel_by_number(s, number).status is ParcelStatus.LABELLED
    text = pdf_text(pdf)
    assert tracking in text
    assert "138****5678" in text and "13812345678" not in text  # phone masked
    assert "张*" in text

    with wh.transaction() as s:  # a re-print: same label, no second transition
        assert tracking in pdf_text(packing.label_parcel(s, number, "packer"))
    with wh.reading() as s:
        kinds = s.scalars(
            select(OrderEvent.kind).where(
                OrderEvent.order_id == order_id, OrderEvent.kind == "labelled"
            )
        ).all()
        assert kinds == ["labelled"]


def test_a_wave_labels_in_one_pdf(wh: Database) -> None:
    ids = [o.cleared_order(wh, (f.SERUM.sku, 1)) for _ in range(2)]
    with wh.transaction() as s:
        number = waves.create_wave(s, warehouse_code=f.WAREHOUSE, actor="planner").number
    with wh.transaction() as s:
        waves.confirm_wave_picked(s, number, actor="picker", idempotency_key="w")
    with wh.transaction() as s:
        packing.pack_many(
            s, [pack_input(f"O{i}", (f.SERUM.sku, None, 1), weight=1170) for i in ids]
        )
    with wh.transaction() as s:
        pdf = packing.label_wave(s, number, "packer")
    assert len(pdfium.PdfDocument(pdf)) == 2
    with wh.reading() as s:
        assert {orders.order_by_id(s, i).status for i in ids} == {OrderStatus.LABELLED}


def test_box_types(wh: Database) -> None:
    with wh.transaction() as s:
        packing.create_box_type(s, "M", "Medium carton", 400, 300, 200, 250)
    with wh.reading() as s:
        assert [b.code for b in packing.box_types(s)] == ["M", "S"]
    with wh.transaction() as s, pytest.raises(Conflict):
        packing.create_box_type(s, "M", "Again", 1, 1, 1, 0)
    with wh.transaction() as s, pytest.raises(InvalidInput) as bad:
        packing.create_box_type(s, "X", "Flat", 100, 0, 10, 0)
    assert bad.value.field == "width_mm"
