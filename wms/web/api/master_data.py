"""Warehouses, zones, locations and products."""

from __future__ import annotations

from typing import Any

from flask import request
from sqlalchemy import or_, select

from wms.models import Location, LocationKind, Product, Warehouse
from wms.services import catalog
from wms.services.catalog import gtin_forms
from wms.services.errors import InvalidInput
from wms.web.access import PLANNER, STAFF, allow
from wms.web.api import api
from wms.web.api import serialize as out
from wms.web.context import database, write
from wms.web.openapi import (
    LocationList,
    LocationOut,
    LocationsQuery,
    ProductList,
    ProductOut,
    ProductsQuery,
    WarehouseList,
    WarehouseOut,
    ZoneOut,
    doc,
)
from wms.web.schemas import LocationIn, ProductIn, WarehouseIn, ZoneIn, parse_json

Reply = tuple[dict[str, Any], int] | dict[str, Any]


@api.post("/warehouses")
@doc(json=WarehouseIn, created=WarehouseOut)
@allow()
def create_warehouse() -> Reply:
    data = parse_json(WarehouseIn)
    return write(
        lambda s: out.warehouse(
            catalog.create_warehouse(s, catalog.WarehouseInput(**data.model_dump()))
        )
    ), 201


@api.get("/warehouses")
@doc(ok=WarehouseList)
@allow(STAFF, PLANNER)
def list_warehouses() -> Reply:
    with database().reading() as s:
        rows = s.scalars(select(Warehouse).order_by(Warehouse.code)).all()
        return {"warehouses": [out.warehouse(w) for w in rows]}


@api.post("/warehouses/<code>/zones")
@doc(json=ZoneIn, created=ZoneOut)
@allow()
def create_zone(code: str) -> Reply:
    data = parse_json(ZoneIn)

    def run(s: Any) -> dict[str, Any]:
        zone = catalog.create_zone(s, code, data.code, data.name, is_bonded=data.is_bonded)
        return {"code": zone.code, "name": zone.name, "is_bonded": zone.is_bonded}

    return write(run), 201


@api.post("/locations")
@doc(json=LocationIn, created=LocationOut)
@allow()
def create_location() -> Reply:
    data = parse_json(LocationIn)
    return write(
        lambda s: out.location(
            catalog.create_location(s, catalog.LocationInput(**data.model_dump()))
        )
    ), 201


@api.get("/locations")
@doc(query=LocationsQuery, ok=LocationList)
@allow(STAFF, PLANNER)
def list_locations() -> Reply:
    stmt = select(Location).order_by(Location.warehouse_id, Location.code)
    if kind := request.args.get("kind"):
        try:
            stmt = stmt.where(Location.kind == LocationKind(kind))
        except ValueError:
            raise InvalidInput(f"unknown location kind {kind!r}", field="kind") from None
    with database().reading() as s:
        if code := request.args.get("warehouse"):
            stmt = stmt.where(Location.warehouse_id == catalog.warehouse_by_code(s, code).id)
        return {"locations": [out.location(loc) for loc in s.scalars(stmt)]}


@api.get("/locations/<barcode>")
@doc(ok=LocationOut)
@allow(STAFF, PLANNER)
def get_location(barcode: str) -> Reply:
    with database().reading() as s:
        return out.location(catalog.location_by_barcode(s, barcode, field="barcode"))


@api.post("/products")
@doc(json=ProductIn, created=ProductOut)
@allow()
def create_product() -> Reply:
    data = parse_json(ProductIn)
    fields = data.model_dump() | {
        "listing_url": str(data.listing_url) if data.listing_url else None
    }
    return write(
        lambda s: out.product(catalog.create_product(s, catalog.ProductInput(**fields)))
    ), 201


@api.get("/products")
@doc(query=ProductsQuery, ok=ProductList)
@allow(STAFF, PLANNER)
def list_products() -> Reply:
    stmt = select(Product).where(Product.active.is_(True)).order_by(Product.sku)
    if q := request.args.get("q", "").strip():
        # The search text is literal: % and _ match themselves.
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        stmt = stmt.where(
            or_(
                Product.sku.ilike(pattern, escape="\\"),
                Product.name.ilike(pattern, escape="\\"),
                Product.gtin.in_(gtin_forms(q)),
            )
        )
    with database().reading() as s:
        return {"products": [out.product(p) for p in s.scalars(stmt.limit(500))]}


@api.get("/products/<code>")
@doc(ok=ProductOut)
@allow(STAFF, PLANNER)
def get_product(code: str) -> Reply:
    with database().reading() as s:
        return out.product(catalog.product_by_code(s, code, field="code"))
