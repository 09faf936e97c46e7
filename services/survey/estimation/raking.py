"""Raking (iterative proportional fitting) of weights to population margins, with
optional weight trimming, returning a calibrated design whose SEs account for the
calibration.

IPF (Deming & Stephan 1940): cycle through the margins, multiplying the weights of
each category by target / current weighted count, until every margin matches its
targets within ``tol`` (relative), or ``max_iter`` cycles. The calibrated design keeps
the category indicators so that SEs use residuals of the base-weighted regression on
them (Deville & Särndal 1992; R ``survey`` ``calibrate(calfun="raking")``).

A margin may be joint (several variables crossed, e.g. stype × sch.wide) and may be
crossed with the township so that each township is raked to its own margins; rows
whose categories are connected form a block, and trimming bounds relative to the
mean weight are taken per block.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from .categories import compact
from .design import Calibration, SurveyDesign, _codes, _py
from .errors import EstimationError


class Margin:
    """Population counts for the categories of one variable, or of several crossed.

    name: shown in reports and errors.
    codes: the category per respondent — one array, or a sequence of arrays for a
        joint margin (then population keys are tuples, one label per array; cross
        with the township code to rake each township to its own margins).
    population: {category: population count}; counts must be positive.
    """

    def __init__(self, name: str, codes, population: Mapping[Hashable, float]):
        self.name = name
        is_joint = isinstance(codes, list | tuple)
        self.arrays = [np.asarray(c) for c in codes] if is_joint else [np.asarray(codes)]
        self.joint = is_joint
        self.population = dict(population)

    def resolve(self, n: int, known: dict | None = None) -> tuple[np.ndarray, np.ndarray, list]:
        """(cell per row, target per cell, label per cell); ``known`` caches the codes of
        arrays shared between margins. Raises EstimationError naming
        the margin when a respondent's category is missing or not in the population, when
        a population category has no respondents, or a count is not positive."""
        codes, labels = [], []
        for arr in self.arrays:
            if arr.shape != (n,):
                raise EstimationError(f"margin {self.name}: codes have the wrong length",
                                      margin=self.name)
            if known is not None and id(arr) in known:
                c, lab = known[id(arr)][1]
            else:
                try:
                    c, lab = _codes(arr, self.name)
                except EstimationError as exc:
                    raise EstimationError(f"margin {self.name}: a respondent has no category "
                                          f"({exc.message})", margin=self.name) from exc
                if known is not None:
                    known[id(arr)] = (arr, (c, lab))  # keeps arr alive so the id stays unique
            codes.append(c)
            labels.append([_py(v) for v in lab])
        if len(codes) == 1:  # codes of one array are 0..K-1, every one present
            cells, row_cell = np.arange(len(labels[0])), codes[0]
        else:
            combined = np.zeros(n, np.int64)
            for c, lab in zip(codes, labels, strict=True):
                combined = combined * len(lab) + c
            cells, row_cell = compact(combined, math.prod(len(lab) for lab in labels))
        keys = []
        for k in cells.tolist():
            parts = []
            for lab in reversed(labels):
                parts.append(lab[k % len(lab)])
                k //= len(lab)
            parts.reverse()
            keys.append(tuple(parts) if self.joint else parts[0])
        self._check(keys)
        targets = np.array([float(self.population[key]) for key in keys])
        return row_cell.astype(np.int64), targets, keys

    def _check(self, keys: list) -> None:
        unknown = [key for key in keys if key not in self.population]
        if unknown:
            raise EstimationError(
                f"margin {self.name}: respondents in category {unknown[0]!r}, which has no "
                f"population count", margin=self.name, category=unknown[0],
                errors={self.name: [f"no population count for {u!r}" for u in unknown]})
        bad = [key for key in keys if not float(self.population[key]) > 0]
        if bad:
            raise EstimationError(
                f"margin {self.name}: population count of {bad[0]!r} must be positive",
                margin=self.name, category=bad[0],
                errors={self.name: [f"non-positive count for {b!r}" for b in bad]})
        present = set(keys)
        empty = [key for key, v in self.population.items() if key not in present and v > 0]
        if empty:
            raise EstimationError(
                f"margin {self.name}: category {empty[0]!r} has no respondents",
                margin=self.name, category=empty[0],
                errors={self.name: [f"no respondents in {e!r}" for e in empty]})


@dataclass(frozen=True)
class Trim:
    """Weight trimming bounds. ``relative``: bounds are ratios to the mean weight of the
    block (its population / its respondents, e.g. lower=0.3, upper=3.0); otherwise
    absolute weights. Weights outside the bounds after raking are clipped and raked
    again, clipping after every margin step (bounded raking), for at most
    ``max_rounds`` IPF cycles; bounds that the margins make infeasible show up as
    ``converged=False`` in the report."""

    lower: float | None = None
    upper: float | None = None
    relative: bool = True
    max_rounds: int = 1000


@dataclass(frozen=True)
class MarginReport:
    name: str
    categories: int
    max_abs_error: float
    max_rel_error: float


@dataclass(frozen=True)
class TrimReport:
    """rounds: bounded IPF cycles after the plain rake (0 = no weight was outside);
    trimmed_rows: weights outside the bounds after the plain rake; at_bound: weights on
    a bound at the end; converged: margins met within tol with the bounds held."""

    rounds: int
    trimmed_rows: int
    at_bound: int
    converged: bool
    min_ratio_to_mean: float
    max_ratio_to_mean: float


@dataclass(frozen=True)
class RakeResult:
    """The raked design and how raking went. ``iterations`` counts IPF cycles over all
    margins (summed over trimming rounds); ``max_margin_error`` is the largest relative
    difference |raked count − target| / target over all categories."""

    design: SurveyDesign
    weights: np.ndarray
    iterations: int
    converged: bool
    max_margin_error: float
    tol: float
    max_iter: int
    margins: list[MarginReport]
    trim: TrimReport | None

    def report(self) -> dict:
        """JSON-ready summary (no weights)."""
        return {
            "iterations": self.iterations,
            "converged": self.converged,
            "max_margin_error": self.max_margin_error,
            "tol": self.tol,
            "max_iter": self.max_iter,
            "margins": [asdict(m) for m in self.margins],
            "trim": asdict(self.trim) if self.trim else None,
        }


def _errors(w, resolved) -> list[tuple[float, float]]:
    out = []
    for cells, targets, _ in resolved:
        diff = np.abs(np.bincount(cells, w, minlength=targets.size) - targets)
        out.append((float(diff.max()), float((diff / targets).max())))
    return out


def _ipf(w, resolved, tol: float, max_iter: int, lo=None, hi=None):
    """IPF cycles; with bounds, weights are clipped to [lo, hi] after every margin step
    so trimmed weights are re-raked in the same cycle (bounded raking)."""
    w = w.copy()
    err = float("inf")
    for iteration in range(1, max_iter + 1):
        for cells, targets, _ in resolved:
            w *= (targets / np.bincount(cells, w, minlength=targets.size))[cells]
            if lo is not None:
                np.clip(w, lo, hi, out=w)
        err = max(rel for _, rel in _errors(w, resolved))
        if err <= tol:
            return w, iteration, True, err
    return w, max_iter, False, err


def _indicators(cells: Sequence[np.ndarray], offsets: np.ndarray) -> sp.csr_matrix:
    """The 0/1 matrix of a category per margin per row (one entry per row and margin,
    columns ascending), built in CSR form directly."""
    rows, width = cells[0].size, len(cells)
    columns = np.empty((rows, width), np.int64)
    for k, c in enumerate(cells):
        columns[:, k] = c + offsets[k]
    return sp.csr_matrix((np.ones(rows * width), columns.ravel(),
                          np.arange(0, rows * width + 1, width)),
                         shape=(rows, int(offsets[-1])))


def _joint(resolved) -> tuple[np.ndarray, list[np.ndarray]]:
    """The combinations of categories over all margins that occur: (the combination of
    each row, the category per combination of each margin). Raking moves every row of
    a combination by the same factors, so IPF can run on the combinations' totals."""
    sizes = [t.size for _, t, _ in resolved]
    space = math.prod(sizes)
    if space < 2**62:
        combined = np.zeros(resolved[0][0].size, np.int64)
        for (cells, _, _), size in zip(resolved, sizes, strict=True):
            combined = combined * size + cells
        values, row_joint = compact(combined, space)
        per_margin = []
        for size in reversed(sizes):
            per_margin.append(values % size)
            values = values // size
        return row_joint, per_margin[::-1]
    table, row_joint = np.unique(np.stack([c for c, _, _ in resolved], axis=1), axis=0,
                                 return_inverse=True)
    return row_joint.reshape(-1), [table[:, k] for k in range(len(sizes))]


