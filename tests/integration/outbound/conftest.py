"""Fixtures for the outbound tests."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.integration.outbound import support as o
from wms.db import Database


@pytest.fixture
def ready(db: Database) -> Database:
    """SHA1 stocked with 45 milk in A-01 and 40 serum in B-01, and channel TMALLG."""
    f.build_warehouse(db)
    f.declare(db, "ED-1", (f.MILK.sku, 100), (f.SERUM.sku, 40))
    f.receive(db, "ED-1", f.MILK.sku, "L1", 45)
    f.receive(db, "ED-1", f.SERUM.sku, "S1", 40)
    f.putaway(db, f.MILK.sku, "L1", 45, to=f.BINS[0])
    f.putaway(db, f.SERUM.sku, "S1", 40, to=f.BINS[2])
    o.channel(db)
    return db
