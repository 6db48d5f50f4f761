"""Packing and labelling: the packer scans the order and each item, weighs the box; the
system checks the items against what was picked and the weight against what they
should weigh, creates the parcel, and prints its 4 x 6 label.

Packing posts no stock (picked goods already wait on the staging dock; they leave it
at gate-out), so its idempotency is a StockOperation row with no moves that keeps the
answer.  ``pack_many`` packs thousands of parcels in a handful of statements; ``pack``
is the same path with one parcel.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session

from labels.masking import mask_name
from labels.model import Address, ShippingLabel
from labels.pdf import render_pdf
from wms.models import (
    BoxType,
    Flow,
    Lot,
    Order,
    OrderStatus,
    Parcel,
    ParcelItem,
    ParcelStatus,
    Product,
    Reservation,
    StockOperation,
    Warehouse,
)
from wms.services import ledger
from wms.services import orders as order_service
from wms.services.catalog import gtin_forms
from wms.services.errors import Conflict, IdempotencyKeyReused, InvalidInput, NotFound
from wms.services.ledger import utcnow
from wms.services.waves import CHUNK, wave_by_number

# The scale and the catalogue weights never agree exactly: within 5 %, and never
# tighter than 50 g (a light parcel's packing material alone varies that much).
DEFAULT_TOLERANCE_PCT = Decimal(5)
MIN_TOLERANCE_G = 50
MAX_BATCH = 20_000


@dataclass(frozen=True)
class ScannedItem:
    product_code: str  # SKU or GTIN
    lot_number: str | None
    quantity: int


@dataclass(frozen=True)
class PackInput:
    order_ref: str  # tracking number, order number, or O<order id> (the tote)
    items: tuple[ScannedItem, ...]
    gross_weight_g: int
    box_code: str
    idempotency_key: str
    actor: str


# --- box types -------------------------------------------------------------------------


def create_box_type(
    session: Session,
    code: str,
    name: str,
    length_mm: int,
    width_mm: int,
    height_mm: int,
    tare_g: int,
) -> BoxType:
    code, name = code.strip(), name.strip()
    if not code or len(code) > 16:
        raise InvalidInput("a box code has 1 to 16 characters", field="code")
    if not name:
        raise InvalidInput("a box type needs a name", field="name")
    for field, value in (
        ("length_mm", length_mm),
        ("width_mm", width_mm),
        ("height_mm", height_mm),
    ):
        if value <= 0:
            raise InvalidInput("dimensions must be positive", field=field)
    if tare_g < 0:
        raise InvalidInput("the box's own weight cannot be negative", field="tare_g")
    if session.scalar(select(BoxType.id).where(BoxType.code == code)):
        raise Conflict(f"box type {code} already exists", field="code")
    box = BoxType(
        code=code,
        name=name,
        length_mm=length_mm,
        width_mm=width_mm,
        height_mm=height_mm,
        tare_g=tare_g,
    )
    session.add(box)
    session.flush()
    return box


def box_types(session: Session) -> list[BoxType]:
    return list(session.scalars(select(BoxType).order_by(BoxType.code)))


def box_view(box: BoxType) -> dict[str, Any]:
    return {
        "code": box.code,
        "name": box.name,
        "length_mm": box.length_mm,
        "width_mm": box.width_mm,
        "height_mm": box.height_mm,
        "tare_g": box.tare_g,
    }


# --- packing ---------------------------------------------------------------------------


def tolerance_g(expected_g: int, pct: Decimal) -> int:
    allowed = (Decimal(expected_g) * pct / 100).to_integral_value(ROUND_HALF_UP)
    return max(int(allowed), MIN_TOLERANCE_G)


def pack(
    session: Session,
    data: PackInput,
    *,
    tolerance_pct: Decimal | None = None,
    at: datetime | None = None,
) -> dict[str, Any]:
    """Pack one order's picked goods into one parcel."""
    return pack_many(session, [data], tolerance_pct=tolerance_pct, at=at)[0]


