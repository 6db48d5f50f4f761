"""Consumer orders: receiving them from channels, and the one way their status changes.

An order is identified by its channel and the channel's order number.  Receiving the
same order again (a re-import, a retried push) returns the order already there; a
different order under the same number is refused.  Personal data is sealed on the way
in (services.protect) and never logged or echoed back.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from wms.models import (
    Channel,
    Flow,
    Order,
    OrderEvent,
    OrderLine,
    OrderStatus,
    Product,
    Warehouse,
)
from wms.models.types import money_text
from wms.services import order_flow, protect
from wms.services.catalog import gtin_forms
from wms.services.errors import Conflict, InvalidInput, NotFound, ServiceError
from wms.services.ledger import utcnow

MAX_LINES = 200
_CURRENCY = re.compile(r"[A-Z]{3}")
_COUNTRY = re.compile(r"[A-Z]{2}")


@dataclass(frozen=True)
class ChannelInput:
    code: str
    name: str
    min_shelf_life_days: int = 0
    platform_code: str | None = None
    ecommerce_code: str | None = None


@dataclass(frozen=True)
class OrderLineInput:
    sku: str  # or GTIN
    quantity: int
    unit_price: Decimal
    discount: Decimal = Decimal(0)


@dataclass(frozen=True)
class ConsigneeInput:
    name: str
    phone: str
    country: str
    address: str
    id_type: str | None = None  # e.g. "resident_id", "passport"
    id_number: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None
    postcode: str | None = None


@dataclass(frozen=True)
class PaymentInput:
    payment_number: str
    payer_name: str
    amount: Decimal
    paid_at: datetime
    payer_id_number: str | None = None


@dataclass(frozen=True)
class OrderInput:
    channel: str
    order_number: str
    flow: Flow
    warehouse: str
    consignee: ConsigneeInput
    lines: tuple[OrderLineInput, ...]
    currency: str = "CNY"
    freight: Decimal = Decimal(0)
    insurance: Decimal = Decimal(0)
    payment: PaymentInput | None = None


@dataclass(frozen=True)
class Received:
    order: Order
    created: bool


def create_channel(session: Session, data: ChannelInput) -> Channel:
    if session.scalar(select(Channel.id).where(Channel.code == data.code)):
        raise Conflict(f"channel {data.code} already exists", field="code")
    if data.min_shelf_life_days < 0:
        raise InvalidInput("shelf life cannot be negative", field="min_shelf_life_days")
    channel = Channel(**asdict(data), created_at=utcnow())
    session.add(channel)
    session.flush()
    return channel


def channel_by_code(session: Session, code: str, *, field: str = "channel") -> Channel:
    channel = session.scalar(select(Channel).where(Channel.code == code))
    if channel is None:
        raise NotFound(f"no channel {code}", field=field)
    return channel


def receive_order(
    session: Session,
    data: OrderInput,
    *,
    actor: str,
    at: datetime | None = None,
    products: dict[str, Product] | None = None,
) -> Received:
    """Record an order as received (status ``received``), or return the one already there."""
    result = receive_orders(session, [data], actor=actor, at=at, products=products)[0]
    if isinstance(result, ServiceError):
        raise result
    return result


def receive_orders(
    session: Session,
    inputs: list[OrderInput],
    *,
    actor: str,
    at: datetime | None = None,
    products: dict[str, Product] | None = None,
) -> list[Received | ServiceError]:
    """Receive many orders at once: each is received, found already there, or refused
    with its reason; a refusal writes nothing for that order and does not stop the
    others.  Looks channels, warehouses, SKUs and earlier orders up once for the batch
    and writes with one flush, which is what keeps a 10,000-order import in seconds.
    ``products`` lets a caller keep the SKU cache across batches of one session."""
    at = at or utcnow()
    products = products if products is not None else {}
    channels = {
        c.code: c
        for c in session.scalars(
            select(Channel).where(Channel.code.in_({d.channel for d in inputs}))
        )
    }
    warehouses = {
        w.code: w
        for w in session.scalars(
            select(Warehouse).where(Warehouse.code.in_({d.warehouse for d in inputs}))
        )
    }
    known: dict[tuple[int, str], Order] = {
        (o.channel_id, o.order_number): o
        for o in session.scalars(
            select(Order).where(
                Order.channel_id.in_([c.id for c in channels.values()]),
                Order.order_number.in_({d.order_number for d in inputs}),
            )
        )
    }
    results: list[Received | ServiceError | None] = [None] * len(inputs)
    created: list[tuple[int, Order]] = []
    for i, data in enumerate(inputs):
        try:
            channel = channels.get(data.channel)
            if channel is None:
                raise NotFound(f"no channel {data.channel}", field="channel")
            digest = protect.fingerprint(_canonical(data))
            prior = known.get((channel.id, data.order_number))
            if prior is not None:
                if prior.request_hash != digest:
                    raise Conflict(
                        f"order {data.order_number} of {data.channel} was already received "
                        "with different content",
                        field="order_number",
                        order_id=prior.id,
                    )
                results[i] = Received(prior, created=False)
                continue
            warehouse = warehouses.get(data.warehouse)
            if warehouse is None:
                raise NotFound(f"no warehouse {data.warehouse}", field="warehouse")
            _check_order(data)
            order = _new_order(
                data, channel, warehouse, digest, _products(session, data.lines, products), at
            )
        except ServiceError as refusal:
            results[i] = refusal
            continue
        session.add(order)
        known[(channel.id, data.order_number)] = order
        created.append((i, order))
    session.flush()
    if created:
        session.execute(
            insert(OrderEvent),
            [
                {
                    "order_id": order.id,
                    "from_status": None,
                    "to_status": OrderStatus.RECEIVED.value,
                    "kind": "received",
                    "actor": actor,
                    "at": at,
                    "details": None,
                }
                for _, order in created
            ],
        )
    for i, order in created:
        results[i] = Received(order, created=True)
    return [r for r in results if r is not None]


def _new_order(
    data: OrderInput,
    channel: Channel,
    warehouse: Warehouse,
    digest: str,
    resolved: list[Product],
    at: datetime,
) -> Order:
    consignee, payment = data.consignee, data.payment
    order = Order(
        channel_id=channel.id,
        order_number=data.order_number,
        warehouse_id=warehouse.id,
        flow=data.flow,
        status=OrderStatus.RECEIVED,
        request_hash=digest,
        consignee_name=consignee.name,
        consignee_id_type=consignee.id_type,
        consignee_id_sealed=protect.seal(consignee.id_number) if consignee.id_number else None,
        consignee_id_masked=protect.mask_id(consignee.id_number) if consignee.id_number else None,
        consignee_phone_sealed=protect.seal(consignee.phone),
        consignee_phone_masked=protect.mask_phone(consignee.phone),
        country=consignee.country,
        province=consignee.province,
        city=consignee.city,
        district=consignee.district,
        address=consignee.address,
        postcode=consignee.postcode,
        currency=data.currency,
        freight=data.freight,
        insurance=data.insurance,
        created_at=at,
    )
    if payment is not None:
        order.payment_number = payment.payment_number
        order.payer_name = payment.payer_name
        order.paid_amount = payment.amount
        order.paid_at = payment.paid_at
        if payment.payer_id_number:
            order.payer_id_sealed = protect.seal(payment.payer_id_number)
            order.payer_id_masked = protect.mask_id(payment.payer_id_number)
    order.lines = [
        OrderLine(
            line_no=i + 1,
            product_id=product.id,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount=line.discount,
        )
        for i, (line, product) in enumerate(zip(data.lines, resolved, strict=True))
    ]
    return order


def order_by_id(session: Session, order_id: int, *, lock: bool = False) -> Order:
    stmt = select(Order).where(Order.id == order_id)
    if lock:
        stmt = stmt.with_for_update()
    order = session.scalar(stmt)
    if order is None:
        raise NotFound(f"order {order_id} does not exist", field="order_id")
    return order


def order_by_number(session: Session, channel: str, number: str) -> Order:
    order = session.scalar(
        select(Order)
        .join(Channel, Channel.id == Order.channel_id)
        .where(Channel.code == channel, Order.order_number == number)
    )
    if order is None:
        raise NotFound(f"no order {number} from {channel}", field="order_number")
    return order


def transition(
    session: Session,
    order: Order,
    target: OrderStatus,
    *,
    kind: str,
    actor: str,
    at: datetime | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """The one way an order's status changes: checked against the flow, and recorded."""
    order_flow.check(order.flow, order.status, target, order.order_number)
    resume = order.resume_status
    if order.status is OrderStatus.ON_HOLD and resume is not None:
        allowed = order_flow.resumptions(order.flow, resume)
        if target not in allowed:
            raise Conflict(
                f"order {order.order_number} is on hold since {resume.value}; it can become "
                + ", ".join(sorted(s.value for s in allowed)),
                field="status",
            )
    before = order.status
    if target is OrderStatus.ON_HOLD:
        order.resume_status = order.resume_status or _resume_after_hold(before)
    elif before is OrderStatus.ON_HOLD:
        order.resume_status = None
        order.hold_reason = None
    order.status = target
    record(session, order, before, target, kind, actor, at or utcnow(), details)


