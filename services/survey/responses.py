"""A poll's responses, as analysts read them: the interviews with their answers, never
the contacts; as a list (filtered by township and status) or as a table, one row per
interview and one column per question."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.db import get_or_404

from .interviews import answers_of
from .models.interviews import Interview
from .models.polls import Poll

BASE_COLUMNS = ("interview_id", "mode", "township", "stratum", "cluster", "status",
                "disposition", "language", "started_at", "completed_at")


def poll_responses(session: Session, poll_id: int, township: str | None = None,
                   status: str | None = None) -> list[Interview]:
    """The interviews of a poll with their answers, by id; NotFound (no poll)."""
    get_or_404(session, Poll, poll_id)
    query = select(Interview).where(Interview.poll_id == poll_id).order_by(Interview.id)
    if township:
        query = query.where(Interview.township == township)
    if status:
        query = query.where(Interview.status == status)
    return list(session.scalars(query))


def cell(value: Any) -> Any:
    """A stored answer as one spreadsheet cell (``1;3`` for several codes)."""
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, dict):
        return value.get("recording_url", "")
    return value


def response_table(session: Session, poll_id: int) -> tuple[list[str], list[list[Any]]]:
    """The columns and rows of a poll's responses (timestamps as ISO 8601 text);
    NotFound (no poll)."""
    interviews = poll_responses(session, poll_id)
    document = session.get(Poll, poll_id).questionnaire.document
    question_ids = [q["id"] for q in document["questions"]]
    rows = []
    for interview in interviews:
        answers = answers_of(interview)
        rows.append([interview.id, interview.mode, interview.township, interview.stratum,
                     interview.cluster, interview.status, interview.disposition,
                     interview.language,
                     interview.started_at.isoformat() if interview.started_at else None,
                     interview.completed_at.isoformat() if interview.completed_at else None]
                    + [cell(answers.get(qid)) for qid in question_ids])
    return [*BASE_COLUMNS, *question_ids], rows
