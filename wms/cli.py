"""Command line: `flask --app wsgi db upgrade|downgrade|current`, `flask --app wsgi demo load`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Session

from config import Settings
from wms import migrate
from wms.db import Database

T = TypeVar("T")

db_cli = AppGroup("db", help="Schema migrations (Alembic).")
demo_cli = AppGroup("demo", help="Demonstration data.")
scheduler_cli = AppGroup("scheduler", help="The scheduled-jobs process.")
loans_cli = AppGroup("loans", help="Display-only stock loans.")
orders_cli = AppGroup("orders", help="Consumer orders: import from files, allocate.")
plans_cli = AppGroup("plans", help="Courier plans: run the planner, commit a plan.")
tokens_cli = AppGroup("tokens", help="API and broker-portal tokens.")
brokers_cli = AppGroup("brokers", help="Customs brokers and the merchants they act for.")
merchants_cli = AppGroup("merchants", help="Merchants (e-commerce companies) and their channels.")
users_cli = AppGroup("users", help="People who sign in: accounts, roles, passwords.")
ROLE_CHOICE = click.Choice(["staff", "planner", "broker", "admin"])


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
@click.option("--force", is_flag=True, help="Load even outside development (public passwords).")
def demo_load(force: bool) -> None:
    """Load the demo warehouse, products and two received declarations (once), and one
    user per role with the passwords the README lists."""
    from wms import demo

    if not _settings().is_development and not force:
        raise click.ClickException(
            "the demo has users with public passwords: it loads in development only "
            "(WMS_ENV=development), or with --force"
        )
    database: Database = current_app.extensions["wms.db"]
    summary = demo.load(database, progress=lambda msg: click.echo(msg))
    click.echo(summary)


@scheduler_cli.command("run")
def scheduler_run() -> None:
    """Run the scheduled jobs until stopped (SIGTERM or Ctrl-C).  Start it as its own
    process, never inside gunicorn.  Several may be started: one is active (it holds the
    database's scheduler lock), the others wait as standbys and take over when it dies."""
    import logging
    import signal
    import threading

    from wms import jobs, scheduler_lock

    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    for name in ("wms.jobs", "wms.scheduler_lock"):
        logging.getLogger(name).setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    settings = _settings()
    database: Database = current_app.extensions["wms.db"]
    try:
        jobs.configured_jobs(settings.scheduler)
        scheduler_lock.lock_for(database.url)  # a database the lock can live in
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    stop = threading.Event()

    def on_signal(_signum: int, _frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    jobs.serve(database, settings, stop=stop)


@scheduler_cli.command("run-once")
@click.argument("job")
def scheduler_run_once(job: str) -> None:
    """Run JOB now, once, recorded as a manual run (whatever the scheduler is doing:
    every job is safe to run twice).  Exit code 1 if it fails."""
    from wms import jobs

    if job not in jobs.DEFINITIONS:
        raise click.BadParameter(f"the jobs are {', '.join(jobs.DEFINITIONS)}", param_hint="JOB")
    result = jobs.run_job(
        current_app.extensions["wms.db"],
        _settings(),
        job,
        slot=jobs.manual_slot(datetime.now(UTC)),
        trigger="manual",
    )
    click.echo(f"{job}: {result.outcome}: {result.summary or ''}".rstrip(": "))
    if result.outcome == "failed":
        raise SystemExit(1)


@scheduler_cli.command("status")
def scheduler_status() -> None:
    """Which runner is active (holds the lock), and each job's schedule and last run."""
    from wms import jobs, scheduler_lock
    from wms.services import job_runs

    database: Database = current_app.extensions["wms.db"]
    settings = _settings()
    holder = scheduler_lock.holder(database.url)
    if holder is None:
        click.echo("active runner: none (no scheduler holds the lock)")
    else:
        since = f" since {holder.since:%Y-%m-%d %H:%M:%S %Z}" if holder.since else ""
        click.echo(f"active runner: {holder.runner}{since} ({holder.detail})")
    now = datetime.now(UTC)
    configured = jobs.configured_jobs(settings.scheduler)
    with database.reading() as s:
        last = {
            name: f"last {run.started_at:%Y-%m-%d %H:%M:%S} UTC {run.outcome} on {run.runner}"
            + (f": {run.summary}" if run.summary else "")
            for name, run in job_runs.last_runs(s, list(jobs.DEFINITIONS)).items()
        }
    for name in jobs.DEFINITIONS:
        if name in configured:
            trigger = configured[name][1]
            nxt = trigger.get_next_fire_time(None, now)
            when = f"{trigger}, next {nxt:%Y-%m-%d %H:%M:%S} UTC" if nxt else str(trigger)
        else:
            when = "not scheduled"
        click.echo(f"{name}: {when}; {last.get(name, 'never run')}")


@loans_cli.command("mark-overdue")
def loans_mark_overdue() -> None:
    """Flag overdue loans now (what the hourly job does)."""
    from wms.jobs import overdue_loans

    marked = overdue_loans(current_app.extensions["wms.db"])
    click.echo(f"overdue: {', '.join(marked) if marked else 'none newly'}")


_IMPORT_HELP = """Receive the orders of FILE (CSV or JSON), each in its own transaction.

\b
CSV: a header row, then one row per order line; the order's own columns are
repeated on each of its rows (they must agree).  Columns (comma-separated):
  channel, order_number, flow (bonded_import | export | domestic | direct_mail),
  warehouse, currency (default CNY), freight, insurance,
  consignee_name, consignee_id_type (resident_id | passport | other),
  consignee_id_number, consignee_phone, consignee_country (ISO 3166, e.g. CN),
  consignee_province, consignee_city, consignee_district, consignee_address,
  consignee_postcode, payment_number, payer_name, payer_id_number, paid_amount,
  paid_at (ISO 8601 with a time zone), then per line: sku (or GTIN), quantity,
  unit_price, discount.  Money has at most two decimals.
JSON: a list of orders in the shape POST /api/v1/orders takes.

\b
Encoding: UTF-8; UTF-8 or UTF-16 with a byte-order mark; GB18030/GBK only with
--encoding gb18030.  The whole file is refused (exit 2, nothing imported) when it
is over 64 MiB or 500,000 lines, has a line over 8,192 characters, bytes that
cannot be decoded (line and byte offset named), a NUL character, broken quoting,
or an unknown, missing, repeated or unnamed column.  One order is refused (its
lines and column named) for a row with the wrong number of cells, a cell over
1,000 characters, or a cell starting with = + - @ (a spreadsheet formula; a
phone number may start with +).

\b
Re-importing a file creates nothing twice (channel + order number identify an
order).  Exit code 0 when every order is accepted, 1 when some are refused,
2 when the file cannot be read.
"""


@orders_cli.command("import", help=_IMPORT_HELP)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default=None)
@click.option(
    "--encoding",
    type=click.Choice(["utf-8", "utf-16", "gb18030"]),
    default=None,
    help="The file's encoding when it has no byte-order mark (default: UTF-8); "
    "gb18030 also reads GBK, what Excel on Chinese Windows saves as CSV.",
)
@click.option(
    "--actor", default="import", show_default=True, help="Who the orders are received by."
)
def orders_import(file: Path, fmt: str | None, encoding: str | None, actor: str) -> None:
    from wms.services import order_import

    try:
        found = order_import.open_orders(
            file,
            fmt or order_import.guess_format(file.name),  # type: ignore[arg-type]
            encoding=encoding,  # type: ignore[arg-type]
        )
    except (OSError, order_import.UnreadableFile) as exc:
        click.echo(f"{file}: cannot read orders: {exc}", err=True)
        raise SystemExit(2) from None
    database: Database = current_app.extensions["wms.db"]
    summary = order_import.Summary()
    stopped: Exception | None = None
    with click.progressbar(length=found.count, label=f"receiving {found.count} orders") as bar:
        try:
            for outcome in order_import.receive_stream(database, found, actor=actor[:64]):
                summary.add(outcome)
                bar.update(1)
        except (OSError, order_import.UnreadableFile) as exc:  # the file changed meanwhile
            stopped = exc
    for line in summary.lines():
        click.echo(line)
    if stopped is not None:
        click.echo(f"{file}: stopped reading orders: {stopped}", err=True)
        raise SystemExit(2)
    raise SystemExit(1 if summary.refused else 0)


@orders_cli.command("allocate")
@click.argument("order_ids", nargs=-1, type=click.IntRange(min=1))
@click.option(
    "--all-received", is_flag=True, help="Every received order and every order held for stock."
)
@click.option("--batch-size", default=100, show_default=True, type=click.IntRange(1, 1000))
@click.option("--actor", default="planner", show_default=True)
def orders_allocate(
    order_ids: tuple[int, ...], all_received: bool, batch_size: int, actor: str
) -> None:
    """Reserve stock (FEFO, all or nothing per order), one transaction per batch."""
    from wms.services import allocation, order_queries, unit_of_work

    database: Database = current_app.extensions["wms.db"]
    ids = list(order_ids)
    if all_received:
        with database.reading() as session:
            ids += order_queries.allocatable_ids(session)
    if not ids:
        raise click.UsageError("name order ids or pass --all-received")
    ids = sorted(set(ids))
    counts = {"allocated": 0, "on hold": 0, "skipped": 0}
    held: list[str] = []
    with click.progressbar(length=len(ids), label=f"allocating {len(ids)} orders") as bar:
        for start in range(0, len(ids), batch_size):
            batch = ids[start : start + batch_size]
            outcomes = unit_of_work.run(
                database, lambda s, b=batch: allocation.allocate_orders(s, b, actor=actor[:64])
            )
            for outcome in outcomes:
                if outcome.note:
                    counts["skipped"] += 1
                elif outcome.missing:
                    counts["on hold"] += 1
                    short = ", ".join(f"{m['sku']} {m['missing']}" for m in outcome.missing)
                    held.append(f"  order {outcome.order_number}: short of {short}")
                else:
                    counts["allocated"] += 1
            bar.update(len(batch))
    click.echo(", ".join(f"{name} {n}" for name, n in counts.items()))
    for line in held:
        click.echo(line)


@plans_cli.command("run")
@click.option("--warehouse", help="Warehouse code (default: the only warehouse).")
@click.option(
    "--time-limit",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.1, 60.0),
    help="Seconds the solver may take.",
)
@click.option("--commit", is_flag=True, help="Commit the plan: plan its assigned orders.")
@click.option("--actor", default="planner", show_default=True)
def plans_run(warehouse: str | None, time_limit: float, commit: bool, actor: str) -> None:
    """Choose a courier service for every allocated order of a warehouse, at least cost."""
    from sqlalchemy import select

    from wms.models import Warehouse
    from wms.services import planning, unit_of_work
    from wms.services.errors import ServiceError

    database: Database = current_app.extensions["wms.db"]
    if warehouse is None:
        with database.reading() as session:
            codes = list(session.scalars(select(Warehouse.code).limit(2)))
        if len(codes) != 1:
            raise click.UsageError("name the warehouse with --warehouse CODE")
        warehouse = codes[0]
    try:
        services = planning.courier_services(_settings().courier_services_path)
        click.echo(f"planning {warehouse} ({len(services)} courier services, <= {time_limit:g} s)")
        number = planning.plan_warehouse(
            database, warehouse, actor=actor[:64], time_limit_s=time_limit, services=services
        )
        if commit:
            unit_of_work.run(database, lambda s: planning.commit_plan(s, number, actor=actor[:64]))
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None
    with database.reading() as session:
        view = planning.plan_view(session, planning.plan_by_number(session, number))
    for line in _plan_lines(view):
        click.echo(line)


