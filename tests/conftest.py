"""Test database set-up.

The suite runs on SQLite by default.  With WMS_TEST_DATABASE_URL set (CI sets it to
the local PostgreSQL), it runs against that database instead, and an unreachable
database is a failure, never a skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from werkzeug.datastructures import Headers

from config import load_settings
from wms import migrate
from wms.db import Database
from wms.models import Base, append_only
from wms.web.app import create_app

PG_ENV = "WMS_TEST_DATABASE_URL"


def _private_schema(url: str) -> Iterator[str]:
    """A schema of this run's own, so that runs sharing one PostgreSQL never collide."""
    schema = f"wms_test_{os.getpid()}"
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as exc:
        pytest.exit(f"{PG_ENV} is set but PostgreSQL is unreachable: {exc}", returncode=3)
    separator = "&" if "?" in url else "?"
    yield f"{url}{separator}options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    base = os.environ.get(PG_ENV)
    if base:
        schemas = _private_schema(base)
        url = next(schemas)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    migrate.upgrade(url)
    yield url
    if base:
        next(schemas, None)


def wipe(database: Database) -> None:
    """Empty every table (fast reset between tests; the schema stays)."""
    tables = list(reversed(Base.metadata.sorted_tables))
    with database.engine.begin() as conn:
        if database.dialect == "postgresql":
            # TRUNCATE fires no row triggers, so the append-only guard stays in place.
            names = ", ".join(t.name for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            with append_only.lifted(conn):
                for table in tables:
                    conn.execute(table.delete())


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    wipe(database)
    yield database
    database.dispose()


@pytest.fixture
def app(db: Database) -> Iterator[Flask]:
    settings = load_settings(database_url=db.url, secret_key="test", environment="test")
    application = create_app(settings)
    application.config["TESTING"] = True
    yield application
    application.extensions["wms.db"].dispose()


class ApiClient(FlaskClient):
    """The test client as an integration: each request carries an admin API token.

    ``X-Actor: <name>`` in a request's headers picks a token of that name instead (so
    tests can tell actors apart); a request that sends its own ``Authorization`` keeps
    it.  ``anonymous=True`` sends no token (pages signed in through the session)."""

    anonymous = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tokens: dict[str, str] = {}

    def token_for(self, name: str, role: str = "admin") -> str:
        key = f"{role}:{name}"
        if key not in self._tokens:
            from wms.services import brokers, unit_of_work

            db = self.application.extensions["wms.db"]
            self._tokens[key] = unit_of_work.run(
                db, lambda s: brokers.issue_token(s, name, role=role)
            )
        return self._tokens[key]

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if args and not isinstance(args[0], str):
            return super().open(*args, **kwargs)  # a prepared request (redirects)
        headers = Headers(kwargs.pop("headers", None) or {})
        if not self.anonymous:
            actor = headers.pop("X-Actor", None)
            if "Authorization" not in headers:
                headers["Authorization"] = f"Bearer {self.token_for(actor or 'api')}"
        return super().open(*args, headers=headers, **kwargs)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = ApiClient
    return app.test_client()


@pytest.fixture
def page_client(app: Flask) -> FlaskClient:
    """A browser-like client: no token; it signs in through the session."""
    app.test_client_class = ApiClient
    page = app.test_client()
    page.anonymous = True  # type: ignore[attr-defined]
    return page


def is_postgres(url: str) -> bool:
    return url.startswith("postgresql")
