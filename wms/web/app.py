"""The application factory."""

from __future__ import annotations

from flask import Flask, Response, request

from config import Settings, load_settings
from wms.cli import register_cli
from wms.db import Database
from wms.web import auth, i18n, openapi
from wms.web.api import api
from wms.web.dashboard import dashboard
from wms.web.errors import register_error_handlers
from wms.web.health import init_app as init_operations
from wms.web.pages import pages
from wms.web.people import people_pages
from wms.web.portal import portal
from wms.web.scanner import scanner

# Scripts and styles only from files this server serves: an injected <script> or
# inline handler does not run.  Charts are inline SVG, which needs nothing more.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def _security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or load_settings()
    app = Flask(__name__)
    if not settings.is_development:
        if settings.secret_key_generated or len(settings.secret_key) < 32:
            raise RuntimeError("SECRET_KEY must be set (32 characters or more) outside development")
        if settings.data_key_generated:
            raise RuntimeError(
                "WMS_DATA_KEY must be set outside development (the same on every server)"
            )
    app.config.update(SECRET_KEY=settings.secret_key, JSON_SORT_KEYS=False)
    # The session cookie says who signed in: no script reads it, no other site's form or
    # link (beyond a top-level GET) carries it, and outside development only HTTPS does.
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=not settings.is_development,
        SESSION_COOKIE_NAME="wms_session",
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["wms.settings"] = settings
    app.extensions["wms.db"] = Database(settings.database_url, echo=settings.sql_echo)
    i18n.init_app(app)
    app.before_request(auth.guard)
    app.register_blueprint(api, url_prefix="/api/v1")
    openapi.init_app(app)  # GET /api/v1/openapi.json
    app.register_blueprint(people_pages)
    app.register_blueprint(pages)
    app.register_blueprint(portal)
    app.register_blueprint(dashboard)
    app.register_blueprint(scanner)
    init_operations(app)  # /healthz, /readyz, X-Request-Id, the request log
    app.after_request(_security_headers)
    register_error_handlers(app)
    register_cli(app)
    return app
