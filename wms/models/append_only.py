"""Database triggers that make the move ledger and the audit log append-only.

The services never update or delete a move or an audit entry; these triggers make the
database refuse it too, whoever connects.  Created by the migrations; tests that wipe
tables between cases lift them briefly (``lifted``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

MESSAGE = "moves are append-only: post a reversing move instead"
MESSAGES = {
    "moves": MESSAGE,
    "audit_log": "the audit log is append-only",
}


def _sqlite_create(table: str) -> list[str]:
    return [
        f"""CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table}
        BEGIN SELECT RAISE(ABORT, '{MESSAGES[table]}'); END"""
        for op in ("UPDATE", "DELETE")
    ]


def _sqlite_drop(table: str) -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {table}_no_{op}" for op in ("update", "delete")]


def _pg_create(table: str) -> list[str]:
    return [
        f"""CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION '{MESSAGES[table]}' USING ERRCODE = 'restrict_violation';
        END $$""",
        f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
        FOR EACH ROW EXECUTE FUNCTION {table}_append_only()""",
    ]


def _pg_drop(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}",
        f"DROP FUNCTION IF EXISTS {table}_append_only()",
    ]


def create_statements(dialect: str, table: str = "moves") -> list[str]:
    return _pg_create(table) if dialect == "postgresql" else _sqlite_create(table)


def drop_statements(dialect: str, table: str = "moves") -> list[str]:
    return _pg_drop(table) if dialect == "postgresql" else _sqlite_drop(table)


@contextmanager
def lifted(conn: Connection) -> Iterator[None]:
    """Test support only: allow wiping the ledger and the audit log between test cases."""
    name = conn.dialect.name
    for table in MESSAGES:
        for sql in drop_statements(name, table):
            conn.exec_driver_sql(sql)
    yield
    for table in MESSAGES:
        for sql in create_statements(name, table):
            conn.exec_driver_sql(sql)
