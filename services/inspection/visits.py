"""Visits: check-in on site, answers, findings, submission (idempotent), amendments, review."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from services.inspection import audit, registry
from services.inspection.checklists import TemplateRules, rules_for
from services.inspection.evidence import declaration
from services.inspection.models import IdempotencyRecord
from services.inspection.models.plan import Plan
from services.inspection.models.visit import Attachment, Finding, Visit, VisitResponse, VisitVersion
from services.inspection.scores import RULE_VERSION, score_visit
from services.inspection.visibility import can_see_visit, visit_filter
from shared import idempotency
from shared.auth import Principal
from shared.config import COUNTY_TZ as LOCAL
from shared.db import utcnow
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
SCOPE = "visit.submit"  # idempotency scope of submissions and amendments


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres on a sphere of the mean Earth radius."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def list_visits(session: Session, principal: Principal, plan_id: int | None = None,
                unit: str | None = None, status: str | None = None) -> list[Visit]:
    query = select(Visit).join(Plan, Plan.id == Visit.plan_id).order_by(Visit.id)
    condition = visit_filter(principal)
    if condition is not None:
        query = query.where(condition)
    if plan_id is not None:
        query = query.where(Visit.plan_id == plan_id)
    if unit:
        query = query.where(Visit.unit_code == unit)
    if status:
        query = query.where(Visit.status == status)
    return list(session.scalars(query))


def read_visits(session: Session, principal: Principal, **filters: Any) -> list[Visit]:
    """``list_visits`` for the API: a list that shows visits of an unannounced plan not
    yet checked in counts as a read of that plan (audited once per plan)."""
    found = list_visits(session, principal, **filters)
    secret = {v.plan_id: v.plan for v in found
              if v.plan.kind == "unannounced" and v.checkin_at is None}
    for plan in secret.values():
        audit.record(session, actor=principal.sub, role=principal.role, action="plan.read",
                     subject_type="plan", subject_id=plan.id, details={"read": "visit list"})
    return found


def read_visit(session: Session, principal: Principal, visit_id: int) -> Visit:
    """``get_visit`` for the API; reading a visit of an unannounced plan before its
    check-in is audited as a read of the plan."""
    visit = get_visit(session, principal, visit_id)
    if visit.plan.kind == "unannounced" and visit.checkin_at is None:
        audit.record(session, actor=principal.sub, role=principal.role, action="plan.read",
                     subject_type="plan", subject_id=visit.plan_id,
                     details={"read": "visit", "visit_id": visit.id})
    return visit


# Built once; the visit id is a parameter.
_VISIT = select(Visit).where(Visit.id == bindparam("visit_id"))
# Writers check the evidence too: load it in the same round trip, under the row lock.
_VISIT_FOR_UPDATE = (_VISIT.options(joinedload(Visit.attachments))
                     .with_for_update(of=Visit))


def get_visit(session: Session, principal: Principal, visit_id: int, *,
              for_update: bool = False) -> Visit:
    """The visit if the caller may see it; NotFound otherwise (also when hidden)."""
    query = _VISIT_FOR_UPDATE if for_update else _VISIT
    visit = session.scalars(query, {"visit_id": visit_id}).unique().first()
    if visit is None or not can_see_visit(principal, visit):
        raise NotFound(f"Visit {visit_id} not found")
    return visit


def _own_visit(session: Session, principal: Principal, visit_id: int) -> Visit:
    visit = get_visit(session, principal, visit_id, for_update=True)
    if principal.role == "inspector" and visit.inspector != principal.sub:
        raise Forbidden("Only the assigned inspector may work on this visit")
    return visit


def check_in(session: Session, principal: Principal, visit_id: int,
             data: dict[str, Any]) -> Visit:
    """Record the GPS fix and server time; flag distance, mock location, poor accuracy."""
    visit = _own_visit(session, principal, visit_id)
    if visit.status != "scheduled":
        raise Conflict(f"Visit {visit_id} is already checked in", {"status": [visit.status]})
    config = current_app.config
    now = utcnow()
    location = _registered_location(visit)
    flags = []
    distance = None
    if location is None:
        flags.append("location_unknown")
    else:
        distance = haversine_m(data["lat"], data["lon"], *location)
        if distance > config["INSPECTION_CHECKIN_MAX_DISTANCE_M"]:
            flags.append("far_from_unit")
    if data["mock_location"]:
        flags.append("mock_location")
    if data["accuracy_m"] > config["INSPECTION_CHECKIN_MAX_ACCURACY_M"]:
        flags.append("low_accuracy")
    local_day = now.astimezone(LOCAL).date()
    plan = visit.plan
    visit.reference_date = min(max(local_day, plan.window_from), plan.window_to)
    if visit.reference_date != local_day:
        flags.append("outside_plan_window")
    visit.self_reports = _self_reports(session, visit, now)
    if visit.self_reports is None:
        flags.append("self_check_unavailable")
    visit.checkin_at, visit.checkin_lat, visit.checkin_lon = now, data["lat"], data["lon"]
    visit.checkin_accuracy_m, visit.checkin_provider = data["accuracy_m"], data["provider"]
    visit.checkin_mock, visit.checkin_device_time = data["mock_location"], data.get("device_time")
    visit.checkin_distance_m, visit.checkin_flags = distance, flags
    visit.status = "checked_in"
    audit.record(session, actor=principal.sub, role=principal.role, action="visit.checkin",
                 subject_type="visit", subject_id=visit.id,
                 details={"lat": data["lat"], "lon": data["lon"], "accuracy_m": data["accuracy_m"],
                          "distance_m": distance, "flags": flags})
    return visit


def _registered_location(visit: Visit) -> tuple[float, float] | None:
    """The unit's (lat, lon) from the plan target, else from the registry (cached on the
    visit); None when neither has both coordinates (half a location is no location)."""
    if visit.unit_lat is not None and visit.unit_lon is not None:
        return visit.unit_lat, visit.unit_lon
    location = registry.unit_location(visit.unit_code)
    if location is not None:
        visit.unit_lat, visit.unit_lon = location
    return location


def _self_reports(session: Session, visit: Visit, now: datetime) -> dict[str, Any] | None:
    rules = rules_for(session, visit.plan.template_id)
    if not any(rule.response_type == "measurement" for rule in rules.rules):
        return {}
    period = visit.plan.self_check_period or now.astimezone(LOCAL).strftime("%Y-%m")
    values = registry.self_reported_values(visit.unit_code, period)
    return None if values is None else {"period": period, "values": values}


def _answers_by_item(rules: TemplateRules, answers: list[dict[str, Any]],
                     self_reports: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    known = {rule.item_id for rule in rules.rules}
    problems: dict[str, list[str]] = {}
    by_item: dict[str, dict[str, Any]] = {}
    reported = (self_reports or {}).get("values", {})
    for index, answer in enumerate(answers):
        item = answer["item_id"]
        if item not in known:
            problems[f"answers.{index}.item_id"] = [f"{item!r} is not on this checklist"]
        elif item in by_item:
            problems[f"answers.{index}.item_id"] = [f"{item!r} answered twice"]
        else:
            if answer.get("self_reported") is None and item in reported:
                answer = {**answer, "self_reported": float(reported[item])}
            by_item[item] = answer
    missing = sorted(known - set(by_item))
    if missing:
        problems["answers"] = [f"no answer for {', '.join(missing)}"]
    if problems:
        raise ValidationFailed("Answers are not valid", problems)
    return by_item


def _check_evidence(visit: Visit, rules: TemplateRules, by_item: dict[str, dict]) -> None:
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


def _payload(visit_id: int, data: dict[str, Any]) -> dict[str, Any]:
    return {"visit_id": visit_id, **data}


def submit(session: Session, principal: Principal, visit_id: int, data: dict[str, Any],
           *, reason: str | None = None) -> tuple[int, dict[str, Any]]:
    """Store version 1 (or, with ``reason``, the next version) of the visit's answers.

    Idempotent on ``client_uuid``: a replay returns the first result, the same UUID
    with a different payload is a Conflict. Returns (status, body).
    """
    key = str(data["client_uuid"])
    payload = {**_payload(visit_id, data), "reason": reason}
    # Lock the visit first, so that a concurrent replay waits and then sees the record.
    visit = _own_visit(session, principal, visit_id)
    request_hash = idempotency.payload_hash(payload)
    done = idempotency.recorded(session, IdempotencyRecord, SCOPE, key, request_hash)
    if done is not None:
        return done
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
        audit.record(session, actor=principal.sub, role=principal.role,
                     action="visit.amend" if reason else "visit.submit", subject_type="visit",
                     subject_id=visit.id,
                     details={"version": version["version"], "client_uuid": key,
                              "score": version["score"], "reason": reason,
                              "payload_sha256": request_hash})
    except IntegrityError:  # SQLite has no row lock: a concurrent submission got there first
        raise Conflict("The visit was changed by a concurrent submission; send it again",
                       {"client_uuid": ["concurrent submission"]}) from None
    return 200, body


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
    known = {rule.item_id for rule in rules.rules}
    problems = {f"findings.{i}.item_id": [f"{f['item_id']!r} is not on this checklist"]
                for i, f in enumerate(findings) if f.get("item_id") and f["item_id"] not in known}
    refs = [f.get("ref") or f"F{i + 1}" for i, f in enumerate(findings)]
    if len(refs) != len(set(refs)):
        problems["findings"] = ["finding refs must be unique"]
    if problems:
        raise ValidationFailed("Findings are not valid", problems)


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


def review(session: Session, principal: Principal, visit_id: int, data: dict[str, Any]) -> Visit:
    """Approve, or return with a comment (mandatory), a submitted visit."""
    visit = get_visit(session, principal, visit_id, for_update=True)
    if visit.status != "submitted":
        raise Conflict("Only a submitted visit can be reviewed", {"status": [visit.status]})
    comment = (data.get("comment") or "").strip()
    if data["decision"] == "return" and not comment:
        raise ValidationFailed("A returned visit needs a comment",
                               {"comment": ["required when returning a visit"]})
    if visit.inspector == principal.sub:
        raise Forbidden("An inspector may not review their own visit")
    visit.status = "approved" if data["decision"] == "approve" else "returned"
    visit.reviewed_by, visit.reviewed_at = principal.sub, utcnow()
    visit.review_comment = comment or None
    audit.record(session, actor=principal.sub, role=principal.role, action="visit.review",
                 subject_type="visit", subject_id=visit.id,
                 details={"decision": data["decision"], "comment": visit.review_comment,
                          "version": visit.current_version})
    return visit


def visit_attachment(session: Session, principal: Principal, visit_id: int,
                     attachment_id: int) -> Attachment:
    visit = get_visit(session, principal, visit_id)
    attachment = session.get(Attachment, attachment_id)
    if attachment is None or attachment.visit_id != visit.id:
        raise NotFound(f"Attachment {attachment_id} not found")
    return attachment


def declare_attachment(session: Session, principal: Principal, visit_id: int,
                       data: dict[str, Any]) -> Attachment:
    """Declare an evidence file (type, size, SHA-256) before its bytes are uploaded."""
    visit = _own_visit(session, principal, visit_id)
    if visit.status not in ("checked_in", "returned"):
        raise Conflict("Evidence can be added after check-in and before submission, or to a "
                       "returned visit", {"status": [visit.status]})
    declared = declaration(data, current_app.config["INSPECTION_EVIDENCE_MAX_BYTES"])
    rules = rules_for(session, visit.plan.template_id)
    if data.get("item_id") and data["item_id"] not in {r.item_id for r in rules.rules}:
        raise ValidationFailed("Unknown item", {"item_id": ["not on this checklist"]})
    attachment = Attachment(visit_id=visit.id, declared_by=principal.sub, **declared)
    session.add(attachment)
    session.flush()
    return attachment
