"""Customs declarations of orders: the import inventory list (1210 bonded, 9610 direct
mail) and the export list, with their statuses draft -> submitted -> cleared / rejected /
cancelled, and the consignee's annual quota.

Declaring runs the pure customs rules on the order as stored: the tax and the CBEC
limits (``customs.order_tax``, with what the consignee has used this year), and the
three-order match of order, payment and waybill (``customs.match``), every mismatch
reported at once.  Only then is the list submitted and the order declared.  Clearing
debits the quota and lets the order be picked; a rejection names the customs reason and
the order may be corrected and declared again.  A cancelled order withdraws its list
(and gives back the quota it used); a timely consumer return credits the quota back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.orm import Session

from customs import match as three_orders
from customs import order_tax, quota
from customs.exchange import ExchangeRates, MissingRate
from customs.limits import Channel as TaxChannel
from customs.tariffs import MissingTariffRate
from customs.tax import UnknownTaxCategory
from wms.models import (
    Channel,
    CustomsDeclaration,
    CustomsStatus,
    DeclarationEvent,
    DeclarationKind,
    Flow,
    Order,
    OrderStatus,
    QuotaEntry,
)
from wms.models.types import money_text
from wms.services import order_flow, protect
from wms.services import orders as order_service
from wms.services.brokers import Principal
from wms.services.errors import Conflict, InvalidInput, NotFound
from wms.services.ledger import utcnow

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
IMPORT_FLOWS = frozenset({Flow.BONDED_IMPORT, Flow.DIRECT_MAIL})
LIVE = frozenset({CustomsStatus.DRAFT, CustomsStatus.SUBMITTED, CustomsStatus.CLEARED})


@dataclass(frozen=True)
class Decision:
    number: str
    status: CustomsStatus  # cleared or rejected
    actor: str
    via: str  # api | portal
    reason: str | None = None
    customs_number: str | None = None


def declare_order(
    session: Session,
    order_id: int,
    *,
    actor: str,
    via: str = "api",
    at: datetime | None = None,
    rates: ExchangeRates | None = None,
) -> CustomsDeclaration:
    """Check, compute and submit the order's list; the order becomes declared."""
    at = at or utcnow()
    order = order_service.order_by_id(session, order_id, lock=True)
    if not order_flow.declares(order.flow):
        raise Conflict(
            f"order {order.order_number} is {order.flow.value}: it is not declared to customs",
            field="flow",
        )
    order_flow.check(order.flow, order.status, OrderStatus.DECLARED, order.order_number)
    if live_declaration(session, order.id) is not None:
        raise Conflict(f"order {order.order_number} already has a live list", field="order_id")
    kind = (
        DeclarationKind.IMPORT_LIST if order.flow in IMPORT_FLOWS else DeclarationKind.EXPORT_LIST
    )
    taxed = _tax(session, order, at.date(), rates) if kind is DeclarationKind.IMPORT_LIST else None
    if taxed is not None:
        _match(order, taxed, at.date(), rates)
    value = taxed.dutiable_value if taxed else _export_value(order, at.date(), rates)
    declaration = CustomsDeclaration(
        number=_next_number(session, order),
        guid=str(uuid.uuid4()).upper(),
        order_id=order.id,
        merchant_id=session.scalar(
            select(Channel.merchant_id).where(Channel.id == order.channel_id)
        ),
        kind=kind,
        status=CustomsStatus.DRAFT,
        value_cny=value,
        vat=taxed.vat if taxed else ZERO,
        consumption_tax=taxed.consumption_tax if taxed else ZERO,
        tariff=taxed.tariff if taxed else ZERO,
        tax_total=taxed.total_tax if taxed else ZERO,
        full_tax=bool(taxed and taxed.channel is TaxChannel.FULL_TAX),
        created_by=actor,
        created_at=at,
    )
    session.add(declaration)
    session.flush()
    _event(
        session,
        declaration,
        actor,
        via,
        at,
        {"tax_channel": taxed.channel.value if taxed else None},
    )
    declaration.status = CustomsStatus.SUBMITTED
    declaration.submitted_at = at
    _event(session, declaration, actor, via, at)
    order_service.transition(
        session,
        order,
        OrderStatus.DECLARED,
        kind="declared",
        actor=actor,
        at=at,
        details={"declaration": declaration.number, "tax_total": money_text(declaration.tax_total)},
    )
    order.declaration_ref = declaration.number
    return declaration


