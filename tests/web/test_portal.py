"""The broker portal: people sign in (redirect with next, rotation, sign-out, disabled
users), who may use it (brokers their merchants only, planners read, admins all, staff
not), everything another organisation owns is a 404, filters, downloads, customs' answer
(audited, CSRF), escaping, the language; and the merchant, broker and token commands."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from tests import factories as f
from tests.integration.customs.support import pdf_pages
from tests.integration.outbound import support as o
from tests.web.people_support import PASSWORD, csrf_of, make_user, sign_in
from wms.db import Database
from wms.models import (
    ApiToken,
    AuditEntry,
    BrokerMandate,
    Channel,
    CustomsDeclaration,
    CustomsStatus,
    DeclarationEvent,
    Merchant,
    OrderStatus,
)
from wms.services import (
    allocation,
    brokers,
    customs_documents,
    declarations,
    orders,
    people,
    releases,
    unit_of_work,
)

MAIN = re.compile(r'<main id="main">.*</main>', re.S)


@dataclass(frozen=True)
class Party:
    """A merchant on its own channel, the broker acting for it and one of its people."""

    merchant: str
    broker: str
    channel: str
    user: str


@dataclass(frozen=True)
class Organisation(Party):
    """A party and what it owns: a submitted list and a loaded release batch."""

    submitted_order: int
    submitted: str  # declaration number, status submitted
    cleared: str  # declaration number of the order loaded on the batch
    batch: str


def party(db: Database, n: int, channel: str, user: str) -> Party:
    """Merchant M<n> selling through ``channel``, broker B<n> acting for it, ``user`` of B<n>."""
    merchant, broker = f"M{n}", f"B{n}"
    o.channel(db, channel)
    with db.transaction() as s:
        brokers.create_merchant(s, merchant, f"Merchant {n}")
        brokers.assign_channel(s, channel, merchant)
        brokers.create_broker(s, broker, f"Broker {n}")
        brokers.grant_mandate(s, broker, merchant)
    make_user(db, user, "broker", broker=broker)
    return Party(merchant, broker, channel, user)


def organisation(db: Database, owner: Party, plate: str) -> Organisation:
    """A submitted list and a release batch loaded with a cleared order, both ``owner``'s."""
    submitted = o.receive_order(db, (f.MILK.sku, 1), channel_code=owner.channel)
    with db.transaction() as s:  # reserved, so that its list names the lots
        allocation.allocate(s, submitted, actor="tester")
    o.advance(db, submitted, "planned", "declared")
    loaded = o.receive_order(db, (f.MILK.sku, 1), channel_code=owner.channel)
    parcel = o.labelled_parcel(db, loaded)
    with db.transaction() as s:
        batch = releases.create_batch(
            s, warehouse_code=f.WAREHOUSE, vehicle_plate=plate, actor="gate"
        ).number
        releases.load_parcel(s, releases.LoadScan(batch, parcel, f.key("load"), "loader"))
        return Organisation(
            *(owner.merchant, owner.broker, owner.channel, owner.user),
            submitted_order=submitted,
            submitted=number_of(s, submitted),
            cleared=number_of(s, loaded),
            batch=batch,
        )


def stock_for_four(db: Database) -> None:
    f.build_warehouse(db)
    f.declare(db, "ED-1", (f.MILK.sku, 100))
    f.receive(db, "ED-1", f.MILK.sku, "L1", 20)
    f.putaway(db, f.MILK.sku, "L1", 20, to=f.BINS[0])


def number_of(s: Session, order_id: int) -> str:
    declaration = declarations.live_declaration(s, order_id)
    assert declaration is not None
    return declaration.number


@pytest.fixture
def parties(db: Database) -> tuple[Party, Party]:
    """M1 on TMALLG with broker B1 (user bea), M2 on JDWW with broker B2 (user bob)."""
    return party(db, 1, "TMALLG", "bea"), party(db, 2, "JDWW", "bob")


@pytest.fixture
def two(db: Database, parties: tuple[Party, Party]) -> tuple[Organisation, Organisation]:
    """Both parties with a submitted list and a loaded batch each."""
    stock_for_four(db)
    return organisation(db, parties[0], "沪A12341"), organisation(db, parties[1], "沪A12342")


class Browser:
    """A person's browser: the session cookie, and the CSRF token of its session."""

    def __init__(self, app: Flask) -> None:
        self.client = FlaskClient(app, app.response_class, use_cookies=True)
        self.csrf = ""

    def sign_in(self, user: str) -> Browser:
        self.csrf = sign_in(self.client, user)
        return self

    def get(self, url: str, **kwargs: Any) -> TestResponse:
        return self.client.get(url, **kwargs)

    def post(self, url: str, data: dict[str, str] | None = None, **kwargs: Any) -> TestResponse:
        return self.client.post(url, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)

    def decide(self, number: str, **form: str) -> TestResponse:
        return self.post(f"/portal/declarations/{number}/decision", form)


