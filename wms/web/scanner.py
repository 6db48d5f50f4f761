"""Handheld scanner pages (/scan): phone-sized, keyboard-wedge first, for gloved hands.

HOW THE FRAMEWORK WORKS (read this before adding a flow)
========================================================

A flow is one server-rendered page plus a small JavaScript object.  The page is thin:
it renders a template and hands the browser two JSON blocks, the *strings* (every
visible text, translated here with ``_()``, never written in JavaScript) and the
*config* (URLs, the wave or batch being worked on, ...).  Everything the flow does
after that goes through the same JSON API as the integrations (``/api/v1``), with the
session cookie and the ``X-CSRF-Token`` header; ``static/scanner.js`` does that part
(scan buffer, error overlay, the queue of actions waiting for the network).

To add a flow (say ``count``) in another module, e.g. ``wms/web/scanner_stock.py``:

1. Register a view on this blueprint and the menu entry::

       from flask_babel import gettext as _
       from flask_babel import lazy_gettext
       from wms.web.access import STAFF, allow
       from wms.web.scanner import menu_entry, render_flow, scanner

       menu_entry("scanner.count", lazy_gettext("Count a bin"),
                  lazy_gettext("Scan a bin, count what is in it"), order=90)

       @scanner.get("/count")
       @allow(STAFF)
       def count() -> str:
           return render_flow(
               "scanner/stock_count.html",
               flow="count",                      # the JS flow of that name runs
               title=_("Count a bin"),
               strings={"scan_bin": _("Scan the bin to count")},   # + the common ones
               config={"warehouse": "SHA1"},      # anything JSON-able for the JS
           )

   ``wms/web/scanner_stock.py`` is imported by this module when it exists (see
   ``FLOW_MODULES`` at the bottom), so nothing else has to change.

2. The template extends ``scanner/base.html`` and fills ``{% block flow %}`` (the flow's
   own panels, under the big "expected next thing" box) and, when it has its own script
   file, ``{% block flow_scripts %}`` with ``<script defer src=...>``.  Every input has
   a ``<label for>``; buttons are ``class="scan-button"`` (>= 48 px tall).

3. The JavaScript registers the flow with ``WmsScanner.flow("count", (S) => {...})``;
   see the comment at the top of ``static/scanner.js`` for what ``S`` offers (next(),
   ok(), fail(), api(), read(), submit() ...).

Strings: ``common_strings()`` lists the keys every page already has (buttons, the error
overlay, the pending list, network problems); a flow adds its own.  Placeholders use
the Python form ``%(name)s`` and are filled in by ``S.t(key, {name: value})``.
``tests/web/test_scanner_pages.py`` checks that every ``S.t("key")`` of a flow's script
is among its page's strings.

Typed or scanned: every action the script sends carries ``X-Scan-Entry: scanned`` when
each code in it came from the scanner, ``typed`` when one was typed (or chosen on the
screen).  Bodies cannot carry it (the API refuses unknown fields).

Browser tests: keys sent by Playwright on a busy machine arrive up to ~200 ms apart, so
tests raise the module's ``SCAN_GAP_MS`` (``monkeypatch.setattr(wms.web.scanner,
"SCAN_GAP_MS", 400)``, see tests/e2e/test_scanner_pick.py); and
every 4xx answer the page receives is a console error in Chromium ("Failed to load
resource"), so a test provoking a refusal takes it out with ``console_errors.expect``.

Who may open the pages: warehouse staff (and admins).  Planners and brokers are refused
like on every other view (``@allow``).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import select

from wms.models import ReleaseBatch, ReleaseStatus, Wave
from wms.services import waves
from wms.web import auth
from wms.web.access import STAFF, allow
from wms.web.context import database

scanner = Blueprint("scanner", __name__, url_prefix="/scan", template_folder="templates")

API_BASE = "/api/v1"
# Keys typed at most this far apart (ms) belong to one scan (a wedge scanner types a whole
# code in a few milliseconds; a person needs 100 ms or more between keys).
SCAN_GAP_MS = 50
LIST_LIMIT = 30  # waves / batches offered to tap on


@dataclass(frozen=True)
class MenuEntry:
    endpoint: str
    label: Any  # a lazy_gettext string
    hint: Any
    order: int


FLOWS: dict[str, MenuEntry] = {}


def menu_entry(endpoint: str, label: Any, hint: Any, *, order: int) -> None:
    """Put a flow on the scanner menu (``label`` and ``hint`` are lazy_gettext strings;
    lower ``order`` comes first).  Registering the same endpoint again replaces it."""
    FLOWS[endpoint] = MenuEntry(endpoint, label, hint, order)


def common_strings() -> dict[str, str]:
    """The texts every scanner page carries (keys used by static/scanner.js)."""
    return {
        "type_instead": _("Type instead"),
        "type_label": _("Type the code"),
        "type_submit": _("Enter"),
        "type_cancel": _("Cancel"),
        "error_ack": _("OK, I have seen it"),
        "error_ack_hint": _("Tap the button to go on. Scans are ignored until then."),
        "error_title": _("Stop"),
        "refused_title": _("Refused"),
        "wrong_scan_title": _("Wrong scan"),
        "not_recorded": _("Not recorded: %(what)s"),
        "scanned_code": _("You scanned: %(code)s"),
        "unknown_code": _("Nothing here answers to this scan."),
        "network_title": _("No connection"),
        "network_read": _(
            "The network did not answer. Move closer to a Wi-Fi point and scan again."
        ),
        "pending_none": _("Everything is sent."),
        "pending_some": _("%(n)s waiting to be sent"),
        "pending_show": _("Show what is waiting"),
        "pending_retry": _("Send now"),
        "pending_queued": _("Saved on this device; it will be sent when the network is back."),
        "pending_signed_out": _("Your session ended. Sign in again to send what is waiting."),
        "pending_reload": _("This page is out of date. Reload it to send what is waiting."),
        "sent": _("Sent"),
        "offline": _("Offline"),
        "online": _("Online"),
        "typed_marker": _("typed"),
        "busy": _("Working…"),
        "done": _("Done"),
        "server_error": _("The server could not do this just now; it will be tried again."),
    }


def page_config(flow: str, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """What every flow's JavaScript gets: the API, who is signed in (the pending queue is
    kept per user), the scan timing, and where the menu and the sign-in page are."""
    principal = auth.require_principal()
    return {
        "flow": flow,
        "api": API_BASE,
        "user": principal.name,
        "scan_gap_ms": SCAN_GAP_MS,
        "menu_url": url_for("scanner.menu"),
        "sign_in_url": url_for("people.sign_in_form", next=request.full_path.rstrip("?")),
        **(extra or {}),
    }


def render_flow(
    template: str,
    *,
    flow: str,
    title: str,
    strings: Mapping[str, str] | None = None,
    config: Mapping[str, Any] | None = None,
    **context: Any,
) -> str:
    """Render a flow page: ``template`` extends scanner/base.html; ``strings`` are the
    flow's texts (added to ``common_strings()``), ``config`` its data for the JS."""
    return render_template(
        template,
        title=title,
        flow=flow,
        strings={**common_strings(), **(strings or {})},
        config=page_config(flow, config),
        **context,
    )


