"""What each role's home page shows, read from the services' APIs with the person's token.

Every part is read on its own: a service that does not answer, or answers 403, leaves
its part with a message (``Part.problem``) and the other parts still show. Nothing is
shown that the API did not return for this person.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from services.portal import instructions
from services.portal.api_client import Apis
from shared.client import ServiceError
from shared.errors import DependencyDown

# Published runs read, newest first, to find each peer group's latest ranking.
RUNS_SEARCHED = 6
OPEN_VISIT_STATES = ("scheduled", "checked_in", "returned")
DONE_VISIT_STATES = ("submitted", "approved")


@dataclass
class Part:
    """One part of a home page: its rows, or why there are none."""

    rows: list[Any] = field(default_factory=list)
    problem: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def read(load: Callable[[], Part]) -> Part:
    """Run ``load``; a service that is down, refuses or fails becomes the part's
    ``problem``, so that the other parts still show."""
    try:
        return load()
    except DependencyDown as exc:
        service = (exc.errors or {}).get("service", ["?"])[0]
        return Part(problem=_l("The %(service)s service is not answering; try again later.",
                               service=service))
    except ServiceError as exc:
        if exc.upstream_status in (401, 403):
            return Part(problem=_l("You may not read this."))
        return Part(problem=_l("The %(service)s service could not answer this part (%(status)d).",
                               service=_service_of(exc), status=exc.upstream_status))


def _service_of(error: ServiceError) -> str:
    """The service's name, as ServiceClient puts it before the message."""
    return str(error.message).split(":", 1)[0]


def fielding_polls(apis: Apis) -> Part:
    """Polls in the field: completes against targets and the AAPOR response rates."""
    rows = []
    for poll in apis.survey.get_json("/api/v1/polls", params={"status": "fielding"}):
        rates = apis.survey.get_json(f"/api/v1/polls/{poll['id']}/outcome-rates")["overall"]
        quotas = apis.survey.get_json(f"/api/v1/polls/{poll['id']}/quotas")
        rows.append({**poll, "rr1": rates["rates"].get("RR1"), "rr2": rates["rates"].get("RR2"),
                     "completes": sum(q["completes"] for q in quotas),
                     "target": sum(q["target_completes"] for q in quotas)})
    return Part(rows)


def open_plans(apis: Apis, today: date) -> Part:
    """Inspection plans whose window has not ended, with visits done out of visits."""
    done: Counter = Counter()
    total: Counter = Counter()
    for visit in apis.inspection.get_json("/api/v1/visits"):
        total[visit["plan_id"]] += 1
        done[visit["plan_id"]] += visit["status"] in DONE_VISIT_STATES
    rows = [{**plan, "done": done[plan["id"]], "total": total[plan["id"]]}
            for plan in apis.inspection.get_json("/api/v1/plans")
            if date.fromisoformat(plan["window_to"]) >= today]
    return Part(sorted(rows, key=lambda p: (p["window_to"], p["id"])))


def runs_to_publish(apis: Apis) -> Part:
    return Part(apis.scoring.get_json("/api/v1/runs", params={"state": "computed"}))


def month_self_check(apis: Apis, unit: str, today: date, now: datetime) -> Part:
    """This month's self-check: the period's deadline and what the unit has reported."""
    code = f"{today.year}-{today.month:02d}"
    try:
        period = apis.scoring.get_json(f"/api/v1/periods/{code}")
    except ServiceError as exc:
        if exc.upstream_status != 404:
            raise
        return Part(extra={"period": code, "defined": False})
    values = apis.scoring.get_json("/api/v1/self-checks", params={"unit": unit, "period": code})
    deadline = datetime.fromisoformat(period["deadline"]) if period.get("deadline") else None
    if values:
        status = "submitted"
    elif deadline is not None and deadline < now:
        status = "overdue"
    else:
        status = "due"
    return Part(values, extra={"period": code, "defined": True, "deadline": deadline,
                               "state": period["state"], "status": status})


def open_orders(apis: Apis, today: date) -> Part:
    """Rectification orders not closed yet, nearest deadline first."""
    rows = [{**order, "overdue": date.fromisoformat(order["deadline"]) < today}
            for order in apis.inspection.get_json("/api/v1/orders")
            if order["state"] != "closed"]
    return Part(sorted(rows, key=lambda o: (o["deadline"], o["id"])))


def inspector_visits(apis: Apis, today: date) -> Part:
    """The inspector's open visits whose plan window holds today (``rows``), and those
    whose window starts later (``extra["upcoming"]``)."""
    plans = {plan["id"]: plan for plan in apis.inspection.get_json("/api/v1/plans")}
    today_rows, upcoming = [], []
    for visit in apis.inspection.get_json("/api/v1/visits"):
        plan = plans.get(visit["plan_id"])
        if plan is None or visit["status"] not in OPEN_VISIT_STATES:
            continue
        row = {**visit, "plan": plan}
        if date.fromisoformat(plan["window_from"]) > today:
            upcoming.append(row)
        elif date.fromisoformat(plan["window_to"]) >= today:
            today_rows.append(row)
    order = lambda v: (v["plan"]["window_from"], v["id"])  # noqa: E731
    return Part(sorted(today_rows, key=order), extra={"upcoming": sorted(upcoming, key=order)})


def latest_rankings(apis: Apis) -> Part:
    """Each peer group's ranking from the newest published run that ranks it."""
    groups: dict[str, dict[str, Any]] = {}
    published = apis.scoring.get_json("/api/v1/runs", params={"state": "published"})
    for run in published[:RUNS_SEARCHED]:
        fresh: dict[str, list] = {}
        for row in apis.scoring.get_json(f"/api/v1/runs/{run['id']}/ranking"):
            if row["peer_group"] not in groups:
                fresh.setdefault(row["peer_group"], []).append(row)
        for group, rows in fresh.items():
            groups[group] = {"group": group, "run": run,
                             "rows": sorted(rows, key=lambda r: (r["rank"], r["unit"]))}
    return Part([groups[g] for g in sorted(groups)])


def for_person(apis: Apis, role: str, unit: str | None, today: date,
               now: datetime) -> dict[str, Part]:
    """The parts of the home page of ``role``."""
    if role == "planner":
        return {"polls": read(lambda: fielding_polls(apis)),
                "plans": read(lambda: open_plans(apis, today)),
                "runs": read(lambda: runs_to_publish(apis))}
    if role == "unit":
        return {"self_check": read(lambda: month_self_check(apis, unit, today, now)),
                "orders": read(lambda: open_orders(apis, today)),
                "open_items": read(lambda: Part(instructions.open_items(apis, unit, today)))}
    if role == "inspector":
        return {"visits": read(lambda: inspector_visits(apis, today))}
    if role in ("analyst", "leader"):
        return {"rankings": read(lambda: latest_rankings(apis))}
    return {}
