"""Read-only overview page: stock by zone, the account book and its reconciliation.

What a supervisor opens to see that the ledger is healthy; the scanner, the planner's
dashboard and the broker portal have their own pages.
"""

from __future__ import annotations

from collections import defaultdict

from flask import Blueprint, Response, redirect, render_template
from flask_babel import gettext as _
from sqlalchemy import func, select

from wms.models import EntryDeclaration, Location, Product, Quant, Warehouse, Zone
from wms.services import account_book, loans
from wms.web.access import PLANNER, STAFF, allow, public
from wms.web.context import database, write

pages = Blueprint("pages", __name__, template_folder="templates")


@pages.get("/t/<tag_code>")
@public
def display_tag(tag_code: str) -> Response:
    """Where a showroom display tag's QR code leads: count the scan, go to the listing."""
    target = write(lambda s: loans.record_tag_scan(s, tag_code))
    return redirect(target, code=302)


@pages.get("/overview")
@allow(STAFF, PLANNER)
def overview() -> str:
    with database().reading() as s:
        zone_stock = s.execute(
            select(
                Warehouse.code,
                func.coalesce(Zone.code, Location.kind),
                Location.is_bonded,
                func.count(func.distinct(Quant.product_id)),
                func.sum(Quant.quantity),
                func.sum(Quant.reserved_quantity),
            )
            .join(Location, Location.id == Quant.location_id)
            .join(Warehouse, Warehouse.id == Location.warehouse_id)
            .outerjoin(Zone, Zone.id == Location.zone_id)
            .where(Quant.negative_allowed.is_(False), Quant.quantity > 0)
            .group_by(Warehouse.code, func.coalesce(Zone.code, Location.kind), Location.is_bonded)
            .order_by(Warehouse.code, func.coalesce(Zone.code, Location.kind))
        ).all()
        book = account_book.account_book(s)
        by_declaration: dict[str, list[account_book.BookRow]] = defaultdict(list)
        for row in book:
            by_declaration[row.declaration_number].append(row)
        statuses = dict(s.execute(select(EntryDeclaration.number, EntryDeclaration.status)).all())
        # The page checks the book against the stock on hand (quants only); replaying
        # the whole ledger takes seconds at millions of moves and has its own endpoint.
        mismatches = account_book.reconcile(s, replay_ledger=False)
        counts = {
            "products": s.scalar(select(func.count(Product.id))),
            "declarations": len(statuses),
        }
        return render_template(
            "overview.html",
            zone_stock=zone_stock,
            by_declaration=by_declaration,
            statuses=statuses,
            mismatches=mismatches,
            counts=counts,
            declaration_states={"open": _("open"), "closed": _("closed")},
        )
