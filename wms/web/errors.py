"""Errors as JSON naming the field (API) or as a short page; never a 500 for bad input."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, request
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from wms.services.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    ServiceError,
    Unauthorized,
)
from wms.services.inputs import field_path

log = logging.getLogger(__name__)

STATUS = {InvalidInput: 422, NotFound: 404, Conflict: 409, Unauthorized: 401}
# Service fields that reach the API as HTTP headers.
HEADER_FIELDS = {"idempotency_key": "Idempotency-Key"}


def error_response(status: int, body: dict[str, Any]) -> tuple[Response, int]:
    return jsonify({"error": body}), status


def validation_body(exc: ValidationError, prefix: str = "") -> dict[str, Any]:
    problems = [
        {"field": prefix + field_path(err["loc"]), "message": err["msg"]}
        for err in exc.errors(include_url=False, include_context=False, include_input=False)
    ]
    first = problems[0]
    return {
        "code": "invalid",
        "message": f"{first['field']}: {first['message']}",
        "field": first["field"],
        "details": problems,
    }


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError) -> tuple[Response, int]:
        status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)
        body = exc.as_dict()
        if body.get("field") in HEADER_FIELDS:
            body["field"] = HEADER_FIELDS[body["field"]]
        return error_response(status, body)

    @app.errorhandler(ValidationError)
    def _validation_error(exc: ValidationError) -> tuple[Response, int]:
        return error_response(422, validation_body(exc))

    @app.errorhandler(IntegrityError)
    def _integrity_error(exc: IntegrityError) -> tuple[Response, int]:
        # The database's own constraints are the last line of defence; reaching one
        # means a rule the services missed, so it is logged as well as refused.
        log.error("database constraint refused a change: %s", exc.orig)
        return error_response(
            409,
            {"code": "conflict", "message": "the database refused the change as inconsistent"},
        )

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        if not request.path.startswith("/api/"):
            return exc
        body = {
            "code": (exc.name or "error").lower().replace(" ", "_"),
            "message": exc.description or exc.name,
        }
        response, status = error_response(exc.code or 500, body)
        # Keep what the exception says about itself, e.g. Allow on a 405.
        for name, value in exc.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response, status
