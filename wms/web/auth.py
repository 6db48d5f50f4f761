"""Who is calling: bearer tokens for integrations and customs brokers.

Sign-in for people arrives with the screens; until then the customs API and the broker
portal are authorised by tokens (``services.brokers``).  The portal keeps the token it
was given in the signed session cookie, so a browser need not send headers.
"""

from __future__ import annotations

from flask import request, session

from wms.services import brokers
from wms.services.brokers import Principal
from wms.services.errors import Unauthorized
from wms.web.context import database

SESSION_KEY = "portal_token"


def bearer_principal() -> Principal:
    """The principal of the request's ``Authorization: Bearer`` token, or 401."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(
            "send an API token: Authorization: Bearer <token>", field="Authorization"
        )
    return _principal(token.strip(), field="Authorization")


def portal_principal() -> Principal | None:
    """The principal the portal session was opened with, if still valid."""
    token = session.get(SESSION_KEY)
    if not token:
        return None
    with database().reading() as s:
        return brokers.authenticate(s, token)


def _principal(token: str, *, field: str) -> Principal:
    with database().reading() as s:
        principal = brokers.authenticate(s, token)
    if principal is None:
        raise Unauthorized("this token is unknown or revoked", field=field)
    return principal
