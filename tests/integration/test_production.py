"""Production as it runs: gunicorn with the config file, and backups restored for real.

Real processes: `gunicorn -c config/gunicorn.conf.py wsgi:app` on a free port with two
workers, `scripts/backup` and `scripts/restore` against SQLite files and, when the suite
runs on PostgreSQL, against scratch databases created and dropped here.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from tests import factories as f
from tests.conftest import PG_ENV
from wms import migrate
from wms.db import Database
from wms.services import account_book, audit, stock

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "wsgi:app"]
BACKUP = ROOT / "scripts" / "backup"
RESTORE = ROOT / "scripts" / "restore"


# --- helpers -----------------------------------------------------------------------------------


def production_env(database_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a production server: real keys, WMS_ENV=production, JSON logs by
    default, nothing written under the project's instance/."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WMS_", "SECRET_KEY"))}
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY=secrets.token_hex(32),
        WMS_DATA_KEY=Fernet.generate_key().decode(),
        WMS_ENV="production",
        WMS_INSTANCE_DIR=str(tmp_path / "instance"),
        WMS_PYTHON=sys.executable,
    )
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (gunicorn's workers)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def run_script(script: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(script), *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def table_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
                for name in inspect(conn).get_table_names()
            }
    finally:
        engine.dispose()


def warehouse_state(url: str) -> tuple[list[Any], list[Any], list[Any]]:
    """Stock on hand, the account book and the reconciliation's findings."""
    database = Database(url)
    try:
        with database.reading() as s:
            return (
                [row.as_dict() for row in stock.on_hand(s, stock.StockFilter())],
                [row.as_dict() for row in account_book.account_book(s)],
                account_book.reconcile(s),
            )
    finally:
        database.dispose()


def fill(url: str) -> None:
    """A warehouse with received and put-away stock: moves, quants, the account book."""
    database = Database(url)
    try:
        f.build_warehouse(database)
        f.declare(database, "ED-1", (f.MILK.sku, 100), (f.SERUM.sku, 40))
        f.receive(database, "ED-1", f.MILK.sku, "L1", 60)
        f.receive(database, "ED-1", f.SERUM.sku, "S1", 40)
        f.putaway(database, f.MILK.sku, "L1", 45, to=f.BINS[0])
    finally:
        database.dispose()


class Writer:
    """Keeps writing (audit entries, one transaction each) while a backup runs."""

    def __init__(self, url: str) -> None:
        self.database = Database(url)
        self.stop = threading.Event()
        self.written = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        context = audit.Context("writer")
        while not self.stop.is_set():
            with self.database.transaction() as s:
                audit.record(s, context, "test.write", f"row-{self.written}")
            self.written += 1

    def __enter__(self) -> Writer:
        self.thread.start()
        while self.written < 5:  # writing before the backup starts
            time.sleep(0.01)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        self.database.dispose()


# --- gunicorn ----------------------------------------------------------------------------------


