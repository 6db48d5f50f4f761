"""The customs broker portal: plain server-rendered pages under /portal.

A broker signs in with the API token it was issued (sign-in for people comes with the
screens issue); the token is kept in the signed session cookie and checked on every
request, so a revoked token ends the session at the next click.  A broker sees, filters
and downloads the declarations of the merchants it holds a mandate for and records
customs' answer (cleared or rejected).  Anything it may not see answers 404, exactly as
something that does not exist: another organisation's lists are never confirmed.

The forms are same-site POSTs; the session cookie is SameSite=Lax and HttpOnly (app
factory) and every POST carries the session's CSRF token.
"""

from __future__ import annotations

import io
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound as HttpNotFound

from wms.models import CustomsDeclaration, CustomsStatus, DeclarationKind, Merchant, Order
from wms.services import brokers, customs_documents, declarations
from wms.services.brokers import Principal
from wms.services.errors import InvalidInput, NotFound, ServiceError, Unauthorized
from wms.web.auth import SESSION_KEY, portal_principal
from wms.web.context import database, write
from wms.web.errors import STATUS

portal = Blueprint("portal", __name__, template_folder="templates", url_prefix="/portal")

CSRF_KEY = "portal_csrf"
CSRF_FIELD = "csrf_token"
PAGE_SIZE = 50
PUBLIC_ENDPOINTS = frozenset({"portal.sign_in", "portal.sign_in_form", "portal.sign_out"})
MAX_TOKEN = 200
MAX_BATCH = 32
MAX_NUMBER = 32  # declaration and batch numbers
PDF = "application/pdf"
ZIP = "application/zip"
FORMATS = {"pdf": PDF, "zip": ZIP}
FEN = Decimal("0.01")


# --- session, CSRF and who is signed in --------------------------------------------------


def csrf_token() -> str:
    """The session's CSRF token, created on first use."""
    token = session.get(CSRF_KEY)
    if not token:
        token = session[CSRF_KEY] = secrets.token_urlsafe(32)
    return str(token)


@portal.context_processor
def _template_helpers() -> dict[str, Any]:
    return {
        "csrf_token": csrf_token,
        "principal": g.get("principal"),
        "money": _money,
        "moment": _moment,
    }


def _money(value: Decimal | str) -> str:
    return str(Decimal(value).quantize(FEN))


def _moment(value: str | None) -> str:
    """An ISO timestamp as a person reads it (UTC, to the second)."""
    return datetime.fromisoformat(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


@portal.before_request
def _guard() -> Response | tuple[str, int] | None:
    if request.method == "POST":
        sent = request.form.get(CSRF_FIELD, "").encode()
        expected = str(session.get(CSRF_KEY, "")).encode()
        if not expected or not secrets.compare_digest(sent, expected):
            message = "The form has expired or did not come from this portal. Reload the page."
            return render_template("portal/error.html", title="Bad request", message=message), 400
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    principal = portal_principal()
    if principal is None:
        session.pop(SESSION_KEY, None)
        return redirect(url_for("portal.sign_in_form", next=_here()))
    g.principal = principal
    return None


@portal.after_request
def _headers(response: Response) -> Response:
    # Declarations carry personal data: no caching, no framing, no sniffing.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@portal.errorhandler(ServiceError)
def _service_error(exc: ServiceError) -> Response | tuple[str, int]:
    if isinstance(exc, Unauthorized):
        return redirect(url_for("portal.sign_in_form"))
    if isinstance(exc, NotFound):
        return _not_found()
    status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)
    message = f"{exc.field}: {exc.message}" if exc.field else exc.message
    return render_template("portal/error.html", title="Refused", message=message), status


@portal.errorhandler(HttpNotFound)
def _http_not_found(_exc: HttpNotFound) -> tuple[str, int]:
    return _not_found()


def _not_found() -> tuple[str, int]:
    # One page for "absent" and "not yours": the answer must not tell them apart.
    message = "There is nothing at this address for your organisation."
    return render_template("portal/error.html", title="Not found", message=message), 404


