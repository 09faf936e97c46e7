"""Key tasks: major matters, key tasks and city projects with dated milestones.

Units report progress (percent, status, narrative, evidence; ``completed_on`` when a
milestone is done). Per unit and period the service derives:

- on-time milestone rate = milestones due in the period that were completed on or
  before their due date / milestones due in the period (None when none fell due);
- progress lag = mean over the unit's tasks with a plan by the period's end of
  max(0, planned − reported) percentage points, where planned is the cumulative
  ``planned_percent`` of the last milestone due by then and reported is the percent
  of the latest report as of then (0 without one).

The scheme reads them as ``key_task`` indicators (``metric: on_time_rate`` or
``progress_lag``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager, selectinload

from services.scoring.models.key_tasks import (
    PROGRESS_STATUSES,
    TASK_CATEGORIES,
    KeyTask,
    Milestone,
    ProgressReport,
)
from services.scoring.models.registry import Unit
from services.scoring.periods import parse_period
from services.scoring.reporters import Reporter, check_unit
from services.scoring.spreadsheets import Sheet, read_table, refuse
from shared.auth import Principal
from shared.config import county_today
from shared.db import get_or_404, utcnow
from shared.errors import Forbidden, NotFound, Problems
from shared.numbers import parse_number

TASK_COLUMNS = ("task", "title_zh", "title_en", "category", "unit", "leader", "cadence",
                "milestone", "milestone_title", "due_on", "planned_percent")
TASK_REQUIRED = ("task", "title_zh", "title_en", "category", "unit", "milestone", "due_on")
PROGRESS_COLUMNS = ("task", "milestone", "as_of", "percent", "status", "completed_on",
                    "narrative", "evidence")
PROGRESS_REQUIRED = ("task", "percent", "status")
CADENCES = ("monthly", "quarterly")


def list_tasks(session: Session, unit: str | None = None,
               category: str | None = None) -> list[KeyTask]:
    """Tasks by code with their milestones, of one unit or category if given."""
    query = (select(KeyTask).join(Unit, KeyTask.unit_id == Unit.id)
             .options(contains_eager(KeyTask.unit), selectinload(KeyTask.milestones))
             .order_by(KeyTask.code))
    if unit:
        query = query.where(Unit.code == unit)
    if category:
        query = query.where(KeyTask.category == category)
    return list(session.scalars(query))


def get_task(session: Session, code: str) -> KeyTask:
    """Raise NotFound for an unknown code."""
    task = session.scalar(select(KeyTask).where(KeyTask.code == code))
    if task is None:
        raise NotFound(f"Key task {code!r} not found")
    return task


def read_task(session: Session, code: str, principal: Principal) -> KeyTask:
    """A task as the principal may see it: NotFound for another unit's task asked by a
    unit token (it must not learn that the code exists)."""
    task = get_task(session, code)
    check_unit(principal, task.unit_code, hide=True)
    return task


def sheet(session: Session) -> Sheet:
    """Every task as a sheet: one row per milestone, as the import reads it."""
    return "key_tasks", TASK_COLUMNS, [
        [t.code, t.title_zh, t.title_en, t.category, t.unit_code, t.leader, t.cadence, m.seq,
         m.title, m.due_on, m.planned_percent]
        for t in list_tasks(session) for m in t.milestones]


def _check_task(data: dict[str, Any], units: dict[str, int], add) -> None:
    for key in ("code", "title_zh", "title_en"):
        if not data.get(key):
            add(key, "is required")
    if data.get("category") not in TASK_CATEGORIES:
        add("category", f"one of {', '.join(TASK_CATEGORIES)}")
    if data.get("unit") not in units:
        add("unit", f"unknown unit {data.get('unit')!r}")
    if data.get("cadence", "monthly") not in CADENCES:
        add("cadence", f"one of {', '.join(CADENCES)}")
    milestones = data.get("milestones") or []
    if not milestones:
        add("milestones", "a task needs at least one milestone")
    seqs = [m.get("seq") for m in milestones]
    if len(set(seqs)) != len(seqs):
        add("milestones", "milestone numbers repeat")
    ordered = sorted(milestones, key=lambda m: m.get("seq") or 0)
    last_due, last_plan = None, 0.0
    for milestone in ordered:
        due, plan = milestone.get("due_on"), milestone.get("planned_percent")
        if due is None:
            add("milestones", f"milestone {milestone.get('seq')} needs due_on")
        elif last_due and due < last_due:
            add("milestones", f"milestone {milestone.get('seq')} is due before the one before it")
        if plan is not None and (plan < last_plan or plan > 100):
            add("milestones", f"milestone {milestone.get('seq')}: planned_percent must grow "
                              "and stay within 0..100")
        last_due, last_plan = due or last_due, plan if plan is not None else last_plan


def _store_task(session: Session, data: dict[str, Any], units: dict[str, int]) -> KeyTask:
    unit = session.get(Unit, units[data["unit"]])
    task = session.scalar(select(KeyTask).where(KeyTask.code == data["code"])
                          .options(selectinload(KeyTask.milestones)))
    if task is None:
        task = KeyTask(code=data["code"])
        session.add(task)
    task.title_zh, task.title_en = data["title_zh"], data["title_en"]
    task.category, task.unit = data["category"], unit
    task.leader, task.cadence = data.get("leader") or "", data.get("cadence") or "monthly"
    ordered = sorted(data["milestones"], key=lambda m: m["seq"])
    task.milestones.clear()
    session.flush()
    for index, m in enumerate(ordered, start=1):
        plan = m.get("planned_percent")
        task.milestones.append(Milestone(
            seq=m["seq"], title=m.get("title") or "", due_on=m["due_on"],
            planned_percent=plan if plan is not None else round(100 * index / len(ordered), 2)))
    session.flush()
    return task


def _unit_ids(session: Session) -> dict[str, int]:
    return dict(session.execute(select(Unit.code, Unit.id)).all())


def save_task(session: Session, data: dict[str, Any]) -> KeyTask:
    """Create or replace a task with its milestones; raise ValidationFailed."""
    units = _unit_ids(session)
    problems = Problems()
    _check_task(data, units, problems.add)
    problems.raise_if_any("Invalid key task")
    return _store_task(session, data, units)


def import_tasks(session: Session, filename: str, content: bytes) -> dict[str, int]:
    """Tasks from a CSV/XLSX sheet (``TASK_COLUMNS``), one row per milestone; rows of a
    task repeat its fields. All or nothing."""
    table = read_table(filename, content, TASK_REQUIRED,
                       tuple(c for c in TASK_COLUMNS if c not in TASK_REQUIRED))
    units, errors = _unit_ids(session), table.errors
    tasks: dict[str, dict[str, Any]] = {}
    first_rows: dict[str, int] = {}
    for number, row in table:
        code = row["task"]
        fields = {k: row.get(k, "") for k in ("title_zh", "title_en", "category", "unit",
                                               "leader", "cadence")}
        task = tasks.setdefault(code, {"code": code, **fields, "milestones": []})
        first_rows.setdefault(code, number)
        for key, value in fields.items():
            if value != task[key]:
                errors.add_row(number, key, f"differs from row {first_rows[code]} of task {code}")
        milestone = _parse_milestone(number, row, errors)
        if any(m["seq"] == milestone["seq"] for m in task["milestones"]):
            errors.add_row(number, "milestone", f"duplicate milestone {milestone['seq']} of {code}")
        task["milestones"].append(milestone)
    for code, task in tasks.items():
        task["cadence"] = task["cadence"] or "monthly"
        _check_task(task, units, lambda k, r, n=first_rows[code]: errors.add_row(n, k, r))
    refuse(errors, "Key task import")
    for task in tasks.values():
        _store_task(session, task, units)
    return {"tasks": len(tasks), "milestones": sum(len(t["milestones"]) for t in tasks.values())}


def _parse_milestone(number: int, row: dict[str, str], errors: Problems) -> dict[str, Any]:
    milestone: dict[str, Any] = {"seq": None, "title": row.get("milestone_title", ""),
                                 "due_on": None, "planned_percent": None}
    try:
        milestone["seq"] = int(row.get("milestone", ""))
    except ValueError:
        errors.add_row(number, "milestone", "must be a whole number")
    try:
        milestone["due_on"] = date.fromisoformat(row.get("due_on", ""))
    except ValueError:
        errors.add_row(number, "due_on", "must be a date YYYY-MM-DD")
    try:
        planned = parse_number(row.get("planned_percent"))
    except ValueError:
        errors.add_row(number, "planned_percent", "must be a number")
    else:
        if planned is not None:
            milestone["planned_percent"] = planned
    return milestone


# -- progress ------------------------------------------------------------------------

def _check_progress(task: KeyTask, data: dict[str, Any], who: Reporter, add) -> bool:
    """Report each problem of a progress report as ``add(field, reason)``; False (and
    nothing reported) when ``who`` may not report on the task."""
    if who.unit_scope is not None and who.unit_scope != task.unit_code:
        return False
    percent = data.get("percent")
    if percent is None or not 0 <= percent <= 100:
        add("percent", "must be within 0..100")
    if data.get("status") not in PROGRESS_STATUSES:
        add("status", f"one of {', '.join(PROGRESS_STATUSES)}")
    seq = data.get("milestone")
    if seq is not None and seq not in {m.seq for m in task.milestones}:
        add("milestone", f"task {task.code} has no milestone {seq}")
    if data.get("status") == "done" and seq is not None and data.get("completed_on") is None:
        add("completed_on", "a done milestone needs its completion date")
    for link in data.get("evidence") or []:
        if not str(link).startswith(("https://", "http://")):
            add("evidence", f"not a web link: {str(link)[:60]!r}")
    return True


def _progress_row(task: KeyTask, data: dict[str, Any], who: Reporter) -> ProgressReport:
    return ProgressReport(task_id=task.id, milestone_seq=data.get("milestone"),
                          as_of=data.get("as_of") or county_today(), percent=data["percent"],
                          status=data["status"], completed_on=data.get("completed_on"),
                          narrative=data.get("narrative") or "",
                          evidence=list(data.get("evidence") or []), reported_at=utcnow(),
                          reported_by=who.actor)


def report_progress(session: Session, code: str, data: dict[str, Any],
                    who: Reporter) -> ProgressReport:
    """Record a progress report; Forbidden for another unit's task, else ValidationFailed."""
    task = get_task(session, code)
    problems = Problems()
    if not _check_progress(task, data, who, problems.add):
        raise Forbidden(f"Task {code} belongs to unit {task.unit_code}, not {who.unit_scope}")
    problems.raise_if_any("Invalid progress report")
    report = _progress_row(task, data, who)
    session.add(report)
    session.flush()
    return report


