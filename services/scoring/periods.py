"""Periods: ``2026-06`` (month), ``2026-Q2``, ``2026-H1``, ``2026`` — dates, state, deadline.

A closed period takes no new self-check data except a correction with a reason. The
self-check deadline defaults to the end of the day ``deadline_days`` days after the
period ends, in Asia/Shanghai (the service passes ``SCORING_DEADLINE_DAYS``, 10).
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.scoring.models.periods import Period
from shared.config import COUNTY_TZ as LOCAL_TZ
from shared.errors import Conflict, NotFound, ValidationFailed

DEFAULT_DEADLINE_DAYS = 10
_PATTERNS = (
    (re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"), "month"),
    (re.compile(r"^(\d{4})-Q([1-4])$"), "quarter"),
    (re.compile(r"^(\d{4})-H([12])$"), "half_year"),
    (re.compile(r"^(\d{4})$"), "year"),
)


def parse_period(code: str) -> tuple[str, date, date]:
    """``(kind, first day, last day)`` of a period code; raise ValidationFailed if malformed."""
    for pattern, kind in _PATTERNS:
        match = pattern.match(code or "")
        if not match:
            continue
        year = int(match.group(1))
        part = int(match.group(2)) if kind != "year" else 1
        months = {"month": 1, "quarter": 3, "half_year": 6, "year": 12}[kind]
        first_month = (part - 1) * months + 1
        last_month = first_month + months - 1
        return (kind, date(year, first_month, 1),
                date(year, last_month, calendar.monthrange(year, last_month)[1]))
    raise ValidationFailed(f"Malformed period code {code!r}",
                           {"period": ["use 2026-06, 2026-Q2, 2026-H1 or 2026"]})


def months_in(code: str) -> list[str]:
    """Month codes covered by a period, in order."""
    _kind, start, end = parse_period(code)
    return [f"{start.year}-{m:02d}" for m in range(start.month, end.month + 1)]


def as_utc(when: datetime) -> datetime:
    """Aware UTC; a naive value is taken as UTC (SQLite hands back naive UTC)."""
    if when.tzinfo is None:
        return when.replace(tzinfo=UTC)
    return when.astimezone(UTC)


def default_deadline(ends_on: date, days: int) -> datetime:
    """The end of the day ``days`` days after ``ends_on``, Asia/Shanghai, as UTC."""
    local = datetime.combine(ends_on + timedelta(days=days), time(23, 59, 59), LOCAL_TZ)
    return as_utc(local)


def get_period(session: Session, code: str) -> Period:
    """Raise ValidationFailed for a malformed code, NotFound when not defined."""
    parse_period(code)
    period = session.scalar(select(Period).where(Period.code == code))
    if period is None:
        raise NotFound(f"Period {code!r} is not defined; a planner creates it first")
    return period


def list_periods(session: Session, kind: str | None = None) -> list[Period]:
    query = select(Period).order_by(Period.starts_on, Period.ends_on.desc())
    if kind:
        query = query.where(Period.kind == kind)
    return list(session.scalars(query))


def create_period(session: Session, code: str, deadline: datetime | None = None,
                  state: str = "open", *, deadline_days: int = DEFAULT_DEADLINE_DAYS) -> Period:
    """Define a period; without ``deadline`` its self-check deadline is ``deadline_days``
    after its end (:func:`default_deadline`). Raise Conflict when the period exists."""
    kind, start, end = parse_period(code)
    if session.scalar(select(Period).where(Period.code == code)) is not None:
        raise Conflict(f"Period {code!r} exists", {"code": ["already exists"]})
    period = Period(code=code, kind=kind, starts_on=start, ends_on=end, state=state,
                    deadline=as_utc(deadline) if deadline else default_deadline(end, deadline_days))
    session.add(period)
    session.flush()
    return period


def create_year(session: Session, year: int, *,
                deadline_days: int = DEFAULT_DEADLINE_DAYS) -> list[Period]:
    """Create the 12 months, 4 quarters, 2 half-years and the year (those missing)."""
    codes = ([f"{year}-{m:02d}" for m in range(1, 13)] + [f"{year}-Q{q}" for q in range(1, 5)]
             + [f"{year}-H1", f"{year}-H2", str(year)])
    existing = set(session.scalars(select(Period.code).where(Period.code.in_(codes))))
    return [create_period(session, code, deadline_days=deadline_days)
            for code in codes if code not in existing]


def update_period(session: Session, code: str, state: str | None = None,
                  deadline: datetime | None = None) -> Period:
    period = get_period(session, code)
    if state is not None:
        period.state = state
    if deadline is not None:
        period.deadline = as_utc(deadline)
    session.flush()
    return period


def is_late(period: Period, when: datetime) -> bool:
    """True when ``when`` is after the period's deadline (naive datetimes are UTC)."""
    if period.deadline is None:
        return False
    return as_utc(when) > as_utc(period.deadline)
