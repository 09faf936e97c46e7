"""One failure never blocks the rest of a dialer pass: a database error (a real trigger
refusing one case's write) while claiming, placing or recording one call leaves the
other calls of the batch placed, and a claim not placed is given back at once."""

from __future__ import annotations

import contextlib
import io
import threading
from datetime import UTC, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text

from services.survey.models.telephony import CallAttempt, PhoneContact
from tests.survey.telephony.phone_support import (
    IN_WINDOW,
    PUBLIC,
    TOKEN,
    call_params,
    frame_csv,
    make_dialer,
    make_phone_poll,
    signed,
)

FAILURE = "kaoping_test_failure"


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


@pytest.fixture
def app(make_app):
    return make_app("survey", TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL=PUBLIC)


@pytest.fixture
def campaign(app, engines, auth) -> int:
    poll_id = make_phone_poll(engines["survey"], ["T01"])
    client, planner = app.test_client(), auth("planner")
    created = client.post("/api/v1/telephony/campaigns", headers=planner, json={
        "poll_id": poll_id, "name": "c", "from_number": "+8657488880000", "cps": 100})
    client.post(f"/api/v1/telephony/campaigns/{created.json['id']}/frame", headers=planner,
                data={"file": (io.BytesIO(frame_csv(["T01"], 3)), "f.csv")})
    client.post(f"/api/v1/telephony/campaigns/{created.json['id']}/start", headers=planner)
    return created.json["id"]


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
