"""Recovery probes: one real write to a service every ``interval`` seconds.

The seconds to recover after the database returns are read off these writes: the
time from the return until the first success after the last failure (a 5xx or no
answer) that follows it. Each probe is a write the service does every day:

- survey: a signed Gather webhook of the probe call, with a new ``tries`` each time
  (a new idempotency record and the call's last question);
- inspection: an amendment of the probe visit (a new version and an audit entry);
- scoring: a correction of the probe unit's self-check (a new version).
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections.abc import Callable

import requests
from twilio.request_validator import RequestValidator

from bench.chaos_intake import INDICATORS, INSPECTOR, bearer, inspection_answers

Send = Callable[[requests.Session], int]  # one write; returns the HTTP status


class Probe:
    """Sends a write every ``fast`` seconds while ``closely`` is set (around the outage),
    else every ``slow`` seconds; keeps (start, end, status), status 0 for no answer."""

    def __init__(self, name: str, send: Send, closely: threading.Event, fast: float = 0.1,
                 slow: float = 1.0):
        self.name = name
        self.send = send
        self.closely = closely
        self.fast, self.slow = fast, slow
        self.results: list[tuple[float, float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> Probe:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(40)

    def _run(self) -> None:
        http = requests.Session()
        while not self._stop.is_set():
            started = time.time()
            try:
                status = self.send(http)
            except requests.RequestException:
                status = 0
            self.results.append((started, time.time(), status))
            self._stop.wait(self.fast if self.closely.is_set() else self.slow)

    def recovery(self, back: float, horizon: float = 30.0) -> float | None:
        """Seconds from ``back`` (wall time) to the first success after the last 5xx that
        followed it; None when no write succeeded within ``horizon`` seconds. A probe
        that got no answer at all (its worker was killed) is not a database failure."""
        window = [r for r in self.results if back <= r[1] <= back + horizon and r[2]]
        failed = [i for i, (_s, _e, status) in enumerate(window) if status >= 500]
        start = failed[-1] + 1 if failed else 0
        for _s, ended, status in window[start:]:
            if 200 <= status < 300:
                return ended - back
        return None

    def failures(self, since: float, until: float) -> dict[int, int]:
        counts: dict[int, int] = {}
        for started, _e, status in self.results:
            if since <= started <= until and not 200 <= status < 300:
                counts[status] = counts.get(status, 0) + 1
        return counts


def survey_probe(instance: str, public: str, token: str, attempt: int) -> Send:
    """A signed Gather to one survey instance; the signature is over the public URL."""
    validator = RequestValidator(token)
    tries = itertools.count(1)

    def send(http: requests.Session) -> int:
        path = f"/api/v1/telephony/voice/question?attempt={attempt}&q=sat&tries={next(tries)}"
        form = {"CallSid": "CAchaosprobe", "Digits": "1", "CallStatus": "in-progress"}
        signature = validator.compute_signature(public + path, form)
        return http.post(instance + path, data=form, timeout=20, headers={
            "X-Twilio-Signature": signature, "X-Chaos-Client": "probe"}).status_code

    return send


def inspection_probe(base: str, visit: int) -> Send:
    headers = bearer(INSPECTOR, "inspector")

    def send(http: requests.Session) -> int:
        return http.post(f"{base}/api/v1/visits/{visit}/amend", headers=headers, timeout=20,
                         json={"client_uuid": str(uuid.uuid4()), "reason": "probe",
                               "answers": inspection_answers(1)}).status_code

    return send


def scoring_probe(base: str, unit: str) -> Send:
    headers = bearer("planner-chaos", "planner")
    values = itertools.count()

    def send(http: requests.Session) -> int:
        return http.post(f"{base}/api/v1/self-checks", timeout=20, headers=headers, json={
            "unit": unit, "period": "2026-12", "reason": "probe",
            "items": [{"indicator": INDICATORS[0], "actual": float(next(values))}]}).status_code

    return send
