"""Shapes of what the API accepts; pydantic names the field of every problem."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, TypeVar

from flask import request
from pydantic import (
    BaseModel,
    Field,
    HttpUrl,
    StringConstraints,
    field_validator,
)

from wms.models import LocationKind
from wms.services.errors import InvalidInput
from wms.services.inputs import MAX_ID, Input, chars

# The ledger's ids are 64-bit (MAX_ID); every other table's are 32-bit integers on
# PostgreSQL: a larger id names nothing, and must not reach the database.
MAX_ROW_ID = 2**31 - 1

Code = chars(40)
Country = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")]
Quantity = Annotated[int, Field(strict=True, gt=0, le=10_000_000)]
Grams = Annotated[int, Field(strict=True, gt=0, le=10_000_000)]
Millimetres = Annotated[int, Field(strict=True, gt=0, le=100_000)]
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=4, allow_inf_nan=False)]
Barcode = chars(48)
LotNumber = chars(64)


class WarehouseIn(Input):
    code: chars(16)
    name: chars(120)
    customs_area_code: Annotated[str, StringConstraints(pattern=r"^\d{4}$")] | None = None
    address: chars(240) | None = None


class ZoneIn(Input):
    code: chars(16)
    name: chars(120)
    is_bonded: bool


class LocationIn(Input):
    warehouse_code: chars(16)
    code: chars(32)
    kind: LocationKind
    name: chars(120) | None = None
    barcode: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9\-_.]{1,48}$")] | None = None
    zone_code: chars(16) | None = None
    is_bonded: bool | None = None
    is_sellable: bool | None = None


class ProductIn(Input):
    sku: Code
    name: chars(200)
    hs_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=13)]
    origin_country: Country
    declared_unit_value: Money
    currency: Currency
    net_weight_g: Grams
    gross_weight_g: Grams
    length_mm: Millimetres
    width_mm: Millimetres
    height_mm: Millimetres
    tax_category: chars(32)
    gtin: Annotated[str, StringConstraints(strip_whitespace=True, max_length=14)] | None = None
    has_battery: bool = False
    is_liquid: bool = False
    listing_url: HttpUrl | None = None

    @field_validator("listing_url", mode="after")
    @classmethod
    def _fits(cls, value: HttpUrl | None) -> HttpUrl | None:
        if value is not None and len(str(value)) > 400:
            raise ValueError("at most 400 characters")
        return value


class DeclarationLineIn(Input):
    line_no: Annotated[int, Field(strict=True, gt=0, le=9999)]
    sku: Code
    declared_quantity: Quantity
    unit_value: Money
    currency: Currency
    origin_country: Country


class DeclarationIn(Input):
    number: Annotated[
        str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9\-]{4,32}$")
    ]
    warehouse_code: chars(16)
    importer: chars(200)
    arrival_date: date
    lines: Annotated[list[DeclarationLineIn], Field(min_length=1, max_length=999)]


class ReceiveIn(Input):
    product_code: Code
    lot_number: LotNumber
    quantity: Quantity
    dock_barcode: Barcode
    expiry_date: date | None = None
    production_date: date | None = None
    line_no: Annotated[int, Field(strict=True, gt=0)] | None = None
    accept_over: bool = False


class RelocateIn(Input):
    product_code: Code
    lot_number: LotNumber
    quantity: Quantity
    from_barcode: Barcode
    to_barcode: Barcode
    declaration_number: chars(32) | None = None


class StockQuery(Input):
    sku: Code | None = None
    lot: LotNumber | None = None
    location: Barcode | None = None
    bonded: bool | None = None
    sellable: bool | None = None
    include_virtual: bool = False
    as_of: datetime | None = None

    @field_validator("as_of")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("give a time zone, e.g. 2026-11-22T08:00:00Z")
        try:
            return value.astimezone(UTC)
        except OverflowError:
            raise ValueError("lies outside the calendar once converted to UTC") from None


class MovesQuery(Input):
    sku: Code | None = None
    location: Barcode | None = None
    operation_id: Annotated[int, Field(gt=0, le=MAX_ID)] | None = None
    after_id: Annotated[int, Field(ge=0, le=MAX_ID)] = 0
    limit: Annotated[int, Field(gt=0, le=1000)] = 100


M = TypeVar("M", bound=BaseModel)


def parse_json(model: type[M]) -> M:
    try:
        body = request.get_json(silent=True)
    except RecursionError:
        raise InvalidInput("the JSON body is nested too deeply", field="body") from None
    if not isinstance(body, dict):
        raise InvalidInput("the request body must be a JSON object", field="body")
    return model.model_validate(body)


def parse_query(model: type[M]) -> M:
    return model.model_validate({key: request.args.get(key) for key in request.args})
