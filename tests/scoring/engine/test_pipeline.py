"""The whole pipeline against hand computations: the composite, normalised scores,
contributions and group ranks of a mixed tree; the sensitivity variants; pinned methods.

What the model fixes before scoring (missing data, overrides, weights, Fay–Herriot) is
tested in test_model.py, the evaluation of a stack (aggregation, transforms) in
test_evaluation.py."""

from __future__ import annotations

import math

import numpy as np
import pytest

from services.scoring.engine import compute, from_document
from tests.scoring.engine.hand_support import GROUPS, X1, X2, X3, by_hand, document, table


def test_mixed_tree_matches_hand_computation():
    result = compute(from_document(document()), table())
    expected, s1, s2, s3 = by_hand(X1, X2, X3)
    np.testing.assert_allclose(result.composite, expected, rtol=1e-12)
    np.testing.assert_allclose(result.normalised, np.column_stack([s1, s2, s3]), rtol=1e-12)
    np.testing.assert_allclose(result.contributions.sum(axis=1), result.composite, rtol=1e-12)
    assert result.weights["A"] == {"I1": 0.75, "I2": 0.25}
    # ranks within group, 1 = best
    for g in ("A", "B"):
        idx = [i for i, gg in enumerate(GROUPS) if gg == g]
        order = sorted(idx, key=lambda i: -expected[i])
        assert [int(result.rank[i]) for i in order] == list(range(1, len(idx) + 1))


def test_sensitivity_skips_variants_the_scheme_cannot_take():
    result = compute(from_document(document()), table(), sensitivity=True)
    variants = result.sensitivity["variants"]
    assert "geometric" in variants["normalisation=zscore"]["skipped"]
    assert "geometric" in variants["normalisation=robust_z"]["skipped"]
    # min-max for every indicator (I3 keeps its scope "all"): ranks and shifts by hand
    _, s1, s2, _ = by_hand(X1, X2, X3)
    base = _group_ranks(by_hand(X1, X2, X3)[0])
    lo1 = {g: min(x for x, gg in zip(X1, GROUPS, strict=True) if gg == g) for g in "AB"}
    hi1 = {g: max(x for x, gg in zip(X1, GROUPS, strict=True) if gg == g) for g in "AB"}
    m1 = [100 * (x - lo1[g]) / (hi1[g] - lo1[g]) for x, g in zip(X1, GROUPS, strict=True)]
    m3 = [100 * (x - min(X3)) / (max(X3) - min(X3)) for x in X3]
    ranks = _group_ranks([
        0.6 * math.exp(0.75 * math.log(max(a, 0.01)) + 0.25 * math.log(max(b, 0.01))) + 0.4 * c
        for a, b, c in zip(m1, s2, m3, strict=True)])
    shifts = [abs(r - b) for r, b in zip(ranks, base, strict=True)]
    minmax = variants["normalisation=minmax"]
    assert minmax["rank"] == ranks
    assert minmax["max_abs_shift"] == max(shifts) > 0
    assert minmax["mean_abs_shift"] == pytest.approx(sum(shifts) / len(shifts), rel=1e-12)
    equal = variants["weighting=equal"]
    # equal weights at both nodes: recompute the ranks by hand and compare
    _, s1, s2, s3 = by_hand(X1, X2, X3)
    comp = [
        0.5 * math.exp(0.5 * math.log(max(a, 0.01)) + 0.5 * math.log(max(b, 0.01))) + 0.5 * c
        for a, b, c in zip(s1, s2, s3, strict=True)
    ]
    for u, g in enumerate(GROUPS):
        peers = [i for i, gg in enumerate(GROUPS) if gg == g]
        assert equal["rank"][u] == 1 + sum(comp[i] > comp[u] for i in peers)


def test_pinned_nodes_and_indicators_keep_their_methods_under_a_variant():
    """weighting=equal with the root and I3 pinned: the root keeps 0.6/0.4 and I3 its
    T-score; only node A's weights become equal (recomputed by hand)."""
    pinned = compute(from_document(document()), table(), weighting="equal",
                     normalisation=None, pinned=("total", "I3"))
    _, s1, s2, s3 = by_hand(X1, X2, X3)
    comp = [
        0.6 * math.exp(0.5 * math.log(max(a, 0.01)) + 0.5 * math.log(max(b, 0.01))) + 0.4 * c
        for a, b, c in zip(s1, s2, s3, strict=True)
    ]
    np.testing.assert_allclose(pinned.composite, comp, rtol=1e-12)
    assert pinned.method["weighting"] == {"total": "expert", "A": "equal"}
    unpinned = compute(from_document(document()), table(), weighting="equal")
    assert not np.allclose(unpinned.composite, comp)
    # a normalisation variant leaves a pinned indicator's method alone
    zscored = compute(from_document(document()), table(), normalisation="minmax",
                      pinned=("I1",))
    assert zscored.method["normalisation"]["I1"]["method"] == "goalposts"


def _group_ranks(composite: list[float]) -> list[int]:
    """Rank within group by hand, 1 = best (the values here have no ties)."""
    return [1 + sum(composite[i] > composite[u] for i, g in enumerate(GROUPS) if g == GROUPS[u])
            for u in range(len(composite))]
