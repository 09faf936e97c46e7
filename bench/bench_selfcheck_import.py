"""Benchmark: import 12 months × 10,000 units × 30 indicators of self-checks from CSV.

Generates the CSV files (one per month, 300,000 rows each) in a temporary folder,
then imports them month by month through the same domain function the upload
endpoint uses (``self_checks.import_month``: decode, header check, per-row validation
against registry and scheme, late flag, one all-or-nothing transaction per month).
Each full run happens in a child process on a fresh database, so that its peak
resident memory (``ru_maxrss``) is the import's own. Baselines in the same run: only
reading and parsing the CSV files (``csv.reader``), and inserting the same rows with
plain ``sqlite3.executemany`` (no validation).

    .venv/bin/python bench/bench_selfcheck_import.py [--units 10000] [--months 12]
        [--indicators 30] [--repeat 3] [--database-url postgresql+psycopg://...] [--old-copy]

On PostgreSQL each run also reports the CPU seconds of the session's server backend
(read from /proc: the server on this host) beside the client's, i.e. the server's
share; ``--old-copy`` runs the previous COPY path (psycopg's ``write_row`` per row)
alternately with the current one on the same files.

Target (issue 3): under 60 s and under 1 GB for the full size. Nothing is kept.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _scheme(indicators: int) -> dict:
    leaves = [{"id": f"i{k:02d}", "source": "self_check", "direction": "higher",
               "unit_of_measure": "%", "weight": 1 / indicators} for k in range(indicators)]
    leaves[-1]["weight"] = 1 - sum(leaf["weight"] for leaf in leaves[:-1])
    return {"root": {"id": "root", "children": leaves}}


def write_month(folder: Path, month: str, units: int, indicators: int, seed: int) -> Path:
    rng = random.Random(seed)
    path = folder / f"self_checks_{month}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["unit", "indicator", "target", "actual", "unit_of_measure", "narrative"])
        for u in range(units):
            code = f"U{u:05d}"
            for k in range(indicators):
                target = round(rng.uniform(50, 100), 1)
                writer.writerow([code, f"i{k:02d}", target,
                                 round(target * rng.uniform(0.8, 1.1), 2), "%", "按计划完成"])
    return path


def prepare(url: str, units: int, indicators: int) -> None:
    from sqlalchemy import insert

    from services.scoring import periods, schemes
    from services.scoring.models.registry import PeerGroup, Unit
    from shared.db import make_engine, session_factory, session_scope
    from shared.migrations import service_migrations_dir, upgrade

    engine = make_engine(url)
    upgrade(engine, service_migrations_dir("scoring"))
    with session_scope(session_factory(engine)) as session:
        session.add(PeerGroup(code="G", name_zh="组", name_en="group", description=""))
        session.flush()
        session.execute(insert(Unit), [{"code": f"U{u:05d}", "name_zh": f"单位{u}",
                                        "name_en": f"Unit {u}", "kind": "department",
                                        "peer_group_id": 1} for u in range(units)])
        periods.create_year(session, 2026)
        schemes.create_scheme(session, "bench", "基准", "bench")
        schemes.add_version(session, "bench", _scheme(indicators), "bench")
    engine.dispose()


def child(args) -> None:
    """One full run: import every month file into a prepared database; print JSON."""
    from services.scoring import self_checks
    from services.scoring.reporters import Reporter
    from shared.db import make_engine, session_factory, session_scope

    if args.old_copy:
        self_checks.bulk_insert = _driver_copy
    engine = make_engine(args.database_url)
    factory = session_factory(engine)
    times, server_s = [], 0.0
    who = Reporter("bench", None, True)
    for path in sorted(Path(args.folder).glob("self_checks_*.csv")):
        month = path.stem.split("_")[-1]
        started = time.perf_counter()
        with session_scope(factory) as session:
            backend = _backend_cpu(session)
            result = self_checks.import_month(session, month, path.name, path.read_bytes(), who)
            server_s += _backend_cpu(session) - backend
        times.append(time.perf_counter() - started)
        assert result["values"] == args.units * args.indicators, result
    engine.dispose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"total": sum(times), "months": times, "peak_mb": peak_mb,
                      "client_cpu": time.process_time(), "server_cpu": server_s}))


def _backend_cpu(session) -> float:
    """CPU seconds of the session's PostgreSQL backend so far (server on this host), else 0."""
    if session.get_bind().dialect.name != "postgresql":
        return 0.0
    from sqlalchemy import text

    pid = session.execute(text("SELECT pg_backend_pid()")).scalar()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _driver_copy(session, table, columns, rows) -> None:
    """The previous PostgreSQL path: psycopg's ``Copy.write_row`` adapts every value."""
    cursor = session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def baseline_parse(folder: Path) -> float:
    started = time.perf_counter()
    rows = 0
    for path in sorted(folder.glob("self_checks_*.csv")):
        text = path.read_bytes().decode("utf-8-sig")
        for _row in csv.reader(io.StringIO(text, newline="")):
            rows += 1
    return time.perf_counter() - started