def record(
    session: Session,
    order: Order,
    before: OrderStatus | None,
    after: OrderStatus,
    kind: str,
    actor: str,
    at: datetime,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        OrderEvent(
            order_id=order.id,
            from_status=before.value if before else None,
            to_status=after.value,
            kind=kind,
            actor=actor,
            at=at,
            details=details,
        )
    )


def _resume_after_hold(status: OrderStatus) -> OrderStatus:
    # Short of stock before allocation: allocation resumes it.  Held later (customs
    # inspection, a short pick): it goes back to where it was.
    return OrderStatus.ALLOCATED if status is OrderStatus.RECEIVED else status


def plan(
    session: Session,
    order: Order,
    *,
    courier_code: str,
    tracking_number: str,
    actor: str,
    at: datetime | None = None,
) -> None:
    """Courier and tracking number: they exist before the declaration, which carries
    the waybill as one of the three matched documents."""
    plan_many(session, [(order, courier_code, tracking_number)], actor=actor, at=at)


def plan_many(
    session: Session,
    plans: list[tuple[Order, str, str]],
    *,
    actor: str,
    at: datetime | None = None,
) -> None:
    """``plan`` for many orders (order, courier code, tracking number), checking the
    tracking numbers in one query."""
    at = at or utcnow()
    wanted: dict[str, int] = {}
    for order, courier_code, tracking_number in plans:
        if not courier_code.strip():
            raise InvalidInput("a courier is required", field="courier_code")
        if not tracking_number.strip():
            raise InvalidInput("a tracking number is required", field="tracking_number")
        if wanted.setdefault(tracking_number, order.id) != order.id:
            raise InvalidInput(
                f"tracking number {tracking_number} is given to two orders",
                field="tracking_number",
            )
    taken = {
        number: (order_id, order_number)
        for number, order_id, order_number in session.execute(
            select(Order.tracking_number, Order.id, Order.order_number).where(
                Order.tracking_number.in_(wanted)
            )
        )
    }
    for order, courier_code, tracking_number in plans:
        holder = taken.get(tracking_number)
        if holder is not None and holder[0] != order.id:
            raise Conflict(
                f"tracking number {tracking_number} is already on order {holder[1]}",
                field="tracking_number",
            )
        transition(
            session,
            order,
            OrderStatus.PLANNED,
            kind="planned",
            actor=actor,
            at=at,
            details={"courier_code": courier_code, "tracking_number": tracking_number},
        )
        order.courier_code = courier_code
        order.tracking_number = tracking_number


