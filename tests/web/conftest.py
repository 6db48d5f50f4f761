"""Fixtures for the web tests: the standard warehouse, declared and (optionally) stocked."""

from __future__ import annotations

import pytest

from tests import factories as f
from wms.db import Database


@pytest.fixture
def warehouse(db: Database) -> Database:
    """SHA1 with its zones, bins and two products, and ED-1 declaring 100 milk, 40 serum."""
    f.build_warehouse(db)
    f.declare(db, "ED-1", (f.MILK.sku, 100), (f.SERUM.sku, 40))
    return db


@pytest.fixture
def stocked(warehouse: Database) -> Database:
    """ED-1 received in part and put away.

    Milk lot L1: 60 received, 45 in A-01, 10 in quarantine Q-01, 5 left on the dock.
    Serum lot S1: 40 received, all in B-01.
    """
    f.receive(warehouse, "ED-1", f.MILK.sku, "L1", 60)
    f.receive(warehouse, "ED-1", f.SERUM.sku, "S1", 40)
    f.putaway(warehouse, f.MILK.sku, "L1", 45, to=f.BINS[0])
    f.putaway(warehouse, f.MILK.sku, "L1", 10, to=f.QUARANTINE)
    f.putaway(warehouse, f.SERUM.sku, "S1", 40, to=f.BINS[2])
    return warehouse
