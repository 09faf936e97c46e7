"""The keypad answer to a question, on its direct path: the busiest webhook of a poll.

Every respondent presses a key for every question, so a campaign's webhook load is
mostly ``Gather`` actions of questions. The general path (``webhooks.question``) loads
the whole call through the ORM in the request's session; this one does the common
case on a connection of its own with statements built once: one read, then the
writes — on PostgreSQL a single statement (data-modifying CTEs, atomic by itself, so
neither statement needs a transaction around it: two round trips in all instead of
about ten), on SQLite four statements in one transaction. It gives way to the
general path (returns None, having written nothing) whenever anything is unusual:

- the attempt has no CallSid yet, another CallSid, or was given up by recovery;
- an earlier copy of the request with other digits (the general path answers 409);
- the poll is not fielding or the interview is not open;
- the question is not the one the interview is at (a late copy);
- no key or an invalid key (re-prompt or "no answer"), or the answer ends the route
  (completion);
- a copy of the same answer is being stored at this moment (the insert of the answer
  finds it; nothing else is written, and the general path answers like a replay).

A replay with the same digits gets the TwiML first sent, from the one read. What is
stored is what the general path stores: the answer, the interview's status, start,
stratum and unfinished disposition (``interviews.interview_changes_after_answer``),
the attempt's last question and the idempotency record (a test compares the two
paths row by row). The frozen questionnaire is read once per process
(``questionnaires.frozen_document``).
"""

from __future__ import annotations

import json
import threading
from typing import Any

from psycopg.pq import TransactionStatus
from psycopg.rows import namedtuple_row
from sqlalchemy import and_, bindparam, event, select, update
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg
from sqlalchemy.engine import Connection, Engine

from services.survey.interviews import OPEN_STATUSES, interview_changes_after_answer
from services.survey.models import IdempotencyRecord
from services.survey.models.interviews import Answer, Interview
from services.survey.models.polls import Poll
from services.survey.models.questionnaires import Questionnaire
from services.survey.models.telephony import CallAttempt, Campaign, PhoneContact
from services.survey.questionnaire_answers import AnswerError
from services.survey.questionnaires import frozen_document
from services.survey.telephony.cases import next_on_route
from services.survey.telephony.ivr import Ivr, NoAnswer, interpret, keypad
from services.survey.telephony.webhooks import SCOPE, voice_of
from shared.db import insert_unless_present, utcnow
from shared.idempotency import payload_hash

_attempt, _contact, _campaign = (m.__table__.c for m in (CallAttempt, PhoneContact, Campaign))
_poll, _questionnaire = Poll.__table__.c, Questionnaire.__table__.c
_interview, _answer, _record = (m.__table__.c for m in (Interview, Answer, IdempotencyRecord))

# Statements are built once: building one costs more than running it here.
# The read: a row per stored answer (at least one row), with this request's
# idempotency record if there is one.
_READ = (
    select(_attempt.call_sid, _attempt.state.label("attempt_state"), _contact.skipped,
           _interview.id.label("interview_id"), _interview.status.label("interview_status"),
           _interview.mode, _interview.stratum, _interview.started_at,
           _poll.status.label("poll_status"), _poll.questionnaire_id,
           _poll.partial_threshold, _poll.stratum_question, _questionnaire.frozen_at,
           _campaign.language, _campaign.voice, _campaign.say_language,
           _campaign.gather_timeout, _campaign.max_tries, _campaign.prompts,
           _answer.question_id.label("answered"), _answer.value,
           _record.request_hash, _record.response)
    .select_from(CallAttempt.__table__
                 .join(PhoneContact.__table__, _contact.id == _attempt.contact_id)
                 .join(Campaign.__table__, _campaign.id == _contact.campaign_id)
                 .join(Poll.__table__, _poll.id == _campaign.poll_id)
                 .join(Questionnaire.__table__, _questionnaire.id == _poll.questionnaire_id)
                 .join(Interview.__table__, _interview.id == _contact.interview_id)
                 .outerjoin(Answer.__table__, _answer.interview_id == _interview.id)
                 .outerjoin(IdempotencyRecord.__table__,
                            and_(_record.scope == bindparam("scope"),
                                 _record.key == bindparam("key"))))
    .where(_attempt.id == bindparam("attempt_id")))

