"""The customs broker portal: server-rendered pages under /portal.

Who may use it (every view declares it with ``@allow``; signing in, sessions, CSRF and
roles are the app-wide guard's, ``auth.guard``):

- a **customs broker** (a person of a broker organisation, or that organisation's API
  token) sees the declarations of the merchants its organisation holds a mandate for
  (``Principal.merchant_ids``), filters them, downloads their documents and records
  customs' answer.  Anything else answers 404 with the same page as something that does
  not exist: another organisation's lists and batches are never confirmed to exist.
- an **admin** sees every merchant and may record answers too.
- a **planner** may read it, every merchant's declarations and documents, but not record
  customs' answer (403).  The same split as the JSON customs API (planners read, brokers
  set the status): planners declare the orders and need to see which lists customs
  rejected and why; answering for customs is the broker's, who files the lists.
- **warehouse staff** may not open it (403).

The list PDF shows the consignees' full ID numbers to a broker only (its organisation
files the list with customs); everybody else gets them masked.  Customs' answer is a
same-site form POST carrying the session's CSRF token and goes through ``write`` (one
transaction with its audit entry).  Declarations carry personal data, so no portal
response is cached, framed or sniffed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound as HttpNotFound

from wms.models import (
    CustomsDeclaration,
    CustomsStatus,
    DeclarationKind,
    Merchant,
    Order,
    Parcel,
    ReleaseBatch,
)
from wms.services import customs_documents, declarations
from wms.services.brokers import Principal
from wms.services.errors import InvalidInput, NotFound, ServiceError
from wms.web import access
from wms.web.access import BROKER, PLANNER, allow
from wms.web.auth import require_principal
from wms.web.context import database, write
from wms.web.errors import STATUS, error_page

portal = Blueprint("portal", __name__, template_folder="templates", url_prefix="/portal")

READERS = (BROKER, PLANNER)  # who may read (admin on top); only brokers answer for customs
PAGE_SIZE = 50
RECENT_BATCHES = 30  # suggested in the batch filter
MAX_NUMBER = 32  # declaration and release batch numbers
PDF = "application/pdf"
ZIP = "application/zip"

STATUS_NAMES = {
    CustomsStatus.DRAFT.value: lazy_gettext("draft"),
    CustomsStatus.SUBMITTED.value: lazy_gettext("submitted"),
    CustomsStatus.CLEARED.value: lazy_gettext("cleared"),
    CustomsStatus.REJECTED.value: lazy_gettext("rejected"),
    CustomsStatus.CANCELLED.value: lazy_gettext("cancelled"),
}
KIND_NAMES = {
    DeclarationKind.IMPORT_LIST.value: lazy_gettext("import list"),
    DeclarationKind.EXPORT_LIST.value: lazy_gettext("export list"),
}
VIA_NAMES = {
    "api": lazy_gettext("API"),
    "portal": lazy_gettext("portal"),
    "system": lazy_gettext("system"),
}
# The form fields as the page labels them (errors name the field by its label).
FIELD_LABELS = {
    "status": lazy_gettext("Status"),
    "kind": lazy_gettext("Kind"),
    "merchant": lazy_gettext("Merchant"),
    "order_number": lazy_gettext("Order number"),
    "batch": lazy_gettext("Release batch"),
    "date_from": lazy_gettext("From"),
    "date_to": lazy_gettext("To"),
    "page": lazy_gettext("Page"),
    "outcome": lazy_gettext("Customs' answer"),
    "customs_number": lazy_gettext("Customs inventory number"),
    "reason": lazy_gettext("Reason"),
}


# --- every portal answer ------------------------------------------------------------------


@portal.context_processor
def _names() -> dict[str, Any]:
    return {"status_names": STATUS_NAMES, "kind_names": KIND_NAMES, "via_names": VIA_NAMES}


@portal.after_request
def _headers(response: Response) -> Response:
    # Declarations carry personal data: no caching, no framing, no sniffing.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    return response


@portal.errorhandler(ServiceError)
def _service_error(exc: ServiceError) -> tuple[str, int]:
    if isinstance(exc, NotFound):
        return _not_found()
    return error_page(exc, _status(exc))


@portal.errorhandler(HttpNotFound)
def _http_not_found(_exc: HttpNotFound) -> tuple[str, int]:
    return _not_found()


def _not_found() -> tuple[str, int]:
    # One page for "absent" and "not yours": the answer must not tell them apart.
    message = _("There is nothing at this address that you may see.")
    return render_template("error.html", title=_("Not found"), message=message), 404


def _status(exc: ServiceError) -> int:
    return next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)


def _problem(exc: ServiceError) -> str:
    """The error as the page says it: the field by its label, then what is wrong."""
    if not exc.field:
        return exc.message
    label = FIELD_LABELS.get(exc.field, exc.field)
    return _("%(field)s: %(message)s", field=label, message=exc.message)


def _principal() -> Principal:
    return require_principal()


def _may_decide(principal: Principal) -> bool:
    """Whether the declaration page offers customs' answer (``decide`` admits the same)."""
    return principal.role in (access.roles_of(decide) or ())


