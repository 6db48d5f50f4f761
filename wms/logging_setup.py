"""Logs as one JSON object per line (production) or as readable text (development).

``configure()`` installs one handler on the root logger, writing to standard error
(gunicorn, the scheduler and the CLI all log there; the process manager or the
container runtime collects it).  A JSON line carries:

    time (UTC, ISO 8601), level, logger, message,
    and, inside a web request: request_id, method, path, status, duration_ms, actor

The web layer supplies the request fields through ``add_context`` (this module knows
nothing of Flask).  No personal data: no query strings, no bodies, no client addresses,
no headers; the actor is the account or token name, never a consignee.

WMS_LOG_FORMAT=json|text (default: json outside development, text in development);
WMS_LOG_LEVEL=DEBUG|INFO|WARNING|ERROR (default INFO).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any, TextIO

FORMATS = ("json", "text")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# Fields a log call may add through ``extra=`` and that reach the output, in this order.
FIELDS = ("request_id", "method", "path", "status", "duration_ms", "actor")
_CONTEXT: list[Callable[[], Mapping[str, Any]]] = []
_HANDLER_MARK = "_wms_handler"


def log_format(*, development: bool) -> str:
    """The format WMS_LOG_FORMAT asks for, else the environment's default."""
    chosen = os.environ.get("WMS_LOG_FORMAT", "").strip().lower()
    if not chosen:
        return "text" if development else "json"
    if chosen not in FORMATS:
        raise ValueError(f"WMS_LOG_FORMAT must be json or text, not {chosen!r}")
    return chosen


def log_level() -> int:
    chosen = os.environ.get("WMS_LOG_LEVEL", "").strip().upper() or "INFO"
    if chosen not in LEVELS:
        raise ValueError(f"WMS_LOG_LEVEL must be one of {', '.join(LEVELS)}, not {chosen!r}")
    return logging.getLevelName(chosen)  # type: ignore[no-any-return]


def add_context(provider: Callable[[], Mapping[str, Any]]) -> None:
    """Register a callable giving fields for every record logged while it applies (the
    web layer: the current request's id, method and path).  Registered once."""
    if provider not in _CONTEXT:
        _CONTEXT.append(provider)


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for provider in _CONTEXT:
        try:
            out.update(provider())
        except Exception:  # a log line must never fail because of its context
            continue
    for name in FIELDS:
        value = record.__dict__.get(name)
        if value is not None:
            out[name] = value
    return {name: out[name] for name in FIELDS if out.get(name) is not None}


def _utc_iso(created: float) -> str:
    return (
        datetime.fromtimestamp(created, UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


class JsonFormatter(logging.Formatter):
    """One JSON object per line; an exception's traceback goes in ``exc``."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _utc_iso(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update(_fields(record))
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """For people reading a terminal: time, level, logger, message, then key=value."""

    def format(self, record: logging.LogRecord) -> str:
        fields = _fields(record)
        tail = " ".join(f"{k}={v}" for k, v in fields.items() if k not in ("method", "path"))
        text = f"{_utc_iso(record.created)} {record.levelname:<7} {record.name}: "
        text += record.getMessage() + (f"  [{tail}]" if tail else "")
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def formatter(fmt: str) -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else TextFormatter()


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure(fmt: str, level: int = logging.INFO) -> logging.Handler:
    """Install (or re-use) the one root handler in format ``fmt``; idempotent, and leaves
    other handlers (a test runner's) alone."""
    if fmt not in FORMATS:
        raise ValueError(f"log format must be json or text, not {fmt!r}")
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, _HANDLER_MARK, False)), None)
    if handler is None:
        handler = _StderrHandler()
        setattr(handler, _HANDLER_MARK, True)
        root.addHandler(handler)
    handler.setFormatter(formatter(fmt))
    root.setLevel(level)
    return handler


def unconfigure() -> None:
    """Remove the handler ``configure`` installed (tests)."""
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]:
        root.removeHandler(handler)
