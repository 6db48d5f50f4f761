"""Command line: `flask --app wsgi db upgrade|downgrade|current`, `flask --app wsgi demo load`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from config import Settings
from wms import migrate
from wms.db import Database

db_cli = AppGroup("db", help="Schema migrations (Alembic).")
demo_cli = AppGroup("demo", help="Demonstration data.")
scheduler_cli = AppGroup("scheduler", help="The scheduled-jobs process.")
loans_cli = AppGroup("loans", help="Display-only stock loans.")


def _settings() -> Settings:
    return current_app.extensions["wms.settings"]  # type: ignore[no-any-return]


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Bring the schema up to REVISION (default: the latest)."""
    migrate.upgrade(_settings().database_url, revision)
    click.echo(f"database at {migrate.current_revision(_settings().database_url)}")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Take the schema down to REVISION ('base' removes every table)."""
    migrate.downgrade(_settings().database_url, revision)
    click.echo(f"database at {migrate.current_revision(_settings().database_url) or 'base'}")


@db_cli.command("current")
def db_current() -> None:
    """Show the schema revision of the database and the latest one available."""
    url = _settings().database_url
    click.echo(f"database: {migrate.current_revision(url) or 'base'}")
    click.echo(f"latest:   {migrate.head_revision(url)}")


@demo_cli.command("load")
def demo_load() -> None:
    """Load the demo warehouse, products and two received declarations (once)."""
    from wms import demo

    database: Database = current_app.extensions["wms.db"]
    summary = demo.load(database, progress=lambda msg: click.echo(msg))
    click.echo(summary)


@scheduler_cli.command("run")
def scheduler_run() -> None:
    """Run the scheduled jobs until stopped (one process; not inside gunicorn)."""
    from wms.jobs import JOBS, build_scheduler

    database: Database = current_app.extensions["wms.db"]
    click.echo(f"scheduler: {', '.join(JOBS)}")
    build_scheduler(database).start()


@loans_cli.command("mark-overdue")
def loans_mark_overdue() -> None:
    """Flag overdue loans now (what the hourly job does)."""
    from wms.jobs import overdue_loans

    marked = overdue_loans(current_app.extensions["wms.db"])
    click.echo(f"overdue: {', '.join(marked) if marked else 'none newly'}")


def register_cli(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(scheduler_cli)
    app.cli.add_command(loans_cli)
