"""The telephone part of a chaos run: the campaign, the Gather replays, the checks.

The carrier plays the calls against the balancer (``chaos_proxy``), which writes every
request it relays to the harness. Each Gather or Record action the carrier sent is
replayed ``REPLAYS`` times, signed as Twilio signs it: two copies at once, the others
spread over the next seconds; a copy answered 502/503 or not at all is sent again, as
Twilio retries. Afterwards the database is compared with what the carrier was told.
"""

from __future__ import annotations

import heapq
import html
import random
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.survey.models.interviews import Answer, Interview
from services.survey.models.telephony import CallAttempt, PhoneContact
from services.survey.questionnaire_document import question_map
from services.survey.telephony.campaigns import (
    DEFAULT_DELAYS,
    change_state,
    create_campaign,
    import_frame,
)
from services.survey.telephony.ivr import AnswerError, NoAnswer, interpret, keypad
from services.survey.telephony.vault import vault
from services.survey.telephony.webhooks import voice_of
from shared.db import make_engine, session_factory, session_scope
from tests.survey.telephony.phone_support import make_phone_poll

TOWNSHIPS = [f"T{i:02d}" for i in range(1, 7)]
GATHERS = ("/api/v1/telephony/voice/question", "/api/v1/telephony/voice/consent",
           "/api/v1/telephony/voice/recorded")
RETRY_STATUSES = (502, 503)


@dataclass
class PhoneSetup:
    campaign_id: int
    probe_campaign_id: int
    probe_attempt: int


