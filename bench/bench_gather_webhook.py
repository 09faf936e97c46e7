"""Benchmark: the IVR's Gather webhook under gunicorn with concurrent signed requests.

Each request is a keypad answer to the first question of a distinct call (signature
check, attempt and interview load, idempotency record, answer stored, next TwiML),
as Twilio would send it. The baseline in the same run is ``GET /healthz`` of the same
server. After each Gather load the database is counted: every answered request stored
its answer and webhook record once ("stored: ... each once"). Runs on SQLite and, when
reachable, PostgreSQL (``BENCH_PG_URL``, default
``postgresql+psycopg://postgres@127.0.0.1:5432/kaoping_bench_gather``). Prints the
median over ``RUNS`` runs of throughput and p50/p99 latency.

The load comes from ``wrk`` (Debian package ``wrk``) when it is installed: a client in
C costs the two cores little, so the figures are the server's. Each request is sent
once (``bench/wrk_requests.lua`` deals a file of pre-signed requests to the
connections) for ``DURATION`` seconds per concurrency level. Without wrk, Python
threads with ``requests`` send ``REQUESTS`` requests; that client takes a large share
of the CPU itself, so its figures understate the server.

The calls are prepared once per database (the frame imported in chunks: one import of
25,000 rows flushes an interview per row in one session and slows down with its size)
and each run starts from a copy of that database (PostgreSQL: ``CREATE DATABASE ...
TEMPLATE``; SQLite: a copy of the file). Every phase says on stderr what it does and
how long it took, and every wait has a limit (``PHASE_TIMEOUT`` s, default 600): a stuck
phase prints the stacks of all threads and exits instead of hanging silently. Beside
throughput and latency the script prints the CPU per request of the gunicorn workers
and of the PostgreSQL backends (from ``/proc``), which a loaded machine changes less.

    .venv/bin/python bench/bench_gather_webhook.py
    DATABASES=postgresql BENCH_PG_URL=postgresql+psycopg://postgres@127.0.0.1:5432/kp_bench_x \
        .venv/bin/python bench/bench_gather_webhook.py
"""

from __future__ import annotations

import faulthandler
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import requests
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TOKEN = "bench-token"
RUNS = int(os.environ.get("RUNS", 3))
REQUESTS = int(os.environ.get("REQUESTS", 1500))
# Client threads: a light load (latency) and a saturating one (throughput).
CONCURRENCY = [int(c) for c in os.environ.get("CONCURRENCY", "4,16").split(",")]
DURATION = int(os.environ.get("DURATION", 5))
WRK = None if os.environ.get("CLIENT") == "python" else shutil.which("wrk")
# With wrk, the distinct calls prepared per concurrency level (enough for DURATION s).
PER_LEVEL = int(os.environ.get("PER_LEVEL", 2500 * DURATION))
DATABASES = os.environ.get("DATABASES", "sqlite,postgresql").split(",")
PG_URL = os.environ.get("BENCH_PG_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/kaoping_bench_gather")


PHASE_TIMEOUT = int(os.environ.get("PHASE_TIMEOUT", 600))
FRAME_CHUNK = 2000  # rows per frame import (see the module's docstring)
_T0 = time.monotonic()


def log(message: str) -> None:
    print(f"  [{time.monotonic() - _T0:7.1f} s] {message}", file=sys.stderr, flush=True)


