"""Inspection benchmark: visit-submission throughput and a 20 MB evidence upload.

1. Submissions (JSON with 20 items: pass/fail, points, measurements) through the app,
   in process (Flask test client, no network), on PostgreSQL when reachable
   (``BENCH_INSPECTION_PG``, default
   ``postgresql+psycopg://postgres@127.0.0.1:5432/kaoping_bench_inspection``; the
   database is dropped and created), else SQLite. Baseline in the same run:
   ``GET /api/v1/whoami`` (routing, auth, JSON; no database work).
   Target on this machine with PostgreSQL: at least 200 submissions/s.
2. Upload of a 20 MB evidence file over real HTTP (loopback, werkzeug server thread)
   in a fresh process; peak memory = growth of the process's maximum RSS above its
   idle level after warm-up. Baseline: hashing and copying the same file with
   hashlib + a 64 KiB loop. Target: peak under 64 MB above idle.

Prints medians of several runs.

    .venv/bin/python bench/bench_inspection.py [--quick]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

os.environ.setdefault("KAOPING_LOG_LEVEL", "WARNING")
os.environ.setdefault("KAOPING_VAR_DIR", tempfile.mkdtemp(prefix="bench-inspection-var-"))

from flask import Flask, jsonify  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from services.inspection.app import create_app  # noqa: E402
from shared.auth import issue_token  # noqa: E402
from shared.db import make_engine  # noqa: E402
from shared.migrations import service_migrations_dir, upgrade  # noqa: E402

PG_URL = os.environ.get("BENCH_INSPECTION_PG",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/kaoping_bench_inspection")
MIB = 1024 * 1024
logging.getLogger("werkzeug").setLevel(logging.WARNING)


def serve(app) -> tuple[str, callable]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    return f"http://127.0.0.1:{server.server_port}", server.shutdown


def registry_stub() -> Flask:
    """Speaks the scoring registry contract: one location, one self-check value per item."""
    stub = Flask("registry-stub")

    @stub.get("/api/v1/units/<code>")
    def unit(code):
        return jsonify({"code": code, "lat": 30.0, "lon": 120.0})

    @stub.get("/api/v1/self-checks")
    def self_checks():
        return jsonify([{"indicator": f"m{i}", "actual": 100.0} for i in range(10)])

    return stub


def database() -> tuple[str, str]:
    try:
        url = make_url(PG_URL)
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{url.database}"'))
        admin.dispose()
        return PG_URL, "PostgreSQL"
    except Exception as exc:  # no server: fall back so that `make bench` still runs
        print(f"  (PostgreSQL not reachable: {exc.__class__.__name__}; using SQLite)")
        path = Path(tempfile.mkdtemp(prefix="bench-inspection-")) / "inspection.sqlite3"
        return f"sqlite:///{path}", "SQLite"


def checklist() -> dict:
    items = []
    for i in range(20):
        kind = ("pass_fail", "points", "measurement", "pass_fail")[i % 4] if i < 15 else \
            ("measurement" if i < 17 else "pass_fail")
        item = {"item_id": f"{'m' if kind == 'measurement' else 'i'}{i}", "text_zh": f"项目{i}",
                "text_en": f"Item {i}", "weight": 1 + i % 3, "response_type": kind,
                "critical": i == 0}
        if kind == "points":
            item["max_points"] = 10
        if kind == "measurement":
            item.update(unit_of_measure="mu", tolerance=0.1, tolerance_kind="relative")
        items.append(item)
    # measurement ids m2, m6, m10, m14 and m15, m16 → rename to m0..m5 for the stub
    m = 0
    for item in items:
        if item["response_type"] == "measurement":
            item["item_id"] = f"m{m}"
            m += 1
    return {"code": "bench", "name_zh": "基准", "name_en": "Bench", "items": items}


def answers(template: dict, k: int) -> list[dict]:
    out = []
    for item in template["items"]:
        kind = item["response_type"]
        if kind == "pass_fail":
            out.append({"item_id": item["item_id"], "result": "pass" if k % 7 else "fail"})
        elif kind == "points":
            out.append({"item_id": item["item_id"], "points": float(k % 11)})
        else:
            out.append({"item_id": item["item_id"], "value": 90.0 + k % 25})
    return out


class Driver:
    def __init__(self, app):
        self.client = app.test_client()
        self.headers = {r: {"Authorization": f"Bearer {issue_token('bench-' + r, r)}"}
                        for r in ("planner", "inspector", "admin")}
        self.headers["inspector"] = {
            "Authorization": f"Bearer {issue_token('insp-bench', 'inspector')}"}

    def call(self, method, path, role="planner", **kwargs):
        response = self.client.open(f"/api/v1{path}", method=method, headers=self.headers[role],
                                    **kwargs)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.get_json()}")
        return response.get_json()


def prepare_visits(driver: Driver, template_id: int, count: int) -> list[int]:
    plan = driver.call("POST", "/plans", json={
        "name": "bench", "kind": "unannounced", "template_id": template_id,
        "window_from": "2026-06-01", "window_to": "2026-06-30", "self_check_period": "2026-06",
        "inspectors": ["insp-bench"],
        "targets": [{"unit": f"U{i:05d}", "lat": 30.0, "lon": 120.0} for i in range(count)]})
    ids = [v["id"] for v in driver.call("GET", f"/plans/{plan['id']}/visits")]
    fix = {"lat": 30.0, "lon": 120.0, "accuracy_m": 5, "provider": "gps", "mock_location": False}
    for visit_id in ids:
        driver.call("POST", f"/visits/{visit_id}/check-in", role="inspector", json=fix)
    return ids


def commit_floor(engine, count: int) -> float:
    """Durable one-row transactions per second on the same database: the floor that
    the WAL flush of each commit puts under any write."""
    with engine.connect() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS bench_commit (x integer)"))
        connection.commit()
        t0 = time.perf_counter()
        for i in range(count):
            connection.execute(text("INSERT INTO bench_commit VALUES (:x)"), {"x": i})
            connection.commit()
        rate = count / (time.perf_counter() - t0)
        connection.execute(text("DROP TABLE bench_commit"))
        connection.commit()
    return rate


def bench_submissions(runs: int, per_run: int) -> dict:
    url, kind = database()
    engine = make_engine(url)
    upgrade(engine, service_migrations_dir("inspection"))
    stub_url, stop_stub = serve(registry_stub())
    app = create_app({"ENGINE": engine, "SCORING_URL": stub_url})
    driver = Driver(app)
    template = driver.call("POST", "/checklists", json=checklist())
    body_size = len(json.dumps({"client_uuid": str(uuid.uuid4()),
                                "answers": answers(template, 1), "findings": []}))
    visits = prepare_visits(driver, template["id"], runs * per_run + 20)
    for visit_id in visits[:20]:  # warm-up
        driver.call("POST", f"/visits/{visit_id}/submit", role="inspector",
                    json={"client_uuid": str(uuid.uuid4()), "answers": answers(template, 1)})
    rates, baseline, cpu = [], [], []
    for run in range(runs):
        chunk = visits[20 + run * per_run: 20 + (run + 1) * per_run]
        c0 = time.process_time()
        t0 = time.perf_counter()
        for k, visit_id in enumerate(chunk):
            driver.call("POST", f"/visits/{visit_id}/submit", role="inspector",
                        json={"client_uuid": str(uuid.uuid4()), "answers": answers(template, k),
                              "findings": [{"severity": "minor", "description": "x"}]
                              if k % 5 == 0 else []})
        rates.append(len(chunk) / (time.perf_counter() - t0))
        cpu.append((time.process_time() - c0) / len(chunk) * 1000)
        t0 = time.perf_counter()
        for _ in range(per_run):
            driver.call("GET", "/whoami", role="inspector")
        baseline.append(per_run / (time.perf_counter() - t0))
    commits = commit_floor(engine, per_run)
    replay_key = str(uuid.uuid4())
    body = {"client_uuid": replay_key, "answers": answers(template, 3)}
    extra = prepare_visits(driver, template["id"], 1)[0]
    driver.call("POST", f"/visits/{extra}/submit", role="inspector", json=body)
    t0 = time.perf_counter()
    for _ in range(per_run):
        driver.call("POST", f"/visits/{extra}/submit", role="inspector", json=body)
    replay_rate = per_run / (time.perf_counter() - t0)
    stop_stub()
    engine.dispose()
    return {"database": kind, "url": url, "runs": runs, "per_run": per_run, "body_bytes": body_size,
            "submissions_per_s": statistics.median(rates), "replays_per_s": replay_rate,
            "cpu_ms": statistics.median(cpu), "commits_per_s": commits,
            "whoami_per_s": statistics.median(baseline)}


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_http_concurrent(url: str, clients: int, total: int) -> dict:
    """Submissions to gunicorn (2 workers x 4 threads) from ``clients`` threads at once."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    engine = make_engine(url)
    stub_url, stop_stub = serve(registry_stub())
    app = create_app({"ENGINE": engine, "SCORING_URL": stub_url})
    driver = Driver(app)
    template = driver.call("POST", "/checklists", json=checklist())
    visits = prepare_visits(driver, template["id"], total + 2 * clients)
    port = free_port()
    env = {**os.environ, "INSPECTION_DATABASE_URL": url, "INSPECTION_PORT": str(port),
           "SCORING_URL": stub_url, "KAOPING_WORKERS": "2", "KAOPING_THREADS": "4"}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c",
                               str(ROOT / "services/inspection/gunicorn.conf.py")],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if requests.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.1)
        local = threading.local()

        def submit(args):
            k, visit_id = args
            http = getattr(local, "http", None) or requests.Session()
            local.http = http
            response = http.post(f"{base}/api/v1/visits/{visit_id}/submit",
                                 headers=driver.headers["inspector"],
                                 json={"client_uuid": str(uuid.uuid4()),
                                       "answers": answers(template, k)}, timeout=30)
            if response.status_code != 200:
                raise RuntimeError(f"{response.status_code} {response.text[:200]}")

        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(submit, enumerate(visits[:2 * clients])))  # warm-up
            cpu0 = group_cpu_s(server.pid)
            t0 = time.perf_counter()
            list(pool.map(submit, enumerate(visits[2 * clients:])))
            elapsed = time.perf_counter() - t0
            server_cpu = group_cpu_s(server.pid) - cpu0
    finally:
        os.killpg(server.pid, 15)
        server.wait(10)
        stop_stub()
        engine.dispose()
    return {"clients": clients, "total": total, "per_s": total / elapsed,
            "server_cpu_ms": server_cpu / total * 1000}


