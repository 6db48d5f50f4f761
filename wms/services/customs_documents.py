"""Customs documents built from the records: the import inventory list (CEB621) and the
order (CEB311) of a declaration, as PDF and as messages; the release note of a batch with
the gate weight check; the export papers (commercial invoice, CN22 / CN23, the EU
low-value data set) and the monthly summary of export lists.

The documents themselves are ``customs``' (pure); this module only gathers the facts:
the lots actually picked (parcel items once packed, else what the reservations hold),
the account book line each lot came in under (the entry declaration is the book, its
line number the item record number), the channel's and merchant's customs codes, the
courier and waybill, and the taxes as the declaration recorded them.

Personal data: the lists carry the consignee's ID and phone in full (customs needs them);
the PDF masks them unless asked (``show_personal_data``).
"""

from __future__ import annotations

import io
import uuid
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Literal, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from customs import export_documents as export_docs
from customs import inventory_pdf, messages, regimes, release_note
from customs.exchange import MissingRate
from customs.inventory_list import (
    Buyer,
    Company,
    ImportOrder,
    InventoryLine,
    InventoryList,
    OrderLine,
    Taxes,
)
from customs.message_check import check_message
from wms.models import (
    Channel,
    CustomsDeclaration,
    CustomsStatus,
    DeclarationKind,
    EntryDeclaration,
    EntryDeclarationLine,
    Flow,
    Lot,
    Merchant,
    Order,
    Parcel,
    ParcelItem,
    ParcelStatus,
    Product,
    Reservation,
    Warehouse,
)
from wms.models.types import money_text
from wms.services import declarations, protect, releases
from wms.services.brokers import Principal
from wms.services.errors import Conflict, InvalidInput, NotFound

FEN = Decimal("0.01")
CHINA = timezone(timedelta(hours=8))  # customs dates are Beijing dates (no summer time)
TRADE_MODES = {Flow.BONDED_IMPORT: "1210", Flow.DIRECT_MAIL: "9610"}
# Transport mode (运输方式) of the list: bonded parcels leave the zone by road, direct
# mail reaches the port by air.  Codes of customs' transport table.
TRAF_MODES = {Flow.BONDED_IMPORT: "4", Flow.DIRECT_MAIL: "5"}
PIECES = "011"  # 件: the declared unit of a consumer item
KILOGRAMS = "035"  # 千克: the legal (first) unit we declare, the net weight
# ISO codes (as products and orders store them) -> customs' 3-digit codes.  Only the
# countries and currencies the customs tables label; another one is refused by name.
CUSTOMS_COUNTRIES = {
    "CN": "142", "US": "502", "JP": "116", "KR": "133", "GB": "303", "DE": "304",
    "FR": "305", "IT": "307", "AU": "601", "NZ": "609",
}  # fmt: skip
CUSTOMS_CURRENCIES = {
    "CNY": "142", "USD": "502", "EUR": "300", "GBP": "303", "JPY": "116", "HKD": "110",
}  # fmt: skip
# Direct mail (9610) goods are not in our account book; the list still names one.
DIRECT_MAIL_BOOK = "9610"
# The gate scale weighs the whole vehicle.  2 % of that total covers what the note cannot
# know (fuel, driver, pallets and dunnage, load straps) on a loaded truck of 10-20 t;
# the 5 kg floor is a typical platform scale's division, so a small van is not failed on
# the scale's own resolution.
GATE_TOLERANCE = release_note.WeightTolerance(Decimal("0.02"), 5_000)
EXPORT_INCOTERM = "DAP"  # consumer parcels: delivered, duties (if any) on the receiver
LIVE = (CustomsStatus.SUBMITTED, CustomsStatus.CLEARED)


# --- the facts of one declared import order -----------------------------------------------


@dataclass(frozen=True)
class _Facts:
    declaration: CustomsDeclaration
    order: Order
    order_lines: tuple[OrderLine, ...]
    inventory_lines: tuple[InventoryLine, ...]
    ems_no: str
    platform: Company
    ecommerce: Company
    warehouse: Warehouse
    buyer: Buyer
    consignee_address: str
    gross_weight_g: int
    net_weight_g: int
    currency: str
    country: str


