"""The dialer: calling windows with an injected clock, claims by concurrent workers,
crash and restart without losing or double-dialling anyone."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from services.survey.models.telephony import CallAttempt, Campaign, PhoneContact
from tests.survey.telephony.phone_support import (
    IN_WINDOW,
    TOKEN,
    frame_csv,
    make_dialer,
    make_phone_poll,
    phone_stack,
    run_campaign,
)


def _campaign(app, engines, auth, townships, per_township, **settings) -> int:
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


def test_calls_are_placed_only_inside_the_calling_windows(make_app, engines, auth):
    app = make_app("survey", TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL="http://s")
    campaign_id = _campaign(app, engines, auth, ["T01"], 3,
                            windows=["09:00-12:00", "14:00-20:30"], weekdays=[0, 1, 2, 3, 4])
    shanghai = [datetime(2026, 7, 1, 8, 59), datetime(2026, 7, 1, 12, 0),
                datetime(2026, 7, 1, 13, 30), datetime(2026, 7, 1, 20, 30),
                datetime(2026, 7, 4, 10, 0), datetime(2026, 7, 5, 15, 0)]  # Sat, Sun
    for local in shanghai:
        moment = (local - timedelta(hours=8)).replace(tzinfo=UTC)
        dialer = make_dialer(app, clock=lambda m=moment: m, client=object())
        assert dialer.claim(campaign_id) == [], local
    before_field = make_dialer(app, clock=lambda: datetime(2026, 6, 24, 6, 30, tzinfo=UTC),
                               client=object())  # a Wednesday before the field period
    assert before_field.claim(campaign_id) == []
    inside = make_dialer(app, clock=lambda: datetime(2026, 7, 1, 6, 30, tzinfo=UTC),
                         client=object())  # 14:30 Wednesday in Shanghai
    assert len(inside.claim(campaign_id)) == 3


def test_two_workers_never_claim_the_same_contact(make_app, engines, auth):
    app = make_app("survey", TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL="http://s")
    # cps 10: claims not yet placed (here: none ever is) may wait for up to 600 slots.
    campaign_id = _campaign(app, engines, auth, ["T01", "T02"], 40, max_concurrent=1000,
                            cps=10)
    claimed: dict[str, list[int]] = {"a": [], "b": []}
    # Each round both workers race for the same due contacts; the second barrier lets
    # both finish before either looks again, so neither can drain the queue alone.
    start, finished = threading.Barrier(2, timeout=30), threading.Barrier(2, timeout=30)

    def pending() -> int:
        with app.extensions["kaoping"].sessions() as session:
            return len(session.scalars(select(PhoneContact.id).where(
                PhoneContact.state == "pending")).all())

    def work(name: str) -> None:
        dialer = make_dialer(app, worker=name, client=object(), batch=7)
        while True:
            start.wait()
            claimed[name].extend(dialer.claim(campaign_id))
            finished.wait()
            if not pending():
                return

    threads = [threading.Thread(target=work, args=(n,)) for n in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    with app.extensions["kaoping"].sessions() as session:
        per_contact = Counter(session.scalars(select(CallAttempt.contact_id)))
        workers = Counter(session.scalars(select(CallAttempt.worker)))
    assert len(claimed["a"]) + len(claimed["b"]) == 80 == len(per_contact)
    assert set(per_contact.values()) == {1}
    assert workers["a"] > 0 and workers["b"] > 0


def test_killed_dialer_restarts_without_losing_or_double_dialling(make_app, engines, auth):
    profile = {"seed": 3, "rates": {"failed": 0.0}}
    with phone_stack(make_app, profile=profile, townships=["T01"]) as (_url, app, board):
        campaign_id = _campaign(app, engines, auth, ["T01"], 20, max_attempts=3,
                                delays={"no-answer": 0, "busy": 0, "machine": 0,
                                        "break-off": 0})
        crashed = make_dialer(app, worker="crashed")
        claimed = crashed.claim(campaign_id)
        for attempt_id in claimed[:5]:  # placed five calls, then the process was killed
            crashed.place(attempt_id)
        board.wait_idle(10)
        later = IN_WINDOW + timedelta(minutes=5)
        restarted = make_dialer(app, worker="restarted", clock=lambda: later)
        run_campaign(restarted, board, campaign_id)
        calls_to = Counter(call.request.to for call in board.calls.values())
    with app.extensions["kaoping"].sessions() as session:
        attempts = session.scalars(select(CallAttempt)).all()
        contacts = session.scalars(select(PhoneContact)).all()
    lost = [a for a in attempts if a.state == "lost"]
    assert len(lost) == len(claimed) - 5 and all(a.worker == "crashed" for a in lost)
    assert {c.state for c in contacts} == {"done"} and len(contacts) == 20
    dialled = Counter(a.contact_id for a in attempts if a.state == "ended")
    assert sum(dialled.values()) == sum(calls_to.values())  # every carrier call is an attempt
    assert all(1 <= dialled[c.id] == c.attempts <= 3 for c in contacts)
    assert len({a.call_sid for a in attempts if a.call_sid}) == sum(calls_to.values())


def test_kill_9_of_the_dialer_process_mid_campaign(make_app, engines, auth, tmp_path):
    """The real ``kaoping dialer`` process, killed with SIGKILL and started again."""
    profile = {"seed": 8, "rates": {"failed": 0.0}}
    with phone_stack(make_app, profile=profile, cps=20.0, townships=["T01"]) as (url, app,
                                                                                 board):
        campaign_id = _campaign(app, engines, auth, ["T01"], 30, max_attempts=2, cps=10,
                                max_concurrent=6, windows=["00:00-24:00"],
                                weekdays=list(range(7)),
                                delays={"no-answer": 0, "busy": 0, "machine": 0,
                                        "break-off": 0})
        env = {**os.environ, "SURVEY_DATABASE_URL":
               engines["survey"].url.render_as_string(hide_password=False),
               "TWILIO_ACCOUNT_SID": app.config["TWILIO_ACCOUNT_SID"],
               "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_API_BASE_URL":
               app.config["TWILIO_API_BASE_URL"], "PUBLIC_BASE_URL": url,
               "DIALER_LEASE_SECONDS": "2"}
        sessions = app.extensions["kaoping"].sessions

        def attempts() -> int:
            with sessions() as session:
                return len(session.scalars(select(CallAttempt.id)).all())

        def start(name: str) -> subprocess.Popen:
            return subprocess.Popen(
                [sys.executable, "-m", "services.cli", "dialer", "--worker-id", name,
                 "--interval", "0.1"], env=env, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)

        first = start("first")
        deadline = time.monotonic() + 60
        while attempts() < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(first.pid, signal.SIGKILL)
        first.wait(10)
        killed_at = attempts()
        second = start("second")
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                with sessions() as session:
                    if session.get(Campaign, campaign_id).state == "finished":
                        break
                time.sleep(0.2)
        finally:
            second.terminate()
            second.wait(10)
        board.wait_idle(10)
        calls_to = Counter(call.request.to for call in board.calls.values())
    with sessions() as session:
        rows = session.scalars(select(CallAttempt)).all()
        contacts = session.scalars(select(PhoneContact)).all()
    assert 8 <= killed_at < 60
    assert {c.state for c in contacts} == {"done"}
    ended = [a for a in rows if a.state == "ended"]
    assert {a.worker for a in ended} == {"first", "second"}
    assert len(ended) == sum(calls_to.values())  # every call placed is one attempt
    assert all(1 <= c.attempts <= 2 for c in contacts)
    assert Counter(a.contact_id for a in ended) == {c.id: c.attempts for c in contacts}


class _VirtualTime:
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


class _RecordingCarrier:
    """A stand-in for ``twilio.rest.Client`` that accepts every call and notes when (on
    the calling thread's virtual clock) and by which worker it was placed."""

    def __init__(self, clock: _VirtualTime):
        self.clock, self.placed, self.lock = clock, [], threading.Lock()
        calls = SimpleNamespace(create=self.create)
        self.api = SimpleNamespace(v2010=SimpleNamespace(account=SimpleNamespace(calls=calls)))

    def create(self, **options):
        with self.lock:
            self.placed.append((self.clock.now(), threading.current_thread().name))
            return SimpleNamespace(sid="CA" + f"{len(self.placed):032x}")


def _spacing(times: list[float]) -> float:
    ordered = sorted(times)
    return min(b - a for a, b in zip(ordered, ordered[1:], strict=False))


def test_cps_holds_across_workers_reserving_slots(make_app, engines, auth):
    """Two dialers (two threads) share one campaign's slots: 1/cps apart overall."""
    app = make_app("survey", TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL="http://s")
    campaign_id = _campaign(app, engines, auth, ["T01"], 1, cps=5)
    ticks = iter(range(10_000))
    lock = threading.Lock()

    def clock() -> float:  # time passes, but far slower than 5 calls a second
        with lock:
            return _VirtualTime.T0 + 0.01 * next(ticks)

    slots: dict[str, list[tuple[float, float]]] = {"a": [], "b": []}
    start = threading.Barrier(2, timeout=30)

    def work(name: str) -> None:
        dialer = make_dialer(app, worker=name, client=object(), pace_clock=clock)
        start.wait()
        for _ in range(15):
            slots[name].append(dialer.reserve(campaign_id, 5.0))

    threads = [threading.Thread(target=work, args=(n,)) for n in slots]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    every = [slot for name in slots for slot, _now in slots[name]]
    assert len(every) == 30 and len(slots["a"]) == len(slots["b"]) == 15
    assert _spacing(every) >= 0.2 - 1e-6
    # Back to back: the 30 slots fill 29 intervals from the first reservation on.
    assert max(every) - min(every) == pytest.approx(29 * 0.2)
    assert all(slot >= now for name in slots for slot, now in slots[name])
    # An idle campaign's next call goes at once: its slot is the present.
    later = _VirtualTime.T0 + 3600
    idle = make_dialer(app, client=object(), pace_clock=lambda: later)
    assert idle.reserve(campaign_id, 5.0) == (later, later)
    assert idle.reserve(campaign_id, 5.0) == (later + 0.2, later)
    # On the database's own clock (the default) the slots keep the same spacing.
    on_database_clock = make_dialer(app, client=object())
    first, _ = on_database_clock.reserve(campaign_id, 5.0)
    second, _ = on_database_clock.reserve(campaign_id, 5.0)
    assert second - first == pytest.approx(0.2)


def test_two_workers_place_calls_no_faster_than_the_campaign_cps(make_app, engines, auth):
    app = make_app("survey", TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL="http://s")
    campaign_id = _campaign(app, engines, auth, ["T01"], 20, cps=5, max_concurrent=100)
    virtual = _VirtualTime()
    carrier = _RecordingCarrier(virtual)
    dialers = {name: make_dialer(app, worker=name, client=carrier, batch=10,
                                 pace_clock=virtual.now, sleep=virtual.sleep)
               for name in ("a", "b")}
    claimed = {name: dialer.claim(campaign_id) for name, dialer in dialers.items()}
    assert len(claimed["a"]) == len(claimed["b"]) == 10
    start = threading.Barrier(2, timeout=30)

    def work(name: str) -> None:
        start.wait()
        for attempt_id in claimed[name]:
            assert dialers[name].place(attempt_id) == 1

    threads = [threading.Thread(target=work, args=(n,), name=n) for n in dialers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    times = [when for when, _worker in carrier.placed]
    assert len(times) == 20 and {worker for _when, worker in carrier.placed} == {"a", "b"}
    assert _spacing(times) >= 0.2 - 1e-6  # a per-worker bucket would place pairs at once
    with app.extensions["kaoping"].sessions() as session:
        states = Counter(session.scalars(select(CallAttempt.state)))
    assert states == {"placed": 20}


def test_a_worker_claims_nothing_while_others_calls_wait_for_their_slots(make_app, engines,
                                                                         auth):
    app = make_app("survey", TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL="http://s")
    # cps 0.1 and a 120 s lease: at most 6 calls may wait for slots, across workers.
    campaign_id = _campaign(app, engines, auth, ["T01"], 10, cps=0.1, max_concurrent=100)
    first = make_dialer(app, worker="a", client=object())
    second = make_dialer(app, worker="b", client=object())
    assert len(first.claim(campaign_id)) == 6
    assert second.claim(campaign_id) == []
