"""Leadership instructions (批示件督办): from a county leader's written instruction to
the office closing it.

The scoring service keeps them because it owns what an instruction is about and what
it feeds: the units (lead and assisting units are registry units), the periods whose
deadlines and runs count the on-time closures, and the key tasks whose milestones are
followed up in the same way; a run reads the on-time closure rate per unit and period
from here, like the key tasks' on-time milestone rate (docs/instructions.md).

States (an explicit machine, :data:`TRANSITIONS`)::

    open ──report──▶ in_progress ──report(completed, lead unit)──▶ submitted
      └──────────────report(completed, lead unit)─────────────────▶ submitted
    submitted ──verify (office)──▶ verified ──close (office)──▶ closed
    submitted ──return with a reason (office)──▶ returned ──report──▶ in_progress / submitted

A unit's part ends when the lead unit reports completion: an instruction is *closed on
time* when the completion report the office verified was made on or before the
deadline in force (an approved extension moves it). Overdue: still with the units
(open, in progress, returned) after its deadline (county dates, Asia/Shanghai). Every
change goes into ``instruction_events`` (who, role, from, to, note, details).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.scoring.models.instructions import (
    ExtensionRequest,
    Instruction,
    InstructionEvent,
    InstructionReport,
    InstructionUnit,
)
from services.scoring.models.registry import Unit
from services.scoring.periods import parse_period
from shared.auth import Principal
from shared.config import county_today
from shared.db import utcnow
from shared.errors import Conflict, Forbidden, NotFound, Problems, ValidationFailed

# action → (states it may start from, the state it leads to; None: unchanged)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "report": (("open", "in_progress", "returned"), "in_progress"),
    "report_completed": (("open", "in_progress", "returned"), "submitted"),
    "verify": (("submitted",), "verified"),
    "return": (("submitted",), "returned"),
    "close": (("verified",), "closed"),
    "request_extension": (("open", "in_progress", "returned", "submitted"), None),
    "decide_extension": (("open", "in_progress", "returned", "submitted"), None),
}
WITH_UNITS = ("open", "in_progress", "returned")
DONE = ("verified", "closed")


def next_state(state: str, action: str) -> str:
    """The state ``action`` leads to from ``state``; Conflict when it may not happen."""
    sources, target = TRANSITIONS[action]
    if state not in sources:
        raise Conflict(f"An instruction that is {state} cannot take {action!r}",
                       {"state": [state]})
    return target or state


def _event(session: Session, instruction: Instruction, principal: Principal, action: str,
           to: str, note: str | None = None, **details: Any) -> None:
    session.add(InstructionEvent(
        instruction_id=instruction.id, action=action, from_state=instruction.state,
        to_state=to, actor=principal.sub, role=principal.role, note=note,
        details={k: (v.isoformat() if isinstance(v, date) else v) for k, v in details.items()},
        at=utcnow()))
    instruction.state = to


# -- reading -------------------------------------------------------------------------

def _visible(query, principal: Principal):
    if principal.role == "unit":
        mine = select(InstructionUnit.instruction_id).where(
            InstructionUnit.unit_code == principal.unit)
        query = query.where(Instruction.id.in_(mine))
    return query


def list_instructions(session: Session, principal: Principal, *, state: str | None = None,
                      unit: str | None = None, overdue: bool = False,
                      today: date | None = None) -> list[Instruction]:
    """Instructions by deadline: a unit token sees only those it is responsible for."""
    query = _visible(select(Instruction), principal).order_by(Instruction.deadline,
                                                               Instruction.id)
    if state:
        query = query.where(Instruction.state == state)
    if unit:
        query = query.where(Instruction.id.in_(select(InstructionUnit.instruction_id).where(
            InstructionUnit.unit_code == unit)))
    if overdue:
        query = query.where(Instruction.state.in_(WITH_UNITS),
                            Instruction.deadline < (today or county_today()))
    return list(session.scalars(query))


def get_instruction(session: Session, instruction_id: int,
                    principal: Principal) -> Instruction:
    """One instruction; NotFound when unknown or (a unit token) not the unit's own."""
    instruction = session.get(Instruction, instruction_id)
    if instruction is None or (principal.role == "unit"
                               and principal.unit not in instruction.unit_codes):
        raise NotFound(f"Instruction {instruction_id} not found")
    return instruction