# PostgreSQL: the four writes as one statement. Every part after the answer's insert
# depends on it having inserted a row, so a conflicting copy writes nothing at all.
_WRITE_POSTGRESQL = """
WITH stored_answer AS (
    INSERT INTO answers (interview_id, question_id, value, answered_at, updated_at)
    VALUES (%(interview_id)s, %(question_id)s, CAST(%(value)s AS json), %(now)s, %(now)s)
    ON CONFLICT (interview_id, question_id) DO NOTHING
    RETURNING interview_id
), changed_interview AS (
    UPDATE interviews SET status = %(new_status)s, started_at = %(new_started_at)s,
           stratum = %(new_stratum)s, disposition = %(new_disposition)s,
           updated_at = %(now)s
    WHERE id IN (SELECT interview_id FROM stored_answer)
), changed_attempt AS (
    UPDATE call_attempts SET last_question = %(following)s
    WHERE id = %(attempt_id)s AND EXISTS (SELECT 1 FROM stored_answer)
), remembered AS (
    INSERT INTO idempotency_records (scope, key, request_hash, status_code, response,
                                     created_at)
    SELECT CAST(%(scope)s AS varchar), CAST(%(key)s AS varchar),
           CAST(%(request_hash)s AS varchar), 200, CAST(%(response)s AS json),
           CAST(%(now)s AS timestamptz)
    WHERE EXISTS (SELECT 1 FROM stored_answer)
    ON CONFLICT (scope, key) DO NOTHING
    RETURNING id
)
SELECT (SELECT count(*) FROM stored_answer) AS answered
"""
# On PostgreSQL both statements go straight to psycopg as SQL text (psycopg's own JSON
# and timestamp adaptation) on the pooled connection SQLAlchemy checked out:
# SQLAlchemy's per-statement work would be a fifth of the request's CPU here. The
# read's text is compiled from ``_READ``, so there is one definition of it.
_READ_POSTGRESQL = str(_READ.compile(dialect=postgresql_psycopg.dialect()))

# SQLite: the same writes, one statement each, in one transaction (the two inserts
# through ``shared.db.insert_unless_present``).
_UPDATE_INTERVIEW = update(Interview.__table__).where(
    _interview.id == bindparam("interview_id")).values(
    status=bindparam("new_status"), started_at=bindparam("new_started_at"),
    stratum=bindparam("new_stratum"), disposition=bindparam("new_disposition"),
    updated_at=bindparam("now"))
_LAST_QUESTION = update(CallAttempt.__table__).where(
    _attempt.id == bindparam("attempt_id")).values(last_question=bindparam("following"))

def _read(connection: Connection, params: dict[str, Any]) -> list:
    if connection.dialect.name == "postgresql":
        with _cursor(connection) as cursor:
            return cursor.execute(_READ_POSTGRESQL, params).fetchall()
    return connection.execute(_READ, params).all()


def _cursor(connection: Connection):
    """A psycopg cursor of the connection's own DBAPI connection, rows as named tuples."""
    return connection.connection.dbapi_connection.cursor(row_factory=namedtuple_row)


def _write(connection: Connection, params: dict[str, Any]) -> bool:
    """Store the answer and what follows from it; False when the answer was there."""
    if connection.dialect.name == "postgresql":
        params = {**params, "value": json.dumps(params["value"]),
                  "response": json.dumps(params["response"])}
        with _cursor(connection) as cursor:
            return bool(cursor.execute(_WRITE_POSTGRESQL, params).fetchone().answered)
    now = params["now"]
    if not insert_unless_present(connection, Answer, {
            "interview_id": params["interview_id"], "question_id": params["question_id"],
            "value": params["value"], "answered_at": now, "updated_at": now},
            ["interview_id", "question_id"]):
        connection.rollback()
        return False
    connection.execute(_UPDATE_INTERVIEW, params)
    connection.execute(_LAST_QUESTION, params)
    insert_unless_present(connection, IdempotencyRecord, {
        "scope": params["scope"], "key": params["key"],
        "request_hash": params["request_hash"], "status_code": 200,
        "response": params["response"], "created_at": now}, ["scope", "key"])
    connection.commit()
    return True


_TWIML_TEMPLATES: dict[tuple, str] = {}
_ATTEMPT = "{attempt}"


def _question_twiml(ivr: Ivr, attempt_id: int, question: dict, version: tuple) -> str:
    """``ivr.question(attempt_id, question)``, from a template made once per question,
    voice and public URL (the attempt id is the only part that differs per call)."""
    voice = ivr.voice
    key = (ivr.url("question"), version, question["id"], voice.language, voice.voice,
           voice.say_language, voice.gather_timeout, voice.max_tries,
           tuple(sorted(voice.prompts.items())))
    template = _TWIML_TEMPLATES.get(key)
    if template is None:
        if len(_TWIML_TEMPLATES) >= 512:
            _TWIML_TEMPLATES.pop(next(iter(_TWIML_TEMPLATES)), None)
        template = _TWIML_TEMPLATES[key] = ivr.question(_ATTEMPT, question)
    return template.replace(f"attempt={_ATTEMPT}", f"attempt={attempt_id}")


