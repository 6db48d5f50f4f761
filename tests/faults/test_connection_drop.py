"""The database connection lost in the middle of a request, or refused outright.

- PostgreSQL: a gate-out is made to wait inside its transaction (after it has posted its
  moves and changed the quants, before the account book) and its backend is terminated
  (``pg_terminate_backend``, what a database restart or failover does to it).  The client
  gets a 503 ``database_unavailable`` JSON error, not a 500 with a traceback; nothing of
  the operation remains; the server's pool recovers by itself (``pool_pre_ping``); the
  retry with the same key releases the batch once.
- Both databases: an app whose database refuses connections answers API calls and pages
  with a clear 503 that gives away nothing of the connection.
"""

from __future__ import annotations

import http.client
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg
import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.exc import InterfaceError, OperationalError

from config import load_settings
from tests.faults.conftest import (
    Activity,
    Reply,
    Server,
    call,
    free_port,
    holding,
    quants,
    release_batch,
    staff_token,
)
from wms.db import Database
from wms.models import (
    AccountBookLine,
    AuditEntry,
    Move,
    ParcelStatus,
    ReleaseStatus,
    StockOperation,
)
from wms.services import account_book, releases
from wms.web import db_errors
from wms.web.app import create_app

pytestmark = pytest.mark.faults

NAME = "wms-faults-drop"


def assert_database_unavailable(reply: Reply) -> None:
    assert reply.status == 503, reply.text
    assert reply.json == {
        "error": {"code": "database_unavailable", "message": db_errors.API_MESSAGE}
    }
    assert reply.headers["retry-after"] == str(db_errors.RETRY_AFTER_S)


def gate_out_records(db: Database, batch_number: str) -> tuple[int, int, int]:
    """Gate-out operations, the batch's release moves, gate-out audit entries."""
    with db.reading() as s:
        return (
            s.scalar(
                select(func.count(StockOperation.id)).where(StockOperation.kind == "gate_out")
            ),
            s.scalar(select(func.count(Move.id)).where(Move.document_ref == batch_number)),
            s.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "api.gate_out")),
        )


def test_a_request_whose_connection_is_killed_mid_transaction_gets_503_and_leaves_nothing(
    db: Database, postgres: str, servers: Callable[..., Server]
) -> None:
    batch = release_batch(db, 3)
    token = staff_token(db)
    stock_before = quants(db)
    server = servers(NAME)
    url = f"/api/v1/release-batches/{batch.number}/gate-out"
    key = "gate-drop-1"
    activity = Activity(postgres, NAME)
    answer: dict[str, Any] = {}

    def send() -> None:
        try:
            answer["reply"] = call(server.port, "POST", url, token=token, key=key, timeout=60)
        except (OSError, http.client.HTTPException) as exc:
            answer["error"] = exc

    sender = threading.Thread(target=send, daemon=True)
    try:
        # The account book's row locked: the gate-out waits there, its moves posted.
        with holding(db, select(AccountBookLine.entry_line_id).with_for_update()):
            sender.start()
            for _ in range(600):
                stuck = [
                    b
                    for b in activity.backends()
                    if b["writing"] and b["wait_event_type"] == "Lock"
                ]
                if stuck:
                    break
                sender.join(0.05)
            assert stuck and "account_book_lines" in stuck[0]["query"], activity.backends()
            assert activity.terminate(stuck[0]["pid"])
            sender.join(30)
        assert "reply" in answer, answer
        assert_database_unavailable(answer["reply"])
        assert "Traceback" not in answer["reply"].text
        assert "57P01" in server.log()  # logged: terminated by the administrator

        # Nothing half-written: no operation, no move, stock and book as they were.
        assert gate_out_records(db, batch.number) == (0, 0, 0)
        with db.reading() as s:
            record = releases.batch_by_number(s, batch.number)
            assert record.status is ReleaseStatus.CLOSED
            assert {p.status for p in record.parcels} == {ParcelStatus.LOADED}
            assert account_book.reconcile(s, replay_ledger=True) == []
        assert quants(db) == stock_before

        # The pool recovers: after a database restart (every backend of the app ended),
        # the next request gets a live connection.
        view = call(server.port, "GET", f"/api/v1/release-batches/{batch.number}", token=token)
        assert view.status == 200, view.text
        for backend in activity.backends():
            activity.terminate(backend["pid"])
        activity.wait_gone()
        view = call(server.port, "GET", f"/api/v1/release-batches/{batch.number}", token=token)
        assert view.status == 200 and view.json["status"] == "closed", view.text

        retry = call(server.port, "POST", url, token=token, key=key)
        assert retry.status == 200 and retry.json["replayed"] is False, retry.text
        assert (retry.json["parcels"], retry.json["units"]) == (3, 3)
        again = call(server.port, "POST", url, token=token, key=key)
        assert again.json == {**retry.json, "replayed": True}
        assert gate_out_records(db, batch.number) == (1, 1, 2)  # 2 answers audited
        with db.reading() as s:
            assert account_book.reconcile(s, replay_ledger=True) == []
    finally:
        activity.close()