def inventory_list(session: Session, declaration: CustomsDeclaration) -> InventoryList:
    """The declaration's import inventory list (CEB621), as built from the records."""
    facts = _facts(session, declaration)
    order, warehouse = facts.order, facts.warehouse
    area = Company(warehouse.code, warehouse.name)
    decl_day = _china(declaration.submitted_at or declaration.created_at).date()
    return _checked(
        declaration,
        lambda: InventoryList(
            cop_no=declaration.number,
            order_no=order.order_number,
            platform=facts.platform,
            ecommerce=facts.ecommerce,
            logistics=_courier(order),
            logistics_no=_waybill(order),
            assure=facts.ecommerce,  # the e-commerce company guarantees its lists' taxes
            agent=area,  # the zone company declares for the merchant
            ems_no=facts.ems_no,
            decl_date=decl_day,
            customs_code=_area_code(warehouse),
            port_code=_area_code(warehouse),
            buyer=facts.buyer,
            consignee_address=facts.consignee_address,
            trade_mode=TRADE_MODES[order.flow],
            traf_mode=TRAF_MODES[order.flow],
            country=facts.country,
            freight=_fen(order.freight),
            insured_fee=_fen(order.insurance),
            currency=facts.currency,
            gross_weight_g=facts.gross_weight_g,
            net_weight_g=facts.net_weight_g,
            lines=facts.inventory_lines,
            taxes=Taxes(
                tariff=_fen(declaration.tariff),
                vat=_fen(declaration.vat),
                consumption=_fen(declaration.consumption_tax),
                total=_fen(declaration.tax_total),
            ),
            invt_no=declaration.customs_number or None,
            area=area if order.flow is Flow.BONDED_IMPORT else None,
            ie_date=_china(order.released_at).date() if order.released_at else None,
            note=order.customs_note or "",
        ),
    )


def import_order(session: Session, declaration: CustomsDeclaration) -> ImportOrder:
    """The e-commerce order as declared with the list (CEB311)."""
    facts = _facts(session, declaration)
    order = facts.order
    goods = sum((line.total_price for line in facts.order_lines), Decimal(0))
    discount = _fen(sum((line.discount for line in order.lines), Decimal(0)))
    tax = _fen(declaration.tax_total)
    paid = (
        _fen(order.paid_amount)
        if order.paid_amount is not None
        else goods + _fen(order.freight) - discount + tax
    )
    return _checked(
        declaration,
        lambda: ImportOrder(
            order_no=order.order_number,
            platform=facts.platform,
            ecommerce=facts.ecommerce,
            goods_value=goods,
            freight=_fen(order.freight),
            discount=discount,
            tax_total=tax,
            actural_paid=paid,
            currency=facts.currency,
            buyer=facts.buyer,
            pay_company=facts.platform,  # paid through the platform's payment service
            pay_transaction_id=order.payment_number or order.order_number,
            consignee=order.consignee_name,
            consignee_telephone=facts.buyer.telephone,
            consignee_address=facts.consignee_address,
            lines=facts.order_lines,
        ),
    )


def _facts(session: Session, declaration: CustomsDeclaration) -> _Facts:
    if declaration.kind is not DeclarationKind.IMPORT_LIST:
        raise Conflict(
            f"declaration {declaration.number} is an export list: it has no import inventory list",
            field="number",
        )
    order = session.get(Order, declaration.order_id)
    assert order is not None
    warehouse = session.get(Warehouse, order.warehouse_id)
    assert warehouse is not None
    channel = order.channel
    merchant_id = declaration.merchant_id or channel.merchant_id
    merchant = session.get(Merchant, merchant_id) if merchant_id else None
    platform = Company(channel.platform_code or channel.code, channel.name)
    ecommerce = Company(
        channel.ecommerce_code or (merchant.customs_code if merchant else None) or channel.code,
        merchant.name if merchant else channel.name,
    )
    currency = _customs_code(CUSTOMS_CURRENCIES, order.currency, "currency")
    inventory_lines, books = _inventory_lines(session, order)
    order_lines = tuple(
        _checked(
            declaration,
            lambda line=line: OrderLine(
                gnum=line.line_no,
                item_no=line.product.sku,
                item_name=line.product.name,
                gmodel=line.product.name,
                bar_code=line.product.gtin or "无",
                unit=PIECES,
                qty=Decimal(line.quantity),
                price=_fen(line.unit_price),
                total_price=_fen(line.unit_price * line.quantity),
                country=_customs_code(
                    CUSTOMS_COUNTRIES, line.product.origin_country, "origin_country"
                ),
            ),
        )
        for line in order.lines
    )
    gross, net = _weights(session, order)
    return _Facts(
        declaration=declaration,
        order=order,
        order_lines=order_lines,
        inventory_lines=inventory_lines,
        ems_no=",".join(books) if books else DIRECT_MAIL_BOOK,
        platform=platform,
        ecommerce=ecommerce,
        warehouse=warehouse,
        buyer=_buyer(order),
        consignee_address=_address(order),
        gross_weight_g=gross,
        net_weight_g=net,
        currency=currency,
        country=inventory_lines[0].country,
    )


