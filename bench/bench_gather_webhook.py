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

    .venv/bin/python bench/bench_gather_webhook.py
"""

from __future__ import annotations

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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str, calls: int) -> tuple[list[int], str]:
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
    frame = "phone,township\n" + "".join(f"139{n:08d},T01\n" for n in range(calls))
    with session_scope(sessions) as session:
        campaign = create_campaign(session, {"poll_id": poll_id, "name": "bench",
                                             "from_number": "+8657488880000",
                                             "max_concurrent": calls, "cps": 100.0})
        import_frame(session, campaign.id, "f.csv", frame.encode(), vault())
        change_state(session, campaign.id, "start")
        campaign_id = campaign.id
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
    engine.dispose()
    return attempts, url


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
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return process
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not start")


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
        capture_output=True, text=True, check=True).stdout
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
    engine = create_engine(url)
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
    for run in range(RUNS):
        print(f"  {name}: run {run + 1}/{RUNS}: preparing {per_level * len(CONCURRENCY)} calls",
              file=sys.stderr, flush=True)
        attempts, _ = prepare(url, per_level * len(CONCURRENCY))
        port = free_port()
        server = serve(url, port)
        try:
            for i, clients in enumerate(CONCURRENCY):
                health = [("GET", f"http://127.0.0.1:{port}/healthz", None, {})]
                batch = gather_jobs(port, attempts[i * per_level:(i + 1) * per_level])
                for kind, jobs in (("healthz", health), ("gather", batch)):
                    if WRK:
                        result = load_wrk(jobs, clients, workdir, unique=kind == "gather")
                    else:
                        result = load(jobs * (per_level if kind == "healthz" else 1), clients)
                    rows.setdefault((kind, clients), []).append(result)
                    if kind == "gather":
                        stored_once(url, batch, result, elapsed_s=DURATION if WRK else None)
        finally:
            server.terminate()
            server.wait(10)
    size = f"{DURATION} s each" if WRK else f"{REQUESTS} requests each"
    for (kind, clients), results in rows.items():
        rps, p50, p99, errors = (statistics.median(r[i] for r in results) for i in range(4))
        print(f"{name:<10} {kind:<8} {clients:3d} clients {rps:7.0f} req/s   p50 {p50:6.1f} ms"
              f"   p99 {p99:6.1f} ms   errors {errors:.0f}   (median of {RUNS} runs, {size})")


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-gather-"))
    os.environ.setdefault("KAOPING_VAR_DIR", str(tmp / "var"))
    os.environ.setdefault("KAOPING_ENV", "test")
    print(f"bench_gather_webhook {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, "
          f"gunicorn {os.environ.get('KAOPING_WORKERS', '2')} workers x "
          f"{os.environ.get('KAOPING_THREADS', '4')} threads, client "
          f"{'wrk' if WRK else 'python threads (install wrk for server-bound figures)'}")
    if "sqlite" in DATABASES:
        bench("sqlite", f"sqlite:///{tmp / 'survey.sqlite3'}", tmp)
    if "postgresql" not in DATABASES:
        return
    try:
        import psycopg

        psycopg.connect(PG_URL.replace("+psycopg", "").rsplit("/", 1)[0] + "/postgres").close()
    except Exception as exc:
        print(f"postgresql skipped: {exc.__class__.__name__}")
        return
    bench("postgresql", PG_URL, tmp)


if __name__ == "__main__":
    main()