def pack_many(
    session: Session,
    inputs: list[PackInput],
    *,
    tolerance_pct: Decimal | None = None,
    at: datetime | None = None,
) -> list[dict[str, Any]]:
    """Pack many orders in one transaction: all or none (a refusal names the parcel)."""
    at = at or utcnow()
    pct = DEFAULT_TOLERANCE_PCT if tolerance_pct is None else tolerance_pct
    if pct < 0:
        raise ValueError("the weight tolerance cannot be negative")
    if len(inputs) > MAX_BATCH:
        raise InvalidInput(f"at most {MAX_BATCH} parcels at once", field="parcels")
    single = len(inputs) == 1

    def where(i: int, field: str) -> str:
        return field if single else f"parcels[{i}].{field}"

    fingerprints = [
        ledger.request_hash({"pack": asdict(d) | {"idempotency_key": None}}) for d in inputs
    ]
    answers: dict[int, dict[str, Any]] = _replays(session, inputs, fingerprints, where)
    todo = [i for i in range(len(inputs)) if i not in answers]
    if todo:
        answers.update(_pack_new(session, inputs, fingerprints, todo, pct, at, where))
    return [answers[i] for i in range(len(inputs))]


def _replays(
    session: Session, inputs: list[PackInput], fingerprints: list[str], where: Any
) -> dict[int, dict[str, Any]]:
    keys: dict[str, int] = {}
    for i, data in enumerate(inputs):
        key = ledger.check_key(data.idempotency_key)
        if key in keys:
            raise InvalidInput(
                "two parcels share an idempotency key", field=where(i, "idempotency_key")
            )
        keys[key] = i
    found: dict[int, dict[str, Any]] = {}
    names = sorted(keys)
    for start in range(0, len(names), CHUNK):
        for key, digest, result in session.execute(
            select(
                StockOperation.idempotency_key, StockOperation.request_hash, StockOperation.result
            ).where(StockOperation.idempotency_key.in_(names[start : start + CHUNK]))
        ):
            i = keys[key]
            if digest != fingerprints[i]:
                raise IdempotencyKeyReused(
                    "this idempotency key was already used for a different request",
                    field="idempotency_key",
                )
            found[i] = {**result, "replayed": True}
    return found


@dataclass
class _Picked:
    order_line_id: int
    lot_id: int
    quantity: int
    sku: str
    product_id: int
    lot_number: str
    unit_weight_g: int


