"""One-time web links: issued to sample members (with their contact identity, for
planners only), expiring, and answered by the respondent at ``/r/<token>``.

- ``issue_links`` makes one web interview (disposition ``3.19``) and one link per
  sample member. The token (32 random bytes, URL-safe) is returned once; only its
  SHA-256 is kept. Links expire ``expires_in_days`` after issue, else at the end of the
  poll's field period (midnight after ``field_end``, county time).
- ``open_link`` finds the link of a token (marking it opened); ``link_state`` says why it
  takes no answers now (invalid, expired, thanks, quota, closed, not open, ended), or
  None; ``next_page`` what the respondent sees next; ``choose_township``,
  ``answer_question`` and ``submit`` are what the respondent does.

The pages themselves (HTML, CSRF, languages) are ``services.survey.web``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.config import COUNTY_TZ
from shared.db import get_or_404, utcnow
from shared.errors import Conflict, ValidationFailed

from .dispositions import set_disposition
from .interviews import OPEN_STATUSES, answers_of, complete_interview, new_interview, record_answer
from .models.interviews import Interview
from .models.links import RespondentContact, RespondentLink
from .models.polls import Poll
from .polls import in_field, quota_filled
from .questionnaire_answers import AnswerError, next_question, parse_answer_text, route
from .questionnaire_document import question_map

QUOTA_FILLED = "4.80"
# What a respondent who leaves a required question blank is told.
REQUIRED = {"en": "Please answer this question", "zh-CN": "请回答此题"}


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


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


def issue_links(session: Session, poll_id: int, data: dict[str, Any],
                base_url: str) -> dict[str, Any]:
    """One-time links of a web poll: ``data["count"]`` of them, or one per contact in
    ``data["contacts"]``, in ``township`` / ``stratum`` / ``cluster`` when given;
    ``{"poll_id", "links": [{"interview_id", "token", "url", "township", "stratum",
    "expires_at"}]}`` with URLs ``<base_url>/r/<token>``.

    Raises NotFound (no poll), Conflict (no web mode, poll closed), ValidationFailed
    (neither count nor contacts, a township not in the poll).
    """
    poll = get_or_404(session, Poll, poll_id)
    if "web" not in poll.modes:
        raise Conflict(f"Poll {poll_id} has no web mode", {"mode": ["web"]})
    count = data["count"] or len(data["contacts"])
    if not count:
        raise ValidationFailed("Nothing to issue", {"count": ["give count or contacts"]})
    if poll.status == "closed":
        raise Conflict(f"Poll {poll.id} is closed", {"status": ["closed"]})
    expires_at = link_expiry(poll, data["expires_in_days"])
    contacts = data["contacts"]
    links = []
    for i in range(count):
        interview = new_interview(session, poll, "web", township=data["township"],
                                  stratum=data["stratum"], cluster=data["cluster"])
        token = secrets.token_urlsafe(32)
        session.add(RespondentLink(poll_id=poll.id, interview_id=interview.id,
                                   token_hash=hash_token(token), expires_at=expires_at))
        if i < len(contacts) and any(contacts[i].values()):
            session.add(RespondentContact(interview_id=interview.id, **contacts[i]))
        links.append({"interview_id": interview.id, "token": token,
                      "url": f"{base_url.rstrip('/')}/r/{token}",
                      "township": interview.township, "stratum": interview.stratum,
                      "expires_at": expires_at})
    session.flush()
    return {"poll_id": poll.id, "links": links}


def poll_contacts(session: Session, poll_id: int) -> list[RespondentContact]:
    """Contact identity of a poll's sample members, by interview; NotFound (no poll)."""
    get_or_404(session, Poll, poll_id)
    return list(session.scalars(
        select(RespondentContact)
        .join(Interview, Interview.id == RespondentContact.interview_id)
        .where(Interview.poll_id == poll_id).order_by(RespondentContact.interview_id)))


def find_link(session: Session, token: str) -> RespondentLink | None:
    if not token or len(token) > 100:
        return None
    return session.scalar(select(RespondentLink).where(
        RespondentLink.token_hash == hash_token(token)))


