"""The dialer: calling windows with an injected clock, crash and restart without losing
or double-dialling anyone, calls no faster than the campaign's cps across workers, and
one failure never blocking the rest of a pass: a database error (a real trigger refusing
one call's write) while placing or recording one call leaves the other calls of the
batch placed, and a claim not placed is given back at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from services.survey.models.telephony import CallAttempt, Campaign, PhoneContact
from tests.survey.telephony.phone_support import (
    IN_WINDOW,
    TOKEN,
    Carrier,
    RecordingCarrier,
    VirtualTime,
    call_params,
    failing,
    make_dialer,
    phone_stack,
    run_campaign,
    running_campaign,
    signed,
    spacing,
)


def test_calls_are_placed_only_inside_the_calling_windows(make_app, engines, auth):
    app = make_app("survey", TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL="http://s")
    campaign_id = running_campaign(app, engines, auth, ["T01"], 3,
                                   windows=["09:00-12:00", "14:00-20:30"],
                                   weekdays=[0, 1, 2, 3, 4])
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




def test_killed_dialer_restarts_without_losing_or_double_dialling(make_app, engines, auth):
    profile = {"seed": 3, "rates": {"failed": 0.0}}
    with phone_stack(make_app, profile=profile, townships=["T01"]) as (_url, app, board):
        campaign_id = running_campaign(app, engines, auth, ["T01"], 20, max_attempts=3,
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
        campaign_id = running_campaign(app, engines, auth, ["T01"], 30, max_attempts=2,
                                       cps=10, max_concurrent=6, windows=["00:00-24:00"],
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






def test_two_workers_place_calls_no_faster_than_the_campaign_cps(make_app, engines, auth):
    app = make_app("survey", TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL="http://s")
    campaign_id = running_campaign(app, engines, auth, ["T01"], 20, cps=5,
                                   max_concurrent=100)
    virtual = VirtualTime()
    carrier = RecordingCarrier(virtual)
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
    assert spacing(times) >= 0.2 - 1e-6  # a per-worker bucket would place pairs at once
    with app.extensions["kaoping"].sessions() as session:
        states = Counter(session.scalars(select(CallAttempt.state)))
    assert states == {"placed": 20}


def _first_contact(app) -> int:
    with app.extensions["kaoping"].sessions() as session:
        return session.scalar(select(PhoneContact.id).order_by(PhoneContact.id))


def _rows(app) -> tuple[dict, dict]:
    with app.extensions["kaoping"].sessions() as session:
        return ({c.id: c for c in session.scalars(select(PhoneContact))},
                {a.contact_id: a for a in session.scalars(select(CallAttempt))})


def test_a_database_error_placing_one_call_gives_it_back_and_places_the_others(
        app, engines, campaign):
    first = _first_contact(app)
    carrier = Carrier()
    dialer = make_dialer(app, client=carrier)
    with failing(engines["survey"], "UPDATE OF placed_at",
                 f"NEW.contact_id = {first} AND NEW.placed_at IS NOT NULL"):
        assert dialer.tick() == 2
    contacts, attempts = _rows(app)
    assert len(carrier.called) == 2
    assert {attempts[c].state for c in contacts if c != first} == {"placed"}
    given_back = attempts[first]
    assert given_back.state == "lost" and "injected failure" in given_back.error
    assert (contacts[first].state, contacts[first].attempts) == ("pending", 0)
    due = contacts[first].next_attempt_at
    assert (due if due.tzinfo else due.replace(tzinfo=UTC)) == IN_WINDOW + timedelta(seconds=60)
    # due again a minute later, and placed then
    later = make_dialer(app, client=carrier, clock=lambda: IN_WINDOW + timedelta(seconds=61))
    assert later.tick() == 1 and len(carrier.called) == 3


def test_a_database_error_recording_one_placed_call_leaves_the_others_recorded(
        app, engines, campaign):
    first = _first_contact(app)
    carrier = Carrier()
    dialer = make_dialer(app, client=carrier)
    with failing(engines["survey"], "UPDATE OF call_sid", f"NEW.contact_id = {first}"):
        assert dialer.tick() == 3
    contacts, attempts = _rows(app)
    assert len(carrier.called) == 3
    assert {attempts[c].state for c in contacts if c != first} == {"placed"}
    unrecorded = attempts[first]
    assert (unrecorded.state, unrecorded.call_sid) == ("placing", None)
    assert unrecorded.placed_at is not None  # placed: not given back, not dialled again
    # Its webhooks carry the attempt id and record the CallSid.
    sid = "CA" + "f" * 32
    signed(app.test_client(), f"/api/v1/telephony/voice/status?attempt={unrecorded.id}",
           call_params(CallSid=sid, CallStatus="no-answer"))
    _contacts, attempts = _rows(app)
    assert (attempts[first].call_sid, attempts[first].state) == (sid, "ended")