# --- the menu --------------------------------------------------------------------------


@scanner.get("/")
@allow(STAFF)
def menu() -> str:
    entries = sorted(FLOWS.values(), key=lambda e: (e.order, e.endpoint))
    return render_template(
        "scanner/menu.html",
        title=_("Scanner"),
        entries=[
            {"url": url_for(e.endpoint), "label": e.label, "hint": e.hint}
            for e in entries
            if e.endpoint in current_app.view_functions
        ],
    )


# --- pick a wave -----------------------------------------------------------------------


def _open_waves() -> list[dict[str, Any]]:
    with database().reading() as s:
        found = s.scalars(
            select(Wave).where(Wave.status == waves.OPEN).order_by(Wave.id).limit(LIST_LIMIT)
        ).all()
        return [waves.wave_summary(s, w) for w in found]


@scanner.get("/pick")
@allow(STAFF)
def pick() -> str:
    wave = request.args.get("wave", "").strip()[:32]
    return render_flow(
        "scanner/pick.html",
        flow="pick",
        title=_("Pick a wave"),
        waves=[] if wave else _open_waves(),
        wave=wave,
        config={"wave": wave or None, "pick_url": url_for("scanner.pick")},
        strings={
            "choose_wave": _("Scan a wave number or tap a wave"),
            "loading": _("Loading the pick list…"),
            "go_to_bin": _("Go to bin"),
            "scan_bin": _("Scan the bin"),
            "scan_item": _("Scan the item"),
            "scan_lot": _("Scan the lot label"),
            "lot_of": _("Lot %(lot)s"),
            "expires": _("expires %(date)s"),
            "take": _("Take"),
            "quantity_hint": _("Take %(n)s of %(sku)s"),
            "put_in_tote": _("Put them in tote %(tote)s"),
            "confirm_pick": _("Confirm %(n)s"),
            "report_short": _("Short: only %(n)s here"),
            "less": _("One less"),
            "more": _("One more"),
            "task_of": _("Line %(i)s of %(n)s"),
            "wrong_bin": _("Wrong bin. You are at %(scanned)s: go to %(expected)s."),
            "wrong_item": _("Wrong item. This is %(scanned)s: take %(expected)s."),
            "wrong_lot": _("Wrong lot. This is lot %(scanned)s: take lot %(expected)s."),
            "not_a_bin": _("This is not a bin label. Scan the bin %(expected)s."),
            "picked": _("Picked %(n)s of %(sku)s"),
            "shorted": _("Short recorded: %(found)s found, %(missing)s missing"),
            "pick_label": _("Pick %(n)s of %(sku)s lot %(lot)s at %(bin)s (wave %(wave)s)"),
            "short_label": _(
                "Short pick: %(n)s found of %(sku)s lot %(lot)s at %(bin)s (wave %(wave)s)"
            ),
            "wave_done": _("Wave %(wave)s is picked."),
            "wave_left": _("%(n)s lines left"),
            "no_wave": _("There is no wave %(wave)s."),
            "back_to_waves": _("Other waves"),
            "quantity_label": _("Quantity taken"),
            "confirm_first": _("Confirm the quantity on the screen first."),
        },
    )