def _principal() -> Principal:
    principal: Principal = g.principal
    return principal


def _here() -> str:
    query = request.query_string.decode()
    return request.path + (f"?{query}" if query else "")


def _safe_next(target: str | None) -> str:
    """Only a portal path on this site: never an open redirect."""
    if (
        target
        and target.startswith("/portal/")
        and "//" not in target
        and "\\" not in target
        and len(target) <= 500
    ):
        return target
    return url_for("portal.declarations_list")


@portal.get("/sign-in")
def sign_in_form() -> str:
    return render_template("portal/sign_in.html", next=request.args.get("next", ""), error=None)


@portal.post("/sign-in")
def sign_in() -> Response | tuple[str, int]:
    token = request.form.get("token", "").strip()
    principal = None
    if token and len(token) <= MAX_TOKEN:
        with database().reading() as s:
            principal = brokers.authenticate(s, token)
    if principal is None:
        # The same answer for unknown, revoked and malformed tokens.
        error = "This token is not valid. Check it, or ask for a new one."
        html = render_template(
            "portal/sign_in.html", next=request.form.get("next", ""), error=error
        )
        return html, 422
    session.clear()  # a new session: nothing carried over from before signing in
    session[SESSION_KEY] = token
    csrf_token()
    return redirect(_safe_next(request.form.get("next")))


@portal.post("/sign-out")
def sign_out() -> Response:
    session.clear()
    return redirect(url_for("portal.sign_in_form"))


# --- the list ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    status: CustomsStatus | None = None
    kind: DeclarationKind | None = None
    order_number: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    merchant: str | None = None
    page: int = 1

    def query(self, **changes: Any) -> dict[str, str]:
        """The filters as query parameters (for the pagination links)."""
        values = {
            "status": self.status.value if self.status else None,
            "kind": self.kind.value if self.kind else None,
            "order_number": self.order_number,
            "date_from": self.date_from.isoformat() if self.date_from else None,
            "date_to": self.date_to.isoformat() if self.date_to else None,
            "merchant": self.merchant,
            "page": str(self.page),
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v}


def parse_filters(args: MultiDict[str, str], merchant_codes: set[str]) -> Filters:
    def text(name: str, max_length: int) -> str | None:
        value = args.get(name, "").strip()
        if len(value) > max_length:
            raise InvalidInput(f"at most {max_length} characters", field=name)
        if "\x00" in value:
            raise InvalidInput("must not contain NUL characters", field=name)
        return value or None

    def choice(name: str, enum: type[CustomsStatus] | type[DeclarationKind]) -> Any:
        value = text(name, 20)
        if value is None:
            return None
        try:
            return enum(value)
        except ValueError:
            allowed = ", ".join(e.value for e in enum)
            raise InvalidInput(f"{value!r} is not one of {allowed}", field=name) from None

    def day(name: str) -> date | None:
        value = text(name, 10)
        try:
            return date.fromisoformat(value) if value else None
        except ValueError:
            raise InvalidInput(f"{value!r} is not a date (YYYY-MM-DD)", field=name) from None

    date_from, date_to = day("date_from"), day("date_to")
    if date_from and date_to and date_to < date_from:
        raise InvalidInput("the range ends before it starts", field="date_to")
    merchant = text("merchant", 32)
    if merchant is not None and merchant not in merchant_codes:
        raise InvalidInput(f"{merchant!r} is not a merchant you act for", field="merchant")
    page_text = text("page", 6) or "1"
    if not page_text.isdigit() or int(page_text) < 1:
        raise InvalidInput("a page is a whole number from 1", field="page")
    return Filters(
        status=choice("status", CustomsStatus),
        kind=choice("kind", DeclarationKind),
        order_number=text("order_number", 64),
        date_from=date_from,
        date_to=date_to,
        merchant=merchant,
        page=int(page_text),
    )


def visible_merchants(s: Session, principal: Principal) -> list[Merchant]:
    stmt = select(Merchant).order_by(Merchant.code)
    if principal.merchant_ids is not None:
        stmt = stmt.where(Merchant.id.in_(sorted(principal.merchant_ids)))
    return list(s.scalars(stmt))