def prepare_phone(url: str, numbers: int, cps: float, max_concurrent: int) -> PhoneSetup:
    """A fielding poll, a running campaign of ``numbers`` cases (calling around the clock),
    and a paused campaign with one answered call whose webhooks the probes use."""
    engine = make_engine(url)
    poll_id = make_phone_poll(engine, TOWNSHIPS)
    sessions = session_factory(engine)
    settings = {"poll_id": poll_id, "from_number": "+8657488880000", "max_attempts": 3,
                "max_concurrent": max_concurrent, "cps": cps, "windows": ["00:00-24:00"],
                "weekdays": list(range(7)),
                # every outcome that is called again, at once (the run lasts minutes)
                "delays": {outcome: 0 for outcome, delay in DEFAULT_DELAYS.items()
                           if delay is not None}}
    per_township = -(-numbers // len(TOWNSHIPS))
    rows = [f"139{t:04d}{n:04d},{township}" for t, township in enumerate(TOWNSHIPS, 1)
            for n in range(per_township)][:numbers]
    with session_scope(sessions) as session:
        campaign = create_campaign(session, {**settings, "name": "chaos"})
        import_frame(session, campaign.id, "frame.csv",
                     ("phone,township\n" + "\n".join(rows) + "\n").encode(), vault())
        probes = create_campaign(session, {**settings, "name": "chaos probes"})
        import_frame(session, probes.id, "probe.csv", b"phone,township\n13900009999,T01\n", vault())
        change_state(session, campaign.id, "start")
        contact = session.scalars(select(PhoneContact).where(
            PhoneContact.campaign_id == probes.id)).one()
        contact.state = "done"  # never dialled; its webhooks are the probes'
        attempt = CallAttempt(campaign_id=probes.id, contact_id=contact.id, attempt_number=1,
                              worker="chaos-probe", queued_at=datetime.now(UTC),
                              placed_at=datetime.now(UTC), state="in-progress",
                              call_sid="CAchaosprobe", consent=True)
        session.add(attempt)
        session.flush()
        setup = PhoneSetup(campaign.id, probes.id, attempt.id)
    engine.dispose()
    return setup


def gather_path(target: str) -> str:
    return target.split("?", 1)[0]


class Replayer:
    """Replays every Gather the carrier sent, ``replays`` times, from ``threads`` threads."""

    def __init__(self, base_url: str, replays: int, spread: float, threads: int, seed: int):
        self.base_url = base_url
        self.replays = replays
        self.spread = spread
        self.random = random.Random(seed)
        self.results: list[dict] = []
        self.sent = 0
        self._due: list[tuple[float, int, dict, int]] = []
        self._order = 0
        self._lock = threading.Condition()
        self._stop = False
        self._threads = [threading.Thread(target=self._work, daemon=True) for _ in range(threads)]
        for thread in self._threads:
            thread.start()

    def offer(self, record: dict) -> None:
        """Called for each request the balancer relayed; schedules a Gather's replays."""
        if gather_path(record["target"]) not in GATHERS:
            return
        now = time.monotonic()
        delays = [0.0, 0.0] + [self.random.uniform(0.2, self.spread)
                               for _ in range(self.replays - 2)]
        with self._lock:
            for delay in delays[:self.replays]:
                self._push(now + delay, record, 0)
            self._lock.notify_all()

    def _push(self, when: float, record: dict, tries: int) -> None:
        self._order += 1
        heapq.heappush(self._due, (when, self._order, record, tries))

    def pending(self) -> int:
        with self._lock:
            return len(self._due)

    def stop(self) -> None:
        with self._lock:
            self._stop = True
            self._lock.notify_all()
        for thread in self._threads:
            thread.join(35)

    def _work(self) -> None:
        http = requests.Session()
        while True:
            with self._lock:
                while not self._stop and (not self._due or self._due[0][0] > time.monotonic()):
                    wait = self._due[0][0] - time.monotonic() if self._due else None
                    self._lock.wait(wait)
                if self._stop:
                    return
                _when, _order, record, tries = heapq.heappop(self._due)
            result = self._send(http, record)
            with self._lock:
                self.results.append(result)
                self.sent += 1
                if result["status"] in RETRY_STATUSES and tries < 8:
                    self._push(time.monotonic() + 1.0, record, tries + 1)

    def _send(self, http: requests.Session, record: dict) -> dict:
        started = time.time()
        try:
            response = http.post(self.base_url + record["target"], data=record["body"].encode(),
                                 headers={"X-Twilio-Signature": record["signature"],
                                          "Content-Type": "application/x-www-form-urlencoded",
                                          "X-Chaos-Client": "replay"}, timeout=30)
            status, answer = response.status_code, response.text
            lost = response.headers.get("X-Chaos-Balancer") == "backend-lost"
        except requests.RequestException:
            status, answer, lost = 502, "", True
        return {"t0": started, "t1": time.time(), "target": record["target"],
                "body": record["body"], "status": status, "answer": answer, "lost": lost}


@dataclass
class PhoneFindings:
    """What the checks found; every list must be empty, except where said."""

    acknowledged: int = 0
    lost: list = field(default_factory=list)
    wrong_value: list = field(default_factory=list)
    duplicate_answers: int = 0
    divergent_replays: list = field(default_factory=list)
    double_placed: list = field(default_factory=list)
    overlapping_calls: list = field(default_factory=list)
    calls_after_complete: list = field(default_factory=list)
    facts: dict = field(default_factory=dict)


def _query(target: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()}


def _taken(path: str, query: dict[str, str], answer: str) -> bool:
    """Whether a 2xx TwiML moved on (the answer was taken) rather than asking again."""
    text = html.unescape(answer)
    if path.endswith("/consent"):
        return "voice/consent?" not in text
    if path.endswith("/question"):
        return f"question?attempt={query['attempt']}&q={query['q']}&" not in text
    return True


def verify_phone(url: str, setup: PhoneSetup, carrier_requests: list[dict],
                 replays: list[dict]) -> PhoneFindings:
    """Compare the survey database with every answer the carrier was told was taken (a
    2xx that moved the call on); count duplicates (a replay answered differently from
    the first answer included) and calls placed to completed cases."""
    engine = make_engine(url)
    found = PhoneFindings()
    originals = [r for r in carrier_requests if gather_path(r["target"]) in GATHERS]
    copies = originals + replays
    with Session(engine) as session:
        _check_acknowledged(session, setup, originals, found)
        _check_duplicates(session, setup, carrier_requests, copies, found)
        _check_calls(session, setup, found)
    engine.dispose()
    return found


def _check_acknowledged(session: Session, setup: PhoneSetup, originals: list[dict],
                        found: PhoneFindings) -> None:
    taken: dict[tuple, dict] = {}
    for copy in originals:
        path, query = gather_path(copy["target"]), _query(copy["target"])
        if not 200 <= copy["status"] < 300 or int(query["attempt"]) == setup.probe_attempt:
            continue
        if _taken(path, query, copy["answer"]):
            taken.setdefault((path, copy["target"], copy["body"]), copy)
    found.acknowledged = len(taken)
    for (path, target, body), _copy in taken.items():
        query = _query(target)
        form = {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}
        attempt = session.get(CallAttempt, int(query["attempt"]))
        contact = session.get(PhoneContact, attempt.contact_id)
        where = {"attempt": attempt.id, "path": path.rsplit("/", 1)[1], **query,
                 "digits": form.get("Digits")}
        if path.endswith("/consent"):
            digits = form.get("Digits", "")
            expected = {"1": attempt.consent is True, "2": attempt.consent is False,
                        "9": attempt.opted_out is True}.get(digits, True)
            if not expected:
                found.lost.append(where)
            continue
        qid = query["q"]
        answer = session.scalar(select(Answer).where(Answer.interview_id == contact.interview_id,
                                                     Answer.question_id == qid))
        if answer is None:
            if qid not in (contact.skipped or []):
                found.lost.append(where)
            continue
        if path.endswith("/question"):
            _check_value(session, contact, qid, form.get("Digits", ""), answer, where, found)


def _check_value(session: Session, contact: PhoneContact, qid: str, digits: str,
                 answer: Answer, where: dict, found: PhoneFindings) -> None:
    campaign = contact.campaign
    question = question_map(campaign.poll.questionnaire.document)[qid]
    try:
        value = interpret(question, keypad(question, voice_of(campaign)), digits)
    except (NoAnswer, AnswerError):
        return  # the last try's invalid key: coded "no answer"
    if answer.value != value:
        found.wrong_value.append({**where, "stored": answer.value, "expected": value})


def _check_duplicates(session: Session, setup: PhoneSetup, carrier_requests: list[dict],
                      copies: list[dict], found: PhoneFindings) -> None:
    found.duplicate_answers = len(session.execute(
        select(Answer.interview_id, Answer.question_id).group_by(
            Answer.interview_id, Answer.question_id).having(func.count() > 1)).all())
    answers: dict[tuple, set[str]] = defaultdict(set)
    for copy in copies:
        if 200 <= copy["status"] < 300:
            answers[(copy["target"], copy["body"])].add(copy["answer"])
    found.divergent_replays = [key[0] for key, seen in answers.items() if len(seen) > 1]
    sids: dict[str, set[str]] = defaultdict(set)
    for record in carrier_requests:
        query = _query(record["target"])
        if "attempt" in query and record.get("sid"):
            sids[query["attempt"]].add(record["sid"])
    found.double_placed = [a for a, seen in sids.items() if len(seen) > 1]
    spans = defaultdict(list)
    for attempt in session.scalars(select(CallAttempt).where(
            CallAttempt.campaign_id == setup.campaign_id, CallAttempt.call_sid.is_not(None))):
        end = attempt.ended_at or datetime.max.replace(tzinfo=UTC)
        spans[attempt.contact_id].append((attempt.placed_at or attempt.queued_at, end,
                                          attempt.id))
    for contact_id, calls in spans.items():
        calls.sort()
        for (_s1, e1, a1), (s2, _e2, a2) in zip(calls, calls[1:], strict=False):
            if s2 < e1:
                found.overlapping_calls.append((contact_id, a1, a2))


def _check_calls(session: Session, setup: PhoneSetup, found: PhoneFindings) -> None:
    rows = session.execute(
        select(CallAttempt.id, CallAttempt.queued_at, CallAttempt.placed_at,
               CallAttempt.call_sid, CallAttempt.state, Interview.completed_at)
        .join(PhoneContact, PhoneContact.id == CallAttempt.contact_id)
        .join(Interview, Interview.id == PhoneContact.interview_id)
        .where(CallAttempt.campaign_id == setup.campaign_id)).all()
    for row in rows:
        placed = row.placed_at is not None and (row.call_sid is not None or row.state != "lost")
        if placed and row.completed_at is not None and row.placed_at > row.completed_at:
            found.calls_after_complete.append(row.id)
    states = dict(session.execute(
        select(CallAttempt.state, func.count()).where(
            CallAttempt.campaign_id == setup.campaign_id).group_by(CallAttempt.state)).all())
    contacts = dict(session.execute(
        select(PhoneContact.state, func.count()).where(
            PhoneContact.campaign_id == setup.campaign_id).group_by(PhoneContact.state)).all())
    completes = session.scalar(
        select(func.count()).select_from(Interview)
        .join(PhoneContact, PhoneContact.interview_id == Interview.id)
        .where(PhoneContact.campaign_id == setup.campaign_id, Interview.status == "complete"))
    answers = session.scalar(
        select(func.count()).select_from(Answer)
        .join(PhoneContact, PhoneContact.interview_id == Answer.interview_id)
        .where(PhoneContact.campaign_id == setup.campaign_id))
    found.facts = {"attempts": states, "cases": contacts, "completes": completes,
                   "answers": answers,
                   "placed": sum(1 for r in rows if r.placed_at is not None)}