class phase:
    """A step of the bench: logged when it starts and ends; if it takes longer than
    ``PHASE_TIMEOUT`` s, the stacks of all threads are printed and the process exits."""

    def __init__(self, what: str) -> None:
        self.what = what

    def __enter__(self):
        log(f"{self.what} ...")
        self.began = time.monotonic()
        faulthandler.dump_traceback_later(PHASE_TIMEOUT, exit=True)
        return self

    def __exit__(self, *exc) -> None:
        faulthandler.cancel_dump_traceback_later()
        log(f"{self.what}: {'failed' if exc[0] else 'done'} in "
            f"{time.monotonic() - self.began:.1f} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str, calls: int) -> list[int]:
    """Migrate, create a fielding phone poll and ``calls`` claimed attempts with consent."""
    os.environ["SURVEY_DATABASE_URL"] = url
    from sqlalchemy import String, update

    from services.survey.models.telephony import CallAttempt
    from services.survey.telephony.campaigns import change_state, create_campaign, import_frame
    from services.survey.telephony.dialer import Dialer
    from services.survey.telephony.vault import vault
    from shared.db import make_engine, session_factory, session_scope
    from shared.migrations import service_migrations_dir, upgrade
    from tests.survey.telephony.phone_support import make_phone_poll

    if url.startswith("postgresql"):
        from tests.conftest import _recreate_pg

        _recreate_pg(url)
    engine = make_engine(url)
    upgrade(engine, service_migrations_dir("survey"))
    poll_id = make_phone_poll(engine, ["T01"])
    sessions = session_factory(engine)
    with session_scope(sessions) as session:
        campaign = create_campaign(session, {"poll_id": poll_id, "name": "bench",
                                             "from_number": "+8657488880000",
                                             "max_concurrent": calls, "cps": 100.0})
        campaign_id = campaign.id
    for start in range(0, calls, FRAME_CHUNK):
        frame = "phone,township\n" + "".join(
            f"139{n:08d},T01\n" for n in range(start, min(calls, start + FRAME_CHUNK)))
        with session_scope(sessions) as session:
            import_frame(session, campaign_id, "f.csv", frame.encode(), vault())
        log(f"frame imported: {min(calls, start + FRAME_CHUNK)}/{calls}")
    with session_scope(sessions) as session:
        change_state(session, campaign_id, "start")
    clock = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)
    dialer = Dialer(sessions, {"PUBLIC_BASE_URL": "http://x", "TWILIO_ACCOUNT_SID": "AC",
                               "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_API_BASE_URL": "http://x"},
                    vault(), client=object(), clock=lambda: clock, batch=calls)
    attempts: list[int] = []
    while len(attempts) < calls:  # a claim takes what the CPS allows in half a lease
        claimed = dialer.claim(campaign_id)
        assert claimed, (len(attempts), calls)
        attempts += claimed
        with session_scope(sessions) as session:  # placed and answered, with consent
            session.execute(update(CallAttempt).where(CallAttempt.id.in_(claimed)).values(
                consent=True, state="in-progress", placed_at=clock,
                call_sid="CA" + CallAttempt.id.cast(String)))
        log(f"attempts claimed: {len(attempts)}/{calls}")
    engine.dispose()
    return attempts


def _pg_admin(url: str):
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    return make_url(url), create_engine(make_url(url).set(database="postgres"),
                                        isolation_level="AUTOCOMMIT",
                                        connect_args={"connect_timeout": 10})


def copy_database(template: str, url: str) -> None:
    """Make ``url``'s database a fresh copy of ``template``'s (same kind of URL)."""
    if url.startswith("sqlite"):  # with the write-ahead log, if any (none of the target's)
        source, target = (Path(u.removeprefix("sqlite:///")) for u in (template, url))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
            if Path(f"{source}{suffix}").exists():
                shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")
        return
    from sqlalchemy import text

    (target, admin), source = _pg_admin(url), _pg_admin(template)[0].database
    with admin.connect() as connection:
        connection.execute(text("SET statement_timeout = '120s'"))
        for name in (target.database, source):
            connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}"'))
        connection.execute(text(f'CREATE DATABASE "{target.database}" TEMPLATE "{source}"'))
    admin.dispose()


