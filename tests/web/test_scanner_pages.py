"""The handheld scanner pages (/scan): who may open them, what they carry for the script,
their language, and the API calls their script makes with the session and its CSRF token."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests import factories as f
from tests.integration.outbound import support as o
from tests.web.people_support import make_user, sign_in
from tests.web.support import API, error_of, ok
from wms.db import Database
from wms.services import audit

FLOW_PAGES = {
    "/scan/pick": "pick",
    "/scan/pack": "pack",
    "/scan/load": "load",
    "/scan/gate": "gate",
    "/scan/lookup": "lookup",
}
SCRIPT = Path(__file__).resolve().parents[2] / "wms" / "web" / "static" / "scanner.js"
_JSON_BLOCK = r'<script type="application/json" id="{}">(.*?)</script>'


def json_block(html: str, block: str) -> Any:
    found = re.search(_JSON_BLOCK.format(block), html, re.S)
    assert found, f"no {block} block"
    return json.loads(found.group(1))


def signed_in(page_client: FlaskClient, db: Database, role: str, name: str = "ann") -> str:
    make_user(db, name, role)
    return sign_in(page_client, name)


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_the_menu_lists_every_flow(page_client: FlaskClient, db: Database, role: str) -> None:
    signed_in(page_client, db, role)
    response = page_client.get("/scan/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for path in FLOW_PAGES:
        assert f'href="{path}"' in html
    for label in ("Pick a wave", "Pack and weigh", "Load a release batch", "Gate-out"):
        assert label in html


@pytest.mark.parametrize("role", ["staff", "admin"])
@pytest.mark.parametrize("path", sorted(FLOW_PAGES))
def test_flow_pages_render_for_the_warehouse_floor(
    page_client: FlaskClient, db: Database, role: str, path: str
) -> None:
    signed_in(page_client, db, role)
    response = page_client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[-500:]
    html = response.get_data(as_text=True)
    config = json_block(html, "scan-config")
    assert config["flow"] == FLOW_PAGES[path]
    assert (config["api"], config["user"], config["scan_gap_ms"]) == ("/api/v1", "ann", 50)
    strings = json_block(html, "scan-strings")
    assert strings["error_ack"] == "OK, I have seen it"
    assert 'id="scan-error"' in html and 'role="alertdialog"' in html
    assert 'for="scan-type-input"' in html  # "Type instead" has its label
    assert "/static/scanner.js" in html and "/static/scanner.css" in html
    assert 'name="csrf-token"' in html


@pytest.mark.parametrize("role", ["planner", "broker"])
@pytest.mark.parametrize("path", ["/scan/", *sorted(FLOW_PAGES)])
def test_planners_and_brokers_are_refused(
    page_client: FlaskClient, db: Database, role: str, path: str
) -> None:
    make_user(db, "bob", role, broker="BRK1" if role == "broker" else None)
    sign_in(page_client, "bob")
    assert page_client.get(path).status_code == 403


def test_signed_out_people_are_sent_to_sign_in(page_client: FlaskClient, db: Database) -> None:
    response = page_client.get("/scan/pick?wave=W1")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=/scan/pick")


def test_pages_follow_the_language(page_client: FlaskClient, db: Database) -> None:
    signed_in(page_client, db, "staff")
    chinese = page_client.get("/scan/pick", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert chinese.status_code == 200
    assert '<html lang="zh-Hans">' in chinese.get_data(as_text=True)
    english = page_client.get("/scan/pick", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in english.get_data(as_text=True)


def script_keys() -> dict[str, set[str]]:
    """The string keys scanner.js uses (S.t("key")), per flow, framework keys included."""
    script = SCRIPT.read_text(encoding="utf-8")
    body = script[script.index("*/") :]  # not the example in the opening comment
    starts = [(m.start(), m.group(1)) for m in re.finditer(r'WmsScanner\.flow\("(\w+)"', body)]
    batch_at = body.index("function batchFlow")
    ends = [pos for pos, _ in starts[1:]] + [body.index("// --- start the page's flow")]
    texts = {name: body[pos:end] for (pos, name), end in zip(starts, ends, strict=True)}
    texts["pack"] = texts["pack"][: texts["pack"].index("function batchFlow")]
    batch = body[batch_at : body.index('WmsScanner.flow("load"')]
    statuses = {"status_open", "status_closed", "status_gated_out"}
    dynamic = {
        "load": statuses | {"not_loading"},  # refusals picked by the batch's status
        "gate": statuses | {"not_sealed", "already_out"},
        "lookup": {f"col_{c}" for c in ("sku", "lot", "expiry", "bin", "qty", "reserved")},
    }

    def keys(text: str) -> set[str]:
        return set(re.findall(r'S\.t\("(\w+)"', text))

    common = keys(body[: starts[0][0]])
    return {
        name: common
        | keys(text)
        | (keys(batch) if name in ("load", "gate") else set())
        | dynamic.get(name, set())
        for name, text in texts.items()
    }


@pytest.mark.parametrize("path", sorted(FLOW_PAGES))
def test_every_string_the_script_uses_is_on_its_page(
    page_client: FlaskClient, db: Database, path: str
) -> None:
    """The script shows no text of its own: each S.t("key") must come from the page."""
    signed_in(page_client, db, "staff")
    offered = set(json_block(page_client.get(path).get_data(as_text=True), "scan-strings"))
    used = script_keys()[FLOW_PAGES[path]]
    assert len(used) > 10, "few S.t() calls found: has the script changed shape?"
    assert sorted(used - offered) == []


def test_the_pick_page_offers_the_open_waves(
    page_client: FlaskClient, client: FlaskClient, db: Database
) -> None:
    o.picking_warehouse(db)
    o.cleared_order(db, (f.SERUM.sku, 2))
    wave = ok(client.post(f"{API}/waves", json={"warehouse": f.WAREHOUSE}), 201)["number"]
    signed_in(page_client, db, "staff")
    html = page_client.get("/scan/pick").get_data(as_text=True)
    assert f'href="/scan/pick?wave={wave}"' in html
    chosen = page_client.get(f"/scan/pick?wave={wave}").get_data(as_text=True)
    assert json_block(chosen, "scan-config")["wave"] == wave


def test_a_pick_through_the_session_needs_the_csrf_token(
    page_client: FlaskClient, client: FlaskClient, db: Database
) -> None:
    """What the pick page's script sends: the session cookie, X-CSRF-Token, a device-made
    Idempotency-Key and X-Scan-Entry; a retry with the same key posts nothing twice."""
    o.picking_warehouse(db)
    o.cleared_order(db, (f.SERUM.sku, 2))
    wave = ok(client.post(f"{API}/waves", json={"warehouse": f.WAREHOUSE}), 201)["number"]
    token = signed_in(page_client, db, "staff")
    tasks = ok(page_client.get(f"{API}/waves/{wave}/pick-list"))["tasks"]
    task = tasks[0]
    body = {
        "bin_barcode": task["bin"],
        "product_code": task["sku"],
        "lot_number": task["lot_number"],
        "quantity": task["to_pick"],
        "order_id": task["order_id"],
    }
    key = "2f1b0c1e-8d7a-4c1e-9a53-0c0f1d2e3a4b"
    sent = {"Idempotency-Key": key, "X-Scan-Entry": "typed"}

    refused = error_of(page_client.post(f"{API}/waves/{wave}/picks", json=body, headers=sent), 403)
    assert refused["field"] == "csrf_token"

    sent["X-CSRF-Token"] = token
    first = ok(page_client.post(f"{API}/waves/{wave}/picks", json=body, headers=sent), 201)
    assert (first["wave_status"], first["replayed"]) == ("done", False)
    again = ok(page_client.post(f"{API}/waves/{wave}/picks", json=body, headers=sent))
    assert again["replayed"] and again["operation_id"] == first["operation_id"]
    assert ok(page_client.get(f"{API}/waves/{wave}"))["picked"] == 2

    reading = ok(page_client.post(f"{API}/scans", json={"scan": task["bin"]}, headers=sent))
    assert reading["kind"] == "location"
    with db.reading() as s:
        picks = [e.details for e in audit.recent(s, actor="ann") if e.action == "api.confirm_pick"]
    assert picks and picks[0]["idempotency_key"] == key


def test_typed_entries_are_recorded_as_typed(
    page_client: FlaskClient, client: FlaskClient, db: Database
) -> None:
    o.picking_warehouse(db)
    o.cleared_order(db, (f.SERUM.sku, 2))
    wave = ok(client.post(f"{API}/waves", json={"warehouse": f.WAREHOUSE}), 201)["number"]
    token = signed_in(page_client, db, "staff")
    body = {"bin_barcode": f.BINS[2], "product_code": f.SERUM.sku, "lot_number": "S1"}
    sent = {"Idempotency-Key": "typed-1", "X-Scan-Entry": "typed", "X-CSRF-Token": token}
    ok(
        page_client.post(f"{API}/waves/{wave}/picks", json=body | {"quantity": 2}, headers=sent),
        201,
    )
    with db.reading() as s:
        [pick] = [e.details for e in audit.recent(s, actor="ann") if e.action == "api.confirm_pick"]
    assert pick["entry"] == "typed"


def test_loading_and_looking_up_through_the_session(
    page_client: FlaskClient, client: FlaskClient, db: Database
) -> None:
    o.picking_warehouse(db)
    order = o.receive_order(db, (f.SERUM.sku, 1))
    parcel = o.labelled_parcel(db, order)
    batch = ok(
        client.post(
            f"{API}/release-batches", json={"warehouse": f.WAREHOUSE, "vehicle_plate": "沪A1"}
        ),
        201,
    )["number"]
    token = signed_in(page_client, db, "staff")
    sent = {"X-CSRF-Token": token, "X-Scan-Entry": "scanned"}

    path = f"{API}/release-batches/{batch}/parcels"
    loaded = ok(
        page_client.post(
            path, json={"parcel_code": parcel}, headers=sent | {"Idempotency-Key": "l-1"}
        )
    )
    assert loaded["parcels_on_batch"] == 1
    twice = error_of(
        page_client.post(
            path, json={"parcel_code": parcel}, headers=sent | {"Idempotency-Key": "l-2"}
        ),
        409,
    )
    assert "already on this vehicle" in twice["message"]  # the reason the overlay shows

    listing = ok(page_client.get(f"{API}/stock?location={f.BINS[2]}"))
    assert {(r["sku"], r["lot_number"]) for r in listing["rows"]} >= {(f.MILK.sku, "L2")}
    assert "/scan/load" in page_client.get("/scan/").get_data(as_text=True)
    html = page_client.get("/scan/load").get_data(as_text=True)
    assert f'data-batch="{batch}"' in html
