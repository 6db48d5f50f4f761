"""Who may call what: every route of the app, walked as every role and as nobody.

The table below is the reviewed policy.  It is written out here, not read from the
views, so that a changed ``@allow`` on a view fails this test until the table is
changed too (and a new route must be added to it).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from wms.db import Database
from wms.services import brokers, unit_of_work
from wms.web import access

S, P, B = "staff", "planner", "broker"
PUBLIC = "public"
ROLES = ("staff", "planner", "broker", "admin")

# endpoint -> the roles besides admin that may call it, or PUBLIC
EXPECTED: dict[str, Any] = {
    "api.allocate": {P},
    "api.apply_for_return": {P},
    "api.approve_loan": {P},
    "api.batch_lists_pdf": {B, P},
    "api.batch_messages": {B, P},
    "api.batch_release_note": {P, S},
    "api.bin_labels": {P, S},
    "api.box_types": {P, S},
    "api.cancel": {P},
    "api.clear": {P},
    "api.close_batch": {S},
    "api.close_declaration": {P, S},
    "api.commit_plan": {P},
    "api.confirm_pick": {S},
    "api.consolidate_export": {P, S},
    "api.count_bin": {S},
    "api.count_sheet": {S},
    "api.create_batch": {P, S},
    "api.create_box_type": set(),
    "api.create_declaration": {P},
    "api.create_location": set(),
    "api.create_product": set(),
    "api.create_warehouse": set(),
    "api.create_wave": {P, S},
    "api.create_zone": set(),
    "api.declaration_list_pdf": {B, P},
    "api.declaration_messages": {B, P},
    "api.declare": {P},
    "api.export_customs_form": {P, S},
    "api.export_eu_low_value": {B, P},
    "api.export_invoice": {P, S},
    "api.export_monthly_summary": {B, P},
    "api.extend_loan": {P},
    "api.gate_out": {S},
    "api.get_account_book": {P},
    "api.get_batch": {P, S},
    "api.get_customs_declaration": {B, P},
    "api.get_declaration": {P, S},
    "api.get_loan": {P, S},
    "api.get_location": {P, S},
    "api.get_operation": {P, S},
    "api.get_order": {P, S},
    "api.get_parcel": {P, S},
    "api.get_plan": {P},
    "api.get_product": {P, S},
    "api.get_reconciliation": {P},
    "api.get_return": {P, S},
    "api.get_stock": {P, S},
    "api.get_wave": {P, S},
    "api.hand_over": {S},
    "api.hand_over_batch": {S},
    "api.hold": {P},
    "api.inspect_return": {S},
    "api.list_customs_declarations": {B, P},
    "api.list_declarations": {P, S},
    "api.list_locations": {P, S},
    "api.list_moves": {P, S},
    "api.list_orders": {P, S},
    "api.list_plans": {P},
    "api.list_products": {P, S},
    "api.list_warehouses": {P, S},
    "api.load_parcel": {S},
    "api.loan_documents": {P, S},
    "api.loan_tags": {P, S},
    "api.lot_labels": {P, S},
    "api.notices": {P},
    "api.pack": {S},
    "api.parcel_label": {S},
    "api.pick_list": {P, S},
    "api.plan": {P},
    "api.putaway": {S},
    "api.read_scan": {P, S},
    "api.receive": {S},
    "api.receive_batch": {P},
    "api.receive_duty_paid": {S},
    "api.receive_order": {P},
    "api.receive_return": {S},
    "api.register_parcel": {S},
    "api.reject": {P},
    "api.relabel_parcel": {S},
    "api.reopen_batch": {S},
    "api.report_short": {S},
    "api.request_loan": {P},
    "api.reverse": set(),
    "api.run_plan": {P},
    "api.scan_out": {S},
    "api.scan_return": {S},
    "api.set_customs_status": {B},
    "api.showroom": {P, S},
    "api.sort_parcel": {S},
    "api.traffic": {P},
    "api.transfer": {S},
    "api.unload_parcel": {S},
    "api.wave_labels": {S},
    "dashboard.commit_plan": {P},
    "dashboard.index": {P},
    "dashboard.order": {P},
    "dashboard.run_plan": {P},
    "health.healthz": PUBLIC,
    "health.readyz": PUBLIC,
    "openapi": {B, P, S},
    "pages.display_tag": PUBLIC,
    "pages.overview": {P, S},
    "people.audit_log": set(),
    "people.choose_language": PUBLIC,
    "people.home": {B, P, S},
    "people.sign_in": PUBLIC,
    "people.sign_in_form": PUBLIC,
    "people.sign_out": PUBLIC,
    "portal.batch_pdf": {B, P},
    "portal.batch_zip": {B, P},
    "portal.decide": {B},
    "portal.declaration": {B, P},
    "portal.declaration_pdf": {B, P},
    "portal.declaration_zip": {B, P},
    "portal.declarations_list": {B, P},
    "scanner.count": {S},
    "scanner.gate": {S},
    "scanner.load": {S},
    "scanner.loan_out": {S},
    "scanner.loan_return": {S},
    "scanner.lookup": {S},
    "scanner.menu": {S},
    "scanner.pack": {S},
    "scanner.pick": {S},
    "scanner.putaway": {S},
    "scanner.receive": {S},
}
VALUES = {"int": "999999", "default": "NOPE-1", "path": "nope"}


def _declared(app: Flask) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        if access.is_public(view):
            out[rule.endpoint] = PUBLIC
        else:
            roles = access.roles_of(view)
            out[rule.endpoint] = None if roles is None else frozenset(roles - {"admin"})
    return out


def test_every_route_says_who_may_call_it(app: Flask):
    undeclared = sorted(e for e, roles in _declared(app).items() if roles is None)
    assert undeclared == []


def test_the_policy_is_the_reviewed_one(app: Flask):
    declared = _declared(app)
    expected = {e: (r if r == PUBLIC else frozenset(r)) for e, r in EXPECTED.items()}
    missing = sorted(set(declared) - set(expected))
    assert missing == [], "routes missing from EXPECTED"
    assert sorted(set(expected) - set(declared)) == [], "EXPECTED lists routes that are gone"
    changed = {e: (declared[e], expected[e]) for e in declared if declared[e] != expected[e]}
    assert changed == {}


def _requests(app: Flask) -> list[tuple[str, str, str]]:
    calls = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = rule.rule
        for name, converter in rule._converters.items():
            kind = type(converter).__name__.replace("Converter", "").lower()
            value = VALUES["int"] if kind in ("integer", "int") else VALUES.get(kind, "NOPE-1")
            path = re.sub(rf"<(?:[a-z]+(?:\([^)]*\))?:)?{name}>", value, path)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            calls.append((rule.endpoint, method, path))
    return calls


@pytest.fixture
def tokens(db: Database) -> dict[str, str]:
    def issue(s: Any) -> dict[str, str]:
        brokers.create_broker(s, "EASTPORT", "Eastport Customs Brokerage")
        out = {role: brokers.issue_token(s, f"walk-{role}", role=role) for role in (S, P, "admin")}
        out[B] = brokers.issue_token(s, "walk-broker", broker_code="EASTPORT")
        return out

    return unit_of_work.run(db, issue)


@pytest.mark.parametrize("role", [*ROLES, None], ids=[*ROLES, "anonymous"])
def test_walk_every_route(app: Flask, page_client: FlaskClient, tokens: dict[str, str], role):
    wrong = []
    for endpoint, method, path in _requests(app):
        rule = EXPECTED.get(endpoint, frozenset())  # unlisted: admin only (and flagged above)
        headers = {"Authorization": f"Bearer {tokens[role]}"} if role else {}
        response = page_client.open(path, method=method, headers=headers)
        status = response.status_code
        if rule == PUBLIC:
            # anyone; a form posted without a session's CSRF token is refused
            bad = status == 401 or (status == 403 and (role or method == "GET"))
        elif role is None:
            expected_status = 401 if path.startswith("/api/") else 302
            bad = status != expected_status or (
                status == 302 and not response.headers["Location"].startswith("/sign-in")
            )
        elif role == "admin" or role in rule:
            bad = status in (401, 403)
        else:
            bad = status != 403
        if bad:
            wrong.append((method, path, status))
    assert wrong == []


def policy_table(app: Flask) -> str:
    """The EXPECTED table as the views declare it today (to review, then paste)."""
    lines = []
    for endpoint, roles in sorted(_declared(app).items()):
        shown = "PUBLIC" if roles == PUBLIC else "{" + ", ".join(sorted(roles or ())) + "}"
        lines.append(f'    "{endpoint}": {shown},')
    return "\n".join(lines)