def decide(
    session: Session, decision: Decision, *, at: datetime | None = None
) -> CustomsDeclaration:
    """Customs' answer, set by a broker in the portal or by an integration."""
    at = at or utcnow()
    declaration = declaration_by_number(session, decision.number, lock=True)
    if decision.status not in {CustomsStatus.CLEARED, CustomsStatus.REJECTED}:
        raise InvalidInput("customs either clears or rejects a list", field="status")
    if declaration.status is not CustomsStatus.SUBMITTED:
        raise Conflict(
            f"list {declaration.number} is {declaration.status.value}; only a submitted list "
            "is cleared or rejected",
            field="status",
        )
    order = order_service.order_by_id(session, declaration.order_id, lock=True)
    if decision.status is CustomsStatus.CLEARED:
        order_service.transition(
            session, order, OrderStatus.CLEARED, kind="cleared", actor=decision.actor, at=at,
            details={"declaration": declaration.number, "customs_number": decision.customs_number},
        )  # fmt: skip
        if declaration.kind is DeclarationKind.IMPORT_LIST:
            _debit_quota(session, order, declaration, at)
    else:
        reason = (decision.reason or "").strip()
        if not reason:
            raise InvalidInput("say why customs rejected the list", field="reason")
        order_service.transition(
            session, order, OrderStatus.REJECTED, kind="rejected", actor=decision.actor, at=at,
            details={"declaration": declaration.number, "reason": reason},
        )  # fmt: skip
        order.customs_note = reason[:400]
        declaration.reason = reason[:400]
    declaration.status = decision.status
    declaration.customs_number = (decision.customs_number or "").strip()[:40] or None
    declaration.decided_at = at
    declaration.decided_by = decision.actor
    _event(session, declaration, decision.actor, decision.via, at, {"reason": decision.reason})
    return declaration


def withdraw(
    session: Session, order: Order, *, actor: str, at: datetime | None = None
) -> str | None:
    """The order is cancelled: its live list is cancelled, and quota it used comes back.
    Returns the list's number, or None when there was none."""
    at = at or utcnow()
    declaration = live_declaration(session, order.id)
    if declaration is None:
        return None
    if (
        declaration.status is CustomsStatus.CLEARED
        and declaration.kind is DeclarationKind.IMPORT_LIST
    ):
        _credit_quota(
            session, order, declaration, reference=f"{declaration.number}-W",
            amount=declaration.value_cny, on=at.date(), at=at,
        )  # fmt: skip
    declaration.status = CustomsStatus.CANCELLED
    declaration.decided_at = at
    declaration.decided_by = actor
    _event(session, declaration, actor, "system", at, {"reason": "order cancelled"})
    return declaration.number


def credit_return(
    session: Session,
    order: Order,
    *,
    return_number: str,
    share: Decimal,
    applied_at: datetime,
    back_at: datetime,
) -> dict[str, Any] | None:
    """A timely consumer return: the quota its goods used comes back, and the tax on them
    is cancelled.  ``share`` is the returned part of the order's goods value (0..1)."""
    declaration = session.scalar(
        select(CustomsDeclaration).where(
            CustomsDeclaration.order_id == order.id,
            CustomsDeclaration.status == CustomsStatus.CLEARED,
            CustomsDeclaration.kind == DeclarationKind.IMPORT_LIST,
        )
    )
    if declaration is None or order.released_at is None:
        return None
    amount = (declaration.value_cny * share).quantize(FEN, ROUND_HALF_UP)
    tax = (declaration.tax_total * share).quantize(FEN, ROUND_HALF_UP)
    window = quota.check_return_window(order.released_at.date(), applied_at.date(), back_at.date())
    if window is not None or amount <= 0:
        return {"declaration": declaration.number, "quota_credit": None, "reason": window}
    _credit_quota(
        session, order, declaration, reference=return_number, amount=amount,
        on=back_at.date(), at=back_at, released_on=order.released_at.date(),
        applied_on=applied_at.date(),
    )  # fmt: skip
    return {
        "declaration": declaration.number,
        "quota_credit": money_text(amount),
        "tax_cancelled": money_text(tax),
    }


def declaration_by_number(
    session: Session, number: str, *, lock: bool = False
) -> CustomsDeclaration:
    stmt = select(CustomsDeclaration).where(CustomsDeclaration.number == number)
    declaration = session.scalar(stmt.with_for_update() if lock else stmt)
    if declaration is None:
        raise NotFound(f"no declaration {number}", field="number")
    return declaration


def visible_to(principal: Principal, declaration: CustomsDeclaration) -> CustomsDeclaration:
    """The declaration if the caller may see it; otherwise it does not exist for them
    (404, never 403: another organisation's lists are not even confirmed to exist)."""
    if not principal.may_see(declaration.merchant_id):
        raise NotFound(f"no declaration {declaration.number}", field="number")
    return declaration


def visible_filter(principal: Principal) -> Any:
    """A WHERE clause limiting declarations to those the caller may see."""
    if principal.merchant_ids is None:
        return true()
    return CustomsDeclaration.merchant_id.in_(sorted(principal.merchant_ids))


