"""Monthly self-checks: per indicator target, actual, narrative and evidence.

A unit reports for itself (a ``unit`` token only for its own unit). Each value is
checked against the indicator catalogue (the latest version of every scheme):
unknown indicator, wrong unit of measure, a negative value where the indicator does
not allow one. A value sent after the period's deadline is flagged late. Sending a
value that exists already is a correction: it needs a reason and becomes the next
version; every version is kept. A closed period takes corrections only.

Writes are all or nothing: 422 lists every invalid row, 409 every row that conflicts
with what is stored (already reported without a reason, closed period).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, and_, bindparam, cast, func, select, update
from sqlalchemy.orm import Session

from services.scoring.bulk_insert import bulk_insert
from services.scoring.models.periods import Period
from services.scoring.models.registry import Unit
from services.scoring.models.self_checks import SelfCheck
from services.scoring.periods import as_utc, get_period, is_late, months_in
from services.scoring.registry import get_unit
from services.scoring.reporters import Reporter
from services.scoring.schemes import indicator_catalogue
from services.scoring.spreadsheets import Sheet, read_table, refuse
from shared.db import utcnow
from shared.errors import Conflict, Forbidden, Problems
from shared.numbers import parse_number

IMPORT_REQUIRED = ("unit", "indicator", "target", "actual")
IMPORT_OPTIONAL = ("unit_of_measure", "narrative", "evidence", "reason", "submitted_at")
EXPORT_COLUMNS = ("unit", "period", "indicator", "version", "target", "actual",
                  "unit_of_measure", "narrative", "evidence", "submitted_at", "submitted_by",
                  "late", "reason")
CHUNK = 20_000


def _catalogue(session: Session) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in indicator_catalogue(session).items() if v["source"] == "self_check"}


COLUMNS = ("unit_id", "indicator", "version", "target", "actual", "unit_of_measure", "narrative",
           "evidence", "submitted_at", "late", "reason", "period_id", "is_current", "submitted_by")


class _Ingest:
    """Validates values one by one and keeps the rows to write, ready for the driver.

    This is the hot loop of a 300,000-row month: plain tuples and dicts, no ORM
    objects, and each column's bind processing (times, JSON, booleans) done once per
    distinct value.
    """

    def __init__(self, session: Session, period: Period, who: Reporter, default_reason: str):
        self.period, self.who, self.default_reason = period, who, default_reason
        # code -> (id, active during the period)
        self.units = {u.code: (u.id, u.is_active_on(period.starts_on)
                               or u.is_active_on(period.ends_on))
                      for u in session.scalars(select(Unit))}
        self.closed = period.state == "closed"
        self.catalogue = {k: (v.get("unit_of_measure", ""), bool(v.get("allow_negative")))
                          for k, v in _catalogue(session).items()}
        self.existing = {(uid, ind): (sid, ver) for sid, uid, ind, ver in session.execute(
            select(SelfCheck.id, SelfCheck.unit_id, SelfCheck.indicator, SelfCheck.version)
            .where(SelfCheck.period_id == period.id, SelfCheck.is_current.is_(True)))}
        self.invalid, self.conflicts, self.denied = Problems(), Problems(), Problems()
        self.rows: list[tuple] = []
        self.superseded: list[int] = []
        self.seen: dict[tuple[int, str], int | str] = {}
        self.now = utcnow()
        self.late_count = 0
        dialect = session.get_bind().dialect
        table = SelfCheck.__table__
        self._bind = {name: table.c[name].type._cached_bind_processor(dialect) or (lambda v: v)
                      for name in ("evidence", "submitted_at", "late", "is_current")}
        self._times: dict[datetime, tuple[Any, bool, Any]] = {}
        self._evidence: dict[tuple, Any] = {}
        self._tail = (period.id, self._bind["is_current"](True), who.actor)

    def add(self, where: int | str, code: str, indicator: str, target: float | None,
            actual: float | None, uom: str | None, narrative: str, evidence: tuple,
            reason: str | None, submitted_at: datetime | None) -> None:
        """Check one value; problems go to the error lists, a good value to ``rows``."""
        if self.who.unit_scope is not None and code != self.who.unit_scope:
            self.denied.add_row(where, "unit",
                                f"your token is scoped to unit {self.who.unit_scope}")
            return
        unit = self.units.get(code)
        if unit is None:
            self.invalid.add_row(where, "unit", f"unknown unit {code!r}")
        elif not unit[1]:
            self.invalid.add_row(where, "unit",
                                 f"unit {code!r} is not active in {self.period.code}")
        definition = self.catalogue.get(indicator)
        if definition is None:
            self.invalid.add_row(where, "indicator", f"unknown self-check indicator {indicator!r}")
        else:
            expected, allow_negative = definition
            if uom and uom != expected:
                self.invalid.add_row(where, "unit_of_measure",
                                 f"wrong unit {uom!r}; {indicator} is measured in {expected!r}")
            uom = expected
            if not allow_negative:
                if target is not None and target < 0:
                    self.invalid.add_row(where, "target", f"{indicator} cannot be negative")
                if actual is not None and actual < 0:
                    self.invalid.add_row(where, "actual", f"{indicator} cannot be negative")
        if actual is None:
            self.invalid.add_row(where, "actual", "is required")
        if submitted_at is None:
            submitted_at = self.now
        elif not self.who.may_backfill:
            self.denied.add_row(where, "submitted_at", "only staff may backfill submission times")
        if unit is None or definition is None:
            return
        key = (unit[0], indicator)
        if key in self.seen:
            self.invalid.add_row(where, "indicator", f"duplicate of {_label(self.seen[key])}")
            return
        self.seen[key] = where
        reason = reason or self.default_reason or None
        previous = self.existing.get(key)
        if previous is not None:
            if not reason:
                self.conflicts.add_row(where, "reason", f"{code}/{indicator} was reported already "
                                                    f"(version {previous[1]}); a correction "
                                                    "needs a reason")
            self.superseded.append(previous[0])
        elif self.closed and not reason:
            self.conflicts.add_row(where, "period", f"{self.period.code} is closed; only a "
                                                "correction with a reason is accepted")
        stamp = self._times.get(submitted_at)
        if stamp is None:
            late = is_late(self.period, submitted_at)
            stamp = self._times[submitted_at] = (self._bind["submitted_at"](submitted_at), late,
                                                 self._bind["late"](late))
        self.late_count += stamp[1]
        links = self._evidence.get(evidence)
        if links is None:
            links = self._evidence[evidence] = self._bind["evidence"](list(evidence))
        self.rows.append((unit[0], indicator, previous[1] + 1 if previous else 1, target, actual,
                          uom, narrative, links, stamp[0], stamp[2], reason, *self._tail))

    def add_item(self, where: int | str, item: dict[str, Any]) -> None:
        self.add(where, item.get("unit") or "", item.get("indicator") or "", item.get("target"),
                 item.get("actual"), item.get("unit_of_measure"), item.get("narrative") or "",
                 tuple(item.get("evidence") or ()), (item.get("reason") or "").strip() or None,
                 item.get("submitted_at"))

    def finish(self, session: Session) -> dict[str, int]:
        """Raise Forbidden, ValidationFailed or Conflict listing every problem; else write."""
        refuse(self.denied, "Self-check", Forbidden, "nothing was saved")
        refuse(self.invalid, "Self-check", outcome="nothing was saved")
        refuse(self.conflicts, "Self-check", Conflict, "nothing was saved")
        table = SelfCheck.__table__
        for start in range(0, len(self.superseded), CHUNK):
            session.execute(update(table).where(table.c.id == bindparam("sid"))
                            .values(is_current=False),
                            [{"sid": sid} for sid in self.superseded[start:start + CHUNK]])
        bulk_insert(session, table.name, COLUMNS, self.rows)
        return {"period": self.period.code, "values": len(self.rows),
                "corrections": len(self.superseded), "late": self.late_count,
                "units": len({row[0] for row in self.rows})}


def _label(where: int | str) -> str:
    return f"row {where}" if isinstance(where, int) else where


def submit(session: Session, period_code: str, items: Iterable[dict[str, Any]],
           who: Reporter, reason: str = "") -> dict[str, int]:
    """Store a list of self-check values (API); raise Forbidden, ValidationFailed, Conflict."""
    period = get_period(session, period_code)
    ingest = _Ingest(session, period, who, reason)
    for index, item in enumerate(items):
        ingest.add_item(f"items[{index}]", item)
    return ingest.finish(session)


def _number(text: str, number: int, field: str, errors: Problems) -> float | None:
    try:
        return parse_number(text)
    except ValueError:
        errors.add_row(number, field, f"not a number: {text[:40]!r}")
        return None


def _links(text: str, number: int, errors: Problems) -> tuple[str, ...]:
    links = tuple(text.split())
    bad = [link for link in links if not link.startswith(("https://", "http://"))]
    if bad:
        errors.add_row(number, "evidence", f"not a web link: {bad[0][:60]!r}")
    return links


def _stamp(text: str, number: int, errors: Problems) -> datetime | None:
    try:
        return as_utc(datetime.fromisoformat(text))
    except ValueError:
        errors.add_row(number, "submitted_at", "must be an ISO date-time")
        return None


def import_month(session: Session, period_code: str, filename: str, content: bytes,
                 who: Reporter, reason: str = "") -> dict[str, int]:
    """Import a whole month from a CSV/XLSX sheet (``IMPORT_REQUIRED`` columns, and
    ``IMPORT_OPTIONAL`` ones), all or nothing; raise Forbidden, ValidationFailed or
    Conflict listing rows and columns."""
    table = read_table(filename, content, IMPORT_REQUIRED, IMPORT_OPTIONAL)
    period = get_period(session, period_code)
    errors = table.errors
    if period.kind != "month":
        errors.add_row(1, "period", "self-checks are reported per month")
    ingest = _Ingest(session, period, who, reason.strip())
    column = {name: table.header.index(name) if name in table.header else None
              for name in IMPORT_REQUIRED + IMPORT_OPTIONAL}
    i_unit, i_ind, i_target, i_actual = (column[c] for c in IMPORT_REQUIRED)
    i_uom, i_text, i_evidence, i_reason, i_time = (column[c] for c in IMPORT_OPTIONAL)
    for number, cells in table.lists():
        ingest.add(number, cells[i_unit], cells[i_ind],
                   _number(cells[i_target], number, "target", errors),
                   _number(cells[i_actual], number, "actual", errors),
                   cells[i_uom] if i_uom is not None else None,
                   cells[i_text] if i_text is not None else "",
                   _links(cells[i_evidence], number, errors) if i_evidence is not None else (),
                   (cells[i_reason] or None) if i_reason is not None else None,
                   _stamp(cells[i_time], number, errors) if i_time is not None and cells[i_time]
                   else None)
    ingest.invalid.merge(errors)
    return ingest.finish(session)


def _query(unit: str | None, period: str | None, indicator: str | None, current_only: bool):
    query = (select(SelfCheck, Unit.code, Period.code)
             .join(Unit, SelfCheck.unit_id == Unit.id)
             .join(Period, SelfCheck.period_id == Period.id))
    if current_only:
        query = query.where(SelfCheck.is_current.is_(True))
    if unit:
        query = query.where(Unit.code == unit)
    if period:
        query = query.where(Period.code == period)
    if indicator:
        query = query.where(SelfCheck.indicator == indicator)
    return query.order_by(Period.starts_on, Unit.code, SelfCheck.indicator, SelfCheck.version)


def current_values(session: Session, unit: str | None = None,
                   period: str | None = None) -> list[dict[str, Any]]:
    """The contract rows: current version of each value (CONTRACTS.md)."""
    return [{"unit": u, "period": p, "indicator": s.indicator, "target": s.target,
             "actual": s.actual, "unit_of_measure": s.unit_of_measure, "version": s.version}
            for s, u, p in session.execute(_query(unit, period, None, True))]


def history(session: Session, unit: str | None = None, period: str | None = None,
            indicator: str | None = None, current_only: bool = False) -> list[dict[str, Any]]:
    """Every version (or the current ones) with narrative, evidence, late flag and reason."""
    return [{"unit": u, "period": p, "indicator": s.indicator, "version": s.version,
             "current": s.is_current, "target": s.target, "actual": s.actual,
             "unit_of_measure": s.unit_of_measure, "narrative": s.narrative,
             "evidence": s.evidence or [], "submitted_at": s.submitted_at,
             "submitted_by": s.submitted_by, "late": s.late, "reason": s.reason}
            for s, u, p in session.execute(_query(unit, period, indicator, current_only))]


def indicators(session: Session, unit: str | None = None) -> list[dict[str, Any]]:
    """The self-check indicators of the catalogue, with unit of measure and the range a
    value must lie in to be accepted (``minimum`` 0 unless negatives are allowed; no
    maximum is checked); for ``unit``, only those its kind reports."""
    kind = get_unit(session, unit).kind if unit else None
    return [{"id": code, "name_zh": leaf.get("name_zh", ""), "name_en": leaf.get("name_en", ""),
             "unit_of_measure": leaf.get("unit_of_measure", ""),
             "direction": leaf.get("direction", "higher"),
             "allow_negative": bool(leaf.get("allow_negative")),
             "minimum": None if leaf.get("allow_negative") else 0.0, "maximum": None,
             "kinds": list(leaf.get("kinds") or [])}
            for code, leaf in sorted(_catalogue(session).items())
            if kind is None or not leaf.get("kinds") or kind in leaf["kinds"]]


def sheet(session: Session, unit: str | None, period: str | None) -> Sheet:
    """The current values (with narrative, evidence, late flag) as a sheet."""
    return "self_checks", EXPORT_COLUMNS, [[row[c] for c in EXPORT_COLUMNS]
                                           for row in history(session, unit, period, None, True)]


def completeness(session: Session, period_code: str) -> dict[str, Any]:
    """Per month of a period: units, units reporting, values against expected, late
    values and units, corrected values.

    A unit is expected to report every catalogue self-check indicator whose ``kinds``
    include its kind (all indicators without ``kinds``).
    """
    catalogue = _catalogue(session)
    units = list(session.scalars(select(Unit)))
    months = []
    for code in months_in(period_code):
        period = session.scalar(select(Period).where(Period.code == code))
        active = [u for u in units if period and (u.is_active_on(period.starts_on)
                                                  or u.is_active_on(period.ends_on))]
        expected = sum(sum(1 for d in catalogue.values() if u.kind in d.get("kinds", [u.kind]))
                       for u in active)
        stats = dict.fromkeys(("units_reporting", "values", "late", "corrected", "units_late"), 0)
        if period is not None:
            current = and_(SelfCheck.period_id == period.id, SelfCheck.is_current.is_(True))
            row = session.execute(
                select(func.count(func.distinct(SelfCheck.unit_id)), func.count(),
                       func.coalesce(func.sum(cast(SelfCheck.late, Integer)), 0),
                       func.coalesce(func.sum(cast(SelfCheck.version > 1, Integer)), 0),
                       select(func.count(func.distinct(SelfCheck.unit_id)))
                       .where(current, SelfCheck.late.is_(True)).scalar_subquery())
                .where(current)).one()
            stats = dict(zip(stats, (int(v) for v in row), strict=True))
        months.append({"period": code, "defined": period is not None, "units": len(active),
                       "expected_values": expected, **stats,
                       "completeness": round(stats["values"] / expected, 4) if expected else None})
    return {"period": period_code, "months": months}