# --- pack and weigh --------------------------------------------------------------------


@scanner.get("/pack")
@allow(STAFF)
def pack() -> str:
    return render_flow(
        "scanner/pack.html",
        flow="pack",
        title=_("Pack and weigh"),
        strings={
            "scan_order": _("Scan the tote, the order or the tracking number"),
            "lot_of": _("Lot %(lot)s"),
            "scan_items": _("Scan each item into the box"),
            "choose_box": _("Choose the box"),
            "weigh": _("Weigh the parcel"),
            "weight_label": _("Weight in grams"),
            "weight_hint": _("Put the parcel on the scale, or type its weight"),
            "weight_invalid": _("Give the weight as a whole number of grams."),
            "item_added": _("%(sku)s added (%(n)s in the box)"),
            "item_not_in_order": _("%(sku)s is not in this order: take it out."),
            "too_many": _("Too many %(sku)s: %(n)s picked for this order."),
            "expected_items": _("%(scanned)s of %(expected)s scanned"),
            "items_done": _("All items scanned"),
            "pack_submit": _("Pack the parcel"),
            "packed": _("Parcel %(parcel)s packed (%(weight)s g)"),
            "print_label": _("Print the label"),
            "next_order": _("Next order"),
            "pack_label": _("Pack order %(order)s: %(n)s items, %(weight)s g, box %(box)s"),
            "order_is": _("Order %(order)s"),
            "remove_last": _("Take the last item out"),
            "no_boxes": _("No box types are set up: ask a supervisor."),
            "start_over": _("Start over"),
        },
    )


# --- load a release batch, gate-out ----------------------------------------------------


def _batches(status: ReleaseStatus) -> list[dict[str, Any]]:
    with database().reading() as s:
        rows = s.execute(
            select(ReleaseBatch.number, ReleaseBatch.vehicle_plate, ReleaseBatch.seal_number)
            .where(ReleaseBatch.status == status)
            .order_by(ReleaseBatch.id)
            .limit(LIST_LIMIT)
        ).all()
    return [{"number": n, "vehicle_plate": p, "seal_number": seal} for n, p, seal in rows]


BATCH_STRINGS = {
    "scan_batch": lazy_gettext("Scan the release batch (gate pass) or tap one"),
    "no_batch": lazy_gettext("There is no release batch %(batch)s."),
    "vehicle": lazy_gettext("Vehicle %(plate)s"),
    "seal": lazy_gettext("Seal %(seal)s"),
    "parcels_on": lazy_gettext("%(n)s parcels on the vehicle"),
    "status_open": lazy_gettext("Loading"),
    "status_closed": lazy_gettext("Sealed, waiting for the gate"),
    "status_gated_out": lazy_gettext("Left through the gate"),
    "other_batch": lazy_gettext("Another batch"),
}


