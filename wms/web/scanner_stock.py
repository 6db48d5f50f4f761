"""Scanner flows that move stock in and around the warehouse: receive against an entry
declaration, putaway, display loans out and back, and counting a bin.

Views on the scanner blueprint (``wms/web/scanner.py`` imports this module); each renders
one page whose script (``static/scanner_stock.js``) drives the same JSON API as the
integrations, every stock-changing action through the framework's queue with an
idempotency key made on the device.
"""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_babel import format_date, format_number, lazy_gettext
from flask_babel import gettext as _
from sqlalchemy import select

from wms.models import (
    DeclarationStatus,
    EntryDeclaration,
    Loan,
    LoanStatus,
    Location,
    LocationKind,
)
from wms.services import staging
from wms.web import auth
from wms.web.access import ADMIN, STAFF, allow
from wms.web.context import database
from wms.web.scanner import LIST_LIMIT, menu_entry, render_flow, scanner

# Texts every flow of this module uses: reading items and lots, quantities.
ITEM_STRINGS = {
    "scan_item": lazy_gettext("Scan the lot label or the item"),
    "scan_lot": lazy_gettext("Scan the lot label or the lot number"),
    "lot_of": lazy_gettext("Lot %(lot)s"),
    "expires": lazy_gettext("expires %(date)s"),
    "lot_is_bin": lazy_gettext("This is a location label: scan the lot."),
    "lot_is_product": lazy_gettext("This is the item again: scan its lot."),
    "lot_wrong_item": lazy_gettext("This lot label is for %(scanned)s, not %(expected)s."),
    "not_an_item": lazy_gettext("This is not an item or a lot label."),
    "not_a_location": lazy_gettext("This is not a location label."),
    "quantity_label": lazy_gettext("Quantity"),
    "quantity_invalid": lazy_gettext("Give the quantity as a whole number."),
    "confirm_first": lazy_gettext("Confirm the quantity on the screen first."),
    "less": lazy_gettext("One less"),
    "more": lazy_gettext("One more"),
    "start_over": lazy_gettext("Start over"),
    "col_item": lazy_gettext("Item"),
    "col_qty": lazy_gettext("Quantity"),
}


def _strings(extra: dict[str, str]) -> dict[str, str]:
    return {**{k: str(v) for k, v in ITEM_STRINGS.items()}, **extra}


# --- receive against an entry declaration ------------------------------------------------


def _open_declarations() -> list[dict[str, Any]]:
    with database().reading() as s:
        rows = s.scalars(
            select(EntryDeclaration)
            .where(EntryDeclaration.status == DeclarationStatus.OPEN)
            .order_by(EntryDeclaration.arrival_date, EntryDeclaration.number)
            .limit(LIST_LIMIT)
        ).all()
        return [
            {
                "number": d.number,
                "hint": _(
                    "%(importer)s, %(n)s lines", importer=d.importer, n=format_number(len(d.lines))
                ),
            }
            for d in rows
        ]


def _receiving_docks(number: str) -> list[str]:
    """The bonded inbound docks of the declaration's warehouse (not the outbound staging)."""
    with database().reading() as s:
        warehouse_id = s.scalar(
            select(EntryDeclaration.warehouse_id).where(EntryDeclaration.number == number)
        )
        if warehouse_id is None:
            return []
        return list(
            s.scalars(
                select(Location.barcode)
                .where(
                    Location.warehouse_id == warehouse_id,
                    Location.kind == LocationKind.DOCK,
                    Location.is_bonded.is_(True),
                    Location.active.is_(True),
                    Location.code.not_in((staging.BONDED_CODE, staging.DOMESTIC_CODE)),
                )
                .order_by(Location.barcode)
            )
        )


