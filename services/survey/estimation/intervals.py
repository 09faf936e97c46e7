"""Confidence intervals: Wilson score interval for proportions, normal for the rest."""

from __future__ import annotations

import numpy as np


def z_value(level: float = 0.95) -> float:
    """Two-sided standard normal quantile for a confidence ``level`` in (0, 1)."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    # Imported here: scipy.stats takes a good part of a second to import, and every
    # survey process (web workers, dialers) would pay it at start for this one quantile.
    from scipy.stats import norm

    return float(norm.ppf(0.5 + level / 2.0))


def wilson_interval(p, n, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for proportion(s) ``p`` with (effective) sample size(s) ``n``.

    (p + z²/2n ± z·sqrt(p(1−p)/n + z²/4n²)) / (1 + z²/n)  — Wilson (1927), DESIGN.md.
    Vectorised; ``n`` may be fractional (Kish effective n). Entries with n <= 0 or a
    missing p give NaN bounds. Returns (low, high) arrays (0-d for scalar input).
    """
    z = z_value(level)
    p = np.asarray(p, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = (n > 0) & np.isfinite(p)
        nn = np.where(ok, n, np.nan)
        z2n = z * z / nn
        centre = p + z2n / 2.0
        half = z * np.sqrt(np.clip(p * (1.0 - p), 0.0, None) / nn + z2n / (4.0 * nn))
        denom = 1.0 + z2n
        low = np.clip((centre - half) / denom, 0.0, 1.0)
        high = np.clip((centre + half) / denom, 0.0, 1.0)
    return low, high


def normal_interval(estimate, se, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """estimate ± z·se; NaN where the SE is missing."""
    z = z_value(level)
    estimate = np.asarray(estimate, dtype=float)
    se = np.asarray(se, dtype=float)
    return estimate - z * se, estimate + z * se
