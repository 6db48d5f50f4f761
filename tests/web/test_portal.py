"""The broker portal: sign-in by token, each broker sees its merchants' declarations only
(everything else is a 404), filters, downloads, customs' answer, CSRF, escaping; and the
token, broker and merchant commands."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from tests import factories as f
from tests.integration.outbound import support as o
from wms.db import Database
from wms.models import (
    ApiToken,
    BrokerMandate,
    Channel,
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
    releases,
)
from wms.web.auth import SESSION_KEY

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Party:
    """A merchant on its own channel and the broker acting for it, with a token."""

    merchant: str
    broker: str
    channel: str
    token: str


@dataclass(frozen=True)
class Organisation(Party):
    """A party and what it owns: a submitted list and a loaded release batch."""

    submitted_order: int
    submitted: str  # declaration number, status submitted
    cleared: str  # declaration number of the order loaded on the batch
    batch: str


def _party(db: Database, n: int, channel: str) -> Party:
    merchant, broker = f"M{n}", f"B{n}"
    o.channel(db, channel)
    with db.transaction() as s:
        brokers.create_merchant(s, merchant, f"Merchant {n}")
        brokers.assign_channel(s, channel, merchant)
        brokers.create_broker(s, broker, f"Broker {n}")
        brokers.grant_mandate(s, broker, merchant)
        token = brokers.issue_token(s, f"clerk{n}", broker_code=broker)
    return Party(merchant, broker, channel, token)


def _organisation(db: Database, party: Party, plate: str) -> Organisation:
    submitted = o.receive_order(db, (f.MILK.sku, 1), channel_code=party.channel)
    with db.transaction() as s:  # reserved, so that its list names the lots
        allocation.allocate(s, submitted, actor="tester")
    o.advance(db, submitted, "planned", "declared")
    loaded = o.receive_order(db, (f.MILK.sku, 1), channel_code=party.channel)
    parcel = o.labelled_parcel(db, loaded)
    with db.transaction() as s:
        batch = releases.create_batch(
            s, warehouse_code=f.WAREHOUSE, vehicle_plate=plate, actor="gate"
        ).number
        releases.load_parcel(s, releases.LoadScan(batch, parcel, f.key("load"), "loader"))
        return Organisation(
            *(party.merchant, party.broker, party.channel, party.token),
            submitted_order=submitted,
            submitted=_number(s, submitted),
            cleared=_number(s, loaded),
            batch=batch,
        )


def _number(s: object, order_id: int) -> str:
    declaration = declarations.live_declaration(s, order_id)  # type: ignore[arg-type]
    assert declaration is not None
    return declaration.number


@pytest.fixture
def parties(db: Database) -> tuple[Party, Party]:
    """M1 on TMALLG with broker B1, M2 on JDWW with broker B2; no orders."""
    return _party(db, 1, "TMALLG"), _party(db, 2, "JDWW")


@pytest.fixture
def two(db: Database, parties: tuple[Party, Party]) -> tuple[Organisation, Organisation]:
    """Both parties with a submitted list and a loaded batch each (stock for four orders)."""
    f.build_warehouse(db)
    f.declare(db, "ED-1", (f.MILK.sku, 100))
    f.receive(db, "ED-1", f.MILK.sku, "L1", 20)
    f.putaway(db, f.MILK.sku, "L1", 20, to=f.BINS[0])
    return _organisation(db, parties[0], "沪A12341"), _organisation(db, parties[1], "沪A12342")


def csrf(client: FlaskClient) -> str:
    with client.session_transaction() as sess:
        return str(sess["portal_csrf"])


def sign_in(client: FlaskClient, token: str, next_url: str = "") -> TestResponse:
    form = client.get("/portal/sign-in").get_data(as_text=True)
    match = CSRF.search(form)
    assert match is not None
    return client.post(
        "/portal/sign-in", data={"token": token, "csrf_token": match[1], "next": next_url}
    )


def signed_in(app: Flask, token: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, token).status_code == 302
    return client


def html(response: TestResponse, status: int = 200) -> str:
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def order_status(db: Database, order_id: int) -> OrderStatus:
    with db.reading() as s:
        return orders.order_by_id(s, order_id).status


# --- signing in --------------------------------------------------------------------------


def test_a_good_token_opens_the_portal_with_a_strict_session_cookie(app: Flask, two):
    mine, _ = two
    client = app.test_client()

    response = sign_in(client, mine.token)

    assert response.status_code == 302
    assert response.headers["Location"] == "/portal/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = html(client.get("/portal/"))
    assert "B1 · clerk1" in page
    assert mine.submitted in page


@pytest.mark.parametrize("token", ["wms_not-a-token", "nonsense", "", "wms_" + "x" * 300])
def test_a_wrong_token_shows_the_form_again_with_one_neutral_error(
    app: Flask, client: FlaskClient, parties, token: str
):
    page = html(sign_in(client, token), 422)

    assert "This token is not valid" in page
    assert 'name="token"' in page
    with client.session_transaction() as sess:
        assert SESSION_KEY not in sess
    assert client.get("/portal/").status_code == 302


def test_a_revoked_token_cannot_sign_in_and_ends_a_session_already_open(
    app: Flask, db: Database, parties
):
    mine, _ = parties
    client = signed_in(app, mine.token)
    with db.transaction() as s:
        token_id = brokers.authenticate(s, mine.token).token_id  # type: ignore[union-attr]
        brokers.revoke_token(s, token_id)

    response = client.get("/portal/")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/portal/sign-in")
    assert "This token is not valid" in html(sign_in(app.test_client(), mine.token), 422)


def test_without_signing_in_every_page_and_download_leads_to_the_sign_in(client: FlaskClient, two):
    mine, _ = two
    for url in (
        "/portal/",
        f"/portal/declarations/{mine.submitted}",
        f"/portal/declarations/{mine.submitted}.pdf",
        f"/portal/declarations/{mine.submitted}.zip",
        f"/portal/batches/{mine.batch}.pdf",
        f"/portal/batches/{mine.batch}.zip",
        "/portal/declarations/NO-SUCH.pdf",
    ):
        response = client.get(url)
        assert response.status_code == 302, url
        location = urlsplit(response.headers["Location"])
        assert location.path == "/portal/sign-in", url
        assert parse_qs(location.query) == {"next": [url]}


def test_signing_in_returns_to_the_page_asked_for_but_never_off_the_portal(
    client: FlaskClient, parties
):
    mine, _ = parties
    wanted = "/portal/declarations/CL0000000001-1?x=1"
    assert sign_in(client, mine.token, wanted).headers["Location"] == wanted
    for elsewhere in ("https://evil.example/", "//evil.example/portal/", "/api/v1/orders"):
        assert sign_in(client, mine.token, elsewhere).headers["Location"] == "/portal/"


def test_signing_out_ends_the_session(app: Flask, parties):
    mine, _ = parties
    client = signed_in(app, mine.token)

    response = client.post("/portal/sign-out", data={"csrf_token": csrf(client)})

    assert response.status_code == 302
    assert client.get("/portal/").status_code == 302


# --- what a broker sees ------------------------------------------------------------------


def test_the_list_shows_the_brokers_merchants_declarations_only(app: Flask, two):
    mine, theirs = two

    page = html(signed_in(app, mine.token).get("/portal/"))

    assert mine.submitted in page and mine.cleared in page
    assert theirs.submitted not in page and theirs.cleared not in page
    assert "2 declaration(s)" in page
    assert f'<option value="{mine.merchant}"' in page
    assert f'<option value="{theirs.merchant}"' not in page
    assert "110105********002X" in page  # the consignee's ID, masked
    assert "11010519491231002X" not in page


def test_an_internal_token_sees_every_merchant(app: Flask, db: Database, two):
    with db.transaction() as s:
        token = brokers.issue_token(s, "erp")

    page = html(signed_in(app, token).get("/portal/"))

    assert all(org.submitted in page and org.cleared in page for org in two)


def test_filters_narrow_the_list(app: Flask, db: Database, two):
    mine, theirs = two
    with db.transaction() as s:
        token = brokers.issue_token(s, "erp")
        order_number = orders.order_by_id(s, mine.submitted_order).order_number
    client = signed_in(app, token)
    today = datetime.now(UTC).date()

    def shown(query: str) -> set[str]:
        page = html(client.get(f"/portal/?{query}"))
        numbers = {mine.submitted, mine.cleared, theirs.submitted, theirs.cleared}
        return {n for n in numbers if f">{n}</a>" in page}

    assert shown("status=submitted") == {mine.submitted, theirs.submitted}
    assert shown("status=cleared&merchant=M2") == {theirs.cleared}
    assert shown(f"order_number={order_number}") == {mine.submitted}
    assert shown("kind=import_list&merchant=M1") == {mine.submitted, mine.cleared}
    assert shown("kind=export_list") == set()
    assert len(shown(f"date_from={today}&date_to={today}")) == 4
    assert shown(f"date_from={today + timedelta(days=1)}") == set()
    assert shown(f"date_to={today - timedelta(days=1)}") == set()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=lost", "status"),
        ("kind=parcel", "kind"),
        ("date_from=21.11.2026", "date_from"),
        ("date_from=2026-11-21&date_to=2026-11-20", "date_to"),
        ("merchant=M2", "merchant"),  # exists, but not one the broker acts for
        ("merchant=NOBODY", "merchant"),
        ("page=0", "page"),
        ("page=x", "page"),
    ],
)
def test_a_bad_filter_is_refused_naming_the_field(app: Flask, parties, query: str, field: str):
    mine, _ = parties

    page = html(signed_in(app, mine.token).get(f"/portal/?{query}"), 400)

    assert re.search(rf'<p class="error" id="error">{field}: ', page)
    assert "No declarations match." in page


def test_the_list_pages_by_fifty_newest_first(app: Flask, db: Database, two):
    mine, _ = two
    with db.transaction() as s:  # 51 more lists of M1's order, dated one minute apart
        template = declarations.declaration_by_number(s, mine.cleared)
        start = datetime(2026, 1, 1, tzinfo=UTC)
        for i in range(51):
            s.add(replace_declaration(template, f"CLX-{i:03d}", start + timedelta(minutes=i)))
    client = signed_in(app, mine.token)

    day = "date_from=2026-01-01&date_to=2026-01-01"
    first = html(client.get(f"/portal/?merchant=M1&{day}"))
    second = html(client.get(f"/portal/?merchant=M1&{day}&page=2"))

    assert "51 declaration(s)" in first and "Page 1 of 2" in first
    assert ">CLX-050</a>" in first and ">CLX-001</a>" in first
    assert ">CLX-000</a>" not in first
    assert ">CLX-000</a>" in second and ">CLX-001</a>" not in second
    assert (
        'href="/portal/?date_from=2026-01-01&amp;date_to=2026-01-01&amp;merchant=M1&amp;page=2" '
        'rel="next"'
    ) in first


def replace_declaration(template: object, number: str, at: datetime) -> object:
    from wms.models import CustomsDeclaration

    assert isinstance(template, CustomsDeclaration)
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


def _urls(org: Organisation) -> list[tuple[str, str]]:
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
def test_every_url_of_another_organisation_is_a_404(app: Flask, db: Database, two, viewer: int):
    me, other = two[viewer], two[1 - viewer]
    client = signed_in(app, me.token)
    absent = html(client.get("/portal/declarations/CL9999999999-1"), 404)

    answers = {}
    for method, url in _urls(other):
        if method == "GET":
            response = client.get(url)
        else:
            form = {"csrf_token": csrf(client), "outcome": "cleared", "customs_number": "X1"}
            response = client.post(url, data=form)
        answers[url] = response.status_code
        if response.status_code == 404:  # the same page as for a list that does not exist
            assert response.get_data(as_text=True) == absent, url
    looked_up = client.get(f"/portal/batches?batch={other.batch}&format=pdf", follow_redirects=True)
    answers["batch lookup"] = looked_up.status_code

    assert answers == dict.fromkeys(answers, 404)
    assert order_status(db, other.submitted_order) is OrderStatus.DECLARED
    # The same URLs of the broker's own organisation answer, so the 404s are not typos.
    own = {url: client.get(url).status_code for method, url in _urls(me) if method == "GET"}
    assert own == dict.fromkeys(own, 200)


# --- documents ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/portal/declarations/%00",
        "/portal/declarations/CL%00.pdf",
        "/portal/batches/RB%00.zip",
        "/portal/batches/" + "9" * 40 + ".pdf",
        "/portal/declarations/" + "9" * 40,
    ],
)
def test_a_number_that_cannot_exist_is_a_404(app: Flask, parties, url: str):
    assert signed_in(app, parties[0].token).get(url).status_code == 404


def test_nul_characters_in_a_filter_or_an_answer_are_refused(app: Flask, db: Database, two):
    mine, _ = two
    client = signed_in(app, mine.token)

    listing = html(client.get("/portal/?order_number=T%00"), 400)
    answer = decide(client, mine.submitted, outcome="rejected", reason="bad\x00")

    assert "order_number: must not contain NUL" in listing
    assert "reason: must not contain NUL" in html(answer, 422)


def test_a_list_downloads_as_pdf_and_its_messages_as_a_zip(app: Flask, two):
    mine, _ = two
    client = signed_in(app, mine.token)

    pdf = client.get(f"/portal/declarations/{mine.submitted}.pdf")
    package = client.get(f"/portal/declarations/{mine.submitted}.zip")

    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    assert f"attachment; filename={mine.submitted}.pdf" in pdf.headers["Content-Disposition"]
    assert pdf.headers["Cache-Control"] == "no-store"
    assert package.status_code == 200 and package.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(package.data)).namelist()
    assert names and all(name.endswith(".xml") for name in names)


def test_the_broker_gets_the_full_id_on_the_pdf_and_an_internal_token_does_not(
    app: Flask, db: Database, two, monkeypatch: pytest.MonkeyPatch
):
    mine, _ = two
    with db.transaction() as s:
        internal = brokers.issue_token(s, "erp")
    asked: list[bool] = []

    def list_pdf(session: object, numbers: list[str], *, show_personal_data: bool) -> bytes:
        asked.append(show_personal_data)
        return b"%PDF-"

    monkeypatch.setattr(customs_documents, "list_pdf", list_pdf)
    for token in (mine.token, internal):
        client = signed_in(app, token)
        assert client.get(f"/portal/declarations/{mine.submitted}.pdf").status_code == 200
        assert client.get(f"/portal/batches/{mine.batch}.pdf").status_code == 200

    assert asked == [True, True, False, False]


def test_a_batch_downloads_as_one_pdf_and_one_zip(app: Flask, two):
    mine, _ = two
    client = signed_in(app, mine.token)

    lookup = client.get(f"/portal/batches?batch={mine.batch}&format=zip")
    pdf = client.get(f"/portal/batches/{mine.batch}.pdf")
    package = client.get(lookup.headers["Location"])

    assert lookup.status_code == 302
    assert lookup.headers["Location"] == f"/portal/batches/{mine.batch}.zip"
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert package.status_code == 200
    assert zipfile.ZipFile(io.BytesIO(package.data)).namelist()


def test_the_batch_box_refuses_a_missing_number_or_format(app: Flask, parties):
    client = signed_in(app, parties[0].token)

    assert "batch: " in html(client.get("/portal/batches?batch=&format=pdf"), 422)
    assert "batch: " in html(client.get(f"/portal/batches?batch={'9' * 33}&format=pdf"), 422)
    assert "format: " in html(client.get("/portal/batches?batch=RB-1&format=doc"), 422)


# --- customs' answer ---------------------------------------------------------------------


def decide(client: FlaskClient, number: str, **form: str) -> TestResponse:
    return client.post(
        f"/portal/declarations/{number}/decision", data={"csrf_token": csrf(client), **form}
    )


def test_recording_cleared_clears_the_order(app: Flask, db: Database, two):
    mine, _ = two
    client = signed_in(app, mine.token)

    response = decide(client, mine.submitted, outcome="cleared", customs_number="2218I26000001")

    assert response.status_code == 302
    page = html(client.get(response.headers["Location"]))
    assert f"Recorded: {mine.submitted} cleared." in page
    assert "2218I26000001" in page
    assert order_status(db, mine.submitted_order) is OrderStatus.CLEARED
    with db.reading() as s:
        declaration = declarations.declaration_by_number(s, mine.submitted)
        event = s.scalars(
            select(DeclarationEvent)
            .where(DeclarationEvent.declaration_id == declaration.id)
            .order_by(DeclarationEvent.id.desc())
        ).first()
        assert declaration.status is CustomsStatus.CLEARED
        assert declaration.decided_by == "B1:clerk1"
        assert event is not None and (event.via, event.actor) == ("portal", "B1:clerk1")


def test_recording_rejected_rejects_the_order_with_the_reason(app: Flask, db: Database, two):
    mine, _ = two
    client = signed_in(app, mine.token)

    response = decide(client, mine.submitted, outcome="rejected", reason="payer ID mismatch")

    assert response.status_code == 302
    assert order_status(db, mine.submitted_order) is OrderStatus.REJECTED
    with db.reading() as s:
        assert orders.order_by_id(s, mine.submitted_order).customs_note == "payer ID mismatch"
    assert "payer ID mismatch" in html(client.get(response.headers["Location"]))


@pytest.mark.parametrize(
    ("form", "status", "field"),
    [
        ({"outcome": "rejected", "reason": "  "}, 422, "reason"),
        ({"outcome": "cleared"}, 422, "customs_number"),
        ({"outcome": "maybe"}, 422, "outcome"),
        ({"outcome": "rejected", "reason": "x" * 401}, 422, "reason"),
    ],
)
def test_a_bad_answer_is_shown_on_the_page_and_changes_nothing(
    app: Flask, db: Database, two, form: dict[str, str], status: int, field: str
):
    mine, _ = two
    client = signed_in(app, mine.token)

    page = html(decide(client, mine.submitted, **form), status)

    assert f'<p class="error" id="error">{field}: ' in page
    assert order_status(db, mine.submitted_order) is OrderStatus.DECLARED


def test_answering_a_list_already_decided_is_a_conflict_on_the_page(app: Flask, db: Database, two):
    mine, _ = two
    client = signed_in(app, mine.token)

    page = html(decide(client, mine.cleared, outcome="rejected", reason="late"), 409)

    assert "only a submitted list is cleared or rejected" in page
    assert order_status(db, mine.submitted_order) is OrderStatus.DECLARED


@pytest.mark.parametrize("token", [None, "forged"])
def test_a_post_without_the_sessions_csrf_token_is_refused(
    app: Flask, db: Database, two, token: str | None
):
    mine, _ = two
    client = signed_in(app, mine.token)
    form = {"outcome": "cleared", "customs_number": "2218I26000001"}
    if token:
        form["csrf_token"] = token

    response = client.post(f"/portal/declarations/{mine.submitted}/decision", data=form)

    assert response.status_code == 400
    assert order_status(db, mine.submitted_order) is OrderStatus.DECLARED
    # Signing in needs it too (no login CSRF).
    fresh = app.test_client()
    assert fresh.post("/portal/sign-in", data={"token": mine.token}).status_code == 400


def test_a_consignee_name_is_escaped(app: Flask, db: Database, two):
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
        number = _number(s, order_id)
    client = signed_in(app, mine.token)

    for page in (html(client.get("/portal/")), html(client.get(f"/portal/declarations/{number}"))):
        assert name not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- the commands ------------------------------------------------------------------------


def test_the_commands_set_up_a_broker_that_signs_in(app: Flask, db: Database):
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

    assert [r.exit_code for r in outputs] == [0] * 5, [r.output for r in outputs]
    token = outputs[-1].output.splitlines()[1]
    assert "not shown again" in outputs[-1].output
    with db.reading() as s:
        merchant = s.scalar(select(Merchant).where(Merchant.code == "HY"))
        assert merchant is not None and merchant.customs_code == "31149679BN"
        assert s.scalar(select(Channel.merchant_id).where(Channel.code == "TMALLG")) == merchant.id
        assert s.scalar(select(BrokerMandate.merchant_id)) == merchant.id
        principal = brokers.authenticate(s, token)
        assert principal is not None
        assert (principal.broker_code, principal.merchant_ids) == ("EP", frozenset({merchant.id}))
    listing = runner.invoke(args=["tokens", "list"])
    assert "front desk\tEP\tactive" in listing.output and token not in listing.output
    assert sign_in(app.test_client(), token).status_code == 302


def test_revoking_by_command_ends_the_token(app: Flask, db: Database):
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
def test_a_refused_command_says_why_and_exits_1(app: Flask, db: Database, args, message):
    result = app.test_cli_runner().invoke(args=args)

    assert result.exit_code == 1
    assert f"Error: {message}" in result.output


def test_the_demo_prints_its_brokers_portal_token_once(app: Flask, db: Database):
    from wms import demo

    messages: list[str] = []
    demo._sales_setup(db, messages.append)  # the channels the demo merchant sells through
    demo._customs_setup(db, messages.append)
    demo._customs_setup(db, messages.append)  # a second load: nothing new, nothing printed

    printed = [m for m in messages if "portal token" in m]
    assert len(printed) == 1 and "/portal" in printed[0]
    token = printed[0].rsplit(" ", 1)[1]
    with db.reading() as s:
        principal = brokers.authenticate(s, token)
        assert principal is not None and principal.broker_code == demo.BROKER[0]
        merchant = brokers.merchant_by_code(s, demo.MERCHANT[0])
        assert principal.merchant_ids == frozenset({merchant.id})
        assert set(s.scalars(select(Channel.merchant_id))) == {merchant.id}
        other = brokers.broker_by_code(s, demo.OTHER_BROKER[0])
        assert s.scalar(select(BrokerMandate.id).where(BrokerMandate.broker_id == other.id)) is None
    page = html(signed_in(app, token).get("/portal/"))
    assert f'<option value="{demo.MERCHANT[0]}"' in page
