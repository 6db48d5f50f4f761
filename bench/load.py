"""Load: 50 handheld scanners receiving, picking, packing and loading against gunicorn.

    python bench/load.py [--seconds 60] [--think 2] [--capacity-seconds 20] [--users 50]
                         [--workers 2] [--threads 1] [--trivial-path /healthz]
                         [--postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
                         [--sqlite] [--keep]

Needs locust (in the dev extras: `make install-dev`).  The PostgreSQL server may also be
given as WMS_BENCH_POSTGRES_URL; its user must be allowed to create databases.

What it does, in order:

1. creates a scratch PostgreSQL database of its own on the ``--postgres`` server (or, with
   ``--sqlite``, a SQLite file in a temporary folder) and upgrades it to the head schema;
2. builds the scanners' data through the services (bench/load_data.py: stock, orders
   allocated and cleared, a wave per picker, picked totes per packer, labelled parcels and
   a vehicle per two loaders, an open entry declaration for the receivers) and a staff API
   token per scanner, as real scanners integrate; then ANALYZE; not timed.  The data is
   sized for ``--capacity`` scans a second (150) over the run: a scanner that runs out is
   reported, and would mean a larger --capacity is needed;
3. starts ``gunicorn -c config/gunicorn.conf.py wsgi:app`` with WMS_WORKERS workers on a
   free loopback port, WMS_ENV=production, fresh SECRET_KEY and WMS_DATA_KEY;
4. runs the locust scenario (bench/load_scenario.py) headless in its own process, in two
   measurements (see that file for why and how): ``--seconds`` of the scanners working at
   a person's pace, a scan every ``--think`` seconds each on average, for the latencies;
   then their capacity: ``--capacity-seconds`` of scanning flat out, alternating with
   ``--trivial-seconds`` (a quarter of that by default) of flat-out ``GET /healthz``;
5. checks in the database that every scan answered as new posted exactly once;
6. stops the server and drops the scratch database, also after a failure or Ctrl-C.

Why two: 50 scanners sending each scan the moment the last is answered measure only the
queue (Little's law: mean latency = users / throughput, so a p95 of 50 ms would need some
1,000 scans a second), while a throughput ratio means something only when both endpoints
run flat out.  A person scans every few seconds at most (a picker walks between bins, a
packer weighs and boxes): ``--think 2`` is a brisk floor; ``--think 0`` turns the paced
phase into a flat-out one too.

Prints the figures and ends with one JSON line: {"rps_scan", "rps_trivial", "ratio",
"p50_ms", "p95_ms", "p99_ms", "errors", ...}: the throughputs are the flat-out ones, the
percentiles those of the paced scans, errors the failed requests of any kind in either
phase.  Targets: 0 errors, p95 <= 50 ms, ratio >= 0.5.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.fernet import Fernet  # noqa: E402
from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from wms.db import Database  # noqa: E402
from wms.migrate import upgrade  # noqa: E402
from wms.models import StockOperation  # noqa: E402

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SCENARIO = ROOT / "bench" / "load_scenario.py"


def _bench_module(name: str) -> Any:
    """A sibling script as a module (bench/ is no package; its names clash with others')."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


load_data = _bench_module("load_data")
KEYS = ("rps_scan", "rps_trivial", "ratio", "p50_ms", "p95_ms", "p99_ms", "errors")
SAFETY = 1.3  # data for 30 % more scans than the sizing rate allows


class Stop(Exception):
    """SIGTERM: unwind like Ctrl-C, so the server and the database are cleaned up."""


def _on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise Stop("terminated")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the scratch database ----------------------------------------------------------------------


@contextmanager
def scratch_database(args: argparse.Namespace, folder: Path) -> Iterator[tuple[str, str | None]]:
    """(url, PostgreSQL database name or None); dropped afterwards unless --keep."""
    if args.sqlite:
        yield f"sqlite:///{folder / 'load.sqlite3'}", None
        return
    server = make_url(args.postgres)
    name = f"wms_load_{os.getpid()}_{secrets.token_hex(3)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield server.set(database=name).render_as_string(hide_password=False), name
    finally:
        if args.keep:
            print(f"kept database {name}")
        else:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- the server ----------------------------------------------------------------------------------


def server_env(url: str, port: int, args: argparse.Namespace, folder: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WMS_", "SECRET_KEY", "DATABASE_URL", "WEB_CONCURRENCY"))
    }
    env.update(
        DATABASE_URL=url,
        SECRET_KEY=secrets.token_hex(32),
        WMS_DATA_KEY=Fernet.generate_key().decode(),
        WMS_ENV="production",
        WMS_WORKERS=str(args.workers),
        WMS_THREADS=str(args.threads),
        WMS_BIND=f"127.0.0.1:{port}",
        WMS_INSTANCE_DIR=str(folder / "instance"),
        WMS_LOG_LEVEL=args.log_level,
    )
    return env


@contextmanager
def gunicorn(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The server in a session of its own; SIGTERM (graceful), then SIGKILL, at the end."""
    command = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "wsgi:app"]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield process
        finally:
            stop_group(process, grace_s=15)


def stop_group(process: subprocess.Popen[bytes], grace_s: float) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    except ProcessLookupError:
        pass


def wait_ready(
    base: str, process: subprocess.Popen[bytes], log: Path, timeout_s: float = 60
) -> None:
    """/readyz answers 200 (the database answers, the schema is at head) on both workers."""
    deadline, passes = time.monotonic() + timeout_s, 0
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited ({process.returncode}):\n{tail(log)}")
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=5) as response:
                passes += response.status == 200
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
            continue
        if passes >= 4:
            return
    raise SystemExit(f"the server did not become ready in {timeout_s:.0f} s:\n{tail(log)}")


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


# --- the run -------------------------------------------------------------------------------------


def per_user_work(args: argparse.Namespace) -> int:
    """Scans of work each scanner gets: enough for the sizing rate over the whole run."""
    flat_out = args.capacity / args.users
    paced = min(flat_out, 1 / args.think) if args.think > 0 else flat_out
    warm_ups = 3 + max(3, 1.5 * args.think)  # the scenario's unmeasured flat-out scans
    scans = paced * args.seconds + flat_out * (args.capacity_seconds + warm_ups)
    return math.ceil(scans * SAFETY) + 5


def run_scenario(
    args: argparse.Namespace,
    plan: Path,
    base: str,
    server_pid: int,
    database: str | None,
    out: Path,
) -> dict[str, Any]:
    options = {
        "--plan": plan,
        "--host": base,
        "--out": out,
        "--seconds": args.seconds,
        "--capacity-seconds": args.capacity_seconds,
        "--trivial-seconds": args.trivial_seconds,
        "--slices": args.slices,
        "--think": args.think,
        "--retry-share": args.retry_share,
        "--max-requests": args.max_requests,
        "--server-pid": server_pid,
        "--trivial-path": args.trivial_path,
    }
    command = [sys.executable, str(SCENARIO)]
    for option, value in options.items():
        command += [option, str(value)]
    if database:
        command += ["--db-name", database]
    limit = args.seconds + args.capacity_seconds + args.trivial_seconds + 4 * args.slices + 150
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True)
    try:
        code = process.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        raise SystemExit(f"the load generator ran past {limit:.0f} s: stopped") from None
    finally:
        stop_group(process, grace_s=5)
    if code != 0 or not out.exists():
        raise SystemExit(f"the load generator failed (exit {code})")
    return json.loads(out.read_text())  # type: ignore[no-any-return]


def posted(db: Database, after_id: int) -> dict[str, int]:
    """Stock operations recorded since ``after_id``, per kind."""
    with db.reading() as s:
        rows = s.execute(
            select(StockOperation.kind, func.count(StockOperation.id))
            .where(StockOperation.id > after_id)
            .group_by(StockOperation.kind)
        )
        return {kind: int(n) for kind, n in rows}


def report(figures: dict[str, Any], checks: dict[str, Any]) -> None:
    print()
    print(
        f"At a person's pace (a scan every {figures['think_s']:g} s per scanner): "
        f"{figures['paced_rps']} scans/s ({figures['paced_requests']} in "
        f"{figures['paced_seconds']} s, {figures['replays']} retries with the same key "
        "over the whole run)"
    )
    print(
        f"{'scan latency':>24}: p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms "
        f"(target <= 50), p99 {figures['p99_ms']} ms, max {figures['max_ms']} ms"
    )
    for role in ("receive", "pick", "pack", "load"):
        if f"{role}_rps" in figures:
            print(
                f"{role:>24}: {figures[f'{role}_rps']:8.1f}/s  p50 "
                f"{figures[f'{role}_p50_ms']} ms  p95 {figures[f'{role}_p95_ms']} ms"
            )
    print("Flat out (capacity):")
    print(
        f"{'scan requests/s':>24}: {figures['rps_scan']:8.1f}  "
        f"({figures['scan_requests']} in {figures['scan_seconds']} s; p50 "
        f"{figures['flat_out_p50_ms']} ms, p95 {figures['flat_out_p95_ms']} ms: the queue)"
    )
    print(
        f"{'GET ' + figures['trivial_path'] + ' /s':>24}: {figures['rps_trivial']:8.1f}  "
        f"({figures['trivial_requests']} in {figures['trivial_seconds']} s)"
    )
    print(f"{'ratio':>24}: {figures['ratio']:8.3f}   (target >= 0.5)")
    print(f"{'errors':>24}: {figures['errors']}  (target 0)")
    for sample in figures.get("failure_samples", [])[:5]:
        print(f"{'':>26}{sample}")
    if figures.get("exhausted_users"):
        print(
            f"{'':>24}  warning: {figures['exhausted_users']} scanners ran out of work "
            f"{figures['exhausted_roles']}; the figures are of fewer scanners "
            "(raise --capacity)"
        )
    cpu = ", ".join(
        f"{k[4:-4]} {v}%"
        for k, v in figures.items()
        if k.startswith("cpu_") and k != "cpu_machine_pct"
    )
    print(
        f"{'CPU (100% = one core)':>24}: {cpu}; whole machine {figures['cpu_machine_pct']}% "
        f"of {figures['cores'] * 100}%"
    )
    print(
        f"{'load average':>24}: {figures['loadavg_start']} at the start, "
        f"{figures['loadavg_end']} at the end"
    )
    print(f"{'posted once':>24}: {checks['posted_once']}  {checks['posted']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="paced scanning measured")
    parser.add_argument(
        "--think", type=float, default=2.0, help="mean s between a paced scanner's scans"
    )
    parser.add_argument(
        "--capacity-seconds", type=float, default=20.0, help="flat-out scanning measured"
    )
    parser.add_argument(
        "--trivial-seconds",
        type=float,
        help="flat-out trivial endpoint measured (default: capacity-seconds/4)",
    )
    parser.add_argument("--slices", type=int, default=4, help="scan/trivial alternations")
    parser.add_argument("--users", type=int, default=50, help="simulated scanners")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (gthread)")
    parser.add_argument(
        "--trivial-path", default="/healthz", help="the trivial endpoint (/api/...: with a token)"
    )
    parser.add_argument("--retry-share", type=float, default=0.02, help="scans re-sent as retries")
    parser.add_argument(
        "--capacity",
        type=float,
        default=150.0,
        help="scans/s the data is sized for (more: longer build)",
    )
    parser.add_argument("--max-requests", type=int, default=500_000, help="cap on all requests")
    parser.add_argument(
        "--postgres",
        default=os.environ.get("WMS_BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
        help="a PostgreSQL server to create the scratch database on",
    )
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead")
    parser.add_argument("--log-level", default="info", help="the server's log level")
    parser.add_argument("--keep", action="store_true", help="keep the database and files")
    args = parser.parse_args()
    if args.trivial_seconds is None:
        args.trivial_seconds = args.capacity_seconds / 4
    if args.users < 1 or args.slices < 1 or args.think < 0:
        parser.error("--users and --slices must be positive, --think not negative")
    if args.seconds < 0 or args.capacity_seconds <= 0 or args.trivial_seconds <= 0:
        parser.error("--seconds may be 0 (no paced phase); the capacity times must be positive")
    signal.signal(signal.SIGTERM, _on_sigterm)

    folder = Path(tempfile.mkdtemp(prefix="wms-load-"))
    try:
        with scratch_database(args, folder) as (url, database):
            upgrade(url)
            db = Database(url)
            try:
                roles = load_data.roles_for(args.users)
                started = time.perf_counter()
                plan = load_data.build(db, roles, per_user_work(args))
                print(f"data built in {time.perf_counter() - started:.1f} s", flush=True)
                plan_file = folder / "plan.json"
                plan_file.write_text(json.dumps(plan))
                with db.reading() as s:
                    last_id = s.scalar(select(func.max(StockOperation.id))) or 0
                port = free_port()
                base = f"http://127.0.0.1:{port}"
                log = folder / "gunicorn.log"
                env = server_env(url, port, args, folder)
                with gunicorn(env, log) as server:
                    wait_ready(base, server, log)
                    print(
                        f"gunicorn ({args.workers} workers) on {base}; {args.users} scanners: "
                        f"{args.seconds:g} s at a scan every {args.think:g} s, then flat out "
                        f"{args.capacity_seconds:g} s against {args.trivial_seconds:g} s of "
                        f"GET {args.trivial_path}, in {args.slices} slices each",
                        flush=True,
                    )
                    figures = run_scenario(
                        args, plan_file, base, server.pid, database, folder / "figures.json"
                    )
                    if figures["errors"]:
                        print(f"server log (last lines):\n{tail(log)}")
                counts = posted(db, last_id)
                new = figures.pop("new_scans")
                checks = {
                    "posted": counts,
                    "posted_once": all(counts.get(k, 0) == n for k, n in new.items())
                    and sum(counts.values()) == sum(new.values()),
                }
            finally:
                db.dispose()
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    report(figures, checks)
    extra = {
        k: v for k, v in figures.items() if k not in KEYS and k not in ("slices", "failure_samples")
    }
    line = {k: figures[k] for k in KEYS} | extra | {"posted_once": checks["posted_once"]}
    print(json.dumps(line))


if __name__ == "__main__":
    try:
        main()
    except (KeyboardInterrupt, Stop):
        print("interrupted: the server is stopped and the scratch database dropped", flush=True)
        sys.exit(130)
