"""Inspection submissions and self-check intake under chaos: data, clients, checks.

A client here behaves like the field app or a unit's reporting tool on a bad
network: each write carries its idempotency key (a visit's ``client_uuid``, an
``Idempotency-Key`` header), is sent as ``COPIES`` copies at once (a double tap, a
retry racing the original), and each copy is sent again after a connection error, a
5xx, or a 409 that says "concurrent" (SQLite's answer to a race), with backoff, until
it gets an answer or the run's deadline passes. A write is acknowledged when any copy
got a 2xx; afterwards the database must hold it exactly once.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from shared.auth import issue_token
from shared.db import make_engine, session_factory, session_scope

INSPECTOR = "insp-chaos"
ITEMS = [{"item_id": f"i{k}", "text_zh": f"项目{k}", "text_en": f"Item {k}", "weight": 1 + k % 3,
          "response_type": "points" if k % 2 else "pass_fail",
          **({"max_points": 10} if k % 2 else {})} for k in range(6)]
INDICATORS = [f"sc{k}" for k in range(4)]
PERIOD_API = "2026-01"


def bearer(sub: str, role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {issue_token(sub, role, ttl=6 * 3600)}"}


def inspection_answers(k: int) -> list[dict]:
    return [{"item_id": item["item_id"], **({"points": float((k + n) % 11)}
                                            if item["response_type"] == "points"
                                            else {"result": "pass" if (k + n) % 5 else "fail"})}
            for n, item in enumerate(ITEMS)]


@dataclass
class Task:
    """One write a client wants acknowledged."""

    flow: str
    path: str
    at: float
    headers: dict[str, str]
    json: dict | None = None
    data: bytes | None = None
    meta: dict = field(default_factory=dict)
    responses: list[tuple[float, float, int, str]] = field(default_factory=list)
    acked: list[str] = field(default_factory=list)


def prepare_inspection(url: str, visits: int) -> tuple[list[int], int]:
    """A checklist and a plan of ``visits`` + 1 checked-in visits (through the app, in
    process); the last one is submitted and is the probe visit. Returns (ids, probe)."""
    from services.inspection.app import create_app

    engine = make_engine(url)
    app = create_app({"ENGINE": engine, "SCORING_URL": "http://127.0.0.1:9"})
    client = app.test_client()
    planner, inspector = bearer("planner-chaos", "planner"), bearer(INSPECTOR, "inspector")

    def call(path: str, headers: dict, body: dict) -> dict:
        response = client.post(f"/api/v1{path}", headers=headers, json=body)
        if response.status_code >= 400:
            raise SystemExit(f"chaos: inspection setup {path}: {response.get_json()}")
        return response.get_json()

    template = call("/checklists", planner, {"code": "chaos", "name_zh": "混沌",
                                             "name_en": "Chaos", "items": ITEMS})
    plan = call("/plans", planner, {
        "name": "chaos", "kind": "open", "template_id": template["id"],
        "window_from": "2026-06-01", "window_to": "2026-06-30", "self_check_period": "2026-06",
        "inspectors": [INSPECTOR],
        "targets": [{"unit": f"U{i:04d}", "lat": 30.0, "lon": 120.0} for i in range(visits + 1)]})
    ids = [v["id"] for v in client.get(f"/api/v1/plans/{plan['id']}/visits",
                                       headers=planner).get_json()]
    fix = {"lat": 30.0, "lon": 120.0, "accuracy_m": 5, "provider": "gps", "mock_location": False}
    for visit_id in ids:
        call(f"/visits/{visit_id}/check-in", inspector, fix)
    probe = ids.pop()
    call(f"/visits/{probe}/submit", inspector, {"client_uuid": str(uuid.uuid4()),
                                                "answers": inspection_answers(0)})
    engine.dispose()
    return ids, probe


def inspection_tasks(visit_ids: list[int], spread: float, rng: random.Random) -> list[Task]:
    headers = bearer(INSPECTOR, "inspector")
    return [Task("inspection", f"/api/v1/visits/{visit_id}/submit", rng.uniform(0, spread),
                 headers, json={"client_uuid": str(uuid.uuid4()),
                                "answers": inspection_answers(k), "findings": []},
                 meta={"visit": visit_id})
            for k, visit_id in enumerate(visit_ids)]


def prepare_scoring(url: str, units: int) -> None:
    """Units, the year's periods and a scheme whose indicators are self-checks."""
    from sqlalchemy import insert

    from services.scoring import periods, schemes
    from services.scoring.models.registry import PeerGroup, Unit

    engine = make_engine(url)
    with session_scope(session_factory(engine)) as session:
        session.add(PeerGroup(code="G", name_zh="组", name_en="group", description=""))
        session.flush()
        session.execute(insert(Unit), [{"code": f"U{u:04d}", "name_zh": f"单位{u}",
                                        "name_en": f"Unit {u}", "kind": "department",
                                        "peer_group_id": 1} for u in range(units + 1)])
        periods.create_year(session, 2026)
        schemes.create_scheme(session, "chaos", "混沌", "chaos")
        leaves = [{"id": code, "source": "self_check", "direction": "higher",
                   "unit_of_measure": "%", "weight": 0.25} for code in INDICATORS]
        schemes.add_version(session, "chaos", {"root": {"id": "root", "children": leaves}},
                            "chaos")
    engine.dispose()


