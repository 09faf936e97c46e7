"""Claims: concurrent workers never claim the same case, claims stay within what can be
placed within the lease at the campaign's cps, a database error claiming one case
leaves the others claimed, and a case completed after its last call is closed, not
dialled again."""

from __future__ import annotations

import io
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from services.survey.models.interviews import Interview
from services.survey.models.telephony import CallAttempt, PhoneContact
from tests.survey.telephony.phone_support import (
    TOKEN,
    Carrier,
    call_params,
    failing,
    make_dialer,
    make_phone_poll,
    running_campaign,
    signed,
)


def _first_contact(app) -> int:
    with app.extensions["kaoping"].sessions() as session:
        return session.scalar(select(PhoneContact.id).order_by(PhoneContact.id))


def _rows(app) -> tuple[dict, dict]:
    with app.extensions["kaoping"].sessions() as session:
        return ({c.id: c for c in session.scalars(select(PhoneContact))},
                {a.contact_id: a for a in session.scalars(select(CallAttempt))})


def test_a_database_error_claiming_one_case_leaves_the_others_claimed(app, engines, campaign):
    first = _first_contact(app)
    carrier = Carrier()
    dialer = make_dialer(app, client=carrier)
    with failing(engines["survey"], "INSERT", f"NEW.contact_id = {first}"):
        assert dialer.tick() == 2
    contacts, attempts = _rows(app)
    assert first not in attempts and len(attempts) == 2
    assert (contacts[first].state, contacts[first].attempts) == ("pending", 0)
    assert dialer.tick() == 1  # the trigger is gone: claimed and placed on the next pass


def test_two_workers_never_claim_the_same_contact(make_app, engines, auth):
    app = make_app("survey", TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL="http://s")
    # cps 10: claims not yet placed (here: none ever is) may wait for up to 600 slots.
    campaign_id = running_campaign(app, engines, auth, ["T01", "T02"], 40,
                                   max_concurrent=1000, cps=10)
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


def test_a_worker_claims_nothing_while_others_calls_wait_for_their_slots(make_app, engines,
                                                                         auth):
    app = make_app("survey", TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL="http://s")
    # cps 0.1 and a 120 s lease: at most 6 calls may wait for slots, across workers.
    campaign_id = running_campaign(app, engines, auth, ["T01"], 10, cps=0.1,
                                   max_concurrent=100)
    first = make_dialer(app, worker="a", client=object())
    second = make_dialer(app, worker="b", client=object())
    assert len(first.claim(campaign_id)) == 6
    assert second.claim(campaign_id) == []


def test_a_case_completed_by_a_late_copy_of_its_last_action_is_not_dialled_again(
        app, engines, auth):
    """The call ended (its status callback came first) while a copy of its last Record
    action was still on its way; that copy completes the interview afterwards. The case
    was scheduled for a call-back by then: the dialer must close it, not call a resident
    who has answered everything (found by bench/chaos.py: a call placed to a completed
    case)."""
    poll_id = make_phone_poll(engines["survey"], ["T01"])
    client, planner = app.test_client(), auth("planner")
    campaign = client.post("/api/v1/telephony/campaigns", headers=planner, json={
        "poll_id": poll_id, "name": "c", "from_number": "+8657488880000",
        "windows": ["00:00-24:00"], "weekdays": list(range(7)),
        "delays": {"break-off": 0}}).json["id"]
    client.post(f"/api/v1/telephony/campaigns/{campaign}/frame", headers=planner,
                data={"file": (io.BytesIO(b"phone,township\n13900010001,T01\n"), "f.csv")})
    client.post(f"/api/v1/telephony/campaigns/{campaign}/start", headers=planner)
    now = datetime.now(UTC)
    (attempt_id,) = make_dialer(app, clock=lambda: now, client=object()).claim(campaign)
    signed(client, f"/api/v1/telephony/voice/consent?attempt={attempt_id}&tries=1",
           call_params(Digits="1"))
    question = f"/api/v1/telephony/voice/question?attempt={attempt_id}"
    for qid, digits in (("sat", "1"), ("score", "5"), ("problem", "2"), ("years", "12#")):
        signed(client, f"{question}&q={qid}&tries=1", call_params(Digits=digits))
    signed(client, f"/api/v1/telephony/voice/status?attempt={attempt_id}",
           call_params(CallStatus="completed", CallDuration="40"))
    late = signed(client, f"/api/v1/telephony/voice/recorded?attempt={attempt_id}&q=advice",
                  call_params(RecordingUrl="https://carrier.example/RE8", RecordingSid="RE8",
                              RecordingDuration="5"))
    assert late.status_code == 200
    later = now + timedelta(minutes=1)
    assert make_dialer(app, clock=lambda: later, client=object()).claim(campaign) == []
    with app.extensions["kaoping"].sessions() as session:
        contact = session.scalars(select(PhoneContact)).one()
        interview = session.get(Interview, contact.interview_id)
        assert (contact.state, interview.status, interview.disposition) == (
            "done", "complete", "1.1")
        assert session.scalar(select(func.count(CallAttempt.id))) == 1
