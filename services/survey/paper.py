"""Paper mode: import keyed-in questionnaires from CSV/XLSX, all or nothing.

Columns: ``form_id`` (the form's number, unique within the poll; optional),
``township`` (required), ``stratum`` and ``cluster`` (optional), then one column per
question id. Multiple-choice cells list codes separated by ``;``. A blank cell is no
answer. Every row is checked against the questionnaire (codes, ranges, skip logic)
before anything is stored; errors are ``{"row N": {"column": ["reason"]}}``.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared import spreadsheets as sheets
from shared.db import get_or_404, utcnow
from shared.errors import Conflict, Problems, ValidationFailed

from .interviews import unfinished_disposition
from .models.interviews import Answer, Interview
from .models.polls import Poll
from .questionnaire_answers import (
    AnswerError,
    check_answer,
    next_question,
    parse_answer_text,
    route,
)
from .questionnaire_document import question_map

META_COLUMNS = ("form_id", "township", "stratum", "cluster")
Table = tuple[list[str], list[tuple[int, dict[str, str]]]]


def read_table(filename: str, data: bytes) -> Table:
    """Header and ``(row number, {column: text})`` of an uploaded CSV or XLSX file.

    Row numbers are the spreadsheet's (the header is row 1); blank rows are left out.
    Raises ValidationFailed for a file that cannot be read or has no header row.
    """
    try:
        if filename.lower().endswith(".xlsx"):
            rows = [["" if cell is None else _cell_text(cell) for cell in row]
                    for row in sheets.xlsx_rows(data, formulas=False)]
        else:
            rows = list(csv.reader(io.StringIO(sheets.decode_csv(data))))
    except sheets.UnreadableFile:
        reason = ("not an XLSX workbook" if filename.lower().endswith(".xlsx")
                  else "not UTF-8 or GB18030 text")
        raise ValidationFailed("Unreadable file", {"file": [reason]}) from None
    if not rows:
        raise ValidationFailed("Empty file", {"file": ["no header row"]})
    header = [str(h).strip() for h in rows[0]]
    out = []
    for number, row in enumerate(rows[1:], start=2):
        cells = [str(c).strip() for c in row]
        if not any(cells):
            continue
        out.append((number, {name: (cells[i] if i < len(cells) else "")
                             for i, name in enumerate(header) if name}))
    return header, out


def _cell_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _check_row(problems: Problems, number: int, row: dict[str, str],
               questions: dict[str, dict], document: dict,
               townships: set[str]) -> tuple[dict[str, Any], set[str]]:
    """The row's answers, checked, and the columns refused; each problem goes to
    ``problems`` under ``row N``."""
    refused: set[str] = set()

    def refuse(column: str, reason: str) -> None:
        problems.add_row(number, column, reason)
        refused.add(column)

    answers: dict[str, Any] = {}
    if not row.get("township"):
        refuse("township", "required")
    elif row["township"] not in townships:
        refuse("township", f"{row['township']} is not a township of this poll")
    for qid, question in questions.items():
        text = row.get(qid, "")
        if not text:
            continue
        if question["type"] == "voice":
            refuse(qid, "voice answers are recorded on the telephone only")
            continue
        try:
            answers[qid] = check_answer(question, parse_answer_text(question, text))
        except AnswerError as exc:
            refuse(qid, str(exc))
    shown = set(route(document, answers, "paper"))
    for qid in answers:
        if qid not in shown and qid not in refused:
            refuse(qid, "answered, but skip logic skips this question after the answers given")
    return answers, refused


def _outcome(document: dict, answers: dict[str, Any], threshold: float) -> tuple[str, str]:
    """(status, disposition) of a returned form from the share of its route answered."""
    if next_question(document, answers, "paper") is None:
        return "complete", "1.1"
    disposition = unfinished_disposition(document, answers, "paper", threshold)
    return ("partial" if disposition == "1.2" else "ended"), disposition


def import_forms(session: Session, poll_id: int, filename: str, data: bytes) -> list[Interview]:
    """Validate every row, then store all forms as paper interviews, or nothing.

    Raises NotFound (no poll), Conflict (no paper mode, poll not fielding),
    ValidationFailed (header, or ``{"row N": {column: [reasons]}}`` for every row).
    """
    poll = get_or_404(session, Poll, poll_id)
    if "paper" not in poll.modes:
        raise Conflict(f"Poll {poll.id} has no paper mode", {"mode": ["paper"]})
    if poll.status != "fielding":
        raise Conflict(f"Poll {poll.id} is {poll.status}; import while fielding",
                       {"status": [poll.status]})
    document = poll.questionnaire.document
    questions = question_map(document)
    header, rows = read_table(filename, data)
    problems = Problems()
    if "township" not in header:
        problems.add("header", "missing column township")
    unknown = [c for c in header if c and c not in questions and c not in META_COLUMNS]
    if unknown:
        problems.add("header", f"unknown columns: {', '.join(unknown)}")
    problems.raise_if_any("Invalid paper import")
    townships = {t.township for t in poll.townships}
    existing = set(session.scalars(select(Interview.external_ref).where(
        Interview.poll_id == poll.id, Interview.external_ref.is_not(None))))
    seen: set[str] = set()
    problems = Problems(max_rows=max(len(rows), 1))
    checked = []
    for number, row in rows:
        answers, refused = _check_row(problems, number, row, questions, document, townships)
        form_id = row.get("form_id") or None
        if form_id and (form_id in existing or form_id in seen):
            problems.add_row(number, "form_id",
                             f"form {form_id} is already imported or listed twice")
        if form_id:
            seen.add(form_id)
        if not answers and "township" not in refused:
            problems.add_row(number, "answers", "the form has no answers")
        checked.append((row, form_id, answers))
    problems.raise_if_any(f"{len(problems.errors)} of {len(rows)} rows have errors; nothing "
                          "was imported")
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