def _plan_lines(view: dict[str, object]) -> list[str]:
    shop = view["rate_shopping"]
    assert isinstance(shop, dict)
    currency = view["currency"]
    reasons = view["unassigned_by_reason"]
    assert isinstance(reasons, dict)
    saving_pct = "" if shop["saving_pct"] is None else f" ({shop['saving_pct']} %)"
    lines = [
        f"plan {view['number']}: {view['parcels']} parcels, {view['assigned']} assigned, "
        f"status {view['status']}, {view['seconds']} s",
        f"cost           {view['cost']} {currency}",
        f"lower bound    {view['bound']} {currency} (gap {view['gap_pct']} %)",
        f"rate shopping  {shop['cost']} {currency} ({shop['unassigned']} left without room)",
        f"saving         {shop['saving']} {currency}{saving_pct}",
        "unassigned     "
        + (", ".join(f"{reason} {n}" for reason, n in reasons.items()) if reasons else "none"),
    ]
    if view["committed_at"]:
        lines.append(f"committed by {view['committed_by']}: {view['assigned']} orders planned")
    return lines


def _customs_records(operation: Callable[[Session], T]) -> T:
    """One transaction; a refusal is a one-line error (exit code 1), not a traceback."""
    from wms.services import unit_of_work
    from wms.services.errors import ServiceError

    try:
        return unit_of_work.run(current_app.extensions["wms.db"], operation)
    except ServiceError as exc:
        raise click.ClickException(exc.message) from None


