"""One chaos run from start to checks: processes, load, the fault schedule, settling.

``Chaos.unleash`` draws the schedule from the run's seed: a gunicorn worker of each
service killed once at a random moment, and more, one every ``--kill-every`` seconds
on average (exponential gaps) in a random service; each dialer killed once; the
database outage at 40 % of the run. No worker is killed in the eight seconds after
the database returns (such a kill moves to before the outage), so that the recovery
figure measures the database's return and not a worker's restart.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.chaos_intake import (
    Load,
    inspection_tasks,
    prepare_inspection,
    prepare_scoring,
    scoring_tasks,
    verify_inspection,
    verify_scoring,
)
from bench.chaos_phone import GATHERS, Replayer, gather_path, prepare_phone, verify_phone
from bench.chaos_probes import Probe, inspection_probe, scoring_probe, survey_probe
from bench.chaos_stack import LineReader, Stack, gunicorn, wait_ready

if TYPE_CHECKING:
    from bench.chaos import Run

BENCH = Path(__file__).resolve().parent
WORKER_TARGETS = ("survey-a", "survey-b", "inspection", "scoring")
RECOVERY_GUARD = 8.0


class Chaos:
    def __init__(self, run: Run, rng: random.Random):
        self.run = run
        self.args = run.args
        self.rng = rng
        self.stack = Stack(run.var, {})
        self.kills: list[dict] = []
        self.outage: tuple[float, float] | None = None
        self.probes: dict[str, Probe] = {}
        self.closely = threading.Event()  # probes write every 0.1 s around the outage

    # --- before -----------------------------------------------------------------------
    def prepare(self) -> None:
        args, run = self.args, self.run
        self.phone = prepare_phone(run.direct["survey"], args.numbers, args.cps, 30)
        visits, self.probe_visit = prepare_inspection(run.direct["inspection"], args.visits)
        prepare_scoring(run.direct["scoring"], args.units)
        spread = 0.8 * args.seconds
        self.inspection_tasks = inspection_tasks(visits, spread, self.rng)
        self.scoring_tasks = scoring_tasks(args.units, args.months, 40, spread, self.rng)

    def start(self) -> None:
        run, args = self.run, self.args
        self.replayer = Replayer(run.public, args.replays, 15.0, 10, args.seed)
        argv = [sys.executable, str(BENCH / "chaos_proxy.py"), "--http", str(run.balancer),
                "--backends", ",".join(map(str, run.survey_ports))]
        if args.database == "postgresql":
            from sqlalchemy.engine import make_url

            server = make_url(args.pg_url)
            argv += ["--pg", str(run.pg_proxy),
                     "--pg-target", f"{server.host or '127.0.0.1'}:{server.port or 5432}"]
        proxy = self.stack.start("proxy", argv, stdout=subprocess.PIPE)
        self.ledger = LineReader(proxy, on_http=self.replayer.offer)
        self.ledger.wait_for("ready", 30)
        self.stack.start("carrier", gunicorn("carrier"))
        for name, port in zip(("survey-a", "survey-b"), run.survey_ports, strict=True):
            self.stack.start(name, gunicorn("survey"), {"SURVEY_PORT": str(port)})
        self.stack.start("inspection", gunicorn("inspection"))
        self.stack.start("scoring", gunicorn("scoring"))
        wait_ready(f"http://127.0.0.1:{run.carrier}/healthz")
        for port in (*run.survey_ports, run.inspection, run.scoring):
            wait_ready(f"http://127.0.0.1:{port}/readyz")
        for name in ("dialer-a", "dialer-b"):
            self.stack.start(name, [sys.executable, "-m", "services.cli", "dialer",
                                    "--worker-id", f"chaos-{name}"])

    # --- during -----------------------------------------------------------------------
    def schedule(self) -> list[tuple[float, str, str]]:
        seconds, outage = self.args.seconds, self.args.outage
        cut = 0.4 * seconds
        events = [(cut - 2.0, "watch", "probes"), (cut, "cut", "database"),
                  (cut + outage, "restore", "database"),
                  (min(seconds, cut + outage + 20.0), "unwatch", "probes")]
        for name, share in (("dialer-a", (0.15, 0.3)), ("dialer-b", (0.55, 0.7))):
            when = self.rng.uniform(*share) * seconds
            events += [(when, "kill-dialer", name), (when + 2.0, "restart", name)]
        guard = (cut + outage, cut + outage + RECOVERY_GUARD) if self.args.database == \
            "postgresql" else (0.0, 0.0)
        # Each service's workers once at a random moment, then more at random.
        moments = [(self.rng.uniform(0.05, 0.95) * seconds, target)
                   for target in WORKER_TARGETS]
        moment = 2.0
        while True:
            moment += self.rng.expovariate(1 / self.args.kill_every)
            if moment >= seconds - 1:
                break
            moments.append((moment, self.rng.choice(WORKER_TARGETS)))
        for moment, target in moments:
            if guard[0] <= moment <= guard[1]:
                moment = self.rng.uniform(0.05, 0.95) * cut  # before the outage instead
            events.append((moment, "kill-worker", target))
        return sorted(events)

    def unleash(self) -> None:
        run, args = self.run, self.args
        self.loads = [Load(f"http://127.0.0.1:{run.inspection}", self.inspection_tasks, 8, 2,
                           args.seed),
                      Load(f"http://127.0.0.1:{run.scoring}", self.scoring_tasks, 6, 2,
                           args.seed + 1)]
        survey = [f"http://127.0.0.1:{port}" for port in run.survey_ports]
        sends = {
            "survey-a": survey_probe(survey[0], run.public, run.token, self.phone.probe_attempt),
            "survey-b": survey_probe(survey[1], run.public, run.token, self.phone.probe_attempt),
            "inspection": inspection_probe(f"http://127.0.0.1:{run.inspection}",
                                           self.probe_visit),
            "scoring": scoring_probe(f"http://127.0.0.1:{run.scoring}", f"U{args.units:04d}")}
        self.probes = {name: Probe(name, send, self.closely) for name, send in sends.items()}
        for load in self.loads:
            load.start()
        for probe in self.probes.values():
            probe.start()
        began = time.monotonic()
        for when, action, target in self.schedule():
            delay = began + when - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self.act(action, target)
        time.sleep(max(0.0, began + args.seconds - time.monotonic()))

    def act(self, action: str, target: str) -> None:
        if action == "kill-worker":
            workers = self.stack.workers(target)
            if workers:
                pid = self.rng.choice(workers)
                os.kill(pid, signal.SIGKILL)
                self.kills.append({"t": time.time(), "target": target, "pid": pid})
        elif action == "kill-dialer":
            pid = self.stack.kill9(target)
            self.kills.append({"t": time.time(), "target": target, "pid": pid})
        elif action == "restart":
            self.stack.restart(target)
        elif action in ("watch", "unwatch"):
            (self.closely.set if action == "watch" else self.closely.clear)()
        elif self.args.database == "postgresql":
            proxy = self.stack.processes["proxy"].pid
            cut = action == "cut"
            os.kill(proxy, signal.SIGUSR1 if cut else signal.SIGUSR2)
            event = self.ledger.wait_for("pg", 10)
            if cut:
                self.outage = (event["t"], event["t"])
            else:
                self.outage = (self.outage[0], event["t"])

    # --- after ------------------------------------------------------------------------
    def settle(self) -> None:
        """Wait until the campaign is finished, the carrier idle, every replay sent and
        every client done, for ``--settle`` seconds at most."""
        deadline = time.monotonic() + self.args.settle
        for load in self.loads:
            load.deadline = deadline
        while time.monotonic() < deadline:
            if (self._campaign_finished() and self._carrier_idle()
                    and not self.replayer.pending()
                    and all(load.done() for load in self.loads)):
                break
            time.sleep(0.5)
        self.settled = {"campaign_finished": self._campaign_finished(),
                        "carrier_idle": self._carrier_idle(),
                        "replays_pending": self.replayer.pending()}
        for load in self.loads:
            load.finish(deadline)

    def _campaign_finished(self) -> bool:
        from services.survey.models.telephony import Campaign
        from shared.db import make_engine

        engine = make_engine(self.run.direct["survey"])
        with Session(engine) as session:
            state = session.scalar(select(Campaign.state).where(
                Campaign.id == self.phone.campaign_id))
        engine.dispose()
        return state == "finished"

    def _carrier_idle(self) -> bool:
        try:
            return not requests.get(f"http://127.0.0.1:{self.run.carrier}/sim/stats", timeout=5,
                                    auth=(os.environ["TWILIO_ACCOUNT_SID"],
                                          self.run.token)).json()["busy"]
        except requests.RequestException:
            return False

    def stop(self) -> None:
        for probe in self.probes.values():
            probe.stop()
        if hasattr(self, "replayer"):
            self.replayer.stop()
        for name in ("dialer-a", "dialer-b"):
            self.stack.stop(name)
        self.stack.stop_all()

    def verify(self) -> dict:
        run = self.run
        carrier = [r for r in self.ledger.records if r["kind"] == "http"]
        phone = verify_phone(run.direct["survey"], self.phone, carrier, self.replayer.results)
        inspection = verify_inspection(run.direct["inspection"], self.inspection_tasks,
                                       self.probe_visit)
        api = [t for t in self.scoring_tasks if t.flow == "self-check API"]
        uploads = [t for t in self.scoring_tasks if t.flow == "self-check upload"]
        from bench.chaos_report import results

        return results(self, carrier, phone, inspection, verify_scoring(run.direct["scoring"], api),
                       verify_scoring(run.direct["scoring"], uploads), api, uploads)

    def gathers(self, carrier: list[dict]) -> list[dict]:
        return [r for r in carrier if gather_path(r["target"]) in GATHERS]