def _blocks(joint_x: sp.csr_matrix, joint_first: np.ndarray,
            row_joint: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Connected components of the margins' categories (categories are linked when a
    respondent has both): (block per combination, block per row, number of blocks)."""
    n_blocks, labels = connected_components((joint_x.T @ joint_x).tocsr(), directed=False)
    joint_block = labels[joint_first].astype(np.int64)
    return joint_block, joint_block[row_joint], int(n_blocks)


def _ipf_joint(w: np.ndarray, row_joint: np.ndarray, joint_cells: list[np.ndarray],
               resolved, tol: float, max_iter: int):
    """Plain IPF (``_ipf`` without bounds) on the totals of the combinations, mapped
    back to the rows: the same weights to rounding, in time of the combinations."""
    base = np.bincount(row_joint, w, minlength=joint_cells[0].size)
    table = base.copy()
    pairs = [(cells, targets) for cells, (_, targets, _) in
             zip(joint_cells, resolved, strict=True)]
    err, iteration, converged = float("inf"), max_iter, False
    for step in range(1, max_iter + 1):
        for cells, targets in pairs:
            table *= (targets / np.bincount(cells, table, minlength=targets.size))[cells]
        err = max(float((np.abs(np.bincount(cells, table, minlength=targets.size) - targets)
                         / targets).max()) for cells, targets in pairs)
        if err <= tol:
            iteration, converged = step, True
            break
    return w * (table / base)[row_joint], iteration, converged, err


def _bounds(trim: Trim, resolved, block, n_blocks) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per-row [lo, hi] and the block mean weight (population / respondents of the block,
    which raking fixes)."""
    cells, targets, _ = resolved[0]
    share = (targets / np.bincount(cells, minlength=targets.size))[cells]
    pop = np.bincount(block, share, minlength=n_blocks)  # Σ of the block's targets
    mean = (pop / np.bincount(block, minlength=n_blocks))[block]
    scale = mean if trim.relative else np.ones(block.size)
    lo = np.zeros(block.size) if trim.lower is None else trim.lower * scale
    hi = np.full(block.size, np.inf) if trim.upper is None else trim.upper * scale
    if np.any(lo > hi) or np.any(hi <= 0):
        raise EstimationError("trim bounds are empty", errors={"trim": ["lower above upper"]})
    return lo, hi, mean