@tokens_cli.command("issue")
@click.argument("name")
@click.option("--broker", "broker_code", help="Broker code: the token sees its merchants only.")
@click.option(
    "--role",
    type=ROLE_CHOICE,
    help="What the token may do: staff (scanners), planner, admin (integrations; the "
    "default), broker (with --broker, implied by it).",
)
def tokens_issue(name: str, broker_code: str | None, role: str | None) -> None:
    """Issue an API token named NAME.  The token is printed once: only its hash is kept."""
    from wms.services import brokers

    def issue(s: Session) -> tuple[int, str, str]:
        token = brokers.issue_token(s, name, broker_code=broker_code, role=role)
        principal = brokers.authenticate(s, token)
        assert principal is not None and principal.token_id is not None
        return principal.token_id, token, principal.role

    token_id, token, granted = _customs_records(issue)
    scope = f"broker {broker_code}" if broker_code else "every merchant"
    click.echo(f"token {token_id} ({name}, role {granted}, {scope}):")
    click.echo(token)
    click.echo("Store it now: it is not shown again. Send it as Authorization: Bearer <token>.")


@tokens_cli.command("revoke")
@click.argument("token_id", type=click.IntRange(min=1))
def tokens_revoke(token_id: int) -> None:
    """Revoke token TOKEN_ID (its id as `tokens issue` or `tokens list` shows it)."""
    from wms.services import brokers

    _customs_records(lambda s: brokers.revoke_token(s, token_id))
    click.echo(f"token {token_id} revoked")


