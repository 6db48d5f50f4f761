"""The JSON API described as an OpenAPI 3.1 document, built from the models the views use.

spectree writes the document.  Every API view carries one ``@doc(...)`` under its route
that names the pydantic models it already parses with (``parse_json`` / ``parse_query``)
and what it answers.  Documentation only: spectree validates nothing here
(``skip_validation``), so the views keep their own parsing and their error format.

What the decorator does not say, the app does, and ``document`` adds it per route:
path parameters typed from the Flask converters, who may call (``@allow``), the two ways
to authenticate, and the refusals every call may get.  The document is served to any
signed-in caller at ``GET /api/v1/openapi.json`` (no browsable page: the usual ones load
their scripts from a CDN, which the content security policy refuses, rightly).

Errors are one envelope everywhere: ``{"error": {"code", "message", "field"?,
"details"?}}``.  Refusals documented on every operation: 401 (no or unknown
credentials), 403 (role, CSRF, or another merchant's data), 422 (bad input; also any
query or path text holding NUL); 404 where the path or the input names something to look
up; 409 on every write (conflicts, idempotency keys reused, the database's own checks).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from flask import Flask, current_app, jsonify
from flask import Response as FlaskResponse
from pydantic import BaseModel, ConfigDict, Field, RootModel
from spectree import Response, SecurityScheme, SpecTree
from spectree.models import InType, SecureType, SecuritySchemeData

from wms.models import LocationKind
from wms.web import access
from wms.web.access import BROKER, PLANNER, STAFF, allow

F = TypeVar("F", bound=Callable[..., Any])
PREFIX = "/api/v1"
DOCUMENT_PATH = f"{PREFIX}/openapi.json"
SAFE_METHODS = frozenset({"get", "head", "options"})
_EXTENSION = "wms.openapi"
API_DESCRIPTION = """\
The bonded warehouse's JSON API.

**Signing in.** Machines send an API token (`Authorization: Bearer <token>`; an
administrator issues them with `flask tokens issue`).  The pages' own scripts use the
session of the person signed in, and send its CSRF token in `X-CSRF-Token` with every
write.  Each operation lists the roles that may call it (`x-roles`); an admin may call
every one.

**Stock operations** carry an `Idempotency-Key` header of the caller's choosing: a retry
with the same key and the same input answers the first result again (200 instead of
201) and posts nothing twice; the same key with other input is refused (409).

