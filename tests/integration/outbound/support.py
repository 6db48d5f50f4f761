"""Orders for the outbound tests, received through the services."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from itertools import count

from tests import factories as f
from wms.db import Database
from wms.models import Flow
from wms.services import orders

CHANNEL = "TMALLG"
_numbers = count(1)


def channel(db: Database, code: str = CHANNEL, min_shelf_life_days: int = 0) -> None:
    with db.transaction() as s:
        orders.create_channel(
            s,
            orders.ChannelInput(
                code,
                "Tmall Global",
                min_shelf_life_days=min_shelf_life_days,
                platform_code="3301960000",
                ecommerce_code="31149679BN",
            ),
        )


def resident_id(n: int) -> str:
    """A valid mainland resident ID number, one per ``n`` (birth year and sequence vary)."""
    from customs.identity import id_check_character

    first17 = f"110105{1950 + n // 1000 % 50}0101{n % 1000:03d}"
    return first17 + id_check_character(first17)


def tax_of(lines: list[tuple[int, Decimal]], freight: Decimal) -> Decimal:
    """The CBEC tax the consumer pays on (quantity, unit price) lines of the test
    products (both HS 0402210000, tax category general) declared today."""
    from datetime import date

    from customs import order_tax

    taxed = order_tax.order_tax(
        order_tax.Order(
            lines=tuple(order_tax.OrderLine("0402210000", "general", q, p) for q, p in lines),
            on=date.today(),
            freight=freight,
        )
    )
    return taxed.total_tax


def order_input(
    *lines: tuple[str, int],
    number: str | None = None,
    flow: Flow = Flow.BONDED_IMPORT,
    channel_code: str = CHANNEL,
    unit_price: Decimal = Decimal("199.00"),
) -> orders.OrderInput:
    number = number or f"T{next(_numbers):08d}"
    goods = sum((unit_price * q for _, q in lines), Decimal(0))
    return orders.OrderInput(
        channel=channel_code,
        order_number=number,
        flow=flow,
        warehouse=f.WAREHOUSE,
        consignee=orders.ConsigneeInput(
            name="张三",
            phone="13812345678",
            country="CN",
            province="浙江省",
            city="杭州市",
            district="余杭区",
            address="文一西路969号",
            postcode="311121",
            id_type="resident_id",
            id_number="11010519491231002X",
        ),
        lines=tuple(orders.OrderLineInput(sku, q, unit_price) for sku, q in lines),
        freight=Decimal("10.00"),
        payment=orders.PaymentInput(
            payment_number=f"PAY{number}",
            payer_name="张三",
            amount=goods
            + Decimal("10.00")
            + tax_of([(q, unit_price) for _, q in lines], Decimal("10.00")),
            paid_at=datetime(2026, 11, 21, 8, 30, tzinfo=UTC),
            payer_id_number="11010519491231002X",
        ),
    )


def receive_order(db: Database, *lines: tuple[str, int], **kwargs: object) -> int:
    with db.transaction() as s:
        return orders.receive_order(s, order_input(*lines, **kwargs), actor="api").order.id  # type: ignore[arg-type]


def advance(db: Database, order_id: int, *targets: str, actor: str = "tester") -> None:
    """Walk an order through its steps by the services users call: planned (courier and
    tracking number), declared (the list lodged: tax, limits, three-order match), cleared
    or rejected by customs; other targets are plain recorded transitions."""
    from wms.models import OrderStatus
    from wms.services import order_customs

    for target in targets:
        with db.transaction() as s:
            order = orders.order_by_id(s, order_id)
            if target == "planned":
                orders.plan(
                    s,
                    order,
                    courier_code="SF",
                    tracking_number=f"SF{order.id:010d}",
                    actor=actor,
                )
            elif target == "declared":
                order_customs.declare(s, order_id, actor=actor)
            elif target == "cleared":
                order_customs.clear(s, order_id, actor=actor)
            elif target == "rejected":
                order_customs.reject(s, order_id, reason="payer does not match", actor=actor)
            else:
                orders.transition(s, order, OrderStatus(target), kind=target, actor=actor)


def labelled_parcel(db: Database, order_id: int) -> str:
    """Allocate, plan, declare, clear, pick into staging, pack and label one bonded order
    directly through the ledger and the models (release tests need a parcel, not the
    picking screens).  Returns the parcel number."""
    from sqlalchemy import select

    from wms.models import (
        MoveReason,
        OrderStatus,
        Parcel,
        ParcelItem,
        ParcelStatus,
        Reservation,
    )
    from wms.services import allocation, ledger
    from wms.services.staging import outbound_staging

    with db.transaction() as s:
        allocation.allocate(s, order_id, actor="tester")
    advance(db, order_id, "planned", "declared", "cleared")
    with db.transaction() as s:
        order = orders.order_by_id(s, order_id)
        staging = outbound_staging(s, order.warehouse_id, bonded=order.flow is Flow.BONDED_IMPORT)
        rows = list(s.scalars(select(Reservation).where(Reservation.order_id == order_id)))
        ledger.post(
            s,
            idempotency_key=f"test-pick-{order_id}",
            fingerprint="test",
            kind="pick",
            reason=MoveReason.TRANSFER,
            actor="tester",
            lines=[
                ledger.MoveLine(r.lot_id, r.quantity, r.location_id, staging.id, from_reserved=True)
                for r in rows
            ],
            document_ref=order.order_number,
        )
        for r in rows:
            r.picked_quantity, r.open = r.quantity, False
        for line in order.lines:
            line.picked_quantity = line.quantity
        parcel = Parcel(
            number=f"P{order_id:08d}",
            order_id=order_id,
            length_mm=300,
            width_mm=200,
            height_mm=150,
            gross_weight_g=1500,
            expected_weight_g=1500,
            status=ParcelStatus.LABELLED,
            courier_code=order.courier_code,
            tracking_number=order.tracking_number,
            packed_by="tester",
            packed_at=ledger.utcnow(),
            labelled_at=ledger.utcnow(),
        )
        s.add(parcel)
        s.flush()
        for r in rows:
            s.add(
                ParcelItem(
                    parcel_id=parcel.id,
                    order_line_id=r.order_line_id,
                    lot_id=r.lot_id,
                    quantity=r.quantity,
                )
            )
        for target in (OrderStatus.PICKED, OrderStatus.PACKED, OrderStatus.LABELLED):
            orders.transition(s, order, target, kind=target.value, actor="tester")
        return parcel.number


def cleared_order(db: Database, *lines: tuple[str, int], **kwargs: object) -> int:
    """A bonded order received, allocated, planned, declared and cleared: ready to pick."""
    from wms.services import allocation

    order_id = receive_order(db, *lines, **kwargs)
    with db.transaction() as s:
        allocation.allocate(s, order_id, actor="tester")
    advance(db, order_id, "planned", "declared", "cleared")
    return order_id


def set_pick_sequence(db: Database, sequence: dict[str, int]) -> None:
    """Walking order of bins by barcode (the pick path)."""
    from sqlalchemy import update

    from wms.models import Location

    with db.transaction() as s:
        for barcode, n in sequence.items():
            s.execute(update(Location).where(Location.barcode == barcode).values(pick_sequence=n))


def picking_warehouse(db: Database) -> None:
    """SHA1 with ED-1 received and put away for picking, and the channel.

    Milk L1 (expires 2028-06-30): 5 in A-01, 5 in A-02; milk L2 (2028-12-31): 10 in
    B-01; serum S1: 10 in B-01.  Walking order: B-01, A-02, then A-01 (no sequence).
    """
    from datetime import date

    f.build_warehouse(db)
    f.declare(db, "ED-1", (f.MILK.sku, 100), (f.SERUM.sku, 40))
    f.receive(db, "ED-1", f.MILK.sku, "L1", 10)
    f.receive(db, "ED-1", f.MILK.sku, "L2", 10, expiry_date=date(2028, 12, 31))
    f.receive(db, "ED-1", f.SERUM.sku, "S1", 10)
    f.putaway(db, f.MILK.sku, "L1", 5, to=f.BINS[0])
    f.putaway(db, f.MILK.sku, "L1", 5, to=f.BINS[1])
    f.putaway(db, f.MILK.sku, "L2", 10, to=f.BINS[2])
    f.putaway(db, f.SERUM.sku, "S1", 10, to=f.BINS[2])
    set_pick_sequence(db, {f.BINS[2]: 1, f.BINS[1]: 2})
    channel(db)


def export_parcel(
    db: Database,
    country: str,
    weight_g: int,
    size_mm: tuple[int, int, int] = (200, 150, 100),
    *,
    flow: Flow = Flow.EXPORT,
    status: str = "packed",
    carton: str | None = None,
) -> str:
    """An export order (no consignee ID, no payment) and its parcel as packing leaves it,
    built directly: for the consolidation tests, which do not test packing."""
    from dataclasses import replace

    from wms.models import Parcel, ParcelStatus

    data = order_input((f.MILK.sku, 1), flow=flow)
    consignee = replace(data.consignee, country=country, id_type=None, id_number=None)
    with db.transaction() as s:
        order = orders.receive_order(
            s, replace(data, consignee=consignee, payment=None), actor="api"
        ).order
        parcel = Parcel(
            number=f"P-{order.order_number}",
            order_id=order.id,
            length_mm=size_mm[0],
            width_mm=size_mm[1],
            height_mm=size_mm[2],
            gross_weight_g=weight_g,
            expected_weight_g=weight_g,
            status=ParcelStatus(status),
            master_carton=carton,
            packed_by="packer",
            packed_at=datetime(2026, 11, 21, 8, 0, tzinfo=UTC),
        )
        s.add(parcel)
        s.flush()
        return parcel.number