def _pack_new(
    session: Session,
    inputs: list[PackInput],
    fingerprints: list[str],
    todo: list[int],
    pct: Decimal,
    at: datetime,
    where: Any,
) -> dict[int, dict[str, Any]]:
    orders = _orders_by_ref(session, [inputs[i].order_ref for i in todo])
    products = _products_by_code(
        session, {item.product_code.strip() for i in todo for item in inputs[i].items}
    )
    boxes = {
        b.code: b
        for b in session.scalars(
            select(BoxType).where(BoxType.code.in_({inputs[i].box_code.strip() for i in todo}))
        )
    }
    chosen: dict[int, Order] = {}
    seen: set[int] = set()
    for i in todo:
        data = inputs[i]
        order = orders.get(data.order_ref.strip())
        if order is None:
            raise NotFound(
                f"no order with tracking number, order number or tote {data.order_ref}",
                field=where(i, "order_ref"),
            )
        if order.status is not OrderStatus.PICKED:
            raise Conflict(
                f"order {order.order_number} is {order.status.value}: only picked orders "
                "are packed",
                field=where(i, "order_ref"),
                status=order.status.value,
            )
        if order.id in seen:
            raise InvalidInput(
                f"order {order.order_number} is packed twice in this batch",
                field=where(i, "order_ref"),
            )
        chosen[i] = order
        seen.add(order.id)
    picked = _picked(session, [o.id for o in chosen.values()])
    numbers = _parcel_numbers(session, [o.id for o in chosen.values()])

    parcels: list[dict[str, Any]] = []
    results: dict[int, dict[str, Any]] = {}
    for i in todo:
        data, order = inputs[i], chosen[i]
        box = boxes.get(data.box_code.strip())
        if box is None:
            raise NotFound(f"no box type {data.box_code}", field=where(i, "box_code"))
        goods = picked.get(order.id, [])
        _check_items(data, order, goods, products, where, i)
        if not isinstance(data.gross_weight_g, int) or data.gross_weight_g <= 0:
            raise InvalidInput(
                "the weighed weight is a positive number of grams", field=where(i, "gross_weight_g")
            )
        expected = sum(g.unit_weight_g * g.quantity for g in goods) + box.tare_g
        allowed = tolerance_g(expected, pct)
        if abs(data.gross_weight_g - expected) > allowed:
            raise Conflict(
                f"the parcel weighs {data.gross_weight_g} g but should weigh {expected} g "
                f"(± {allowed} g): check its contents",
                field=where(i, "gross_weight_g"),
                expected_g=expected,
                weighed_g=data.gross_weight_g,
                tolerance_g=allowed,
            )
        number = numbers[order.id]
        parcels.append(
            {
                "number": number,
                "order_id": order.id,
                "box_type_id": box.id,
                "length_mm": box.length_mm,
                "width_mm": box.width_mm,
                "height_mm": box.height_mm,
                "gross_weight_g": data.gross_weight_g,
                "expected_weight_g": expected,
                "status": ParcelStatus.PACKED,
                "courier_code": order.courier_code,
                "tracking_number": order.tracking_number,
                "packed_by": data.actor,
                "packed_at": at,
            }
        )
        results[i] = {
            "parcel_number": number,
            "order_id": order.id,
            "order_number": order.order_number,
            "order_status": OrderStatus.PACKED.value,
            "box_code": box.code,
            "gross_weight_g": data.gross_weight_g,
            "expected_weight_g": expected,
            "tolerance_g": allowed,
            "courier_code": order.courier_code,
            "tracking_number": order.tracking_number,
            "items": [
                {"sku": g.sku, "lot_number": g.lot_number, "quantity": g.quantity} for g in goods
            ],
        }

    # The answers first: a concurrent twin with the same key fails here, before the parcel.
    conn = session.connection()
    conn.execute(
        insert(StockOperation.__table__),
        [
            {
                "idempotency_key": inputs[i].idempotency_key,
                "kind": "pack",
                "request_hash": fingerprints[i],
                "document_ref": results[i]["parcel_number"],
                "actor": inputs[i].actor,
                "created_at": at,
                "result": results[i],
            }
            for i in todo
        ],
    )
    table = Parcel.__table__
    ids = dict(
        conn.execute(
            insert(table).returning(table.c.number, table.c.id, sort_by_parameter_order=True),
            parcels,
        ).all()
    )
    conn.execute(
        insert(ParcelItem.__table__),
        [
            {
                "parcel_id": ids[numbers[order.id]],
                "order_line_id": g.order_line_id,
                "lot_id": g.lot_id,
                "quantity": g.quantity,
            }
            for order in chosen.values()
            for g in picked.get(order.id, [])
        ],
    )
    for i in todo:
        order_service.transition(
            session,
            chosen[i],
            OrderStatus.PACKED,
            kind="packed",
            actor=inputs[i].actor,
            at=at,
            details={
                "parcel": results[i]["parcel_number"],
                "gross_weight_g": inputs[i].gross_weight_g,
            },
        )
    session.flush()
    return {i: {**results[i], "replayed": False} for i in todo}


def _orders_by_ref(session: Session, refs: list[str]) -> dict[str, Order]:
    """Each reference read as a tracking number, then as O<id> (the tote), then as an
    order number (which must then be unique across channels)."""
    refs = sorted({r.strip() for r in refs})
    found: dict[str, Order] = {}
    for start in range(0, len(refs), CHUNK):
        for order in session.scalars(
            select(Order).where(Order.tracking_number.in_(refs[start : start + CHUNK]))
        ):
            found.setdefault(order.tracking_number or "", order)
    left = [r for r in refs if r not in found]
    totes = {int(r[1:]): r for r in left if r[:1] in "Oo" and r[1:].isdigit() and len(r) < 19}
    ids = sorted(totes)
    for start in range(0, len(ids), CHUNK):
        for order in session.scalars(select(Order).where(Order.id.in_(ids[start : start + CHUNK]))):
            found[totes[order.id]] = order
    left = [r for r in left if r not in found]
    by_number: dict[str, list[Order]] = defaultdict(list)
    for start in range(0, len(left), CHUNK):
        for order in session.scalars(
            select(Order).where(Order.order_number.in_(left[start : start + CHUNK]))
        ):
            by_number[order.order_number].append(order)
    for number, matches in by_number.items():
        if len(matches) > 1:
            raise Conflict(
                f"order number {number} exists in several channels: scan the tracking "
                "number or the tote",
                field="order_ref",
            )
        found[number] = matches[0]
    return found