def _lot_quantities(session: Session, order: Order) -> dict[int, dict[int | None, int]]:
    """Units per order line per lot: what the parcels hold once packed, else what was
    picked plus what the open reservations still hold."""
    parcels = [p.id for p in _parcels(session, order)]
    out: dict[int, dict[int | None, int]] = defaultdict(lambda: defaultdict(int))
    if parcels:
        for item in session.scalars(
            select(ParcelItem).where(ParcelItem.parcel_id.in_(parcels)).order_by(ParcelItem.id)
        ):
            out[item.order_line_id][item.lot_id] += item.quantity
    if not out:
        for r in session.scalars(
            select(Reservation).where(Reservation.order_id == order.id).order_by(Reservation.id)
        ):
            units = r.picked_quantity + (r.to_pick if r.open else 0)
            if units > 0:
                out[r.order_line_id][r.lot_id] += units
    return out


def _inventory_lines(session: Session, order: Order) -> tuple[tuple[InventoryLine, ...], list[str]]:
    """One list line per order line and account book line its goods came from."""
    per_line = _lot_quantities(session, order)
    lot_ids = {lot for lots in per_line.values() for lot in lots if lot is not None}
    book_lines: dict[int, tuple[str, int]] = {}
    if lot_ids:
        rows = session.execute(
            select(Lot.id, EntryDeclaration.number, EntryDeclarationLine.line_no)
            .join(EntryDeclarationLine, EntryDeclarationLine.id == Lot.entry_line_id)
            .join(EntryDeclaration, EntryDeclaration.id == EntryDeclarationLine.declaration_id)
            .where(Lot.id.in_(lot_ids))
        )
        book_lines = {lot_id: (number, line_no) for lot_id, number, line_no in rows}
    parts: list[tuple[Any, tuple[str, int] | None, int]] = []
    for line in order.lines:
        lots = per_line.get(line.id, {})
        by_book: dict[tuple[str, int] | None, int] = defaultdict(int)
        for lot_id, units in lots.items():
            by_book[book_lines.get(lot_id) if lot_id is not None else None] += units
        if order.flow is Flow.DIRECT_MAIL or not by_book:
            if order.flow is not Flow.DIRECT_MAIL:
                raise Conflict(
                    f"order {order.order_number} line {line.line_no} has no goods reserved or "
                    "picked: its list names the account book lines they came from",
                    field="lines",
                )
            by_book = {None: line.quantity}
        elif sum(by_book.values()) != line.quantity:
            raise Conflict(
                f"order {order.order_number} line {line.line_no}: {sum(by_book.values())} of "
                f"{line.quantity} units reserved or picked",
                field="lines",
            )
        parts.extend((line, book, units) for book, units in by_book.items())
    books = list(dict.fromkeys(book[0] for _, book, _ in parts if book is not None))
    lines = []
    for gnum, (line, book, units) in enumerate(parts, start=1):
        product: Product = line.product
        if book is None:
            record = str(line.line_no)  # direct mail: the order's own line
        else:
            record = str(book[1]) if len(books) == 1 else f"{book[0]}/{book[1]}"
        price = _fen(line.unit_price)
        try:
            lines.append(
                InventoryLine(
                    gnum=gnum,
                    item_record_no=record,
                    item_no=product.sku,
                    item_name=product.name,
                    gcode=product.hs_code,
                    gname=product.name,
                    gmodel=product.name,
                    bar_code=product.gtin or "无",
                    country=_customs_code(
                        CUSTOMS_COUNTRIES, product.origin_country, "origin_country"
                    ),
                    qty=Decimal(units),
                    unit=PIECES,
                    qty1=Decimal(product.net_weight_g * units).scaleb(-3).normalize(),
                    unit1=KILOGRAMS,
                    price=price,
                    total_price=price * units,
                )
            )
        except ValueError as exc:
            raise Conflict(f"order {order.order_number}: {exc}", field="lines") from None
    return tuple(lines), books


def _parcels(session: Session, order: Order) -> list[Parcel]:
    return list(
        session.scalars(
            select(Parcel)
            .where(Parcel.order_id == order.id, Parcel.status != ParcelStatus.VOID)
            .order_by(Parcel.id)
        )
    )


