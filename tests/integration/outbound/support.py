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
            amount=goods + Decimal("10.00"),
            paid_at=datetime(2026, 11, 21, 8, 30, tzinfo=UTC),
            payer_id_number="11010519491231002X",
        ),
    )


def receive_order(db: Database, *lines: tuple[str, int], **kwargs: object) -> int:
    with db.transaction() as s:
        return orders.receive_order(s, order_input(*lines, **kwargs), actor="api").order.id  # type: ignore[arg-type]