def detail(session: Session, instruction_id: int, principal: Principal) -> dict[str, Any]:
    """The instruction with its reports, extension requests and audit trail."""
    instruction = get_instruction(session, instruction_id, principal)

    def rows(model, order):
        return list(session.scalars(select(model).where(model.instruction_id == instruction.id)
                                    .order_by(order, model.id)))

    return {"instruction": instruction,
            "reports": rows(InstructionReport, InstructionReport.reported_at),
            "extensions": rows(ExtensionRequest, ExtensionRequest.requested_at),
            "events": rows(InstructionEvent, InstructionEvent.at)}


# -- writing -------------------------------------------------------------------------

def create(session: Session, principal: Principal, data: dict[str, Any]) -> Instruction:
    """A new open instruction; 422 for unknown units, no or several lead units, or a
    deadline before the instruction's date."""
    problems = Problems()
    units = [{"unit": u["unit_code"], "role": u["role"]} for u in data.get("units") or []]
    codes = [u["unit"] for u in units]
    known = set(session.scalars(select(Unit.code).where(Unit.code.in_(codes))))
    for code in codes:
        if code not in known:
            problems.add("units", f"unknown unit {code!r}")
    if len(set(codes)) != len(codes):
        problems.add("units", "a unit is named twice")
    if [u["role"] for u in units].count("lead") != 1:
        problems.add("units", "exactly one lead unit")
    if data["deadline"] < data["issued_on"]:
        problems.add("deadline", "is before the instruction's date")
    problems.raise_if_any("Invalid instruction")
    instruction = Instruction(
        leader=data["leader"], document_no=data["document_no"], issued_on=data["issued_on"],
        title=data["title"], text=data["text"], deadline=data["deadline"],
        original_deadline=data["deadline"], attachments=list(data.get("attachments") or []),
        state="open", created_by=principal.sub, created_at=utcnow(),
        units=[InstructionUnit(unit_code=u["unit"], role=u["role"]) for u in units])
    session.add(instruction)
    session.flush()
    session.add(InstructionEvent(instruction_id=instruction.id, action="create",
                                 from_state=None, to_state="open", actor=principal.sub,
                                 role=principal.role, note=None, at=utcnow(),
                                 details={"units": units,
                                          "deadline": data["deadline"].isoformat()}))
    session.flush()
    return instruction


def _acting_unit(instruction: Instruction, principal: Principal, data: dict[str, Any]) -> str:
    """The unit a report or request is made for: a unit token's own (NotFound if not
    responsible), else the ``unit`` the staff member names."""
    unit = principal.unit if principal.role == "unit" else data.get("unit")
    if not unit:
        raise ValidationFailed("Name the unit you report for", {"unit": ["is required"]})
    if unit not in instruction.unit_codes:
        if principal.role == "unit":
            raise NotFound(f"Instruction {instruction.id} not found")
        raise ValidationFailed("Not a responsible unit", {"unit": [f"{unit} is not named"]})
    return unit


def report(session: Session, instruction_id: int, principal: Principal,
           data: dict[str, Any], today: date | None = None) -> InstructionReport:
    """A responsible unit's progress report; ``completed`` (the lead unit only) hands the
    instruction to the office for its judgement."""
    instruction = get_instruction(session, instruction_id, principal)
    unit = _acting_unit(instruction, principal, data)
    completed = bool(data.get("completed"))
    if completed and unit != instruction.lead_unit:
        raise Forbidden("Only the lead unit reports an instruction completed",
                        {"completed": [f"the lead unit is {instruction.lead_unit}"]})
    action = "report_completed" if completed else "report"
    to = next_state(instruction.state, action)
    row = InstructionReport(instruction_id=instruction.id, unit_code=unit, text=data["text"],
                            evidence=list(data.get("evidence") or []), completed=completed,
                            reported_on=today or county_today(), reported_by=principal.sub,
                            reported_at=utcnow())
    session.add(row)
    _event(session, instruction, principal, action, to, data["text"], unit=unit,
           evidence=row.evidence)
    session.flush()
    return row


def judge(session: Session, instruction_id: int, principal: Principal, action: str,
          note: str | None = None, today: date | None = None) -> Instruction:
    """The office's decision: ``verify`` the completion report, ``return`` it with a
    reason, or ``close`` a verified instruction."""
    instruction = get_instruction(session, instruction_id, principal)
    if action == "return" and not (note or "").strip():
        raise ValidationFailed("A returned instruction needs the reason",
                               {"note": ["give the reason"]})
    to = next_state(instruction.state, action)
    details: dict[str, Any] = {}
    if action == "verify":
        last = session.scalar(select(InstructionReport).where(
            InstructionReport.instruction_id == instruction.id, InstructionReport.completed)
            .order_by(InstructionReport.reported_at.desc(), InstructionReport.id.desc()))
        instruction.submitted_on = last.reported_on if last else (today or county_today())
        details = {"submitted_on": instruction.submitted_on,
                   "on_time": instruction.submitted_on <= instruction.deadline}
    if action == "close":
        instruction.closed_on = today or county_today()
    _event(session, instruction, principal, action, to, note, **details)
    session.flush()
    return instruction