def store_keypad_answer(engine: Engine, attempt_id: int, call_sid: str, qid: str,
                        digits: str, tries: int, url) -> str | None:
    """Store a valid keypad answer and return the next question's TwiML, or return the
    TwiML of a replay; None hands the request to the general path."""
    with engine.connect() as connection:
        if connection.dialect.name != "postgresql":
            return _store(connection, attempt_id, call_sid, qid, digits, tries, url)
        # Autocommit: each statement is its own transaction (no BEGIN and COMMIT round
        # trips). Set on the driver's connection and set back here, rather than through
        # SQLAlchemy's isolation_level option, whose per-checkout bookkeeping cost a
        # twentieth of the request's CPU.
        driver = connection.connection.driver_connection
        driver.autocommit = True
        try:
            return _store(connection, attempt_id, call_sid, qid, digits, tries, url)
        finally:
            if driver.info.transaction_status == TransactionStatus.IDLE:
                driver.autocommit = False
            else:  # broken (or, impossibly, in a transaction): not back to the pool as is
                connection.invalidate()


class _Held(threading.local):
    connection: Connection | None = None


_held = _Held()


def store_keypad_answer_held(engine: Engine, attempt_id: int, call_sid: str, qid: str,
                             digits: str, tries: int, url) -> str | None:
    """``store_keypad_answer`` on a connection each thread keeps checked out of the
    engine's pool, in autocommit, between requests (PostgreSQL; on SQLite the same as
    ``store_keypad_answer``): no checkout, checkin or autocommit switch per answer. A
    connection that fails, or is left in a transaction, is invalidated and the error
    goes up; the thread checks out a new one next time."""
    if engine.dialect.name != "postgresql":
        return store_keypad_answer(engine, attempt_id, call_sid, qid, digits, tries, url)
    connection = _held.connection
    if connection is None or connection.engine is not engine or connection.invalidated \
            or connection.closed:
        _release_held()
        if not event.contains(engine, "checkin", _autocommit_off):
            event.listen(engine, "checkin", _autocommit_off)
        connection = engine.connect()
        connection.connection.driver_connection.autocommit = True
        _held.connection = connection
    try:
        twiml = _store(connection, attempt_id, call_sid, qid, digits, tries, url)
    except BaseException:
        _release_held(invalidate=True)
        raise
    if connection.connection.driver_connection.info.transaction_status \
            != TransactionStatus.IDLE:
        _release_held(invalidate=True)
    return twiml


def _autocommit_off(dbapi_connection, _record) -> None:
    """Pool check-in: a held connection never goes back to the pool in autocommit,
    however it got there (e.g. its thread ended and it was collected)."""
    if dbapi_connection is not None and getattr(dbapi_connection, "autocommit", False):
        dbapi_connection.autocommit = False


def _release_held(invalidate: bool = False) -> None:
    """Give this thread's held connection up (invalidated: never back to the pool)."""
    connection, _held.connection = _held.connection, None
    if connection is None or connection.closed:
        return
    try:
        if invalidate or connection.invalidated:
            connection.invalidate()
        else:
            connection.connection.driver_connection.autocommit = False
        connection.close()
    except Exception:  # a broken connection: the pool replaces it
        pass


def _store(connection: Connection, attempt_id: int, call_sid: str, qid: str, digits: str,
           tries: int, url) -> str | None:
    key = f"{call_sid}:{qid}:{tries}"
    rows = _read(connection, {"attempt_id": attempt_id, "key": key, "scope": SCOPE})
    if not rows:
        return None
    call = rows[0]
    if not call_sid or call.call_sid != call_sid or call.attempt_state == "lost":
        return None
    payload = {"Digits": digits}
    if call.request_hash is not None:
        if call.request_hash != payload_hash(payload):
            return None
        return call.response["twiml"]
    if call.poll_status != "fielding" or call.interview_status not in OPEN_STATUSES:
        return None
    frozen = frozen_document(connection, call.questionnaire_id, call.frozen_at)
    if frozen is None:
        return None
    document, questions = frozen
    answers = {row.answered: row.value for row in rows if row.answered is not None}
    skipped = call.skipped or []
    if qid not in questions or next_on_route(document, answers, skipped) != qid:
        return None
    voice = voice_of(call)
    question = questions[qid]
    try:
        value = interpret(question, keypad(question, voice), digits)
    except (NoAnswer, AnswerError):
        return None
    answers[qid] = value
    following = next_on_route(document, answers, skipped)
    if following is None:
        return None
    now = utcnow()
    changes = interview_changes_after_answer(
        status=call.interview_status, stratum=call.stratum, mode=call.mode,
        document=document, answers=answers, stratum_question=call.stratum_question,
        partial_threshold=call.partial_threshold, question_id=qid, value=value, now=now)
    twiml = _question_twiml(Ivr(voice, url), attempt_id, questions[following],
                            (call.questionnaire_id, call.frozen_at))
    stored = _write(connection, {
        "attempt_id": attempt_id, "interview_id": call.interview_id, "question_id": qid,
        "value": value, "now": now, "following": following,
        "new_status": changes.get("status", call.interview_status),
        "new_started_at": changes.get("started_at", call.started_at),
        "new_stratum": changes.get("stratum", call.stratum),
        "new_disposition": changes["disposition"],
        "scope": SCOPE, "key": key, "request_hash": payload_hash(payload),
        "response": {"twiml": twiml}})
    return twiml if stored else None
