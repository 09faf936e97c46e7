"""Raking margins from the scoring registry's margin rows (CONTRACTS.md:
``GET /api/v1/margins`` → ``{"unit", "variable", "category", "count"}``, a joint margin
as variable ``"age_band*sex"`` with category ``"18-34*F"``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

import numpy as np

from .errors import EstimationError
from .raking import Margin

JOINT_SEPARATOR = "*"


def _as_labels(values, name: str, n: int) -> np.ndarray:
    arr = np.asarray(values)
    if arr.shape != (n,):
        raise EstimationError(f"respondent values for {name} have the wrong length",
                              margin=name)
    if arr.dtype.kind == "U":
        return arr
    out = np.empty(n, dtype=object)
    out[:] = [None if v is None or (isinstance(v, float) and v != v) else str(v)
              for v in arr.tolist()]
    return out


def margins_from_rows(
    rows: Iterable[Mapping],
    townships,
    respondent_values: Mapping[str, object],
    *,
    tolerance: float = 1e-6,
) -> list[Margin]:
    """One Margin per registry variable, crossed with the township, so that each
    township is raked to its own counts.

    rows: registry margin rows for the poll's townships.
    townships: township code per respondent.
    respondent_values: variable name (e.g. ``age_band``, ``sex``) -> that variable's
        category per respondent (compared as strings with the registry's categories).
    Raises EstimationError naming the variable when a respondent value is missing, a
    joint category has the wrong number of parts, or a township's counts for two
    variables add up to different populations (beyond ``tolerance``, relative).
    """
    by_var: dict[str, dict[tuple, float]] = defaultdict(dict)
    totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for row in rows:
        variable, unit = str(row["variable"]), str(row["unit"])
        parts = str(row["category"]).split(JOINT_SEPARATOR)
        if len(parts) != len(variable.split(JOINT_SEPARATOR)):
            raise EstimationError(f"margin {variable}: category {row['category']!r} does not "
                                  f"match the variable", margin=variable,
                                  category=row["category"])
        by_var[variable][(unit, *parts)] = float(row["count"])
        totals[unit][variable] += float(row["count"])
    for unit, per_var in totals.items():
        values = list(per_var.values())
        if max(values) - min(values) > tolerance * max(values):
            raise EstimationError(f"township {unit}: margins add up to different totals "
                                  f"{dict(per_var)}", margin=min(per_var, key=per_var.get),
                                  errors={"margins": [f"{unit}: inconsistent totals"]})
    town = _as_labels(townships, "township", len(np.asarray(townships)))
    n = town.size
    margins = []
    for variable, population in by_var.items():
        arrays = [town]
        for part in variable.split(JOINT_SEPARATOR):
            if part not in respondent_values:
                raise EstimationError(f"margin {variable}: no respondent values for {part}",
                                      margin=variable)
            arrays.append(_as_labels(respondent_values[part], variable, n))
        margins.append(Margin(variable, arrays, population))
    return margins
