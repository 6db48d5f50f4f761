"""The load bench's scanners: a locust scenario run headless through locust's library API.

    python bench/load_scenario.py --plan PLAN.json --host http://127.0.0.1:PORT --out OUT.json

Started by bench/load.py (which builds the data, starts gunicorn and cleans up); run on its
own only against a server whose database holds the plan's data.

Every simulated handheld is a ``FastHttpUser`` with its own staff API token and its own
work from the plan: receivers scan cartons against the entry declaration, pickers scan the
tasks of their wave in walking order, packers scan a picked tote's items into a parcel,
loaders scan labelled parcels onto their vehicle.  Each scan carries a fresh
Idempotency-Key; a share of them (``--retry-share``) is sent a second time with the same
key and body, as a scanner does after a lost answer, and must come back ``replayed``.

Two measurements, one after the other, by the same users against the same server:

1. **Latency at a working pace** (``--seconds``, 60 by default): every scanner scans at a
   person's pace, a scan every ``--think`` seconds on average (2 by default, uniform
   between half and one and a half times that).  The p50 / p95 / p99 latencies are of
   these scans.  Flat out, 50 users would only measure the queue: by Little's law the
   mean latency is then users / throughput, whatever the server.
2. **Capacity** (``--capacity-seconds``, 20 by default): the same users scan flat out (no
   pause between scans), alternating with slices of flat-out ``GET /healthz`` (public, no
   database).  The trivial endpoint's throughput is measured under the same machine load,
   by the same client, with the same concurrency, so the ratio compares like with like
   even while other work on the machine comes and goes.  Slices alternate ABBA (scan,
   trivial, trivial, scan, ...) so a trend over the run weighs on both alike.

Between phases and slices the users stop and every request in flight finishes (a drain):
a slice's throughput is its requests divided by the time from its start until its last
answer, so no slice is charged with another's work.  Short unmeasured warm-ups come
before each measurement.

Bounded: each scanner has a finite list of work (it stops when it runs out, which is
reported), the whole run stops after the schedule, and ``--max-requests`` caps the total.
Writes the figures as JSON to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gevent
import psutil
from gevent.event import Event
from locust import FastHttpUser, task
from locust.env import Environment

WARMUP_SCAN_S = 3.0
WARMUP_TRIVIAL_S = 1.5
DRAIN_LIMIT_S = 30.0
PATHS = {
    "receive": "/api/v1/declarations/{declaration}/receipts",
    "pick": "/api/v1/waves/{wave}/picks",
    "pack": "/api/v1/parcels",
    "load": "/api/v1/release-batches/{batch}/parcels",
}


@dataclass(frozen=True)
class Scan:
    role: str
    path: str
    body: dict[str, Any]
    key: str


@dataclass
class Record:
    slice: int
    kind: str  # "scan" or "trivial"
    name: str  # the role, or "trivial"
    start: float
    end: float
    ok: bool
    status: int
    replay: bool = False


@dataclass
class Control:
    """What every simulated scanner reads: the current phase, and the shared tallies."""

    phase: str = "wait"  # wait | paced | scan | trivial | drain | done
    slice: int = -1
    inflight: int = 0
    issued: int = 0
    max_requests: int = 1_000_000
    think_s: float = 0.0
    retry_share: float = 0.0
    trivial_path: str = "/healthz"
    next_slot: int = 0
    go: Event = field(default_factory=Event)
    records: list[Record] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    failure_samples: list[str] = field(default_factory=list)
    exhausted: set[int] = field(default_factory=set)
    plan: dict[str, Any] = field(default_factory=dict)


CONTROL = Control()


def scans(slot: int, spec: dict[str, Any], plan: dict[str, Any]) -> Iterator[Scan]:
    """The scanner's work, one scan at a time."""
    role = spec["role"]
    rng = random.Random(slot)

    def key() -> str:
        return f"load-{slot}-{uuid.uuid4().hex}"

    if role == "receive":
        path = PATHS["receive"].format(declaration=spec["declaration"])
        lines = spec["lines"]
        for n in range(spec.get("scans", 10**9)):
            line_no, sku = lines[n % len(lines)]
            pallet = n // (24 * len(lines))  # a new lot every 24 cartons of each line
            body = {
                "product_code": sku,
                "lot_number": f"R{slot:03d}-{line_no}-{pallet}",
                "quantity": rng.randint(1, 48),
                "dock_barcode": plan["dock"],
                "expiry_date": "2028-06-30",
            }
            yield Scan(role, path, body, key())
    elif role == "pick":
        path = PATHS["pick"].format(wave=spec["wave"])
        for bin_barcode, sku, lot, quantity, order_id in spec["tasks"]:
            body = {
                "bin_barcode": bin_barcode,
                "product_code": sku,
                "lot_number": lot,
                "quantity": quantity,
                "order_id": order_id,
            }
            yield Scan(role, path, body, key())
    elif role == "pack":
        for parcel in spec["parcels"]:
            body = {
                "order_ref": parcel["order_ref"],
                "items": [
                    {"product_code": sku, "lot_number": lot, "quantity": q}
                    for sku, lot, q in parcel["items"]
                ],
                "gross_weight_g": parcel["gross_weight_g"],
                "box_code": plan["box"],
            }
            yield Scan(role, PATHS["pack"], body, key())
    elif role == "load":
        path = PATHS["load"].format(batch=spec["batch"])
        for tracking in spec["parcels"]:
            yield Scan(role, path, {"parcel_code": tracking}, key())
    else:
        raise ValueError(f"unknown role {role!r}")


