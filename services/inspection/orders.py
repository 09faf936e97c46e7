"""Rectification orders: open → submitted (with the unit's evidence) → closed, or
rejected with a reason → reopened; overdue list and on-time closure rate.

An order is closed on time when the submission that was verified arrived on or before
the deadline (a local date, Asia/Shanghai): the unit's part ends when it submits, so
the time the office takes to verify does not count against it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.inspection import audit
from services.inspection.models.orders import OrderEvent, RectificationOrder
from services.inspection.models.submissions import Finding
from services.inspection.models.visits import Visit
from services.inspection.visibility import can_see_visit, order_filter
from shared.auth import Principal, require_unit
from shared.config import county_today
from shared.db import utcnow
from shared.errors import Conflict, NotFound, ValidationFailed


def _transition(session: Session, principal: Principal, order: RectificationOrder, to: str,
                note: str | None = None, attachment_ids: list[int] | None = None) -> None:
    event = OrderEvent(order_id=order.id, actor=principal.sub, from_state=order.state,
                       to_state=to, note=note, attachment_ids=attachment_ids, at=utcnow())
    session.add(event)
    audit.record(session, principal, f"order.{to}", "order", order.id,
                 {"from": order.state, "to": to, "note": note, "attachments": attachment_ids})
    order.state = to
    session.flush()
    session.expire(order, ["events"])


def create_order(session: Session, principal: Principal,
                 data: dict[str, Any]) -> RectificationOrder:
    """Issue an order from a finding of a submitted visit the caller may see (NotFound
    otherwise)."""
    finding = session.get(Finding, data["finding_id"])
    visit = session.get(Visit, finding.visit_id) if finding else None
    if visit is None or not can_see_visit(principal, visit):
        raise NotFound(f"Finding {data['finding_id']} not found")
    if visit.status not in ("submitted", "approved"):
        raise Conflict("Orders are issued from submitted visits", {"status": [visit.status]})
    order = RectificationOrder(finding_id=finding.id, visit_id=visit.id,
                               unit_code=data.get("unit") or visit.unit_code,
                               deadline=data["deadline"], instructions=data["instructions"],
                               state="open", created_by=principal.sub)
    session.add(order)
    session.flush()
    session.add(OrderEvent(order_id=order.id, actor=principal.sub, from_state=None,
                           to_state="open", note=data["instructions"], at=utcnow()))
    audit.record(session, principal, "order.create", "order", order.id,
                 {"finding_id": finding.id, "unit": order.unit_code,
                  "deadline": order.deadline.isoformat()})
    session.flush()
    order.disclosed_follow_up = None
    return order


def _disclose(session: Session, principal: Principal,
              orders: list[RectificationOrder]) -> None:
    """Set ``disclosed_follow_up``: the follow-up visit's id, or None when the caller may
    not see that visit (an unannounced follow-up before its check-in)."""
    ids = {order.follow_up_visit_id for order in orders if order.follow_up_visit_id}
    seen = {visit.id for visit in session.scalars(select(Visit).where(Visit.id.in_(ids)))
            if can_see_visit(principal, visit)} if ids else set()
    for order in orders:
        order.disclosed_follow_up = order.follow_up_visit_id \
            if order.follow_up_visit_id in seen else None


def _visible(principal: Principal):
    query = select(RectificationOrder)
    condition = order_filter(principal)
    return query if condition is None else query.where(condition)


def get_order(session: Session, principal: Principal, order_id: int) -> RectificationOrder:
    """The order if the caller may see it (``visibility.order_filter``); NotFound
    otherwise."""
    order = session.scalar(_visible(principal).where(RectificationOrder.id == order_id))
    if order is None:
        raise NotFound(f"Order {order_id} not found")
    _disclose(session, principal, [order])
    return order


def list_orders(session: Session, principal: Principal, unit: str | None = None,
                state: str | None = None) -> list[RectificationOrder]:
    """The orders the caller may see, optionally of one unit and in one state."""
    query = _visible(principal).order_by(RectificationOrder.id)
    if unit:
        query = query.where(RectificationOrder.unit_code == unit)
    if state:
        query = query.where(RectificationOrder.state == state)
    found = list(session.scalars(query))
    _disclose(session, principal, found)
    return found


def submit_fix(session: Session, principal: Principal, order_id: int,
               data: dict[str, Any]) -> RectificationOrder:
    """The unit reports the fix with evidence that has arrived."""
    order = get_order(session, principal, order_id)
    require_unit(order.unit_code)
    if order.state not in ("open", "reopened"):
        raise Conflict(f"Order {order_id} is {order.state}", {"state": [order.state]})
    received = {a.id for a in order.attachments if a.status == "received"}
    wrong = [i for i in data["attachment_ids"] if i not in received]
    if wrong:
        raise ValidationFailed("Evidence must be uploaded to this order first",
                               {"attachment_ids": [f"{i} is not received evidence of this order"
                                                   for i in wrong]})
    order.submitted_at = utcnow()
    _transition(session, principal, order, "submitted", data["note"], data["attachment_ids"])
    return order


def verify(session: Session, principal: Principal, order_id: int,
           data: dict[str, Any]) -> RectificationOrder:
    """Accept the fix: closed; on time when submitted by the deadline."""
    order = _submitted(session, principal, order_id)
    if data.get("follow_up_visit_id"):
        _link(session, principal, order, data["follow_up_visit_id"])
    order.closed_at = utcnow()
    order.on_time = order.submitted_at_local_date <= order.deadline
    _transition(session, principal, order, "closed", data.get("note"))
    return order


def reject(session: Session, principal: Principal, order_id: int,
           data: dict[str, Any]) -> RectificationOrder:
    """Reject the fix with a reason: the order is reopened for the unit."""
    order = _submitted(session, principal, order_id)
    order.last_reason = data["reason"]
    _transition(session, principal, order, "reopened", data["reason"])
    return order


def reopen(session: Session, principal: Principal, order_id: int,
           data: dict[str, Any]) -> RectificationOrder:
    """Reopen a closed order (for example when a follow-up visit finds the problem again)."""
    order = get_order(session, principal, order_id)
    if order.state != "closed":
        raise Conflict("Only a closed order can be reopened", {"state": [order.state]})
    order.last_reason, order.closed_at, order.on_time = data["reason"], None, None
    _transition(session, principal, order, "reopened", data["reason"])
    return order


def link_follow_up(session: Session, principal: Principal, order_id: int,
                   data: dict[str, Any]) -> RectificationOrder:
    """Link the follow-up visit ``data["visit_id"]`` to the order: ValidationFailed (422)
    as ``_link``, NotFound (404) for an order the caller may not see."""
    order = get_order(session, principal, order_id)
    _link(session, principal, order, data["visit_id"])
    audit.record(session, principal, "order.follow_up", "order", order.id,
                 {"visit_id": data["visit_id"]})
    return order


def _link(session: Session, principal: Principal, order: RectificationOrder,
          visit_id: int) -> None:
    """Link a visit the caller may see (ValidationFailed otherwise, named as unknown so
    that a hidden visit's unit is not told) to the same unit as the order."""
    visit = session.get(Visit, visit_id)
    if visit is None or not can_see_visit(principal, visit):
        raise ValidationFailed("Unknown visit", {"visit_id": [f"visit {visit_id} not found"]})
    if visit.unit_code != order.unit_code:
        raise ValidationFailed("Follow-up must visit the responsible unit",
                               {"visit_id": [f"visit {visit_id} is to {visit.unit_code}"]})
    order.follow_up_visit_id = order.disclosed_follow_up = visit.id


def _submitted(session: Session, principal: Principal, order_id: int) -> RectificationOrder:
    order = get_order(session, principal, order_id)
    if order.state != "submitted":
        raise Conflict(f"Order {order_id} is {order.state}, not submitted",
                       {"state": [order.state]})
    return order


def overdue(session: Session, principal: Principal, as_of: date | None) -> list[dict[str, Any]]:
    """Orders the caller may see, not closed, whose deadline is before ``as_of``
    (default today, local)."""
    as_of = as_of or county_today()
    query = (_visible(principal).where(RectificationOrder.state != "closed",
                                       RectificationOrder.deadline < as_of)
             .order_by(RectificationOrder.deadline, RectificationOrder.id))
    return [{"id": o.id, "unit": o.unit_code, "visit_id": o.visit_id, "finding_id": o.finding_id,
             "deadline": o.deadline, "days_overdue": (as_of - o.deadline).days, "state": o.state,
             "instructions": o.instructions} for o in session.scalars(query)]


def closure_rates(session: Session, principal: Principal,
                  as_of: date | None) -> list[dict[str, Any]]:
    """Per unit: orders due (closed, or deadline before ``as_of``), closed on time, rate."""
    as_of = as_of or county_today()
    counts: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(
        ("orders", "due", "closed", "closed_on_time"), 0))
    for order in list_orders(session, principal):
        row = counts[order.unit_code]
        row["orders"] += 1
        closed = order.state == "closed"
        row["due"] += closed or order.deadline < as_of
        row["closed"] += closed
        row["closed_on_time"] += closed and bool(order.on_time)
    return [{"unit": unit, **row,
             "rate": row["closed_on_time"] / row["due"] if row["due"] else None}
            for unit, row in sorted(counts.items())]
