"""Scores per unit and discrepancies, over the visits whose reference date is in a window.

A visit's reference date is its check-in day (Asia/Shanghai) kept inside its plan's
window: a visit counts for the period its plan was made for, and a check-in outside
the window is flagged at check-in. A visit counts when it is submitted or approved (a
returned visit waits for its amendment); its current version is used.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from services.inspection.models.checklists import ChecklistItem
from services.inspection.models.plans import Plan
from services.inspection.models.submissions import (
    SEVERITIES,
    Finding,
    VisitResponse,
    VisitVersion,
)
from services.inspection.models.visits import Visit
from services.inspection.scores import summarise
from shared.spreadsheets import guard

COUNTED = ("submitted", "approved")


def _counted(start: date, end: date):
    return and_(Visit.status.in_(COUNTED), Visit.reference_date >= start,
                Visit.reference_date <= end)


def visit_scores(session: Session, start: date, end: date) -> list[dict[str, Any]]:
    """One row per counted visit: its current version's score and rule version."""
    query = (select(Visit, VisitVersion, Plan.kind)
             .join(VisitVersion, and_(VisitVersion.visit_id == Visit.id,
                                      VisitVersion.version == Visit.current_version))
             .join(Plan, Plan.id == Visit.plan_id)
             .where(_counted(start, end)).order_by(Visit.unit_code, Visit.id))
    return [{"visit_id": v.id, "plan_id": v.plan_id, "plan_kind": kind, "unit": v.unit_code,
             "inspector": v.inspector, "checkin_at": v.checkin_at,
             "reference_date": v.reference_date, "status": v.status,
             "version": ver.version, "score": ver.score, "score_raw": ver.score_raw,
             "capped": ver.capped, "rule_version": ver.rule_version}
            for v, ver, kind in session.execute(query)]


def unit_scores(session: Session, start: date, end: date) -> list[dict[str, Any]]:
    """Per unit: n, mean, sample SD, min, max of visit scores (0..100), and the scoring
    rule version(s) of the visits counted."""
    by_unit: dict[str, list[float]] = defaultdict(list)
    rules: dict[str, set[str]] = defaultdict(set)
    for row in visit_scores(session, start, end):
        if row["score"] is not None:
            by_unit[row["unit"]].append(row["score"])
            rules[row["unit"]].add(row["rule_version"])
    return [{"unit": unit, **summarise(scores), "rule_version": ",".join(sorted(rules[unit]))}
            for unit, scores in sorted(by_unit.items())]


def discrepancies(session: Session, start: date, end: date,
                  unit: str | None = None) -> list[dict[str, Any]]:
    """Each measured item with a self-reported value, in counted visits of the window."""
    query = (select(Visit, VisitResponse, ChecklistItem)
             .join(VisitVersion, and_(VisitVersion.visit_id == Visit.id,
                                      VisitVersion.version == Visit.current_version))
             .join(VisitResponse, VisitResponse.version_id == VisitVersion.id)
             .join(Plan, Plan.id == Visit.plan_id)
             .join(ChecklistItem, and_(ChecklistItem.template_id == Plan.template_id,
                                       ChecklistItem.item_id == VisitResponse.item_id))
             .where(_counted(start, end), VisitResponse.discrepant.is_not(None))
             .order_by(Visit.unit_code, Visit.id, VisitResponse.id))
    if unit:
        query = query.where(Visit.unit_code == unit)
    return [{"visit_id": v.id, "unit": v.unit_code,
             "period": (v.self_reports or {}).get("period")
             or v.reference_date.strftime("%Y-%m"),
             "item_id": r.item_id, "unit_of_measure": item.unit_of_measure, "inspected": r.value,
             "self_reported": r.self_reported, "difference": r.value - r.self_reported,
             "tolerance": item.tolerance, "tolerance_kind": item.tolerance_kind,
             "discrepant": r.discrepant}
            for v, r, item in session.execute(query)]


def discrepancy_rates(session: Session, start: date, end: date) -> list[dict[str, Any]]:
    """Per unit: measured items checked against a self-report, how many beyond tolerance."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for row in discrepancies(session, start, end):
        counts[row["unit"]][0] += 1
        counts[row["unit"]][1] += bool(row["discrepant"])
    return [{"unit": unit, "checked": checked, "discrepant": bad,
             "rate": bad / checked if checked else None}
            for unit, (checked, bad) in sorted(counts.items())]


def finding_counts(session: Session, start: date, end: date) -> list[dict[str, Any]]:
    """Per unit: counted visits in the window and the findings of their current versions
    by severity (what the quarterly bulletin prints)."""
    visits: dict[str, int] = defaultdict(int)
    for row in visit_scores(session, start, end):
        visits[row["unit"]] += 1
    counts: dict[str, dict[str, int]] = {u: dict.fromkeys(SEVERITIES, 0) for u in visits}
    query = (select(Visit.unit_code, Finding.severity)
             .join(VisitVersion, and_(VisitVersion.visit_id == Visit.id,
                                      VisitVersion.version == Visit.current_version))
             .join(Finding, Finding.version_id == VisitVersion.id)
             .where(_counted(start, end)))
    for unit, severity in session.execute(query):
        counts[unit][severity] = counts[unit].get(severity, 0) + 1
    return [{"unit": unit, "visits": visits[unit], **counts[unit],
             "findings": sum(counts[unit].values())} for unit in sorted(visits)]


def cell(value: Any) -> Any:
    """A value of these tables as a CSV/XLSX cell: a timestamp as ISO 8601 text,
    formula-like text with a leading quote (``shared.spreadsheets.guard``)."""
    if isinstance(value, datetime):
        return value.isoformat()
    return guard(value)