def refusing_url(database_url: str, tmp_path: Path) -> str:
    """A database that is not there: nothing listens on the port (PostgreSQL), the file
    cannot be opened (SQLite)."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'no-such-folder' / 'wms.sqlite3'}"
    return f"postgresql+psycopg://wms:secret-password@127.0.0.1:{free_port()}/wms"


def test_a_database_that_refuses_connections_gets_a_clear_503_never_a_500(
    database_url: str, tmp_path: Path
) -> None:
    url = refusing_url(database_url, tmp_path)
    app = create_app(load_settings(database_url=url, secret_key="test", environment="test"))
    try:
        client: FlaskClient = app.test_client()
        api = client.post(
            "/api/v1/release-batches/RB1/gate-out",
            headers={"Authorization": "Bearer wms_whatever", "Idempotency-Key": "k-1"},
        )
        assert api.status_code == 503 and api.mimetype == "application/json"
        assert api.get_json()["error"]["code"] == "database_unavailable"
        assert api.headers["Retry-After"] == str(db_errors.RETRY_AFTER_S)
        sign_in = client.get("/sign-in")  # a page that needs no database
        assert sign_in.status_code == 200
        page = client.post(
            "/sign-in",
            data={"username": "staff", "password": "x" * 12, "csrf_token": csrf(sign_in.text)},
        )
        assert page.status_code == 503 and page.mimetype == "text/html"
        assert "Database unavailable" in page.text
        for reply in (api.text, page.text):  # nothing about the connection or the code
            for secret in ("secret-password", "127.0.0.1", "no-such-folder", "Traceback"):
                assert secret not in reply
    finally:
        app.extensions["wms.db"].dispose()


def csrf(page: str) -> str:
    marker = 'name="csrf-token" content="'
    start = page.index(marker) + len(marker)
    return page[start : page.index('"', start)]


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (OperationalError("SELECT 1", {}, psycopg.errors.AdminShutdown("terminating")), True),
        (OperationalError("SELECT 1", {}, psycopg.OperationalError("connection refused")), True),
        (InterfaceError("SELECT 1", {}, psycopg.InterfaceError("connection is closed")), True),
        (OperationalError("UPDATE q", {}, sqlite3.OperationalError("database is locked")), True),
        (OperationalError("x", {}, sqlite3.OperationalError("unable to open database file")), True),
        # On SQLite the same class also means a bug: that stays an internal error.
        (OperationalError("SELECT y", {}, sqlite3.OperationalError("no such column: y")), False),
        (InterfaceError("SELECT 1", {}, sqlite3.InterfaceError("bad parameter")), False),
    ],
)
def test_only_a_lost_or_refused_database_counts_as_unavailable(
    error: Exception, unavailable: bool
) -> None:
    assert db_errors.is_unavailable(error) is unavailable