class Scanner(FastHttpUser):
    """One handheld: its own token, its own work."""

    host = "http://127.0.0.1:8000"
    connection_timeout = 10.0
    network_timeout = 30.0
    max_retries = 0
    # The server closes each connection (sync workers); nothing to pool.
    concurrency = 1

    def wait_time(self) -> float:
        if CONTROL.phase == "paced" and CONTROL.think_s > 0:
            # Humans vary: uniform between half and one and a half times the mean.
            return self._rng.uniform(0.5, 1.5) * CONTROL.think_s
        return 0.0

    def on_start(self) -> None:
        self.slot = CONTROL.next_slot
        CONTROL.next_slot += 1
        spec = CONTROL.plan["users"][self.slot]
        self.role = spec["role"]
        self.auth = {"Authorization": f"Bearer {spec['token']}"}
        self.work = scans(self.slot, spec, CONTROL.plan)
        self._rng = random.Random(1000 + self.slot)
        self.retry: Scan | None = None

    @task
    def step(self) -> None:
        phase = CONTROL.phase
        if phase not in ("paced", "scan", "trivial") or CONTROL.issued >= CONTROL.max_requests:
            CONTROL.go.wait(timeout=1.0)
            return
        if phase == "trivial":
            path = CONTROL.trivial_path
            headers = self.auth if path.startswith("/api/") else {}
            self._request("trivial", "trivial", "GET", path, None, headers, replay=False)
            return
        scan, replay = self.retry, self.retry is not None
        self.retry = None
        if scan is None:
            scan = next(self.work, None)
            if scan is None:  # out of work: no more scans (the trivial slices go on)
                CONTROL.exhausted.add(self.slot)
                gevent.sleep(0.2)
                return
        headers = {**self.auth, "Idempotency-Key": scan.key}
        ok = self._request("scan", scan.role, "POST", scan.path, scan.body, headers, replay=replay)
        if ok and not replay and self._rng.random() < CONTROL.retry_share:
            self.retry = scan

    def _request(
        self,
        kind: str,
        name: str,
        method: str,
        path: str,
        body: dict[str, Any] | None,
        headers: dict[str, str],
        *,
        replay: bool,
    ) -> bool:
        slice_ = CONTROL.slice
        CONTROL.inflight += 1
        CONTROL.issued += 1
        start = time.perf_counter()
        status, ok, why = 0, False, ""
        try:
            with self.client.request(
                method,
                path,
                name=f"{kind}:{name}",
                json=body,
                headers=headers,
                catch_response=True,
            ) as response:
                status = response.status_code or 0
                ok, why = _judge(kind, status, response.text or "", replay=replay)
                if ok:
                    response.success()
                else:
                    response.failure(why)
        except Exception as exc:  # a refused connection, a timeout: an error like any other
            why = f"{type(exc).__name__}: {exc}"
        finally:
            end = time.perf_counter()
            CONTROL.inflight -= 1
        if not ok:
            CONTROL.failures[f"{kind}:{name} {status}"] += 1
            if len(CONTROL.failure_samples) < 10:
                CONTROL.failure_samples.append(f"{method} {path} -> {status}: {why[:300]}")
        CONTROL.records.append(Record(slice_, kind, name, start, end, ok, status, replay))
        return ok


def _judge(kind: str, status: int, text: str, *, replay: bool) -> tuple[bool, str]:
    if kind == "trivial":
        return status == 200, text[:300]
    if status not in (200, 201):
        return False, text[:300]
    try:
        answer = json.loads(text)
    except ValueError:
        return False, f"not JSON: {text[:200]}"
    if answer.get("replayed") is not replay:
        return False, f"replayed is {answer.get('replayed')!r}, expected {replay}"
    return True, ""


# --- the run -------------------------------------------------------------------------------