def _products_by_code(session: Session, codes: set[str]) -> dict[str, Product]:
    """SKU or GTIN (any of its written forms) -> product."""
    wanted = sorted(codes)
    gtins = {form: code for code in wanted if code.isdigit() for form in gtin_forms(code)}
    found: dict[str, Product] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        forms = [f for f, code in gtins.items() if code in set(chunk)]
        for product in session.scalars(
            select(Product).where(or_(Product.sku.in_(chunk), Product.gtin.in_(forms)))
        ):
            if product.sku in codes:
                found[product.sku] = product
            if product.gtin and product.gtin in gtins:
                found.setdefault(gtins[product.gtin], product)
    return found


def _picked(session: Session, order_ids: list[int]) -> dict[int, list[_Picked]]:
    """What was picked for each order, per (order line, lot), from its pick tasks."""
    out: dict[int, list[_Picked]] = defaultdict(list)
    ids = sorted(order_ids)
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(
                Reservation.order_id,
                Reservation.order_line_id,
                Reservation.lot_id,
                func.sum(Reservation.picked_quantity).label("quantity"),
                Product.sku,
                Product.id.label("product_id"),
                Product.gross_weight_g,
                Lot.lot_number,
            )
            .join(Lot, Lot.id == Reservation.lot_id)
            .join(Product, Product.id == Lot.product_id)
            .where(Reservation.order_id.in_(ids[start : start + CHUNK]))
            .group_by(
                Reservation.order_id,
                Reservation.order_line_id,
                Reservation.lot_id,
                Product.sku,
                Product.id,
                Product.gross_weight_g,
                Lot.lot_number,
            )
            .order_by(Reservation.order_id, Reservation.order_line_id, Reservation.lot_id)
        )
        for r in rows:
            if r.quantity:
                out[r.order_id].append(
                    _Picked(
                        r.order_line_id,
                        r.lot_id,
                        int(r.quantity),
                        r.sku,
                        r.product_id,
                        r.lot_number,
                        r.gross_weight_g,
                    )
                )
    return out


def _check_items(
    data: PackInput,
    order: Order,
    goods: list[_Picked],
    products: dict[str, Product],
    where: Any,
    i: int,
) -> None:
    """The scanned items are exactly what was picked: per product, and per lot where the
    packer scanned one."""
    if not data.items:
        raise InvalidInput("scan the items in the parcel", field=where(i, "items"))
    by_sku: dict[str, int] = defaultdict(int)
    by_lot: dict[tuple[str, str], int] = defaultdict(int)
    for g in goods:
        by_sku[g.sku] += g.quantity
        by_lot[(g.sku, g.lot_number)] += g.quantity
    scanned: dict[str, int] = defaultdict(int)
    scanned_lot: dict[tuple[str, str], int] = defaultdict(int)
    for j, item in enumerate(data.items):
        field = where(i, f"items[{j}]")
        if not isinstance(item.quantity, int) or isinstance(item.quantity, bool):
            raise InvalidInput("quantity must be a whole number", field=f"{field}.quantity")
        if item.quantity <= 0:
            raise InvalidInput("quantity must be positive", field=f"{field}.quantity")
        product = products.get(item.product_code.strip())
        if product is None:
            raise NotFound(
                f"no product with SKU or GTIN {item.product_code}", field=f"{field}.product_code"
            )
        if product.sku not in by_sku:
            raise Conflict(
                f"{product.sku} is not in order {order.order_number}: take it out",
                field=f"{field}.product_code",
                sku=product.sku,
            )
        scanned[product.sku] += item.quantity
        if item.lot_number is not None:
            key = (product.sku, item.lot_number.strip())
            if key not in by_lot:
                lots = ", ".join(sorted(lot for sku, lot in by_lot if sku == product.sku))
                raise Conflict(
                    f"lot {item.lot_number} of {product.sku} was not picked for order "
                    f"{order.order_number}: it has lot {lots}",
                    field=f"{field}.lot_number",
                    sku=product.sku,
                )
            scanned_lot[key] += item.quantity
            if scanned_lot[key] > by_lot[key]:
                raise Conflict(
                    f"too many {product.sku} lot {key[1]}: {scanned_lot[key]} scanned, "
                    f"{by_lot[key]} picked",
                    field=f"{field}.quantity",
                    sku=product.sku,
                )
    for sku, picked in by_sku.items():
        got = scanned.get(sku, 0)
        if got != picked:
            what = "too many" if got > picked else "missing"
            raise Conflict(
                f"{sku}: {got} scanned, {picked} picked for order {order.order_number} ({what})",
                field=where(i, "items"),
                sku=sku,
                scanned=got,
                picked=picked,
            )


