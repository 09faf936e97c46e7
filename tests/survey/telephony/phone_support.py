"""Helpers for telephone tests: a phone questionnaire, a poll in the field, a running
campaign, the survey service and the simulated carrier over real HTTP, a dialer with an
injected clock, stand-ins for the REST client, and an injected database failure."""

from __future__ import annotations

import contextlib
import io
import threading
import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from flask import Flask, jsonify
from sqlalchemy import func, select, text
from twilio.request_validator import RequestValidator

from services.carrier.app import create_app as create_carrier
from services.survey.models.polls import Poll, PollTownship
from services.survey.questionnaires import create_questionnaire
from services.survey.telephony.dialer import Dialer
from services.survey.telephony.vault import vault
from shared.config import county_today
from shared.db import session_scope
from tests.support import serving

SID = "AC" + "5" * 32
TOKEN = "phone-test-token"
PUBLIC = "https://survey.example.org"
# Wednesday 2026-07-01 10:00 in Asia/Shanghai: inside the default calling windows.
IN_WINDOW = datetime(2026, 7, 1, 2, 0, tzinfo=UTC)


def texts(zh: str, en: str) -> dict:
    return {"zh-CN": zh, "en": en}


PHONE_DOCUMENT = {
    "questions": [
        {"id": "sat", "type": "single", "text": texts("您对乡镇政府的工作满意吗？", "Satisfied?"),
         "options": [{"code": 1, "label": texts("满意", "satisfied")},
                     {"code": 2, "label": texts("基本满意", "fairly satisfied")},
                     {"code": 3, "label": texts("不满意", "dissatisfied")}],
         "satisfied": [1, 2]},
        {"id": "score", "type": "rating", "text": texts("请为办事效率打分。", "Rate efficiency."),
         "scale": {"min": 1, "max": 5, "min_label": texts("很差", "very poor"),
                   "max_label": texts("很好", "very good")}, "satisfied": [4, 5]},
        {"id": "problem", "type": "yesno",
         "text": texts("过去一年您是否向政府反映过问题？", "Did you report a problem?"),
         "skip_to": [{"if": {"question": "problem", "in": [2, 98, 99]}, "to": "years"}]},
        {"id": "solved", "type": "yesno", "text": texts("问题是否得到解决？", "Was it solved?"),
         "satisfied": [1]},
        {"id": "years", "type": "number", "text": texts("您在本地居住了多少年？", "Years here?"),
         "range": {"min": 0, "max": 100}, "dk_code": 998, "refused_code": 999},
        {"id": "advice", "type": "voice", "text": texts("请说出您的建议。", "Your advice?"),
         "required": False, "max_seconds": 60},
    ],
}


def make_phone_poll(engine, townships: list[str], *, target: int = 0,
                    stop_at_quota: bool = False, partial_threshold: float = 0.5) -> int:
    """A fielding poll with a phone questionnaire; returns its id."""
    from sqlalchemy.orm import sessionmaker

    with session_scope(sessionmaker(bind=engine, expire_on_commit=False)) as session:
        questionnaire = create_questionnaire(session, code="phone-test", title_zh="电话调查",
                                             title_en="Phone poll", document=PHONE_DOCUMENT)
        poll = Poll(name_zh="年中电话调查", name_en="Mid-year phone poll",
                    questionnaire_id=questionnaire.id, modes=["phone"],
                    field_start=IN_WINDOW.date() - timedelta(days=1),
                    field_end=max(county_today(), IN_WINDOW.date()) + timedelta(days=30),
                    status="fielding", stop_at_quota=stop_at_quota,
                    partial_threshold=partial_threshold,
                    townships=[PollTownship(township=t, target_completes=target)
                               for t in townships])
        session.add(poll)
        questionnaire.frozen_at = datetime.now(UTC)
        session.flush()
        return poll.id


def township_numbers(index: int, count: int) -> list[str]:
    """Mobile numbers of one township's block: +86 139 TTTT NNNN."""
    return [f"+86139{index:04d}{n:04d}" for n in range(count)]


def frame_csv(townships: list[str], per_township: int) -> bytes:
    lines = ["phone,township,stratum"]
    for i, township in enumerate(townships, start=1):
        for n, number in enumerate(township_numbers(i, per_township)):
            lines.append(f"{number[3:]},{township},{'A' if n % 2 else 'B'}")
    return ("\n".join(lines) + "\n").encode()


