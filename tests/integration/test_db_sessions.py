"""Database.reading(): what a read writes is thrown away, and a plain read keeps the
connection's prepared statements (psycopg drops them all on ROLLBACK)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from wms.db import Database
from wms.models import BoxType


def _box(code: str) -> BoxType:
    return BoxType(
        code=code, name="Test box", length_mm=300, width_mm=200, height_mm=100, tare_g=80
    )


def test_what_a_read_flushed_is_rolled_back(db: Database) -> None:
    with db.reading() as s:
        s.add(_box("R1"))
        s.flush()
        assert s.scalar(select(func.count(BoxType.id))) == 1
    with db.reading() as s:
        assert s.scalar(select(func.count(BoxType.id))) == 0


def test_a_read_that_fails_is_rolled_back_and_the_error_kept(db: Database) -> None:
    with pytest.raises(ZeroDivisionError), db.reading() as s:
        s.add(_box("R2"))
        s.flush()
        _ = 1 / 0
    with db.reading() as s:
        assert s.scalar(select(func.count(BoxType.id))) == 0


def test_reads_keep_the_connections_prepared_statements(db: Database) -> None:
    if db.dialect != "postgresql":
        pytest.skip("psycopg's prepared statements are PostgreSQL's")
    with db.transaction() as s:
        s.add(_box("P1"))
    query = select(BoxType.code).where(BoxType.code == "P1")
    for _ in range(8):  # psycopg prepares a statement on its fifth use on a connection
        with db.reading() as s:
            assert s.scalar(query) == "P1"
    with db.reading() as s:
        prepared = s.scalar(
            text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE :q"),
            {"q": "%FROM box_types%"},
        )
    assert prepared >= 1
