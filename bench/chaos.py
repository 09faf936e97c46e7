"""Chaos harness: the suite in its scale-out shape under kill -9, replays and a database
outage; prints what was lost, duplicated or refused, and how fast it came back.

    .venv/bin/python bench/chaos.py [--seconds 90] [--outage 10] [--numbers 240] ...
    make chaos

What runs (ports from ``--base-port``, default 5160): two survey service instances
under gunicorn (+1, +2) behind a round-robin balancer (+0, the ``PUBLIC_BASE_URL``
Twilio's requests are signed for), two dialers, the simulated carrier (+4), the
inspection (+5) and scoring (+6) services; on PostgreSQL every process reaches the
database through a TCP proxy (+3) that the harness can cut (``bench/chaos_proxy.py``).
The databases ``<prefix>_survey``, ``_scoring`` and ``_inspection`` are created and
dropped by the run (``--keep`` keeps them).

What happens during ``--seconds``: a telephone campaign of ``--numbers`` cases; every
Gather the carrier sends is replayed 10 times (``bench/chaos_phone.py``); concurrent
idempotent inspection submissions and self-check submissions and month uploads with
retries (``bench/chaos_intake.py``); a gunicorn worker of a random service killed with
SIGKILL every few seconds; each dialer killed with SIGKILL once and restarted 2 s
later; the database cut (connections reset, new ones refused) for ``--outage``
seconds. Then the campaign is let finish (``--settle`` seconds at most), the
processes are stopped, and the databases are checked against what the clients were
acknowledged. Nothing here mocks the services: they run as they do in production.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import secrets
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def options(argv: list[str] | None = None) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=("postgresql", "sqlite"),
                        default=env("CHAOS_DATABASE", "postgresql"))
    parser.add_argument("--pg-url", default=env("CHAOS_PG_URL",
                                                "postgresql+psycopg://postgres@127.0.0.1:5432"),
                        help="server to create the databases on")
    parser.add_argument("--prefix", default=env("CHAOS_PREFIX", "kaoping_chaos"))
    parser.add_argument("--base-port", type=int, default=int(env("CHAOS_BASE_PORT", 5160)))
    parser.add_argument("--seconds", type=float, default=float(env("CHAOS_SECONDS", 90)),
                        help="load and faults last this long")
    parser.add_argument("--settle", type=float, default=float(env("CHAOS_SETTLE", 60)),
                        help="then at most this long for the campaign to finish")
    parser.add_argument("--outage", type=float, default=float(env("CHAOS_OUTAGE", 10)))
    parser.add_argument("--numbers", type=int, default=int(env("CHAOS_NUMBERS", 150)))
    parser.add_argument("--cps", type=float, default=float(env("CHAOS_CPS", 6)))
    parser.add_argument("--visits", type=int, default=int(env("CHAOS_VISITS", 200)))
    parser.add_argument("--units", type=int, default=int(env("CHAOS_UNITS", 120)))
    parser.add_argument("--months", type=int, default=int(env("CHAOS_MONTHS", 4)))
    parser.add_argument("--replays", type=int, default=int(env("CHAOS_REPLAYS", 10)))
    parser.add_argument("--kill-every", type=float, default=float(env("CHAOS_KILL_EVERY", 6)),
                        help="mean seconds between worker kills")
    parser.add_argument("--workers", default=env("CHAOS_WORKERS", "2"))
    parser.add_argument("--threads", default=env("CHAOS_THREADS", "4"))
    parser.add_argument("--lease", default=env("CHAOS_DIALER_LEASE", "30"),
                        help="DIALER_LEASE_SECONDS of the dialers")
    parser.add_argument("--stale", default=env("CHAOS_DIALER_STALE", "20"),
                        help="DIALER_STALE_SECONDS of the dialers")
    parser.add_argument("--seed", type=int, default=int(env("CHAOS_SEED", 11)))
    parser.add_argument("--json", help="also write the results to this file")
    parser.add_argument("--keep", action="store_true", help="keep the databases and var/")
    return parser.parse_args(argv)


class Run:
    """Names, ports, URLs and environment of one chaos run."""

    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.var = Path(tempfile.mkdtemp(prefix="kaoping-chaos-"))
        port = args.base_port
        self.balancer, self.survey_ports, self.pg_proxy = port, (port + 1, port + 2), port + 3
        self.carrier, self.inspection, self.scoring = port + 4, port + 5, port + 6
        self.public = f"http://127.0.0.1:{self.balancer}"
        self.token = secrets.token_urlsafe(24)
        self.direct: dict[str, str] = {}
        self.served: dict[str, str] = {}
        for service in ("survey", "scoring", "inspection"):
            if args.database == "sqlite":
                self.direct[service] = self.served[service] = \
                    f"sqlite:///{self.var / (service + '.sqlite3')}"
            else:
                from sqlalchemy.engine import make_url

                server = make_url(args.pg_url)
                database = f"{args.prefix}_{service}"
                self.direct[service] = server.set(database=database).render_as_string(False)
                self.served[service] = server.set(host="127.0.0.1", port=self.pg_proxy,
                                                  database=database).render_as_string(False)

    def environment(self) -> dict[str, str]:
        from cryptography.fernet import Fernet

        return {
            "KAOPING_ENV": "development", "KAOPING_VAR_DIR": str(self.var),
            "KAOPING_LOG_LEVEL": "WARNING", "KAOPING_JWT_SECRET": secrets.token_urlsafe(32),
            "TWILIO_ACCOUNT_SID": "AC" + "c4a05" + "0" * 27, "TWILIO_AUTH_TOKEN": self.token,
            "SURVEY_PHONE_KEYS": Fernet.generate_key().decode(),
            "SURVEY_PHONE_HASH_KEY": secrets.token_urlsafe(32),
            **{f"{s.upper()}_DATABASE_URL": url for s, url in self.served.items()},
            "KAOPING_DB_POOL_SIZE": "3", "KAOPING_DB_MAX_OVERFLOW": "2",
            "KAOPING_WORKERS": self.args.workers, "KAOPING_THREADS": self.args.threads,
            "PUBLIC_BASE_URL": self.public,
            "TWILIO_API_BASE_URL": f"http://127.0.0.1:{self.carrier}",
            "CARRIER_PORT": str(self.carrier),
            "CARRIER_PUBLIC_URL": f"http://127.0.0.1:{self.carrier}",
            "CARRIER_TIME_SCALE": "0.02", "CARRIER_MAX_ACTIVE": "100", "CARRIER_THREADS": "16",
            "INSPECTION_PORT": str(self.inspection), "SCORING_PORT": str(self.scoring),
            "SCORING_URL": "http://127.0.0.1:9",  # inspection's registry: down, not needed
            "DIALER_LEASE_SECONDS": self.args.lease, "DIALER_STALE_SECONDS": self.args.stale,
        }


def create_databases(run: Run) -> None:
    from shared.db import make_engine
    from shared.migrations import service_migrations_dir, upgrade
    from tests.conftest import _recreate_pg

    for service, url in run.direct.items():
        if url.startswith("postgresql"):
            _recreate_pg(url)
        engine = make_engine(url)
        upgrade(engine, service_migrations_dir(service))
        engine.dispose()


def drop_databases(run: Run) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    for url in run.direct.values():
        if not url.startswith("postgresql"):
            continue
        target = make_url(url)
        admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    run = Run(args)
    os.environ.update(run.environment())
    from bench.chaos_faults import Chaos
    from bench.chaos_report import print_report

    started = datetime.now(UTC)
    outage = f"outage {args.outage:.0f} s" if args.database == "postgresql" else "no outage"
    print(f"chaos {started:%Y-%m-%d %H:%M} UTC on {args.database}, {platform.machine()} "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
          f"{args.seconds:.0f} s of load, {outage}, seed {args.seed}", flush=True)
    try:
        create_databases(run)
        chaos = Chaos(run, random.Random(args.seed))
        try:
            chaos.prepare()
            chaos.start()
            chaos.unleash()
            chaos.settle()
        finally:
            chaos.stop()
        results = chaos.verify()
    finally:
        if not args.keep:
            drop_databases(run)
            subprocess.run(["rm", "-rf", str(run.var)], check=False)
    results["started"] = started.isoformat(timespec="seconds")
    results["machine"] = {"cores": os.cpu_count(), "python": platform.python_version(),
                          "load_average_at_end": round(os.getloadavg()[0], 1)}
    ok = print_report(results)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
