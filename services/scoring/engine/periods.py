"""Period aggregation: monthly → quarterly → half-year → year-end, with stated weights.

Each step is a weighted mean of the periods below it, re-weighted over the periods
present. The year-end result blends the day-to-day results (the months/quarters of the
year) with the year-end snapshot assessment; "注重平时，淡化年终" — day-to-day work
counts more — so the default named weighting is ``daily_70`` (0.7 day-to-day, 0.3
snapshot).
"""

from __future__ import annotations

import numpy as np

from services.scoring.engine.errors import EngineError

YEAR_END_WEIGHTS: dict[str, tuple[float, float]] = {
    "daily_70": (0.7, 0.3),
    "daily_60": (0.6, 0.4),
    "daily_80": (0.8, 0.2),
    "equal": (0.5, 0.5),
}
DEFAULT_YEAR_END = "daily_70"


def combine(values, weights=None) -> np.ndarray:
    """Weighted mean over the first axis (periods), skipping missing (NaN) periods.

    ``values`` is (periods, …); ``weights`` defaults to equal. A unit missing in every
    period stays NaN. Raises EngineError for negative weights or a length mismatch.
    """
    v = np.asarray(values, dtype=float)
    w = np.ones(v.shape[0]) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (v.shape[0],) or np.any(w < 0) or w.sum() <= 0:
        raise EngineError(
            "period weights must be one non-negative number per period", {"weights": [str(list(w))]}
        )
    wb = w.reshape((-1,) + (1,) * (v.ndim - 1))
    present = ~np.isnan(v)
    den = np.sum(wb * present, axis=0)
    num = np.sum(np.where(present, v, 0.0) * wb, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def quarter(months, weights=None) -> np.ndarray:
    """A quarter from its three months (equal weights unless given)."""
    return combine(_check(months, 3, "months"), weights)


def half_year(quarters, weights=None) -> np.ndarray:
    """A half-year from its two quarters."""
    return combine(_check(quarters, 2, "quarters"), weights)


def year_end(
    day_to_day, snapshot, weighting: str | tuple[float, float] = DEFAULT_YEAR_END
) -> np.ndarray:
    """Year-end result: w_d · day-to-day + w_s · snapshot (named weighting or a pair)."""
    if isinstance(weighting, str):
        if weighting not in YEAR_END_WEIGHTS:
            raise EngineError(
                f"unknown year-end weighting {weighting!r}",
                {"weighting": [f"one of {sorted(YEAR_END_WEIGHTS)}"]},
            )
        weighting = YEAR_END_WEIGHTS[weighting]
    return combine(
        np.stack([np.asarray(day_to_day, float), np.asarray(snapshot, float)]), weighting
    )


def _check(values, n, name):
    v = np.asarray(values, dtype=float)
    if v.shape[0] != n:
        raise EngineError(f"expected {n} {name}, got {v.shape[0]}", {name: ["wrong count"]})
    return v
