"""The values the engine scores: one row per unit, one column per indicator."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from services.scoring.engine.errors import EngineError
from shared.numbers import parse_number

DISCREPANCY_FIELD = "discrepancy_rate"


@dataclass
class Table:
    """``values`` and ``se`` are (units × indicators) in ``indicators`` order; NaN marks a
    missing value (values) or an exactly known one (se). ``fields`` holds reported
    fields that a ratio transform reads: {indicator: {field: (units,)}}.
    ``discrepancy`` is each unit's inspection discrepancy rate (NaN: none known)."""

    units: list[str]
    groups: list[str]
    indicators: list[str]
    values: np.ndarray
    se: np.ndarray
    fields: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    discrepancy: np.ndarray | None = None

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping], indicators: list[str],
                  row_numbers: Sequence[int] | None = None) -> Table:
        """Build from long rows {unit, group, indicator, value, se?, field?}.

        A row with ``field`` gives a reported field of a ratio indicator; a row whose
        indicator is ``discrepancy_rate`` gives the unit's inspection discrepancy rate.
        Values and SEs are read by :func:`shared.numbers.parse_number` (``1,234.5``,
        ``12%``; blank, ``NA``, ``nan`` … are missing). Raises EngineError listing
        unknown indicators, duplicates, a unit in two groups and unreadable numbers, by
        ``"row N"`` with N from ``row_numbers`` (a file's line numbers; default 1, 2, …).
        """
        errors: dict[str, list[str]] = {}
        unit_group: dict[str, str] = {}
        cells: dict[tuple[str, str], tuple[float, float]] = {}
        field_cells: dict[tuple[str, str, str], float] = {}
        rates: dict[str, float] = {}
        known = set(indicators)
        for index, row in enumerate(rows):
            where = f"row {row_numbers[index] if row_numbers is not None else index + 1}"
            unit, group = str(row.get("unit") or "").strip(), str(row.get("group") or "").strip()
            ind = str(row.get("indicator") or "").strip()
            fld = str(row.get("field") or "").strip()
            if not unit or not group or not ind:
                errors.setdefault(where, []).append("unit, group and indicator are required")
                continue
            if unit_group.setdefault(unit, group) != group:
                errors.setdefault(where, []).append(
                    f"unit {unit} is in group {unit_group[unit]} already"
                )
            value, se = _number(row, "value", where, errors), _number(row, "se", where, errors)
            if se is not None and se < 0:
                errors.setdefault(where, []).append("se must be ≥ 0")
            if ind == DISCREPANCY_FIELD:
                rates[unit] = math.nan if value is None else value
                continue
            if ind not in known:
                errors.setdefault(where, []).append(f"unknown indicator {ind!r}")
                continue
            key = (unit, ind, fld)
            if (key in field_cells) if fld else ((unit, ind) in cells):
                errors.setdefault(where, []).append(
                    f"duplicate value for {unit} / {ind} {fld}".strip()
                )
            if fld:
                field_cells[key] = math.nan if value is None else value
            else:
                cells[(unit, ind)] = (
                    math.nan if value is None else value,
                    math.nan if se is None else se,
                )
        if errors:
            raise EngineError("invalid values table", errors)
        units = sorted(unit_group)
        return cls.from_cells(
            units, [unit_group[u] for u in units], indicators, cells, field_cells, rates
        )

    @classmethod
    def from_cells(cls, units, groups, indicators, cells, field_cells=None, rates=None) -> Table:
        """From {(unit, ind): (value, se)}, {(unit, ind, field): value}, {unit: rate}."""
        row = {u: i for i, u in enumerate(units)}
        col = {c: j for j, c in enumerate(indicators)}
        values = np.full((len(units), len(indicators)), np.nan)
        se = np.full_like(values, np.nan)
        for (u, ind), (v, s) in cells.items():
            values[row[u], col[ind]] = v
            se[row[u], col[ind]] = s
        fields: dict[str, dict[str, np.ndarray]] = {}
        for (u, ind, fld), v in (field_cells or {}).items():
            fields.setdefault(ind, {}).setdefault(fld, np.full(len(units), np.nan))[row[u]] = v
        discrepancy = None
        if rates:
            discrepancy = np.array([rates.get(u, np.nan) for u in units], dtype=float)
        return cls(list(units), list(groups), list(indicators), values, se, fields, discrepancy)

    def validate(self) -> None:
        n, k = len(self.units), len(self.indicators)
        if len(self.groups) != n or self.values.shape != (n, k) or self.se.shape != (n, k):
            raise EngineError("table shapes disagree", {"table": [f"{n} units, {k} indicators"]})
        if len(set(self.units)) != n:
            raise EngineError("duplicate unit codes", {"units": ["duplicate"]})
        if n == 0:
            raise EngineError("no units to score", {"units": ["empty"]})


def _number(row: Mapping, column: str, where: str, errors: dict[str, list[str]]) -> float | None:
    try:
        return parse_number(row.get(column))
    except ValueError:
        errors.setdefault(where, []).append(f"{column} {row.get(column)!r} is not a number")
        return None
