"""Signing in and out, sessions, CSRF, throttling, the audit log and the language choice,
through the pages and the API as a browser and an integration use them."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from config import load_settings
from tests.web.people_support import PASSWORD, csrf_of, make_user, sign_in
from tests.web.support import API, error_of, ok
from wms.db import Database
from wms.models import AuditEntry
from wms.services import people, unit_of_work
from wms.web.app import create_app


def attempt(client: FlaskClient, username: str, password: str) -> int:
    token = csrf_of(client)
    data = {"username": username, "password": password, "csrf_token": token}
    return client.post("/sign-in", data=data).status_code


def audit_rows(db: Database) -> list[tuple[str, str, str, str]]:
    with db.reading() as s:
        rows = s.execute(
            select(
                AuditEntry.actor, AuditEntry.action, AuditEntry.target, AuditEntry.outcome
            ).order_by(AuditEntry.id)
        ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def test_anonymous_pages_go_to_sign_in_and_back_where_they_were(db: Database, page_client):
    make_user(db, "pat", "planner")
    response = page_client.get("/overview?x=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=/overview?x%3D1"
    token = csrf_of(page_client)
    data = {"username": "PAT", "password": PASSWORD, "csrf_token": token, "next": "/overview?x=1"}
    signed = page_client.post("/sign-in", data=data)
    assert signed.status_code == 302 and signed.headers["Location"] == "/overview?x=1"
    assert page_client.get("/overview").status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil"])
def test_sign_in_never_redirects_off_site(db: Database, page_client, target: str):
    make_user(db, "pat", "planner")
    token = csrf_of(page_client)
    data = {"username": "pat", "password": PASSWORD, "csrf_token": token, "next": target}
    response = page_client.post("/sign-in", data=data)
    assert response.status_code == 302
    assert (
        response.headers["Location"].startswith("/") and "evil" not in response.headers["Location"]
    )


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(db: Database, page_client):
    make_user(db, "pat", "planner")
    wrong = page_client.post(
        "/sign-in",
        data={"username": "pat", "password": "nope nope nope", "csrf_token": csrf_of(page_client)},
    )
    unknown = page_client.post(
        "/sign-in",
        data={"username": "zed", "password": "nope nope nope", "csrf_token": csrf_of(page_client)},
    )
    assert wrong.status_code == unknown.status_code == 422
    message = re.compile(r'id="sign-in-error">([^<]+)<')
    assert message.search(wrong.get_data(as_text=True)).group(1) == message.search(  # type: ignore[union-attr]
        unknown.get_data(as_text=True)
    ).group(1)  # type: ignore[union-attr]
    assert audit_rows(db) == [
        ("pat", "sign_in", "pat", "failed"),
        ("zed", "sign_in", "zed", "failed"),
    ]


def test_five_failures_lock_the_user_name_for_everyone_even_with_the_right_password(
    db: Database, app: Flask
):
    make_user(db, "pat", "planner")
    make_user(db, "sam", "staff")
    first = app.test_client()
    for _ in range(people.MAX_FAILURES_PER_USER):
        assert attempt(first, "pat", "wrong wrong wrong") == 422
    # another worker process: the count lives in the database
    other = create_app(load_settings(database_url=db.url, secret_key="test", environment="test"))
    second = other.test_client()
    token = csrf_of(second)
    locked = second.post(
        "/sign-in", data={"username": "pat", "password": PASSWORD, "csrf_token": token}
    )
    assert locked.status_code == 429
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60
    assert "Too many failed attempts" in locked.get_data(as_text=True)
    assert attempt(second, "sam", PASSWORD) == 302  # other users are not locked out
    assert audit_rows(db)[-2][3] == "refused"
    other.extensions["wms.db"].dispose()


def test_session_cookie_flags_and_rotation(db: Database, page_client):
    make_user(db, "sam", "staff")
    before = csrf_of(page_client)
    response = page_client.post(
        "/sign-in", data={"username": "sam", "password": PASSWORD, "csrf_token": before}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    with page_client.session_transaction() as session:
        after = session["csrf"]
    assert after != before  # a token planted before sign-in is worthless after it
    refused = page_client.post("/language", data={"locale": "en", "csrf_token": before})
    assert refused.status_code == 403


def test_outside_development_the_cookie_is_secure_and_the_keys_are_required(db: Database):
    keys = {"secret_key": "s" * 32, "data_key": "d" * 44}
    app = create_app(load_settings(database_url=db.url, environment="production", **keys))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    app.extensions["wms.db"].dispose()
    for wrong in (
        {"secret_key_generated": True},
        {"secret_key": "too short"},
        {"data_key_generated": True},
    ):
        settings = load_settings(database_url=db.url, environment="production", **keys | wrong)
        with pytest.raises(RuntimeError, match=r"SECRET_KEY|WMS_DATA_KEY"):
            create_app(settings)


def test_a_form_without_its_csrf_token_is_refused_and_audited(db: Database, page_client):
    make_user(db, "pat", "planner")
    sign_in(page_client, "pat")
    assert page_client.post("/sign-out").status_code == 403
    assert page_client.get("/overview").status_code == 200  # still signed in
    assert audit_rows(db)[-1][3] == "refused"


def test_scripts_post_to_the_api_with_the_csrf_header(stocked: Database, page_client: FlaskClient):
    make_user(stocked, "sam", "staff")
    token = sign_in(page_client, "sam")
    body = {
        "product_code": "MILK-900",
        "lot_number": "L1",
        "quantity": 1,
        "from_barcode": "SHA1-DOCK",
        "to_barcode": "SHA1-A-01",
    }
    no_header = page_client.post(f"{API}/putaways", json=body, headers={"Idempotency-Key": "p1"})
    assert error_of(no_header, 403)["field"] == "csrf_token"
    sent = {"Idempotency-Key": "p1", "X-CSRF-Token": token}
    ok(page_client.post(f"{API}/putaways", json=body, headers=sent), 201)
    actions = [(actor, action, outcome) for actor, action, _, outcome in audit_rows(stocked)]
    assert actions[-2:] == [("sam", "api.putaway", "refused"), ("sam", "api.putaway", "ok")]


def test_a_handheld_session_ends_sooner_than_a_planners(db: Database, app: Flask):
    make_user(db, "sam", "staff")
    make_user(db, "pat", "planner")
    staff, planner = app.test_client(), app.test_client()
    sign_in(staff, "sam")
    sign_in(planner, "pat")
    for client in (staff, planner):
        with client.session_transaction() as session:
            session["seen"] -= 20 * 60  # twenty minutes without a click
    assert planner.get("/overview").status_code == 200
    ended = staff.get("/overview")
    assert ended.status_code == 302 and ended.headers["Location"].startswith("/sign-in")
    page = staff.get(ended.headers["Location"]).get_data(as_text=True)
    assert "without activity" in page


def test_disabling_a_user_or_changing_the_password_ends_open_sessions(db: Database, app: Flask):
    make_user(db, "pat", "planner")
    make_user(db, "ann", "planner")
    pat, ann = app.test_client(), app.test_client()
    sign_in(pat, "pat")
    sign_in(ann, "ann")
    unit_of_work.run(db, lambda s: people.set_active(s, "pat", False))
    unit_of_work.run(db, lambda s: people.set_password(s, "ann", "a new password 2"))
    assert pat.get("/overview").status_code == 302
    assert ann.get("/overview").status_code == 302
    assert attempt(pat, "pat", PASSWORD) == 422  # disabled
    assert attempt(ann, "ann", "a new password 2") == 302


def test_the_audit_log_is_append_only(db: Database, page_client):
    make_user(db, "pat", "planner")
    sign_in(page_client, "pat")
    with pytest.raises(DBAPIError), db.transaction() as s:
        s.execute(text("UPDATE audit_log SET actor = 'someone'"))
    with pytest.raises(DBAPIError), db.transaction() as s:
        s.execute(text("DELETE FROM audit_log"))
    assert audit_rows(db) == [("pat", "sign_in", "pat", "ok")]


def test_sign_out_ends_the_session_and_is_audited(db: Database, page_client):
    make_user(db, "pat", "planner")
    token = sign_in(page_client, "pat")
    assert page_client.post("/sign-out", data={"csrf_token": token}).status_code == 302
    assert page_client.get("/overview").status_code == 302
    assert audit_rows(db)[-1] == ("pat", "sign_out", "pat", "ok")


def test_the_language_follows_the_browser_then_the_users_choice(db: Database, page_client):
    make_user(db, "pat", "planner")
    zh = page_client.get("/sign-in", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert '<html lang="zh-Hans">' in zh.get_data(as_text=True)
    en = page_client.get("/sign-in", headers={"Accept-Language": "en-GB"})
    assert '<html lang="en">' in en.get_data(as_text=True)
    token = sign_in(page_client, "pat")
    page_client.post("/language", data={"locale": "zh", "csrf_token": token, "next": "/overview"})
    page_client.post("/sign-out", data={"csrf_token": token})
    with page_client.session_transaction() as session:
        session.clear()  # another device: nothing but the account remembers the choice
    sign_in(page_client, "pat")
    page = page_client.get("/overview", headers={"Accept-Language": "en"})
    assert '<html lang="zh-Hans">' in page.get_data(as_text=True)


def test_an_unknown_language_is_refused_naming_the_field(db: Database, page_client):
    token = csrf_of(page_client)
    response = page_client.post("/language", data={"locale": "xx", "csrf_token": token})
    assert response.status_code == 422
    assert "locale" in response.get_data(as_text=True)


def test_the_admin_reads_the_audit_log_and_others_may_not(db: Database, app: Flask):
    make_user(db, "root", "admin")
    make_user(db, "pat", "planner")
    admin, planner = app.test_client(), app.test_client()
    sign_in(admin, "root")
    sign_in(planner, "pat")
    page = admin.get("/audit?actor=pat").get_data(as_text=True)
    assert "sign_in" in page and "root" not in page.split("<tbody>")[1]
    assert planner.get("/audit").status_code == 403


def test_a_scanner_token_is_scoped_by_its_role_and_revocable(db: Database, client, page_client):
    staff = client.token_for("gun-7", "staff")
    bearer = {"Authorization": f"Bearer {staff}"}
    assert page_client.get(f"{API}/stock", headers=bearer).status_code == 200
    assert error_of(page_client.get(f"{API}/plans", headers=bearer), 403)["code"] == "forbidden"
    from wms.services import brokers

    with db.reading() as s:
        token_id = brokers.authenticate(s, staff).token_id  # type: ignore[union-attr]
    unit_of_work.run(db, lambda s: brokers.revoke_token(s, token_id))
    assert error_of(page_client.get(f"{API}/stock", headers=bearer), 401)["field"] == (
        "Authorization"
    )


def test_every_answer_carries_the_security_headers(db: Database, page_client, client):
    for response in (page_client.get("/sign-in"), client.get(f"{API}/warehouses")):
        policy = response.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
