"""What each Twilio webhook does to the interview: the call flow of the IVR.

``answer`` (the call's Url) → consent ``<Gather>`` → one ``<Gather>`` (or ``<Record>``)
per question on the route → thanks. Answers are stored as they arrive with
``services.survey.interviews.record_answer``. A Gather is idempotent per CallSid,
question and try (``shared.idempotency.run_once``, scope ``twilio-webhook``): a replay
returns the TwiML first sent and changes nothing. The
``status`` callback ends the attempt (see ``cases.finish_attempt``). An inbound call
from a sampled number resumes that case's interview.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, lazyload

from services.survey.interviews import complete_interview, record_answer
from services.survey.models import IdempotencyRecord
from services.survey.models.interviews import Interview
from services.survey.models.polls import Poll
from services.survey.models.telephony import CallAttempt, Campaign, PhoneContact, Recording
from services.survey.questionnaire_answers import AnswerError
from services.survey.questionnaire_document import question_map
from services.survey.telephony.cases import FINAL_CALL_STATUSES, finish_attempt, next_phone_question
from services.survey.telephony.do_not_call import add_do_not_call, is_do_not_call
from services.survey.telephony.frame import normalise_number
from services.survey.telephony.ivr import (
    ACCEPT_KEY,
    DECLINE_KEY,
    OPT_OUT_KEY,
    Ivr,
    NoAnswer,
    Voice,
    interpret,
    keypad,
)
from services.survey.telephony.vault import PhoneVault
from shared.db import utcnow
from shared.errors import Conflict, DomainError, NotFound
from shared.idempotency import run_once

SCOPE = "twilio-webhook"


@dataclass
class Call:
    """One call's context: attempt, case, campaign, poll, interview and its IVR."""

    attempt: CallAttempt
    contact: PhoneContact
    campaign: Campaign
    poll: Poll
    interview: Interview
    ivr: Ivr

    @property
    def document(self) -> dict:
        return self.poll.questionnaire.document


def voice_of(campaign) -> Voice:
    """The campaign's voice settings (a Campaign, or any row with its column names)."""
    return Voice(language=campaign.language, voice=campaign.voice,
                 say_language=campaign.say_language, gather_timeout=campaign.gather_timeout,
                 max_tries=campaign.max_tries, prompts=campaign.prompts or {})


def load_call(session: Session, attempt_id: int, call_sid: str, url) -> Call:
    """The call of a webhook; NotFound for an unknown attempt, Conflict for a CallSid that
    belongs to another attempt."""
    # One query for the attempt, its case, campaign, poll, questionnaire, interview and
    # answers; the poll's township and quota lists are loaded only if a webhook needs them.
    contact = joinedload(CallAttempt.contact)
    attempt = session.scalars(select(CallAttempt).where(CallAttempt.id == attempt_id).options(
        contact.joinedload(PhoneContact.campaign).joinedload(Campaign.poll)
        .options(lazyload(Poll.townships), lazyload(Poll.quotas)),
        contact.joinedload(PhoneContact.interview).joinedload(Interview.answers))
    ).unique().one_or_none()
    if attempt is None:
        raise NotFound(f"Call attempt {attempt_id} not found")
    if attempt.call_sid is None and call_sid:
        attempt.call_sid = call_sid
    elif call_sid and attempt.call_sid != call_sid:
        raise Conflict("CallSid does not match the attempt", {"CallSid": [call_sid]})
    contact = attempt.contact
    if attempt.state == "lost":
        _revive(attempt, contact)
    campaign = contact.campaign
    return Call(attempt, contact, campaign, campaign.poll, contact.interview,
                Ivr(voice_of(campaign), url))


def _revive(attempt: CallAttempt, contact: PhoneContact) -> None:
    """A call that recovery gave up on did reach the respondent: count it again and keep
    its case from being dialled while it runs."""
    attempt.state = "placed"
    if contact.state == "pending":
        contact.state = "dialing"
        contact.attempts += 1


def load_call_by_sid(session: Session, call_sid: str, url) -> Call:
    """The call of a webhook that names no attempt (an inbound number's callbacks)."""
    attempt_id = session.scalar(select(CallAttempt.id).where(CallAttempt.call_sid == call_sid))
    if not call_sid or attempt_id is None:
        raise NotFound(f"No call attempt has CallSid {call_sid!r}")
    return load_call(session, attempt_id, call_sid, url)


