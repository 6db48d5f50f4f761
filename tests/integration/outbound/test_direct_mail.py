"""Direct mail (9610): parcels registered by scan, sorted to a domestic courier, declared,
cleared and re-labelled, without a single ledger move."""

from __future__ import annotations

from dataclasses import replace

import pypdfium2 as pdfium
import pytest
from sqlalchemy import func, select

from tests import factories as f
from tests.integration.outbound import support
from wms.db import Database
from wms.models import Flow, Move, OrderEvent, OrderStatus, Parcel, ParcelStatus, Quant
from wms.services import direct_mail, orders, releases
from wms.services.errors import Conflict, InvalidInput, NotFound


@pytest.fixture
def dm(db: Database) -> Database:
    f.build_warehouse(db)
    support.channel(db)
    return db


def arrival(
    waybill: str = "EX123456789NZ", number: str = "DM-0001", **changes: object
) -> direct_mail.DirectMailArrival:
    data = direct_mail.DirectMailArrival(
        order=support.order_input((f.MILK.sku, 2), number=number, flow=Flow.DIRECT_MAIL),
        inbound_waybill=waybill,
        gross_weight_g=2150,
        length_mm=320,
        width_mm=220,
        height_mm=140,
    )
    return replace(data, **changes)  # type: ignore[arg-type]


def register(db: Database, data: direct_mail.DirectMailArrival) -> tuple[str, bool]:
    with db.transaction() as s:
        done = direct_mail.register_parcel(s, data, actor="scanner-1")
        return done.parcel.number, done.created


def sort(db: Database, waybill: str = "EX123456789NZ", tracking: str = "SF100200300") -> None:
    with db.transaction() as s:
        direct_mail.sort_to_courier(
            s, waybill, courier_code="SF", tracking_number=tracking, actor="sorter"
        )


def customs(db: Database, *steps: OrderStatus, number: str = "DM-0001") -> None:
    # /orders/<id>/declare and /clear are built elsewhere; the state machine is the same.
    with db.transaction() as s:
        order = orders.order_by_number(s, support.CHANNEL, number)
        for step in steps:
            orders.transition(s, order, step, kind=step.value, actor="broker")
        order.declaration_ref = "310520261000012345"


def relabel(db: Database, waybill: str = "EX123456789NZ") -> bytes:
    with db.transaction() as s:
        return direct_mail.relabel(s, waybill, actor="labeller")


def counts(db: Database) -> tuple[int, int]:
    with db.transaction() as s:
        return (
            s.scalar(select(func.count(Move.id))) or 0,
            s.scalar(select(func.count(Quant.id))) or 0,
        )


def page_text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    try:
        [page] = list(document)
        return page.get_textpage().get_text_range()
    finally:
        document.close()


def test_registering_a_parcel_receives_its_order_and_records_the_parcel_as_packed(dm: Database):
    number, created = register(dm, arrival())
    assert (number, created) == ("EX123456789NZ", True)
    with dm.transaction() as s:
        parcel = direct_mail.direct_mail_parcel(s, number)
        assert parcel.status is ParcelStatus.PACKED
        assert parcel.order.flow is Flow.DIRECT_MAIL
        assert parcel.order.status is OrderStatus.RECEIVED
        assert parcel.gross_weight_g == 2150
        assert [(i.lot_id, i.quantity) for i in parcel.items] == [(None, 2)]


def test_scanning_the_same_parcel_again_returns_it(dm: Database):
    register(dm, arrival())
    assert register(dm, arrival()) == ("EX123456789NZ", False)
    with dm.transaction() as s:
        assert s.scalar(select(func.count(Parcel.id))) == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"gross_weight_g": 2000}, "gross_weight_g"),
        ({"height_mm": 150}, "height_mm"),
        ({"number": "DM-0002"}, "inbound_waybill"),
    ],
)
def test_the_same_waybill_with_other_content_is_refused(
    dm: Database, changes: dict[str, object], field: str
):
    register(dm, arrival())
    data = arrival(number=str(changes.pop("number", "DM-0001")), **changes)
    with pytest.raises(Conflict) as err:
        register(dm, data)
    assert err.value.field == field


def test_an_order_arrives_as_one_parcel_only(dm: Database):
    register(dm, arrival())
    with pytest.raises(Conflict) as err:
        register(dm, arrival(waybill="EX999999999NZ"))
    assert err.value.field == "order_number"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (arrival(waybill=" "), "inbound_waybill"),
        (arrival(waybill="EX 1234"), "inbound_waybill"),
        (arrival(waybill="X" * 41), "inbound_waybill"),
        (arrival(gross_weight_g=0), "gross_weight_g"),
        (arrival(width_mm=-5), "width_mm"),
    ],
)
def test_bad_arrivals_are_refused_naming_the_field(
    dm: Database, data: direct_mail.DirectMailArrival, field: str
):
    with pytest.raises(InvalidInput) as err:
        register(dm, data)
    assert err.value.field == field
    assert counts(dm) == (0, 0)