@pytest.fixture
def browser(app: Flask) -> Callable[[str], Browser]:
    """``browser(user)``: a browser of its own with ``user`` signed in."""
    return lambda user: Browser(app).sign_in(user)


def html(response: TestResponse, status: int = 200) -> str:
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def main_of(page: str) -> str:
    found = MAIN.search(page)
    assert found, page[:500]
    return found.group(0)


def order_status(db: Database, order_id: int) -> OrderStatus:
    with db.reading() as s:
        return orders.order_by_id(s, order_id).status


def shown(page: str, *numbers: str) -> set[str]:
    """Which of the declaration ``numbers`` the list shows."""
    return {n for n in numbers if f">{n}</a>" in page}


# --- signing in --------------------------------------------------------------------------


def test_without_signing_in_every_page_and_download_leads_to_the_sign_in(
    page_client: FlaskClient, two: tuple[Organisation, Organisation]
) -> None:
    mine, _ = two
    for url in (
        "/portal/",
        "/portal/?status=submitted&batch=RB1",
        f"/portal/declarations/{mine.submitted}",
        f"/portal/declarations/{mine.submitted}.pdf",
        f"/portal/declarations/{mine.submitted}.zip",
        f"/portal/batches/{mine.batch}.pdf",
        f"/portal/batches/{mine.batch}.zip",
        "/portal/declarations/NO-SUCH.pdf",
    ):
        response = page_client.get(url)
        assert response.status_code == 302, url
        location = urlsplit(response.headers["Location"])
        assert location.path == "/sign-in", url
        assert parse_qs(location.query) == {"next": [url]}, url
        assert response.headers["Cache-Control"] == "no-store", url
    refused = page_client.post(f"/portal/declarations/{mine.submitted}/decision")
    assert refused.status_code == 302
    assert order_status_unchanged(page_client, mine)


def order_status_unchanged(client: FlaskClient, org: Organisation) -> bool:
    db: Database = client.application.extensions["wms.db"]
    return order_status(db, org.submitted_order) is OrderStatus.DECLARED


def test_signing_in_leads_back_to_the_page_asked_for(
    page_client: FlaskClient, two: tuple[Organisation, Organisation]
) -> None:
    mine, _ = two
    wanted = f"/portal/declarations/{mine.submitted}?from=list"
    sign_in_url = page_client.get(wanted).headers["Location"]
    form = html(page_client.get(sign_in_url))
    assert f'name="next" value="{wanted}"' in form

    response = page_client.post(
        "/sign-in",
        data={
            "username": "bea",
            "password": PASSWORD,
            "next": wanted,
            "csrf_token": csrf_of(page_client),
        },
    )

    assert response.status_code == 302 and response.headers["Location"] == wanted
    assert f"Declaration {mine.submitted}" in html(page_client.get(wanted))
    for elsewhere in ("https://evil.example/", "//evil.example/portal/", "/\\evil.example"):
        other = FlaskClient(page_client.application, page_client.application.response_class)
        form = {"username": "bea", "password": PASSWORD, "next": elsewhere}
        answer = other.post("/sign-in", data={**form, "csrf_token": csrf_of(other)})
        assert answer.headers["Location"] == "/portal/", elsewhere  # the broker's start


def test_a_broker_starts_on_the_portal(
    page_client: FlaskClient, parties: tuple[Party, Party]
) -> None:
    sign_in(page_client, "bea")

    assert page_client.get("/").headers["Location"] == "/portal/"
    page = html(page_client.get("/portal/"))
    assert 'aria-current="page">Declarations</a>' in page  # the shared navigation
    assert "bea · Customs broker" in page  # and who is signed in, with the sign-out
    assert 'action="/sign-out"' in page


def test_signing_in_rotates_the_session_so_a_token_taken_before_is_refused(
    app: Flask, db: Database, page_client: FlaskClient, two: tuple[Organisation, Organisation]
) -> None:
    mine, _ = two
    before = csrf_of(page_client)  # the anonymous session's token, e.g. planted by someone
    cookie_before = page_client.get_cookie("wms_session")
    assert cookie_before is not None

    after = sign_in(page_client, "bea")

    cookie_after = page_client.get_cookie("wms_session")
    assert cookie_after is not None and cookie_after.value != cookie_before.value
    assert after != before
    assert cookie_after.http_only and cookie_after.same_site == "Lax"
    url = f"/portal/declarations/{mine.submitted}/decision"
    form = {"outcome": "cleared", "customs_number": "2218I26000001"}
    stale = page_client.post(url, data={**form, "csrf_token": before})
    assert stale.status_code == 403
    assert "csrf_token" in html(stale, 403)
    assert order_status(db, mine.submitted_order) is OrderStatus.DECLARED
    fresh = page_client.post(url, data={**form, "csrf_token": after})
    assert fresh.status_code == 302
    assert order_status(db, mine.submitted_order) is OrderStatus.CLEARED


