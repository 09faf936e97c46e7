"""A case's life between calls: what an ended call means for the case (outcome, AAPOR
disposition, the next attempt or the end), and the interview's next question.

A case is not called again after a final outcome (complete, refusal, opt-out), an
outcome whose delay is null, its last attempt, or an interview that reached the end of
its route without completing (every question left was coded "no answer" after its
re-prompts): a call-back would have nothing to ask, so the case ends as a partial or a
break-off by the answered share.

Used by the status-callback webhook and by the dialer when it reconciles a call whose
callback never came.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from services.survey.interviews import answered_share, answers_of
from services.survey.models.interviews import Interview
from services.survey.models.polls import Poll
from services.survey.models.telephony import CallAttempt, PhoneContact
from services.survey.questionnaire_answers import route
from services.survey.telephony.call_outcomes import (
    COMPLETE,
    FINAL_OUTCOMES,
    PARTIAL,
    call_outcome,
    case_disposition,
)
from services.survey.telephony.campaigns import DEFAULT_DELAYS

FINAL_CALL_STATUSES = ("completed", "busy", "no-answer", "failed", "canceled")


def next_phone_question(poll: Poll, interview: Interview, skipped: list[str]) -> str | None:
    """First question on the route that is neither answered nor coded "no answer"."""
    return next_on_route(poll.questionnaire.document, answers_of(interview), skipped)


def next_on_route(document, answers: dict, skipped: list[str]) -> str | None:
    """``next_phone_question`` on a document and answers already at hand."""
    return next((qid for qid in route(document, answers, "phone")
                 if qid not in answers and qid not in skipped), None)


def finish_attempt(session: Session, attempt: CallAttempt, *, call_status: str,
                   answered_by: str | None, duration: int | None, now: datetime) -> bool:
    """Record a call's end and schedule the case; False when it was already recorded."""
    if attempt.state in ("ended", "lost"):
        return False
    contact: PhoneContact = attempt.contact
    campaign = contact.campaign
    poll = campaign.poll
    interview = session.get(Interview, contact.interview_id)
    attempt.call_status = call_status
    attempt.answered_by = answered_by or attempt.answered_by
    attempt.duration = duration
    attempt.ended_at = now
    attempt.state = "ended"
    finished = interview.status == "complete"
    outcome = call_outcome(call_status, attempt.answered_by, consent=attempt.consent,
                           opted_out=attempt.opted_out, finished=finished)
    attempt.outcome = outcome
    contact.outcomes = [*contact.outcomes, outcome]
    share = answered_share(interview, poll)
    disposition = COMPLETE if finished else case_disposition(
        contact.outcomes, answered_share=share, partial_threshold=poll.partial_threshold)
    attempt.disposition = disposition
    if interview.status != "complete":
        interview.disposition = disposition
        interview.updated_at = now
    contact.lease_owner = contact.lease_until = None
    # A campaign made before an outcome existed has no delay for it: the default applies.
    delay = campaign.delays.get(outcome, DEFAULT_DELAYS.get(outcome))
    final = (outcome in FINAL_OUTCOMES or delay is None
             or contact.attempts >= campaign.max_attempts
             or campaign.state in ("cancelled", "finished"))
    if attempt.direction == "inbound" and contact.state == "pending" and not finished:
        final = False  # a call-back does not use up the outbound attempts
    if outcome == "break-off" and next_phone_question(poll, interview, contact.skipped) is None:
        final = True  # nothing left to ask: a call-back would only say "continue?"
    if final:
        close_case(contact, interview, disposition)
    else:
        contact.state = "pending"
        contact.next_attempt_at = (attempt.placed_at or now) + timedelta(seconds=delay or 0)
    session.flush()
    return True


def close_case(contact: PhoneContact, interview: Interview, disposition: str) -> None:
    """No more calls: the interview keeps its final code and status."""
    contact.state = "done"
    contact.next_attempt_at = None
    if interview.status == "complete":
        return
    interview.disposition = disposition
    if interview.status in ("in_progress", "not_started") and interview.answers:
        interview.status = "partial" if disposition == PARTIAL else "ended"
    elif interview.status == "not_started":
        interview.status = "ended"