def _values(unit: int, month: int) -> dict[str, float]:
    return {code: float((unit * 7 + month * 3 + k) % 100) for k, code in enumerate(INDICATORS)}


def scoring_tasks(units: int, months: int, chunk: int, spread: float,
                  rng: random.Random) -> list[Task]:
    """Per unit one API submission for January; per later month and chunk of units one
    CSV upload. Every (unit, month, indicator) is written by exactly one task."""
    headers = bearer("planner-chaos", "planner")
    tasks = []
    for unit in range(units):
        values = _values(unit, 1)
        tasks.append(Task("self-check API", "/api/v1/self-checks", rng.uniform(0, spread),
                          {**headers, "Idempotency-Key": str(uuid.uuid4())},
                          json={"unit": f"U{unit:04d}", "period": PERIOD_API,
                                "items": [{"indicator": k, "target": 50.0, "actual": v}
                                          for k, v in values.items()]},
                          meta={"cells": {(f"U{unit:04d}", PERIOD_API, k): v
                                          for k, v in values.items()}}))
    for month in range(2, 2 + months):
        period = f"2026-{month:02d}"
        for start in range(0, units, chunk):
            cells = {(f"U{u:04d}", period, k): v for u in range(start, min(start + chunk, units))
                     for k, v in _values(u, month).items()}
            csv = "unit,indicator,target,actual\n" + "".join(
                f"{u},{k},50,{v}\n" for (u, _p, k), v in cells.items())
            tasks.append(Task("self-check upload", f"/api/v1/self-checks/import?period={period}",
                              rng.uniform(0, spread),
                              {**headers, "Idempotency-Key": str(uuid.uuid4()),
                               "Content-Type": "text/csv"},
                              data=csv.encode(), meta={"cells": cells}))
    return tasks


