"""Plans: targets by hand or by a stratified random draw with a recorded seed.

The draw (``stratified-srswor-v1``): strata in name order; within a stratum the
units in code order; ``numpy.random.default_rng(seed)`` (PCG64) draws
``Generator.choice(N_h, n_h, replace=False)`` for each stratum in turn from one
generator. The frame, the sizes and the seed are stored with the plan, so anyone can
redo the draw and compare (``check_draw``).
"""

from __future__ import annotations

import secrets
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload, undefer

from services.inspection import audit
from services.inspection.checklists import get_template
from services.inspection.models.plans import Plan, PlanInspector
from services.inspection.models.visits import Visit
from services.inspection.visibility import STAFF, can_see_draw, plan_filter, visit_filter
from shared.auth import Principal
from shared.errors import Conflict, NotFound, Problems, ValidationFailed

DRAW_METHOD = "stratified-srswor-v1"


def stratified_draw(frame: list[dict[str, Any]], sizes: dict[str, int], seed: int) -> list[str]:
    """Unit codes drawn by ``DRAW_METHOD``; raise ValueError when a stratum is too small."""
    strata: dict[str, list[str]] = {}
    for unit in frame:
        strata.setdefault(unit["stratum"], []).append(unit["unit"])
    rng = np.random.default_rng(seed)
    chosen: list[str] = []
    for name in sorted(strata):
        units = sorted(strata[name])
        n = sizes.get(name, 0)
        if n > len(units):
            raise ValueError(f"stratum {name!r} has {len(units)} units, cannot draw {n}")
        picks = rng.choice(len(units), size=n, replace=False) if n else []
        chosen.extend(units[i] for i in sorted(int(p) for p in picks))
    return chosen


def _validate(data: dict[str, Any]) -> None:
    problems = Problems()
    if data["window_from"] > data["window_to"]:
        problems.add("window_to", "must not be before window_from")
    targets = data.get("targets") or []
    if len({t["unit"] for t in targets}) != len(targets):
        problems.add("targets", "a unit appears twice")
    elif bool(targets) == bool(data.get("draw")):
        problems.add("targets", "give either targets or draw")
    if data.get("draw"):
        _check_draw(problems, data["draw"])
    problems.raise_if_any("Plan is not valid")


def _check_draw(problems: Problems, draw: dict[str, Any]) -> None:
    sizes, per_stratum = draw.get("sizes"), draw.get("per_stratum")
    strata = {unit["stratum"] for unit in draw["frame"]}
    if (sizes is None) == (per_stratum is None):
        problems.add("draw.sizes", "give either sizes or per_stratum")
    elif sizes is not None:
        unknown = sorted(set(sizes) - strata)
        for name in unknown:
            problems.add("draw.sizes", f"stratum {name!r} is not in the frame")
        if not unknown and not any(sizes.values()):
            problems.add("draw.sizes", "the draw selects no unit")
    elif per_stratum == 0:
        problems.add("draw.per_stratum", "the draw selects no unit")
    codes = [unit["unit"] for unit in draw["frame"]]
    if len(codes) != len(set(codes)):
        problems.add("draw.frame", "a unit appears twice")


