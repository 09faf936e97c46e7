"""Responses as a table: one row per interview, one column per question (no contacts)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models.interview import Interview
from .models.poll import Poll

BASE_COLUMNS = ("interview_id", "mode", "township", "stratum", "cluster", "status",
                "disposition", "language", "started_at", "completed_at")


def cell(value: Any) -> Any:
    """A stored answer as one spreadsheet cell (``1;3`` for several codes)."""
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, dict):
        return value.get("recording_url", "")
    return value


def response_table(session: Session, poll: Poll) -> tuple[list[str], list[list[Any]]]:
    question_ids = [q["id"] for q in poll.questionnaire.document["questions"]]
    rows = []
    for interview in session.scalars(select(Interview).where(Interview.poll_id == poll.id)
                                     .order_by(Interview.id)):
        answers = {a.question_id: a.value for a in interview.answers}
        rows.append([interview.id, interview.mode, interview.township, interview.stratum,
                     interview.cluster, interview.status, interview.disposition,
                     interview.language,
                     interview.started_at.isoformat() if interview.started_at else None,
                     interview.completed_at.isoformat() if interview.completed_at else None]
                    + [cell(answers.get(qid)) for qid in question_ids])
    return [*BASE_COLUMNS, *question_ids], rows