def live_declaration(session: Session, order_id: int) -> CustomsDeclaration | None:
    return session.scalar(
        select(CustomsDeclaration).where(
            CustomsDeclaration.order_id == order_id, CustomsDeclaration.status.in_(LIVE)
        )
    )


def quota_used(session: Session, id_number: str, year: int) -> Decimal:
    return _ledger(session, id_number).used(year)


def declaration_view(session: Session, declaration: CustomsDeclaration) -> dict[str, Any]:
    order = session.get(Order, declaration.order_id)
    assert order is not None
    events = session.scalars(
        select(DeclarationEvent)
        .where(DeclarationEvent.declaration_id == declaration.id)
        .order_by(DeclarationEvent.id)
    )
    return {
        "number": declaration.number,
        "guid": declaration.guid,
        "kind": declaration.kind.value,
        "status": declaration.status.value,
        "order_id": order.id,
        "order_number": order.order_number,
        "tracking_number": order.tracking_number,
        "courier_code": order.courier_code,
        "consignee": order.consignee_name,
        "consignee_id": order.consignee_id_masked,
        "value_cny": money_text(declaration.value_cny),
        "tariff": money_text(declaration.tariff),
        "vat": money_text(declaration.vat),
        "consumption_tax": money_text(declaration.consumption_tax),
        "tax_total": money_text(declaration.tax_total),
        "full_tax": declaration.full_tax,
        "customs_number": declaration.customs_number,
        "reason": declaration.reason,
        "created_at": declaration.created_at.isoformat(),
        "submitted_at": declaration.submitted_at.isoformat() if declaration.submitted_at else None,
        "decided_at": declaration.decided_at.isoformat() if declaration.decided_at else None,
        "decided_by": declaration.decided_by,
        "events": [
            {
                "status": e.status,
                "actor": e.actor,
                "via": e.via,
                "at": e.at.isoformat(),
                "details": e.details,
            }
            for e in events
        ],
    }


# --- the rules, applied to the order as stored ------------------------------------------


def _tax(
    session: Session, order: Order, on: date, rates: ExchangeRates | None
) -> order_tax.OrderTax:
    consignee_id = protect.unseal(order.consignee_id_sealed) if order.consignee_id_sealed else ""
    used = _ledger(session, consignee_id).used(on.year) if consignee_id else ZERO
    try:
        taxed = order_tax.order_tax(
            order_tax.Order(
                lines=tuple(
                    order_tax.OrderLine(
                        hs_code=line.product.hs_code,
                        tax_category=line.product.tax_category,
                        quantity=line.quantity,
                        unit_price=line.unit_price,
                        discount=line.discount,
                        reference=line.product.sku,
                    )
                    for line in order.lines
                ),
                on=on,
                currency=order.currency,
                freight=order.freight,
                insurance=order.insurance,
            ),
            annual_used_cny=used,
            exchange=rates,
        )
    except (MissingRate, UnknownTaxCategory, MissingTariffRate, ValueError) as exc:
        raise InvalidInput(f"the order cannot be taxed: {exc}", field="lines") from None
    if not taxed.allowed:
        raise Conflict(
            f"order {order.order_number} cannot go through cross-border retail: {taxed.reason}",
            field="order_id",
            tax_channel=taxed.channel.value,
        )
    return taxed


def _match(order: Order, taxed: order_tax.OrderTax, on: date, rates: ExchangeRates | None) -> None:
    tax = taxed.total_tax
    if order.currency != "CNY":  # the consumer paid the tax in the order's currency
        rate = (rates or ExchangeRates.load()).rate(order.currency, on)
        tax = (tax / rate).quantize(FEN)
    consignee_id = protect.unseal(order.consignee_id_sealed) if order.consignee_id_sealed else ""
    payer_id = protect.unseal(order.payer_id_sealed) if order.payer_id_sealed else ""
    # Stored money has four places; customs compares to the fen.
    goods = sum((line.quantity * line.unit_price for line in order.lines), ZERO).quantize(FEN)
    discount = sum((line.discount for line in order.lines), ZERO).quantize(FEN)
    mismatches = three_orders.match_orders(
        three_orders.OrderFacts(
            order_number=order.order_number,
            goods_value=goods,
            freight=order.freight.quantize(FEN),
            tax=tax,
            currency=order.currency,
            payment_number=order.payment_number or "",
            waybill_number=order.tracking_number or "",
            consignee_name=order.consignee_name,
            consignee_id=consignee_id,
            discount=discount,
            insurance=order.insurance.quantize(FEN),
        ),
        three_orders.PaymentFacts(
            order_number=order.order_number,
            payment_number=order.payment_number or "",
            amount=(order.paid_amount if order.paid_amount is not None else ZERO).quantize(FEN),
            payer_name=order.payer_name or "",
            payer_id=payer_id or consignee_id,
        ),
        three_orders.WaybillFacts(
            order_number=order.order_number,
            waybill_number=order.tracking_number or "",
            consignee_name=order.consignee_name,
        ),
        on=on,
    )
    if mismatches:
        raise InvalidInput(
            "the order, its payment and its waybill do not match: "
            + "; ".join(f"{m.field}: {m.message}" for m in mismatches),
            field=mismatches[0].field,
            mismatches=[{"field": m.field, "message": m.message} for m in mismatches],
        )


