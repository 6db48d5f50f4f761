"""Application settings, read once from environment variables.

Defaults give a working embedded set-up: a SQLite file under ``instance/`` and a
secret key generated on first start and kept in ``instance/secret_key``.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("WMS_INSTANCE_DIR", PROJECT_ROOT / "instance"))


@dataclass(frozen=True)
class SchedulerSettings:
    """The scheduler process (``flask --app wsgi scheduler run``, wms.jobs)."""

    # How often a standby runner tries the lock, and the active one checks it still holds
    # it (WMS_SCHEDULER_POLL_SECONDS).
    poll_seconds: float = 5.0
    # UTC times (HH:MM) at which the courier planner runs for every warehouse with
    # allocated orders (WMS_PLAN_CUTOFFS="09:30,15:00"); none: no cut-off runs.
    plan_cutoffs: tuple[str, ...] = ()
    # Job schedules replacing the defaults, (job, schedule) with schedule "every N"
    # (seconds) or a five-field crontab in UTC (WMS_JOB_SCHEDULES="reconcile_book=0 19 * * *").
    schedules: tuple[tuple[str, str], ...] = ()
    # A customs list submitted this many hours ago without an answer is chased, and again
    # every as many hours (WMS_DECLARATION_CHASE_HOURS).
    declaration_chase_hours: int = 24
    # Job run records older than this are purged (WMS_JOB_RUNS_KEEP_DAYS).
    job_runs_keep_days: int = 90


@dataclass(frozen=True)
class Settings:
    database_url: str
    secret_key: str
    # Fernet key sealing personal data (consignee IDs, phones) in the database.
    data_key: str = ""
    environment: str = "development"
    # Echo SQL to the log; only for debugging.
    sql_echo: bool = False
    # How far a packed parcel's weight may stray from its expected weight, in percent
    # (never tighter than 50 g; see services.packing).
    pack_weight_tolerance_pct: Decimal = Decimal(5)
    # The couriers' services.json (its rate cards beside it) the planner chooses among;
    # None: the demo couriers shipped in routing/data.
    courier_services_path: str | None = None
    # Minutes of inactivity that end a session; shorter for staff on shared handhelds.
    idle_minutes: int = 60
    handheld_idle_minutes: int = 15
    # True when no SECRET_KEY was given and the per-installation file was used: fine for
    # development, refused elsewhere (the app factory).
    secret_key_generated: bool = False
    # Likewise for the data key: every server must seal with the same one.
    data_key_generated: bool = False
    scheduler: SchedulerSettings = field(default_factory=SchedulerSettings)

    @property
    def is_development(self) -> bool:
        return self.environment in ("development", "test")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _default_database_url() -> str:
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{INSTANCE_DIR / 'wms.sqlite3'}"


def _default_secret_key() -> str:
    """A per-installation random key, so that no shared default ever signs sessions."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _default_data_key() -> str:
    """Generated once per installation; losing it makes sealed personal data unreadable,
    so production sets WMS_DATA_KEY from its secret store and backs it up."""
    from cryptography.fernet import Fernet

    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    path = INSTANCE_DIR / "data_key"
    if not path.exists():
        path.write_bytes(Fernet.generate_key())
        path.chmod(0o600)
    return path.read_text().strip()


def _percent(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"WMS_PACK_TOLERANCE_PCT must be a number, not {text!r}") from None
    if not value.is_finite() or not 0 <= value <= 100:
        raise ValueError("WMS_PACK_TOLERANCE_PCT must be between 0 and 100")
    return value