@scanner.get("/load")
@allow(STAFF)
def load() -> str:
    return render_flow(
        "scanner/load.html",
        flow="load",
        title=_("Load a release batch"),
        batches=_batches(ReleaseStatus.OPEN),
        strings={
            **{k: str(v) for k, v in BATCH_STRINGS.items()},
            "scan_parcel": _("Scan each parcel as it goes on the vehicle"),
            "loaded": _("Parcel %(parcel)s loaded: %(n)s on the vehicle"),
            "load_label": _("Load parcel %(parcel)s on batch %(batch)s"),
            "close": _("Loading finished: seal the vehicle"),
            "seal_label": _("Seal number"),
            "scan_seal": _("Scan or type the seal number"),
            "close_submit": _("Close the batch"),
            "closed": _("Batch %(batch)s is sealed with %(seal)s."),
            "not_loading": _("Batch %(batch)s is not loading any more."),
            "seal_missing": _("Give the seal number."),
            "wait_pending": _("Some parcels of this batch are not sent yet: wait until they are."),
        },
    )


@scanner.get("/gate")
@allow(STAFF)
def gate() -> str:
    return render_flow(
        "scanner/gate.html",
        flow="gate",
        title=_("Gate-out"),
        batches=_batches(ReleaseStatus.CLOSED),
        strings={
            **{k: str(v) for k, v in BATCH_STRINGS.items()},
            "confirm_gate": _("Let batch %(batch)s out"),
            "check_seal": _("Check that the seal on the vehicle reads %(seal)s"),
            "gate_label": _("Gate-out of batch %(batch)s"),
            "gated_out": _(
                "Batch %(batch)s left: %(parcels)s parcels, %(orders)s orders, %(units)s units."
            ),
            "not_sealed": _("Batch %(batch)s is still loading: it must be sealed first."),
            "already_out": _("Batch %(batch)s has already left."),
            "all_or_nothing": _("Either the whole batch leaves or none of it does."),
            "seal_mismatch": _("This is not the seal of this batch: it must read %(seal)s."),
        },
    )


# --- look up ---------------------------------------------------------------------------


@scanner.get("/lookup")
@allow(STAFF)
def lookup() -> str:
    return render_flow(
        "scanner/lookup.html",
        flow="lookup",
        title=_("What is where"),
        strings={
            "scan_anything": _("Scan a bin, a product or a lot label"),
            "bin_contents": _("In bin %(bin)s"),
            "where_is": _("Where %(what)s is"),
            "empty_bin": _("This bin is empty."),
            "nowhere": _("None on hand."),
            "col_sku": _("SKU"),
            "col_lot": _("Lot"),
            "col_expiry": _("Expiry"),
            "col_bin": _("Bin"),
            "col_qty": _("On hand"),
            "col_reserved": _("Reserved"),
            "total": _("Total: %(n)s"),
            "lot_of": _("lot %(lot)s"),
            "sscc_unknown": _("This is a pallet label (SSCC %(sscc)s): scan a bin or a product."),
        },
    )


# Menu entries of this module (scanner-B's flows add theirs from scanner_stock.py).
for _endpoint, _label, _hint, _order in (
    ("scanner.pick", lazy_gettext("Pick a wave"), lazy_gettext("Bin by bin, in walking order"), 30),
    ("scanner.pack", lazy_gettext("Pack and weigh"), lazy_gettext("Tote, items, scale, label"), 40),
    (
        "scanner.load",
        lazy_gettext("Load a release batch"),
        lazy_gettext("Parcels onto the vehicle"),
        50,
    ),
    ("scanner.gate", lazy_gettext("Gate-out"), lazy_gettext("The sealed vehicle leaves"), 60),
    ("scanner.lookup", lazy_gettext("What is where"), lazy_gettext("A bin, a SKU or a lot"), 100),
):
    menu_entry(_endpoint, _label, _hint, order=_order)


# Flow modules that register views on this blueprint; each is imported when it exists, so
# a module can be added without touching this file or the app factory.
FLOW_MODULES = ("wms.web.scanner_stock",)
for _module in FLOW_MODULES:
    if importlib.util.find_spec(_module) is not None:
        importlib.import_module(_module)