@scanner.get("/receive")
@allow(STAFF)
def receive() -> str:
    number = request.args.get("declaration", "").strip()[:32]
    return render_flow(
        "scanner/stock_receive.html",
        flow="receive",
        title=_("Receive goods"),
        declaration=number,
        declarations=[] if number else _open_declarations(),
        config={
            "declaration": number or None,
            "docks": _receiving_docks(number) if number else [],
            "receive_url": url_for("scanner.receive"),
        },
        strings=_strings(
            {
                "choose_declaration": _("Scan the entry declaration number or tap one"),
                "no_declaration": _("There is no open entry declaration %(number)s."),
                "loading": _("Loading the declaration…"),
                "scan_dock": _("Scan the dock you receive onto"),
                "not_a_dock": _("This is not a receiving dock of this warehouse."),
                "on_dock": _("Onto %(dock)s"),
                "not_declared": _("%(sku)s is not on declaration %(number)s."),
                "outstanding": _("%(n)s still to come on line %(line)s"),
                "receive_qty": _("How many of %(sku)s?"),
                "receive_submit": _("Receive %(n)s"),
                "expiry_label": _("Expiry date"),
                "received": _("Received %(n)s of %(sku)s lot %(lot)s"),
                "receive_label": _(
                    "Receive %(n)s of %(sku)s lot %(lot)s onto %(dock)s (declaration %(number)s)"
                ),
                "over_receipt": _(
                    "Over-receipt refused: line %(line)s declares %(declared)s and "
                    "%(received)s are already received. A supervisor must confirm an over-receipt."
                ),
                "col_declared": _("Declared"),
                "col_received": _("Received"),
                "col_outstanding": _("To come"),
                "all_received": _("Everything declared has been received."),
            }
        ),
    )


# --- putaway -----------------------------------------------------------------------------


@scanner.get("/putaway")
@allow(STAFF)
def putaway() -> str:
    return render_flow(
        "scanner/stock_putaway.html",
        flow="putaway",
        title=_("Put away"),
        strings=_strings(
            {
                "scan_source": _("Scan the dock (or bin) to take from"),
                "at_source": _("At %(location)s"),
                "source_empty": _("Nothing is waiting at %(location)s."),
                "not_here": _("%(sku)s lot %(lot)s is not at %(location)s."),
                "available": _("%(n)s available here"),
                "scan_destination": _("Scan the destination bin"),
                "putaway_qty": _("Put away %(n)s"),
                "put_away": _("Put %(n)s of %(sku)s lot %(lot)s into %(bin)s"),
                "putaway_label": _(
                    "Put away %(n)s of %(sku)s lot %(lot)s from %(from)s to %(bin)s"
                ),
                "same_place": _("That is where the goods are now: scan the destination bin."),
                "other_source": _("Another dock"),
                "col_available": _("Available"),
            }
        ),
    )


# --- display loans out and back -----------------------------------------------------------


def _loans(statuses: tuple[LoanStatus, ...], *, out_only: bool = False) -> list[dict[str, Any]]:
    with database().reading() as s:
        stmt = select(Loan).where(Loan.status.in_(statuses))
        if out_only:
            stmt = stmt.where(Loan.out_at.is_not(None))
        rows = s.scalars(stmt.order_by(Loan.due_date, Loan.number).limit(LIST_LIMIT)).all()
        return [
            {
                "number": loan.number,
                "hint": _(
                    "To %(showroom)s, due back %(date)s",
                    showroom=loan.showroom.barcode,
                    date=format_date(loan.due_date),
                ),
            }
            for loan in rows
        ]


LOAN_STRINGS = {
    "choose_loan": lazy_gettext("Scan the loan number or tap a loan"),
    "no_loan": lazy_gettext("There is no loan %(number)s."),
    "loan_is": lazy_gettext("Loan %(number)s to %(showroom)s"),
    "due": lazy_gettext("due back %(date)s"),
    "other_loan": lazy_gettext("Another loan"),
    "not_on_loan": lazy_gettext("Loan %(number)s has no lot %(lot)s of %(sku)s."),
    "col_out": lazy_gettext("Out"),
    "col_to_go": lazy_gettext("To go"),
    "col_on_display": lazy_gettext("On display"),
}


@scanner.get("/loan-out")
@allow(STAFF)
def loan_out() -> str:
    return render_flow(
        "scanner/stock_loan_out.html",
        flow="loan_out",
        title=_("Loan out"),
        loans=_loans((LoanStatus.APPROVED,)),
        empty=_("No approved loan is waiting to go out."),
        strings=_strings(
            {
                **{k: str(v) for k, v in LOAN_STRINGS.items()},
                "not_approved": _("Loan %(number)s is %(status)s: only an approved loan goes out."),
                "go_to_bin": _("Go to bin"),
                "found_in": _("also in %(bins)s"),
                "nowhere": _("None free in a bonded bin."),
                "scan_bin": _("Scan the bin you take it from"),
                "from_bin": _("From %(bin)s"),
                "all_out": _("Loan %(number)s is out: every item has left."),
                "nothing_left": _("%(sku)s lot %(lot)s is already out in full."),
                "out_submit": _("Send out %(n)s"),
                "sent_out": _("%(n)s of %(sku)s out on loan %(number)s"),
                "out_label": _("Loan %(number)s: %(n)s of %(sku)s lot %(lot)s out from %(bin)s"),
            }
        ),
    )