def test_signing_out_ends_the_session(browser: Callable[[str], Browser], parties: object) -> None:
    bea = browser("bea")
    assert bea.get("/portal/").status_code == 200

    assert bea.post("/sign-out").status_code == 302

    assert bea.get("/portal/").headers["Location"].startswith("/sign-in")


def test_disabling_a_user_ends_the_session_already_open(
    db: Database, browser: Callable[[str], Browser], two: tuple[Organisation, Organisation]
) -> None:
    mine, _ = two
    bea = browser("bea")
    assert bea.get("/portal/").status_code == 200
    unit_of_work.run(db, lambda s: people.set_active(s, "bea", False))

    for url in ("/portal/", f"/portal/declarations/{mine.submitted}.pdf"):
        response = bea.get(url)
        assert response.status_code == 302, url
        assert response.headers["Location"].startswith("/sign-in"), url
    unit_of_work.run(db, lambda s: people.set_active(s, "bea", True))
    assert bea.get("/portal/").status_code == 302  # that session stays ended
    assert bea.sign_in("bea").get("/portal/").status_code == 200


def test_a_brokers_api_token_reads_the_portal_until_revoked(
    app: Flask, db: Database, two: tuple[Organisation, Organisation]
) -> None:
    mine, theirs = two
    with db.transaction() as s:
        token = brokers.issue_token(s, "filing robot", broker_code=mine.broker)
    robot = FlaskClient(app, app.response_class)
    auth = {"Authorization": f"Bearer {token}"}

    assert robot.get(f"/portal/batches/{mine.batch}.pdf", headers=auth).status_code == 200
    assert robot.get(f"/portal/batches/{theirs.batch}.pdf", headers=auth).status_code == 404
    with db.transaction() as s:
        principal = brokers.authenticate(s, token)
        assert principal is not None and principal.token_id is not None
        brokers.revoke_token(s, principal.token_id)

    assert robot.get(f"/portal/batches/{mine.batch}.pdf", headers=auth).status_code == 401


# --- who may use it -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "reads", "answers"),
    [("staff", 403, 403), ("planner", 200, 403), ("broker", 200, 302), ("admin", 200, 302)],
)
def test_brokers_and_admins_answer_planners_read_staff_may_not(
    db: Database,
    browser: Callable[[str], Browser],
    two: tuple[Organisation, Organisation],
    role: str,
    reads: int,
    answers: int,
) -> None:
    mine, _ = two
    if role != "broker":
        make_user(db, "pat", role)
    person = browser("bea" if role == "broker" else "pat")

    read = {
        url: person.get(url).status_code
        for url in (
            "/portal/",
            f"/portal/declarations/{mine.submitted}",
            f"/portal/declarations/{mine.submitted}.pdf",
            f"/portal/declarations/{mine.submitted}.zip",
            f"/portal/batches/{mine.batch}.pdf",
            f"/portal/batches/{mine.batch}.zip",
        )
    }
    page = person.get(f"/portal/declarations/{mine.submitted}").get_data(as_text=True)
    answered = person.decide(mine.submitted, outcome="rejected", reason="payer ID mismatch")

    assert read == dict.fromkeys(read, reads)
    assert ('id="reject-form"' in page) is (answers == 302)
    assert answered.status_code == answers
    expected = OrderStatus.REJECTED if answers == 302 else OrderStatus.DECLARED
    assert order_status(db, mine.submitted_order) is expected


def test_a_refusal_by_role_is_a_page_and_is_audited(
    db: Database, browser: Callable[[str], Browser], two: tuple[Organisation, Organisation]
) -> None:
    mine, _ = two
    make_user(db, "pia", "planner")
    planner = browser("pia")

    page = html(planner.decide(mine.submitted, outcome="cleared", customs_number="X1"), 403)

    assert "a planner may not do this" in page
    with db.reading() as s:
        refused = s.scalars(select(AuditEntry).where(AuditEntry.outcome == "refused")).all()
        assert [(e.actor, e.action) for e in refused] == [("pia", "portal.decide")]


