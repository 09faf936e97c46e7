"""Weighted means, totals, proportions and satisfaction rates, overall or per domain,
with design-based standard errors by Taylor linearisation.

Influence values (Woodruff 1971; Lumley 2010 §2.2, §3.4):
    total of y over domain d:   z_i = 1{i∈d} y_i
    mean / proportion (ratio):  z_i = 1{i∈d} (y_i − ȳ_d) / N̂_d,   N̂_d = Σ_{i∈d} w_i
and Var = V(Σ w_i z_i) from :meth:`SurveyDesign.total_variance`. A domain keeps the
whole design (PSUs without domain members contribute zero totals). For a raked design
z is first replaced by its residual from the base-weighted regression on the margins'
indicators (as R ``survey`` ``calibrate``), which is what makes raked SEs smaller.

Missing answers are NaN in ``y``: a row with NaN is outside the domain for that
question (the estimate is over valid answers only).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from .design import SurveyDesign, _codes, _py
from .errors import EstimationError
from .intervals import normal_interval, wilson_interval

STATISTICS = ("mean", "total", "proportion")
_CHUNK_ELEMENTS = 8_000_000  # bounds the n × columns working matrix (64 MB of floats)
MAX_ELEMENTS = 4 * _CHUNK_ELEMENTS


def _num(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


@dataclass(frozen=True)
class Estimate:
    """One estimate. ``n`` counts respondents with a valid answer in the domain;
    ``deff_kish`` = n Σw²/(Σw)², ``n_eff`` = n / deff_kish; (ci_low, ci_high) is the
    Wilson interval with n_eff for proportions, estimate ± z·se otherwise."""

    estimate: float
    se: float
    n: int
    n_eff: float
    deff_kish: float
    ci_low: float
    ci_high: float
    statistic: str = "mean"
    level: float = 0.95
    domain: Any = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: NaN becomes None."""
        return {
            "domain": self.domain,
            "statistic": self.statistic,
            "estimate": _num(self.estimate),
            "se": _num(self.se),
            "n": int(self.n),
            "n_eff": _num(self.n_eff),
            "deff_kish": _num(self.deff_kish),
            "ci_low": _num(self.ci_low),
            "ci_high": _num(self.ci_high),
            "level": self.level,
        }


