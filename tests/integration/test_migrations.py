"""The schema comes from the migrations only, and they agree with the models."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from tests.conftest import PG_ENV
from wms import migrate
from wms.db import make_engine
from wms.models import Base


@pytest.fixture
def empty_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the kind under test (a private PostgreSQL schema)."""
    base = os.environ.get(PG_ENV)
    if not base:
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    schema = f"wms_migrations_{os.getpid()}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    admin.dispose()


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_the_models_and_the_migrations_agree(empty_url: str):
    migrate.upgrade(empty_url)
    engine = make_engine(empty_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_upgrade_downgrade_to_base_and_upgrade_again(empty_url: str):
    migrate.upgrade(empty_url)
    assert migrate.current_revision(empty_url) == migrate.head_revision(empty_url)
    assert {"moves", "quants", "account_book_lines"} <= tables(empty_url)

    migrate.downgrade(empty_url, "base")
    assert migrate.current_revision(empty_url) is None
    assert tables(empty_url) <= {"alembic_version"}

    migrate.upgrade(empty_url)
    assert migrate.current_revision(empty_url) == migrate.head_revision(empty_url)


def test_the_cli_upgrades_reports_and_downgrades(empty_url: str):
    from config import load_settings
    from wms.web.app import create_app

    app = create_app(load_settings(database_url=empty_url, secret_key="test"))
    runner = app.test_cli_runner()

    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    head = migrate.head_revision(empty_url)
    assert f"database at {head}" in result.output

    result = runner.invoke(args=["db", "current"])
    assert result.exit_code == 0
    assert f"database: {head}" in result.output

    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    assert "database at base" in result.output
    assert "moves" not in tables(empty_url)
