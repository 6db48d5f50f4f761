"""Run one business operation in one transaction, retrying what concurrency may cause.

Two kinds of failure are worth a retry and nothing else is:
- a concurrent twin of the same request committed first (the idempotency key's unique
  index refused ours): the retry finds its result and answers the same; likewise a
  concurrent reversal of the same operation: the retry says it is already reversed;
- two writers took the same next document number (services.numbering) or received the
  same order at once: the retry takes the following number, or finds the order;
- PostgreSQL aborted us as a deadlock victim or for a serialisation failure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session

from wms.db import Database

T = TypeVar("T")

_RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization_failure, deadlock_detected


def _is_retryable(exc: DBAPIError) -> bool:
    text = str(exc.orig)
    if isinstance(exc, IntegrityError):
        # A twin request, or a twin reversal, committed first: the retry answers as it did.
        return any(
            mark in text
            for mark in ("idempotency_key", "reverses_operation_id", ".number", "_number")
        )
    return getattr(exc.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES


def run(db: Database, operation: Callable[[Session], T], *, attempts: int = 4) -> T:
    for attempt in range(1, attempts + 1):
        try:
            with db.transaction() as session:
                return operation(session)
        except DBAPIError as exc:
            if attempt == attempts or not _is_retryable(exc):
                raise
    raise AssertionError("unreachable")
