"""Paper mode: import keyed-in questionnaires from CSV/XLSX, all or nothing.

Columns: ``form_id`` (the form's number, unique within the poll; optional),
``township`` (required), ``stratum`` and ``cluster`` (optional), then one column per
question id. Multiple-choice cells list codes separated by ``;``. A blank cell is no
answer. Every row is checked against the questionnaire (codes, ranges, skip logic)
before anything is stored; errors are ``{"row N": {"column": ["reason"]}}``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.db import utcnow
from shared.errors import Conflict, ValidationFailed

from .models.interview import Answer, Interview
from .models.poll import Poll
from .questionnaires import (
    AnswerError,
    check_answer,
    next_question,
    parse_answer_text,
    question_map,
    route,
)
from .spreadsheets import read_table

META_COLUMNS = ("form_id", "township", "stratum", "cluster")


def _check_row(row: dict[str, str], questions: dict[str, dict], document: dict,
               townships: set[str]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    answers: dict[str, Any] = {}
    if not row.get("township"):
        errors["township"] = ["required"]
    elif row["township"] not in townships:
        errors["township"] = [f"{row['township']} is not a township of this poll"]
    for qid, question in questions.items():
        text = row.get(qid, "")
        if not text:
            continue
        if question["type"] == "voice":
            errors[qid] = ["voice answers are recorded on the telephone only"]
            continue
        try:
            answers[qid] = check_answer(question, parse_answer_text(question, text))
        except AnswerError as exc:
            errors[qid] = [str(exc)]
    shown = set(route(document, answers, "paper"))
    for qid in answers:
        if qid not in shown and qid not in errors:
            errors[qid] = ["answered, but skip logic skips this question after the answers given"]
    return answers, errors


def _outcome(document: dict, answers: dict[str, Any], threshold: float) -> tuple[str, str]:
    """(status, disposition) of a returned form from the share of its route answered."""
    if next_question(document, answers, "paper") is None:
        return "complete", "1.1"
    shown = route(document, answers, "paper")
    share = sum(1 for qid in shown if qid in answers) / len(shown)
    return ("partial", "1.2") if share >= threshold else ("ended", "2.12")


def import_forms(session: Session, poll: Poll, filename: str, data: bytes) -> list[Interview]:
    """Validate every row, then store all forms as paper interviews, or nothing."""
    if "paper" not in poll.modes:
        raise Conflict(f"Poll {poll.id} has no paper mode", {"mode": ["paper"]})
    if poll.status != "fielding":
        raise Conflict(f"Poll {poll.id} is {poll.status}; import while fielding",
                       {"status": [poll.status]})
    document = poll.questionnaire.document
    questions = question_map(document)
    header, rows = read_table(filename, data)
    unknown = [c for c in header if c and c not in questions and c not in META_COLUMNS]
    if "township" not in header or unknown:
        problems = {"header": []}
        if "township" not in header:
            problems["header"].append("missing column township")
        if unknown:
            problems["header"].append(f"unknown columns: {', '.join(unknown)}")
        raise ValidationFailed("Invalid paper import", problems)
    townships = {t.township for t in poll.townships}
    existing = set(session.scalars(select(Interview.external_ref).where(
        Interview.poll_id == poll.id, Interview.external_ref.is_not(None))))
    seen: set[str] = set()
    problems: dict[str, dict[str, list[str]]] = {}
    checked = []
    for number, row in rows:
        answers, errors = _check_row(row, questions, document, townships)
        form_id = row.get("form_id") or None
        if form_id and (form_id in existing or form_id in seen):
            errors["form_id"] = [f"form {form_id} is already imported or listed twice"]
        if form_id:
            seen.add(form_id)
        if not answers and "township" not in errors:
            errors["answers"] = ["the form has no answers"]
        if errors:
            problems[f"row {number}"] = errors
        checked.append((row, form_id, answers))
    if problems:
        raise ValidationFailed(f"{len(problems)} of {len(rows)} rows have errors; nothing was "
                               "imported", problems)
    if not rows:
        raise ValidationFailed("Empty import", {"file": ["no data rows"]})
    now = utcnow()
    imported = []
    for row, form_id, answers in checked:
        status, disposition = _outcome(document, answers, poll.partial_threshold)
        stratum = row.get("stratum") or None
        if stratum is None and poll.stratum_question and answers.get(poll.stratum_question):
            stratum = str(answers[poll.stratum_question])
        interview = Interview(poll_id=poll.id, mode="paper", township=row["township"],
                              stratum=stratum, cluster=row.get("cluster") or None,
                              external_ref=form_id, status=status, disposition=disposition,
                              started_at=now, completed_at=now if status == "complete" else None,
                              answers=[Answer(question_id=qid, value=value, answered_at=now)
                                       for qid, value in answers.items()])
        session.add(interview)
        imported.append(interview)
    session.flush()
    return imported