def baseline_sqlite(folder: Path) -> float:
    database = folder / "baseline.sqlite3"
    database.unlink(missing_ok=True)
    connection = sqlite3.connect(database)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("CREATE TABLE t (month TEXT, unit TEXT, indicator TEXT, target REAL, "
                       "actual REAL, uom TEXT, narrative TEXT, UNIQUE (month, unit, indicator))")
    started = time.perf_counter()
    for path in sorted(folder.glob("self_checks_*.csv")):
        month = path.stem.split("_")[-1]
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            next(reader)
            connection.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)",
                                   ((month, *row) for row in reader))
        connection.commit()
    elapsed = time.perf_counter() - started
    connection.close()
    database.unlink(missing_ok=True)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--indicators", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL URL of an empty database (default: SQLite in temp)")
    parser.add_argument("--old-copy", action="store_true",
                        help="PostgreSQL: also time the previous COPY (psycopg write_row)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    rows = args.units * args.months * args.indicators
    print(f"self-check import benchmark, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print(f"size: {args.months} months x {args.units} units x {args.indicators} indicators "
          f"= {rows:,} rows")
    with tempfile.TemporaryDirectory(prefix="kaoping-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        for m in range(1, args.months + 1):
            write_month(folder, f"2026-{m:02d}", args.units, args.indicators, seed=m)
        size = sum(p.stat().st_size for p in folder.glob("*.csv")) / 2**20
        print(f"generated {size:.0f} MiB of CSV in {time.perf_counter() - started:.1f} s")
        parse = statistics.median(baseline_parse(folder) for _ in range(args.repeat))
        raw = statistics.median(baseline_sqlite(folder) for _ in range(args.repeat))
        print(f"baseline csv.reader only:         median {parse:7.1f} s")
        print(f"baseline sqlite3.executemany:     median {raw:7.1f} s")
        paths = [("kaoping import (validate + store)", [])]
        if args.old_copy and args.database_url:
            paths.append(("previous COPY (psycopg write_row)", ["--old-copy"]))
        results: dict[str, list] = {name: [] for name, _ in paths}
        for index in range(args.repeat):
            for name, flags in paths:  # alternated, so that both see the same load
                url = args.database_url or f"sqlite:///{folder / f'run{index}.sqlite3'}"
                if args.database_url:
                    _reset_pg(url)
                prepare(url, args.units, args.indicators)
                out = subprocess.run([sys.executable, __file__, "--child", "--folder",
                                      str(folder), "--database-url", url, "--units",
                                      str(args.units), "--indicators", str(args.indicators),
                                      *flags], check=True, capture_output=True, text=True)
                run = json.loads(out.stdout.strip().splitlines()[-1])
                results[name].append(run)
                print(f"run {index + 1} {name}: {run['total']:.1f} s, peak RSS "
                      f"{run['peak_mb']:.0f} MiB, median month "
                      f"{statistics.median(run['months']):.2f} s, client CPU "
                      f"{run['client_cpu']:.1f} s, server CPU {run['server_cpu']:.1f} s")
                if not args.database_url:
                    (folder / f"run{index}.sqlite3").unlink(missing_ok=True)
        for name, runs in results.items():
            total = statistics.median(r["total"] for r in runs)
            peak = statistics.median(r["peak_mb"] for r in runs)
            client = statistics.median(r["client_cpu"] for r in runs)
            server = statistics.median(r["server_cpu"] for r in runs)
            share = f", server CPU {server:.1f} s vs client CPU {client:.1f} s" if server else ""
            print(f"{name + ':':<36} median {total:7.1f} s ({rows / total:,.0f} rows/s), "
                  f"peak RSS median {peak:.0f} MiB{share} [target < 60 s, < 1024 MiB]")
        print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


def _reset_pg(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}"'))
        connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


if __name__ == "__main__":
    main()