def _conditions(filters: Filters) -> list[Any]:
    found: list[Any] = []
    if filters.status:
        found.append(CustomsDeclaration.status == filters.status)
    if filters.kind:
        found.append(CustomsDeclaration.kind == filters.kind)
    if filters.order_number:
        found.append(Order.order_number == filters.order_number)
    if filters.date_from:
        found.append(
            CustomsDeclaration.created_at >= datetime.combine(filters.date_from, time(), UTC)
        )
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time(), UTC)
        found.append(CustomsDeclaration.created_at < end)
    if filters.merchant:
        found.append(Merchant.code == filters.merchant)
    return found


@portal.get("/")
def declarations_list() -> tuple[str, int]:
    principal = _principal()
    with database().reading() as s:
        merchants = visible_merchants(s, principal)
        error = None
        try:
            filters = parse_filters(request.args, {m.code for m in merchants})
        except InvalidInput as exc:
            error, filters = f"{exc.field}: {exc.message}", Filters()
        stmt = (
            select(
                CustomsDeclaration,
                Order.order_number,
                Order.tracking_number,
                Order.consignee_name,
                Order.consignee_id_masked,
                Merchant.code,
            )
            .join(Order, Order.id == CustomsDeclaration.order_id)
            .outerjoin(Merchant, Merchant.id == CustomsDeclaration.merchant_id)
            .where(declarations.visible_filter(principal), *_conditions(filters))
        )
        rows: list[Any] = []
        total = 0
        if error is None:
            total = s.scalar(select(func.count()).select_from(stmt.subquery())) or 0
            rows = list(
                s.execute(
                    stmt.order_by(
                        CustomsDeclaration.created_at.desc(), CustomsDeclaration.id.desc()
                    )
                    .limit(PAGE_SIZE)
                    .offset((filters.page - 1) * PAGE_SIZE)
                )
            )
        pages = max(1, -(-total // PAGE_SIZE))
        html = render_template(
            "portal/declarations.html",
            rows=rows,
            total=total,
            filters=filters,
            pages=pages,
            merchants=merchants,
            statuses=list(CustomsStatus),
            kinds=list(DeclarationKind),
            error=error,
            page_url=lambda n: (
                url_for("portal.declarations_list") + "?" + urlencode(filters.query(page=str(n)))
            ),
        )
    return html, 400 if error else 200


# --- one declaration, and customs' answer ------------------------------------------------


def _plausible(code: str, what: str) -> str:
    """A number that cannot be stored is not looked up (PostgreSQL refuses NUL)."""
    if len(code) > MAX_NUMBER or "\x00" in code:
        raise NotFound(f"no {what} {code[:MAX_NUMBER]!r}", field="number")
    return code


def _visible(s: Session, principal: Principal, number: str) -> CustomsDeclaration:
    number = _plausible(number, "declaration")
    return declarations.visible_to(principal, declarations.declaration_by_number(s, number))


@portal.get("/declarations/<number>")
def declaration(number: str) -> str:
    with database().reading() as s:
        view = declarations.declaration_view(s, _visible(s, _principal(), number))
    return render_template("portal/declaration.html", d=view, error=None, form={})


@portal.post("/declarations/<number>/decision")
def decide(number: str) -> Response | tuple[str, int]:
    principal = _principal()
    form = {k: request.form.get(k, "").strip() for k in ("outcome", "customs_number", "reason")}
    try:
        decision = _decision(number, form, principal)

        def record(s: Session) -> None:
            _visible(s, principal, number)
            declarations.decide(s, decision)

        write(record)
    except ServiceError as exc:
        if isinstance(exc, NotFound):
            return _not_found()
        status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)
        with database().reading() as s:
            view = declarations.declaration_view(s, _visible(s, principal, number))
        error = f"{exc.field}: {exc.message}" if exc.field else exc.message
        return render_template("portal/declaration.html", d=view, error=error, form=form), status
    flash(f"Recorded: {number} {decision.status.value}.")
    return redirect(url_for("portal.declaration", number=number))


def _decision(number: str, form: dict[str, str], principal: Principal) -> declarations.Decision:
    if form["outcome"] not in (CustomsStatus.CLEARED.value, CustomsStatus.REJECTED.value):
        raise InvalidInput("choose cleared or rejected", field="outcome")
    status = CustomsStatus(form["outcome"])
    if status is CustomsStatus.CLEARED and not form["customs_number"]:
        raise InvalidInput("enter the inventory number customs gave", field="customs_number")
    if len(form["customs_number"]) > 40:
        raise InvalidInput("at most 40 characters", field="customs_number")
    if status is CustomsStatus.REJECTED and not form["reason"]:
        raise InvalidInput("say why customs rejected the list", field="reason")
    if len(form["reason"]) > 400:
        raise InvalidInput("at most 400 characters", field="reason")
    for name in ("customs_number", "reason"):
        if "\x00" in form[name]:
            raise InvalidInput("must not contain NUL characters", field=name)
    return declarations.Decision(
        number=number,
        status=status,
        actor=principal.actor,
        via="portal",
        reason=form["reason"] if status is CustomsStatus.REJECTED else None,
        customs_number=form["customs_number"] or None,
    )


# --- downloads ---------------------------------------------------------------------------


def _files_the_list(principal: Principal) -> bool:
    """A broker files the list with customs, so its PDF shows the full ID numbers."""
    return principal.broker_id is not None


def _download(data: bytes, name: str, mimetype: str) -> Response:
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)


