"""Overseas direct mail (customs mode 9610): parcels that arrive already packed from
abroad, each under its own declaration.  The warehouse registers each parcel by
scanning its inbound waybill, sorts it to a domestic courier (the order's plan: courier
and new tracking number, which the declaration carries) and, once customs has cleared
it, prints the domestic label over the foreign one.  From there it is loaded onto a
release batch like any other parcel.

No stock of ours is involved: nothing here posts a ledger move, the parcel's items
carry no lot, and allocation refuses direct-mail orders.

Limitation: the declared goods are order lines, and order lines reference products, so
every SKU a direct-mail parcel declares must exist in our catalogue (services.orders
refuses an unknown one, naming the line).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from labels.masking import mask_name, mask_phone
from labels.model import Address, ShippingLabel
from labels.pdf import render_pdf
from wms.models import Flow, Order, OrderStatus, Parcel, ParcelItem, ParcelStatus, Warehouse
from wms.services import orders, protect
from wms.services.errors import Conflict, InvalidInput, NotFound
from wms.services.ledger import utcnow

WAYBILL_LENGTH = Parcel.__table__.c.number.type.length
COURIER_LENGTH = Order.__table__.c.courier_code.type.length
SERVICE = "Standard"
# A re-printed label is fine while the parcel is still with us; after that it is gone.
REPRINTABLE = frozenset({OrderStatus.LABELLED, OrderStatus.LOADED})


@dataclass(frozen=True)
class DirectMailArrival:
    """One parcel as it arrives: its order (flow direct_mail) and the physical facts."""

    order: orders.OrderInput
    inbound_waybill: str  # the foreign waybill on the parcel; becomes its parcel number
    gross_weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int


@dataclass(frozen=True)
class Registered:
    parcel: Parcel
    created: bool


def register_parcel(
    session: Session, data: DirectMailArrival, *, actor: str, at: datetime | None = None
) -> Registered:
    """Receive the parcel's order and record the parcel (status packed: it exists
    physically).  Scanning the same parcel again returns it; the same waybill with
    other content is refused."""
    at = at or utcnow()
    waybill = _check_arrival(data)
    existing = _parcel(session, waybill)
    if existing is not None:
        _check_same_parcel(existing, data)
    received = orders.receive_order(session, data.order, actor=actor, at=at)
    order = received.order
    if existing is not None:
        if existing.order_id != order.id:
            raise Conflict(
                f"waybill {waybill} was registered for order {existing.order.order_number}",
                field="inbound_waybill",
            )
        return Registered(existing, created=False)
    if not received.created:
        other = session.scalar(select(Parcel.number).where(Parcel.order_id == order.id))
        if other is not None:
            raise Conflict(
                f"order {order.order_number} already arrived as parcel {other}",
                field="order_number",
            )
        if order.status is not OrderStatus.RECEIVED:
            raise Conflict(
                f"order {order.order_number} is {order.status.value}; a parcel registers "
                "against a received order",
                field="order_number",
            )
    parcel = Parcel(
        number=waybill,
        order_id=order.id,
        length_mm=data.length_mm,
        width_mm=data.width_mm,
        height_mm=data.height_mm,
        gross_weight_g=data.gross_weight_g,
        expected_weight_g=data.gross_weight_g,  # declared abroad; not re-weighed here
        status=ParcelStatus.PACKED,
        packed_by=actor,
        packed_at=at,
    )
    parcel.items = [
        ParcelItem(order_line_id=line.id, lot_id=None, quantity=line.quantity)
        for line in order.lines
    ]
    session.add(parcel)
    session.flush()
    return Registered(parcel, created=True)


def sort_to_courier(
    session: Session,
    parcel_number: str,
    *,
    courier_code: str,
    tracking_number: str,
    actor: str,
    at: datetime | None = None,
) -> Parcel:
    """Assign the domestic courier and its tracking number (the order goes planned).
    Sorting again to the same courier and number is a harmless repeat."""
    courier_code, tracking_number = courier_code.strip(), tracking_number.strip()
    if len(courier_code) > COURIER_LENGTH:
        raise InvalidInput(
            f"a courier code has at most {COURIER_LENGTH} characters", field="courier_code"
        )
    _check_code("tracking_number", tracking_number, WAYBILL_LENGTH)
    parcel = direct_mail_parcel(session, parcel_number, lock=True)
    order = parcel.order
    if order.status is not OrderStatus.RECEIVED:
        if (order.courier_code, order.tracking_number) == (courier_code, tracking_number):
            return parcel
        raise Conflict(
            f"parcel {parcel.number} is already sorted to {order.courier_code} "
            f"{order.tracking_number} (order {order.status.value})",
            field="parcel_number",
        )
    orders.plan(
        session,
        order,
        courier_code=courier_code,
        tracking_number=tracking_number,
        actor=actor,
        at=at,
    )
    parcel.courier_code, parcel.tracking_number = courier_code, tracking_number
    session.flush()
    return parcel


def relabel(
    session: Session, parcel_number: str, *, actor: str, at: datetime | None = None
) -> bytes:
    """The 4 x 6 domestic label (PDF) for a cleared parcel; the parcel and its order
    become labelled.  Printing again later (a torn label) changes nothing."""
    at = at or utcnow()
    parcel = direct_mail_parcel(session, parcel_number, lock=True)
    order = parcel.order
    if order.status is not OrderStatus.CLEARED and order.status not in REPRINTABLE:
        raise Conflict(
            f"parcel {parcel.number} cannot be re-labelled before customs clears order "
            f"{order.order_number} (it is {order.status.value})",
            field="parcel_number",
            status=order.status.value,
        )
    pdf = render_pdf([_label(session, parcel, order, at)])
    if order.status is OrderStatus.CLEARED:
        orders.transition(
            session,
            order,
            OrderStatus.LABELLED,
            kind="relabelled",
            actor=actor,
            at=at,
            details={"parcel": parcel.number, "tracking_number": order.tracking_number},
        )
        parcel.status = ParcelStatus.LABELLED
        parcel.labelled_at = at
        session.flush()
    return pdf


def direct_mail_parcel(session: Session, number: str, *, lock: bool = False) -> Parcel:
    parcel = _parcel(session, number.strip(), lock=lock)
    if parcel is None:
        raise NotFound(f"no parcel {number}", field="parcel_number")
    if parcel.order.flow is not Flow.DIRECT_MAIL:
        raise Conflict(f"parcel {number} is not a direct-mail parcel", field="parcel_number")
    return parcel


def parcel_view(parcel: Parcel) -> dict[str, Any]:
    order = parcel.order
    return {
        "number": parcel.number,
        "status": parcel.status.value,
        "order": orders.public_view(order),
        "courier_code": parcel.courier_code,
        "tracking_number": parcel.tracking_number,
        "gross_weight_g": parcel.gross_weight_g,
        "length_mm": parcel.length_mm,
        "width_mm": parcel.width_mm,
        "height_mm": parcel.height_mm,
        "items": [
            {"order_line_id": item.order_line_id, "quantity": item.quantity}
            for item in parcel.items
        ],
        "packed_at": parcel.packed_at.isoformat(),
        "labelled_at": parcel.labelled_at.isoformat() if parcel.labelled_at else None,
    }


# --- internals -------------------------------------------------------------------------


def _parcel(session: Session, number: str, *, lock: bool = False) -> Parcel | None:
    stmt = select(Parcel).where(Parcel.number == number)
    if lock:  # a sort and a relabel of the same parcel queue up
        stmt = stmt.with_for_update()
    return session.scalar(stmt)


def _check_arrival(data: DirectMailArrival) -> str:
    if data.order.flow is not Flow.DIRECT_MAIL:
        raise InvalidInput("a direct-mail parcel carries a direct_mail order", field="flow")
    waybill = data.inbound_waybill.strip()
    _check_code("inbound_waybill", waybill, WAYBILL_LENGTH)
    for name in ("gross_weight_g", "length_mm", "width_mm", "height_mm"):
        value = getattr(data, name)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise InvalidInput(f"{name} must be a positive whole number", field=name)
    return waybill


def _check_code(field: str, value: str, length: int) -> None:
    """Waybill numbers are scanned and printed as Code 128: printable ASCII, no spaces."""
    if not value:
        raise InvalidInput(f"{field} is required", field=field)
    if len(value) > length:
        raise InvalidInput(f"{field} has at most {length} characters", field=field)
    if not all("!" <= c <= "~" for c in value):
        raise InvalidInput(f"{field} must be printable ASCII without spaces", field=field)


def _check_same_parcel(parcel: Parcel, data: DirectMailArrival) -> None:
    if parcel.order.flow is not Flow.DIRECT_MAIL:
        raise Conflict(
            f"{parcel.number} is the number of one of our own parcels", field="inbound_waybill"
        )
    for name in ("gross_weight_g", "length_mm", "width_mm", "height_mm"):
        if getattr(parcel, name) != getattr(data, name):
            raise Conflict(
                f"parcel {parcel.number} was registered with {name} {getattr(parcel, name)}",
                field=name,
            )


def _label(session: Session, parcel: Parcel, order: Order, at: datetime) -> ShippingLabel:
    warehouse = session.get(Warehouse, order.warehouse_id)
    assert warehouse is not None  # a foreign key
    sender = Address(
        name=warehouse.name,
        phone="",
        lines=(warehouse.address or warehouse.code,),
        city="",
        postcode="",
        country="CN",
    )
    # Only the label unseals the phone, and prints it masked.
    consignee = Address(
        name=mask_name(order.consignee_name),
        phone=mask_phone(protect.unseal(order.consignee_phone_sealed)),
        lines=(order.address,),
        city=order.city or "",
        postcode=order.postcode or "",
        country=order.country,
        province=order.province or "",
    )
    try:
        return ShippingLabel(
            courier=order.courier_code or "",
            service=SERVICE,
            sort_code=_sort_code(order),
            tracking_number=order.tracking_number or "",
            sender=sender,
            consignee=consignee,
            weight_g=parcel.gross_weight_g,
            parcel_index=1,
            parcel_count=1,
            order_reference=order.order_number,
            ship_date=at.date(),
            declaration_number=order.declaration_ref,
        )
    except ValueError as exc:
        raise InvalidInput(str(exc), field="parcel_number") from None


def _sort_code(order: Order) -> str:
    # No courier sort-code table yet: the destination country and postcode sort well
    # enough at a domestic hub.
    postcode = order.postcode or ""
    if postcode and all("!" <= c <= "~" for c in postcode):
        return f"{order.country}-{postcode}"
    return order.country