class Load:
    """Runs tasks at their times (seconds after ``start``) with ``copies`` copies each."""

    def __init__(self, base_url: str, tasks: list[Task], threads: int, copies: int,
                 seed: int):
        self.base_url = base_url
        self.tasks = sorted(tasks, key=lambda t: t.at)
        self.copies = copies
        self.pool = ThreadPoolExecutor(threads)
        self.deadline = float("inf")
        self.random = random.Random(seed)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._futures: list = []

    def start(self) -> None:
        self._thread = threading.Thread(target=self._schedule, args=(time.monotonic(),),
                                        daemon=True)
        self._thread.start()

    def _schedule(self, started: float) -> None:
        for task in self.tasks:
            delay = started + task.at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            self._futures += [self.pool.submit(self._copy, task) for _ in range(self.copies)]

    def done(self) -> bool:
        """Every task scheduled and every copy answered (or given up)."""
        return (self._thread is not None and not self._thread.is_alive()
                and all(future.done() for future in self._futures))

    def finish(self, deadline: float) -> None:
        """Let retries go on until ``deadline`` (monotonic), then wait for every copy."""
        self.deadline = deadline
        self._thread.join()
        for future in self._futures:
            future.result()
        self.pool.shutdown()

    def _copy(self, task: Task) -> None:
        http = getattr(self._local, "http", None) or requests.Session()
        self._local.http = http
        for attempt in range(1000):
            started = time.time()
            try:
                response = http.post(self.base_url + task.path, json=task.json, data=task.data,
                                     headers=task.headers, timeout=30)
                status, text = response.status_code, response.text
            except requests.RequestException as exc:
                status, text = 0, exc.__class__.__name__
            with self._lock:
                task.responses.append((started, time.time(), status, text[:300]))
                if 200 <= status < 300:
                    task.acked.append(text)
            again = status == 0 or status >= 500 or (status == 409 and "concurrent" in text)
            if not again or time.monotonic() > self.deadline:
                return
            time.sleep(min(2.0, 0.2 * 2 ** attempt) * self.random.uniform(0.5, 1.0))


@dataclass
class IntakeFindings:
    acknowledged: int = 0
    unacknowledged: int = 0
    lost: list = field(default_factory=list)
    duplicates: list = field(default_factory=list)
    divergent: list = field(default_factory=list)
    refused_retries: list = field(default_factory=list)


def _common(tasks: list[Task], found: IntakeFindings) -> None:
    found.acknowledged = sum(1 for t in tasks if t.acked)
    found.unacknowledged = sum(1 for t in tasks if not t.acked)
    found.divergent = [t.path for t in tasks if len(set(t.acked)) > 1]
    found.refused_retries = [(t.path, status, text[:120]) for t in tasks
                             for _s, _e, status, text in t.responses
                             if 400 <= status < 500 and not (status == 409
                                                             and "concurrent" in text)]


def verify_inspection(url: str, tasks: list[Task], probe_visit: int) -> IntakeFindings:
    from services.inspection.models.submissions import VisitVersion

    found = IntakeFindings()
    _common(tasks, found)
    engine = make_engine(url)
    with Session(engine) as session:
        rows = session.execute(select(VisitVersion.visit_id, VisitVersion.client_uuid,
                                      func.count()).where(VisitVersion.visit_id != probe_visit)
                               .group_by(VisitVersion.visit_id, VisitVersion.client_uuid)).all()
    engine.dispose()
    stored = {(visit, key): count for visit, key, count in rows}
    per_visit: dict[int, int] = defaultdict(int)
    for (visit, _key), count in stored.items():
        per_visit[visit] += count
    for task in tasks:
        visit, key = task.meta["visit"], task.json["client_uuid"]
        if task.acked and (visit, key) not in stored:
            found.lost.append(visit)
    found.duplicates = [visit for visit, count in per_visit.items() if count > 1]
    return found


def verify_scoring(url: str, tasks: list[Task]) -> IntakeFindings:
    from services.scoring.models.periods import Period
    from services.scoring.models.registry import Unit
    from services.scoring.models.self_checks import SelfCheck

    found = IntakeFindings()
    _common(tasks, found)
    engine = make_engine(url)
    with Session(engine) as session:
        rows = session.execute(
            select(Unit.code, Period.code, SelfCheck.indicator, SelfCheck.actual,
                   SelfCheck.is_current)
            .join(Unit, Unit.id == SelfCheck.unit_id)
            .join(Period, Period.id == SelfCheck.period_id)).all()
    engine.dispose()
    versions: dict[tuple, list] = defaultdict(list)
    for unit, period, indicator, actual, current in rows:
        versions[(unit, period, indicator)].append((actual, current))
    for task in tasks:
        for cell, value in task.meta["cells"].items():
            kept = versions.get(cell, [])
            if task.acked and not any(current and actual == value for actual, current in kept):
                found.lost.append(cell)
            if len(kept) > 1:
                found.duplicates.append(cell)
    return found