@portal.get("/declarations/<number>.pdf")
def declaration_pdf(number: str) -> Response:
    principal = _principal()
    with database().reading() as s:
        found = _visible(s, principal, number).number
        data = customs_documents.list_pdf(s, [found], show_personal_data=_files_the_list(principal))
    return _download(data, f"{found}.pdf", PDF)


@portal.get("/declarations/<number>.zip")
def declaration_zip(number: str) -> Response:
    with database().reading() as s:
        found = _visible(s, _principal(), number).number
        data = customs_documents.messages_zip(s, [found])
    return _download(data, f"{found}-messages.zip", ZIP)


def _batch_numbers(s: Session, principal: Principal, batch: str) -> list[str]:
    """The batch's declarations the principal may see; none at all is a 404."""
    missing = NotFound(f"no release batch {batch}", field="batch")
    _plausible(batch, "release batch")
    try:
        numbers = customs_documents.batch_numbers(s, batch)
    except NotFound:
        raise missing from None
    visible = customs_documents.visible_numbers(s, principal, numbers)
    if not visible:
        raise missing
    return visible


@portal.get("/batches/<batch>.pdf")
def batch_pdf(batch: str) -> Response:
    principal = _principal()
    with database().reading() as s:
        numbers = _batch_numbers(s, principal, batch)
        data = customs_documents.list_pdf(s, numbers, show_personal_data=_files_the_list(principal))
    return _download(data, f"{batch}-lists.pdf", PDF)


@portal.get("/batches/<batch>.zip")
def batch_zip(batch: str) -> Response:
    with database().reading() as s:
        numbers = _batch_numbers(s, _principal(), batch)
        data = customs_documents.messages_zip(s, numbers)
    return _download(data, f"{batch}-messages.zip", ZIP)


@portal.get("/batches")
def batch_lookup() -> Response:
    """The batch box on the list: a release batch number and a format, to a download."""
    batch = request.args.get("batch", "").strip()
    fmt = request.args.get("format", "pdf")
    if not batch or len(batch) > MAX_BATCH:
        raise InvalidInput(
            f"enter a release batch number (1 to {MAX_BATCH} characters)", field="batch"
        )
    if fmt not in FORMATS:
        raise InvalidInput("the format is pdf or zip", field="format")
    endpoint = "portal.batch_pdf" if fmt == "pdf" else "portal.batch_zip"
    return redirect(url_for(endpoint, batch=batch))