def import_progress(session: Session, filename: str, content: bytes,
                    who: Reporter) -> dict[str, int]:
    """Progress reports from a CSV/XLSX sheet (``PROGRESS_COLUMNS``, the first three
    required), all or nothing; another unit's task is a 403."""
    table = read_table(filename, content, PROGRESS_REQUIRED,
                       tuple(c for c in PROGRESS_COLUMNS if c not in PROGRESS_REQUIRED))
    errors, denied = table.errors, Problems()
    tasks = {t.code: t for t in list_tasks(session)}
    reports = []
    for number, row in table:
        found = tasks.get(row["task"])
        if found is None:
            errors.add_row(number, "task", f"unknown task {row['task']!r}")
            continue
        data = _parse_progress(number, row, errors)
        if not _check_progress(found, data, who, lambda k, r, n=number: errors.add_row(n, k, r)):
            denied.add_row(number, "task", f"task belongs to unit {found.unit_code}")
        reports.append((found, data))
    refuse(denied, "Progress import", Forbidden)
    refuse(errors, "Progress import")
    session.add_all(_progress_row(task, data, who) for task, data in reports)
    session.flush()
    return {"reports": len(reports)}


def _parse_progress(number: int, row: dict[str, str], errors: Problems) -> dict[str, Any]:
    data: dict[str, Any] = {"status": row.get("status", ""), "narrative": row.get("narrative", ""),
                            "evidence": row.get("evidence", "").split(), "percent": None}
    if row.get("milestone"):
        try:
            data["milestone"] = int(row["milestone"])
        except ValueError:
            errors.add_row(number, "milestone", "must be a whole number")
    try:
        data["percent"] = parse_number(row.get("percent"))
    except ValueError:
        errors.add_row(number, "percent", "must be a number")
    else:
        if data["percent"] is None:
            errors.add_row(number, "percent", "is required")
    for key in ("as_of", "completed_on"):
        if row.get(key):
            try:
                data[key] = date.fromisoformat(row[key])
            except ValueError:
                errors.add_row(number, key, "must be a date YYYY-MM-DD")
    return data