def group_cpu_s(pgid: int) -> float:
    """User + system CPU seconds of the processes in a process group (the gunicorn
    master and its workers), from /proc."""
    from services.cli.lifecycle import group_processes

    return sum(ticks for _state, ticks in group_processes(pgid)) / os.sysconf("SC_CLK_TCK")


def rss_kib(field: str = "VmRSS") -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def reset_peak() -> None:
    """Reset VmHWM to the current RSS (Linux >= 4.0: write 5 to clear_refs)."""
    Path("/proc/self/clear_refs").write_text("5")


def peak_growth_mib(action) -> float:
    """Growth of the resident set's high-water mark while ``action`` runs, in MiB."""
    reset_peak()
    idle = rss_kib()
    action()
    return (rss_kib("VmHWM") - idle) / 1024


def upload_child(size_mib: int) -> dict:
    """Runs in a fresh process: idle RSS, then one streamed upload; peak growth in MB."""
    import requests

    work = Path(tempfile.mkdtemp(prefix="bench-upload-"))
    source = work / "evidence.jpg"
    hasher = hashlib.sha256()
    with open(source, "wb") as out:
        out.write(b"\xff\xd8\xff\xe0")
        hasher.update(b"\xff\xd8\xff\xe0")
        remaining = size_mib * MIB - 4
        block = os.urandom(MIB)
        while remaining > 0:
            piece = block[:min(MIB, remaining)]
            out.write(piece)
            hasher.update(piece)
            remaining -= len(piece)
    digest, size = hasher.hexdigest(), source.stat().st_size
    engine = make_engine(f"sqlite:///{work / 'inspection.sqlite3'}")
    upgrade(engine, service_migrations_dir("inspection"))
    stub_url, stop_stub = serve(registry_stub())
    app = create_app({"ENGINE": engine, "SCORING_URL": stub_url,
                      "INSPECTION_EVIDENCE_DIR": str(work / "evidence")})
    driver = Driver(app)
    template = driver.call("POST", "/checklists", json=checklist())
    visit_id = prepare_visits(driver, template["id"], 1)[0]
    base, stop = serve(app)
    token = driver.headers["inspector"]
    times, peaks = [], []
    requests.get(f"{base}/healthz", timeout=5)  # warm the HTTP path
    for run in range(3):
        declared = driver.call("POST", f"/visits/{visit_id}/attachments", role="inspector", json={
            "kind": "photo", "filename": f"site{run}.jpg", "content_type": "image/jpeg",
            "size": size, "sha256": digest})
        url = f"{base}/api/v1/visits/{visit_id}/attachments/{declared['id']}/content"

        def put(url=url):
            with open(source, "rb") as handle:
                response = requests.put(url, data=handle, timeout=120, headers={
                    **token, "Content-Type": "application/octet-stream"})
            if response.status_code != 200:
                raise RuntimeError(f"upload failed: {response.status_code} {response.text[:200]}")

        t0 = time.perf_counter()
        peaks.append(peak_growth_mib(put))
        times.append(time.perf_counter() - t0)
    # Control: holding the file in memory whole shows up in the same measurement.
    whole = peak_growth_mib(lambda: len(source.read_bytes()))
    base_times = []
    for _ in range(3):
        t0 = time.perf_counter()
        h = hashlib.sha256()
        with open(source, "rb") as src, open(work / "copy", "wb") as dst:
            while chunk := src.read(64 * 1024):
                h.update(chunk)
                dst.write(chunk)
        base_times.append(time.perf_counter() - t0)
    stop()
    stop_stub()
    return {"size_mib": size_mib, "upload_s": statistics.median(times),
            "hash_copy_s": statistics.median(base_times),
            "peak_above_idle_mib": max(peaks), "read_whole_mib": whole,
            "idle_rss_mib": rss_kib() / 1024}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer runs")
    parser.add_argument("--upload-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.upload_child:
        print(json.dumps(upload_child(args.upload_child)))
        return 0
    print(f"bench_inspection  {datetime.now(UTC):%Y-%m-%d %H:%M} UTC  "
          f"{platform.machine()} {os.cpu_count()} CPUs  Python {platform.python_version()}  "
          f"load average {os.getloadavg()[0]:.1f}")
    runs, per_run = (3, 100) if args.quick else (5, 200)
    sub = bench_submissions(runs, per_run)
    print(f"submissions ({sub['database']}, {sub['body_bytes']} B JSON with 20 items, "
          f"median of {runs} runs x {per_run}, sequential, in process):")
    print(f"  submit          {sub['submissions_per_s']:8.1f} /s   (target >= 200 on PostgreSQL)")
    print(f"  client+app CPU  {sub['cpu_ms']:8.2f} ms per submission "
          f"(Python side, without PostgreSQL's own work)")
    print(f"  replay (same)   {sub['replays_per_s']:8.1f} /s")
    print(f"  baseline whoami {sub['whoami_per_s']:8.1f} /s")
    print(f"  baseline commit {sub['commits_per_s']:8.1f} /s   (one-row INSERT + COMMIT, "
          f"same database)")
    http_runs = [bench_http_concurrent(sub["url"], 8, 200 if args.quick else 400)
                 for _ in range(1 if args.quick else 3)]
    concurrent = statistics.median(r["per_s"] for r in http_runs)
    server_cpu = statistics.median(r["server_cpu_ms"] for r in http_runs)
    print(f"submissions over HTTP (gunicorn 2 workers x 4 threads, 8 client threads, "
          f"median of {len(http_runs)} runs):")
    print(f"  submit          {concurrent:8.1f} /s   (target >= 200 on PostgreSQL)")
    print(f"  service CPU     {server_cpu:8.2f} ms per submission (gunicorn processes; "
          f"2 cores would serve {2000 / server_cpu:.0f}/s if nothing else ran)")
    child = subprocess.run([sys.executable, __file__, "--upload-child", "20"],
                           capture_output=True, text=True, check=True, env=os.environ)
    up = json.loads(child.stdout.strip().splitlines()[-1])
    print(f"evidence upload ({up['size_mib']} MiB over loopback HTTP, median of 3):")
    print(f"  upload          {up['upload_s']:8.3f} s    "
          f"({up['size_mib'] / up['upload_s']:.0f} MiB/s)")
    print(f"  baseline hash+copy {up['hash_copy_s']:5.3f} s")
    print(f"  peak RSS above idle {up['peak_above_idle_mib']:5.1f} MiB (target < 64; "
          f"idle {up['idle_rss_mib']:.0f} MiB; client and server in one process)")
    print(f"  control: reading the file whole {up['read_whole_mib']:5.1f} MiB above idle")
    ok = up["peak_above_idle_mib"] < 64 and (sub["database"] != "PostgreSQL"
                                             or max(sub["submissions_per_s"], concurrent) >= 200)
    print("targets met" if ok else "TARGETS NOT MET")
    return 0


if __name__ == "__main__":
    sys.exit(main())