def schedule(
    paced_s: float, think_s: float, scan_s: float, trivial_s: float, slices: int
) -> list[tuple[str, float, bool]]:
    """(kind, seconds, measured) in order: a warm-up, the paced phase, another warm-up (the
    paced users' last pauses end in it), then the capacity slices in ABBA pairs."""
    plan: list[tuple[str, float, bool]] = []
    if paced_s > 0:
        plan += [("scan", WARMUP_SCAN_S, False), ("paced", paced_s, True)]
    plan += [
        ("scan", max(WARMUP_SCAN_S, 1.5 * think_s), False),
        ("trivial", min(WARMUP_TRIVIAL_S, trivial_s / 2), False),
    ]
    for i in range(slices):
        pair = [("scan", scan_s / slices, True), ("trivial", trivial_s / slices, True)]
        plan.extend(pair if i % 2 == 0 else pair[::-1])
    return plan


class CpuWatch:
    """CPU seconds used by the server (master and workers), this load generator and the
    PostgreSQL backends of the bench's database, and by the whole machine."""

    def __init__(self, server_pid: int | None, database: str | None) -> None:
        self.server_pid, self.database = server_pid, database
        self.me = psutil.Process()

    def _groups(self) -> dict[str, list[psutil.Process]]:
        groups: dict[str, list[psutil.Process]] = {"load_generator": [self.me]}
        if self.server_pid:
            try:
                master = psutil.Process(self.server_pid)
                groups["server"] = [master, *master.children(recursive=True)]
            except psutil.Error:
                groups["server"] = []
        if self.database:
            marker = f" {self.database} "
            groups["postgres"] = [
                p
                for p in psutil.process_iter(["name", "cmdline"])
                if (p.info["name"] or "").startswith("postgres")
                and marker in " ".join(p.info["cmdline"] or []) + " "
            ]
        return groups

    def sample(self) -> dict[str, Any]:
        found: dict[str, dict[int, float]] = {}
        for group, processes in self._groups().items():
            found[group] = {}
            for p in processes:
                try:
                    t = p.cpu_times()
                    found[group][p.pid] = t.user + t.system
                except psutil.Error:
                    continue
        total = psutil.cpu_times()
        return {
            "at": time.perf_counter(),
            "groups": found,
            "busy": sum(total) - total.idle - getattr(total, "iowait", 0.0),
            "load": os.getloadavg(),
        }

    @staticmethod
    def usage(first: dict[str, Any], last: dict[str, Any]) -> dict[str, Any]:
        """Per group, the share of one core used in between (100 = one core busy)."""
        wall = last["at"] - first["at"]
        out: dict[str, Any] = {}
        for group, pids in last["groups"].items():
            before = first["groups"].get(group, {})
            used = sum(t - before.get(pid, 0.0) for pid, t in pids.items())
            out[f"cpu_{group}_pct"] = round(100 * used / wall, 1) if wall > 0 else 0.0
        out["cpu_machine_pct"] = round(100 * (last["busy"] - first["busy"]) / wall, 1)
        out["cores"] = psutil.cpu_count()
        out["loadavg_start"] = [round(x, 2) for x in first["load"]]
        out["loadavg_end"] = [round(x, 2) for x in last["load"]]
        return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    CONTROL.plan = json.loads(Path(args.plan).read_text())
    CONTROL.think_s = args.think
    CONTROL.retry_share = args.retry_share
    CONTROL.max_requests = args.max_requests
    CONTROL.trivial_path = args.trivial_path
    users = len(CONTROL.plan["users"])
    Scanner.host = args.host
    env = Environment(user_classes=[Scanner], host=args.host, stop_timeout=5)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=users)
    deadline = time.monotonic() + 30
    while runner.user_count < users and time.monotonic() < deadline:
        gevent.sleep(0.1)
    watch = CpuWatch(args.server_pid, args.db_name)
    slices: list[dict[str, Any]] = []
    cpu_first: dict[str, Any] | None = None
    try:
        for number, (kind, seconds, measured) in enumerate(
            schedule(
                args.seconds, args.think, args.capacity_seconds, args.trivial_seconds, args.slices
            )
        ):
            if measured and cpu_first is None:
                cpu_first = watch.sample()
            CONTROL.slice, CONTROL.phase = number, kind
            started = time.perf_counter()
            CONTROL.go.set()
            gevent.sleep(seconds)
            CONTROL.go.clear()
            CONTROL.phase = "drain"
            limit = time.monotonic() + DRAIN_LIMIT_S
            while CONTROL.inflight and time.monotonic() < limit:
                gevent.sleep(0.005)
            mine = [r for r in CONTROL.records if r.slice == number]
            ended = max((r.end for r in mine), default=time.perf_counter())
            slices.append(
                {
                    "slice": number,
                    "kind": kind,
                    "measured": measured,
                    "started": started,
                    "seconds": ended - started,
                    "requests": len(mine),
                }
            )
            if measured:
                rate = len(mine) / (ended - started)
                print(
                    f"  slice {number:2d} {kind:>7}: {len(mine):6d} requests "
                    f"in {ended - started:5.2f} s = {rate:7.1f}/s",
                    flush=True,
                )
    finally:
        cpu_last = watch.sample()
        CONTROL.phase = "done"
        CONTROL.go.set()
        runner.quit()
    return summarise(slices, watch.usage(cpu_first or cpu_last, cpu_last), users)