def _weights(session: Session, order: Order) -> tuple[int, int]:
    """(gross, net) grams: the parcels as weighed once packed, else the products'."""
    net = sum(line.product.net_weight_g * line.quantity for line in order.lines)
    parcels = _parcels(session, order)
    if parcels:
        return sum(p.gross_weight_g for p in parcels), net
    return sum(line.product.gross_weight_g * line.quantity for line in order.lines), net


def _buyer(order: Order) -> Buyer:
    if not order.consignee_id_sealed:
        raise Conflict(
            f"order {order.order_number} has no consignee ID: an import list needs one",
            field="consignee_id",
        )
    phone = protect.unseal(order.consignee_phone_sealed)
    return Buyer(
        name=order.payer_name or order.consignee_name,
        id_number=protect.unseal(order.consignee_id_sealed),
        telephone=phone,
        reg_no=phone,  # the platform account is the buyer's mobile number
    )


def _address(order: Order) -> str:
    return "".join(p for p in (order.province, order.city, order.district, order.address) if p)


def _courier(order: Order) -> Company:
    code = order.courier_code
    if not code:
        raise Conflict(f"order {order.order_number} has no courier yet", field="courier_code")
    return Company(code, code)


def _waybill(order: Order) -> str:
    if not order.tracking_number:
        raise Conflict(
            f"order {order.order_number} has no waybill number yet", field="tracking_number"
        )
    return order.tracking_number


def _area_code(warehouse: Warehouse) -> str:
    code = warehouse.customs_area_code
    if not code or len(code) != 4 or not code.isdigit():
        raise Conflict(
            f"warehouse {warehouse.code} has no 4-digit customs area code",
            field="customs_area_code",
        )
    return code


def _customs_code(table: dict[str, str], iso: str, field: str) -> str:
    code = table.get(iso.upper())
    if code is None:
        raise Conflict(f"{iso} has no customs code in our table", field=field)
    return code


def _fen(value: Decimal) -> Decimal:
    return value.quantize(FEN)


def _china(moment: datetime) -> datetime:
    if moment.tzinfo is None:  # SQLite gives back naive UTC
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(CHINA)


T = TypeVar("T")


def _checked(declaration: CustomsDeclaration, build: Callable[[], T]) -> T:
    """Build a document, turning a rule of its data (customs.inventory_list) into a 409."""
    try:
        return build()
    except ValueError as exc:
        raise Conflict(f"declaration {declaration.number}: {exc}", field="number") from None


# --- PDF and messages of one or many declarations ----------------------------------------


def list_pdf(session: Session, numbers: list[str], *, show_personal_data: bool = False) -> bytes:
    """The lists of the declarations, in the order given, in one PDF."""
    if not numbers:
        raise InvalidInput("name at least one declaration", field="numbers")
    lists = [
        inventory_list(session, declarations.declaration_by_number(session, n)) for n in numbers
    ]
    return inventory_pdf.render_inventory_lists(lists, show_personal_data=show_personal_data)


def messages_zip(session: Session, numbers: list[str]) -> bytes:
    """Per declaration its CEB311 (order) and CEB621 (list) message, each checked."""
    if not numbers:
        raise InvalidInput("name at least one declaration", field="numbers")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for number in numbers:
            declaration = declarations.declaration_by_number(session, number)
            for name, xml in _messages(session, declaration):
                stamp = _china(declaration.submitted_at or declaration.created_at)
                info = zipfile.ZipInfo(f"{number}-{name}.xml", stamp.timetuple()[:6])
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, xml)
    return buffer.getvalue()


def _messages(session: Session, declaration: CustomsDeclaration) -> list[tuple[str, bytes]]:
    invt = inventory_list(session, declaration)
    order = import_order(session, declaration)
    at = _china(declaration.submitted_at or declaration.created_at).replace(tzinfo=None)
    transfer = messages.Transfer(
        cop_code=invt.agent.code,
        cop_name=invt.agent.name,
        dxp_id=f"DXPENT{invt.agent.code}",  # the customs client sets the real channel id
    )
    # Deterministic guids: the same declaration gives the same messages on every download.
    order_message = messages.order_message(
        [(order, messages.Declaration(at, guid=_guid(declaration, "order")))],
        transfer,
        guid=_guid(declaration, "CEB311"),
    )
    inventory_message = messages.inventory_message(
        [(invt, messages.Declaration(at, guid=declaration.guid))],
        transfer,
        guid=_guid(declaration, "CEB621"),
    )
    out = [("CEB311", order_message), ("CEB621", inventory_message)]
    for name, xml in out:
        if problems := check_message(xml):
            raise Conflict(
                f"the {name} message of {declaration.number} does not conform: {problems[0]}",
                field="number",
                problems=problems,
            )
    return out


