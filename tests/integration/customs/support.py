"""Declared orders, merchants, brokers and tokens for the customs document tests, all
made through the services."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from decimal import Decimal

import pypdfium2 as pdfium

from tests import factories as f
from tests.integration.outbound import support as o
from wms.db import Database
from wms.models import Flow
from wms.services import allocation, brokers, orders

OTHER_CHANNEL = "JDWW"


def stocked(db: Database) -> Database:
    """SHA1 with 45 milk (ED-1 line 1) and 40 serum (ED-1 line 2) in bins; channel TMALLG
    sold by merchant M1 (broker B1 acts for it), channel JDWW by M2 (broker B2)."""
    f.build_warehouse(db)
    f.declare(db, "ED-1", (f.MILK.sku, 100), (f.SERUM.sku, 40))
    f.receive(db, "ED-1", f.MILK.sku, "L1", 45)
    f.receive(db, "ED-1", f.SERUM.sku, "S1", 40)
    f.putaway(db, f.MILK.sku, "L1", 45, to=f.BINS[0])
    f.putaway(db, f.SERUM.sku, "S1", 40, to=f.BINS[2])
    o.channel(db)
    o.channel(db, OTHER_CHANNEL)
    with db.transaction() as s:
        for merchant, channel, broker in (("M1", o.CHANNEL, "B1"), ("M2", OTHER_CHANNEL, "B2")):
            brokers.create_merchant(s, merchant, f"Merchant {merchant}", customs_code="3114")
            brokers.assign_channel(s, channel, merchant)
            brokers.create_broker(s, broker, f"Broker {broker}")
            brokers.grant_mandate(s, broker, merchant)
    return db


def token(db: Database, broker: str | None = None) -> str:
    with db.transaction() as s:
        return brokers.issue_token(s, f"token-{broker or 'erp'}", broker_code=broker)


def declared(db: Database, *lines: tuple[str, int], **kwargs: object) -> tuple[int, str]:
    """A bonded order allocated (lots reserved), planned and declared: (order id, list)."""
    order_id = o.receive_order(db, *lines, **kwargs)
    with db.transaction() as s:
        allocation.allocate(s, order_id, actor="tester")
    o.advance(db, order_id, "planned", "declared")
    with db.reading() as s:
        number = orders.order_by_id(s, order_id).declaration_ref
    assert number
    return order_id, number


def export_order(
    db: Database, country: str = "DE", unit_price: Decimal = Decimal("20.00"), quantity: int = 1
) -> tuple[int, str]:
    """An export order (no consignee ID, no payment) planned and declared: (id, list)."""
    data = o.order_input((f.MILK.sku, quantity), flow=Flow.EXPORT, unit_price=unit_price)
    consignee = replace(
        data.consignee,
        country=country,
        province=None,
        city="Berlin",
        district=None,
        address="Unter den Linden 1",
        postcode="10117",
        id_type=None,
        id_number=None,
    )
    with db.transaction() as s:
        order = orders.receive_order(
            s, replace(data, consignee=consignee, payment=None), actor="api"
        ).order
        order_id = order.id
    o.advance(db, order_id, "allocated", "planned", "declared")
    with db.reading() as s:
        number = orders.order_by_id(s, order_id).declaration_ref
    assert number
    return order_id, number


def pdf_pages(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    try:
        return [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()


def zip_files(archive: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        return {name: z.read(name) for name in z.namelist()}