def test_only_direct_mail_orders_arrive_as_parcels(dm: Database):
    data = arrival()
    with pytest.raises(InvalidInput) as err:
        register(dm, replace(data, order=replace(data.order, flow=Flow.BONDED_IMPORT)))
    assert err.value.field == "flow"


def test_declared_goods_must_be_catalogue_products(dm: Database):
    # The documented limitation: order lines reference products.
    data = arrival()
    lines = (orders.OrderLineInput("NOT-OURS-1", 1, data.order.lines[0].unit_price),)
    with pytest.raises(NotFound) as err:
        register(dm, replace(data, order=replace(data.order, lines=lines)))
    assert err.value.field == "lines[0].sku"


def test_sorting_plans_the_order_with_the_domestic_courier(dm: Database):
    register(dm, arrival())
    sort(dm)
    sort(dm)  # a repeated scan changes nothing
    with dm.transaction() as s:
        parcel = direct_mail.direct_mail_parcel(s, "EX123456789NZ")
        assert parcel.order.status is OrderStatus.PLANNED
        assert (parcel.courier_code, parcel.tracking_number) == ("SF", "SF100200300")
        assert (parcel.order.courier_code, parcel.order.tracking_number) == ("SF", "SF100200300")
    with pytest.raises(Conflict) as err:
        sort(dm, tracking="SF999")
    assert err.value.field == "parcel_number"


def test_a_tracking_number_is_used_once(dm: Database):
    register(dm, arrival())
    register(dm, arrival(waybill="EX2", number="DM-0002"))
    sort(dm)
    with pytest.raises(Conflict) as err:
        sort(dm, "EX2")
    assert err.value.field == "tracking_number"


def test_relabelling_before_clearance_is_refused(dm: Database):
    register(dm, arrival())
    sort(dm)
    customs(dm, OrderStatus.DECLARED)
    with pytest.raises(Conflict, match="before customs clears") as err:
        relabel(dm)
    assert err.value.field == "parcel_number"
    with dm.transaction() as s:
        assert direct_mail.direct_mail_parcel(s, "EX123456789NZ").status is ParcelStatus.PACKED


def test_from_arrival_to_labelled_no_stock_moves(dm: Database):
    # Our own milk in a bonded bin: a direct-mail parcel of milk must not touch it.
    f.declare(dm, "ED-1", (f.MILK.sku, 10))
    f.receive(dm, "ED-1", f.MILK.sku, "L1", 10)
    f.putaway(dm, f.MILK.sku, "L1", 10)
    before = counts(dm)
    register(dm, arrival())
    sort(dm)
    customs(dm, OrderStatus.DECLARED, OrderStatus.CLEARED)
    pdf = relabel(dm)
    assert counts(dm) == before
    text = page_text(pdf)
    assert "SF100200300" in text and "SF" in text
    assert "138****5678" in text and "13812345678" not in text
    assert "310520261000012345" in text
    with dm.transaction() as s:
        parcel = direct_mail.direct_mail_parcel(s, "EX123456789NZ")
        assert parcel.status is ParcelStatus.LABELLED and parcel.labelled_at is not None
        assert parcel.order.status is OrderStatus.LABELLED
        trail = s.scalars(
            select(OrderEvent.to_status)
            .where(OrderEvent.order_id == parcel.order_id)
            .order_by(OrderEvent.id)
        ).all()
    assert trail == ["received", "planned", "declared", "cleared", "labelled"]
    # A torn label is printed again; nothing else changes.
    assert relabel(dm)[:5] == b"%PDF-"
    assert counts(dm) == before


def test_an_unknown_parcel_is_not_found(dm: Database):
    with pytest.raises(NotFound) as err:
        relabel(dm, "NOPE")
    assert err.value.field == "parcel_number"


def test_a_relabelled_parcel_leaves_on_a_release_batch_without_moves(dm: Database):
    register(dm, arrival())
    sort(dm)
    customs(dm, OrderStatus.DECLARED, OrderStatus.CLEARED)
    relabel(dm)
    before = counts(dm)
    with dm.transaction() as s:
        batch = releases.create_batch(
            s, warehouse_code=f.WAREHOUSE, vehicle_plate="沪A12345", actor="gate"
        ).number
        releases.load_parcel(s, releases.LoadScan(batch, "SF100200300", f.key("load"), "gate"))
        releases.close_batch(s, batch, seal_number="S-1", actor="gate")
        done = releases.gate_out(s, releases.GateOut(batch, f.key("gate"), "gate"))
    assert (done["parcels"], done["units"], done["operation_id"]) == (1, 0, None)
    assert counts(dm) == before
    with dm.transaction() as s:
        parcel = direct_mail.direct_mail_parcel(s, "EX123456789NZ")
        assert parcel.status is ParcelStatus.RELEASED
        assert parcel.order.status is OrderStatus.RELEASED
