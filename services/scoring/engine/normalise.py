"""Per-indicator normalisation, applied along the last (unit) axis.

Every function takes an array whose last axis holds the units of one scope (a peer
group, or all units) — leading axes are indicators and draws — and returns scores of
the same shape; statistics ignore missing values (NaN) and leave them NaN. Methods
(OECD/JRC Handbook on Constructing Composite Indicators, 2008, §5):

- ``z``: (x − mean) / s, s the sample standard deviation (ddof = 1);
- ``t``: 50 + 10 z;
- ``robust_z``: (x − median) / (1.4826 · MAD); 1.4826 = 1 / Φ⁻¹(0.75) makes the MAD a
  consistent estimator of σ under normality (Rousseeuw & Croux 1993);
- ``min_max``: 100 (x − min) / (max − min);
- ``goalposts``: 100 (x − lower) / (upper − lower) capped to [0, 100]; fixed bounds, so
  scores are comparable across periods and groups;
- ``percentile``: Hazen percentile rank 100 (r − ½) / n with r the mid-rank (ties
  averaged); always inside (0, 100).

A scope without spread (s, MAD or range of 0, or a single unit) gives every unit the
centre of the scale (z 0, T 50, min-max 50): it carries no information to rank on.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata

from services.scoring.engine.errors import EngineError

ROBUST_Z_SCALE = 1.4826
METHODS = ("z", "t", "robust_z", "min_max", "goalposts", "percentile")


def normalise(
    x: np.ndarray, method: str, params: dict | None = None, has_nan: bool | None = None
) -> np.ndarray:
    """Scores of ``x`` (…, units) by ``method``; raises EngineError for an unknown one.

    ``has_nan`` False promises no missing value (skips the check)."""
    params = params or {}
    if has_nan is None:
        has_nan = bool(np.isnan(x).any())
    with np.errstate(invalid="ignore", divide="ignore"):
        return _normalise(x, method, params, has_nan)


def nan_stat(fn, x: np.ndarray, *args) -> np.ndarray:
    """``fn`` (np.nanmedian, np.nanmin, np.nanquantile…) along the last axis, keepdims,
    NaN where every value is missing — without NumPy's all-NaN warning (whose global
    filter cannot be changed safely from the threads that score draws)."""
    empty = np.isnan(x).all(axis=-1, keepdims=True)
    if not empty.any():
        return fn(x, *args, axis=-1, keepdims=True)
    out = fn(np.where(empty, 0.0, x), *args, axis=-1, keepdims=True)
    return np.where(empty, np.nan, out)


def _normalise(x, method, params, has_nan):
    if method in ("z", "t"):
        scale, centre = (1.0, 0.0) if method == "z" else (10.0, 50.0)
        return _affine_z(x, has_nan, scale, centre)
    if method == "robust_z":
        return _robust_z(x, has_nan)
    if method == "min_max":
        return _min_max(x, has_nan)
    if method == "goalposts":
        return goalposts(x, params["lower"], params["upper"])
    if method == "percentile":
        return _percentile(x, has_nan)
    raise EngineError(f"unknown normalisation {method!r}", {"normalisation": [f"one of {METHODS}"]})


def _affine_z(x, has_nan, scale, centre):
    """centre + scale·(x − mean)/s, computed as one affine map a·x + b per scope."""
    if has_nan:
        n = np.sum(~np.isnan(x), axis=-1, keepdims=True)
        mean = np.nansum(x, axis=-1, keepdims=True) / n
        dev = x - mean
        ss = np.nansum(dev * dev, axis=-1, keepdims=True)
    else:
        n = x.shape[-1]
        mean = x.mean(axis=-1, keepdims=True)
        dev = x - mean
        ss = np.einsum("...i,...i->...", dev, dev)[..., None]
    sd = np.sqrt(ss / (np.asarray(n) - 1))
    a = np.where(sd > 0, scale / sd, 0.0)
    dev *= a
    dev += centre
    return dev


def _robust_z(x, has_nan):
    if has_nan:
        med = nan_stat(np.nanmedian, x)
        mad = nan_stat(np.nanmedian, np.abs(x - med)) * ROBUST_Z_SCALE
    else:
        med = np.median(x, axis=-1, keepdims=True)
        mad = np.median(np.abs(x - med), axis=-1, keepdims=True) * ROBUST_Z_SCALE
    out = (x - med) / mad
    return np.where(mad > 0, out, np.where(np.isnan(x), np.nan, 0.0))


def _min_max(x, has_nan):
    if has_nan:
        lo, hi = nan_stat(np.nanmin, x), nan_stat(np.nanmax, x)
    else:
        lo, hi = x.min(axis=-1, keepdims=True), x.max(axis=-1, keepdims=True)
    span = hi - lo
    out = 100.0 * (x - lo) / span
    return np.where(span > 0, out, np.where(np.isnan(x), np.nan, 50.0))


def goalposts(x: np.ndarray, lower: float, upper: float) -> np.ndarray:
    """100 (x − lower)/(upper − lower) capped to [0, 100]; raises EngineError if upper ≤ lower."""
    if not upper > lower:
        raise EngineError(
            "goalposts need upper > lower", {"goalposts": [f"lower {lower}, upper {upper}"]}
        )
    return np.clip(100.0 * (x - lower) / (upper - lower), 0.0, 100.0)


def _percentile(x, has_nan):
    if not has_nan:
        ranks = rankdata(x, axis=-1)
        return 100.0 * (ranks - 0.5) / x.shape[-1]
    missing = np.isnan(x)
    ranks = rankdata(np.where(missing, np.inf, x), axis=-1)
    n = np.sum(~missing, axis=-1, keepdims=True)
    out = 100.0 * (ranks - 0.5) / n
    return np.where(missing, np.nan, out)


def winsorise(x: np.ndarray, lower: float, upper: float) -> np.ndarray:
    """Clip each indicator to its [lower, upper] quantiles (type 7) within the scope."""
    if not 0.0 <= lower < upper <= 1.0:
        raise EngineError(
            "winsorisation quantiles need 0 ≤ lower < upper ≤ 1", {"winsor": [f"{lower}, {upper}"]}
        )
    if np.isnan(x).any():
        lo, hi = nan_stat(np.nanquantile, x, lower), nan_stat(np.nanquantile, x, upper)
    else:
        lo = np.quantile(x, lower, axis=-1, keepdims=True)
        hi = np.quantile(x, upper, axis=-1, keepdims=True)
    return np.clip(x, lo, hi)
