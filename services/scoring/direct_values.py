"""Direct indicator values: imported per unit and period from other systems.

Only indicators whose source is ``direct`` in the catalogue are accepted. An import
(CSV, XLSX or JSON) carries a source label; a value that exists for the same unit,
period and indicator is replaced (the latest import wins, with its label and time).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.scoring.models.direct_values import DirectValue
from services.scoring.models.periods import Period
from services.scoring.models.registry import Unit
from services.scoring.schemes import indicator_catalogue
from services.scoring.spreadsheets import Sheet, read_table, refuse
from shared.db import utcnow
from shared.errors import Problems
from shared.numbers import parse_number

REQUIRED = ("unit", "period", "indicator", "value")
OPTIONAL = ("source_label",)
EXPORT_COLUMNS = ("unit", "period", "indicator", "value", "source_label", "imported_at",
                  "imported_by")


def _store(session: Session, items: Iterable[tuple[int | str, dict[str, Any]]],
           errors: Problems, source_label: str, actor: str) -> dict[str, int]:
    units = dict(session.execute(select(Unit.code, Unit.id)).all())
    periods = dict(session.execute(select(Period.code, Period.id)).all())
    catalogue = {k: v for k, v in indicator_catalogue(session).items() if v["source"] == "direct"}
    seen: dict[tuple[str, str, str], int | str] = {}
    rows = []
    for where, item in items:
        unit, period, indicator = item.get("unit"), item.get("period"), item.get("indicator")
        if unit not in units:
            errors.add_row(where, "unit", f"unknown unit {unit!r}")
        if period not in periods:
            errors.add_row(where, "period", f"period {period!r} is not defined")
        definition = catalogue.get(indicator)
        if definition is None:
            errors.add_row(where, "indicator",
                           f"{indicator!r} is not a direct indicator of any scheme")
        value = item.get("value")
        if value is None:
            errors.add_row(where, "value", "is required")
        elif definition and value < 0 and not definition.get("allow_negative"):
            errors.add_row(where, "value", f"{indicator} cannot be negative")
        label = item.get("source_label") or source_label
        if not label:
            errors.add_row(where, "source_label", "name the system the value comes from")
        key = (unit, period, indicator)
        if key in seen:
            errors.add_row(where, "indicator", f"duplicate of {seen[key]}")
        seen.setdefault(key, where if isinstance(where, str) else f"row {where}")
        rows.append((key, value, label))
    refuse(errors, "Direct value import")
    existing = {(v.unit_id, v.period_id, v.indicator): v for v in session.scalars(
        select(DirectValue).where(DirectValue.indicator.in_({k[2] for k, _v, _l in rows})))}
    now, created = utcnow(), 0
    for (unit, period, indicator), value, label in rows:
        key = (units[unit], periods[period], indicator)
        record = existing.get(key)
        if record is None:
            created += 1
            record = DirectValue(unit_id=key[0], period_id=key[1], indicator=indicator)
            session.add(record)
            existing[key] = record
        record.value, record.source_label = value, label
        record.imported_at, record.imported_by = now, actor
    session.flush()
    return {"values": len(rows), "created": created, "replaced": len(rows) - created}


def import_json(session: Session, items: list[dict[str, Any]], source_label: str,
                actor: str) -> dict[str, int]:
    """Store values sent as JSON, all or nothing (errors name ``items[i]``)."""
    return _store(session, ((f"items[{i}]", item) for i, item in enumerate(items)),
                  Problems(), source_label, actor)


def import_table(session: Session, filename: str, content: bytes, source_label: str,
                 actor: str) -> dict[str, int]:
    """Store values from a CSV/XLSX sheet (``REQUIRED`` columns, optional
    ``source_label``, else ``source_label`` for every row), all or nothing."""
    table = read_table(filename, content, REQUIRED, OPTIONAL)

    def parsed():
        for number, row in table:
            item: dict[str, Any] = {k: row.get(k, "") for k in REQUIRED + OPTIONAL}
            try:
                value = parse_number(row["value"])
            except ValueError:
                table.errors.add_row(number, "value", f"not a number: {row['value'][:40]!r}")
                value = 0.0
            if value is None:
                table.errors.add_row(number, "value", "is required")
            item["value"] = 0.0 if value is None else value
            yield number, item

    return _store(session, parsed(), table.errors, source_label, actor)


def list_values(session: Session, period: str | None = None, unit: str | None = None,
                indicator: str | None = None) -> list[dict[str, Any]]:
    query = (select(DirectValue, Unit.code, Period.code)
             .join(Unit, DirectValue.unit_id == Unit.id)
             .join(Period, DirectValue.period_id == Period.id)
             .order_by(Period.starts_on, Period.ends_on, Unit.code, DirectValue.indicator))
    if period:
        query = query.where(Period.code == period)
    if unit:
        query = query.where(Unit.code == unit)
    if indicator:
        query = query.where(DirectValue.indicator == indicator)
    return [{"unit": u, "period": p, "indicator": v.indicator, "value": v.value,
             "source_label": v.source_label, "imported_at": v.imported_at,
             "imported_by": v.imported_by} for v, u, p in session.execute(query)]


def sheet(session: Session, period: str | None = None, unit: str | None = None,
          indicator: str | None = None) -> Sheet:
    """The values of :func:`list_values` as a sheet."""
    return "direct_values", EXPORT_COLUMNS, [
        [row[c] for c in EXPORT_COLUMNS] for row in list_values(session, period, unit, indicator)]