def registry_stub(townships: list[str]) -> Flask:
    """The scoring registry's contract (docs/CONTRACTS.md): units, and no margins."""
    app = Flask("registry-stub")

    @app.get("/api/v1/units")
    def units():
        return jsonify([{"code": t, "name_zh": t, "name_en": t, "kind": "township",
                         "peer_group": "TOWN", "active_from": None, "active_to": None,
                         "lat": None, "lon": None} for t in townships])

    @app.get("/api/v1/margins")
    def margins():
        return jsonify([])

    return app


@contextlib.contextmanager
def phone_stack(make_app, *, profile: dict | None = None, cps: float = 200.0,
                townships: list[str] = ()):
    """Serve the survey service and the carrier; yield (survey_url, survey_app, carrier)."""
    carrier_app = create_carrier({"ACCOUNTS": {SID: TOKEN}, "PROFILE": profile or {},
                                  "CPS": cps, "TIME_SCALE": 0.0, "MAX_ACTIVE": 64})
    with serving(carrier_app) as carrier_url, serving(registry_stub(list(townships))) as reg:
        survey_app = make_app("survey", TWILIO_ACCOUNT_SID=SID, TWILIO_AUTH_TOKEN=TOKEN,
                              TWILIO_API_BASE_URL=carrier_url, PUBLIC_BASE_URL="http://x",
                              SCORING_URL=reg)
        with serving(survey_app) as survey_url:
            survey_app.config["PUBLIC_BASE_URL"] = survey_url
            yield survey_url, survey_app, carrier_app.extensions["carrier"]


def make_dialer(survey_app, clock=lambda: IN_WINDOW, worker: str = "test-dialer", **kw) -> Dialer:
    config = {k: survey_app.config[k] for k in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN",
                                                "TWILIO_API_BASE_URL", "PUBLIC_BASE_URL")}
    return Dialer(survey_app.extensions["kaoping"].sessions, config, vault(), worker=worker,
                  clock=clock, **kw)


def run_campaign(dialer: Dialer, board, campaign_id: int, stall: float = 60.0) -> int:
    """Tick the dialer and let the carrier play until the campaign is finished; return
    the number of ticks. Fails when ``stall`` seconds pass with no call attempt ending
    (a stuck campaign), never on a slow machine that is still getting through it."""
    from services.survey.models.telephony import CallAttempt, Campaign

    ticks, ended, moved_at = 0, -1, time.monotonic()
    while time.monotonic() - moved_at < stall:
        dialer.tick()
        board.wait_idle(10)
        ticks += 1
        with session_scope(dialer.sessions) as session:
            if session.get(Campaign, campaign_id).state == "finished":
                return ticks
            now_ended = session.scalar(select(func.count()).select_from(CallAttempt)
                                       .where(CallAttempt.state == "ended"))
        if now_ended != ended:
            ended, moved_at = now_ended, time.monotonic()
    raise AssertionError(f"campaign {campaign_id} stuck: no call ended in {stall:.0f} s "
                         f"({ticks} ticks, {ended} calls ended)")


def claimed_attempt(app, engines, auth, partial_threshold: float = 0.5, **settings) -> int:
    """A claimed call attempt of a running one-number campaign with these settings;
    returns its id."""
    poll_id = make_phone_poll(engines["survey"], ["T01"], partial_threshold=partial_threshold)
    client, planner = app.test_client(), auth("planner")
    campaign = client.post("/api/v1/telephony/campaigns", headers=planner, json={
        "poll_id": poll_id, "name": "c", "from_number": "+8657488880000", **settings})
    assert campaign.status_code == 201, campaign.json
    frame = b"phone,township\n13900010001,T01\n"
    client.post(f"/api/v1/telephony/campaigns/{campaign.json['id']}/frame", headers=planner,
                data={"file": (io.BytesIO(frame), "f.csv")})
    client.post(f"/api/v1/telephony/campaigns/{campaign.json['id']}/start", headers=planner)
    (attempt_id,) = make_dialer(app, client=object()).claim(campaign.json["id"])
    return attempt_id


def signed(client, path: str, params: dict, token: str = TOKEN, signature: str | None = None):
    """POST a webhook to an app whose PUBLIC_BASE_URL is ``PUBLIC``, signed as Twilio
    signs it (``signature=""``: unsigned; another ``token``: forged)."""
    sig = RequestValidator(token).compute_signature(PUBLIC + path, params)
    headers = {} if signature == "" else {"X-Twilio-Signature": signature or sig}
    return client.post(path, data=params, headers=headers)