def _parcel_numbers(session: Session, order_ids: list[int]) -> dict[int, str]:
    """P + the order id, zero-padded; a second parcel of an order gets -2 and so on."""
    existing: dict[int, int] = defaultdict(int)
    ids = sorted(order_ids)
    for start in range(0, len(ids), CHUNK):
        for order_id, n in session.execute(
            select(Parcel.order_id, func.count(Parcel.id))
            .where(Parcel.order_id.in_(ids[start : start + CHUNK]))
            .group_by(Parcel.order_id)
        ):
            existing[order_id] = n
    return {
        order_id: f"P{order_id:010d}" + (f"-{existing[order_id] + 1}" if existing[order_id] else "")
        for order_id in order_ids
    }


# --- reading ---------------------------------------------------------------------------


def parcel_by_number(session: Session, number: str) -> Parcel:
    parcel = session.scalar(select(Parcel).where(Parcel.number == number))
    if parcel is None:
        raise NotFound(f"no parcel {number}", field="parcel_number")
    return parcel


def parcel_view(session: Session, parcel: Parcel) -> dict[str, Any]:
    items = session.execute(
        select(ParcelItem.quantity, Product.sku, Lot.lot_number)
        .join(Lot, Lot.id == ParcelItem.lot_id)
        .join(Product, Product.id == Lot.product_id)
        .where(ParcelItem.parcel_id == parcel.id)
        .order_by(ParcelItem.id)
    )
    box = session.get(BoxType, parcel.box_type_id) if parcel.box_type_id else None
    return {
        "number": parcel.number,
        "status": parcel.status.value,
        "order_id": parcel.order_id,
        "order_number": parcel.order.order_number,
        "order_status": parcel.order.status.value,
        "box_code": box.code if box else None,
        "length_mm": parcel.length_mm,
        "width_mm": parcel.width_mm,
        "height_mm": parcel.height_mm,
        "gross_weight_g": parcel.gross_weight_g,
        "expected_weight_g": parcel.expected_weight_g,
        "courier_code": parcel.courier_code,
        "tracking_number": parcel.tracking_number,
        "packed_by": parcel.packed_by,
        "packed_at": parcel.packed_at.isoformat(),
        "labelled_at": parcel.labelled_at.isoformat() if parcel.labelled_at else None,
        "items": [
            {"sku": r.sku, "lot_number": r.lot_number, "quantity": r.quantity} for r in items
        ],
    }


# --- labels ----------------------------------------------------------------------------


def label_parcel(
    session: Session, parcel_number: str, actor: str, *, at: datetime | None = None
) -> bytes:
    """The parcel's 4 x 6 label as PDF.  The first print marks the parcel and its order
    labelled; a re-print (a torn label) prints the same and changes nothing."""
    parcel = parcel_by_number(session, parcel_number)
    return _labelled(session, [parcel], actor, at or utcnow(), field="parcel_number")