def request_extension(session: Session, instruction_id: int, principal: Principal,
                      data: dict[str, Any]) -> ExtensionRequest:
    """The lead unit asks for a later deadline with a reason (one pending at a time)."""
    instruction = get_instruction(session, instruction_id, principal)
    unit = _acting_unit(instruction, principal, data)
    if unit != instruction.lead_unit:
        raise Forbidden("Only the lead unit asks for an extension",
                        {"unit": [f"the lead unit is {instruction.lead_unit}"]})
    next_state(instruction.state, "request_extension")
    if data["requested_deadline"] <= instruction.deadline:
        raise ValidationFailed("An extension moves the deadline later",
                               {"requested_deadline": [f"after {instruction.deadline}"]})
    if session.scalar(select(ExtensionRequest.id).where(
            ExtensionRequest.instruction_id == instruction.id,
            ExtensionRequest.state == "pending")):
        raise Conflict("An extension request is already waiting for a decision",
                       {"state": ["pending"]})
    request = ExtensionRequest(instruction_id=instruction.id, unit_code=unit,
                               reason=data["reason"],
                               requested_deadline=data["requested_deadline"], state="pending",
                               requested_by=principal.sub, requested_at=utcnow())
    session.add(request)
    _event(session, instruction, principal, "request_extension", instruction.state,
           data["reason"], requested_deadline=data["requested_deadline"])
    session.flush()
    return request


def decide_extension(session: Session, instruction_id: int, extension_id: int,
                     principal: Principal, approve: bool, note: str | None) -> ExtensionRequest:
    """The planner approves (the deadline moves) or rejects a pending request."""
    instruction = get_instruction(session, instruction_id, principal)
    request = session.get(ExtensionRequest, extension_id)
    if request is None or request.instruction_id != instruction.id:
        raise NotFound(f"Extension request {extension_id} not found")
    if request.state != "pending":
        raise Conflict("The request was decided already", {"state": [request.state]})
    next_state(instruction.state, "decide_extension")
    request.state = "approved" if approve else "rejected"
    request.decision_note, request.decided_by, request.decided_at = note, principal.sub, utcnow()
    details: dict[str, Any] = {"extension": request.id, "decision": request.state}
    if approve:
        details["deadline"] = [instruction.deadline, request.requested_deadline]
        details["deadline"] = [d.isoformat() for d in details["deadline"]]
        instruction.deadline = request.requested_deadline
    _event(session, instruction, principal, "decide_extension", instruction.state, note,
           **details)
    session.flush()
    return request


# -- what runs read ------------------------------------------------------------------

def metrics(session: Session, period_code: str, unit: str | None = None) -> list[dict[str, Any]]:
    """Per responsible unit (lead or assisting): instructions whose deadline in force
    falls in the period, how many of them were closed on time, and the rate (None when
    none fell due)."""
    _kind, start, end = parse_period(period_code)
    query = (select(Instruction, InstructionUnit.unit_code)
             .join(InstructionUnit, InstructionUnit.instruction_id == Instruction.id)
             .where(Instruction.deadline >= start, Instruction.deadline <= end))
    if unit:
        query = query.where(InstructionUnit.unit_code == unit)
    per_unit: dict[str, dict[str, Any]] = {}
    for instruction, code in session.execute(query):
        row = per_unit.setdefault(code, {"unit": code, "period": period_code,
                                         "instructions_due": 0, "closed_on_time": 0})
        row["instructions_due"] += 1
        row["closed_on_time"] += on_time(instruction)
    out = []
    for code in sorted(per_unit):
        row = per_unit[code]
        row["on_time_closure_rate"] = round(row["closed_on_time"] / row["instructions_due"], 6)
        out.append(row)
    return out


def on_time(instruction: Instruction) -> bool:
    """Verified (or closed) on a completion report made by the deadline in force."""
    return (instruction.state in DONE and instruction.submitted_on is not None
            and instruction.submitted_on <= instruction.deadline)