@scanner.get("/loan-return")
@allow(STAFF)
def loan_return() -> str:
    return render_flow(
        "scanner/stock_loan_return.html",
        flow="loan_return",
        title=_("Loan return"),
        loans=_loans(
            (LoanStatus.APPROVED, LoanStatus.OUT, LoanStatus.PARTLY_RETURNED), out_only=True
        ),
        empty=_("No loan has goods on display."),
        strings=_strings(
            {
                **{k: str(v) for k, v in LOAN_STRINGS.items()},
                "nothing_on_display": _("Nothing of loan %(number)s is on display."),
                "not_displayed": _("%(sku)s lot %(lot)s is not on display on this loan."),
                "return_qty": _("How many of %(sku)s came back, and in what condition?"),
                "condition_good": _("Good: back to a bin"),
                "condition_damaged": _("Damaged: write off"),
                "condition_missing": _("Missing: write off"),
                "note_label": _("Note (what happened)"),
                "scan_return_bin": _("Scan the bin the goods go back to"),
                "returned": _("%(n)s of %(sku)s back into %(bin)s"),
                "written_off": _("%(n)s of %(sku)s written off: duty payable %(duty)s"),
                "all_back": _("Loan %(number)s: nothing left on display."),
                "return_label": _("Loan %(number)s: %(n)s of %(sku)s lot %(lot)s back to %(bin)s"),
                "write_off_label": _(
                    "Loan %(number)s: %(n)s of %(sku)s lot %(lot)s written off (%(condition)s)"
                ),
            }
        ),
    )


# --- count a bin -------------------------------------------------------------------------


@scanner.get("/count")
@allow(STAFF)
def count() -> str:
    # Blind: the counter does not see what the ledger expects before submitting.  A
    # supervisor (admin) may count with the expected quantities shown (?blind=0).
    supervisor = auth.require_principal().role == ADMIN
    blind = not (supervisor and request.args.get("blind") == "0")
    return render_flow(
        "scanner/stock_count.html",
        flow="count",
        title=_("Count a bin"),
        blind=blind,
        show_mode=supervisor,
        config={"blind": blind},
        strings=_strings(
            {
                "scan_bin": _("Scan the bin to count"),
                "only_bins": _("Only storage bins are counted: scan a bin."),
                "loading_bin": _("Reading the bin…"),
                "counting": _("Counting %(bin)s"),
                "scan_items": _("Scan every item in the bin, then submit"),
                "lines_counted": _("%(n)s units counted"),
                "count_of": _("Counted quantity of %(sku)s lot %(lot)s"),
                "remove": _("Remove"),
                "remove_line": _("Remove %(sku)s lot %(lot)s"),
                "submit": _("Count finished: submit"),
                "submit_empty": _("The bin is empty: submit"),
                "finish_first": _(
                    "You are counting %(bin)s. Submit the count or start over before "
                    "scanning another bin."
                ),
                "count_label": _("Count of %(bin)s: %(n)s lines"),
                "count_done": _("Count of %(bin)s recorded"),
                "no_differences": _("No differences: the bin matches the records."),
                "differences": _("%(n)s differences posted"),
                "col_expected": _("Expected"),
                "difference_line": _(
                    "%(sku)s lot %(lot)s: %(counted)s counted, %(expected)s on record "
                    "(%(difference)s)"
                ),
                "stale": _(
                    "Stock moved in or out of %(bin)s while you counted it: count it again."
                ),
                "below_reserved": _(
                    "%(sku)s lot %(lot)s: %(reserved)s are reserved for orders in this bin. "
                    "Pick them or report the short pick first."
                ),
                "expected_title": _("Expected in the bin"),
                "next_bin": _("Count another bin"),
            }
        ),
    )


menu_entry(
    "scanner.receive",
    lazy_gettext("Receive goods"),
    lazy_gettext("Against an entry declaration, onto the dock"),
    order=10,
)
menu_entry(
    "scanner.putaway",
    lazy_gettext("Put away"),
    lazy_gettext("From the dock into a bin"),
    order=20,
)
menu_entry(
    "scanner.loan_out",
    lazy_gettext("Loan out"),
    lazy_gettext("Display loan goods leave for the showroom"),
    order=70,
)
menu_entry(
    "scanner.loan_return",
    lazy_gettext("Loan return"),
    lazy_gettext("Display loan goods come back"),
    order=80,
)
menu_entry(
    "scanner.count",
    lazy_gettext("Count a bin"),
    lazy_gettext("Scan a bin, count what is in it"),
    order=90,
)
