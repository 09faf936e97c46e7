"""What an ended call means for its case: a person who gives no consent is a refusal,
not a non-contact; an interview whose route ended with a required question unanswered
is not called back."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from services.survey.models.interviews import Interview
from services.survey.models.telephony import CallAttempt, PhoneContact
from services.survey.outcome_rates import poll_outcome_rates
from tests.survey.telephony.phone_support import (
    IN_WINDOW,
    call_params,
    claimed_attempt,
    make_dialer,
    signed,
)

VOICE = "/api/v1/telephony/voice"


def _case(app, attempt_id: int) -> tuple[CallAttempt, PhoneContact, Interview, dict]:
    with app.extensions["kaoping"].sessions() as session:
        attempt = session.get(CallAttempt, attempt_id)
        contact = session.get(PhoneContact, attempt.contact_id)
        interview = session.get(Interview, contact.interview_id)
        counts = poll_outcome_rates(session, interview.poll_id)["overall"]["counts"]
        return attempt, contact, interview, counts


def _ended(client, attempt_id: int, **params) -> None:
    response = signed(client, f"{VOICE}/status?attempt={attempt_id}",
                      call_params(CallStatus="completed", CallDuration="40", **params))
    assert response.status_code == 204


def test_a_person_silent_at_the_consent_prompt_is_a_refusal_called_again(app, engines, auth):
    attempt_id = claimed_attempt(app, engines, auth, max_tries=2)
    client = app.test_client()
    prompt = signed(client, f"{VOICE}/answer?attempt={attempt_id}",
                    call_params(AnsweredBy="human"))
    assert "<Gather" in prompt.text
    again = signed(client, f"{VOICE}/consent?attempt={attempt_id}&tries=1",
                   call_params(Digits="", AnsweredBy="human"))
    assert "tries=2" in again.text
    bye = signed(client, f"{VOICE}/consent?attempt={attempt_id}&tries=2",
                 call_params(Digits="", AnsweredBy="human"))
    assert "<Hangup" in bye.text
    _ended(client, attempt_id, AnsweredBy="human")
    attempt, contact, interview, counts = _case(app, attempt_id)
    assert (attempt.outcome, attempt.disposition, interview.disposition) == (
        "no-consent", "2.11", "2.11")
    assert counts["R"] == 1 and counts["NC"] == 0
    # An implicit ("soft") refusal: called again after the no-consent delay (a day).
    assert contact.state == "pending" and contact.next_attempt_at is not None


@pytest.mark.parametrize("answered_by,outcome,code,group", [
    ("human", "no-consent", "2.11", "R"),
    ("machine_start", "machine", "2.22", "NC"),
    ("fax", "machine", "2.22", "NC"),
    ("unknown", "machine", "2.22", "NC"),
    (None, "machine", "2.22", "NC")])
def test_a_call_whose_answer_webhook_failed_is_coded_by_who_answered(app, engines, auth,
                                                                     answered_by, outcome,
                                                                     code, group):
    """Twilio could not fetch the consent TwiML (the answer webhook failed): only the
    status callback arrives, and it says who answered."""
    attempt_id = claimed_attempt(app, engines, auth)
    extra = {"AnsweredBy": answered_by} if answered_by else {}
    _ended(app.test_client(), attempt_id, **extra)
    attempt, _contact, interview, counts = _case(app, attempt_id)
    assert (attempt.outcome, attempt.disposition, interview.disposition) == (
        outcome, code, code)
    assert counts[group] == 1


@pytest.mark.parametrize("threshold,code,status", [(0.5, "1.2", "partial"),
                                                   (0.9, "2.12", "ended")])
def test_a_required_question_left_unanswered_ends_the_case_without_call_backs(
        app, engines, auth, threshold, code, status):
    attempt_id = claimed_attempt(app, engines, auth, partial_threshold=threshold,
                                 delays={"break-off": 0})
    client = app.test_client()
    signed(client, f"{VOICE}/answer?attempt={attempt_id}", call_params(AnsweredBy="human"))
    signed(client, f"{VOICE}/consent?attempt={attempt_id}&tries=1", call_params(Digits="1"))
    question = f"{VOICE}/question?attempt={attempt_id}"
    for tries in (1, 2, 3):  # silence three times at a required question
        response = signed(client, f"{question}&q=sat&tries={tries}", call_params(Digits=""))
    assert "q=score" in response.text
    signed(client, f"{question}&q=score&tries=1", call_params(Digits="5"))
    signed(client, f"{question}&q=problem&tries=1", call_params(Digits="2"))
    signed(client, f"{question}&q=years&tries=1", call_params(Digits="12#"))
    thanks = signed(client, f"{VOICE}/recorded?attempt={attempt_id}&q=advice",
                    call_params(RecordingUrl="https://c.example/RE1", RecordingSid="RE1",
                                RecordingDuration="4"))
    assert "<Hangup" in thanks.text
    _ended(client, attempt_id, AnsweredBy="human")
    attempt, contact, interview, counts = _case(app, attempt_id)
    # 4 of the 5 questions on the route answered: a partial at a threshold of 0.5, a
    # break-off at 0.9; either way the case is closed.
    assert (attempt.outcome, interview.disposition, interview.status) == (
        "break-off", code, status)
    assert (contact.state, contact.next_attempt_at, contact.skipped) == ("done", None, ["sat"])
    later = make_dialer(app, clock=lambda: IN_WINDOW + timedelta(hours=2), client=object())
    assert later.claim(attempt.campaign_id) == []  # no call-back that only asks "continue?"
    with app.extensions["kaoping"].sessions() as session:
        assert session.scalars(select(CallAttempt.id)).all() == [attempt_id]