**Errors** are one JSON envelope, `{"error": {"code", "message", "field", "details"}}`:
401 without valid credentials, 403 for a role that may not, 404 for something that does
not exist (or is not the caller's to see), 409 when the state of things refuses
(stock, status, a reused idempotency key), 422 for invalid input, naming the field
(`lines[0].quantity`); `details` lists every problem.

Money is text (`"12.5000"`) so that no client reads it as a float; instants are
ISO 8601 with their offset.
"""


# --- shared answer models ----------------------------------------------------------------


class Problem(BaseModel):
    field: str
    message: str


class ErrorBody(BaseModel):
    code: str = Field(description="machine-readable: invalid, not_found, conflict, ...")
    message: str = Field(description="for people; names the field when there is one")
    field: str | None = Field(default=None, description="e.g. lines[0].quantity")
    details: list[Problem] | dict[str, Any] | None = Field(
        default=None, description="every problem (422), or facts about the refusal"
    )


class Error(BaseModel):
    """Every refusal of the API."""

    error: ErrorBody


class JsonObject(RootModel[dict[str, Any]]):
    """A JSON object (its fields are described in the guides)."""


class IdempotencyKey(BaseModel):
    """Stock operations carry a key of the caller's choosing: a retry with the same key
    and the same input answers the first result (200) and posts nothing twice."""

    model_config = ConfigDict(populate_by_name=True)

    idempotency_key: str = Field(alias="Idempotency-Key", min_length=1, max_length=128)


# --- queries that a few views read by hand (request.args): their shapes, for the document --


class LocationsQuery(BaseModel):
    kind: LocationKind | Literal[""] | None = Field(default=None, description="empty: all")
    warehouse: str | None = Field(default=None, description="a warehouse code")


class ProductsQuery(BaseModel):
    q: str | None = Field(default=None, description="part of a SKU or name, or a GTIN")


class AccountBookQuery(BaseModel):
    declaration: str | None = Field(default=None, description="one entry declaration")


class PlansQuery(BaseModel):
    warehouse: str | None = None
    limit: int = Field(default=50, ge=1, le=200)


# --- the main answers that have one fixed shape (the others: JsonObject) -------------------
# Money is text ("12.5000") so that no client reads it as a float; instants are ISO 8601.


class ZoneOut(BaseModel):
    code: str
    name: str
    is_bonded: bool


class WarehouseOut(BaseModel):
    code: str
    name: str
    customs_area_code: str | None
    address: str | None
    zones: list[ZoneOut]


class WarehouseList(BaseModel):
    warehouses: list[WarehouseOut]


class LocationOut(BaseModel):
    code: str
    barcode: str
    name: str
    kind: str
    zone: str | None
    is_bonded: bool
    is_sellable: bool
    is_physical: bool
    active: bool


class LocationList(BaseModel):
    locations: list[LocationOut]


class ProductOut(BaseModel):
    sku: str
    gtin: str | None
    name: str
    hs_code: str
    origin_country: str
    declared_unit_value: str
    currency: str
    net_weight_g: int
    gross_weight_g: int
    length_mm: int
    width_mm: int
    height_mm: int
    has_battery: bool
    is_liquid: bool
    tax_category: str
    listing_url: str | None


class ProductList(BaseModel):
    products: list[ProductOut]


class StockRowOut(BaseModel):
    sku: str
    lot_number: str
    expiry_date: str | None
    location: str
    is_bonded: bool
    is_sellable: bool
    quantity: int
    reserved: int | None = Field(description="unknown (null) for a past instant")
    product_id: int
    lot_id: int
    location_id: int


class StockOut(BaseModel):
    as_of: str | None
    total: int
    rows: list[StockRowOut]


class MoveOut(BaseModel):
    id: int
    operation_id: int
    sku: str
    lot_number: str
    quantity: int
    from_: str = Field(alias="from")
    to: str
    reason: str
    document_ref: str | None
    actor: str
    created_at: str
    reverses_move_id: int | None


class MoveList(BaseModel):
    moves: list[MoveOut]
    next_after_id: int | None = Field(description="pass as after_id for the next page")


class OperationOut(BaseModel):
    id: int
    kind: str
    document_ref: str | None
    actor: str
    created_at: str
    reverses_operation_id: int | None
    result: dict[str, Any]


class DiscrepancyOut(BaseModel):
    kind: str
    quantity: int


class DeclarationLineOut(BaseModel):
    line_no: int
    sku: str
    declared_quantity: int
    received_quantity: int
    difference: int
    status: str
    unit_value: str
    currency: str
    origin_country: str
    discrepancy: DiscrepancyOut | None


class DeclarationOut(BaseModel):
    number: str
    importer: str
    arrival_date: str
    status: str
    closed_at: str | None
    lines: list[DeclarationLineOut]


class DeclarationListItem(BaseModel):
    number: str
    importer: str
    arrival_date: str
    status: str
    lines: int


class DeclarationList(BaseModel):
    declarations: list[DeclarationListItem]


class BookLineOut(BaseModel):
    declaration_number: str
    line_no: int
    sku: str
    declared: int
    received: int
    released: int
    on_display_loan: int
    returned: int
    written_off: int
    adjusted: int
    balance: int


class AccountBookOut(BaseModel):
    lines: list[BookLineOut]


class MismatchOut(BaseModel):
    check: str
    subject: str
    field: str
    expected: int
    actual: int


class ReconciliationOut(BaseModel):
    reconciled: bool
    mismatches: list[MismatchOut]


class OrderLineOut(BaseModel):
    line_no: int
    sku: str
    quantity: int
    unit_price: str
    discount: str
    picked_quantity: int


class OrderOut(BaseModel):
    """An order; the consignee's ID number and phone are masked."""

    id: int
    channel: str
    order_number: str
    flow: str
    status: str
    resume_status: str | None
    hold_reason: str | None
    consignee: dict[str, Any]
    currency: str
    freight: str
    insurance: str
    payment: dict[str, Any] | None
    courier_code: str | None
    tracking_number: str | None
    declaration_ref: str | None
    customs_note: str | None
    lines: list[OrderLineOut]
    created_at: str
    released_at: str | None


class LoadedParcelOut(BaseModel):
    number: str
    order_number: str
    tracking_number: str | None
    courier_code: str | None
    gross_weight_g: int
    status: str


class ReleaseBatchOut(BaseModel):
    number: str
    warehouse: str
    status: str
    vehicle_plate: str
    seal_number: str | None
    created_by: str
    created_at: str
    closed_at: str | None
    gated_out_at: str | None
    gated_out_by: str | None
    parcels: list[LoadedParcelOut]
    gross_weight_g: int


# Media types of the answers that are files, not JSON.
PDF = ("application/pdf",)
ZIP = ("application/zip",)
CSV = ("text/csv",)
LABEL = ("application/pdf", "text/plain", "image/png", "image/svg+xml")

Answer = type[BaseModel] | tuple[str, ...] | None


@dataclass(frozen=True)
class _Extra:
    """What ``document`` adds to a view's operation beyond what spectree wrote."""

    files: dict[int, tuple[str, ...]]
    body_required: bool
    refuses: tuple[int, ...]


_EXTRAS: dict[Callable[..., Any], _Extra] = {}


def _model_name(model: Any) -> str:
    name = getattr(model, "__name__", str(model))
    module = getattr(model, "__module__", "") or ""
    if module in (__name__, "wms.web.schemas") or not module.startswith("wms."):
        return str(name)
    return f"{module.rsplit('.', 1)[-1]}.{name}"  # two modules may both have a BatchIn


spec = SpecTree(
    "flask",
    title="Bonded warehouse API",
    description=API_DESCRIPTION,
    version="1",
    mode="strict",  # only the views that carry @doc
    annotations=False,
    page_templates={},
    naming_strategy=_model_name,
    validation_error_model=Error,
    security_schemes=[
        SecurityScheme(
            name="bearer",
            data=SecuritySchemeData(
                type=SecureType.HTTP, scheme="bearer", description="an API token"
            ),
        ),
        SecurityScheme(
            name="session",
            data=SecuritySchemeData(
                type=SecureType.API_KEY,
                field_in=InType.COOKIE,
                name="wms_session",
                description="a person signed in through the pages",
            ),
        ),
        SecurityScheme(
            name="csrf",
            data=SecuritySchemeData(
                type=SecureType.API_KEY,
                field_in=InType.HEADER,
                name="X-CSRF-Token",
                description="the session's CSRF token: writes with a session need it",
            ),
        ),
    ],
)


def doc(
    *,
    query: type[BaseModel] | None = None,
    json: type[BaseModel] | None = None,
    ok: Answer = None,
    created: Answer = None,
    idempotent: bool = False,
    body_required: bool = True,
    refuses: tuple[int, ...] = (),
) -> Callable[[F], F]:
    """Describe a view: its query and body models, its answers.

    ``ok`` / ``created``: the 200 / 201 answer, a model, or the media types of a file.
    ``idempotent``: it needs an Idempotency-Key header, and a retry with the same key
    answers 200 with the first result (the first call 201, as ``created`` says).
    Give neither ``ok`` nor ``created`` for an answer that is a JSON object.
    ``refuses``: refusals beyond the usual ones (see ``_complete``), e.g. a 409 of a GET.
    """
    if ok is None and created is None:
        ok = JsonObject
    if idempotent and created is not None and ok is None:
        ok = created
    answers: dict[str, Any] = {}
    files: dict[int, tuple[str, ...]] = {}
    for status, answer in ((200, ok), (201, created)):
        if isinstance(answer, tuple):
            files[status] = answer
            answers[f"HTTP_{status}"] = None
        elif answer is not None:
            answers[f"HTTP_{status}"] = answer
    for status in (401, 403, 422):  # (``document`` writes every refusal; this names Error)
        answers[f"HTTP_{status}"] = Error

    def mark(view: F) -> F:
        wrapped = spec.validate(
            query=query,
            json=json,
            headers=IdempotencyKey if idempotent else None,
            resp=Response(**answers),
            skip_validation=True,  # documentation only: the view parses for itself
            operation_id=view.__name__,
        )(view)
        _EXTRAS[wrapped] = _Extra(files, body_required, refuses)
        return wrapped  # type: ignore[no-any-return]

    return mark


# --- the document -------------------------------------------------------------------------

_CONVERTER = re.compile(r"<(?:(?P<converter>[a-z]+)(?:\([^)]*\))?:)?(?P<name>[A-Za-z_]\w*)>")
PATH_SCHEMAS: dict[str, dict[str, Any]] = {
    # werkzeug's int converter takes digits only, any length; ids past the database's
    # range answer 404 like any unknown id.
    "int": {"type": "integer", "minimum": 0},
    # the default converter: one path segment, at least one character
    "default": {"type": "string", "minLength": 1, "pattern": "^[^/]+$"},
}
ERROR_REF = {"$ref": "#/components/schemas/Error"}
ERROR_TEXT = {
    401: "no credentials, or a token nobody issued (or revoked)",
    403: "the caller's role may not do this (or the CSRF token is missing)",
    404: "something named in the path or the input does not exist (or is not the caller's to see)",
    409: "refused by the state of things (stock, status, idempotency key reused)",
    422: "invalid input; the error names the field",
}


def _file_schema(media_type: str) -> dict[str, Any]:
    if media_type == "application/json":  # a document given as JSON (an object or a list)
        return {"type": ["object", "array"]}
    return {"type": "string", "format": "binary"}


def _tidy_parameter(parameter: dict[str, Any], converters: dict[str, str]) -> None:
    if parameter["in"] == "path":
        kind = converters.get(parameter["name"], "default")
        parameter["schema"] = dict(PATH_SCHEMAS.get(kind, PATH_SCHEMAS["default"]))
    else:
        # An optional query text is left out, never "null": keep the non-null branch.
        schema = parameter["schema"]
        if "anyOf" in schema:
            branches = [b for b in schema["anyOf"] if b != {"type": "null"}]
            rest = {k: v for k, v in schema.items() if k not in ("anyOf", "default")}
            one = len(branches) == 1
            parameter["schema"] = (branches[0] if one else {"anyOf": branches}) | rest
        parameter["schema"].pop("title", None)
    if not parameter.get("description"):
        parameter.pop("description", None)


def _tag(view: Callable[..., Any]) -> str:
    inner = getattr(view, "__wrapped__", view)
    return str(inner.__module__).rsplit(".", 1)[-1].replace("_", " ")


def _roles_text(view: Callable[..., Any]) -> list[str]:
    if access.is_public(view):
        return []
    return sorted(access.roles_of(view) or ())


def _complete(app: Flask, document: dict[str, Any]) -> dict[str, Any]:
    paths: dict[str, Any] = document["paths"]
    tags: set[str] = set()
    for rule in app.url_map.iter_rules():
        view = app.view_functions.get(rule.endpoint)
        extra = _EXTRAS.get(view) if view is not None else None
        if view is None or extra is None:
            continue
        converters = {
            m["name"]: m["converter"] or "default" for m in _CONVERTER.finditer(rule.rule)
        }
        path = _CONVERTER.sub(lambda m: "{" + m["name"] + "}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation = paths[path][method.lower()]
            for parameter in operation["parameters"]:
                _tidy_parameter(parameter, converters)
            if operation["summary"].endswith(">"):  # no docstring: the view's name
                operation["summary"] = view.__name__.replace("_", " ")
            responses = operation["responses"]
            for status, media in extra.files.items():
                responses[str(status)]["content"] = {m: {"schema": _file_schema(m)} for m in media}
            statuses = [401, 403, 422]
            if converters or operation["parameters"] or "requestBody" in operation:
                statuses.append(404)
            if method.lower() not in SAFE_METHODS:
                statuses.append(409)
            for status in sorted(set(statuses) | set(extra.refuses)):
                responses[str(status)] = {
                    "description": ERROR_TEXT[status],
                    "content": {"application/json": {"schema": ERROR_REF}},
                }
            operation["responses"] = dict(sorted(responses.items()))
            if "requestBody" in operation:
                operation["requestBody"]["required"] = extra.body_required
            session = (
                {"session": []} if method.lower() in SAFE_METHODS else {"session": [], "csrf": []}
            )
            operation["security"] = [{"bearer": []}, session]
            roles = _roles_text(view)
            operation["x-roles"] = roles
            tag = _tag(view)
            tags.add(tag)
            operation["tags"] = [tag]
            who = ", ".join(roles)
            operation["description"] = (
                f"{operation.get('description') or ''}\n\nMay call: {who}.".strip()
            )
    document["tags"] = [{"name": t} for t in sorted(tags)]
    document["security"] = [{"bearer": []}, {"session": []}]
    return document


def document(app: Flask) -> dict[str, Any]:
    """The app's OpenAPI document (built once per app)."""
    built = app.extensions.get(_EXTENSION)
    if built is None:
        with app.app_context():
            built = app.extensions[_EXTENSION] = _complete(app, copy.deepcopy(spec.spec))
    return built  # type: ignore[no-any-return]


@allow(STAFF, PLANNER, BROKER)
def openapi_document() -> FlaskResponse:
    return jsonify(document(current_app._get_current_object()))  # type: ignore[attr-defined]


def init_app(app: Flask) -> None:
    app.add_url_rule(DOCUMENT_PATH, "openapi", openapi_document)