def label_wave(
    session: Session, wave_number: str, actor: str, *, at: datetime | None = None
) -> bytes:
    """One PDF with the label of every packed parcel of the wave's orders."""
    wave = wave_by_number(session, wave_number)
    parcels = list(
        session.scalars(
            select(Parcel)
            .join(Order, Order.id == Parcel.order_id)
            .where(Order.wave_id == wave.id, Parcel.status != ParcelStatus.VOID)
            .order_by(Parcel.number)
        )
    )
    if not parcels:
        raise Conflict(f"wave {wave.number} has no packed parcels yet", field="wave_number")
    return _labelled(session, parcels, actor, at or utcnow(), field="wave_number")


def _labelled(
    session: Session, parcels: list[Parcel], actor: str, at: datetime, *, field: str
) -> bytes:
    labels = []
    for parcel in parcels:
        if parcel.status is ParcelStatus.VOID:
            raise Conflict(f"parcel {parcel.number} is void: its order was cancelled", field=field)
        labels.append(_shipping_label(session, parcel, at))
        if parcel.status is ParcelStatus.PACKED:
            parcel.status = ParcelStatus.LABELLED
            parcel.labelled_at = at
            if parcel.order.status is OrderStatus.PACKED:
                order_service.transition(
                    session,
                    parcel.order,
                    OrderStatus.LABELLED,
                    kind="labelled",
                    actor=actor,
                    at=at,
                    details={"parcel": parcel.number},
                )
    try:
        pdf = render_pdf(labels)
    except ValueError as exc:
        raise InvalidInput(f"this label cannot be printed: {exc}", field=field) from None
    session.flush()
    return pdf


def _shipping_label(session: Session, parcel: Parcel, at: datetime) -> ShippingLabel:
    order = parcel.order
    if not parcel.tracking_number or not parcel.courier_code:
        raise Conflict(
            f"order {order.order_number} has no courier and tracking number yet",
            field="tracking_number",
        )
    warehouse = session.get(Warehouse, order.warehouse_id)
    if warehouse is None:  # a foreign key guarantees it; this is for the type checker
        raise NotFound(f"warehouse {order.warehouse_id} does not exist", field="warehouse")
    siblings = list(
        session.scalars(
            select(Parcel.number)
            .where(Parcel.order_id == order.id, Parcel.status != ParcelStatus.VOID)
            .order_by(Parcel.number)
        )
    )
    sender = Address(
        name=warehouse.name,
        phone="",
        lines=(warehouse.address,) if warehouse.address else (),
        city="",
        postcode="",
        country="CN",
    )
    consignee = Address(
        name=mask_name(order.consignee_name),
        phone=order.consignee_phone_masked,  # masked on the way in (labels.masking)
        lines=tuple(p for p in (order.district, order.address) if p),
        city=order.city or "",
        postcode=order.postcode or "",
        country=order.country,
        province=order.province or "",
    )
    try:
        return ShippingLabel(
            courier=parcel.courier_code,
            service=_SERVICE[order.flow],
            sort_code=_sort_code(order),
            tracking_number=parcel.tracking_number,
            sender=sender,
            consignee=consignee,
            weight_g=parcel.gross_weight_g,
            parcel_index=siblings.index(parcel.number) + 1,
            parcel_count=len(siblings),
            order_reference=order.order_number,
            ship_date=at.date(),
            declaration_number=order.declaration_ref,
        )
    except ValueError as exc:
        raise InvalidInput(
            f"this label cannot be printed: {exc}", field="tracking_number"
        ) from None


_SERVICE = {
    Flow.BONDED_IMPORT: "Bonded import 1210",
    Flow.DIRECT_MAIL: "Direct mail 9610",
    Flow.EXPORT: "Export",
    Flow.DOMESTIC: "Domestic",
}


def _sort_code(order: Order) -> str:
    """Until couriers send their routing codes: country and postcode, which their sort
    centres route by."""
    postcode = "".join(c for c in (order.postcode or "") if c.isascii() and c.isalnum())
    return f"{order.country}-{postcode}" if postcode else order.country


__all__ = [
    "DEFAULT_TOLERANCE_PCT",
    "PackInput",
    "ScannedItem",
    "box_types",
    "box_view",
    "create_box_type",
    "label_parcel",
    "label_wave",
    "pack",
    "pack_many",
    "parcel_by_number",
    "parcel_view",
]
