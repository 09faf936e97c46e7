"""Words for the values the services answer (states, kinds, roles), in the catalogue."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

LABELS = {
    # roles
    "admin": _l("Administrator"), "planner": _l("Planner"), "inspector": _l("Inspector"),
    "unit": _l("Unit reporter"), "analyst": _l("Analyst"), "leader": _l("Leader"),
    # visits
    "scheduled": _l("scheduled"), "checked_in": _l("checked in"), "submitted": _l("submitted"),
    "returned": _l("returned"), "approved": _l("approved"),
    # orders (and periods: open, closed)
    "open": _l("open"), "closed": _l("closed"), "reopened": _l("reopened"),
    # runs
    "monthly": _l("monthly"), "quarterly": _l("quarterly"), "mid-year": _l("mid-year"),
    "year-end": _l("year-end"), "computed": _l("computed"), "published": _l("published"),
    # findings
    "minor": _l("minor"), "major": _l("major"), "critical": _l("critical"),
    # check-in flags
    "far_from_unit": _l("far from the unit"), "mock_location": _l("mock location"),
    "low_accuracy": _l("low accuracy"), "location_unknown": _l("unit location unknown"),
    "self_check_unavailable": _l("self-check not available"),
    "outside_plan_window": _l("outside the plan's window"),
    # telephone campaigns
    "draft": _l("draft"), "running": _l("calling"), "paused": _l("paused"),
    "cancelled": _l("cancelled"), "finished": _l("finished"),
    # polls: modes and the fielding state
    "web": _l("web"), "phone": _l("telephone"), "paper": _l("paper"),
    "fielding": _l("in the field"),
    # how a plan's units were chosen
    "stratified_random": _l("stratified random draw"), "manual": _l("chosen by hand"),
    # key-task progress
    "not_started": _l("not started"), "in_progress": _l("in progress"), "done": _l("done"),
    "delayed": _l("delayed"), "blocked": _l("blocked"),
    # self-check status of the month
    "due": _l("not reported yet"), "overdue": _l("overdue"),
    # instructions: states, responsible units, extension requests, the trail's actions
    "verified": _l("verified"), "lead": _l("lead unit"),  # (in_progress: as key tasks)
    "assisting": _l("assisting unit"), "pending": _l("pending"),
    "rejected": _l("rejected"), "create": _l("recorded"), "report": _l("progress reported"),
    "report_completed": _l("reported done"), "verify": _l("verified"),
    "return": _l("returned"), "close": _l("closed"),
    "request_extension": _l("extension asked"), "decide_extension": _l("extension decided"),
    "instruction": _l("Instruction"), "order": _l("Rectification order"),
    "milestone": _l("Milestone"),
}


# Words that differ by what they describe: a plan that is "open" is announced.
PLAN_KINDS = {"open": _l("announced"), "unannounced": _l("unannounced")}


def label(value: str | None):
    """The catalogue's word for ``value``; the value itself when there is none."""
    return LABELS.get(value or "", value or "")


def plan_kind(value: str | None):
    return PLAN_KINDS.get(value or "", value or "")