def test_planners_and_admins_see_every_merchant_brokers_their_own(
    db: Database, browser: Callable[[str], Browser], two: tuple[Organisation, Organisation]
) -> None:
    mine, theirs = two
    make_user(db, "pia", "planner")
    make_user(db, "ada", "admin")
    numbers = (mine.submitted, mine.cleared, theirs.submitted, theirs.cleared)

    seen = {user: shown(html(browser(user).get("/portal/")), *numbers) for user in ("pia", "ada")}
    bea = html(browser("bea").get("/portal/"))

    assert seen == {"pia": set(numbers), "ada": set(numbers)}
    assert shown(bea, *numbers) == {mine.submitted, mine.cleared}
    assert "2 declarations" in bea
    assert f'<option value="{mine.merchant}"' in bea
    assert f'<option value="{theirs.merchant}"' not in bea
    assert f'<option value="{mine.batch}">' in bea  # the batch filter suggests its own
    assert f'<option value="{theirs.batch}">' not in bea
    assert "110105********002X" in bea  # the consignee's ID, masked
    assert "11010519491231002X" not in bea


def test_only_a_broker_gets_the_full_id_on_the_pdf(
    db: Database,
    browser: Callable[[str], Browser],
    two: tuple[Organisation, Organisation],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    mine, _ = two
    make_user(db, "pia", "planner")
    make_user(db, "ada", "admin")
    asked: list[bool] = []

    def list_pdf(session: object, numbers: list[str], *, show_personal_data: bool) -> bytes:
        asked.append(show_personal_data)
        return b"%PDF-"

    monkeypatch.setattr(customs_documents, "list_pdf", list_pdf)
    for user in ("bea", "pia", "ada"):
        person = browser(user)
        assert person.get(f"/portal/declarations/{mine.submitted}.pdf").status_code == 200
        assert person.get(f"/portal/batches/{mine.batch}.pdf").status_code == 200

    assert asked == [True, True, False, False, False, False]


# --- another organisation's -----------------------------------------------------------------


def urls_of(org: Organisation) -> list[tuple[str, str]]:
    """Every page and document of an organisation, as (method, url)."""
    urls = [
        ("GET", f"/portal/declarations/{number}{suffix}")
        for number in (org.submitted, org.cleared)
        for suffix in ("", ".pdf", ".zip")
    ]
    urls += [("GET", f"/portal/batches/{org.batch}.{fmt}") for fmt in ("pdf", "zip")]
    urls += [("POST", f"/portal/declarations/{org.submitted}/decision")]
    return urls


@pytest.mark.parametrize("viewer", [0, 1])
def test_every_url_of_another_organisation_is_the_404_of_nothing(
    db: Database,
    browser: Callable[[str], Browser],
    two: tuple[Organisation, Organisation],
    viewer: int,
) -> None:
    me, other = two[viewer], two[1 - viewer]
    person = browser(me.user)
    absent = main_of(html(person.get("/portal/declarations/CL9999999999-1"), 404))
    assert "There is nothing at this address that you may see." in absent

    answers = {}
    for method, url in urls_of(other):
        if method == "GET":
            response = person.get(url)
        else:
            response = person.decide(other.submitted, outcome="cleared", customs_number="X1")
        answers[url] = response.status_code
        if response.status_code == 404:  # the same page as for a list that does not exist
            assert main_of(response.get_data(as_text=True)) == absent, url
            assert response.headers["Cache-Control"] == "no-store", url

    refused = person.decide(other.submitted, outcome="maybe")  # a bad answer: the same 404
    answers["bad answer"] = refused.status_code
    assert main_of(refused.get_data(as_text=True)) == absent

    assert answers == dict.fromkeys(answers, 404)
    assert order_status(db, other.submitted_order) is OrderStatus.DECLARED
    # The same URLs of the broker's own organisation answer, so the 404s are not typos.
    own = {url: person.get(url).status_code for method, url in urls_of(me) if method == "GET"}
    assert own == dict.fromkeys(own, 200)


def test_filtering_by_another_organisations_batch_shows_nothing_to_download(
    browser: Callable[[str], Browser], two: tuple[Organisation, Organisation]
) -> None:
    _, theirs = two
    bea = browser("bea")

    theirs_page = html(bea.get(f"/portal/?batch={theirs.batch}"))
    absent_page = html(bea.get("/portal/?batch=RB-NO-SUCH"))

    for page in (theirs_page, absent_page):
        assert "No declarations match." in page
        assert 'id="batch-pdf"' not in page
    assert main_of(theirs_page).replace(theirs.batch, "X") == main_of(absent_page).replace(
        "RB-NO-SUCH", "X"
    )


@pytest.mark.parametrize(
    "url",
    [
        "/portal/declarations/%00",
        "/portal/declarations/CL%00.pdf",
        "/portal/batches/RB%00.zip",
        "/portal/batches/" + "9" * 40 + ".pdf",
        "/portal/declarations/" + "9" * 40,
        "/portal/no-such-page",
    ],
)
def test_a_number_that_cannot_exist_is_a_404(
    browser: Callable[[str], Browser], parties: object, url: str
) -> None:
    assert browser("bea").get(url).status_code == 404


# --- the list -------------------------------------------------------------------------------


def test_filters_narrow_the_list(
    db: Database, browser: Callable[[str], Browser], two: tuple[Organisation, Organisation]
) -> None:
    mine, theirs = two
    make_user(db, "ada", "admin")
    with db.reading() as s:
        order_number = orders.order_by_id(s, mine.submitted_order).order_number
    ada = browser("ada")
    today = datetime.now(UTC).date()
    numbers = (mine.submitted, mine.cleared, theirs.submitted, theirs.cleared)

    def listed(query: str) -> set[str]:
        return shown(html(ada.get(f"/portal/?{query}")), *numbers)

    assert listed("status=submitted") == {mine.submitted, theirs.submitted}
    assert listed("status=cleared&merchant=M2") == {theirs.cleared}
    assert listed(f"order_number={order_number}") == {mine.submitted}
    assert listed(f"batch={mine.batch}") == {mine.cleared}
    assert listed(f"batch={theirs.batch}&status=cleared") == {theirs.cleared}
    assert listed(f"batch={theirs.batch}&status=submitted") == set()
    assert listed("kind=import_list&merchant=M1") == {mine.submitted, mine.cleared}
    assert listed("kind=export_list") == set()
    assert listed(f"date_from={today}&date_to={today}") == set(numbers)
    assert listed(f"date_from={today + timedelta(days=1)}") == set()
    assert listed(f"date_to={today - timedelta(days=1)}") == set()


def test_filtering_by_a_batch_offers_its_merged_documents(
    browser: Callable[[str], Browser], two: tuple[Organisation, Organisation]
) -> None:
    mine, _ = two
    bea = browser("bea")

    page = html(bea.get(f"/portal/?batch={mine.batch}"))

    assert shown(page, mine.submitted, mine.cleared) == {mine.cleared}
    assert f'value="{mine.batch}"' in page  # the filter keeps what was asked
    assert "This batch holds 1 list you may see." in page
    assert f'id="batch-pdf" href="/portal/batches/{mine.batch}.pdf"' in page
    assert f'id="batch-zip" href="/portal/batches/{mine.batch}.zip"' in page


@pytest.mark.parametrize(
    ("query", "field", "label"),
    [
        ("status=lost", "status", "Status"),
        ("kind=parcel", "kind", "Kind"),
        ("date_from=21.11.2026", "date_from", "From"),
        ("date_from=2026-11-21&date_to=2026-11-20", "date_to", "To"),
        ("merchant=M2", "merchant", "Merchant"),  # exists, but not one the broker acts for
        ("merchant=NOBODY", "merchant", "Merchant"),
        ("page=0", "page", "Page"),
        ("page=x", "page", "Page"),
        ("batch=" + "R" * 33, "batch", "Release batch"),
        ("order_number=T%00", "order_number", "Order number"),
    ],
)
def test_a_bad_filter_is_refused_naming_the_field(
    browser: Callable[[str], Browser], parties: object, query: str, field: str, label: str
) -> None:
    page = html(browser("bea").get(f"/portal/?{query}"), 400)

    assert re.search(rf'<p class="error-message" id="error" role="alert">{label}: ', page)
    if field != "page":
        assert re.search(rf'name="{field}"[^>]* aria-invalid="true" aria-describedby="error"', page)
    assert "No declarations match." in page


def test_the_list_pages_by_fifty_newest_first(
    db: Database, browser: Callable[[str], Browser], two: tuple[Organisation, Organisation]
) -> None:
    mine, _ = two
    with db.transaction() as s:  # 51 more lists of M1's order, dated one minute apart
        template = declarations.declaration_by_number(s, mine.cleared)
        start = datetime(2026, 1, 1, tzinfo=UTC)
        for i in range(51):
            s.add(copy_of(template, f"CLX-{i:03d}", start + timedelta(minutes=i)))
    bea = browser("bea")

    day = "date_from=2026-01-01&date_to=2026-01-01"
    first = html(bea.get(f"/portal/?merchant=M1&{day}"))
    second = html(bea.get(f"/portal/?merchant=M1&{day}&page=2"))

    assert "51 declarations" in first and "Page 1 of 2" in first
    assert ">CLX-050</a>" in first and ">CLX-001</a>" in first
    assert ">CLX-000</a>" not in first
    assert ">CLX-000</a>" in second and ">CLX-001</a>" not in second
    assert (
        'href="/portal/?date_from=2026-01-01&amp;date_to=2026-01-01&amp;merchant=M1&amp;page=2" '
        'rel="next"'
    ) in first


def copy_of(template: CustomsDeclaration, number: str, at: datetime) -> CustomsDeclaration:
    return CustomsDeclaration(
        number=number,
        guid=number,
        order_id=template.order_id,
        merchant_id=template.merchant_id,
        kind=template.kind,
        status=CustomsStatus.CANCELLED,  # not live: many per order are allowed
        value_cny=template.value_cny,
        vat=template.vat,
        consumption_tax=template.consumption_tax,
        tariff=template.tariff,
        tax_total=template.tax_total,
        created_by="tester",
        created_at=at,
    )


def test_the_page_speaks_chinese_when_the_browser_asks(
    app: Flask, two: tuple[Organisation, Organisation]
) -> None:
    mine, _ = two
    person = Browser(app)
    person.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN,zh;q=0.9,en;q=0.5"
    person.sign_in("bea")

    for url in ("/portal/", f"/portal/declarations/{mine.submitted}", "/portal/declarations/X"):
        response = person.get(url)
        assert response.status_code in (200, 404), url
        page = response.get_data(as_text=True)
        assert '<html lang="zh-Hans">' in page, url
    english = Browser(app).sign_in("bea").get("/portal/").get_data(as_text=True)
    assert '<html lang="en">' in english


def test_portal_answers_are_never_cached_or_framed(
    browser: Callable[[str], Browser], two: tuple[Organisation, Organisation]
) -> None:
    mine, _ = two
    bea = browser("bea")

    for url in (
        "/portal/",
        "/portal/?status=lost",
        f"/portal/declarations/{mine.submitted}",
        f"/portal/declarations/{mine.submitted}.zip",
        "/portal/declarations/NO-SUCH",
    ):
        headers = bea.get(url).headers
        assert headers["Cache-Control"] == "no-store", url
        assert headers["X-Frame-Options"] == "DENY", url
        assert headers["X-Content-Type-Options"] == "nosniff", url
        assert headers["Referrer-Policy"] == "same-origin", url


# --- documents ------------------------------------------------------------------------------


def test_a_list_downloads_as_pdf_and_its_messages_as_a_zip(
    browser: Callable[[str], Browser], two: tuple[Organisation, Organisation]
) -> None:
    mine, _ = two
    bea = browser("bea")

    pdf = bea.get(f"/portal/declarations/{mine.submitted}.pdf")
    package = bea.get(f"/portal/declarations/{mine.submitted}.zip")

    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert f"attachment; filename={mine.submitted}.pdf" in pdf.headers["Content-Disposition"]
    assert pdf.headers["Cache-Control"] == "no-store"
    assert package.status_code == 200 and package.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(package.data)).namelist()
    assert names and all(name.endswith(".xml") and mine.submitted in name for name in names)


