"""What a request handler needs from the application: the database, the actor."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import current_app, request
from sqlalchemy.orm import Session

from wms.db import Database
from wms.services import unit_of_work
from wms.services.errors import InvalidInput

T = TypeVar("T")


def database() -> Database:
    return current_app.extensions["wms.db"]  # type: ignore[no-any-return]


def write(operation: Callable[[Session], T]) -> T:
    """Run a business operation in its own transaction (with the safe retries)."""
    return unit_of_work.run(database(), operation)


def actor() -> str:
    # Until sign-in and API tokens land, integrations name themselves in X-Actor.
    name = request.headers.get("X-Actor", "api").strip() or "api"
    if len(name) > 64:
        raise InvalidInput("the actor name is longer than 64 characters", field="X-Actor")
    return name


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
