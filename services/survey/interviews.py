"""Interviews and answers: the domain functions every mode (web, paper, phone) uses.

- ``new_interview`` makes a sample member (disposition ``3.19`` until it answers);
- ``record_answer`` stores one answer idempotently (same value again is a no-op;
  one row per interview and question);
- ``complete_interview`` finishes it (idempotent); ``close_interview`` labels an
  unfinished one as partial (AAPOR 1.2) or break-off (2.12) at the poll's threshold.

Coding a disposition by hand is ``dispositions.set_disposition``; web links are
``links``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.db import utcnow
from shared.errors import Conflict, NotFound, ValidationFailed

from .models.interviews import Answer, Interview
from .models.polls import Poll
from .questionnaire_answers import check_answer, next_question, route
from .questionnaire_document import question_map

OPEN_STATUSES = ("not_started", "in_progress")


def new_interview(session: Session, poll: Poll, mode: str, *, township: str | None = None,
                  stratum: str | None = None, cluster: str | None = None,
                  external_ref: str | None = None, disposition: str = "3.19") -> Interview:
    """A sample member of ``poll`` reached by ``mode`` (phone, web or paper)."""
    if mode not in poll.modes:
        raise Conflict(f"Poll {poll.id} is not fielded by {mode}", {"mode": [mode]})
    if township is not None and township not in {t.township for t in poll.townships}:
        raise ValidationFailed("Unknown township", {"township": [f"{township} is not in the poll"]})
    interview = Interview(poll_id=poll.id, mode=mode, township=township, stratum=stratum,
                          cluster=cluster, external_ref=external_ref, status="not_started",
                          disposition=disposition)
    session.add(interview)
    session.flush()
    return interview


def answers_of(interview: Interview) -> dict[str, Any]:
    """``{question_id: value}`` of an interview (None marks a passed optional question)."""
    return {answer.question_id: answer.value for answer in interview.answers}


def _poll_of(session: Session, interview: Interview) -> Poll:
    return session.get(Poll, interview.poll_id)


def record_answer(session: Session, interview: Interview, question_id: str, value: Any) -> Answer:
    """Store (or change) one answer; the same value again changes nothing.

    Raises NotFound for an unknown question, ValidationFailed (``errors[question_id]``)
    for a value that does not fit or a question skip logic hides, Conflict when the
    poll is not fielding or the interview is finished.
    """
    poll = _poll_of(session, interview)
    if poll.status != "fielding":
        raise Conflict(f"Poll {poll.id} is {poll.status}; it takes no answers",
                       {"poll": [poll.status]})
    if interview.status not in OPEN_STATUSES:
        raise Conflict(f"Interview {interview.id} is {interview.status}",
                       {"interview": [interview.status]})
    document = poll.questionnaire.document
    questions = question_map(document)
    if question_id not in questions:
        raise NotFound(f"Question {question_id} is not in the questionnaire")
    question = questions[question_id]
    answers = answers_of(interview)
    before = {k: v for k, v in answers.items() if k != question_id}
    if question_id not in route(document, before, interview.mode):
        raise ValidationFailed("Question not asked", {question_id: [
            "skip logic does not ask this question after the answers given"]})
    if value is None:
        if question.get("required", True):
            raise ValidationFailed("Answer required", {question_id: ["an answer is required"]})
        normalised = None
    else:
        normalised = check_answer(question, value)
    answer = _upsert(session, interview, question_id, normalised)
    _after_answer(session, interview, poll, question_id, normalised)
    return answer


def _upsert(session: Session, interview: Interview, question_id: str, value: Any) -> Answer:
    existing = next((a for a in interview.answers if a.question_id == question_id), None)
    if existing is None:
        try:
            with session.begin_nested():
                existing = Answer(interview_id=interview.id, question_id=question_id,
                                  value=value)
                session.add(existing)
            interview.answers.append(existing)
            return existing
        except IntegrityError:
            # The same answer arrived twice at once; the other request stored it.
            session.expire(interview, ["answers"])
            existing = next(a for a in interview.answers if a.question_id == question_id)
    if existing.value != value:
        existing.value = value
        existing.updated_at = utcnow()
    return existing


def _after_answer(session: Session, interview: Interview, poll: Poll, question_id: str,
                  value: Any) -> None:
    changes = interview_changes_after_answer(
        status=interview.status, stratum=interview.stratum, mode=interview.mode,
        document=poll.questionnaire.document, answers=answers_of(interview),
        stratum_question=poll.stratum_question, partial_threshold=poll.partial_threshold,
        question_id=question_id, value=value, now=utcnow())
    for name, changed in changes.items():
        setattr(interview, name, changed)
    session.flush()


def interview_changes_after_answer(*, status: str, stratum: str | None, mode: str,
                                   document: Mapping, answers: Mapping[str, Any],
                                   stratum_question: str | None, partial_threshold: float,
                                   question_id: str, value: Any, now) -> dict[str, Any]:
    """The interview's columns to change once ``question_id`` is answered (``answers``
    include it): started, stratum from its question, and the unfinished disposition."""
    changes: dict[str, Any] = {"updated_at": now, "disposition": unfinished_disposition(
        document, answers, mode, partial_threshold)}
    if status == "not_started":
        changes.update(status="in_progress", started_at=now)
    if stratum_question == question_id and value is not None and stratum is None:
        changes["stratum"] = str(value)
    return changes


def answered_share(interview: Interview, poll: Poll) -> float:
    """Answered share of the questions on the respondent's route (passed ones excluded)."""
    return route_answered_share(poll.questionnaire.document, answers_of(interview),
                                interview.mode)


