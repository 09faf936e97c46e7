"""Area-level Fay–Herriot shrinkage (Fay & Herriot 1979), fitted as R ``sae::eblupFH``.

Model y_i = x_i'β + v_i + e_i, v_i ~ N(0, σv²), e_i ~ N(0, ψ_i), ψ_i known.
σv² by Fisher scoring (REML or ML) from median(ψ), truncated at 0 (Molina & Marhuenda
2015, the ``sae`` package); EBLUP θ_i = γ_i y_i + (1 − γ_i) x_i'β̂ with
γ_i = σv² / (σv² + ψ_i); MSE by Prasad & Rao (1990): g1 + g2 + 2 g3 (REML; ML subtracts
the bias term b(σv²)·(1 − γ_i)² of Datta & Lahiri 2000, as ``sae::mseFH`` does).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.scoring.engine.errors import EngineError

METHODS = ("REML", "ML")


@dataclass(frozen=True)
class FayHerriotFit:
    """Result of :func:`fit`; arrays are per area in input order."""

    method: str
    sigma2_v: float
    beta: np.ndarray
    beta_se: np.ndarray
    gamma: np.ndarray
    eblup: np.ndarray
    mse: np.ndarray
    loglik: float
    restricted_loglik: float
    iterations: int
    converged: bool


def fit(y, psi, x, method: str = "REML", tol: float = 1e-10, max_iter: int = 100) -> FayHerriotFit:
    """Fit the Fay–Herriot model to direct estimates ``y`` with known variances ``psi``.

    ``x`` is the m×p design matrix (e.g. one column per peer group to shrink toward the
    group mean). ``tol`` is the relative change of σv² that stops Fisher scoring
    (``sae`` uses 1e-4; the default here iterates to convergence).
    Raises EngineError for a bad method, non-positive ψ, or m ≤ p.
    """
    if method not in METHODS:
        raise EngineError(
            f"Fay–Herriot method must be one of {METHODS}", {"method": [f"unknown: {method}"]}
        )
    y = np.asarray(y, dtype=float)
    psi = np.asarray(psi, dtype=float)
    x = np.asarray(x, dtype=float)
    m, p = x.shape
    if not (np.all(np.isfinite(psi)) and np.all(psi > 0)):
        raise EngineError(
            "Fay–Herriot needs a positive, finite sampling variance for every area",
            {"se": ["non-positive"]},
        )
    if m <= p:
        raise EngineError(
            f"Fay–Herriot needs more areas ({m}) than regressors ({p})",
            {"fay_herriot": ["too few areas"]},
        )
    step = _reml_step if method == "REML" else _ml_step
    sigma2 = float(np.median(psi))
    converged = False
    iterations = 0
    while iterations < max_iter:
        iterations += 1
        new = sigma2 + step(sigma2, y, psi, x)
        diff = abs((new - sigma2) / sigma2) if sigma2 != 0 else abs(new)
        sigma2 = new
        if diff < tol:
            converged = True
            break
        if sigma2 <= 0:
            # The likelihood is maximised at the boundary; sae truncates at 0 too.
            converged = True
            break
    sigma2 = max(sigma2, 0.0)
    return _finish(method, sigma2, y, psi, x, iterations, converged)


def _gls(sigma2: float, y, psi, x):
    vi = 1.0 / (sigma2 + psi)
    xtvi = (x * vi[:, None]).T
    q = np.linalg.inv(xtvi @ x)
    beta = q @ (xtvi @ y)
    return vi, xtvi, q, beta


def _ml_step(sigma2: float, y, psi, x) -> float:
    vi, _, _, beta = _gls(sigma2, y, psi, x)
    res = y - x @ beta
    score = -0.5 * vi.sum() + 0.5 * np.sum(vi**2 * res**2)
    info = 0.5 * np.sum(vi**2)
    return score / info


def _projection(sigma2: float, y, psi, x) -> np.ndarray:
    vi, xtvi, q, _ = _gls(sigma2, y, psi, x)
    return np.diag(vi) - xtvi.T @ q @ xtvi


def _reml_step(sigma2: float, y, psi, x) -> float:
    p_mat = _projection(sigma2, y, psi, x)
    py = p_mat @ y
    score = -0.5 * np.trace(p_mat) + 0.5 * py @ py
    info = 0.5 * np.sum(p_mat * p_mat.T)
    return score / info


def _finish(method, sigma2, y, psi, x, iterations, converged) -> FayHerriotFit:
    vi, xtvi, q, beta = _gls(sigma2, y, psi, x)
    xbeta = x @ beta
    res = y - xbeta
    gamma = sigma2 / (sigma2 + psi)
    eblup = gamma * y + (1 - gamma) * xbeta
    b = psi / (sigma2 + psi)  # 1 − γ
    g1 = psi * (1 - b)
    g2 = b**2 * np.einsum("ij,jk,ik->i", x, q, x)
    var_sigma2 = 2.0 / np.sum(vi**2)
    g3 = b**2 * var_sigma2 / (sigma2 + psi)
    mse = g1 + g2 + 2 * g3
    if method == "ML":
        bias = -np.trace(q @ ((x * (vi**2)[:, None]).T @ x)) / np.sum(vi**2)
        mse = mse - bias * b**2
    loglik = -0.5 * float(np.sum(np.log(2 * np.pi * (sigma2 + psi)) + res**2 / (sigma2 + psi)))
    restricted = (
        loglik - 0.5 * float(np.linalg.slogdet(xtvi @ x)[1]) + 0.5 * x.shape[1] * np.log(2 * np.pi)
    )
    return FayHerriotFit(
        method=method,
        sigma2_v=float(sigma2),
        beta=beta,
        beta_se=np.sqrt(np.diag(q)),
        gamma=gamma,
        eblup=eblup,
        mse=mse,
        loglik=loglik,
        restricted_loglik=float(restricted),
        iterations=iterations,
        converged=converged,
    )
