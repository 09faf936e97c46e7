"""A dialer killed between claiming calls and placing them: the claims show as claimed
(not dialled, not in progress), and as soon as its process is gone another dialer — or
the same worker id started again — gives them back, instead of after the lease."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from services.survey.models.telephony import CallAttempt
from services.survey.telephony.presence import presence_for
from shared.db import utcnow
from shared.errors import Conflict
from tests.survey.telephony.phone_support import (
    TOKEN,
    frame_csv,
    make_dialer,
    make_phone_poll,
    phone_stack,
)


def test_a_worker_id_is_held_by_one_live_dialer_at_a_time(engines):
    first = presence_for(engines["survey"], "worker-a")
    first.hold()
    try:
        with pytest.raises(Conflict):
            presence_for(engines["survey"], "worker-a").hold()
        other = presence_for(engines["survey"], "worker-b")
        assert other.alive({"worker-a", "worker-b", "never-ran"}) == {"worker-a"}
    finally:
        first.release()
    assert presence_for(engines["survey"], "x").alive({"worker-a"}) == set()
    again = presence_for(engines["survey"], "worker-a")
    again.hold()  # free once released
    again.release()


def _campaign(app, engines, auth, numbers: int) -> int:
    """Three lines, one call every 20 s: a dialer claims three calls, places one and
    waits for the next slot."""
    poll_id = make_phone_poll(engines["survey"], ["T01"])
    client, planner = app.test_client(), auth("planner")
    campaign = client.post("/api/v1/telephony/campaigns", headers=planner, json={
        "poll_id": poll_id, "name": "c", "from_number": "+8657488880000", "cps": 0.05,
        "max_concurrent": 3, "windows": ["00:00-24:00"], "weekdays": list(range(7)),
        "delays": {"no-answer": 3600, "busy": 3600, "machine": 3600, "break-off": 3600,
                   "no-consent": 3600}}).json
    client.post(f"/api/v1/telephony/campaigns/{campaign['id']}/frame", headers=planner,
                data={"file": (io.BytesIO(frame_csv(["T01"], numbers)), "f.csv")})
    client.post(f"/api/v1/telephony/campaigns/{campaign['id']}/start", headers=planner)
    return campaign["id"]


def _dialer_process(app, engines, url: str, worker: str, log) -> subprocess.Popen:
    """A real ``kaoping dialer`` process, its output appended to ``log``."""
    env = {**os.environ, "SURVEY_DATABASE_URL":
           engines["survey"].url.render_as_string(hide_password=False),
           "TWILIO_ACCOUNT_SID": app.config["TWILIO_ACCOUNT_SID"], "TWILIO_AUTH_TOKEN": TOKEN,
           "TWILIO_API_BASE_URL": app.config["TWILIO_API_BASE_URL"], "PUBLIC_BASE_URL": url}
    return subprocess.Popen([sys.executable, "-m", "services.cli", "dialer", "--worker-id",
                             worker, "--interval", "0.1"], env=env,
                            stdout=log.open("ab"), stderr=subprocess.STDOUT)


def _attempts(app) -> list[CallAttempt]:
    with app.extensions["kaoping"].sessions() as session:
        return list(session.scalars(select(CallAttempt).order_by(CallAttempt.id)))


def _wait(condition, seconds: float, what: str, log):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"not within {seconds} s: {what}; the dialers said:\n"
                         + log.read_text(errors="replace")[-3000:])


def _kill_after_one_call(app, engines, url: str, worker: str, log) -> subprocess.Popen:
    """Start a real ``kaoping dialer``; once it has claimed three calls and placed the
    first, kill it with SIGKILL while it waits for its next send slot."""
    process = _dialer_process(app, engines, url, worker, log)
    try:
        _wait(lambda: len(rows := _attempts(app)) == 3 and rows[0].call_sid is not None,
              60, "three claims, one placed", log)
        # Still alive: another dialer leaves its claims alone.
        make_dialer(app, worker="other", clock=utcnow).recover()
        assert [a.state for a in _attempts(app)][1:] == ["placing", "placing"]
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    return process


def test_claims_of_a_killed_dialer_show_as_claimed_and_are_taken_back_at_once(
        make_app, engines, auth, tmp_path):
    with phone_stack(make_app, townships=["T01"]) as (url, app, board):
        campaign_id = _campaign(app, engines, auth, 6)
        _kill_after_one_call(app, engines, url, "first", tmp_path / "dialers.log")
        board.wait_idle(10)
        client, analyst = app.test_client(), auth("analyst")
        progress = client.get(f"/api/v1/telephony/campaigns/{campaign_id}/progress",
                              headers=analyst).json
        (row,) = progress["townships"]
        assert (row["dialled"], row["claimed"], row["in_progress"]) == (1, 2, 0)
        assert (progress["claimed"], progress["in_progress"]) == (2, 0)
        # Well within the 120 s lease, a restarted dialer gives the claims back at once
        # and has all three lines again.
        restarted = make_dialer(app, worker="second", clock=utcnow)
        restarted.recover()
        attempts = _attempts(app)
        assert [(a.worker, a.state) for a in attempts] == [
            ("first", "ended"), ("first", "lost"), ("first", "lost")]
        claimed = restarted.claim(campaign_id)
        assert len(claimed) == 3
        progress = client.get(f"/api/v1/telephony/campaigns/{campaign_id}/progress",
                              headers=analyst).json
        assert (progress["claimed"], progress["townships"][0]["dialled"]) == (3, 1)


def test_the_same_worker_id_started_again_takes_its_claims_back(make_app, engines, auth,
                                                                tmp_path):
    log = tmp_path / "dialers.log"
    with phone_stack(make_app, townships=["T01"]) as (url, app, board):
        _campaign(app, engines, auth, 3)
        _kill_after_one_call(app, engines, url, "dialer-1", log)
        again = _dialer_process(app, engines, url, "dialer-1", log)
        try:
            _wait(lambda: [a.state for a in _attempts(app)][1:3] == ["lost", "lost"], 60,
                  "the earlier claims given back", log)
            # ... and claimed again by the new process (new attempts of the same cases)
            rows = _wait(lambda: len(rows := _attempts(app)) == 5 and rows, 20,
                         "claimed again", log)
        finally:
            again.terminate()
            stopped = again.wait(30)  # at once, though it was waiting for a send slot
        board.wait_idle(10)
    assert stopped == 0
    assert {a.contact_id for a in rows[3:]} == {a.contact_id for a in rows[1:3]}
    assert {a.worker for a in rows} == {"dialer-1"}
    # Stopped while waiting for its slot, it gave its claims back rather than place them.
    assert [a.state for a in _attempts(app)[3:]] == ["lost", "lost"]