def test_a_batch_downloads_as_one_pdf_and_one_zip_of_its_lists(
    db: Database, browser: Callable[[str], Browser], two: tuple[Organisation, Organisation]
) -> None:
    mine, _ = two
    second = o.receive_order(db, (f.MILK.sku, 1), channel_code=mine.channel)  # the same batch
    parcel = o.labelled_parcel(db, second)
    with db.transaction() as s:
        releases.load_parcel(s, releases.LoadScan(mine.batch, parcel, f.key("load"), "loader"))
        second_list = number_of(s, second)
    bea = browser("bea")

    pdf = bea.get(f"/portal/batches/{mine.batch}.pdf")
    package = bea.get(f"/portal/batches/{mine.batch}.zip")

    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert f"filename={mine.batch}-lists.pdf" in pdf.headers["Content-Disposition"]
    text = "\n".join(pdf_pages(pdf.data))
    assert mine.cleared in text and second_list in text
    assert package.status_code == 200
    names = zipfile.ZipFile(io.BytesIO(package.data)).namelist()
    assert {name.split("-CEB")[0] for name in names} == {mine.cleared, second_list}


# --- customs' answer ----------------------------------------------------------------------


def test_recording_cleared_clears_the_order_and_is_audited(
    db: Database, browser: Callable[[str], Browser], two: tuple[Organisation, Organisation]
) -> None:
    mine, _ = two
    bea = browser("bea")

    response = bea.decide(mine.submitted, outcome="cleared", customs_number="2218I26000001")

    assert response.status_code == 302
    page = html(bea.get(response.headers["Location"]))
    assert f"Recorded: declaration {mine.submitted} is cleared." in page
    assert "2218I26000001" in page
    assert 'id="clear-form"' not in page  # answered: no form any more
    assert order_status(db, mine.submitted_order) is OrderStatus.CLEARED
    with db.reading() as s:
        declaration = declarations.declaration_by_number(s, mine.submitted)
        event = s.scalars(
            select(DeclarationEvent)
            .where(DeclarationEvent.declaration_id == declaration.id)
            .order_by(DeclarationEvent.id.desc())
        ).first()
        assert declaration.status is CustomsStatus.CLEARED
        assert declaration.decided_by == "B1:bea"
        assert event is not None and (event.via, event.actor) == ("portal", "B1:bea")
        audit = s.scalars(select(AuditEntry).where(AuditEntry.action == "portal.decide")).all()
        assert [(a.actor, a.role, a.outcome, a.target) for a in audit] == [
            ("B1:bea", "broker", "ok", f"/portal/declarations/{mine.submitted}/decision")
        ]