def percentile(ordered: list[float], p: float) -> float:
    if not ordered:
        return 0.0
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summarise(slices: list[dict[str, Any]], cpu: dict[str, Any], users: int) -> dict[str, Any]:
    measured = {s["slice"]: s for s in slices if s["measured"]}
    seconds: dict[str, float] = defaultdict(float)
    for s in measured.values():
        seconds[s["kind"]] += s["seconds"]
    count: Counter[str] = Counter()  # per slice kind: paced, scan, trivial
    latency: dict[str, list[float]] = defaultdict(list)  # per slice kind, and per paced role
    per_role: Counter[str] = Counter()
    new_scans: Counter[str] = Counter()
    replays = 0
    for r in CONTROL.records:
        if r.kind == "scan" and r.ok:
            if r.replay:
                replays += 1
            else:
                new_scans[r.name] += 1
        if r.slice not in measured:
            continue
        kind = measured[r.slice]["kind"]
        count[kind] += 1
        ms = (r.end - r.start) * 1000
        latency[kind].append(ms)
        if kind == "paced":
            latency[r.name].append(ms)
            per_role[r.name] += 1
    for values in latency.values():
        values.sort()

    def rate(kind: str) -> float:
        return count[kind] / seconds[kind] if seconds[kind] else 0.0

    rps_scan, rps_trivial = rate("scan"), rate("trivial")
    paced = latency["paced"]
    figures: dict[str, Any] = {
        "rps_scan": round(rps_scan, 1),
        "rps_trivial": round(rps_trivial, 1),
        "ratio": round(rps_scan / rps_trivial, 3) if rps_trivial else 0.0,
        "p50_ms": round(percentile(paced, 50), 1),
        "p95_ms": round(percentile(paced, 95), 1),
        "p99_ms": round(percentile(paced, 99), 1),
        "errors": sum(CONTROL.failures.values()),
        "users": users,
        "think_s": CONTROL.think_s,
        "trivial_path": CONTROL.trivial_path,
        "paced_rps": round(rate("paced"), 1),
        "paced_requests": count["paced"],
        "paced_seconds": round(seconds["paced"], 2),
        "max_ms": round(paced[-1], 1) if paced else 0.0,
        "scan_requests": count["scan"],
        "trivial_requests": count["trivial"],
        "scan_seconds": round(seconds["scan"], 2),
        "trivial_seconds": round(seconds["trivial"], 2),
        "flat_out_p50_ms": round(percentile(latency["scan"], 50), 1),
        "flat_out_p95_ms": round(percentile(latency["scan"], 95), 1),
        "trivial_p50_ms": round(percentile(latency["trivial"], 50), 1),
        "trivial_p95_ms": round(percentile(latency["trivial"], 95), 1),
        "replays": replays,
        "exhausted_users": len(CONTROL.exhausted),
        "exhausted_roles": dict(
            Counter(CONTROL.plan["users"][slot]["role"] for slot in CONTROL.exhausted)
        ),
    }
    for role in sorted(per_role):
        values = latency[role]
        figures[f"{role}_rps"] = round(per_role[role] / seconds["paced"], 1)
        figures[f"{role}_p50_ms"] = round(percentile(values, 50), 1)
        figures[f"{role}_p95_ms"] = round(percentile(values, 95), 1)
    figures.update(cpu)
    figures["new_scans"] = dict(new_scans)
    figures["failures"] = dict(CONTROL.failures)
    figures["failure_samples"] = CONTROL.failure_samples
    figures["slices"] = slices
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan", required=True, help="the data plan (bench/load_data.py)")
    parser.add_argument("--host", required=True, help="the server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--out", required=True, help="where to write the figures (JSON)")
    parser.add_argument("--seconds", type=float, default=60.0, help="paced scanning time")
    parser.add_argument("--think", type=float, default=2.0, help="mean s between paced scans")
    parser.add_argument("--capacity-seconds", type=float, default=20.0, help="flat-out scans")
    parser.add_argument("--trivial-seconds", type=float, default=5.0)
    parser.add_argument("--slices", type=int, default=4)
    parser.add_argument("--retry-share", type=float, default=0.02)
    parser.add_argument("--max-requests", type=int, default=1_000_000)
    parser.add_argument("--trivial-path", default="/healthz", help="/api/... sends the token")
    parser.add_argument("--server-pid", type=int)
    parser.add_argument("--db-name")
    args = parser.parse_args()
    figures = run(args)
    Path(args.out).write_text(json.dumps(figures))
    sys.exit(0)


if __name__ == "__main__":
    main()