def _guid(declaration: CustomsDeclaration, what: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{declaration.guid}/{what}")).upper()


def batch_numbers(session: Session, batch_number: str) -> list[str]:
    """The live or cleared import declarations of the orders on a batch, in parcel order."""
    batch = releases.batch_by_number(session, batch_number)
    numbers: list[str] = []
    for order_id in dict.fromkeys(p.order_id for p in batch.parcels):
        number = session.scalar(
            select(CustomsDeclaration.number).where(
                CustomsDeclaration.order_id == order_id,
                CustomsDeclaration.kind == DeclarationKind.IMPORT_LIST,
                CustomsDeclaration.status.in_(LIVE),
            )
        )
        if number is not None:
            numbers.append(number)
    return numbers


def visible_numbers(session: Session, principal: Principal, numbers: Iterable[str]) -> list[str]:
    """Those of ``numbers`` the caller may see, in order."""
    wanted = list(numbers)
    if principal.merchant_ids is None:
        return wanted
    merchants = dict(
        session.execute(
            select(CustomsDeclaration.number, CustomsDeclaration.merchant_id).where(
                CustomsDeclaration.number.in_(wanted)
            )
        ).all()
    )
    return [n for n in wanted if principal.may_see(merchants.get(n))]


# --- the release note of a batch ----------------------------------------------------------


def release_note_for(
    session: Session,
    batch_number: str,
    *,
    vehicle_weight_g: int,
    container_weight_g: int = 0,
    measured_weight_g: int | None = None,
    tolerance: release_note.WeightTolerance = GATE_TOLERANCE,
    container_number: str | None = None,
) -> tuple[bytes, bytes, release_note.GateWeighing | None]:
    """(PDF, XML, gate check) of the batch's release note; the check only when the
    vehicle has been weighed."""
    note, weighing = gate_check(
        session,
        batch_number,
        vehicle_weight_g=vehicle_weight_g,
        container_weight_g=container_weight_g,
        measured_weight_g=measured_weight_g,
        tolerance=tolerance,
        container_number=container_number,
    )
    return (
        release_note.render_release_note(note, weighing),
        release_note.release_note_xml(note),
        weighing,
    )


def gate_check(
    session: Session,
    batch_number: str,
    *,
    vehicle_weight_g: int,
    container_weight_g: int = 0,
    measured_weight_g: int | None = None,
    tolerance: release_note.WeightTolerance = GATE_TOLERANCE,
    container_number: str | None = None,
) -> tuple[release_note.ReleaseNote, release_note.GateWeighing | None]:
    """The batch's release note and, when the vehicle was weighed, the scale's reading
    against it."""
    note = release_note_of(
        session,
        batch_number,
        vehicle_weight_g=vehicle_weight_g,
        container_weight_g=container_weight_g,
        container_number=container_number,
    )
    if measured_weight_g is None:
        return note, None
    _grams(measured_weight_g, "measured_weight_g")
    return note, release_note.check_gate_weight(note, measured_weight_g, tolerance)


def release_note_of(
    session: Session,
    batch_number: str,
    *,
    vehicle_weight_g: int,
    container_weight_g: int = 0,
    container_number: str | None = None,
) -> release_note.ReleaseNote:
    _grams(vehicle_weight_g, "vehicle_weight_g")
    _grams(container_weight_g, "container_weight_g")
    batch = releases.batch_by_number(session, batch_number)
    warehouse = session.get(Warehouse, batch.warehouse_id)
    assert warehouse is not None
    numbers = batch_numbers(session, batch_number)
    if not numbers:
        raise Conflict(
            f"batch {batch_number} carries no declared lists: there is no release note",
            field="batch",
        )
    released, books = [], []
    for number in numbers:
        declaration = declarations.declaration_by_number(session, number)
        invt = inventory_list(session, declaration)
        books.extend(invt.ems_no.split(","))
        on_batch = [p for p in batch.parcels if p.order_id == declaration.order_id]
        released.append(
            release_note.ReleasedList(
                number=invt.number,
                gross_weight_g=sum(p.gross_weight_g for p in on_batch),
                net_weight_g=_net_of(session, on_batch) or invt.net_weight_g,
                packages=len(on_batch),
            )
        )
    container = None
    if container_weight_g:
        container = release_note.Container(
            container_number or batch.seal_number or batch.number, container_weight_g
        )
    zone = Company(warehouse.code, warehouse.name)
    moment = batch.gated_out_at or batch.closed_at or batch.created_at
    try:
        return release_note.ReleaseNote(
            cop_no=batch.number,
            io_flag="E",
            master_customs=_area_code(warehouse),
            zone_company=zone,
            declarant=zone,
            ems_no=",".join(dict.fromkeys(books)),
            vehicle=release_note.Vehicle(batch.vehicle_plate, vehicle_weight_g),
            lists=tuple(released),
            day=_china(moment).date(),
            applicant=batch.created_by,
            container=container,
            note=f"seal {batch.seal_number}" if batch.seal_number else "",
        )
    except ValueError as exc:
        raise Conflict(f"batch {batch_number}: {exc}", field="batch") from None


def _net_of(session: Session, parcels: Sequence[Parcel]) -> int:
    if not parcels:
        return 0
    rows = session.execute(
        select(ParcelItem.quantity, Product.net_weight_g)
        .join(Lot, Lot.id == ParcelItem.lot_id)
        .join(Product, Product.id == Lot.product_id)
        .where(ParcelItem.parcel_id.in_([p.id for p in parcels]))
    )
    return sum(quantity * net for quantity, net in rows)


def _grams(value: int, field: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 200_000_000:
        raise InvalidInput("whole grams from 0 to 200 t", field=field)


def weighing_view(weighing: release_note.GateWeighing | None) -> dict[str, Any] | None:
    if weighing is None:
        return None
    return {
        "expected_g": weighing.expected_g,
        "measured_g": weighing.measured_g,
        "allowed_g": weighing.allowed_g,
        "difference_g": weighing.difference_g,
        "passed": weighing.passed,
    }


def release_note_view(
    note: release_note.ReleaseNote, weighing: release_note.GateWeighing | None
) -> dict[str, Any]:
    return {
        "number": note.number,
        "vehicle_plate": note.vehicle.plate,
        "lists": [
            {
                "number": r.number,
                "packages": r.packages,
                "gross_weight_g": r.gross_weight_g,
                "net_weight_g": r.net_weight_g,
            }
            for r in note.lists
        ],
        "packages": note.packages,
        "total_gross_g": note.total_gross_g,
        "total_net_g": note.total_net_g,
        "expected_total_g": note.total_weight_g,
        "gate_weighing": weighing_view(weighing),
    }


# --- export -------------------------------------------------------------------------------


def export_shipment(session: Session, order: Order) -> export_docs.ExportShipment:
    """The parcel's papers' data: the merchant ships from our warehouse to the consumer."""
    if order.flow is not Flow.EXPORT:
        raise Conflict(
            f"order {order.order_number} is {order.flow.value}, not an export order",
            field="order_id",
        )
    warehouse = session.get(Warehouse, order.warehouse_id)
    assert warehouse is not None
    merchant = (
        session.get(Merchant, order.channel.merchant_id) if order.channel.merchant_id else None
    )
    declaration = _export_declaration(session, order)
    issued = (
        (declaration.submitted_at or declaration.created_at) if declaration else order.created_at
    )
    parcels = _parcels(session, order)
    items = tuple(
        _export_item(line.product, line.quantity, line.unit_price) for line in order.lines
    )
    net = sum(item.net_weight_g for item in items)
    gross = sum(p.gross_weight_g for p in parcels) or sum(
        line.product.gross_weight_g * line.quantity for line in order.lines
    )
    try:
        return export_docs.ExportShipment(
            invoice_no=declaration.number if declaration else f"INV-{order.order_number}",
            invoice_date=_china(issued).date(),
            order_no=order.order_number,
            waybill_no=_waybill(order),
            exporter=export_docs.Party(
                name=merchant.name if merchant else order.channel.name,
                address_lines=(warehouse.address or warehouse.name,),
                city=warehouse.name,  # the warehouse record has no structured city
                postcode="",
                country="CN",
            ),
            consignee=export_docs.Party(
                name=order.consignee_name,
                address_lines=(order.address,),
                city=order.city or order.province or order.district or "-",
                postcode=order.postcode or "",
                country=order.country.upper(),
                phone=protect.unseal(order.consignee_phone_sealed),
            ),
            incoterm=EXPORT_INCOTERM,
            currency=order.currency.upper(),
            items=items,
            gross_weight_g=max(gross, net),
            freight=_fen(order.freight),
            insurance=_fen(order.insurance),
            parcels=max(len(parcels), 1),
        )
    except ValueError as exc:
        raise Conflict(f"order {order.order_number}: {exc}", field="order_id") from None


def _export_item(product: Product, quantity: int, unit_price: Decimal) -> export_docs.ExportItem:
    try:
        return export_docs.ExportItem(
            description=product.name,
            hs_code=product.hs_code,
            origin=product.origin_country.upper(),
            quantity=quantity,
            unit_value=_fen(unit_price),
            net_weight_g=product.net_weight_g * quantity,
            sku=product.sku,
        )
    except ValueError as exc:
        raise Conflict(f"product {product.sku}: {exc}", field="lines") from None


def _export_declaration(session: Session, order: Order) -> CustomsDeclaration | None:
    return session.scalar(
        select(CustomsDeclaration).where(
            CustomsDeclaration.order_id == order.id,
            CustomsDeclaration.kind == DeclarationKind.EXPORT_LIST,
            CustomsDeclaration.status.in_(LIVE),
        )
    )


def commercial_invoice_pdf(session: Session, order: Order) -> bytes:
    return export_docs.render_commercial_invoice(export_shipment(session, order))


def customs_form_pdf(session: Session, order: Order) -> tuple[str, bytes]:
    """("CN22" or "CN23", the form): the form follows the value (customs.regimes), and
    more items than a CN22 has lines take a CN23."""
    shipment = export_shipment(session, order)
    form = _upu_form(shipment)
    if form == "CN22" and len(shipment.items) > export_docs.FORM_LAYOUT["CN22"][1]:
        form = "CN23"
    return form, export_docs.render_customs_declaration(shipment, form)


def _upu_form(shipment: export_docs.ExportShipment) -> Literal["CN22", "CN23"]:
    try:
        chosen = regimes.upu_customs_form(
            shipment.goods_value, shipment.currency, shipment.invoice_date
        )
    except (MissingRate, regimes.UnknownRegime) as exc:
        raise Conflict(str(exc), field="currency") from None
    return "CN22" if chosen.form == "CN22" else "CN23"


def export_orders_of_month(
    session: Session, year: int, month: int, *, merchant_ids: frozenset[int] | None = None
) -> list[tuple[CustomsDeclaration, Order]]:
    """Export orders whose list was submitted in the month (Beijing time), oldest first."""
    first = datetime(year, month, 1, tzinfo=CHINA)
    following = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=CHINA)
    stmt = (
        select(CustomsDeclaration, Order)
        .join(Order, Order.id == CustomsDeclaration.order_id)
        .where(
            CustomsDeclaration.kind == DeclarationKind.EXPORT_LIST,
            CustomsDeclaration.status.in_(LIVE),
            CustomsDeclaration.submitted_at >= first.astimezone(UTC),
            CustomsDeclaration.submitted_at < following.astimezone(UTC),
        )
        .order_by(CustomsDeclaration.submitted_at, CustomsDeclaration.id)
    )
    if merchant_ids is not None:
        stmt = stmt.where(CustomsDeclaration.merchant_id.in_(sorted(merchant_ids)))
    return [(d, o) for d, o in session.execute(stmt).tuples()]


def eu_low_value_data(
    session: Session,
    year: int,
    month: int,
    fmt: Literal["csv", "json"] = "csv",
    *,
    merchant_ids: frozenset[int] | None = None,
) -> str:
    """The EU low-value data set of the month's export orders to the EU whose goods are
    within the low-value limit (customs.regimes.eu_low_value on the invoice date); an
    order above it needs a full declaration and is left out."""
    shipments = []
    for _, order in export_orders_of_month(session, year, month, merchant_ids=merchant_ids):
        if order.country.upper() not in export_docs.EU_COUNTRIES:
            continue
        shipment = export_shipment(session, order)
        try:
            regime = regimes.eu_low_value(
                shipment.goods_value,
                shipment.currency,
                [item.hs_code for item in shipment.items],
                shipment.invoice_date,
            )
        except (MissingRate, regimes.UnknownRegime, ValueError) as exc:
            raise Conflict(f"order {order.order_number}: {exc}", field="month") from None
        if regime.low_value:
            shipments.append(shipment)
    if fmt == "json":
        return export_docs.eu_low_value_json(shipments)
    return export_docs.eu_low_value_csv(shipments)


def monthly_export_summary(
    session: Session,
    year: int,
    month: int,
    hs_digits: int = 6,
    *,
    merchant_ids: frozenset[int] | None = None,
) -> str:
    """CSV of the month's export lists summed per exporter, trade mode, exit customs,
    destination, HS code at ``hs_digits`` digits, legal unit (kg net) and currency."""
    if hs_digits not in (4, 6, 10):
        raise InvalidInput("HS codes are summed at 4, 6 or 10 digits", field="hs_digits")
    lines = []
    for declaration, order in export_orders_of_month(
        session, year, month, merchant_ids=merchant_ids
    ):
        warehouse = session.get(Warehouse, order.warehouse_id)
        assert warehouse is not None
        channel: Channel = order.channel
        merchant = (
            session.get(Merchant, declaration.merchant_id) if declaration.merchant_id else None
        )
        day = _china(declaration.submitted_at or declaration.created_at).date()
        for line in order.lines:
            product = line.product
            lines.append(
                export_docs.ExportListLine(
                    list_no=declaration.customs_number or declaration.number,
                    declared_on=day,
                    exporter_code=channel.ecommerce_code
                    or (merchant.customs_code if merchant else None)
                    or channel.code,
                    exporter_name=merchant.name if merchant else channel.name,
                    trade_mode="9610",
                    exit_customs=_area_code(warehouse),
                    destination=order.country.upper(),
                    hs_code=product.hs_code,
                    unit=KILOGRAMS,
                    quantity=Decimal(product.net_weight_g * line.quantity).scaleb(-3),
                    currency=order.currency.upper(),
                    value=_fen(line.unit_price * line.quantity - line.discount),
                    gross_weight_g=product.gross_weight_g * line.quantity,
                    net_weight_g=product.net_weight_g * line.quantity,
                )
            )
    summary = export_docs.monthly_summary(lines, year, month, hs_digits)  # type: ignore[arg-type]
    return export_docs.summary_csv(summary)


# --- the declaration list of the API and the portal ---------------------------------------


@dataclass(frozen=True)
class DeclarationFilter:
    status: CustomsStatus | None = None
    kind: DeclarationKind | None = None
    order_number: str | None = None
    created_from: date | None = None  # Beijing dates, both ends included
    created_to: date | None = None
    after_id: int = 0
    limit: int = 100


def list_declarations(
    session: Session, principal: Principal, query: DeclarationFilter
) -> dict[str, Any]:
    """The declarations the caller may see, oldest first, a page at a time."""
    stmt = (
        select(CustomsDeclaration, Order.order_number, Order.tracking_number)
        .join(Order, Order.id == CustomsDeclaration.order_id)
        .where(declarations.visible_filter(principal), CustomsDeclaration.id > query.after_id)
        .order_by(CustomsDeclaration.id)
        .limit(query.limit)
    )
    if query.status is not None:
        stmt = stmt.where(CustomsDeclaration.status == query.status)
    if query.kind is not None:
        stmt = stmt.where(CustomsDeclaration.kind == query.kind)
    if query.order_number is not None:
        stmt = stmt.where(Order.order_number == query.order_number)
    if query.created_from is not None:
        start = datetime.combine(query.created_from, datetime.min.time(), CHINA)
        stmt = stmt.where(CustomsDeclaration.created_at >= start.astimezone(UTC))
    if query.created_to is not None:
        end = datetime.combine(query.created_to + timedelta(days=1), datetime.min.time(), CHINA)
        stmt = stmt.where(CustomsDeclaration.created_at < end.astimezone(UTC))
    rows = [
        {
            "id": d.id,
            "number": d.number,
            "kind": d.kind.value,
            "status": d.status.value,
            "order_id": d.order_id,
            "order_number": order_number,
            "tracking_number": tracking,
            "customs_number": d.customs_number,
            "value_cny": money_text(d.value_cny),
            "tax_total": money_text(d.tax_total),
            "created_at": d.created_at.isoformat(),
            "decided_at": d.decided_at.isoformat() if d.decided_at else None,
        }
        for d, order_number, tracking in session.execute(stmt).tuples()
    ]
    full = len(rows) == query.limit
    return {"declarations": rows, "next_after_id": rows[-1]["id"] if full else None}


def visible_declaration(session: Session, principal: Principal, number: str) -> CustomsDeclaration:
    """The declaration, or 404 as if it did not exist when another organisation's."""
    return declarations.visible_to(principal, declarations.declaration_by_number(session, number))


def require_internal(principal: Principal, what: str, field: str) -> None:
    """Documents that are the warehouse's own: a broker's token gets the 404 of a thing
    that does not exist."""
    if principal.merchant_ids is not None:
        raise NotFound(f"no {what}", field=field)