def test_recording_rejected_rejects_the_order_with_the_reason(
    db: Database, browser: Callable[[str], Browser], two: tuple[Organisation, Organisation]
) -> None:
    mine, _ = two
    bea = browser("bea")

    response = bea.decide(mine.submitted, outcome="rejected", reason="payer ID mismatch")

    assert response.status_code == 302
    assert order_status(db, mine.submitted_order) is OrderStatus.REJECTED
    with db.reading() as s:
        assert orders.order_by_id(s, mine.submitted_order).customs_note == "payer ID mismatch"
    page = html(bea.get(response.headers["Location"]))
    assert '<td id="reason">payer ID mismatch</td>' in page


@pytest.mark.parametrize(
    ("form", "status", "label"),
    [
        ({"outcome": "rejected", "reason": "  "}, 422, "Reason"),
        ({"outcome": "cleared"}, 422, "Customs inventory number"),
        ({"outcome": "maybe"}, 422, "Customs&#39; answer"),
        ({"outcome": "rejected", "reason": "x" * 401}, 422, "Reason"),
        ({"outcome": "rejected", "reason": "bad\x00"}, 422, "Reason"),
        ({"outcome": "cleared", "customs_number": "N" * 41}, 422, "Customs inventory number"),
    ],
)
def test_a_bad_answer_is_shown_on_the_page_and_changes_nothing(
    db: Database,
    browser: Callable[[str], Browser],
    two: tuple[Organisation, Organisation],
    form: dict[str, str],
    status: int,
    label: str,
) -> None:
    mine, _ = two

    page = html(browser("bea").decide(mine.submitted, **form), status)

    assert f'<p class="error-message" id="error" role="alert">{label}: ' in page
    assert order_status(db, mine.submitted_order) is OrderStatus.DECLARED
    with db.reading() as s:
        assert s.scalar(select(AuditEntry.id).where(AuditEntry.action == "portal.decide")) is None


