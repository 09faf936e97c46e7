"""Warnings about a computation that is valid but probably not what the scheme meant.

They go into the method record (``result.method["warnings"]``), which a score run
stores and ``kaoping score compute`` prints.

Goalposts lie on the scale the values have *after* the indicator's transform: a log
transformed indicator with goalposts in raw units (``min: 100, max: 75000`` for values
whose logs are 4.6 to 11.2) puts every value below the lower goalpost and gives every
unit 0. When every value of an indicator (within the units that a goalposts
normalisation applies to) lies outside its goalposts, the scores carry no information;
:func:`goalpost_warnings` says so, with the transformed range and, for a log transform,
the bounds on the log scale.
"""

from __future__ import annotations

import math

import numpy as np

from services.scoring.engine.scheme import Normalisation


def goalpost_warnings(model) -> list[str]:
    """One sentence per goalposts normalisation that every value lies outside of.

    ``model`` is a :class:`services.scoring.engine.model.Model` after its point values
    (ratio, shrinkage, missing-data policy) are fixed.
    """
    out = []
    overridden: dict[int, dict[int, Normalisation]] = {}
    for g, j, norm in model.override_norms:
        overridden.setdefault(j, {})[g] = norm
    for j, indicator in enumerate(model.indicators):
        by_norm: dict[Normalisation, list[int]] = {}
        for g, segment in enumerate(model.segments):
            norm = overridden.get(j, {}).get(g, model.norms[j])
            if norm.method == "goalposts":
                by_norm.setdefault(norm, []).extend(range(segment.start, segment.stop))
        for norm, rows in by_norm.items():
            values = model.x0[rows, j].copy()[None, :]
            model.prepare(values, [j], point=True)  # the engine's own cap/log and direction
            values = values[0] * model.direction[j]  # back to the indicator's direction
            values = values[~np.isnan(values)]
            if values.size and np.all((values < norm.lower) | (values > norm.upper)):
                out.append(_sentence(indicator, norm, values, model.direction[j]))
    return out


def _sentence(indicator, norm: Normalisation, values: np.ndarray, direction: float) -> str:
    below = values < norm.lower
    scores = {(0 if direction > 0 else 100) if low else (100 if direction > 0 else 0)
              for low in below.tolist()}
    kind = indicator.transform.kind if indicator.transform is not None else None
    scale = f"after the {kind} transform " if kind else ""
    text = (f"{indicator.id}: every value {scale}lies outside the goalposts "
            f"[{norm.lower:g}, {norm.upper:g}] (values {values.min():.4g} to "
            f"{values.max():.4g}), so every unit scores {' or '.join(map(str, sorted(scores)))}")
    if kind:
        text += "; goalposts are on the scale of the transformed values"
    if kind == "log" and norm.lower > 0:
        text += (f" (raw bounds {norm.lower:g} and {norm.upper:g} would be min: "
                 f"{math.log(norm.lower):.4g}, max: {math.log(norm.upper):.4g})")
    return text