def public_view(order: Order) -> dict[str, Any]:
    """An order as screens and the API show it: personal data masked."""
    return {
        "id": order.id,
        "channel": order.channel.code,
        "order_number": order.order_number,
        "flow": order.flow.value,
        "status": order.status.value,
        "resume_status": order.resume_status.value if order.resume_status else None,
        "hold_reason": order.hold_reason,
        "consignee": {
            "name": order.consignee_name,
            "id_type": order.consignee_id_type,
            "id_number": order.consignee_id_masked,
            "phone": order.consignee_phone_masked,
            "country": order.country,
            "province": order.province,
            "city": order.city,
            "district": order.district,
            "address": order.address,
            "postcode": order.postcode,
        },
        "currency": order.currency,
        "freight": money_text(order.freight),
        "insurance": money_text(order.insurance),
        "payment": None
        if order.payment_number is None
        else {
            "payment_number": order.payment_number,
            "payer_name": order.payer_name,
            "payer_id_number": order.payer_id_masked,
            "amount": money_text(order.paid_amount) if order.paid_amount is not None else None,
            "paid_at": order.paid_at.isoformat() if order.paid_at else None,
        },
        "courier_code": order.courier_code,
        "tracking_number": order.tracking_number,
        "declaration_ref": order.declaration_ref,
        "customs_note": order.customs_note,
        "lines": [
            {
                "line_no": line.line_no,
                "sku": line.product.sku,
                "quantity": line.quantity,
                "unit_price": money_text(line.unit_price),
                "discount": money_text(line.discount),
                "picked_quantity": line.picked_quantity,
            }
            for line in order.lines
        ],
        "created_at": order.created_at.isoformat(),
        "released_at": order.released_at.isoformat() if order.released_at else None,
    }