def open_link(session: Session, token: str) -> RespondentLink | None:
    """The link of ``token`` (None for none), marked opened the first time it is used
    while valid."""
    link = find_link(session, token)
    if link is not None and link.opened_at is None and not link_expired(link):
        link.opened_at = utcnow()
    return link


def link_state(link: RespondentLink | None) -> str | None:
    """Why the link takes no answers now: ``invalid`` (no such link), ``expired``,
    ``thanks`` (completed), ``quota`` (turned away, the township's quota was filled),
    ``closed`` (poll closed), ``not_open`` (poll not fielding, or outside its field
    period) or ``ended`` (interview ended otherwise); None when it takes answers."""
    if link is None:
        return "invalid"
    if link_expired(link):
        return "expired"
    interview = link.interview
    if interview.status == "complete":
        return "thanks"
    if interview.disposition == QUOTA_FILLED:
        return "quota"
    if link.poll.status == "closed":
        return "closed"
    if not in_field(link.poll):
        return "not_open"
    if interview.status not in OPEN_STATUSES:
        return "ended"
    return None


@dataclass(frozen=True)
class Page:
    """What a respondent sees next: ``kind`` is ``township`` (choose one first),
    ``question`` (``question`` at ``position`` of the ``shown`` route, ``previous`` the
    answered question before it) or ``review`` (every question answered)."""

    kind: str
    document: dict
    answers: dict[str, Any]
    shown: list[str]
    question: dict | None = None
    position: int = 0
    previous: str | None = None


def next_page(link: RespondentLink, wanted: str | None) -> Page:
    """The page to show: ``wanted`` (an answered question on the route, to change it),
    else the next question, else the review."""
    interview, document = link.interview, link.poll.questionnaire.document
    if interview.township is None:
        return Page("township", document, {}, [])
    answers = answers_of(interview)
    shown = route(document, answers, interview.mode)
    current = wanted if wanted in shown and wanted in answers else next_question(
        document, answers, interview.mode)
    if current is None:
        return Page("review", document, answers, shown)
    position = shown.index(current)
    previous = next((qid for qid in reversed(shown[:position]) if qid in answers), None)
    return Page("question", document, answers, shown, question_map(document)[current],
                position, previous)


def choose_township(link: RespondentLink, code: str) -> bool:
    """Tie an unbound link's sample member to a township of the poll; False when ``code``
    is none of them."""
    if code not in {t.township for t in link.poll.townships}:
        return False
    link.interview.township = code
    return True


def answer_question(session: Session, link: RespondentLink, question_id: str,
                    special: str | None, given: list[str]) -> str | None:
    """Store the respondent's answer to ``question_id`` from what the form holds: a DK /
    refused code (``special``), else the ``answer`` field's values (``given``: the options
    picked of a multiple choice question, else one text; blank is no answer).

    Returns ``quota`` when the sample member is turned away instead (a new respondent in
    a township or stratum whose quota is filled: coded 4.80), else None (also for a
    question not in the questionnaire: nothing is stored). Raises AnswerError for an
    answer that does not fit (or a required one left blank), ValidationFailed or
    Conflict when skip logic or the poll's state refuses it.
    """
    interview, poll = link.interview, link.poll
    question = question_map(poll.questionnaire.document).get(question_id)
    if question is None:
        return None
    if interview.status == "not_started" and quota_filled(session, poll, interview.township,
                                                          interview.stratum):
        set_disposition(session, interview.id, QUOTA_FILLED)
        return "quota"
    value = _form_value(question, special, given)
    if value is None and question.get("required", True):
        raise AnswerError(REQUIRED["en"], REQUIRED["zh-CN"])
    record_answer(session, interview, question_id, value)
    return None


def _form_value(question: dict, special: str | None, given: list[str]) -> Any:
    if special:
        return parse_answer_text(question, special)
    if question["type"] == "multiple":
        return parse_answer_text(question, given) if given else None
    text = given[0] if given else ""
    return parse_answer_text(question, text) if text.strip() else None


def submit(session: Session, link: RespondentLink) -> None:
    """Finish the interview; a route with questions still open stays unfinished."""
    try:
        complete_interview(session, link.interview)
    except ValidationFailed:
        pass
