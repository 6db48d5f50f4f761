"""Who is calling, and may they: sessions for people, bearer tokens for machines.

Every request passes ``guard`` (registered on the app): it finds the principal (an
``Authorization: Bearer`` token, or the signed session cookie of a person who signed
in), ends sessions idle for too long (sooner on shared handhelds), checks the CSRF token
of every cookie-authenticated form or script POST, and checks the view's roles
(``access``).  Views that declare no roles are refused to everybody.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid

from flask import Response, current_app, g, redirect, request, session, url_for

from config import Settings
from wms.services import audit, brokers, people
from wms.services.brokers import Principal
from wms.services.errors import Forbidden, Unauthorized
from wms.web import access
from wms.web.context import database

USER_KEY = "uid"
VERSION_KEY = "ver"
SEEN_KEY = "seen"
CSRF_KEY = "csrf"
LOCALE_KEY = "locale"
ENDED_KEY = "ended"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_TOKEN = 200
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


# --- who is calling ------------------------------------------------------------------------


def current_principal() -> Principal | None:
    return g.get("principal")


def require_principal() -> Principal:
    principal = current_principal()
    if principal is None:
        raise Unauthorized("sign in, or send an API token: Authorization: Bearer <token>")
    return principal


def _token_principal(header: str) -> Principal:
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized(
            "send an API token: Authorization: Bearer <token>", field="Authorization"
        )
    principal = None
    if len(token) <= MAX_TOKEN:
        with database().reading() as s:
            principal = brokers.authenticate(s, token)
    if principal is None:
        raise Unauthorized("this token is unknown or revoked", field="Authorization")
    return principal


def _settings() -> Settings:
    return current_app.extensions["wms.settings"]  # type: ignore[no-any-return]


def idle_limit_s(role: str) -> int:
    settings = _settings()
    minutes = settings.handheld_idle_minutes if role == access.STAFF else settings.idle_minutes
    return minutes * 60


def _session_principal() -> Principal | None:
    user_id = session.get(USER_KEY)
    if not isinstance(user_id, int):
        return None
    with database().reading() as s:
        principal = people.session_principal(s, user_id, int(session.get(VERSION_KEY, 0)))
    now = int(time.time())
    seen = int(session.get(SEEN_KEY, 0))
    if principal is None or now - seen > idle_limit_s(principal.role):
        end_session(keep_locale=True)
        if principal is not None:  # timed out, not signed out: the sign-in page says so
            session[ENDED_KEY] = True
        return None
    if now - seen >= 30:  # refresh the idle clock without rewriting every response
        session[SEEN_KEY] = now
    return principal


# --- sessions and CSRF -----------------------------------------------------------------------


def start_session(principal: Principal, version: int, locale: str | None) -> None:
    """A fresh session at sign-in: nothing carried over, a new CSRF token."""
    keep = locale or session.get(LOCALE_KEY)
    session.clear()
    session[USER_KEY] = principal.user_id
    session[VERSION_KEY] = version
    session[SEEN_KEY] = int(time.time())
    session[CSRF_KEY] = secrets.token_urlsafe(32)
    if keep:
        session[LOCALE_KEY] = keep


def end_session(*, keep_locale: bool = False) -> None:
    locale = session.get(LOCALE_KEY)
    session.clear()
    if keep_locale and locale:
        session[LOCALE_KEY] = locale


def csrf_token() -> str:
    """The session's CSRF token, created on first use."""
    token = session.get(CSRF_KEY)
    if not token:
        token = session[CSRF_KEY] = secrets.token_urlsafe(32)
    return str(token)


def _csrf_ok() -> bool:
    expected = str(session.get(CSRF_KEY, ""))
    sent = request.headers.get(CSRF_HEADER) or request.form.get(CSRF_FIELD, "")
    return bool(expected) and secrets.compare_digest(sent.encode(), expected.encode())


# --- the guard ---------------------------------------------------------------------------------


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def audit_context() -> audit.Context:
    principal = current_principal()
    return audit.Context(
        principal.actor if principal else "anonymous",
        principal.role if principal else None,
        request.remote_addr,
        g.get("request_id"),
    )


def _refuse(message: str, *, field: str | None = None) -> Forbidden:
    """A refusal worth remembering: written to the audit log before it is raised."""
    with database().transaction() as s:
        details = {"method": request.method, "reason": message}
        audit.record(
            s,
            audit_context(),
            request.endpoint or "?",
            request.path[:200],
            outcome=audit.REFUSED,
            details=details,
        )
    return Forbidden(message, field=field)


def guard() -> Response | None:
    sent_id = request.headers.get("X-Request-Id", "")
    g.request_id = sent_id if _REQUEST_ID.match(sent_id) else uuid.uuid4().hex
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or request.endpoint == "static":
        return None  # a 404 or 405 follows, or a static file anyone may fetch
    header = request.headers.get("Authorization", "")
    by_token = bool(header)
    g.principal = _token_principal(header) if by_token else _session_principal()
    if not access.is_public(view) and g.principal is None:
        if is_api_request():
            raise Unauthorized(
                "sign in, or send an API token: Authorization: Bearer <token>",
                field="Authorization",
            )
        return redirect(url_for("people.sign_in_form", next=_here()))
    if not by_token and request.method not in SAFE_METHODS and not _csrf_ok():
        raise _refuse(
            "the form has expired or did not come from this site: reload the page",
            field=CSRF_FIELD,
        )
    if access.is_public(view):
        return None
    roles = access.roles_of(view)
    if roles is None or g.principal.role not in roles:
        raise _refuse(f"a {g.principal.role} may not do this")
    return None


def _here() -> str:
    query = request.query_string.decode()
    return request.path + (f"?{query}" if query else "")


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site: never an open redirect."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and len(target) <= 500
    ):
        return target
    return default
