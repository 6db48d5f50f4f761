"""Test database set-up.

The suite runs on SQLite by default.  With WMS_TEST_DATABASE_URL set (CI sets it to
the local PostgreSQL), it runs against that database instead, and an unreachable
database is a failure, never a skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

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


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def is_postgres(url: str) -> bool:
    return url.startswith("postgresql")
