"""The application factory."""

from __future__ import annotations

from flask import Flask

from config import Settings, load_settings
from wms.cli import register_cli
from wms.db import Database
from wms.web.api import api
from wms.web.errors import register_error_handlers
from wms.web.pages import pages
from wms.web.portal import portal


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or load_settings()
    app = Flask(__name__)
    app.config.update(SECRET_KEY=settings.secret_key, JSON_SORT_KEYS=False)
    # The broker portal keeps its token in the session cookie: no script reads it, and
    # no other site's form or link (beyond a top-level GET) carries it.
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["wms.settings"] = settings
    app.extensions["wms.db"] = Database(settings.database_url, echo=settings.sql_echo)
    app.register_blueprint(api, url_prefix="/api/v1")
    app.register_blueprint(pages)
    app.register_blueprint(portal)
    register_error_handlers(app)
    register_cli(app)
    return app