@tokens_cli.command("list")
def tokens_list() -> None:
    """Tokens by id, name, role, broker and state (never the tokens themselves)."""
    from sqlalchemy import select

    from wms.models import ApiToken, BrokerOrganisation

    database: Database = current_app.extensions["wms.db"]
    with database.reading() as s:
        rows = s.execute(
            select(ApiToken, BrokerOrganisation.code)
            .outerjoin(BrokerOrganisation, BrokerOrganisation.id == ApiToken.broker_id)
            .order_by(ApiToken.id)
        ).all()
        for token, broker in rows:
            state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
            click.echo(f"{token.id}\t{token.name}\t{token.role}\t{broker or '-'}\t{state}")


@brokers_cli.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--customs-code", help="The brokerage's customs registration code.")
def brokers_add(code: str, name: str, customs_code: str | None) -> None:
    """Add the customs broker CODE called NAME."""
    from wms.services import brokers

    _customs_records(lambda s: brokers.create_broker(s, code, name, customs_code=customs_code))
    click.echo(f"broker {code} added")


@brokers_cli.command("mandate")
@click.argument("broker")
@click.argument("merchant")
def brokers_mandate(broker: str, merchant: str) -> None:
    """Let BROKER act for MERCHANT: it sees that merchant's declarations."""
    from wms.services import brokers

    _customs_records(lambda s: brokers.grant_mandate(s, broker, merchant))
    click.echo(f"broker {broker} acts for merchant {merchant}")


