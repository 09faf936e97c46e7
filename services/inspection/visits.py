"""Visits: who sees which (reads of hidden plans audited), check-in on site, review.

The answers of a visit are submitted and amended in ``submissions``; its evidence
files are declared and received in ``evidence``.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from services.inspection import audit, plans
from services.inspection.checklists import rules_for
from services.inspection.config import InspectionSettings
from services.inspection.models.plans import Plan, PlanInspector
from services.inspection.models.visits import Visit
from services.inspection.scoring_registry import ScoringRegistry
from services.inspection.visibility import can_see_visit, visit_filter
from shared.auth import Principal
from shared.config import county_today
from shared.db import utcnow
from shared.errors import Conflict, Forbidden, NotFound, ValidationFailed

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres on a sphere of the mean Earth radius."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


def list_visits(session: Session, principal: Principal, plan_id: int | None = None,
                unit: str | None = None, status: str | None = None) -> list[Visit]:
    """The visits the caller may see (``visibility.visit_filter``), by id."""
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
        audit.record(session, principal, "plan.read", "plan", plan.id, {"read": "visit list"})
    return found


def read_plan_visits(session: Session, principal: Principal, plan_id: int) -> list[Visit]:
    """The visits of a plan the caller may see (NotFound, 404, when the plan is hidden);
    the read of an unannounced plan is audited."""
    plans.get_plan(session, principal, plan_id, "visits")
    return list_visits(session, principal, plan_id=plan_id)


def read_visit(session: Session, principal: Principal, visit_id: int) -> Visit:
    """``get_visit`` for the API; reading a visit of an unannounced plan before its
    check-in is audited as a read of the plan."""
    visit = get_visit(session, principal, visit_id)
    if visit.plan.kind == "unannounced" and visit.checkin_at is None:
        audit.record(session, principal, "plan.read", "plan", visit.plan_id,
                     {"read": "visit", "visit_id": visit.id})
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


def own_visit(session: Session, principal: Principal, visit_id: int) -> Visit:
    """The visit, locked with its evidence, for a change by the caller: NotFound as
    ``get_visit``, Forbidden (403) for an inspector it is not assigned to."""
    visit = get_visit(session, principal, visit_id, for_update=True)
    if principal.role == "inspector" and visit.inspector != principal.sub:
        raise Forbidden("Only the assigned inspector may work on this visit")
    return visit


def check_in(session: Session, principal: Principal, visit_id: int, data: dict[str, Any],
             settings: InspectionSettings) -> Visit:
    """Record the GPS fix and server time; flag distance (metres), mock location, poor
    accuracy, a day outside the plan's window and an unreachable registry.

    Raises Conflict (409) when the visit is already checked in.
    """
    visit = own_visit(session, principal, visit_id)
    if visit.status != "scheduled":
        raise Conflict(f"Visit {visit_id} is already checked in", {"status": [visit.status]})
    registry = ScoringRegistry.of(settings)
    now = utcnow()
    location = _registered_location(visit, registry)
    flags = []
    distance = None
    if location is None:
        flags.append("location_unknown")
    else:
        distance = haversine_m(data["lat"], data["lon"], *location)
        if distance > settings.checkin_max_distance_m:
            flags.append("far_from_unit")
    if data["mock_location"]:
        flags.append("mock_location")
    if data["accuracy_m"] > settings.checkin_max_accuracy_m:
        flags.append("low_accuracy")
    local_day = county_today(now)
    plan = visit.plan
    visit.reference_date = min(max(local_day, plan.window_from), plan.window_to)
    if visit.reference_date != local_day:
        flags.append("outside_plan_window")
    visit.self_reports = _self_reports(session, visit, now, registry)
    if visit.self_reports is None:
        flags.append("self_check_unavailable")
    visit.checkin_at, visit.checkin_lat, visit.checkin_lon = now, data["lat"], data["lon"]
    visit.checkin_accuracy_m, visit.checkin_provider = data["accuracy_m"], data["provider"]
    visit.checkin_mock, visit.checkin_device_time = data["mock_location"], data.get("device_time")
    visit.checkin_distance_m, visit.checkin_flags = distance, flags
    visit.status = "checked_in"
    audit.record(session, principal, "visit.checkin", "visit", visit.id,
                 {"lat": data["lat"], "lon": data["lon"], "accuracy_m": data["accuracy_m"],
                  "distance_m": distance, "flags": flags})
    return visit


def _registered_location(visit: Visit, registry: ScoringRegistry) -> tuple[float, float] | None:
    """The unit's (lat, lon) from the plan target, else from the registry (cached on the
    visit); None when neither has both coordinates (half a location is no location)."""
    if visit.unit_lat is not None and visit.unit_lon is not None:
        return visit.unit_lat, visit.unit_lon
    location = registry.unit_location(visit.unit_code)
    if location is not None:
        visit.unit_lat, visit.unit_lon = location
    return location


def _self_reports(session: Session, visit: Visit, now: datetime,
                  registry: ScoringRegistry) -> dict[str, Any] | None:
    rules = rules_for(session, visit.plan.template_id)
    if not any(rule.response_type == "measurement" for rule in rules.rules):
        return {}
    period = visit.plan.self_check_period or county_today(now).strftime("%Y-%m")
    values = registry.self_reported_values(visit.unit_code, period)
    return None if values is None else {"period": period, "values": values}


def review(session: Session, principal: Principal, visit_id: int, data: dict[str, Any]) -> Visit:
    """Approve, or return with a comment (mandatory), a submitted visit.

    Raises Conflict (409) unless the visit is submitted, ValidationFailed (422) for a
    return without a comment, Forbidden (403) for the visit's own inspector.
    """
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
    audit.record(session, principal, "visit.review", "visit", visit.id,
                 {"decision": data["decision"], "comment": visit.review_comment,
                  "version": visit.current_version})
    return visit


def assign(session: Session, principal: Principal, visit_id: int, data: dict[str, Any]) -> Visit:
    """Give a visit not checked in yet to another inspector (who joins the plan's
    inspectors if they were not among them).

    Raises Conflict (409) once the visit is checked in (the inspector on site keeps it),
    NotFound as ``get_visit``.
    """
    visit = get_visit(session, principal, visit_id, for_update=True)
    if visit.status != "scheduled":
        raise Conflict("Only a scheduled visit can be given to another inspector",
                       {"status": [visit.status]})
    inspector = data["inspector"].strip()
    plan = session.get(Plan, visit.plan_id)
    if inspector not in plan.inspector_subs:
        plan.inspectors.append(PlanInspector(inspector=inspector))
    previous, visit.inspector = visit.inspector, inspector
    audit.record(session, principal, "visit.assign", "visit", visit.id,
                 {"from": previous, "to": inspector})
    return visit
