"""A very small round of the chaos harness (``bench/chaos.py``, ``make chaos`` runs the
full one): two survey instances behind the balancer, two dialers, the carrier,
inspection and scoring under gunicorn; workers and dialers killed with SIGKILL, every
Gather replayed 10 times, idempotent intake with concurrent copies and retries. On
PostgreSQL (``KAOPING_TEST_PG``) the database is also cut for 2 s; SQLite has no
network to cut. Every required zero must be zero and the campaign must finish."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

from bench.chaos_report import verdict

ROOT = Path(__file__).resolve().parents[2]
PORTS = 7  # balancer, two survey instances, PostgreSQL proxy, carrier, inspection, scoring


def _free_block() -> int:
    """The first port of ``PORTS`` consecutive free loopback ports."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            base = probe.getsockname()[1]
        if base + PORTS > 65535:
            continue
        taken = []
        try:
            for port in range(base, base + PORTS):
                sock = socket.socket()
                taken.append(sock)
                sock.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for sock in taken:
                sock.close()
    raise RuntimeError("no block of free ports")


def test_a_small_chaos_round_loses_duplicates_and_misdials_nothing(tmp_path):
    out = tmp_path / "chaos.json"
    args = ["--seconds", "8", "--settle", "60", "--numbers", "10", "--visits", "8",
            "--units", "6", "--months", "1", "--kill-every", "2", "--outage", "2",
            "--workers", "1", "--lease", "8", "--base-port", str(_free_block()),
            "--json", str(out)]
    pg = os.environ.get("KAOPING_TEST_PG")
    if pg:
        url = make_url(pg)
        args += ["--database", "postgresql", "--prefix", f"{url.database}_chaos",
                 "--pg-url", url.set(database="postgres").render_as_string(False)]
    else:
        args += ["--database", "sqlite"]
    run = subprocess.run([sys.executable, str(ROOT / "bench/chaos.py"), *args], cwd=ROOT,
                         capture_output=True, text=True, timeout=600)
    assert out.exists(), run.stdout + run.stderr
    results = json.loads(out.read_text())
    assert verdict(results) == [], run.stdout
    phone, inspection = results["flows"][0], results["flows"][1]
    assert phone["acknowledged"] > 0 and phone["details"]["replays_sent"] >= 10 * phone[
        "details"]["gathers_from_carrier"]
    assert inspection["acknowledged"] == 8
    assert results["kills"]["dialer-a"] == results["kills"]["dialer-b"] == 1
    assert all(results["kills"][name] >= 1
               for name in ("survey-a", "survey-b", "inspection", "scoring"))
    assert (results["outage"] is not None) == bool(pg)