# --- validation ------------------------------------------------------------------------


def _canonical(data: OrderInput) -> str:
    # The dataclass repr names every field with its value (Decimal and datetime reprs are
    # exact), and costs a tenth of ``asdict``'s deep copy.
    return repr(data)


def _check_order(data: OrderInput) -> None:
    if not data.order_number.strip():
        raise InvalidInput("an order number is required", field="order_number")
    if not _CURRENCY.fullmatch(data.currency):
        raise InvalidInput("currency is a three-letter ISO 4217 code", field="currency")
    for name in ("freight", "insurance"):
        if getattr(data, name) < 0:
            raise InvalidInput(f"{name} cannot be negative", field=name)
    consignee = data.consignee
    if not consignee.name.strip():
        raise InvalidInput("the consignee's name is required", field="consignee.name")
    if not _COUNTRY.fullmatch(consignee.country):
        raise InvalidInput("country is a two-letter ISO 3166 code", field="consignee.country")
    if not consignee.address.strip():
        raise InvalidInput("the consignee's address is required", field="consignee.address")
    if sum(c.isdigit() for c in consignee.phone) < 6:
        raise InvalidInput("the consignee's phone needs at least 6 digits", field="consignee.phone")
    if data.flow in {Flow.BONDED_IMPORT, Flow.DIRECT_MAIL}:
        # Customs clears each of these orders against the buyer's identity and payment.
        if not consignee.id_number or not consignee.id_type:
            raise InvalidInput(
                "a cross-border import order needs the consignee's ID type and number",
                field="consignee.id_number",
            )
        if data.payment is None:
            raise InvalidInput("a cross-border import order needs its payment", field="payment")
    if data.payment is not None:
        if data.payment.amount < 0:
            raise InvalidInput("the paid amount cannot be negative", field="payment.amount")
        if data.payment.paid_at.tzinfo is None:
            raise InvalidInput("paid_at needs a time zone", field="payment.paid_at")
        if not data.payment.payment_number.strip():
            raise InvalidInput("a payment number is required", field="payment.payment_number")
    if not data.lines:
        raise InvalidInput("an order has at least one line", field="lines")
    if len(data.lines) > MAX_LINES:
        raise InvalidInput(f"an order has at most {MAX_LINES} lines", field="lines")
    for i, line in enumerate(data.lines):
        where = f"lines[{i}]"
        if line.quantity <= 0:
            raise InvalidInput("quantity must be positive", field=f"{where}.quantity")
        if line.unit_price < 0:
            raise InvalidInput("unit price cannot be negative", field=f"{where}.unit_price")
        if line.discount < 0 or line.discount > line.unit_price * line.quantity:
            raise InvalidInput(
                "the discount must lie between 0 and the line's value",
                field=f"{where}.discount",
            )


def _products(
    session: Session,
    lines: tuple[OrderLineInput, ...],
    cache: dict[str, Product] | None,
) -> list[Product]:
    cache = cache if cache is not None else {}
    missing = {line.sku for line in lines} - cache.keys()
    if missing:
        codes = set(missing) | {form for code in missing for form in gtin_forms(code)}
        for product in session.scalars(
            select(Product).where(Product.sku.in_(codes) | Product.gtin.in_(codes))
        ):
            cache[product.sku] = product
            if product.gtin:
                for form in gtin_forms(product.gtin):
                    cache.setdefault(form, product)
    found: list[Product] = []
    for i, line in enumerate(lines):
        product = cache.get(line.sku) or next(
            (cache[f] for f in gtin_forms(line.sku) if f in cache), None
        )
        if product is None or not product.active:
            raise NotFound(f"no active product {line.sku}", field=f"lines[{i}].sku")
        found.append(product)
    return found