@dataclass(frozen=True)
class DomainEstimates:
    """Estimates for k variables (questions) × D domains; every array is (k, D)."""

    statistic: str
    domains: list
    estimate: np.ndarray
    se: np.ndarray
    n: np.ndarray
    n_eff: np.ndarray
    deff_kish: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    level: float = 0.95
    variables: list = field(default_factory=list)

    def get(self, variable: int = 0, domain: Any = None) -> Estimate:
        """The Estimate of variable index ``variable`` in ``domain`` (label).
        Raises KeyError for an unknown domain."""
        if domain is None and len(self.domains) == 1:
            j = 0
        elif domain in self.domains:
            j = self.domains.index(domain)
        else:
            raise KeyError(domain)
        i = variable
        return Estimate(float(self.estimate[i, j]), float(self.se[i, j]), int(self.n[i, j]),
                        float(self.n_eff[i, j]), float(self.deff_kish[i, j]),
                        float(self.ci_low[i, j]), float(self.ci_high[i, j]),
                        self.statistic, self.level, self.domains[j])

    def records(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per variable × domain, with ``variable`` set from
        ``variables`` (or the index)."""
        out = []
        for i in range(self.estimate.shape[0]):
            name = self.variables[i] if i < len(self.variables) else i
            for j in range(len(self.domains)):
                rec = self.get(i, self.domains[j]).to_dict()
                rec["variable"] = name
                out.append(rec)
        return out


def _as_matrix(y, n: int) -> np.ndarray:
    y = np.asarray(y, dtype=float)
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[0] != n:
        raise EstimationError(f"values must have {n} rows", errors={"y": ["wrong length"]})
    return y


def _layout(design: SurveyDesign, dom: np.ndarray, n_dom: int):
    """Blocks for the variance and a column slot per domain.

    Domains are packed into as few columns as possible: rows of one block never
    interact through the calibration, so domains in different blocks share a column.
    Without calibration each domain is its own block; with it, a domain must sit
    inside one calibration block, otherwise every domain gets its own column.
    """
    cal = design.calibration
    if cal is None:
        return dom, n_dom, np.zeros(n_dom, np.int64), 1, np.arange(n_dom)
    pairs = np.unique(dom * cal.n_blocks + cal.block)
    if pairs.size == n_dom:
        dom_block = np.empty(n_dom, np.int64)
        dom_block[pairs // cal.n_blocks] = pairs % cal.n_blocks
        order = np.lexsort((np.arange(n_dom), dom_block))
        slot = np.empty(n_dom, np.int64)
        starts = np.searchsorted(dom_block[order], dom_block[order])
        slot[order] = np.arange(n_dom) - starts
        return cal.block, cal.n_blocks, slot, int(slot.max()) + 1, dom_block
    return np.zeros(design.n, np.int64), 1, np.arange(n_dom), n_dom, np.zeros(n_dom, np.int64)


def domain_estimates(
    design: SurveyDesign,
    y,
    by=None,
    *,
    statistic: str = "mean",
    level: float = 0.95,
    variables: Iterable | None = None,
    max_elements: int = MAX_ELEMENTS,
) -> DomainEstimates:
    """Weighted mean, total or proportion of each column of ``y`` in each domain.

    design: the SurveyDesign (raked or not).
    y: (n,) or (n, k) floats; NaN = no valid answer (excluded from that column's
        domain). For ``"proportion"`` the values must be 0/1 (or NaN).
    by: domain label per row (e.g. township code, or a category); None = everyone.
    max_elements: cap on the n × columns residual matrix that domains cutting across
        raking blocks need (each such domain takes its own column).
    Returns DomainEstimates with (k, D) arrays; a domain without valid answers gets
    NaN estimate and SE and n = 0. Raises EstimationError for an unknown statistic,
    a wrong length, non-0/1 values for a proportion, or more domains across raking
    blocks than ``max_elements`` allows.
    """
    if statistic not in STATISTICS:
        raise EstimationError(f"statistic must be one of {STATISTICS}",
                              errors={"statistic": ["unknown"]})
    w = design.weights
    n = design.n
    ymat = _as_matrix(y, n)
    if statistic == "proportion":
        finite = ymat[np.isfinite(ymat)]
        if finite.size and not np.all((finite == 0) | (finite == 1)):
            raise EstimationError("a proportion needs 0/1 values",
                                  errors={"y": ["values other than 0/1"]})
    if by is None:
        dom, labels = np.zeros(n, np.int64), np.array([None], dtype=object)
    elif (known := design.codes_of(by)) is not None:
        dom, labels = known
    else:
        dom, labels = _codes(by, "by")
        if dom.size != n:
            raise EstimationError("by and weights differ in length",
                                  errors={"by": ["wrong length"]})
    n_dom = len(labels)
    block, n_blocks, slot, n_slots, dom_block = _layout(design, dom, n_dom)
    if n * n_slots > max_elements:
        raise EstimationError(
            f"{n_dom} domains cut across the raking blocks: each would need its own "
            f"{n}-row residual column; rake each domain (township) to its own margins "
            f"(cross the margins with the township) or estimate fewer domains at once",
            errors={"by": ["too many domains across raking blocks"]})
    k = ymat.shape[1]
    shape = (k, n_dom)
    est, var = np.full(shape, np.nan), np.full(shape, np.nan)
    cnt, sw, sw2 = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    members = sp.csr_matrix((np.ones(n), (dom, np.arange(n))), shape=(n_dom, n))
    per_chunk = max(1, _CHUNK_ELEMENTS // max(1, n * n_slots))
    for start in range(0, k, per_chunk):
        stop = min(k, start + per_chunk)
        cols = np.arange(start, stop)
        # C order matters: sparse products copy non-contiguous operands
        stats, z = _influence(np.ascontiguousarray(ymat[:, start:stop]), w, members, dom,
                              statistic)
        cnt[cols], sw[cols], sw2[cols], est[cols] = stats
        if n_slots == 1:
            u = z
        else:
            u = np.zeros((n, cols.size * n_slots))
            target = slot[dom]
            for c in range(cols.size):
                u[np.arange(n), c * n_slots + target] = z[:, c]
        if design.calibration is not None:
            u = design.calibration.residuals(u)
        v = design.total_variance(w[:, None] * u, block, n_blocks)
        for c, j in enumerate(cols):
            var[j] = v[dom_block, c * n_slots + slot]
    empty = cnt == 0
    est[empty] = np.nan
    var[empty] = np.nan
    se = np.sqrt(np.clip(var, 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eff = np.where(empty, np.nan, sw * sw / sw2)
        deff = np.where(empty, np.nan, cnt * sw2 / (sw * sw))
    if statistic == "proportion":
        low, high = wilson_interval(est, n_eff, level)
    else:
        low, high = normal_interval(est, se, level)
    return DomainEstimates(
        statistic=statistic, domains=[_py(v) for v in labels], estimate=est, se=se,
        n=cnt.astype(np.int64), n_eff=n_eff, deff_kish=deff, ci_low=low, ci_high=high,
        level=level, variables=list(variables) if variables is not None else [],
    )


def _influence(yc: np.ndarray, w: np.ndarray, members: sp.csr_matrix, dom: np.ndarray,
               statistic: str):
    """Per-domain sums for a block of columns at once, and the influence values z
    (n × m, zero outside the column's valid answers). ``members`` is the D × n domain
    indicator matrix."""
    valid = np.isfinite(yc)
    v = valid.astype(float)
    wv = v * w[:, None]
    y0 = np.where(valid, yc, 0.0)
    cnt, sw = (members @ v).T, (members @ wv).T
    sw2, swy = (members @ (wv * w[:, None])).T, (members @ (wv * y0)).T
    with np.errstate(divide="ignore", invalid="ignore"):
        if statistic == "total":
            est = swy
            z = y0
        else:
            est = swy / sw
            z = np.where(valid, (yc - est.T[dom]) / sw.T[dom], 0.0)
    return (cnt, sw, sw2, est), z


def _single(design: SurveyDesign, y, domain, statistic: str, level: float) -> Estimate:
    if domain is None:
        return domain_estimates(design, y, None, statistic=statistic, level=level).get(0)
    mask = np.asarray(domain, dtype=bool)
    if mask.shape != (design.n,):
        raise EstimationError("domain must be a boolean mask per row",
                              errors={"domain": ["wrong length"]})
    yv = np.asarray(y, dtype=float).copy()
    yv[~mask] = np.nan
    return domain_estimates(design, yv, None, statistic=statistic, level=level).get(0)


def weighted_mean(design: SurveyDesign, y, domain=None, *, level: float = 0.95) -> Estimate:
    """Weighted mean Σwy/Σw of ``y`` (NaN = missing) over a ``domain`` mask (None = all),
    SE by linearisation of the ratio; normal interval."""
    return _single(design, y, domain, "mean", level)


def weighted_total(design: SurveyDesign, y, domain=None, *, level: float = 0.95) -> Estimate:
    """Weighted total Σwy of ``y`` (NaN = missing) over a ``domain`` mask (None = all)."""
    return _single(design, y, domain, "total", level)


def weighted_proportion(design: SurveyDesign, y, domain=None, *, level: float = 0.95) -> Estimate:
    """Weighted proportion of 1s in 0/1 ``y`` (NaN = excluded) with a Wilson interval on
    the Kish effective n."""
    return _single(design, y, domain, "proportion", level)


def _missing(answers: np.ndarray) -> np.ndarray:
    if answers.dtype.kind == "f":
        return np.isnan(answers)
    if answers.dtype.kind == "O":
        flat = np.fromiter((a is None or (isinstance(a, float) and a != a)
                            for a in answers.ravel()), dtype=bool, count=answers.size)
        return flat.reshape(answers.shape)
    return np.zeros(answers.shape, dtype=bool)


def satisfaction_indicator(answers, satisfied_codes, invalid_codes=()) -> np.ndarray:
    """0/1 per answer: 1 if the code is in ``satisfied_codes``; NaN for a missing answer
    or one of ``invalid_codes`` (don't know, refused) — those are excluded from the rate,
    so the rate is over valid answers only. Any shape; the result has the same shape."""
    a = np.asarray(answers)
    out = _in_codes(a, satisfied_codes).astype(float)
    out[_missing(a) | _in_codes(a, invalid_codes)] = np.nan
    return out


def _in_codes(a: np.ndarray, codes) -> np.ndarray:
    """Membership test; for numbers a few comparisons beat np.isin on large arrays."""
    codes = list(codes)
    numeric = all(isinstance(c, int | float | np.number) for c in codes)
    if a.dtype.kind in "iuf" and numeric and len(codes) <= 16:
        out = np.zeros(a.shape, dtype=bool)
        for code in codes:
            out |= a == code
        return out
    return np.isin(a, codes)


def satisfaction_rates(
    design: SurveyDesign,
    answers,
    satisfied_codes,
    invalid_codes=(),
    by=None,
    *,
    level: float = 0.95,
) -> DomainEstimates:
    """Satisfaction rate = weighted proportion of valid answers whose code is declared
    "satisfied"; answers that are missing or in ``invalid_codes`` (DK/refused) are left
    out of numerator and denominator. ``answers`` is (n,) or (n, k) (k questions with
    the same codes, one per column); per domain ``by`` (e.g. township)."""
    ind = satisfaction_indicator(answers, satisfied_codes, invalid_codes)
    if ind.ndim not in (1, 2):
        raise EstimationError("answers must be (n,) or (n, k)", errors={"answers": ["shape"]})
    return domain_estimates(design, ind, by, statistic="proportion", level=level)