def call_params(**extra) -> dict:
    return {"CallSid": "CA" + "a" * 32, "AccountSid": "AC" + "5" * 32, "From": "+8657488880000",
            "To": "+8613900010001", "CallStatus": "in-progress", **extra}


def running_campaign(app, engines, auth, townships, per_township, **settings) -> int:
    """A started campaign of a fielding phone poll with ``per_township`` numbers in each
    township (``frame_csv``) and these settings; returns its id."""
    poll_id = make_phone_poll(engines["survey"], townships)
    client, planner = app.test_client(), auth("planner")
    campaign = client.post("/api/v1/telephony/campaigns", headers=planner, json={
        "poll_id": poll_id, "name": "c", "from_number": "+8657488880000", **settings})
    assert campaign.status_code == 201, campaign.json
    frame = client.post(f"/api/v1/telephony/campaigns/{campaign.json['id']}/frame",
                        headers=planner, data={"file": (io.BytesIO(
                            frame_csv(townships, per_township)), "f.csv")})
    assert frame.status_code == 200, frame.json
    client.post(f"/api/v1/telephony/campaigns/{campaign.json['id']}/start", headers=planner)
    return campaign.json["id"]


class VirtualTime:
    """Each thread's own clock, from T0, moved on only by its ``sleep``: when a call is
    placed shows whether the dialer waited for its slot, without real waiting."""

    T0 = 1_800_000_000.0

    def __init__(self):
        self.local = threading.local()

    def now(self) -> float:
        return getattr(self.local, "now", self.T0)

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.local.now = self.now() + seconds


class RecordingCarrier:
    """A stand-in for ``twilio.rest.Client`` that accepts every call and notes when (on
    the calling thread's virtual clock) and by which worker it was placed."""

    def __init__(self, clock: VirtualTime):
        self.clock, self.placed, self.lock = clock, [], threading.Lock()
        calls = SimpleNamespace(create=self.create)
        self.api = SimpleNamespace(v2010=SimpleNamespace(account=SimpleNamespace(calls=calls)))

    def create(self, **options):
        with self.lock:
            self.placed.append((self.clock.now(), threading.current_thread().name))
            return SimpleNamespace(sid="CA" + f"{len(self.placed):032x}")


def spacing(times: list[float]) -> float:
    ordered = sorted(times)
    return min(b - a for a, b in zip(ordered, ordered[1:], strict=False))


FAILURE = "kaoping_test_failure"  # the trigger (and function) ``failing`` makes


@contextlib.contextmanager
def failing(engine, event: str, when: str):
    """A trigger that refuses ``event`` (e.g. ``INSERT``, ``UPDATE OF placed_at``) on
    call_attempts for rows matching ``when`` (a condition on NEW), while the block runs."""
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(
                f"CREATE OR REPLACE FUNCTION {FAILURE}() RETURNS trigger LANGUAGE plpgsql "
                "AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$"))
            connection.execute(text(
                f"CREATE TRIGGER {FAILURE} BEFORE {event} ON call_attempts FOR EACH ROW "
                f"WHEN ({when}) EXECUTE FUNCTION {FAILURE}()"))
        else:
            connection.execute(text(
                f"CREATE TRIGGER {FAILURE} BEFORE {event} ON call_attempts FOR EACH ROW "
                f"WHEN {when} BEGIN SELECT RAISE(ABORT, 'injected failure'); END"))
    try:
        yield
    finally:
        with engine.begin() as connection:
            on = " ON call_attempts" if engine.dialect.name == "postgresql" else ""
            connection.execute(text(f"DROP TRIGGER {FAILURE}{on}"))


class Carrier:
    """A stand-in for ``twilio.rest.Client`` that accepts every call and keeps the
    numbers called."""

    def __init__(self):
        self.called: list[str] = []
        self.lock = threading.Lock()
        calls = SimpleNamespace(create=self.create)
        self.api = SimpleNamespace(v2010=SimpleNamespace(account=SimpleNamespace(calls=calls)))

    def create(self, **options):
        with self.lock:
            self.called.append(options["to"])
            return SimpleNamespace(sid="CA" + f"{len(self.called):032x}")
