"""What a document prints beyond its run, read once and stored with the document.

The quarterly bulletin prints poll satisfaction per township with Wilson intervals and
AAPOR response rates (survey: ``/polls/{id}``, ``/polls/{id}/estimates``,
``/polls/{id}/outcome-rates``), inspection visits and findings by severity and the
rectification orders closed on time and overdue at the end of the period (inspection:
``/finding-counts``, ``/orders/closure-rates``, ``/orders/overdue``), self-check
completeness and late units, and key-task milestones on time (this service's own
tables). The other services are read as a score run reads them
(:func:`services.scoring.run_inputs.service_sources`: a ``service`` token, timeouts,
retries); a source that cannot be reached fails with 503 naming it, or, with
``missing_source: skip``, is recorded as skipped and its section says so.

The result is plain JSON: it is stored in the document record (``sources``) and a
document is rendered from the run and this record only.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.scoring import key_tasks, self_checks
from services.scoring.models.periods import Period
from services.scoring.models.registry import Unit
from services.scoring.models.self_checks import SelfCheck
from services.scoring.periods import months_in, parse_period
from services.scoring.run_inputs import Sources, fetch_source

SOURCES_FORMAT = 1
SATISFACTION = "satisfaction_rate"


def collect(session: Session, kind: str, period: str, polls: list[int],
            missing_source: str, sources: Sources) -> dict[str, Any]:
    """The sources of a document of ``kind`` for ``period`` (a bulletin reads all of them,
    the other kinds none beyond their run)."""
    out: dict[str, Any] = {"format": SOURCES_FORMAT, "status": {}}
    if kind != "bulletin":
        return out
    _kind, start, end = parse_period(period)
    as_of = (end + timedelta(days=1)).isoformat()
    out["as_of"] = as_of
    out["polls"] = _polls(polls, missing_source, sources, out["status"])
    window = f"from={start.isoformat()}&to={end.isoformat()}"
    inspection = {}
    for name, path in (("findings", f"/api/v1/finding-counts?{window}"),
                       ("closure", f"/api/v1/orders/closure-rates?as_of={as_of}"),
                       ("overdue", f"/api/v1/orders/overdue?as_of={as_of}")):
        body = _fetch(sources.inspection, "inspection", path, missing_source, out["status"])
        if body is None:
            inspection = None
            break
        inspection[name] = body
    out["inspection"] = inspection
    if inspection is not None:
        out["status"]["inspection"] = {"status": "ok"}
    out["self_checks"] = {"completeness": self_checks.completeness(session, period),
                          "units": _self_check_units(session, period)}
    out["key_tasks"] = key_tasks.metrics(session, period)
    return json.loads(json.dumps(out, default=str, ensure_ascii=False))


def _fetch(client, name: str, path: str, missing_source: str, status: dict) -> Any:
    return fetch_source(client, name, path, missing_source, status,
                        refused="make the document", advice="use")


def _polls(polls: list[int], missing_source: str, sources: Sources,
           status: dict) -> list[dict[str, Any]] | None:
    """Per poll: its names, the satisfaction rate per township (the first question that
    has the statistic, or ``q_overall`` when present) and AAPOR rates per township."""
    out = []
    for poll_id in polls:
        poll = _fetch(sources.survey, "survey", f"/api/v1/polls/{poll_id}", missing_source,
                      status)
        if poll is None:
            return None
        estimates = _fetch(sources.survey, "survey", f"/api/v1/polls/{poll_id}/estimates",
                           missing_source, status)
        rates = _fetch(sources.survey, "survey", f"/api/v1/polls/{poll_id}/outcome-rates",
                       missing_source, status)
        if estimates is None or rates is None:
            return None
        rows = [r for r in estimates.get("rows", []) if r.get("statistic") == SATISFACTION
                and r.get("category") is None]
        questions = sorted({r["question"] for r in rows})
        question = "q_overall" if "q_overall" in questions else (questions[0] if questions
                                                                 else None)
        out.append({
            "id": poll_id, "name_zh": poll.get("name_zh"), "name_en": poll.get("name_en"),
            "modes": poll.get("modes"), "field_start": poll.get("field_start"),
            "field_end": poll.get("field_end"), "question": question,
            "level": (estimates.get("method") or {}).get("level"),
            "satisfaction": [{k: r.get(k) for k in ("township", "estimate", "ci_low",
                                                    "ci_high", "n", "n_eff")}
                             for r in rows if r["question"] == question],
            "rates": [{"township": t.get("township"), "counts": t.get("counts"),
                       "rates": {k: (t.get("rates") or {}).get(k)
                                 for k in ("RR1", "RR2", "RR3", "COOP1", "REF1", "CON1")}}
                      for t in [*rates.get("townships", []), rates.get("overall") or {}]],
        })
    if polls:
        status["survey"] = {"status": "ok", "polls": list(polls)}
    return out


def _self_check_units(session: Session, period: str) -> list[dict[str, Any]]:
    """Per unit with a late value or a month without any report in the period: months
    reported, values, late values (current versions)."""
    months = months_in(period)
    defined = {p.id: p.code for p in session.scalars(select(Period).where(
        Period.code.in_(months)))}
    if not defined:
        return []
    reported: dict[str, set[str]] = defaultdict(set)
    late: dict[str, int] = defaultdict(int)
    values: dict[str, int] = defaultdict(int)
    query = (select(Unit.code, SelfCheck.period_id, SelfCheck.late)
             .join(Unit, Unit.id == SelfCheck.unit_id)
             .where(SelfCheck.period_id.in_(defined), SelfCheck.is_current.is_(True)))
    for code, period_id, is_late in session.execute(query):
        reported[code].add(defined[period_id])
        values[code] += 1
        late[code] += bool(is_late)
    _kind, start, end = parse_period(period)
    out = []
    for unit in session.scalars(select(Unit).order_by(Unit.code)):
        if not (unit.is_active_on(start) or unit.is_active_on(end)):
            continue
        missing = [m for m in defined.values() if m not in reported[unit.code]]
        if late[unit.code] or missing:
            out.append({"unit": unit.code, "name_zh": unit.name_zh, "name_en": unit.name_en,
                        "values": values[unit.code], "late": late[unit.code],
                        "months_missing": sorted(missing)})
    return out
