"""Read-side of display loans: a loan as the API shows it, what is on display in a
showroom, open notices, tag traffic, and the data of the customs paperwork."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from customs.display_documents import DisplayItem, DisplayMovement, Guarantee, Showroom
from customs.display_documents import Warehouse as DocWarehouse
from labels.model import DisplayTag
from wms.models import (
    OPEN_STATUSES,
    Loan,
    LoanEvent,
    LoanItem,
    LoanStatus,
    Location,
    LocationKind,
    Notice,
    Product,
    TagScan,
    Warehouse,
)
from wms.models.types import money_text
from wms.services.catalog import location_by_barcode
from wms.services.errors import InvalidInput, NotFound
from wms.services.ledger import utcnow
from wms.services.loans import loan_by_number


def loan_summary(loan: Loan, *, now: datetime | None = None) -> dict[str, Any]:
    today = (now or utcnow()).date()
    return {
        "number": loan.number,
        "status": loan.status.value,
        "showroom": loan.showroom.barcode,
        "requested_by": loan.requested_by,
        "requested_at": loan.requested_at.isoformat(),
        "approved_by": loan.approved_by,
        "approved_at": loan.approved_at.isoformat() if loan.approved_at else None,
        "out_at": loan.out_at.isoformat() if loan.out_at else None,
        "due_date": loan.due_date.isoformat(),
        "overdue": loan.overdue_since is not None
        or (
            loan.out_at is not None
            and loan.status in OPEN_STATUSES | {LoanStatus.APPROVED}
            and loan.due_date < today
        ),
        "overdue_since": loan.overdue_since.isoformat() if loan.overdue_since else None,
        "closed_at": loan.closed_at.isoformat() if loan.closed_at else None,
        "guarantee": {
            "amount": money_text(loan.guarantee_amount),
            "currency": "CNY",
            "reference": loan.guarantee_reference,
            "expires": loan.guarantee_expires.isoformat() if loan.guarantee_expires else None,
            "expires_before_due": bool(
                loan.guarantee_expires and loan.guarantee_expires < loan.due_date
            ),
        },
        "out_checklist": loan.out_checklist,
        "out_release_note": loan.out_release_note,
        "items": [
            {
                "sku": item.product.sku,
                "lot_number": item.lot.lot_number,
                "quantity": item.quantity,
                "out": item.out_quantity,
                "returned": item.returned_quantity,
                "written_off": item.written_off_quantity,
                "on_display": item.on_display,
                "unit_guarantee": money_text(item.unit_guarantee),
                "duty_payable": money_text(item.duty_payable),
                "tag_code": item.tag_code,
            }
            for item in loan.items
        ],
        "duty_payable": money_text(sum((i.duty_payable for i in loan.items), Decimal(0))),
    }


def loan_events(session: Session, loan: Loan) -> list[dict[str, Any]]:
    return [
        {"kind": e.kind, "actor": e.actor, "at": e.at.isoformat(), "details": e.details}
        for e in session.scalars(
            select(LoanEvent).where(LoanEvent.loan_id == loan.id).order_by(LoanEvent.id)
        )
    ]


def showroom_view(session: Session, barcode: str, *, now: datetime | None = None) -> dict[str, Any]:
    """What is on display in a showroom: since when, due when, in what state."""
    showroom = location_by_barcode(session, barcode, field="showroom")
    if showroom.kind is not LocationKind.SHOWROOM:
        raise InvalidInput("this location is not a showroom", field="showroom")
    today = (now or utcnow()).date()
    rows = session.execute(
        select(LoanItem, Loan)
        .join(Loan, Loan.id == LoanItem.loan_id)
        # an approved loan still being scanned out already has goods on display
        .where(
            Loan.showroom_id == showroom.id, Loan.status.in_([*OPEN_STATUSES, LoanStatus.APPROVED])
        )
        .order_by(Loan.due_date, Loan.number, LoanItem.id)
    ).all()
    items = [
        {
            "loan_number": loan.number,
            "sku": item.product.sku,
            "name": item.product.name,
            "lot_number": item.lot.lot_number,
            "on_display": item.on_display,
            "since": loan.out_at.isoformat() if loan.out_at else None,
            "due_date": loan.due_date.isoformat(),
            "overdue": loan.due_date < today,
            "condition": "on display",
            "tag_code": item.tag_code,
        }
        for item, loan in rows
        if item.on_display > 0
    ]
    return {"showroom": showroom.barcode, "name": showroom.name, "items": items}


def open_notices(session: Session) -> list[dict[str, Any]]:
    return [
        {
            "kind": n.kind,
            "subject": n.subject,
            "message": n.message,
            "created_at": n.created_at.isoformat(),
        }
        for n in session.scalars(
            select(Notice).where(Notice.acknowledged_at.is_(None)).order_by(Notice.created_at)
        )
    ]


def tag_traffic(session: Session) -> list[dict[str, Any]]:
    """Display-tag scans per showroom and product."""
    rows = session.execute(
        select(Location.barcode, Product.sku, func.count(TagScan.id))
        .join(Location, Location.id == TagScan.showroom_id)
        .join(Product, Product.id == TagScan.product_id)
        .group_by(Location.barcode, Product.sku)
        .order_by(Location.barcode, Product.sku)
    )
    return [{"showroom": s, "sku": sku, "scans": n} for s, sku, n in rows]


def display_tags(session: Session, number: str, base_url: str) -> list[DisplayTag]:
    """One tag per unit lent, each pointing at the counting redirect of its item."""
    loan = loan_by_number(session, number)
    return [
        DisplayTag(
            product_name=item.product.name,
            sku=item.product.sku,
            showroom=loan.showroom.name,
            url=f"{base_url.rstrip('/')}/t/{item.tag_code}",
            loan_reference=loan.number,
        )
        for item in loan.items
        for _unit in range(item.quantity)
    ]


def movement(session: Session, number: str, which: str) -> DisplayMovement:
    """The customs paperwork of the loan-out ("out") or of the n-th return ("return-n")."""
    loan = loan_by_number(session, number)
    depot = session.get_one(Warehouse, loan.warehouse_id)
    if not depot.customs_area_code:
        raise InvalidInput(
            f"warehouse {depot.code} has no customs area code, which the paperwork needs",
            field="warehouse",
        )
    warehouse = DocWarehouse(depot.name, depot.customs_area_code)
    # Showroom locations carry no street address yet: the paperwork names the place.
    showroom = Showroom(loan.showroom.name, f"{loan.showroom.name} ({loan.showroom.barcode})")
    if which == "out":
        if loan.out_at is None:
            raise NotFound(f"loan {number} has not gone out yet", field="document")
        lines = [(item, item.out_quantity, None) for item in loan.items if item.out_quantity]
        return DisplayMovement(
            direction="out",
            checklist_number=loan.out_checklist or "",
            release_note_number=loan.out_release_note or "",
            loan_number=loan.number,
            warehouse=warehouse,
            showroom=showroom,
            date=loan.out_at.date(),
            items=_display_items(lines),
            guarantee=Guarantee(
                loan.guarantee_reference or "",
                loan.guarantee_amount,
                loan.guarantee_expires or loan.due_date,
            ),
        )
    sequence = _return_sequence(which)
    events = session.scalars(
        select(LoanEvent)
        .where(LoanEvent.loan_id == loan.id, LoanEvent.kind.in_(("item_returned", "written_off")))
        .order_by(LoanEvent.id)
    ).all()
    event = next((e for e in events if e.details.get("sequence") == sequence), None)
    if event is None:
        raise NotFound(f"loan {number} has no return {sequence}", field="document")
    item = next(
        i
        for i in loan.items
        if i.product.sku == event.details["sku"] and i.lot.lot_number == event.details["lot"]
    )
    return DisplayMovement(
        direction="return",
        checklist_number=event.details["checklist"],
        release_note_number=event.details["release_note"],
        loan_number=loan.number,
        warehouse=warehouse,
        showroom=showroom,
        date=event.at.date(),
        items=_display_items([(item, event.details["quantity"], event.details["condition"])]),
    )


def _return_sequence(which: str) -> int:
    found = re.fullmatch(r"return-([0-9]{1,6})", which)  # ASCII digits only: "¹" is no number
    if found is None:
        raise InvalidInput("the document is 'out' or 'return-N'", field="document")
    return int(found.group(1))


def _display_items(lines: list[tuple[LoanItem, int, str | None]]) -> tuple[DisplayItem, ...]:
    return tuple(
        DisplayItem(
            line_no=n,
            sku=item.product.sku,
            name=item.product.name,
            hs_code=item.product.hs_code,
            lot=item.lot.lot_number,
            quantity=quantity,
            unit="pcs",
            net_weight_g=item.product.net_weight_g * quantity,
            gross_weight_g=item.product.gross_weight_g * quantity,
            declared_value=item.product.declared_unit_value * quantity,
            currency=item.product.currency,
            condition=condition,
        )
        for n, (item, quantity, condition) in enumerate(lines, start=1)
    )
