"""A database that is gone answers 503 "database_unavailable", never a bare 500.

What lands here: the database refused the connection or dropped it (a restart, a
failover, ``pg_terminate_backend``, a network cut), the pool had no connection to give
in time, the server cancelled a statement (PostgreSQL's ``statement_timeout`` or
``lock_timeout``, a deadlock or serialisation failure left after the unit of work's
retries) or, on SQLite, the file is locked past the busy timeout or cannot be opened.
PostgreSQL's driver raises ``OperationalError`` for exactly these; SQLite's uses it for
bugs too ("no such column"), so there only the availability messages count and anything
else stays an internal error, logged as one.

Nothing half-done remains: every business operation is one transaction, and a
transaction whose connection is lost is rolled back by the database.  Only when the
connection is lost *during* COMMIT can the client not know whether it was saved, so the
API says: send it again with the same Idempotency-Key (applied at most once).  The
connection that failed is discarded by the pool and the next request gets a live one
(``pool_pre_ping`` in wms.db).

API requests get ``{"error": {"code": "database_unavailable", "message": ...}}`` with
``Retry-After``; pages get a short page.  The driver's own text (host, port, account)
goes to the log only.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_babel import lazy_gettext
from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import InternalServerError

log = logging.getLogger(__name__)

HANDLED = (OperationalError, InterfaceError, DisconnectionError, PoolTimeout)
CODE = "database_unavailable"
RETRY_AFTER_S = 2
API_MESSAGE = (
    "the database is unavailable or dropped the connection, so the request was not "
    "completed; send it again shortly (with the same Idempotency-Key it is applied at "
    "most once)"
)
PAGE_TITLE = lazy_gettext("Database unavailable")
PAGE_MESSAGE = lazy_gettext("The database cannot be reached just now. Wait a moment and try again.")
# sqlite3 raises OperationalError for these availability problems (and for bugs too).
SQLITE_UNAVAILABLE = (
    "database is locked",
    "database table is locked",
    "unable to open database",
    "disk i/o error",
    "database or disk is full",
)


def is_unavailable(exc: Exception) -> bool:
    """The database is unreachable or gave up on us, as opposed to a bug in a query."""
    if isinstance(exc, (DisconnectionError, PoolTimeout)):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated:
        return True
    cause = exc.orig
    if type(cause).__module__.startswith("sqlite3"):
        text = str(cause).lower()
        return isinstance(exc, OperationalError) and any(m in text for m in SQLITE_UNAVAILABLE)
    return True  # psycopg: OperationalError and InterfaceError are about the connection


def _page() -> str:
    try:
        return render_template("error.html", title=PAGE_TITLE, message=PAGE_MESSAGE)
    except Exception:  # the layout itself failed: a bare page still says what happened
        log.exception("the error page could not be rendered")
        return f"<!doctype html><title>{PAGE_TITLE}</title><h1>{PAGE_TITLE}</h1>"


def database_unavailable(exc: Exception) -> Any:
    if not is_unavailable(exc):
        log.error("database error", exc_info=exc)
        return current_app.handle_user_exception(InternalServerError(original_exception=exc))
    cause = getattr(exc, "orig", None) or exc
    first_line = (str(cause).strip().splitlines() or [""])[0]
    sqlstate = getattr(cause, "sqlstate", None)
    log.error(
        "database unavailable: %s%s: %s",
        type(cause).__name__,
        f" (SQLSTATE {sqlstate})" if sqlstate else "",
        first_line,
    )
    headers = {"Retry-After": str(RETRY_AFTER_S), "Cache-Control": "no-store"}
    if request.path.startswith("/api/"):
        body: Response = jsonify({"error": {"code": CODE, "message": API_MESSAGE}})
        return body, 503, headers
    return _page(), 503, headers


def register(app: Flask) -> None:
    """Called from wms.web.errors.register_error_handlers."""
    for kind in HANDLED:
        app.register_error_handler(kind, database_unavailable)
