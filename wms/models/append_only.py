"""Database triggers that make the move ledger append-only.

The services never update or delete a move; these triggers make the database refuse
it too, whoever connects.  Created by the migrations; tests that wipe tables between
cases lift them briefly (``lifted``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

MESSAGE = "moves are append-only: post a reversing move instead"

_SQLITE_CREATE = [
    f"""CREATE TRIGGER moves_no_{op.lower()} BEFORE {op} ON moves
        BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"""
    for op in ("UPDATE", "DELETE")
]
_SQLITE_DROP = ["DROP TRIGGER IF EXISTS moves_no_update", "DROP TRIGGER IF EXISTS moves_no_delete"]

_PG_CREATE = [
    f"""CREATE FUNCTION moves_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'restrict_violation'; END $$""",
    """CREATE TRIGGER moves_append_only BEFORE UPDATE OR DELETE ON moves
        FOR EACH ROW EXECUTE FUNCTION moves_append_only()""",
]
_PG_DROP = [
    "DROP TRIGGER IF EXISTS moves_append_only ON moves",
    "DROP FUNCTION IF EXISTS moves_append_only()",
]


def create_statements(dialect: str) -> list[str]:
    return _PG_CREATE if dialect == "postgresql" else _SQLITE_CREATE


def drop_statements(dialect: str) -> list[str]:
    return _PG_DROP if dialect == "postgresql" else _SQLITE_DROP


@contextmanager
def lifted(conn: Connection) -> Iterator[None]:
    """Test support only: allow wiping the ledger between test cases."""
    name = conn.dialect.name
    for sql in drop_statements(name):
        conn.exec_driver_sql(sql)
    yield
    for sql in create_statements(name):
        conn.exec_driver_sql(sql)
