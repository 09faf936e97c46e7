"""Submissions: a visit's answers and findings, scored and stored as an immutable
version (idempotent on the device's ``client_uuid``); an amendment is the next version.

The hot path of the service (docs/inspection.md, "Submission, immutability"): one
transaction, nothing read back, statements built once at import; the response is built
from the values written and is also the idempotency record that a replay answers.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from services.inspection import audit
from services.inspection.checklists import TemplateRules, rules_for
from services.inspection.models import IdempotencyRecord
from services.inspection.models.submissions import Finding, VisitResponse, VisitVersion
from services.inspection.models.visits import Visit
from services.inspection.scores import RULE_VERSION, score_visit
from services.inspection.visits import own_visit
from shared import idempotency
from shared.auth import Principal
from shared.db import utcnow
from shared.errors import Conflict, Problems, ValidationFailed

SCOPE = "visit.submit"  # idempotency scope of submissions and amendments


def _answers_by_item(rules: TemplateRules, answers: list[dict[str, Any]],
                     self_reports: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """{item id: answer}, the self-reported value fetched at check-in filled in where the
    answer gives none; ValidationFailed (422) for unknown, repeated or missing items."""
    known = {rule.item_id for rule in rules.rules}
    problems = Problems()
    by_item: dict[str, dict[str, Any]] = {}
    reported = (self_reports or {}).get("values", {})
    for index, answer in enumerate(answers):
        item = answer["item_id"]
        if item not in known:
            problems.add(f"answers.{index}.item_id", f"{item!r} is not on this checklist")
        elif item in by_item:
            problems.add(f"answers.{index}.item_id", f"{item!r} answered twice")
        else:
            if answer.get("self_reported") is None and item in reported:
                answer = {**answer, "self_reported": float(reported[item])}
            by_item[item] = answer
    missing = sorted(known - set(by_item))
    if missing:
        problems.add("answers", f"no answer for {', '.join(missing)}")
    problems.raise_if_any("Answers are not valid")
    return by_item


def _check_evidence(visit: Visit, rules: TemplateRules, by_item: dict[str, dict]) -> None:
    """Conflict (409) while declared evidence has not arrived; ValidationFailed (422) for
    a photo-required item answered without a photo."""
    attachments = list(visit.attachments)
    waiting = [a.id for a in attachments if a.status != "received"]
    if waiting:
        raise Conflict("Declared evidence has not all arrived; upload it before submitting",
                       {"attachments": [f"attachment {i} not received" for i in waiting]})
    photographed = {a.item_id for a in attachments if a.kind == "photo"}
    missing = [item for item in sorted(rules.photo_required)
               if by_item[item].get("result") != "na" and item not in photographed]
    if missing:
        raise ValidationFailed("A photo is required",
                               {f"answers.{item}": ["a photo of this item is required"]
                                for item in missing})


def submit(session: Session, principal: Principal, visit_id: int, data: dict[str, Any],
           *, reason: str | None = None) -> dict[str, Any]:
    """Store version 1 (or, with ``reason``, the next version) of the visit's answers;
    return the response body (``SubmissionSchema``'s output).

    Idempotent on ``client_uuid``: a replay returns the first body, the same UUID with
    a different payload is a Conflict (409). Also Conflict when the visit is in the
    wrong state or evidence has not arrived; ValidationFailed (422) naming each bad
    answer or finding; NotFound/Forbidden as ``visits.own_visit``.
    """
    key = str(data["client_uuid"])
    payload = {"visit_id": visit_id, **data, "reason": reason}
    # Lock the visit first, so that a concurrent replay waits and then sees the record.
    visit = own_visit(session, principal, visit_id)
    request_hash = idempotency.payload_hash(payload)
    done = idempotency.recorded(session, IdempotencyRecord, SCOPE, key, request_hash)
    if done is not None:
        return done[1]
    _check_state(visit, reason)
    rules = rules_for(session, visit.plan.template_id)
    by_item = _answers_by_item(rules, data["answers"], visit.self_reports)
    _check_findings(rules, data["findings"])
    _check_evidence(visit, rules, by_item)
    try:
        result = score_visit(rules.rules, by_item, rules.critical_cap)
    except ValueError as exc:
        raise ValidationFailed("Answers are not valid",
                               {f"answers.{k}": [v] for k, v in exc.args[0].items()}) from None
    try:
        version = _store_version(session, principal, visit, data, by_item, result, reason, key)
        body = _submission_body(visit, version)
        _finish(session, visit, version, body, key, request_hash)
        # Last before the commit: on PostgreSQL the chain lock is held until then.
        audit.record(session, principal, "visit.amend" if reason else "visit.submit", "visit",
                     visit.id, {"version": version["version"], "client_uuid": key,
                                "score": version["score"], "reason": reason,
                                "payload_sha256": request_hash})
    except IntegrityError:  # SQLite has no row lock: a concurrent submission got there first
        raise Conflict("The visit was changed by a concurrent submission; send it again",
                       {"client_uuid": ["concurrent submission"]}) from None
    return body


def amend(session: Session, principal: Principal, visit_id: int,
          data: dict[str, Any]) -> dict[str, Any]:
    """``submit`` the next version of a submitted visit with ``data["reason"]``."""
    answers = dict(data)
    reason = answers.pop("reason")
    return submit(session, principal, visit_id, answers, reason=reason)


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def _submission_body(visit: Visit, version: dict[str, Any]) -> dict[str, Any]:
    """The response of a submission (``SubmissionSchema``), built directly: it is on the
    hot path and also stored for replays."""
    answer_keys = ("item_id", "result", "points", "value", "self_reported", "text",
                   "discrepant", "score", "max_score")
    finding_keys = ("id", "ref", "severity", "item_id", "description")
    return {
        "id": visit.id, "plan_id": visit.plan_id, "unit": visit.unit_code,
        "inspector": visit.inspector, "status": visit.status,
        "checkin_at": _iso(visit.checkin_at), "current_version": visit.current_version,
        "score": visit.score,
        "version": {
            **{k: version[k] for k in ("version", "client_uuid", "reason", "notes",
                                       "submitted_by", "score", "score_raw", "capped",
                                       "rule_version")},
            "submitted_at": _iso(version["submitted_at"]),
            "answers": [{k: a[k] for k in answer_keys} for a in version["responses"]],
            "findings": [{k: f[k] for k in finding_keys} for f in version["findings"]]}}


def _check_state(visit: Visit, reason: str | None) -> None:
    if reason is None and visit.status != "checked_in":
        if visit.status == "scheduled":
            raise Conflict("Check in before submitting", {"status": [visit.status]})
        raise Conflict("A submitted visit cannot be changed; amend it with a reason",
                       {"status": [visit.status]})
    if reason is not None and visit.status not in ("submitted", "returned", "approved"):
        raise Conflict("Only a submitted visit can be amended", {"status": [visit.status]})


def _check_findings(rules: TemplateRules, findings: list[dict[str, Any]]) -> None:
    """ValidationFailed (422) for a finding on an unknown item or a repeated ref."""
    known = {rule.item_id for rule in rules.rules}
    problems = Problems()
    for index, finding in enumerate(findings):
        if finding.get("item_id") and finding["item_id"] not in known:
            problems.add(f"findings.{index}.item_id",
                         f"{finding['item_id']!r} is not on this checklist")
    refs = [f.get("ref") or f"F{i + 1}" for i, f in enumerate(findings)]
    if len(refs) != len(set(refs)):
        problems.add("findings", "finding refs must be unique")
    problems.raise_if_any("Findings are not valid")


# Statements of the submission path, built once: only their parameters change.
_REMEMBER = insert(IdempotencyRecord.__table__)
_INSERT_VERSION = insert(VisitVersion.__table__).returning(VisitVersion.__table__.c.id)
_INSERT_FINDINGS = insert(Finding.__table__).returning(Finding.__table__.c.id,
                                                       Finding.__table__.c.ref)
_UPDATE_VISIT = (update(Visit.__table__).where(Visit.__table__.c.id == bindparam("visit_id"))
                 .values(current_version=bindparam("current_version"),
                         score=bindparam("score"), status=bindparam("status"),
                         reviewed_by=None, reviewed_at=None, review_comment=None))
# PostgreSQL: the version and all its answers in one statement, the answers inserted
# from arrays (few parameters, so psycopg caches the converted query).
_INSERT_VERSION_PG = (
    "WITH v AS (INSERT INTO visit_versions (visit_id, version, client_uuid, reason, notes,"
    " submitted_by, submitted_at, score, score_raw, capped, rule_version)"
    " VALUES (%(visit_id)s, %(version)s, %(client_uuid)s, %(reason)s, %(notes)s,"
    " %(submitted_by)s, %(submitted_at)s, %(score)s, %(score_raw)s, %(capped)s,"
    " %(rule_version)s) RETURNING id),"
    " r AS (INSERT INTO visit_responses (version_id, item_id, result, points, value,"
    " self_reported, discrepant, text, score, max_score)"
    " SELECT v.id, u.item_id, u.result, u.points, u.value, u.self_reported, u.discrepant,"
    " u.text, u.score, u.max_score FROM v,"
    " unnest(%(a_item_id)s::varchar[], %(a_result)s::varchar[], %(a_points)s::float8[],"
    " %(a_value)s::float8[], %(a_self_reported)s::float8[], %(a_discrepant)s::boolean[],"
    " %(a_text)s::text[], %(a_score)s::float8[], %(a_max_score)s::float8[])"
    " WITH ORDINALITY AS u(item_id, result, points, value, self_reported, discrepant, text,"
    " score, max_score, n) ORDER BY u.n)"
    " SELECT id FROM v")
_FLOAT_COLUMNS = ("points", "value", "self_reported", "score", "max_score")
# PostgreSQL: the visit row and the idempotency record in one statement.
_FINISH_PG = (
    "WITH u AS (UPDATE visits SET current_version = %(current_version)s, score = %(score)s,"
    " status = 'submitted', reviewed_by = NULL, reviewed_at = NULL, review_comment = NULL"
    " WHERE id = %(visit_id)s)"
    " INSERT INTO idempotency_records (scope, key, request_hash, status_code, response,"
    " created_at) VALUES (%(scope)s, %(key)s, %(request_hash)s, %(status_code)s,"
    " %(response)s::json, %(created_at)s)")


def _insert_version(session: Session, row: dict[str, Any],
                    answers: list[dict[str, Any]]) -> int:
    """Insert the version and its answers; return the version's id."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        version_id = connection.execute(_INSERT_VERSION, row).scalar_one()
        if answers:
            connection.execute(VisitResponse.__table__.insert(),
                               [{**a, "version_id": version_id} for a in answers])
        return version_id
    params = dict(row)
    for column in ("item_id", "result", "discrepant", "text"):
        params[f"a_{column}"] = [a[column] for a in answers]
    for column in _FLOAT_COLUMNS:  # one element type per array
        params[f"a_{column}"] = [None if a[column] is None else float(a[column])
                                 for a in answers]
    return connection.exec_driver_sql(_INSERT_VERSION_PG, params).scalar_one()


def _finish(session: Session, visit: Visit, version: dict[str, Any], body: dict[str, Any],
            key: str, request_hash: str) -> None:
    """Write the visit row as ``_store_version`` left the object, and remember the
    result under ``key`` (a record as ``idempotency.record_values`` makes it)."""
    values = {"visit_id": visit.id, "current_version": version["version"],
              "score": version["score"]}
    record = idempotency.record_values(SCOPE, key, request_hash, 200, body)
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(_FINISH_PG, {**values, **record,
                                                "response": json.dumps(body)})
    else:
        connection.execute(_UPDATE_VISIT, {**values, "status": "submitted"})
        connection.execute(_REMEMBER, record)


def _store_version(session: Session, principal: Principal, visit: Visit, data: dict[str, Any],
                   by_item: dict[str, dict], result, reason: str | None,
                   key: str) -> dict[str, Any]:
    """Insert the version with its answers, then its findings; return it as a dict for
    the response, so that nothing is read back."""
    row = {"visit_id": visit.id, "version": visit.current_version + 1, "client_uuid": key,
           "reason": reason, "notes": data.get("notes"), "submitted_by": principal.sub,
           "submitted_at": utcnow(), "score": result.score, "score_raw": result.raw,
           "capped": result.capped, "rule_version": RULE_VERSION}
    answers = []
    for item_id, answer in by_item.items():
        outcome = result.items[item_id]
        answers.append({"item_id": item_id, "result": outcome.result,
                        "points": answer.get("points"), "value": answer.get("value"),
                        "self_reported": answer.get("self_reported"),
                        "discrepant": outcome.discrepant, "text": answer.get("text"),
                        "score": outcome.score, "max_score": outcome.max_score})
    version_id = _insert_version(session, row, answers)
    findings = [{"version_id": version_id, "visit_id": visit.id,
                 "ref": f.get("ref") or f"F{i + 1}", "severity": f["severity"],
                 "item_id": f.get("item_id"), "description": f["description"]}
                for i, f in enumerate(data["findings"])]
    if findings:
        ids = dict((ref, id_) for id_, ref in session.execute(_INSERT_FINDINGS, findings))
        findings = [{**f, "id": ids[f["ref"]]} for f in findings]
    # The loaded visit takes its new values as committed state: ``_finish`` writes them
    # with a Core UPDATE, and no unit-of-work flush repeats it.
    for attribute, value in (("current_version", row["version"]), ("score", result.score),
                             ("status", "submitted"), ("reviewed_by", None),
                             ("reviewed_at", None), ("review_comment", None)):
        set_committed_value(visit, attribute, value)
    return {**row, "responses": answers, "findings": findings}
