"""ORM rows to JSON-ready dicts; money as strings so no client parses it as a float."""

from __future__ import annotations

from typing import Any

from wms.models import Location, Product, Warehouse
from wms.models.types import money_text


def product(p: Product) -> dict[str, Any]:
    return {
        "sku": p.sku,
        "gtin": p.gtin,
        "name": p.name,
        "hs_code": p.hs_code,
        "origin_country": p.origin_country,
        "declared_unit_value": money_text(p.declared_unit_value),
        "currency": p.currency,
        "net_weight_g": p.net_weight_g,
        "gross_weight_g": p.gross_weight_g,
        "length_mm": p.length_mm,
        "width_mm": p.width_mm,
        "height_mm": p.height_mm,
        "has_battery": p.has_battery,
        "is_liquid": p.is_liquid,
        "tax_category": p.tax_category,
        "listing_url": p.listing_url,
    }


def location(loc: Location) -> dict[str, Any]:
    return {
        "code": loc.code,
        "barcode": loc.barcode,
        "name": loc.name,
        "kind": loc.kind.value,
        "zone": loc.zone.code if loc.zone else None,
        "is_bonded": loc.is_bonded,
        "is_sellable": loc.is_sellable,
        "is_physical": loc.is_physical,
        "active": loc.active,
    }


def warehouse(w: Warehouse) -> dict[str, Any]:
    return {
        "code": w.code,
        "name": w.name,
        "customs_area_code": w.customs_area_code,
        "address": w.address,
        "zones": [{"code": z.code, "name": z.name, "is_bonded": z.is_bonded} for z in w.zones],
    }
