"""What operations needs from every app server: health checks, request ids, the request log.

``init_app(app)`` (one line in the app factory) adds

- ``GET /healthz``: liveness.  The process answers; no database.  A load balancer or
  the process manager restarts a server that stops answering it.
- ``GET /readyz``: readiness.  The database answers within a short timeout *and* its
  schema is at the head revision of this release's migrations; otherwise 503 with a JSON
  body naming what is wrong.  A load balancer sends traffic only to ready servers.
- ``X-Request-Id`` on every response: the id ``auth.guard`` took from the request's own
  ``X-Request-Id`` (a proxy's) or made up; it is in every log line of the request and in
  the audit log.
- one request log line per request (logger ``wms.request``): method, path, status,
  duration, actor; health checks that pass are logged at DEBUG only.
- logging as JSON or text (``wms.logging_setup``), and, behind reverse proxies
  (``WMS_PROXIES=N``), the client address and scheme from their X-Forwarded-* headers.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Mapping
from typing import Any

from alembic.script import ScriptDirectory
from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    has_request_context,
    jsonify,
    request,
)
from sqlalchemy import Connection, Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Settings
from wms import logging_setup, migrate
from wms.web.access import public
from wms.web.context import database

health = Blueprint("health", __name__)
request_log = logging.getLogger("wms.request")
log = logging.getLogger(__name__)

# How long readiness waits for the database (connecting, then each statement).
READY_TIMEOUT_S = 2
HEALTH_ENDPOINTS = frozenset({"health.healthz", "health.readyz"})
MAX_PROXIES = 5
UPGRADE_HINT = "run `flask --app wsgi db upgrade`"
_PROBE = "wms.health.probe"
_HEAD = "wms.health.head"
VERSION_TABLE = "alembic_version"


# --- the endpoints --------------------------------------------------------------------------


@health.get("/healthz")
@public
def healthz() -> Response:
    response = jsonify(status="ok")
    response.headers["Cache-Control"] = "no-store"
    return response


@health.get("/readyz")
@public
def readyz() -> tuple[Response, int]:
    checks = readiness(current_app)
    problems = [c["message"] for c in checks.values() if not c["ok"] and "message" in c]
    body: dict[str, Any] = {"status": "not ready" if problems else "ready", "checks": checks}
    if problems:
        body["message"] = "; ".join(problems)
        log.warning("not ready: %s", body["message"])
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, 503 if problems else 200


# --- readiness -------------------------------------------------------------------------------


def readiness(app: Flask) -> dict[str, dict[str, Any]]:
    """{"database": {...}, "schema": {...}}, each with ``ok`` and, when not, ``message``."""
    settings: Settings = app.extensions["wms.settings"]
    try:
        head, known = _revisions(app)
    except Exception as exc:  # several heads, a broken migration file: a release defect
        log.error("cannot read this release's migrations: %s", exc)
        problem = {"ok": False, "message": "this release's migrations cannot be read"}
        return {"database": {"ok": False, "checked": False}, "schema": problem}
    try:
        current = _current_revision(app, settings)
    except Exception as exc:
        log.warning("database check failed: %s: %s", type(exc).__name__, exc)
        # The exception's own text may name hosts and accounts: it stays in the log.
        kind = type(exc).__name__
        message = f"the database is unreachable ({kind}; waited at most {READY_TIMEOUT_S} s)"
        if isinstance(exc, _NoDatabase):
            message = str(exc)
        return {
            "database": {"ok": False, "message": message},
            "schema": {"ok": False, "head": head, "checked": False},
        }
    schema: dict[str, Any] = {"ok": current == head, "revision": current, "head": head}
    if current != head:
        schema["message"] = _schema_problem(current, head, known)
    return {"database": {"ok": True}, "schema": schema}


class _NoDatabase(Exception):
    """The database is not there at all (a missing SQLite file)."""


def _schema_problem(current: str | None, head: str | None, known: frozenset[str]) -> str:
    if current is None:
        return f"the database has no schema; this release needs {head}: {UPGRADE_HINT}"
    if current in known:
        return f"the database schema is at {current}, this release needs {head}: {UPGRADE_HINT}"
    return (
        f"the database schema is at {current}, which this release does not know "
        f"(it needs {head}): the database was upgraded by a newer release"
    )


def _revisions(app: Flask) -> tuple[str | None, frozenset[str]]:
    """This release's head and every revision it knows: read from the migration files
    once per process (they are this release's code)."""
    if _HEAD not in app.extensions:
        url = app.extensions["wms.settings"].database_url
        script = ScriptDirectory.from_config(migrate.alembic_config(url))
        known = frozenset(r.revision for r in script.walk_revisions())
        app.extensions[_HEAD] = (migrate.head_revision(url), known)
    return app.extensions[_HEAD]  # type: ignore[no-any-return]


def _current_revision(app: Flask, settings: Settings) -> str | None:
    if settings.is_sqlite:
        database_path = make_url(settings.database_url).database or ""
        if database_path not in ("", ":memory:") and not os.path.exists(database_path):
            raise _NoDatabase("the SQLite database file does not exist")
        with database().engine.connect() as conn:  # a file: no network, nothing to time out
            return _stamped_revision(conn)
    with _probe_engine(app, settings).connect() as conn:
        conn.execute(text(f"SET LOCAL statement_timeout = {READY_TIMEOUT_S * 1000}"))
        return _stamped_revision(conn)


def _stamped_revision(conn: Connection) -> str | None:
    """What ``migrate.current_revision`` reads (Alembic's version table), on a connection
    with a timeout and without Alembic's per-call log lines."""
    if not inspect(conn).has_table(VERSION_TABLE):
        return None
    revisions = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    return ",".join(sorted(revisions)) or None


def _probe_engine(app: Flask, settings: Settings) -> Engine:
    """A connection per check with a connect timeout: the app's pool has none, and a
    probe must not hold a connection between checks (max_connections)."""
    if _PROBE not in app.extensions:
        app.extensions[_PROBE] = create_engine(
            settings.database_url,
            poolclass=NullPool,
            connect_args={"connect_timeout": READY_TIMEOUT_S},
        )
    return app.extensions[_PROBE]  # type: ignore[no-any-return]


# --- request ids and the request log --------------------------------------------------------


def _start_timer() -> None:
    g.wms_started = time.perf_counter()


def _printable(path: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in path[:200])


def _request_context() -> Mapping[str, Any]:
    if not has_request_context():
        return {}
    return {
        "request_id": g.get("request_id"),
        "method": request.method,
        "path": _printable(request.path),
    }


def _finish(response: Response) -> Response:
    request_id = g.get("request_id")
    if not request_id:
        request_id = g.request_id = uuid.uuid4().hex
    response.headers["X-Request-Id"] = request_id
    status = response.status_code
    if request.endpoint in HEALTH_ENDPOINTS:
        # A load balancer asks every few seconds: a pass is not news, a failure is.
        level = logging.DEBUG if status < 400 else logging.WARNING
    elif status >= 500:
        level = logging.ERROR
    else:
        level = logging.INFO
    if request_log.isEnabledFor(level):
        started = g.get("wms_started")
        duration = (time.perf_counter() - started) * 1000 if started else None
        principal = g.get("principal")
        request_log.log(
            level,
            "%s %s %s",
            request.method,
            _printable(request.path),
            status,
            extra={
                "status": status,
                "duration_ms": None if duration is None else round(duration, 2),
                "actor": principal.actor if principal is not None else None,
            },
        )
    return response


def _proxies() -> int:
    raw = os.environ.get("WMS_PROXIES", "").strip() or "0"
    if not raw.isdigit() or int(raw) > MAX_PROXIES:
        raise ValueError(f"WMS_PROXIES must be a whole number from 0 to {MAX_PROXIES}")
    return int(raw)


def init_app(app: Flask) -> None:
    settings: Settings = app.extensions["wms.settings"]
    # Tests keep their runner's log capture unless they ask for a format.
    if settings.environment != "test" or os.environ.get("WMS_LOG_FORMAT"):
        fmt = logging_setup.log_format(development=settings.is_development)
        logging_setup.configure(fmt, logging_setup.log_level())
    logging_setup.add_context(_request_context)
    app.register_blueprint(health)
    # The timer starts before the guard, which may refuse the request.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_timer)
    app.after_request(_finish)
    proxies = _proxies()
    if proxies:
        # Behind N reverse proxies: the client's address (the audit log, the sign-in
        # throttle per address) and scheme come from the last N X-Forwarded-* hops.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies
        )