def _minutes(name: str, text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 24 * 60:
        raise ValueError(f"{name} must be a whole number of minutes from 1 to 1440")
    return int(text)


# The scheduled jobs (wms.jobs.DEFINITIONS), so that a schedule naming no job is refused
# when the settings are read, not when the scheduler starts.
JOB_NAMES = (
    "overdue_loans",
    "expired_reservations",
    "reconcile_book",
    "chase_declarations",
    "plan_cutoffs",
    "purge_job_runs",
)
_CUTOFF = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")
_JOB_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")
_CRON_FIELD = re.compile(r"[0-9A-Za-z*/,\-]+")


def _cutoffs(text: str) -> tuple[str, ...]:
    times = [part.strip() for part in text.split(",") if part.strip()]
    for value in times:
        if not _CUTOFF.fullmatch(value):
            raise ValueError(
                "WMS_PLAN_CUTOFFS must be UTC times as HH:MM separated by commas "
                f"(e.g. 09:30,15:00), not {value!r}"
            )
    return tuple(sorted(set(times)))


def _schedules(text: str) -> tuple[tuple[str, str], ...]:
    out: dict[str, str] = {}
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        name, _, spec = (s.strip() for s in part.partition("="))
        if not _JOB_NAME.fullmatch(name) or not spec:
            raise ValueError(
                "WMS_JOB_SCHEDULES is JOB=SCHEDULE pairs separated by ';' "
                f"(e.g. overdue_loans=5 * * * *), not {part!r}"
            )
        if name not in JOB_NAMES:
            raise ValueError(
                f"WMS_JOB_SCHEDULES names no job {name}; the jobs are {', '.join(JOB_NAMES)}"
            )
        words = spec.split()
        every = words[0] == "every" and len(words) == 2
        if every and not (words[1].isdigit() and 1 <= int(words[1]) <= 7 * 86400):
            raise ValueError(f"WMS_JOB_SCHEDULES: {name}: 'every N' takes whole seconds, 1 or more")
        if not every and (len(words) != 5 or not all(_CRON_FIELD.fullmatch(w) for w in words)):
            raise ValueError(
                f"WMS_JOB_SCHEDULES: {name}: the schedule is 'every N' (seconds) or five "
                f"crontab fields in UTC (minute hour day month weekday), not {spec!r}"
            )
        out[name] = " ".join(words)
    return tuple(sorted(out.items()))


def _number(name: str, text: str, low: float, high: float, *, whole: bool) -> float:
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        kind = "a whole number" if whole else "a number"
        raise ValueError(f"{name} must be {kind} from {low:g} to {high:g}, not {text!r}")
    return value


def scheduler_settings(environ: Mapping[str, str] | None = None) -> SchedulerSettings:
    """The scheduler's settings from the environment (each refused naming its variable)."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    numbers = (
        ("poll_seconds", "WMS_SCHEDULER_POLL_SECONDS", 0.1, 300, False),
        ("declaration_chase_hours", "WMS_DECLARATION_CHASE_HOURS", 1, 720, True),
        ("job_runs_keep_days", "WMS_JOB_RUNS_KEEP_DAYS", 1, 3650, True),
    )
    for name, variable, low, high, whole in numbers:
        if env.get(variable):
            value = _number(variable, env[variable], low, high, whole=whole)
            values[name] = int(value) if whole else float(value)
    if env.get("WMS_PLAN_CUTOFFS"):
        values["plan_cutoffs"] = _cutoffs(env["WMS_PLAN_CUTOFFS"])
    if env.get("WMS_JOB_SCHEDULES"):
        values["schedules"] = _schedules(env["WMS_JOB_SCHEDULES"])
    return SchedulerSettings(**values)  # type: ignore[arg-type]


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment; ``overrides`` win (tests, tools)."""
    values: dict[str, object] = dict(overrides)
    if "database_url" not in values:
        values["database_url"] = os.environ.get("DATABASE_URL") or _default_database_url()
    if "secret_key" not in values:
        values["secret_key"] = os.environ.get("SECRET_KEY") or _default_secret_key()
        values["secret_key_generated"] = not os.environ.get("SECRET_KEY")
    if "data_key" not in values:
        values["data_key"] = os.environ.get("WMS_DATA_KEY") or _default_data_key()
        values["data_key_generated"] = not os.environ.get("WMS_DATA_KEY")
    values.setdefault("environment", os.environ.get("WMS_ENV", "development"))
    values.setdefault("sql_echo", os.environ.get("WMS_SQL_ECHO", "") == "1")
    if "pack_weight_tolerance_pct" not in values and os.environ.get("WMS_PACK_TOLERANCE_PCT"):
        values["pack_weight_tolerance_pct"] = _percent(os.environ["WMS_PACK_TOLERANCE_PCT"])
    for name, env in (
        ("idle_minutes", "WMS_IDLE_MINUTES"),
        ("handheld_idle_minutes", "WMS_HANDHELD_IDLE_MINUTES"),
    ):
        if name not in values and os.environ.get(env):
            values[name] = _minutes(env, os.environ[env])
    if "courier_services_path" not in values:
        values["courier_services_path"] = os.environ.get("WMS_COURIER_SERVICES") or None
    if "scheduler" not in values:
        values["scheduler"] = scheduler_settings()
    return Settings(**values)  # type: ignore[arg-type]