def route_answered_share(document: Mapping, answers: Mapping[str, Any], mode: str) -> float:
    shown = route(document, answers, mode)
    if not shown:
        return 0.0
    return sum(1 for qid in shown if answers.get(qid) is not None) / len(shown)


def unfinished_disposition(document: Mapping, answers: Mapping[str, Any], mode: str,
                           partial_threshold: float) -> str:
    """AAPOR code of an unfinished interview: 1.2 partial at the threshold, else 2.12."""
    share = route_answered_share(document, answers, mode)
    return "1.2" if share >= partial_threshold else "2.12"


def complete_interview(session: Session, interview: Interview) -> Interview:
    """Finish an interview; a finished one is returned unchanged (idempotent).

    Answers that skip logic no longer asks (after a change) are removed. Raises
    ValidationFailed when a question on the route is still unanswered.
    """
    if interview.status == "complete":
        return interview
    poll = _poll_of(session, interview)
    if interview.status not in OPEN_STATUSES or poll.status != "fielding":
        raise Conflict(f"Interview {interview.id} cannot be completed "
                       f"(interview {interview.status}, poll {poll.status})",
                       {"interview": [interview.status]})
    document = poll.questionnaire.document
    answers = answers_of(interview)
    pending = next_question(document, answers, interview.mode)
    if pending is not None:
        raise ValidationFailed("Interview not finished", {pending: ["not answered yet"]})
    shown = set(route(document, answers, interview.mode))
    for answer in list(interview.answers):
        if answer.question_id not in shown:
            interview.answers.remove(answer)
            session.delete(answer)
    interview.status = "complete"
    interview.disposition = "1.1"
    interview.completed_at = interview.updated_at = utcnow()
    session.flush()
    return interview


def close_interview(interview: Interview, poll: Poll) -> None:
    """Label an unfinished interview when its poll closes: partial or ended (break-off)."""
    if interview.status != "in_progress":
        return
    interview.disposition = unfinished_disposition(
        poll.questionnaire.document, answers_of(interview), interview.mode,
        poll.partial_threshold)
    interview.status = "partial" if interview.disposition == "1.2" else "ended"