@merchants_cli.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--customs-code", help="The e-commerce company's customs code (ebcCode).")
def merchants_add(code: str, name: str, customs_code: str | None) -> None:
    """Add the merchant CODE called NAME."""
    from wms.services import brokers

    _customs_records(lambda s: brokers.create_merchant(s, code, name, customs_code=customs_code))
    click.echo(f"merchant {code} added")


@merchants_cli.command("channel")
@click.argument("channel")
@click.argument("merchant")
def merchants_channel(channel: str, merchant: str) -> None:
    """Give sales channel CHANNEL to MERCHANT: its orders' declarations are the merchant's."""
    from wms.services import brokers

    _customs_records(lambda s: brokers.assign_channel(s, channel, merchant))
    click.echo(f"channel {channel} belongs to merchant {merchant}")


def _new_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


def _people(operation: Callable[[Session], T], action: str, target: str) -> T:
    """One transaction with its audit entry (the CLI acts as the operating-system user)."""
    import getpass

    from wms.services import audit

    context = audit.Context(f"cli:{getpass.getuser()}"[:64], "admin")

    def audited(s: Session) -> T:
        result = operation(s)
        audit.record(s, context, action, target)
        return result

    return _customs_records(audited)


@users_cli.command("create")
@click.argument("username")
@click.option("--role", type=ROLE_CHOICE, required=True)
@click.option("--broker", "broker_code", help="The broker organisation (role broker only).")
@click.option("--name", "display_name", help="The name shown on screens.")
@click.option("--locale", type=click.Choice(["en", "zh"]), help="Default: the browser's.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(
    username: str,
    role: str,
    broker_code: str | None,
    display_name: str | None,
    locale: str | None,
    password_stdin: bool,
) -> None:
    """Create the user USERNAME (the first admin, for instance); asks for the password."""
    from wms.services import people

    password = _new_password(password_stdin)
    user = _people(
        lambda s: (
            people.create_user(
                s,
                username,
                password,
                role,
                display_name=display_name,
                broker_code=broker_code,
                locale=locale,
            ).username
        ),
        "users.create",
        username,
    )
    click.echo(f"user {user} created ({role})")


@users_cli.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_set_password(username: str, password_stdin: bool) -> None:
    """Set USERNAME's password; the user's open sessions end."""
    from wms.services import people

    password = _new_password(password_stdin)
    _people(lambda s: people.set_password(s, username, password), "users.set_password", username)
    click.echo(f"password of {username} changed; open sessions ended")


@users_cli.command("disable")
@click.argument("username")
def users_disable(username: str) -> None:
    """Stop USERNAME from signing in; open sessions end at the next click."""
    from wms.services import people

    _people(lambda s: people.set_active(s, username, False), "users.disable", username)
    click.echo(f"user {username} disabled")


@users_cli.command("enable")
@click.argument("username")
def users_enable(username: str) -> None:
    """Let a disabled USERNAME sign in again."""
    from wms.services import people

    _people(lambda s: people.set_active(s, username, True), "users.enable", username)
    click.echo(f"user {username} enabled")


@users_cli.command("list")
def users_list() -> None:
    """Users with role, broker organisation, state and last sign-in."""
    from sqlalchemy import select

    from wms.models import BrokerOrganisation, User

    database: Database = current_app.extensions["wms.db"]
    with database.reading() as s:
        rows = s.execute(
            select(User, BrokerOrganisation.code)
            .outerjoin(BrokerOrganisation, BrokerOrganisation.id == User.broker_id)
            .order_by(User.username)
        ).all()
        for user, broker in rows:
            state = "active" if user.active else "disabled"
            last = f"{user.last_sign_in_at:%Y-%m-%d %H:%M}" if user.last_sign_in_at else "never"
            click.echo(f"{user.username}\t{user.role}\t{broker or '-'}\t{state}\t{last}")


def register_cli(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(scheduler_cli)
    app.cli.add_command(loans_cli)
    app.cli.add_command(orders_cli)
    app.cli.add_command(plans_cli)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(brokers_cli)
    app.cli.add_command(merchants_cli)
    app.cli.add_command(users_cli)
