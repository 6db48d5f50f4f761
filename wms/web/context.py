"""What a request handler needs from the application: the database, the actor."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import current_app, g, request
from sqlalchemy.orm import Session

from wms.db import Database
from wms.services import audit, unit_of_work
from wms.services.errors import InvalidInput, Unauthorized

T = TypeVar("T")


def database() -> Database:
    return current_app.extensions["wms.db"]  # type: ignore[no-any-return]


def write(operation: Callable[[Session], T]) -> T:
    """Run a business operation in its own transaction (with the safe retries); its
    audit-log entry is written in the same transaction."""
    principal = g.get("principal")
    if principal is None:  # anonymous (a display-tag scan): nothing to attribute
        return unit_of_work.run(database(), operation)
    context = audit.Context(
        principal.actor, principal.role, request.remote_addr, g.get("request_id")
    )
    details = {"method": request.method}
    key = request.headers.get("Idempotency-Key", "").strip()
    if key:
        details["idempotency_key"] = key[:128]
    # Scanner pages say whether a code was scanned or typed by hand (a typed code is a
    # weaker proof that the right thing was in front of the person).
    entry = request.headers.get("X-Scan-Entry", "").strip().lower()
    if entry in ("typed", "scanned"):
        details["entry"] = entry

    def audited(session: Session) -> T:
        result = operation(session)
        audit.record(session, context, request.endpoint or "?", request.path, details=details)
        return result

    return unit_of_work.run(database(), audited)


def actor() -> str:
    """Who to record on what the request changes: the signed-in person or the token."""
    principal = g.get("principal")
    if principal is None:
        raise Unauthorized("sign in, or send an API token: Authorization: Bearer <token>")
    return str(principal.actor)


def idempotency_key() -> str:
    key = request.headers.get("Idempotency-Key", "").strip()
    if not key:
        raise InvalidInput(
            "stock operations need an Idempotency-Key header so that retries post once",
            field="Idempotency-Key",
        )
    if len(key) > 128:
        raise InvalidInput(
            "the idempotency key is longer than 128 characters", field="Idempotency-Key"
        )
    return key
