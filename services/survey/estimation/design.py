"""The sampling design: weights, strata, PSUs, finite population correction, and the
Taylor-linearisation variance of estimated totals that every estimator builds on.

Variance of an estimated total Σ w_i z_i for a stratified (multi-stage, ultimate
cluster) design, as in R ``survey``'s ``svyrecvar`` with one stage:

    V = Σ_h (1 − f_h) · n_h / (n_h − 1) · Σ_i (t_hi − t̄_h)²

where t_hi is the weighted total of z over PSU i of stratum h, n_h the number of
sampled PSUs in h and f_h = n_h / N_h the first-stage sampling fraction (Wolter 2007,
ch. 6; Lumley 2010, §2.2). Without clusters every respondent is its own PSU.
"""

from __future__ import annotations

import copy
from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from .categories import unique_codes
from .errors import EstimationError

LONELY_PSU_RULES = ("adjust", "certainty", "fail")


def _codes(values, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes 0..K-1 and the sorted labels of ``values``; missing labels fail."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise EstimationError(f"{what} must be one-dimensional", errors={what: ["not 1-D"]})
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        raise EstimationError(f"{what} has missing values", errors={what: ["missing values"]})
    if arr.dtype.kind == "O":
        if any(v is None or (isinstance(v, float) and v != v) for v in arr):
            raise EstimationError(f"{what} has missing values", errors={what: ["missing values"]})
        try:
            labels, codes = np.unique(arr, return_inverse=True)
        except TypeError:
            labels, codes = np.unique(arr.astype(str), return_inverse=True)
    else:
        labels, codes = unique_codes(arr)
    return codes.astype(np.int64), labels


def _py(value):
    """A plain Python value for a NumPy scalar (labels are looked up in dicts)."""
    return value.item() if isinstance(value, np.generic) else value


def _per_stratum(value, labels: np.ndarray, codes: np.ndarray, what: str) -> np.ndarray:
    """A per-stratum float array from a scalar, a per-row array or a {stratum: value} map."""
    n_strata = len(labels)
    if isinstance(value, Mapping):
        missing = [lab for lab in labels.tolist() if lab not in value]
        if missing:
            raise EstimationError(
                f"{what} not given for strata {missing[:5]}", errors={what: ["missing strata"]}
            )
        return np.array([float(value[lab]) for lab in labels.tolist()])
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return np.full(n_strata, float(arr))
    if arr.shape != codes.shape:
        raise EstimationError(f"{what} must be scalar, per row or per stratum",
                              errors={what: ["wrong length"]})
    out = np.full(n_strata, np.nan)
    out[codes] = arr
    if not np.allclose(arr, out[codes], rtol=0, atol=1e-9 * max(1.0, float(np.nanmax(arr)))):
        raise EstimationError(f"{what} differs within a stratum", errors={what: ["not constant"]})
    return out


@dataclass(frozen=True)
class Calibration:
    """What the variance needs to know about a calibration (raking) of the weights.

    ``indicators`` is the n × p sparse 0/1 matrix of the margins' categories,
    ``base_weights`` the weights before calibration (the WLS weights of the residual
    regression, as R ``calibrate`` uses), ``block`` the connected component of the
    margin categories each row belongs to (rows of different blocks never share a
    category, e.g. townships raked to their own margins).
    """

    indicators: sp.csr_matrix
    base_weights: np.ndarray
    block: np.ndarray
    n_blocks: int

    def residuals(self, u: np.ndarray) -> np.ndarray:
        """u − Xβ̂ with β̂ the base-weighted least-squares fit of each column of ``u``
        on the category indicators X (Deville & Särndal 1992; R ``svyrecvar``)."""
        x = self.indicators
        rhs = x.T @ (self.base_weights[:, None] * u)
        beta = self._solve(rhs)
        return u - x @ beta

    def _solve(self, rhs: np.ndarray) -> np.ndarray:
        # X'WX is singular (each margin's indicators sum to the same block indicator);
        # a tiny ridge plus iterative refinement converges to a solution of the
        # consistent normal equations, so X·β̂ is the exact projection.
        lu, gram = self._factor
        beta = np.ascontiguousarray(lu.solve(rhs))
        for _ in range(4):
            beta = beta + np.ascontiguousarray(lu.solve(rhs - gram @ beta))
        return beta

    @property
    def _factor(self):
        cached = self.__dict__.get("_lu")
        if cached is None:
            x = self.indicators
            gram = (x.T @ sp.diags(self.base_weights) @ x).tocsc()
            # ridge relative to each category's own weight total, so small categories
            # are perturbed as little as large ones; components of β̂ in the null space
            # of X'WX do not change Xβ̂.
            lu = splu((gram + sp.diags(1e-10 * gram.diagonal())).tocsc())
            cached = (lu, gram)
            object.__setattr__(self, "_lu", cached)
        return cached


@dataclass(frozen=True)
class _VariancePlan:
    agg: sp.csr_matrix  # rows → (PSU, block) pairs
    gsum: sp.csr_matrix  # pairs → (stratum, block) groups
    pair_block: np.ndarray
    hb_h: np.ndarray
    hb_b: np.ndarray
    nh: np.ndarray  # sampled PSUs of the group's stratum, (groups, 1)
    keep: np.ndarray  # 1 − f_h, (groups, 1)
    lonely: np.ndarray  # the group's stratum has a single PSU
    n_blocks: int


class SurveyDesign:
    """A stratified, optionally clustered sample with weights.

    weights: positive final weights, one per respondent.
    strata: stratum label per respondent (townships); ``None`` = one stratum.
    clusters: PSU label per respondent, nested within strata; ``None`` = each
        respondent is a PSU.
    population_psus: N_h, the population number of PSUs per stratum (R ``fpc`` as a
        count; without clusters, the population size of the stratum); scalar, per
        row or {stratum: N_h}.
    sampling_fraction: f_h directly, in [0, 1]; give at most one of the two.
    lonely_psu: rule for a stratum with a single sampled PSU: ``"adjust"`` (centre
        its total at the grand mean of all PSU totals, factor 1 — R's "adjust"),
        ``"certainty"`` (contributes no variance) or ``"fail"`` (raise).
    calibration: set by :func:`rake`; SEs then use calibration residuals.

    Raises EstimationError on non-positive or non-finite weights, fpc below the
    sample PSU count, or an unknown lonely-PSU rule.
    """

    def __init__(
        self,
        weights,
        strata=None,
        clusters=None,
        *,
        population_psus=None,
        sampling_fraction=None,
        lonely_psu: str = "adjust",
        calibration: Calibration | None = None,
    ):
        w = np.asarray(weights, dtype=float)
        if w.ndim != 1 or w.size == 0:
            raise EstimationError("weights must be a non-empty 1-D array",
                                  errors={"weights": ["empty or not 1-D"]})
        if not np.all(np.isfinite(w)) or np.any(w <= 0):
            raise EstimationError("weights must be finite and positive",
                                  errors={"weights": ["non-positive or non-finite"]})
        if lonely_psu not in LONELY_PSU_RULES:
            raise EstimationError(f"lonely_psu must be one of {LONELY_PSU_RULES}",
                                  errors={"lonely_psu": ["unknown rule"]})
        if population_psus is not None and sampling_fraction is not None:
            raise EstimationError("give population_psus or sampling_fraction, not both",
                                  errors={"fpc": ["both given"]})
        n = w.size
        self.weights = w
        self.lonely_psu = lonely_psu
        self.calibration = calibration
        self._spec = dict(strata=strata, clusters=clusters, population_psus=population_psus,
                          sampling_fraction=sampling_fraction)
        if strata is None:
            self.stratum, self.stratum_labels = np.zeros(n, np.int64), np.array([0])
        else:
            self.stratum, self.stratum_labels = _codes(strata, "strata")
            if self.stratum.size != n:
                raise EstimationError("strata and weights differ in length",
                                      errors={"strata": ["wrong length"]})
        n_strata = len(self.stratum_labels)
        if clusters is None:
            self.psu = np.arange(n, dtype=np.int64)
        else:
            cl, _ = _codes(clusters, "clusters")
            if cl.size != n:
                raise EstimationError("clusters and weights differ in length",
                                      errors={"clusters": ["wrong length"]})
            _, self.psu = np.unique(self.stratum * (cl.max() + 1) + cl, return_inverse=True)
            self.psu = self.psu.astype(np.int64)
        self.n_psus = int(self.psu.max()) + 1
        self.psu_stratum = np.zeros(self.n_psus, np.int64)
        self.psu_stratum[self.psu] = self.stratum
        self.psus_per_stratum = np.bincount(self.psu_stratum, minlength=n_strata)
        self.fraction = self._fractions(population_psus, sampling_fraction)
        if lonely_psu == "fail" and np.any(self.psus_per_stratum == 1):
            lonely = self.stratum_labels[self.psus_per_stratum == 1].tolist()
            raise EstimationError(f"strata with a single PSU: {lonely[:5]}",
                                  errors={"strata": ["single-PSU stratum"]})

    def _fractions(self, population_psus, sampling_fraction) -> np.ndarray:
        nh = self.psus_per_stratum.astype(float)
        if population_psus is not None:
            big_n = _per_stratum(population_psus, self.stratum_labels, self.stratum,
                                 "population_psus")
            if np.any(big_n < nh - 1e-9):
                raise EstimationError("population_psus is smaller than the sampled PSUs",
                                      errors={"population_psus": ["below sample count"]})
            return np.clip(nh / big_n, 0.0, 1.0)
        if sampling_fraction is not None:
            f = _per_stratum(sampling_fraction, self.stratum_labels, self.stratum,
                             "sampling_fraction")
            if np.any((f < 0) | (f > 1)):
                raise EstimationError("sampling_fraction must be in [0, 1]",
                                      errors={"sampling_fraction": ["out of range"]})
            return f
        return np.zeros(len(self.stratum_labels))

    @property
    def n(self) -> int:
        return int(self.weights.size)

    def with_weights(self, weights, calibration: Calibration | None = None) -> SurveyDesign:
        """The same design (strata, PSUs, fpc, lonely rule) with other weights.
        Raises EstimationError for weights of another length or not positive."""
        w = np.asarray(weights, dtype=float)
        if w.shape != self.weights.shape or not np.all(np.isfinite(w)) or np.any(w <= 0):
            raise EstimationError("weights must be finite, positive and one per respondent",
                                  errors={"weights": ["invalid"]})
        other = copy.copy(self)
        other.weights = w
        other.calibration = calibration
        return other

    def codes_of(self, labels) -> tuple[np.ndarray, np.ndarray] | None:
        """The stratum codes and labels when ``labels`` is the very array the strata were
        given as (saves sorting the township labels again), else None."""
        if labels is not None and labels is self._spec["strata"]:
            return self.stratum, self.stratum_labels
        return None

    def total_variance(self, scores: np.ndarray, block=None, n_blocks: int = 1) -> np.ndarray:
        """Linearisation variance of Σ_i scores_i, per block and column.

        scores: (n,) or (n, k) weighted influence values w_i·z_i.
        block: optional (n,) integer block per row in 0..n_blocks-1; the variance of
            column j restricted to the rows of block b is returned in out[b, j]. PSUs
            without rows of the block count as zero totals (a domain is a
            subpopulation of the full design, not a subset of it).
        Returns an (n_blocks, k) array (or (n_blocks,) for 1-D scores).
        """
        scores = np.asarray(scores, dtype=float)
        one_d = scores.ndim == 1
        x = scores[:, None] if one_d else scores
        plan = self._plan(block, int(n_blocks))
        t = plan.agg @ x  # PSU × block totals
        s1, s2 = plan.gsum @ t, plan.gsum @ (t * t)
        with np.errstate(divide="ignore", invalid="ignore"):
            contrib = plan.keep * plan.nh / (plan.nh - 1.0) * (s2 - s1 * s1 / plan.nh)
        contrib[plan.lonely] = 0.0
        out = np.zeros((plan.n_blocks, x.shape[1]))
        np.add.at(out, plan.hb_b, contrib)
        if self.lonely_psu == "adjust" and np.any(self.psus_per_stratum == 1):
            lonely = plan.lonely
            out += self._lonely_adjustment(t, plan.pair_block, plan.n_blocks, s1[lonely],
                                           s2[lonely], plan.hb_h[lonely], plan.hb_b[lonely])
        return out[:, 0] if one_d else out

    def _plan(self, block, nb: int) -> _VariancePlan:
        """PSU × block aggregation matrices for ``block`` (cached: every question of a
        poll uses the same ones)."""
        cache = self.__dict__.setdefault("_plans", {})
        key = (id(block), nb)
        if key in cache and cache[key][0] is block:
            return cache[key][1]
        rows = np.zeros(self.n, np.int64) if block is None else np.asarray(block)
        pairs, pair_of_row = np.unique(self.psu * nb + rows, return_inverse=True)
        pair_psu, pair_block = pairs // nb, pairs % nb
        agg = sp.csr_matrix((np.ones(self.n), (pair_of_row, np.arange(self.n))),
                            shape=(pairs.size, self.n))
        hbs, hb_of_pair = np.unique(self.psu_stratum[pair_psu] * nb + pair_block,
                                    return_inverse=True)
        hb_h = hbs // nb
        gsum = sp.csr_matrix((np.ones(pairs.size), (hb_of_pair, np.arange(pairs.size))),
                             shape=(hbs.size, pairs.size))
        nh = self.psus_per_stratum[hb_h].astype(float)[:, None]
        plan = _VariancePlan(agg, gsum, pair_block, hb_h, hbs % nb, nh,
                             1.0 - self.fraction[hb_h][:, None], nh[:, 0] == 1.0, nb)
        if len(cache) >= 8:
            cache.clear()
        cache[key] = (block, plan)
        return plan

    def _lonely_adjustment(self, t, pair_block, nb, s1, s2, hb_h, hb_b) -> np.ndarray:
        """Σ over single-PSU strata of (1 − f_h)(t_h − ḡ)², ḡ the mean of all PSU totals.

        A single-PSU stratum whose PSU has no rows of a block still adds (0 − ḡ)².
        """
        grand = np.zeros((nb, t.shape[1]))
        np.add.at(grand, pair_block, t)
        grand /= self.n_psus
        single = self.psus_per_stratum == 1
        out = grand * grand * float(np.sum(1.0 - self.fraction[single]))
        keep = (1.0 - self.fraction[hb_h])[:, None]
        np.add.at(out, hb_b, keep * (s2 - 2.0 * grand[hb_b] * s1))
        return out


def kish_deff(weights) -> float:
    """Kish design effect from weighting: n Σw² / (Σw)² = 1 + CV²(w) (Kish 1965)."""
    w = np.asarray(weights, dtype=float)
    if w.size == 0 or w.sum() <= 0:
        return float("nan")
    return float(w.size * np.sum(w * w) / np.sum(w) ** 2)


def effective_n(weights) -> float:
    """Kish effective sample size n / deff = (Σw)² / Σw²; NaN for no weights."""
    w = np.asarray(weights, dtype=float)
    if w.size == 0 or w.sum() <= 0:
        return float("nan")
    return float(np.sum(w) ** 2 / np.sum(w * w))


def base_weights(strata, population: Mapping[Hashable, float], cells=None) -> np.ndarray:
    """Design weights N_h / n_h per stratum, or N_hc / n_hc per stratum × cell.

    strata: stratum label per respondent. population: {stratum: N_h}, or with
    ``cells`` (a cell label per respondent, e.g. age group) {(stratum, cell): N_hc}.
    Raises EstimationError naming the stratum (or cell) that is missing from the
    population or has a non-positive population count.
    """
    s_codes, s_labels = _codes(strata, "strata")
    if cells is None:
        codes, keys = s_codes, [_py(v) for v in s_labels]
    else:
        c_codes, c_labels = _codes(cells, "cells")
        if c_codes.shape != s_codes.shape:
            raise EstimationError("cells and strata differ in length",
                                  errors={"cells": ["wrong length"]})
        combined, codes = np.unique(s_codes * len(c_labels) + c_codes, return_inverse=True)
        keys = [(_py(s_labels[k // len(c_labels)]), _py(c_labels[k % len(c_labels)]))
                for k in combined.tolist()]
    counts = np.bincount(codes, minlength=len(keys))
    pop = np.empty(len(keys))
    for j, key in enumerate(keys):
        if key not in population:
            raise EstimationError(f"no population count for {key!r}", category=key,
                                  errors={"population": [f"missing {key!r}"]})
        pop[j] = float(population[key])
        if not pop[j] > 0:
            raise EstimationError(f"population count for {key!r} must be positive",
                                  category=key, errors={"population": [f"{key!r} not positive"]})
    return (pop / counts)[codes]