def get_progress(session: Session, report_id: int) -> ProgressReport:
    """A progress report by id (what a replayed report answers)."""
    return get_or_404(session, ProgressReport, report_id, name="Progress report")


def list_progress(session: Session, code: str, principal: Principal) -> list[ProgressReport]:
    """A task's progress reports by date; Forbidden for another unit's task asked by a
    unit token."""
    task = get_task(session, code)
    check_unit(principal, task.unit_code)
    return list(session.scalars(select(ProgressReport).where(ProgressReport.task_id == task.id)
                                .order_by(ProgressReport.as_of, ProgressReport.id)))


# -- derived metrics -----------------------------------------------------------------

def metrics(session: Session, period_code: str, unit: str | None = None) -> list[dict[str, Any]]:
    """On-time milestone rate and progress lag per unit with tasks, for a period."""
    _kind, start, end = parse_period(period_code)
    tasks = list_tasks(session, unit)
    reports: dict[int, list[ProgressReport]] = defaultdict(list)
    ids = [t.id for t in tasks]
    if ids:
        for report in session.scalars(select(ProgressReport)
                                      .where(ProgressReport.task_id.in_(ids))
                                      .order_by(ProgressReport.as_of, ProgressReport.id)):
            reports[report.task_id].append(report)
    per_unit: dict[str, dict[str, Any]] = {}
    for task in tasks:
        code = task.unit_code
        row = per_unit.setdefault(code, {"unit": code, "period": period_code, "tasks": 0,
                                         "milestones_due": 0, "milestones_on_time": 0,
                                         "_lags": []})
        row["tasks"] += 1
        done = completion_dates(reports[task.id])
        for milestone in task.milestones:
            if start <= milestone.due_on <= end:
                row["milestones_due"] += 1
                finished = done.get(milestone.seq)
                row["milestones_on_time"] += bool(finished and finished <= milestone.due_on)
        planned = max((m.planned_percent for m in task.milestones if m.due_on <= end),
                      default=None)
        if planned:
            latest = [r for r in reports[task.id] if r.as_of <= end]
            reported = latest[-1].percent if latest else 0.0
            row["_lags"].append(max(0.0, planned - reported))
    out = []
    for code in sorted(per_unit):
        row = per_unit[code]
        lags = row.pop("_lags")
        due = row["milestones_due"]
        row["on_time_rate"] = round(row["milestones_on_time"] / due, 6) if due else None
        row["progress_lag"] = round(sum(lags) / len(lags), 4) if lags else None
        out.append(row)
    return out


def completion_dates(reports: list[ProgressReport]) -> dict[int, date]:
    """Milestone → earliest stated completion date among its ``done`` reports."""
    done: dict[int, date] = {}
    for report in reports:
        if report.status == "done" and report.milestone_seq is not None and report.completed_on:
            seq = report.milestone_seq
            done[seq] = min(done.get(seq, report.completed_on), report.completed_on)
    return done