def _trim(w, block, n_blocks, trim: Trim, resolved, tol):
    lo, hi, mean = _bounds(trim, resolved, block, n_blocks)
    slack = 1e-9
    outside = (w < lo * (1 - slack)) | (w > hi * (1 + slack))
    rounds, converged, err = 0, True, max(rel for _, rel in _errors(w, resolved))
    if outside.any():
        w, rounds, converged, err = _ipf(np.clip(w, lo, hi), resolved, tol, trim.max_rounds,
                                         lo, hi)
    at_bound = (w <= lo * (1 + slack)) | (w >= hi * (1 - slack))
    ratio = w / mean
    report = TrimReport(rounds, int(outside.sum()), int(at_bound.sum()), converged,
                        float(ratio.min()), float(ratio.max()))
    return w, rounds, converged, err, report


def _check_totals(margins, resolved, joint_cells, block, n_blocks, rel: float = 1e-6) -> None:
    """Every margin must add up to the same population within each block (township),
    otherwise IPF cannot meet them all; the error names the margin and a category.
    ``joint_cells``: each margin's category per combination, ``block``: the block of
    each combination."""
    cell_blocks, sums = [], []
    for cells, (_, targets, _) in zip(joint_cells, resolved, strict=True):
        cell_block = np.zeros(targets.size, np.int64)
        cell_block[cells] = block
        cell_blocks.append(cell_block)
        sums.append(np.bincount(cell_block, targets, minlength=n_blocks))
    for m, total in zip(margins, sums, strict=True):
        bad = np.flatnonzero(np.abs(total - sums[0]) > rel * sums[0])
        if bad.size:
            b = int(bad[0])
            example = resolved[0][2][int(np.flatnonzero(cell_blocks[0] == b)[0])]
            raise EstimationError(
                f"margin {m.name} adds up to {total[b]:g} but margin {margins[0].name} to "
                f"{sums[0][b]:g} (where {margins[0].name} has category {example!r})",
                margin=m.name, category=example,
                errors={m.name: ["total differs from the other margins"]})


def rake(
    design: SurveyDesign,
    margins: Sequence[Margin],
    *,
    tol: float = 1e-10,
    max_iter: int = 100,
    trim: Trim | None = None,
) -> RakeResult:
    """Rake ``design``'s weights to ``margins`` by IPF; optionally trim and re-rake.

    tol: relative margin error at which IPF stops; max_iter: cap on IPF cycles (not
    converging is reported, not raised). The returned design's SEs use calibration
    residuals with the input weights as base weights.
    Raises EstimationError naming the margin when a respondent lacks a category, a
    category has no population count or a population category has no respondents,
    when two margins add up to different populations within a block (township), or
    when trimming bounds are empty.
    """
    if not margins:
        raise EstimationError("rake needs at least one margin", errors={"margins": ["empty"]})
    n = design.n
    known: dict = {}  # the township array is usually in every margin: sort it once
    resolved = [m.resolve(n, known) for m in margins]
    offsets = np.cumsum([0] + [t.size for _, t, _ in resolved])
    x = _indicators([cells for cells, _, _ in resolved], offsets)
    row_joint, joint_cells = _joint(resolved)
    joint_block, block, n_blocks = _blocks(_indicators(joint_cells, offsets), joint_cells[0],
                                           row_joint)
    _check_totals(margins, resolved, joint_cells, joint_block, n_blocks)
    w, iterations, converged, err = _ipf_joint(design.weights, row_joint, joint_cells,
                                               resolved, tol, max_iter)
    trim_report = None
    if trim is not None and (trim.lower is not None or trim.upper is not None):
        w, its, converged_t, err_t, trim_report = _trim(w, block, n_blocks, trim, resolved, tol)
        if trim_report.rounds:
            iterations, converged, err = iterations + its, converged_t, err_t
    reports = [MarginReport(m.name, t.size, a, r) for m, (_, t, _), (a, r) in
               zip(margins, resolved, _errors(w, resolved), strict=True)]
    calibration = Calibration(x, design.weights.copy(), block, n_blocks)
    return RakeResult(design.with_weights(w, calibration), w, iterations, converged, err,
                      tol, max_iter, reports, trim_report)
