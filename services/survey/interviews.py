"""Interviews and answers: the domain functions every mode (web, paper, phone) uses.

- ``new_interview`` makes a sample member (disposition ``3.19`` until it answers);
- ``record_answer`` stores one answer idempotently (same value again is a no-op;
  one row per interview and question);
- ``complete_interview`` finishes it (idempotent); ``close_interview`` labels an
  unfinished one as partial (AAPOR 1.2) or break-off (2.12) at the poll's threshold;
- ``set_disposition`` codes any AAPOR disposition (e.g. from call outcomes).
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.config import COUNTY_TZ
from shared.db import utcnow
from shared.errors import Conflict, NotFound, ValidationFailed

from .models.interview import Answer, Interview, RespondentContact, RespondentLink
from .models.poll import Poll
from .questionnaires import check_answer, next_question, question_map, route


@dataclass(frozen=True)
class Disposition:
    code: str
    category: str  # I, P, R, NC, O, UH, UO, NE (not eligible)
    en: str
    zh: str


# AAPOR Standard Definitions (2023), final disposition codes used by Kaoping.
DISPOSITIONS = {d.code: d for d in (
    Disposition("1.1", "I", "complete", "完成"),
    Disposition("1.2", "P", "partial", "部分完成"),
    Disposition("2.11", "R", "refusal", "拒访"),
    Disposition("2.12", "R", "break-off", "中途退出"),
    Disposition("2.20", "NC", "non-contact", "未接触"),
    Disposition("2.21", "NC", "respondent never available", "受访者始终不在"),
    Disposition("2.22", "NC", "answering machine, no message left", "答录机"),
    Disposition("2.30", "O", "other eligible non-interview", "其他合格未访"),
    Disposition("2.32", "O", "physically or mentally unable", "身体或精神原因无法受访"),
    Disposition("2.33", "O", "language barrier", "语言障碍"),
    Disposition("3.10", "UH", "unknown if household/number is eligible", "号码是否合格未知"),
    Disposition("3.11", "UH", "not attempted", "未拨打"),
    Disposition("3.13", "UH", "no answer after all attempts", "多次拨打无人接听"),
    Disposition("3.14", "UH", "busy / call blocking", "占线或拦截"),
    Disposition("3.19", "UO", "invitation sent, nothing returned", "已发邀请，未回应"),
    Disposition("3.20", "UO", "unknown if an eligible respondent", "受访者是否合格未知"),
    Disposition("4.10", "NE", "out of sample", "不在样本范围"),
    Disposition("4.20", "NE", "fax / data line", "传真或数据线路"),
    Disposition("4.30", "NE", "non-working or disconnected number", "空号或停机"),
    Disposition("4.70", "NE", "no eligible respondent", "无合格受访者"),
    Disposition("4.80", "NE", "quota filled", "配额已满"),
)}
OPEN_STATUSES = ("not_started", "in_progress")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def get_interview(session: Session, interview_id: int) -> Interview:
    interview = session.get(Interview, interview_id)
    if interview is None:
        raise NotFound(f"Interview {interview_id} not found")
    return interview


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


def set_disposition(session: Session, interview: Interview, code: str) -> Interview:
    """Code an AAPOR disposition; ValidationFailed for an unknown code."""
    if code not in DISPOSITIONS:
        raise ValidationFailed("Unknown disposition", {"disposition": [
            f"one of {', '.join(DISPOSITIONS)}"]})
    interview.disposition = code
    if code != "1.1" and interview.status in OPEN_STATUSES and DISPOSITIONS[code].category in (
            "R", "NC", "O", "NE"):
        interview.status = "ended"
    interview.updated_at = utcnow()
    session.flush()
    return interview


def add_contact(session: Session, interview: Interview, *, name: str | None = None,
                phone: str | None = None, email: str | None = None,
                note: str | None = None) -> RespondentContact:
    contact = RespondentContact(interview_id=interview.id, name=name, phone=phone, email=email,
                                note=note)
    session.add(contact)
    return contact


def field_end_instant(poll: Poll) -> datetime:
    """The end of the poll's last field day (midnight after ``field_end``, county time), UTC."""
    local = datetime.combine(poll.field_end + timedelta(days=1), time(0), tzinfo=COUNTY_TZ)
    return local.astimezone(UTC)


def link_expiry(poll: Poll, expires_in_days: int | None = None,
                now: datetime | None = None) -> datetime:
    """When new links expire: ``expires_in_days`` from now, else the end of the field period."""
    if expires_in_days is not None:
        return (now or utcnow()) + timedelta(days=expires_in_days)
    return field_end_instant(poll)


def link_expired(link: RespondentLink, now: datetime | None = None) -> bool:
    expires = link.expires_at
    if expires is None:
        return False
    if expires.tzinfo is None:          # SQLite gives back naive UTC
        expires = expires.replace(tzinfo=UTC)
    return (now or utcnow()) >= expires


def issue_links(session: Session, poll: Poll, count: int, *, township: str | None = None,
                stratum: str | None = None, cluster: str | None = None,
                contacts: list[dict[str, Any]] | None = None,
                expires_in_days: int | None = None) -> list[tuple[str, RespondentLink]]:
    """Make ``count`` one-time web links (one sample member each); return their tokens
    and links (``link.interview`` is the sample member).

    The token (32 random bytes, URL-safe) is returned once; only its SHA-256 is kept.
    Links expire ``expires_in_days`` after issue, else at the end of the poll's field
    period (see ``link_expiry``).
    """
    if poll.status == "closed":
        raise Conflict(f"Poll {poll.id} is closed", {"status": ["closed"]})
    expires_at = link_expiry(poll, expires_in_days)
    issued = []
    for i in range(count):
        interview = new_interview(session, poll, "web", township=township, stratum=stratum,
                                  cluster=cluster)
        token = secrets.token_urlsafe(32)
        link = RespondentLink(poll_id=poll.id, interview_id=interview.id,
                              token_hash=hash_token(token), expires_at=expires_at)
        link.interview = interview
        session.add(link)
        if contacts and i < len(contacts) and any(contacts[i].values()):
            add_contact(session, interview, **contacts[i])
        issued.append((token, link))
    session.flush()
    return issued


def find_link(session: Session, token: str) -> RespondentLink | None:
    if not token or len(token) > 100:
        return None
    return session.scalar(select(RespondentLink).where(
        RespondentLink.token_hash == hash_token(token)))