def _export_value(order: Order, on: date, rates: ExchangeRates | None) -> Decimal:
    goods = sum((line.quantity * line.unit_price - line.discount for line in order.lines), ZERO)
    if order.currency == "CNY":
        return goods.quantize(FEN)
    try:
        return (rates or ExchangeRates.load()).to_cny(goods, order.currency, on).quantize(FEN)
    except MissingRate as exc:
        raise InvalidInput(str(exc), field="currency") from None


# --- the quota ledger ---------------------------------------------------------------------


def _person_key(id_number: str) -> str:
    return protect.fingerprint({"quota": id_number.strip().upper()})


def _ledger(session: Session, id_number: str) -> quota.QuotaLedger:
    rows = session.scalars(
        select(QuotaEntry)
        .where(QuotaEntry.person_key == _person_key(id_number))
        .order_by(QuotaEntry.id)
    )
    return quota.QuotaLedger(
        id_number,
        tuple(
            quota.QuotaEntry(
                quota.EntryKind(r.kind),
                r.reference,
                r.amount,
                r.on,
                r.year,
                r.debit_reference or "",
            )
            for r in rows
        ),
    )


def _debit_quota(
    session: Session, order: Order, declaration: CustomsDeclaration, at: datetime
) -> None:
    if not order.consignee_id_sealed:
        return
    id_number = protect.unseal(order.consignee_id_sealed)
    try:
        _, entry = _ledger(session, id_number).debit(
            declaration.number, declaration.value_cny, at.date()
        )
    except quota.QuotaRefused as exc:
        raise Conflict(
            f"the consignee's annual quota refuses this list: {exc}", field="status"
        ) from None
    _store(session, id_number, entry, declaration, at)


def _credit_quota(
    session: Session,
    order: Order,
    declaration: CustomsDeclaration,
    *,
    reference: str,
    amount: Decimal,
    on: date,
    at: datetime,
    released_on: date | None = None,
    applied_on: date | None = None,
) -> None:
    if not order.consignee_id_sealed:
        return
    id_number = protect.unseal(order.consignee_id_sealed)
    ledger = _ledger(session, id_number)
    if released_on is not None and applied_on is not None:
        try:
            _, entry = ledger.credit_return(
                quota.ReturnRequest(
                    reference, declaration.number, amount, released_on, applied_on, on
                )
            )
        except quota.ReturnRefused:
            return  # outside the windows, or already credited: nothing comes back
    else:  # a withdrawn list gives back everything it debited, in the year it debited
        debit = next(
            (
                e
                for e in ledger.entries
                if e.kind is quota.EntryKind.DEBIT and e.reference == declaration.number
            ),
            None,
        )
        if debit is None:
            return
        entry = quota.QuotaEntry(
            quota.EntryKind.CREDIT, reference, debit.amount, on, debit.year, debit.reference
        )
    _store(session, id_number, entry, declaration, at)


def _store(
    session: Session,
    id_number: str,
    entry: quota.QuotaEntry,
    declaration: CustomsDeclaration,
    at: datetime,
) -> None:
    session.add(
        QuotaEntry(
            person_key=_person_key(id_number),
            year=entry.year,
            kind=entry.kind.value,
            reference=entry.reference,
            debit_reference=entry.debit_reference or None,
            amount=entry.amount,
            on=entry.on,
            declaration_id=declaration.id,
            at=at,
        )
    )
    session.flush()


def _event(
    session: Session,
    declaration: CustomsDeclaration,
    actor: str,
    via: str,
    at: datetime,
    details: dict[str, Any] | None = None,
) -> None:
    session.add(
        DeclarationEvent(
            declaration_id=declaration.id,
            status=declaration.status.value,
            actor=actor,
            via=via,
            at=at,
            details=details,
        )
    )


def _next_number(session: Session, order: Order) -> str:
    count = session.scalar(
        select(func.count(CustomsDeclaration.id)).where(CustomsDeclaration.order_id == order.id)
    )
    return f"CL{order.id:010d}-{(count or 0) + 1}"