def _draw_targets(draw: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    frame = draw["frame"]
    sizes = draw["sizes"] if draw.get("sizes") is not None else \
        {s: draw["per_stratum"] for s in {u["stratum"] for u in frame}}
    seed = draw.get("seed")
    if seed is None:
        seed = secrets.randbits(63)
    try:
        chosen = stratified_draw(frame, sizes, seed)
    except ValueError as exc:
        raise ValidationFailed("Draw is not possible", {"draw.sizes": [str(exc)]}) from None
    if not chosen:
        raise ValidationFailed("Draw is not possible", {"draw.sizes": ["the draw selects no unit"]})
    by_code = {unit["unit"]: unit for unit in frame}
    record = {"method": DRAW_METHOD, "seed": seed, "sizes": sizes, "frame": frame,
              "selected": chosen}
    return [by_code[code] for code in chosen], record


def create_plan(session: Session, principal: Principal, data: dict[str, Any]) -> Plan:
    """Create the plan and one scheduled visit per target, inspectors assigned in turn.

    Raises ValidationFailed (422) naming each bad field (window, targets, draw) and
    NotFound (404) for an unknown checklist.
    """
    _validate(data)
    get_template(session, data["template_id"])
    targets, record = (data["targets"], None) if data.get("targets") else \
        _draw_targets(data["draw"])
    inspectors = list(dict.fromkeys(data["inspectors"]))
    plan = Plan(name=data["name"], kind=data["kind"], template_id=data["template_id"],
                window_from=data["window_from"], window_to=data["window_to"],
                self_check_period=data.get("self_check_period"),
                selection="stratified_random" if record else "manual", draw=record,
                created_by=principal.sub,
                inspectors=[PlanInspector(inspector=sub) for sub in inspectors])
    session.add(plan)
    session.flush()
    for index, target in enumerate(targets):
        session.add(Visit(plan_id=plan.id, unit_code=target["unit"], stratum=target.get("stratum"),
                          inspector=target.get("inspector") or inspectors[index % len(inspectors)],
                          unit_lat=target.get("lat"), unit_lon=target.get("lon")))
    audit.record(session, principal, "plan.create", "plan", plan.id,
                 {"kind": plan.kind, "targets": len(targets),
                  "seed": record["seed"] if record else None})
    session.flush()
    plan.visible_visits, plan.disclosed_draw = len(targets), record
    return plan


def _count_visible(session: Session, principal: Principal, plan_ids: list[int]) -> dict[int, int]:
    query = (select(Visit.plan_id, func.count(Visit.id)).join(Plan, Plan.id == Visit.plan_id)
             .where(Visit.plan_id.in_(plan_ids)).group_by(Visit.plan_id))
    condition = visit_filter(principal)
    if condition is not None:
        query = query.where(condition)
    return dict(session.execute(query).all())


def _not_checked_in(session: Session, plan_ids: list[int]) -> dict[int, int]:
    query = (select(Visit.plan_id, func.count(Visit.id))
             .where(Visit.plan_id.in_(plan_ids), Visit.checkin_at.is_(None))
             .group_by(Visit.plan_id))
    return dict(session.execute(query).all())


def _disclose(session: Session, principal: Principal, plans: list[Plan]) -> None:
    """Set ``visible_visits`` and ``disclosed_draw`` (the draw, or None when the caller
    may not see it yet) on each plan."""
    ids = [plan.id for plan in plans]
    counts = _count_visible(session, principal, ids)
    drawn = [plan.id for plan in plans if plan.draw]
    waiting = {} if principal.role in STAFF or not drawn else _not_checked_in(session, drawn)
    for plan in plans:
        plan.visible_visits = counts.get(plan.id, 0)
        plan.disclosed_draw = plan.draw if can_see_draw(principal, waiting.get(plan.id, 0)) \
            else None


def log_read(session: Session, principal: Principal, plan: Plan, what: str) -> None:
    """Every read of an unannounced plan goes to the audit log: who, when, what."""
    if plan.kind == "unannounced":
        audit.record(session, principal, "plan.read", "plan", plan.id, {"read": what})


def list_plans(session: Session, principal: Principal) -> list[Plan]:
    """The plans the caller may see (``visibility.plan_filter``); reads of unannounced
    plans are audited."""
    query = (select(Plan).options(selectinload(Plan.inspectors), undefer(Plan.draw))
             .order_by(Plan.id))
    condition = plan_filter(principal)
    if condition is not None:
        query = query.where(condition)
    plans = list(session.scalars(query))
    _disclose(session, principal, plans)
    for plan in plans:
        log_read(session, principal, plan, "list")
    return plans


def get_plan(session: Session, principal: Principal, plan_id: int, what: str = "plan") -> Plan:
    """The plan if the caller may see it; NotFound otherwise (also when hidden). Its
    ``disclosed_draw`` is None while the caller may not see the draw."""
    query = select(Plan).options(undefer(Plan.draw)).where(Plan.id == plan_id)
    condition = plan_filter(principal)
    if condition is not None:
        query = query.where(condition)
    plan = session.scalar(query)
    if plan is None:
        raise NotFound(f"Plan {plan_id} not found")
    _disclose(session, principal, [plan])
    log_read(session, principal, plan, what)
    return plan


def check_draw(session: Session, principal: Principal, plan_id: int) -> dict[str, Any]:
    """Redo the recorded draw and compare it with the plan's targets.

    Raises NotFound (plan hidden), ValidationFailed (targets chosen by hand) and
    Conflict when the caller may not see the draw yet (a visit awaits its check-in).
    """
    plan = get_plan(session, principal, plan_id, "draw-check")
    if not plan.draw:
        raise ValidationFailed("Plan targets were chosen by hand", {"plan_id": ["no draw"]})
    draw = plan.disclosed_draw
    if draw is None:
        raise Conflict("The draw is disclosed once every visit of the plan is checked in",
                       {"plan_id": ["visits still to be checked in"]})
    expected = stratified_draw(draw["frame"], draw["sizes"], draw["seed"])
    recorded = list(session.scalars(select(Visit.unit_code).where(Visit.plan_id == plan.id)
                                    .order_by(Visit.id)))
    return {"plan_id": plan.id, "seed": draw["seed"], "matches": expected == recorded,
            "expected": expected, "recorded": recorded}
