"""Who sees which plans and visits.

- admin and planner see everything;
- an inspector sees the plans they are assigned to and their own visits;
- ``unit``, ``analyst`` and ``service`` see a visit of an open plan at once, a visit of
  an unannounced plan only after its check-in (before that it does not exist for them:
  404, never 403); a unit sees only its own unit's visits;
- a plan is visible to them when at least one of its visits is;
- rectification orders: a unit sees its own unit's, an inspector those they issued or
  whose follow-up visit is theirs (others: 404), everyone else all; an order's
  follow-up visit is named only to those who may see that visit;
- a plan's random draw (frame, sizes, seed, selection) names every target, so only
  admin and planner see it before every visit of the plan is checked in.
"""

from __future__ import annotations

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.sql.elements import ColumnElement

from services.inspection.models.orders import RectificationOrder
from services.inspection.models.plans import Plan, PlanInspector
from services.inspection.models.visits import Visit
from shared.auth import Principal

STAFF = ("admin", "planner")


def visit_filter(principal: Principal) -> ColumnElement[bool] | None:
    """A WHERE clause over Visit (joined to Plan) for what the caller may see; None = all."""
    if principal.role in STAFF:
        return None
    if principal.role == "inspector":
        return Visit.inspector == principal.sub
    revealed = or_(Plan.kind == "open", Visit.checkin_at.is_not(None))
    if principal.role == "unit":
        return and_(Visit.unit_code == principal.unit, revealed)
    return revealed


def plan_filter(principal: Principal) -> ColumnElement[bool] | None:
    """A WHERE clause over Plan for what the caller may see; None = all."""
    if principal.role in STAFF:
        return None
    if principal.role == "inspector":
        return exists(select(PlanInspector.id).where(PlanInspector.plan_id == Plan.id,
                                                     PlanInspector.inspector == principal.sub))
    condition = visit_filter(principal)
    return exists(select(Visit.id).where(Visit.plan_id == Plan.id, condition))


def order_filter(principal: Principal) -> ColumnElement[bool] | None:
    """A WHERE clause over RectificationOrder for what the caller may see; None = all."""
    if principal.role == "unit":
        return RectificationOrder.unit_code == principal.unit
    if principal.role == "inspector":
        follow_up = exists(select(Visit.id).where(
            Visit.id == RectificationOrder.follow_up_visit_id, Visit.inspector == principal.sub))
        return or_(RectificationOrder.created_by == principal.sub, follow_up)
    return None


def can_see_visit(principal: Principal, visit: Visit) -> bool:
    """The rule of ``visit_filter`` for one loaded visit."""
    if principal.role in STAFF:
        return True
    if principal.role == "inspector":
        return visit.inspector == principal.sub
    revealed = visit.plan.kind == "open" or visit.checkin_at is not None
    if principal.role == "unit":
        return revealed and visit.unit_code == principal.unit
    return revealed


def can_see_draw(principal: Principal, visits_not_checked_in: int) -> bool:
    """Whether the caller may see a plan's draw, given how many of its visits still
    await their check-in: staff always, anyone else only once none does."""
    return principal.role in STAFF or visits_not_checked_in == 0