def _recorded_call(call: Call) -> bool:
    return call.campaign.record_calls or any(
        q["type"] in ("voice", "text") for q in call.document["questions"])


def answer(session: Session, call: Call, params: dict[str, str]) -> str:
    """The call was answered: consent prompt (or resume prompt), or hang up on a machine."""
    attempt = call.attempt
    attempt.answered_at = attempt.answered_at or utcnow()
    answered_by = params.get("AnsweredBy")
    attempt.answered_by = answered_by or attempt.answered_by
    if attempt.state in ("placing", "placed"):
        attempt.state = "in-progress"
    if answered_by and (answered_by.startswith("machine") or answered_by == "fax"):
        return call.ivr.goodbye("machine")
    if call.interview.status == "complete":
        return call.ivr.goodbye("thanks")
    if call.campaign.state == "cancelled" or is_do_not_call(session, call.contact.number_hash):
        return call.ivr.goodbye("closed")
    resume = bool(call.interview.answers)
    return call.ivr.consent(attempt.id, recorded=_recorded_call(call), resume=resume)


def _idempotent(session: Session, call: Call, step: str, tries: int, payload: Any, work) -> str:
    """Do ``work`` once per CallSid, step and try (``shared.idempotency.run_once``): a
    replay, or a copy that arrives while the first is at work, gets the TwiML first
    sent; the same key with other parameters is a 409."""
    return run_once(session, IdempotencyRecord, SCOPE, f"{call.attempt.call_sid}:{step}:{tries}",
                    payload, work, status=200, keep=lambda twiml: {"twiml": twiml},
                    answer=lambda _status, stored: stored["twiml"])


def consent(session: Session, call: Call, digits: str, tries: int) -> str:
    """1 accepts, 2 declines, 9 opts out (do-not-call); anything else is asked again."""

    def work() -> str:
        attempt = call.attempt
        if digits == ACCEPT_KEY:
            attempt.consent = True
            return next_step(session, call)
        if digits == DECLINE_KEY:
            attempt.consent = False
            return call.ivr.goodbye("declined")
        if digits == OPT_OUT_KEY:
            attempt.opted_out = True
            add_do_not_call(session, call.contact.number_hash, "keypad")
            return call.ivr.goodbye("opted_out")
        if tries < call.campaign.max_tries:
            return call.ivr.consent(attempt.id, recorded=_recorded_call(call),
                                    resume=bool(call.interview.answers), tries=tries + 1,
                                    problem="invalid" if digits else "no_input")
        return call.ivr.goodbye("declined")

    return _idempotent(session, call, "consent", tries, {"Digits": digits}, work)


def next_step(session: Session, call: Call) -> str:
    """TwiML for the next question on the route, or thanks when the route is done."""
    qid = next_phone_question(call.poll, call.interview, call.contact.skipped)
    if qid is None:
        call.attempt.last_question = None
        try:
            complete_interview(session, call.interview)
        except DomainError:
            pass  # a required question was coded "no answer": the case stays unfinished
        return call.ivr.goodbye("thanks")
    call.attempt.last_question = qid
    return call.ivr.question(call.attempt.id, question_map(call.document)[qid])


def _no_answer(session: Session, call: Call, question: dict) -> None:
    """Code a question as no answer: blank if optional, else remembered as skipped."""
    if not question.get("required", True):
        record_answer(session, call.interview, question["id"], None)
    elif question["id"] not in call.contact.skipped:
        call.contact.skipped = [*call.contact.skipped, question["id"]]


def question(session: Session, call: Call, qid: str, digits: str, tries: int) -> str:
    """Store a keypad answer, or re-prompt, or code no answer after the last try."""

    def work() -> str:
        questions = question_map(call.document)
        if qid not in questions:
            raise NotFound(f"Question {qid} is not in the questionnaire")
        current = next_phone_question(call.poll, call.interview, call.contact.skipped)
        if current != qid:  # answered already (e.g. a late replay with another try)
            return next_step(session, call)
        item = questions[qid]
        try:
            value = interpret(item, keypad(item, call.ivr.voice), digits)
            record_answer(session, call.interview, qid, value)
        except (NoAnswer, AnswerError) as problem:
            if tries < call.campaign.max_tries:
                return call.ivr.question(call.attempt.id, item, tries=tries + 1,
                                         problem="no_input" if isinstance(problem, NoAnswer)
                                         else "invalid")
            _no_answer(session, call, item)
        return next_step(session, call)

    return _idempotent(session, call, qid, tries, {"Digits": digits}, work)


