"""Errors the services raise; the web layer maps each kind to one HTTP status."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A refusal with a machine-readable code, a message and the field it concerns."""

    code = "error"

    def __init__(self, message: str, *, field: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        return body


class Unauthorized(ServiceError):
    """No credentials, or ones nobody issued (or that were revoked)."""

    code = "unauthorized"


class Forbidden(ServiceError):
    """Signed in, but the role may not do this."""

    code = "forbidden"


class Throttled(ServiceError):
    """Too many failed attempts: wait before trying again."""

    code = "throttled"

    def __init__(self, message: str, *, retry_after: int, field: str | None = None) -> None:
        super().__init__(message, field=field, retry_after_s=retry_after)
        self.retry_after = retry_after


class InvalidInput(ServiceError):
    code = "invalid"


class NotFound(ServiceError):
    code = "not_found"


class Conflict(ServiceError):
    code = "conflict"


class InsufficientStock(Conflict):
    code = "insufficient_stock"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


class OverReceipt(Conflict):
    code = "over_receipt"
