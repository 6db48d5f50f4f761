"""bench/load.py end to end, small: real gunicorn, real locust users, both phases.

Not a timing test (figures are the bench's job): it checks that the bench measures what it
says, so that the figures quoted from it can be trusted: the paced phase is paced, the
flat-out phase and the trivial endpoint are both measured, every new scan posted exactly
once and every retry came back replayed, with no errors.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import is_postgres

ROOT = Path(__file__).resolve().parents[2]
KEYS = ("rps_scan", "rps_trivial", "ratio", "p50_ms", "p95_ms", "p99_ms", "errors")
USERS, THINK_S = 5, 0.5

pytestmark = pytest.mark.slow


def test_a_small_load_run_measures_both_phases_and_posts_every_scan_once(
    database_url: str,
) -> None:
    command = [
        sys.executable,
        "bench/load.py",
        "--users",
        str(USERS),
        "--seconds",
        "4",
        "--think",
        str(THINK_S),
        "--capacity-seconds",
        "2",
        "--slices",
        "2",
        # The data: enough for 300 scans a second. Five scanners reach about 70 a second on
        # SQLite and 160 on PostgreSQL here; one that runs out fails the test below.
        "--capacity",
        "300",
        "--retry-share",
        "0.2",
        "--log-level",
        "warning",
    ]
    if is_postgres(database_url):  # a scratch database of its own on the same server
        server = make_url(database_url).set(database="postgres", query={})
        command += ["--postgres", server.render_as_string(hide_password=False)]
    else:
        command += ["--sqlite"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("WMS_")}
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    figures = json.loads(done.stdout.strip().splitlines()[-1])

    assert set(KEYS) <= figures.keys()
    assert figures["errors"] == 0, output
    assert figures["posted_once"] is True, output
    assert figures["exhausted_users"] == 0, output
    assert figures["replays"] > 0  # retries were sent, and answered as replays
    # Paced: at most one scan per think time per scanner (and a margin for the spread).
    assert 0 < figures["paced_rps"] <= 1.5 * USERS / THINK_S, output
    assert figures["scan_requests"] > 0 and figures["trivial_requests"] > 0
    assert figures["ratio"] == pytest.approx(
        figures["rps_scan"] / figures["rps_trivial"], abs=0.002
    )
    assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"] <= figures["max_ms"]