def serve(url: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "SURVEY_DATABASE_URL": url, "TWILIO_AUTH_TOKEN": TOKEN,
           "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "SURVEY_PORT": str(port),
           "KAOPING_WORKERS": os.environ.get("KAOPING_WORKERS", "2"),
           "KAOPING_THREADS": os.environ.get("KAOPING_THREADS", "4"),
           "KAOPING_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c",
                                str(ROOT / "services/survey/gunicorn.conf.py")], cwd=ROOT,
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return process
        except requests.RequestException:
            time.sleep(0.2)
    stop(process)
    raise SystemExit("gunicorn did not start in 90 s")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        log("gunicorn did not stop in 15 s: killed")
        process.kill()
        process.wait(15)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu(server: subprocess.Popen, url: str) -> tuple[float, float]:
    """CPU seconds so far of the gunicorn workers and of the database's backends."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    workers = sum(_cpu_seconds(int(pid)) for pid in children.read_text().split())
    if not url.startswith("postgresql"):
        return workers, 0.0
    import psycopg

    target = url.replace("+psycopg", "")
    with psycopg.connect(target.rsplit("/", 1)[0] + "/postgres", connect_timeout=10) as db:
        pids = [row[0] for row in db.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s",
            (target.rsplit("/", 1)[1],))]
    return workers, sum(_cpu_seconds(pid) for pid in pids)


def load(jobs: list, concurrency: int) -> tuple[float, float, float, int]:
    """Send the jobs from threads; return (requests/s, p50 ms, p99 ms, errors)."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    index = [0]

    def worker():
        session = requests.Session()
        while True:
            with lock:
                if index[0] >= len(jobs):
                    return
                job = jobs[index[0]]
                index[0] += 1
            method, url, data, headers = job
            began = time.perf_counter()
            response = session.request(method, url, data=data, headers=headers, timeout=30)
            spent = time.perf_counter() - began
            with lock:
                latencies.append(spent)
                errors[0] += response.status_code >= 400

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    return (len(latencies) / elapsed, 1000 * latencies[len(latencies) // 2],
            1000 * latencies[int(len(latencies) * 0.99) - 1], errors[0])


def load_wrk(jobs: list, concurrency: int, workdir: Path,
             unique: bool = True) -> tuple[float, float, float, int]:
    """Send the jobs with wrk (one thread, ``concurrency`` connections) for DURATION s;
    ``unique``: each job must be sent once (warn when wrk ran out and repeated some)."""
    from urllib.parse import urlencode, urlsplit

    lines = []
    for method, url, data, headers in jobs:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        lines.append("\t".join([method, path, headers.get("X-Twilio-Signature", ""),
                                urlencode(data or {})]))
    requests_file = workdir / "requests.txt"
    requests_file.write_text("\n".join(lines) + "\n")
    base = urlsplit(jobs[0][1])
    output = subprocess.run(
        [WRK, "-t1", f"-c{concurrency}", f"-d{DURATION}s", "--timeout", "10s",
         "-s", str(ROOT / "bench/wrk_requests.lua"), f"{base.scheme}://{base.netloc}",
         "--", str(requests_file), "1"],
        capture_output=True, text=True, check=True, timeout=DURATION + 60).stdout
    found = re.search(r"RESULT requests=(\d+) duration_us=(\d+) p50_us=(\d+) p99_us=(\d+) "
                      r"status_errors=(\d+) socket_errors=(\d+) repeats=(\d+)", output)
    if found is None:
        raise SystemExit(f"wrk printed no result:\n{output}")
    count, duration, p50, p99, status, sockets, repeats = map(int, found.groups())
    if repeats and unique:
        print(f"  warning: {repeats} requests were repeats; raise PER_LEVEL", file=sys.stderr)
    return count / (duration / 1e6), p50 / 1000, p99 / 1000, status + sockets


def gather_jobs(port: int, attempts: list[int]) -> list:
    validator = RequestValidator(TOKEN)
    jobs = []
    for attempt in attempts:
        url = (f"http://127.0.0.1:{port}/api/v1/telephony/voice/question"
               f"?attempt={attempt}&q=sat&tries=1")
        params = {"CallSid": f"CA{attempt}", "Digits": "1", "CallStatus": "in-progress"}
        jobs.append(("POST", url, params,
                     {"X-Twilio-Signature": validator.compute_signature(url, params)}))
    return jobs


def stored_once(url: str, jobs: list, result: tuple, elapsed_s: float | None) -> None:
    """Every answered Gather stored its answer and idempotency record exactly once: as
    many answers as records, one per interview at most, and no fewer than the requests
    the client counted (wrk may stop with a few more in flight, which count too)."""
    from sqlalchemy import create_engine, text

    attempts = [int(job[1].split("attempt=")[1].split("&")[0]) for job in jobs]
    engine = create_engine(url, connect_args={"connect_timeout": 10}
                           if url.startswith("postgresql") else {})
    with engine.connect() as connection:
        answers, interviews = connection.execute(text(
            "SELECT count(*), count(DISTINCT a.interview_id) FROM answers a "
            "JOIN phone_contacts c ON c.interview_id = a.interview_id "
            "JOIN call_attempts t ON t.contact_id = c.id WHERE t.id IN (SELECT unnest("
            "CAST(:ids AS integer[])))" if url.startswith("postgresql") else
            "SELECT count(*), count(DISTINCT a.interview_id) FROM answers a "
            "JOIN phone_contacts c ON c.interview_id = a.interview_id "
            "JOIN call_attempts t ON t.contact_id = c.id WHERE t.id IN "
            f"({','.join(map(str, attempts))})"),
            {"ids": attempts} if url.startswith("postgresql") else {}).one()
        records = connection.execute(text(
            "SELECT count(*) FROM idempotency_records WHERE key LIKE 'CA%'")).scalar()
    engine.dispose()
    sent = round(result[0] * elapsed_s) if elapsed_s else len(jobs)
    ok = answers == interviews and answers >= sent * 0.97 and records >= answers
    print(f"  stored: {answers} answers for {interviews} interviews, {records} webhook records "
          f"so far, client counted ~{sent}: {'each once' if ok else 'MISMATCH'}", flush=True)


def bench(name: str, url: str, workdir: Path) -> None:
    rows: dict[tuple[str, int], list] = {}
    per_level = PER_LEVEL if WRK else REQUESTS
    template = (url.rsplit("/", 1)[0] + "/" + url.rsplit("/", 1)[1] + "_template"
                if url.startswith("postgresql") else url[:-len(".sqlite3")] + "-template.sqlite3")
    with phase(f"{name}: preparing {per_level * len(CONCURRENCY)} calls once"):
        attempts = prepare(template, per_level * len(CONCURRENCY))
    for run in range(RUNS):
        with phase(f"{name}: run {run + 1}/{RUNS}: copying the prepared database"):
            copy_database(template, url)
        port = free_port()
        with phase(f"{name}: run {run + 1}/{RUNS}: starting gunicorn"):
            server = serve(url, port)
        try:
            for i, clients in enumerate(CONCURRENCY):
                health = [("GET", f"http://127.0.0.1:{port}/healthz", None, {})]
                batch = gather_jobs(port, attempts[i * per_level:(i + 1) * per_level])
                for kind, jobs in (("healthz", health), ("gather", batch)):
                    with phase(f"{name}: run {run + 1}/{RUNS}: {kind}, {clients} clients"):
                        cpu_before = server_cpu(server, url)
                        if WRK:
                            result = load_wrk(jobs, clients, workdir, unique=kind == "gather")
                        else:
                            result = load(jobs * (per_level if kind == "healthz" else 1),
                                          clients)
                        cpu_after = server_cpu(server, url)
                    sent = result[0] * DURATION if WRK else len(jobs)
                    cpu = tuple(1000 * (a - b) / max(sent, 1)
                                for a, b in zip(cpu_after, cpu_before, strict=True))
                    log(f"{kind} {clients} clients: {result[0]:.0f} req/s, p50 {result[1]:.1f} ms,"
                        f" p99 {result[2]:.1f} ms, errors {result[3]}, CPU per request: "
                        f"workers {cpu[0]:.2f} ms, database {cpu[1]:.2f} ms")
                    rows.setdefault((kind, clients), []).append((*result, *cpu))
                    if kind == "gather":
                        stored_once(url, batch, result, elapsed_s=DURATION if WRK else None)
        finally:
            with phase(f"{name}: run {run + 1}/{RUNS}: stopping gunicorn"):
                stop(server)
    size = f"{DURATION} s each" if WRK else f"{REQUESTS} requests each"
    for (kind, clients), results in rows.items():
        rps, p50, p99, errors, workers, database = (statistics.median(r[i] for r in results)
                                                    for i in range(6))
        print(f"{name:<10} {kind:<8} {clients:3d} clients {rps:7.0f} req/s   p50 {p50:6.1f} ms"
              f"   p99 {p99:6.1f} ms   errors {errors:.0f}   CPU/request workers {workers:.2f} ms"
              f" database {database:.2f} ms   (median of {RUNS} runs, {size})", flush=True)
    for clients in CONCURRENCY:
        gather = [r[0] for r in rows.get(("gather", clients), [])]
        health = [r[0] for r in rows.get(("healthz", clients), [])]
        if gather and health:
            ratios = [g / h for g, h in zip(gather, health, strict=True)]
            each = ", ".join(f"{r:.2f}" for r in ratios)
            print(f"{name:<10} gather/healthz at {clients} clients: median "
                  f"{statistics.median(ratios):.2f} (runs: {each})", flush=True)


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-gather-"))
    os.environ.setdefault("KAOPING_VAR_DIR", str(tmp / "var"))
    os.environ.setdefault("KAOPING_ENV", "test")
    print(f"bench_gather_webhook {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
          f"gunicorn {os.environ.get('KAOPING_WORKERS', '2')} workers x "
          f"{os.environ.get('KAOPING_THREADS', '4')} threads, client "
          f"{'wrk' if WRK else 'python threads (install wrk for server-bound figures)'}, "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    if "sqlite" in DATABASES:
        bench("sqlite", f"sqlite:///{tmp / 'survey.sqlite3'}", tmp)
    if "postgresql" not in DATABASES:
        return
    try:
        import psycopg

        psycopg.connect(PG_URL.replace("+psycopg", "").rsplit("/", 1)[0] + "/postgres",
                        connect_timeout=10).close()
    except Exception as exc:
        print(f"postgresql skipped: {exc.__class__.__name__}")
        return
    bench("postgresql", PG_URL, tmp)


if __name__ == "__main__":
    main()
