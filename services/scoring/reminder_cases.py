"""What reminders are about: every *case* with a deadline that a unit still has to meet,
as of a county day.

- ``self_check``: a month's self-check deadline (``periods.deadline``, its county date)
  for each active unit without a current self-check value of that month;
- ``milestone``: a key-task milestone due, not yet reported done;
- ``instruction``: an instruction still with its units (open, in progress, returned),
  one case per responsible unit;
- ``order``: a rectification order open or reopened, read from the inspection service
  over HTTP (``GET /api/v1/orders`` with a ``service`` token).

Only cases whose deadline lies between ``OVERDUE_DAYS`` before the day and
``days_before`` after it can have a reminder that day, so only those are read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from services.scoring import instructions, registry, self_checks
from services.scoring.key_tasks import completion_dates
from services.scoring.models.instructions import Instruction
from services.scoring.models.key_tasks import KeyTask, Milestone, ProgressReport
from services.scoring.models.periods import Period
from shared.config import COUNTY_TZ

# Overdue reminders stop this many days after the deadline.
OVERDUE_DAYS = 30

# Reads the open orders (dicts with id, unit, deadline, state) from the inspection service.
OrderSource = Callable[[], list[dict[str, Any]]]


@dataclass(frozen=True)
class Case:
    """Something a unit must do by ``deadline``; ``key`` names it across days."""

    key: str
    kind: str
    unit: str
    deadline: date
    subject: str


def open_cases(session: Session, day: date, days_before: int,
               orders: OrderSource | None = None) -> list[Case]:
    """Every case whose deadline is within [day − OVERDUE_DAYS, day + days_before]."""
    first, last = day - timedelta(days=OVERDUE_DAYS), day + timedelta(days=days_before)
    cases = [*_self_checks(session, day, first, last), *_milestones(session, first, last),
             *_instructions(session, first, last)]
    if orders is not None:
        cases += [Case(f"order:{o['id']}", "order", o["unit"], date.fromisoformat(o["deadline"]),
                       f"整改通知（第{o['id']}号）")
                  for o in orders() if o.get("state") in ("open", "reopened")
                  and first <= date.fromisoformat(o["deadline"]) <= last]
    return sorted(cases, key=lambda c: (c.deadline, c.key))


def _self_checks(session: Session, day: date, first: date, last: date) -> list[Case]:
    out = []
    for period in session.scalars(select(Period).where(Period.kind == "month",
                                                       Period.deadline.is_not(None))):
        deadline = period.deadline.astimezone(COUNTY_TZ).date() \
            if period.deadline.tzinfo else period.deadline.date()
        if not first <= deadline <= last:
            continue
        reported = {row["unit"] for row in self_checks.current_values(session, period=period.code)}
        year, month = period.code.split("-")
        for unit in registry.list_units(session, active=True, on=period.ends_on):
            if unit.code not in reported:
                out.append(Case(f"self_check:{period.code}:{unit.code}", "self_check", unit.code,
                                deadline, f"{year}年{int(month)}月自查报告"))
    return out


def _milestones(session: Session, first: date, last: date) -> list[Case]:
    rows = session.execute(select(Milestone, KeyTask).join(KeyTask, Milestone.task_id == KeyTask.id)
                           .options(selectinload(KeyTask.unit))
                           .where(Milestone.due_on >= first, Milestone.due_on <= last)).all()
    task_ids = {task.id for _m, task in rows}
    reports: dict[int, list[ProgressReport]] = {i: [] for i in task_ids}
    if task_ids:
        for report in session.scalars(select(ProgressReport).where(
                ProgressReport.task_id.in_(task_ids)).order_by(ProgressReport.id)):
            reports[report.task_id].append(report)
    out = []
    for milestone, task in rows:
        if milestone.seq in completion_dates(reports[task.id]):
            continue
        out.append(Case(f"milestone:{task.code}:{milestone.seq}", "milestone", task.unit_code,
                        milestone.due_on, f"重点任务“{task.title_zh}”第{milestone.seq}个节点"))
    return out


def _instructions(session: Session, first: date, last: date) -> list[Case]:
    found = session.scalars(select(Instruction).where(
        Instruction.state.in_(instructions.WITH_UNITS), Instruction.deadline >= first,
        Instruction.deadline <= last))
    return [Case(f"instruction:{i.id}:{u.unit_code}", "instruction", u.unit_code, i.deadline,
                 f"{i.leader}批示件“{i.title}”（{i.document_no}）")
            for i in found for u in i.units]