def recorded(session: Session, call: Call, qid: str, params: dict[str, str]) -> str:
    """A ``<Record>`` ended: store the voice answer, or code no answer on silence."""

    def work() -> str:
        questions = question_map(call.document)
        if qid not in questions:
            raise NotFound(f"Question {qid} is not in the questionnaire")
        if next_phone_question(call.poll, call.interview, call.contact.skipped) != qid:
            return next_step(session, call)
        item, url = questions[qid], params.get("RecordingUrl")
        if url:
            duration = int(params.get("RecordingDuration") or 0)
            _recording(session, call, qid, params["RecordingSid"], url=url, duration=duration,
                       status="completed")
            value = url if item["type"] == "text" else {"recording_url": url,
                                                        "duration": duration}
            record_answer(session, call.interview, qid, value)
        else:
            _no_answer(session, call, item)
        return next_step(session, call)

    return _idempotent(session, call, f"record-{qid}", 1,
                       {"RecordingSid": params.get("RecordingSid")}, work)


def _recording(session: Session, call: Call, qid: str, sid: str, **values: Any) -> Recording:
    """The recording ``sid``, created on first sight. Twilio sends the Record action and
    the recording status callback independently, and may retry either: when another
    request creates the row at the same moment, its row is used."""
    recording = session.scalar(select(Recording).where(Recording.recording_sid == sid))
    if recording is None:
        try:
            with session.begin_nested():
                recording = Recording(attempt_id=call.attempt.id,
                                      interview_id=call.interview.id, question_id=qid,
                                      recording_sid=sid)
                session.add(recording)
        except IntegrityError:
            recording = session.scalar(select(Recording).where(Recording.recording_sid == sid))
    for name, value in values.items():
        if value is not None and recording.purged_at is None:
            setattr(recording, name, value)
    session.flush()
    return recording


def recording_status(session: Session, call: Call, qid: str, params: dict[str, str]) -> None:
    """Recording status callback: completed (URL, duration) or absent (no audio)."""
    status = params.get("RecordingStatus", "completed")
    _recording(session, call, qid, params.get("RecordingSid", ""), status=status,
               url=params.get("RecordingUrl") if status == "completed" else None,
               duration=int(params.get("RecordingDuration") or 0))


def status(session: Session, call: Call, params: dict[str, str]) -> None:
    """Call progress: answered time, and on a final CallStatus the end of the attempt."""
    attempt = call.attempt
    call_status = params.get("CallStatus", "")
    if params.get("AnsweredBy"):
        attempt.answered_by = params["AnsweredBy"]
    if call_status == "in-progress" and attempt.state in ("placing", "placed"):
        attempt.state = "in-progress"
        attempt.answered_at = attempt.answered_at or utcnow()
    if call_status in FINAL_CALL_STATUSES:
        duration = params.get("CallDuration")
        finish_attempt(session, attempt, call_status=call_status,
                       answered_by=params.get("AnsweredBy"),
                       duration=int(duration) if duration else None, now=utcnow())


def inbound(session: Session, params: dict[str, str], vault: PhoneVault, url) -> str:
    """A resident calls back: continue their case's interview, if they are sampled."""
    try:
        digest = vault.digest(normalise_number(params.get("From", "")))
    except ValueError:
        digest = None
    contact = None
    if digest:
        contact = session.scalar(
            select(PhoneContact).join(Interview, Interview.id == PhoneContact.interview_id)
            .join(Campaign, Campaign.id == PhoneContact.campaign_id)
            .where(PhoneContact.number_hash == digest, Campaign.state != "cancelled",
                   Interview.status.in_(("not_started", "in_progress")))
            .order_by(PhoneContact.id.desc()).limit(1))
    if contact is None or contact.campaign.poll.status != "fielding":
        voice = Voice() if contact is None else voice_of(contact.campaign)
        return Ivr(voice, url).goodbye("unknown")
    number = 1 + len(session.scalars(select(CallAttempt.id).where(
        CallAttempt.contact_id == contact.id)).all())
    attempt = CallAttempt(campaign_id=contact.campaign_id, contact_id=contact.id,
                          attempt_number=number, direction="inbound", state="in-progress",
                          call_sid=params.get("CallSid"), placed_at=utcnow(),
                          answered_at=utcnow(), worker="inbound")
    session.add(attempt)
    session.flush()
    call = load_call(session, attempt.id, params.get("CallSid", ""), url)
    return answer(session, call, params)
