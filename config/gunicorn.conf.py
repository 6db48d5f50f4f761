"""gunicorn settings for production: `gunicorn -c config/gunicorn.conf.py wsgi:app`.

Every value can be changed from the environment (docs/operations.md has the table):

WMS_BIND             address(es) to listen on, comma-separated (default 127.0.0.1:8000;
                     unix:/run/wms/wms.sock for a socket).  Listen where only the reverse
                     proxy reaches: the proxy terminates HTTPS.
WMS_WORKERS          worker processes (default 2 x cores + 1, at most 8; WEB_CONCURRENCY
                     is honoured too).  Each worker is a process with its own database
                     pool: see "Connections" in docs/operations.md.
WMS_THREADS          threads per worker (default 1: plain sync workers behind a buffering
                     proxy; more than 1 switches to gunicorn's gthread worker).
WMS_TIMEOUT          seconds a worker may spend on one request before it is killed and
                     replaced (default 90: a courier plan may run for up to 60 s).
WMS_GRACEFUL_TIMEOUT seconds a worker gets on SIGTERM / HUP to finish the requests it has
                     (default 30).
FORWARDED_ALLOW_IPS  the reverse proxies whose X-Forwarded-Proto gunicorn believes
                     (default 127.0.0.1,::1: a proxy on the same host).  See WMS_PROXIES
                     (wms/web/health.py) for the client address.
WMS_LOG_FORMAT, WMS_LOG_LEVEL  as for the app (wms/logging_setup.py).

Choices made here:

- preload_app = False.  Each worker imports the app itself, so no database engine,
  connection or lock is ever shared across fork(), and `kill -HUP <master>` reloads new
  code gracefully (new workers start on the new code, old ones finish their requests).
  The price is memory (each worker holds its own copy of the code) and a slower start;
  nothing needs to run once in the master, because the scheduler is its own process
  (`flask --app wsgi scheduler run`), never inside gunicorn.
- The access log is written by the app itself (logger ``wms.request``: one JSON line per
  request with request id, method, path, status, duration and actor), so gunicorn's own
  access log is off; gunicorn's messages (start, worker boot, timeouts) use the same
  formatter.  Everything goes to standard error.
- Graceful shutdown: SIGTERM (systemd's stop, `docker stop`) lets workers finish their
  requests for up to WMS_GRACEFUL_TIMEOUT seconds; each worker closes its database
  connections on the way out.  A request cut off by a kill is rolled back by the
  database: every operation is one transaction.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from gunicorn import glogging

from wms import logging_setup

MAX_DEFAULT_WORKERS = 8


def _int(name: str, default: int, low: int, high: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ValueError(f"{name} must be a whole number from {low} to {high}, not {raw!r}")
    return int(raw)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))  # the CPUs this process may use
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_workers() -> int:
    fallback = min(2 * _cores() + 1, MAX_DEFAULT_WORKERS)
    return _int("WEB_CONCURRENCY", fallback, 1, 64)


bind = [b.strip() for b in os.environ.get("WMS_BIND", "127.0.0.1:8000").split(",") if b.strip()]
workers = _int("WMS_WORKERS", default_workers(), 1, 64)
threads = _int("WMS_THREADS", 1, 1, 64)
worker_class = "gthread" if threads > 1 else "sync"
timeout = _int("WMS_TIMEOUT", 90, 10, 3600)
graceful_timeout = _int("WMS_GRACEFUL_TIMEOUT", 30, 1, 3600)
keepalive = 5  # gthread only; sync workers close each connection (the proxy keeps its own)
preload_app = False
proc_name = "wms"
# Which front-end addresses may say the request came over HTTPS (X-Forwarded-Proto):
# only the reverse proxy's.  "*" trusts anyone who can reach the bind address.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Workers beat on a file; a RAM-backed one avoids stalls on slow container disks.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

accesslog = None
errorlog = "-"
loglevel = os.environ.get("WMS_LOG_LEVEL", "info").lower()


class Logger(glogging.Logger):
    """gunicorn's own messages in the app's format (JSON outside development)."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        development = os.environ.get("WMS_ENV", "development") in ("development", "test")
        fmt = logging_setup.formatter(logging_setup.log_format(development=development))
        for handler in self.error_log.handlers:
            handler.setFormatter(fmt)


logger_class = Logger


def worker_exit(server: Any, worker: Any) -> None:
    """Close the worker's database connections (PostgreSQL sees a clean goodbye)."""
    app = getattr(worker, "wsgi", None)
    database = getattr(app, "extensions", {}).get("wms.db")
    if database is not None:
        try:
            database.dispose()
        except Exception as exc:  # shutting down: say so, do not fail the exit
            logging.getLogger("wms.gunicorn").warning("closing connections: %s", exc)