def test_a_typed_answer_is_kept_on_the_page_after_a_refusal(
    browser: Callable[[str], Browser], two: tuple[Organisation, Organisation]
) -> None:
    mine, _ = two

    page = html(browser("bea").decide(mine.submitted, outcome="rejected", reason="x" * 401), 422)

    assert f'value="{"x" * 401}" aria-invalid="true"' in page


def test_answering_a_list_already_decided_is_a_conflict_on_the_page(
    db: Database, browser: Callable[[str], Browser], two: tuple[Organisation, Organisation]
) -> None:
    mine, _ = two

    page = html(browser("bea").decide(mine.cleared, outcome="rejected", reason="late"), 409)

    assert "only a submitted list is cleared or rejected" in page
    assert order_status(db, mine.submitted_order) is OrderStatus.DECLARED


@pytest.mark.parametrize("token", [None, "forged"])
def test_a_post_without_the_sessions_csrf_token_is_refused(
    db: Database,
    browser: Callable[[str], Browser],
    two: tuple[Organisation, Organisation],
    token: str | None,
) -> None:
    mine, _ = two
    bea = browser("bea")
    form = {"outcome": "cleared", "customs_number": "2218I26000001"}
    if token:
        form["csrf_token"] = token

    response = bea.client.post(f"/portal/declarations/{mine.submitted}/decision", data=form)

    assert response.status_code == 403
    assert "the form has expired or did not come from this site" in html(response, 403)
    assert order_status(db, mine.submitted_order) is OrderStatus.DECLARED


def test_a_consignee_name_is_escaped(
    db: Database, browser: Callable[[str], Browser], two: tuple[Organisation, Organisation]
) -> None:
    mine, _ = two
    name = "<script>alert(1)</script>"
    data = o.order_input((f.MILK.sku, 1), channel_code=mine.channel)
    data = replace(
        data,
        consignee=replace(data.consignee, name=name),
        payment=replace(data.payment, payer_name=name),  # type: ignore[type-var]
    )
    with db.transaction() as s:
        order_id = orders.receive_order(s, data, actor="api").order.id
    o.advance(db, order_id, "allocated", "planned", "declared")
    with db.reading() as s:
        number = number_of(s, order_id)
    bea = browser("bea")

    for page in (html(bea.get("/portal/")), html(bea.get(f"/portal/declarations/{number}"))):
        assert name not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- the commands ------------------------------------------------------------------------


