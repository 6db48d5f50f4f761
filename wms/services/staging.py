"""The outbound staging docks: where picked goods wait (packed, labelled, loaded) until
the gate.  One bonded dock per warehouse for bonded goods, which stay in the customs
account until gate-out, and one outside the bonded zone for duty-paid goods."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from wms.models import Location, LocationKind, Warehouse

BONDED_CODE = "OUT-B"
DOMESTIC_CODE = "OUT-D"


def outbound_staging(session: Session, warehouse_id: int, *, bonded: bool) -> Location:
    """The staging dock, created on first use so that warehouses set up before outbound
    existed get theirs too."""
    code = BONDED_CODE if bonded else DOMESTIC_CODE
    location = session.scalar(
        select(Location).where(Location.warehouse_id == warehouse_id, Location.code == code)
    )
    if location is not None:
        return location
    warehouse = session.get(Warehouse, warehouse_id)
    if warehouse is None:
        raise LookupError(f"warehouse {warehouse_id} does not exist")
    location = Location(
        warehouse_id=warehouse_id,
        code=code,
        barcode=f"{warehouse.code}-{code}",
        name="Outbound staging (bonded)" if bonded else "Outbound staging (duty-paid)",
        kind=LocationKind.DOCK,
        is_bonded=bonded,
        is_sellable=False,
    )
    session.add(location)
    session.flush()
    return location