# --- the list ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    status: CustomsStatus | None = None
    kind: DeclarationKind | None = None
    order_number: str | None = None
    batch: str | None = None
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
            "batch": self.batch,
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
            raise InvalidInput(_("at most %(n)d characters", n=max_length), field=name)
        if "\x00" in value:
            raise InvalidInput(_("must not contain NUL characters"), field=name)
        return value or None

    def choice(name: str, enum: type[CustomsStatus] | type[DeclarationKind]) -> Any:
        value = text(name, 20)
        if value is None:
            return None
        try:
            return enum(value)
        except ValueError:
            allowed = ", ".join(e.value for e in enum)
            message = _("%(value)s is not one of %(allowed)s", value=repr(value), allowed=allowed)
            raise InvalidInput(message, field=name) from None

    def day(name: str) -> date | None:
        value = text(name, 10)
        try:
            return date.fromisoformat(value) if value else None
        except ValueError:
            message = _("%(value)s is not a date (YYYY-MM-DD)", value=repr(value))
            raise InvalidInput(message, field=name) from None

    date_from, date_to = day("date_from"), day("date_to")
    if date_from and date_to and date_to < date_from:
        raise InvalidInput(_("the range ends before it starts"), field="date_to")
    merchant = text("merchant", 32)
    if merchant is not None and merchant not in merchant_codes:
        message = _("%(merchant)s is not a merchant you act for", merchant=repr(merchant))
        raise InvalidInput(message, field="merchant")
    page_text = text("page", 6) or "1"
    if not page_text.isdigit() or int(page_text) < 1:
        raise InvalidInput(_("a page is a whole number from 1"), field="page")
    return Filters(
        status=choice("status", CustomsStatus),
        kind=choice("kind", DeclarationKind),
        order_number=text("order_number", 64),
        batch=text("batch", MAX_NUMBER),
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


def recent_batches(s: Session, principal: Principal) -> list[str]:
    """The newest release batches holding orders of merchants the principal may see."""
    stmt = (
        select(ReleaseBatch.number, ReleaseBatch.created_at, ReleaseBatch.id)
        .distinct()
        .join(Parcel, Parcel.release_batch_id == ReleaseBatch.id)
        .join(CustomsDeclaration, CustomsDeclaration.order_id == Parcel.order_id)
        .where(declarations.visible_filter(principal))
        .order_by(ReleaseBatch.created_at.desc(), ReleaseBatch.id.desc())
        .limit(RECENT_BATCHES)
    )
    return [row.number for row in s.execute(stmt)]


def _conditions(filters: Filters) -> list[Any]:
    found: list[Any] = []
    if filters.status:
        found.append(CustomsDeclaration.status == filters.status)
    if filters.kind:
        found.append(CustomsDeclaration.kind == filters.kind)
    if filters.order_number:
        found.append(Order.order_number == filters.order_number)
    if filters.batch:
        on_batch = (
            select(Parcel.order_id)
            .join(ReleaseBatch, ReleaseBatch.id == Parcel.release_batch_id)
            .where(ReleaseBatch.number == filters.batch)
        )
        found.append(CustomsDeclaration.order_id.in_(on_batch))
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


def _batch_lists(s: Session, principal: Principal, batch: str | None) -> list[str]:
    """The lists of the filtered batch that its merged PDF holds (none: no download)."""
    if batch is None:
        return []
    try:
        return _batch_numbers(s, principal, batch)
    except NotFound:
        return []


@portal.get("/")
@allow(*READERS)
def declarations_list() -> tuple[str, int]:
    principal = _principal()
    with database().reading() as s:
        merchants = visible_merchants(s, principal)
        error = error_field = None
        try:
            filters = parse_filters(request.args, {m.code for m in merchants})
        except InvalidInput as exc:
            error, error_field, filters = _problem(exc), exc.field, Filters()
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
            batches=recent_batches(s, principal),
            batch_lists=_batch_lists(s, principal, filters.batch),
            statuses=list(CustomsStatus),
            kinds=list(DeclarationKind),
            error=error,
            error_field=error_field,
            files_the_list=_files_the_list(principal),
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


def _declaration_page(
    principal: Principal, number: str, *, error: str | None, field: str | None, form: dict[str, str]
) -> str:
    with database().reading() as s:
        view = declarations.declaration_view(s, _visible(s, principal, number))
    return render_template(
        "portal/declaration.html",
        d=view,
        error=error,
        error_field=field,
        form=form,
        may_decide=_may_decide(principal),
        files_the_list=_files_the_list(principal),
    )


@portal.get("/declarations/<number>")
@allow(*READERS)
def declaration(number: str) -> str:
    return _declaration_page(_principal(), number, error=None, field=None, form={})


@portal.post("/declarations/<number>/decision")
@allow(BROKER)
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
        page = _declaration_page(principal, number, error=_problem(exc), field=exc.field, form=form)
        return page, _status(exc)
    flash(
        _(
            "Recorded: declaration %(number)s is %(status)s.",
            number=number,
            status=STATUS_NAMES[decision.status.value],
        ),
        "success",
    )
    return redirect(url_for("portal.declaration", number=number))


def _decision(number: str, form: dict[str, str], principal: Principal) -> declarations.Decision:
    if form["outcome"] not in (CustomsStatus.CLEARED.value, CustomsStatus.REJECTED.value):
        raise InvalidInput(_("choose cleared or rejected"), field="outcome")
    status = CustomsStatus(form["outcome"])
    if status is CustomsStatus.CLEARED and not form["customs_number"]:
        raise InvalidInput(_("enter the inventory number customs gave"), field="customs_number")
    if len(form["customs_number"]) > 40:
        raise InvalidInput(_("at most %(n)d characters", n=40), field="customs_number")
    if status is CustomsStatus.REJECTED and not form["reason"]:
        raise InvalidInput(_("say why customs rejected the list"), field="reason")
    if len(form["reason"]) > 400:
        raise InvalidInput(_("at most %(n)d characters", n=400), field="reason")
    for name in ("customs_number", "reason"):
        if "\x00" in form[name]:
            raise InvalidInput(_("must not contain NUL characters"), field=name)
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
@allow(*READERS)
def declaration_pdf(number: str) -> Response:
    principal = _principal()
    with database().reading() as s:
        found = _visible(s, principal, number).number
        data = customs_documents.list_pdf(s, [found], show_personal_data=_files_the_list(principal))
    return _download(data, f"{found}.pdf", PDF)


@portal.get("/declarations/<number>.zip")
@allow(*READERS)
def declaration_zip(number: str) -> Response:
    with database().reading() as s:
        found = _visible(s, _principal(), number).number
        data = customs_documents.messages_zip(s, [found])
    return _download(data, f"{found}-messages.zip", ZIP)


def _batch_numbers(s: Session, principal: Principal, batch: str) -> list[str]:
    """The batch's declarations the principal may see; none at all is a 404."""
    missing = NotFound(f"no release batch {batch[:MAX_NUMBER]}", field="batch")
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
@allow(*READERS)
def batch_pdf(batch: str) -> Response:
    principal = _principal()
    with database().reading() as s:
        numbers = _batch_numbers(s, principal, batch)
        data = customs_documents.list_pdf(s, numbers, show_personal_data=_files_the_list(principal))
    return _download(data, f"{batch}-lists.pdf", PDF)


@portal.get("/batches/<batch>.zip")
@allow(*READERS)
def batch_zip(batch: str) -> Response:
    with database().reading() as s:
        numbers = _batch_numbers(s, _principal(), batch)
        data = customs_documents.messages_zip(s, numbers)
    return _download(data, f"{batch}-messages.zip", ZIP)
