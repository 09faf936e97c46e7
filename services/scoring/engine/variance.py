"""Moderated variances: empirical-Bayes squeezing of many small-sample variances toward a
common prior (Smyth 2004, limma's ``squeezeVar``/``fitFDist`` without covariates).

Each unit i has a sample variance s_i² on d_i degrees of freedom (visit scores: n_i − 1).
The s_i² are taken as scaled χ² draws around unit variances σ_i² which themselves follow
a scaled inverse χ² prior with d₀ degrees of freedom and scale s₀². d₀ and s₀² are fitted
by moments of log s_i²:

    e_i = log s_i² − ψ(d_i/2) + log(d_i/2),   ē = mean e_i
    ψ₁(d₀/2) = Σ (e_i − ē)² / (m − 1) − mean ψ₁(d_i/2)
    s₀² = exp(ē + ψ(d₀/2) − log(d₀/2))

(ψ digamma, ψ₁ trigamma; if the right side is ≤ 0 the spreads are homogeneous: d₀ = ∞,
s₀² = exp(ē)). The posterior variance is s̃_i² = (d₀ s₀² + d_i s_i²)/(d₀ + d_i): a unit
with one visit (d_i = 0) gets s₀², a unit with many visits mostly its own s_i². Small
d_i make s_i² so uncertain that a normal interval built on it covers far less than it
says (with d = 1 a nominal 90 % covers 70 %); s̃² carries d₀ + d_i degrees of freedom.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, polygamma

from services.scoring.engine.errors import EngineError


@dataclass(frozen=True)
class Squeezed:
    """Posterior variances (input order) and the fitted prior."""

    variance: np.ndarray
    prior_df: float  # d₀, possibly inf
    prior_variance: float  # s₀²
    df: np.ndarray  # each entry's own degrees of freedom d_i

    def t_scale(self) -> np.ndarray:
        """√(ν/(ν − 2)), ν = d₀ + d_i (at least 3): the SD of Student's t on ν degrees of
        freedom, by which a mean's error over its moderated SE is distributed (Smyth
        2004); 1 where d₀ = ∞. Multiplying the SE by it lets normal draws carry the t's
        variance."""
        nu = np.maximum(self.prior_df + self.df, 3.0)
        return np.where(np.isinf(nu), 1.0, np.sqrt(nu / np.where(np.isinf(nu), 3.0, nu - 2.0)))


def trigamma_inverse(x: float, tol: float = 1e-8, max_iter: int = 50) -> float:
    """y with ψ₁(y) = x, x > 0, by limma's Newton iteration from y = 0.5 + 1/x."""
    if not x > 0:
        raise EngineError("trigamma_inverse needs x > 0", {"x": [str(x)]})
    if x > 1e7:
        return 1.0 / np.sqrt(x)
    if x < 1e-6:
        return 1.0 / x
    y = 0.5 + 1.0 / x
    for _ in range(max_iter):
        tri = float(polygamma(1, y))
        dif = tri * (1.0 - tri / x) / float(polygamma(2, y))
        y += dif
        if -dif / y < tol:
            break
    return y


def fit_prior(s2, df) -> tuple[float, float]:
    """(d₀, s₀²) of the scaled inverse χ² prior (module docstring) from variances ``s2``
    on ``df`` > 0 degrees of freedom. Zero variances (identical scores: visit scores are
    rounded and capped at 100) are left out of the fit — limma floors them at 1e-5 × the
    median, and one such log then dominates the log-moments (in the calibration county a
    single zero among ~80 halved s₀²). Raises EngineError with fewer than 2 positive
    variances."""
    s2 = np.asarray(s2, dtype=float)
    df = np.asarray(df, dtype=float)
    if s2.shape != df.shape or np.any(df <= 0) or np.any(s2 < 0):
        raise EngineError("fit_prior needs variances ≥ 0 on df > 0",
                          {"variance": [f"{s2.size} given"]})
    positive = s2 > 0
    s2, df = s2[positive], df[positive]
    if s2.size < 2:
        raise EngineError("fit_prior needs at least 2 positive variances",
                          {"variance": [f"{s2.size} positive"]})
    e = np.log(s2) - digamma(df / 2) + np.log(df / 2)
    mean = float(e.mean())
    spread = float(np.sum((e - mean) ** 2) / (e.size - 1) - np.mean(polygamma(1, df / 2)))
    if spread <= 0:
        return float("inf"), float(np.exp(mean))
    d0 = 2.0 * trigamma_inverse(spread)
    return d0, float(np.exp(mean + digamma(d0 / 2) - np.log(d0 / 2)))


def squeeze(s2, df) -> Squeezed:
    """Moderated variances of ``s2`` on ``df`` ≥ 0 degrees of freedom (NaN where df = 0):
    the prior is fitted on the entries with df > 0; df = 0 entries get s₀²."""
    s2 = np.asarray(s2, dtype=float)
    df = np.asarray(df, dtype=float)
    usable = df > 0
    d0, prior = fit_prior(s2[usable], df[usable])
    own = np.where(usable, np.nan_to_num(s2), 0.0)
    if np.isinf(d0):
        post = np.full(s2.shape, prior)
    else:
        post = (d0 * prior + df * own) / (d0 + df)
    return Squeezed(post, d0, prior, df)
