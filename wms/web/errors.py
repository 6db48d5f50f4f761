"""Errors as JSON naming the field (API) or as a short page; never a 500 for bad input."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import lazy_gettext
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from wms.services.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    ServiceError,
    Throttled,
    Unauthorized,
)
from wms.services.inputs import field_path
from wms.web import db_errors

log = logging.getLogger(__name__)

STATUS = {
    InvalidInput: 422,
    NotFound: 404,
    Conflict: 409,
    Unauthorized: 401,
    Forbidden: 403,
    Throttled: 429,
}
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


PAGE_TITLES = {
    401: lazy_gettext("Please sign in"),
    403: lazy_gettext("Not allowed"),
    404: lazy_gettext("Not found"),
    409: lazy_gettext("Refused"),
    422: lazy_gettext("Refused"),
    429: lazy_gettext("Too many attempts"),
}


def error_page(exc: ServiceError, status: int) -> tuple[str, int]:
    """The HTML answer of a page: the service's message, naming the field."""
    message = f"{exc.field}: {exc.message}" if exc.field else exc.message
    title = PAGE_TITLES.get(status, lazy_gettext("Refused"))
    return render_template("error.html", title=title, message=message), status


def register_error_handlers(app: Flask) -> None:
    db_errors.register(app)  # a lost database connection: 503, never a 500

    @app.errorhandler(ServiceError)
    def _service_error(exc: ServiceError) -> Any:
        status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)
        if not request.path.startswith("/api/"):
            return error_page(exc, status)
        body = exc.as_dict()
        if body.get("field") in HEADER_FIELDS:
            body["field"] = HEADER_FIELDS[body["field"]]
        response, status = error_response(status, body)
        if isinstance(exc, Throttled):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response, status

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
