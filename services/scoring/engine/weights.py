"""Weights of a node's children: expert, equal, AHP, entropy, CRITIC.

Each returns non-negative weights summing to 1, in the children's order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from services.scoring.engine.errors import EngineError

# Random consistency index RI by matrix order n (index 0 is n = 1). The table is a
# named choice: published simulations differ in the third decimal.
RI_TABLES: dict[str, tuple[float, ...]] = {
    # Saaty (1980), The Analytic Hierarchy Process, n = 1..10 — the classic table.
    "saaty": (0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49),
    # Alonso & Lamata (2006), Int. J. Uncertainty, Fuzziness and Knowledge-Based
    # Systems 14(4), 445–459, Table 3 (500,000 matrices per order), n = 1..15.
    "alonso_lamata": (
        0.0,
        0.0,
        0.5245,
        0.8815,
        1.1086,
        1.2479,
        1.3417,
        1.4056,
        1.4499,
        1.4854,
        1.5141,
        1.5365,
        1.5551,
        1.5713,
        1.5838,
    ),
}
DEFAULT_RI_TABLE = "saaty"
CR_LIMIT = 0.1
RECIPROCAL_TOLERANCE = 0.01  # |a_ij · a_ji − 1|, as the scheme intake accepts


@dataclass(frozen=True)
class AHPResult:
    weights: np.ndarray
    lambda_max: float
    ci: float
    ri: float
    cr: float
    ri_table: str


def expert(values, node: str = "") -> np.ndarray:
    """Given weights scaled to sum 1; raises EngineError naming ``node`` (the node whose
    children they weight) if any is negative or missing, or all are 0."""
    w = np.asarray(values, dtype=float)
    if w.size == 0 or np.any(~np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        where = f"node {node}" if node else "weights"
        raise EngineError(
            f"expert weights{f' of node {node}' if node else ''} must be non-negative numbers, "
            "not all zero",
            {where: [f"weights of the children: {[float(v) for v in w]}"]},
        )
    return w / w.sum()


def equal(n: int) -> np.ndarray:
    return np.full(n, 1.0 / n)


def ahp(matrix, ri_table: str = DEFAULT_RI_TABLE, cr_limit: float = CR_LIMIT) -> AHPResult:
    """Saaty's eigenvector method: w = principal right eigenvector of A (sum 1),
    CI = (λmax − n)/(n − 1), CR = CI / RI[n] (CR = 0 for n ≤ 2).

    Raises EngineError if A is not square, positive and reciprocal (a_ji = 1/a_ij within
    1 %; the lower triangle is then replaced by the exact reciprocals of the upper), if
    the RI table is unknown or too short, or if CR ≥ ``cr_limit``.
    """
    a = np.asarray(matrix, dtype=float)
    n = a.shape[0] if a.ndim == 2 else 0
    if a.ndim != 2 or a.shape != (n, n) or n == 0:
        raise EngineError("AHP matrix must be square", {"matrix": [f"shape {a.shape}"]})
    if np.any(~np.isfinite(a)) or np.any(a <= 0):
        raise EngineError("AHP matrix entries must be positive", {"matrix": ["non-positive entry"]})
    if np.any(np.abs(a * a.T - 1.0) > RECIPROCAL_TOLERANCE):
        raise EngineError(
            "AHP matrix must be reciprocal (a_ji = 1/a_ij)", {"matrix": ["not reciprocal"]}
        )
    # Entries typed or stored rounded are accepted within 1 %; the upper triangle is
    # then taken as given and the lower one completed with exact reciprocals.
    upper = np.triu(a, 1)
    a = upper + np.tril(1.0 / np.where(upper.T > 0, upper.T, 1.0), -1) + np.eye(n)
    if ri_table not in RI_TABLES:
        raise EngineError(
            f"unknown RI table {ri_table!r}", {"ri_table": [f"one of {sorted(RI_TABLES)}"]}
        )
    table = RI_TABLES[ri_table]
    if n > len(table):
        raise EngineError(
            f"RI table {ri_table!r} stops at n = {len(table)}", {"matrix": [f"order {n}"]}
        )
    eigvals, eigvecs = np.linalg.eig(a)
    k = int(np.argmax(eigvals.real))
    lam = float(eigvals[k].real)
    v = np.abs(eigvecs[:, k].real)
    w = v / v.sum()
    ci = (lam - n) / (n - 1) if n > 2 else 0.0
    ri = table[n - 1]
    cr = ci / ri if n > 2 else 0.0
    if cr >= cr_limit:
        raise EngineError(
            f"AHP matrix is inconsistent: CR = {cr:.4f} ≥ {cr_limit}",
            {"matrix": [f"CR {cr:.4f} (λmax {lam:.4f}, RI {ri}, table {ri_table})"]},
        )
    return AHPResult(weights=w, lambda_max=lam, ci=ci, ri=ri, cr=cr, ri_table=ri_table)


def entropy(x, shift: float = 0.0) -> np.ndarray:
    """Entropy weights of the columns of an m×n matrix (m units, n children).

    The matrix is made non-negative by min-max scaling each column to [0, 1] (plus
    ``shift``, default 0); p_ij = x_ij / Σ_i x_ij; e_j = −(1/ln m) Σ_i p_ij ln p_ij with
    0·ln 0 = 0; d_j = 1 − e_j; w_j = d_j / Σ d. A constant column has no information:
    e_j = 1, d_j = 0. Rows with a missing value are left out. Raises EngineError if fewer
    than two complete rows remain or every column is constant.
    """
    x = _complete_rows(x)
    m = x.shape[0]
    scaled = _min_max_columns(x) + shift
    totals = scaled.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = scaled / totals
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    e = np.where(totals > 0, -plogp.sum(axis=0) / np.log(m), 1.0)
    d = 1.0 - e
    if d.sum() <= 0:
        raise EngineError(
            "entropy weights undefined: no column varies", {"weighting": ["all columns constant"]}
        )
    return d / d.sum()


def critic(x) -> np.ndarray:
    """CRITIC weights (Diakoulaki et al. 1995): min-max scale each column,
    C_j = σ_j Σ_k (1 − r_jk) with σ the sample SD and r Pearson's correlation;
    w_j = C_j / Σ C. A constant column gets C = 0 and correlation 0 with the others.
    Raises EngineError if fewer than two complete rows remain or no column varies.
    """
    x = _min_max_columns(_complete_rows(x))
    sd = x.std(axis=0, ddof=1)
    varying = sd > 0
    r = np.zeros((x.shape[1], x.shape[1]))
    if varying.sum() >= 2:
        r_sub = np.corrcoef(x[:, varying], rowvar=False)
        r[np.ix_(varying, varying)] = r_sub
    np.fill_diagonal(r, 1.0)
    c = sd * (1.0 - r).sum(axis=0)
    if c.sum() <= 0:
        raise EngineError(
            "CRITIC weights undefined: columns constant or all identical",
            {"weighting": ["no contrast"]},
        )
    return c / c.sum()


def _complete_rows(x) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x).any(axis=1)]
    if x.shape[0] < 2:
        raise EngineError(
            "data-driven weights need at least two units with every value present",
            {"weighting": ["too few units"]},
        )
    return x


def _min_max_columns(x) -> np.ndarray:
    lo = x.min(axis=0)
    span = x.max(axis=0) - lo
    return np.where(span > 0, (x - lo) / np.where(span > 0, span, 1.0), 0.0)