def test_the_gunicorn_config_loads_the_app(database_url: str, tmp_path: Path):
    env = production_env(database_url, tmp_path)
    result = subprocess.run(
        [*GUNICORN[:-1], "--check-config", "wsgi:app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr


def test_outside_development_gunicorn_refuses_to_start_without_a_secret_key(
    database_url: str, tmp_path: Path
):
    env = production_env(database_url, tmp_path)
    del env["SECRET_KEY"]
    result = subprocess.run(
        [*GUNICORN[:-1], "--check-config", "wsgi:app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "SECRET_KEY must be set (32 characters or more) outside development" in result.stderr


def test_gunicorn_serves_health_checks_with_two_workers_and_logs_json(
    database_url: str, tmp_path: Path
):
    port = free_port()
    env = production_env(database_url, tmp_path, WMS_BIND=f"127.0.0.1:{port}", WMS_WORKERS="2")
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log_file:
        server = subprocess.Popen(
            GUNICORN, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
        try:
            deadline = time.monotonic() + 90  # two workers import the app: slow on a busy box
            while True:
                try:
                    status, _, body = get(f"{base}/healthz")
                    break
                except OSError:  # refused before the bind, timed out while workers boot
                    assert server.poll() is None, log_path.read_text()
                    assert time.monotonic() < deadline, "gunicorn did not answer in 90 s"
                    time.sleep(0.1)
            assert (status, json.loads(body)) == (200, {"status": "ok"})
            assert len(children(server.pid)) == 2

            status, headers, body = get(f"{base}/readyz")
            assert status == 200, body
            assert json.loads(body)["checks"]["schema"]["ok"] is True
            status, headers, _ = get(f"{base}/api/v1/warehouses", {"X-Request-Id": "edge-42abcdef"})
            assert (status, headers["X-Request-Id"]) == (401, "edge-42abcdef")
        finally:
            server.send_signal(signal.SIGTERM)  # graceful: workers finish, then exit
            returncode = server.wait(timeout=60)
    assert returncode == 0

    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.strip()]
    messages = [str(line["message"]) for line in lines]
    assert sum(m.startswith("Booting worker with pid") for m in messages) == 2
    assert "Handling signal: term" in messages and "Shutting down: Master" in messages
    [request] = [line for line in lines if line.get("request_id") == "edge-42abcdef"]
    assert request["logger"] == "wms.request"
    assert (request["method"], request["path"], request["status"]) == (
        "GET",
        "/api/v1/warehouses",
        401,
    )
    assert all(str(line["time"]).endswith("Z") for line in lines)


# --- backup and restore ------------------------------------------------------------------------


def backup_files(directory: Path) -> tuple[Path, dict[str, Any]]:
    [manifest_path] = directory.glob("wms-*.json")
    manifest = json.loads(manifest_path.read_text())
    backup = directory / manifest["file"]
    assert backup.is_file() and not list(directory.glob("*.partial"))
    return backup, manifest


def round_trip(source: str, target: str, tmp_path: Path) -> None:
    """Back up ``source`` while it is being written to, restore into ``target``, compare."""
    migrate.upgrade(source)
    fill(source)
    env = production_env(source, tmp_path)
    with Writer(source) as writer:
        made = run_script(BACKUP, str(tmp_path / "backups"), env=env)
        assert writer.written > 5
    assert made.returncode == 0, made.stderr
    backup, manifest = backup_files(tmp_path / "backups")
    assert made.stdout.startswith(str(backup))
    assert manifest["revision"] == migrate.head_revision(source)
    assert manifest["tables"]["moves"] > 0 and manifest["tables"]["audit_log"] >= 5

    restored = run_script(RESTORE, str(backup), "--database-url", target, env=env)
    assert restored.returncode == 0, restored.stderr
    assert "as counted at backup" in restored.stdout
    assert "this release's head, ready to serve" in restored.stdout

    # The restore is the backup's instant: the counts, and the warehouse it describes.
    assert table_counts(target) == manifest["tables"]
    assert migrate.current_revision(target) == manifest["revision"]
    stock_now, book, findings = warehouse_state(target)
    source_stock, source_book, _ = warehouse_state(source)
    assert (stock_now, book, findings) == (source_stock, source_book, [])

    again = run_script(RESTORE, str(backup), "--database-url", target, env=env)
    assert again.returncode == 1 and "restore into" in again.stderr  # never over live data

    damaged = backup.read_bytes()
    backup.write_bytes(damaged[:-1] + bytes([damaged[-1] ^ 1]))
    refused = run_script(RESTORE, str(backup), "--database-url", target + "-2", env=env)
    assert refused.returncode == 1 and "SHA-256" in refused.stderr


def load_script(path: Path) -> ModuleType:
    loader = importlib.machinery.SourceFileLoader(f"wms_script_{path.name}", str(path))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@pytest.mark.parametrize("script", [BACKUP, RESTORE], ids=["backup", "restore"])
def test_pg_tools_get_a_libpq_url_and_the_password_only_through_the_environment(script: Path):
    url = make_url(
        "postgresql+psycopg://wms:p%40ss%2Fw@db.internal:5433/wms"
        "?options=-csearch_path%3Dwms&sslmode=verify-full"
    )
    dsn, env = load_script(script).libpq(url)
    assert dsn == (
        "postgresql://wms@db.internal:5433/wms?options=-csearch_path%3Dwms&sslmode=verify-full"
    )
    assert env["PGPASSWORD"] == "p@ss/w"  # never on a command line, where `ps` shows it


def test_sqlite_backup_and_restore_round_trip(tmp_path: Path):
    source = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    round_trip(source, f"sqlite:///{tmp_path / 'restored' / 'wms.sqlite3'}", tmp_path)


@pytest.fixture
def scratch_databases() -> Iterator[tuple[str, str]]:
    """Two new databases on the test PostgreSQL server (a dump is of a whole database)."""
    base = os.environ.get(PG_ENV)
    if not base:
        pytest.skip(f"PostgreSQL backups need a PostgreSQL server ({PG_ENV})")
    names = [f"wms_backup_{kind}_{os.getpid()}" for kind in ("source", "target")]
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(text(f"CREATE DATABASE {name}"))
    url = make_url(base)
    source, target = (
        url.set(database=name, query={}).render_as_string(hide_password=False) for name in names
    )
    yield source, target
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def test_postgresql_backup_and_restore_round_trip(
    scratch_databases: tuple[str, str], tmp_path: Path
):
    source, target = scratch_databases
    round_trip(source, target, tmp_path)