def test_the_commands_set_up_a_broker_whose_people_see_its_merchant(
    app: Flask, db: Database
) -> None:
    o.channel(db, "TMALLG")
    runner = app.test_cli_runner()

    outputs = [
        runner.invoke(args=args)
        for args in (
            ["merchants", "add", "HY", "Hengyuan Trading", "--customs-code", "31149679BN"],
            ["merchants", "channel", "TMALLG", "HY"],
            ["brokers", "add", "EP", "Eastport Brokerage"],
            ["brokers", "mandate", "EP", "HY"],
            ["tokens", "issue", "front desk", "--broker", "EP"],
        )
    ]
    make_user(db, "chen", "broker", broker="EP")

    assert [r.exit_code for r in outputs] == [0] * 5, [r.output for r in outputs]
    token = outputs[4].output.splitlines()[1]
    assert "not shown again" in outputs[4].output
    with db.reading() as s:
        merchant = s.scalar(select(Merchant).where(Merchant.code == "HY"))
        assert merchant is not None and merchant.customs_code == "31149679BN"
        assert s.scalar(select(Channel.merchant_id).where(Channel.code == "TMALLG")) == merchant.id
        assert s.scalar(select(BrokerMandate.merchant_id)) == merchant.id
        principal = brokers.authenticate(s, token)
        assert principal is not None
        assert (principal.broker_code, principal.merchant_ids) == ("EP", frozenset({merchant.id}))
    listing = runner.invoke(args=["tokens", "list"])
    assert "front desk\tbroker\tEP\tactive" in listing.output and token not in listing.output
    page = html(Browser(app).sign_in("chen").get("/portal/"))
    assert '<option value="HY"' in page


def test_revoking_by_command_ends_the_token(app: Flask, db: Database) -> None:
    runner = app.test_cli_runner()
    issued = runner.invoke(args=["tokens", "issue", "erp"])
    token_id = int(issued.output.split()[1])
    token = issued.output.splitlines()[1]

    revoked = runner.invoke(args=["tokens", "revoke", str(token_id)])

    assert revoked.exit_code == 0 and f"token {token_id} revoked" in revoked.output
    with db.reading() as s:
        assert brokers.authenticate(s, token) is None
        assert s.get(ApiToken, token_id).revoked_at is not None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tokens", "issue", "x", "--broker", "NOPE"], "no broker NOPE"),
        (["tokens", "revoke", "99"], "no token 99"),
        (["brokers", "mandate", "NOPE", "HY"], "no broker NOPE"),
        (["merchants", "channel", "NOPE", "HY"], "no channel NOPE"),
        (["merchants", "add", " ", "Name"], "a merchant needs a code and a name"),
    ],
)
def test_a_refused_command_says_why_and_exits_1(
    app: Flask, db: Database, args: list[str], message: str
) -> None:
    result = app.test_cli_runner().invoke(args=args)

    assert result.exit_code == 1
    assert f"Error: {message}" in result.output


def test_the_demo_broker_sees_its_merchant_and_its_token_is_printed_once(
    app: Flask, db: Database
) -> None:
    from wms import demo

    messages: list[str] = []
    demo._sales_setup(db, messages.append)  # the channels the demo merchant sells through
    demo._customs_setup(db, messages.append)
    demo._customs_setup(db, messages.append)  # a second load: nothing new, nothing printed
    make_user(db, "chen", "broker", broker=demo.BROKER[0])

    printed = [m for m in messages if "API token for broker" in m]
    assert len(printed) == 1
    token = printed[0].rsplit(" ", 1)[1]
    with db.reading() as s:
        principal = brokers.authenticate(s, token)
        assert principal is not None and principal.broker_code == demo.BROKER[0]
        merchant = brokers.merchant_by_code(s, demo.MERCHANT[0])
        assert principal.merchant_ids == frozenset({merchant.id})
        assert set(s.scalars(select(Channel.merchant_id))) == {merchant.id}
        other = brokers.broker_by_code(s, demo.OTHER_BROKER[0])
        assert s.scalar(select(BrokerMandate.id).where(BrokerMandate.broker_id == other.id)) is None
    page = html(Browser(app).sign_in("chen").get("/portal/"))
    assert f'<option value="{demo.MERCHANT[0]}"' in page
