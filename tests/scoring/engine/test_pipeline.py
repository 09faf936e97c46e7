"""The whole pipeline against hand computations: tree aggregation with mixed methods,
missing-data policies, overrides, credibility, Fay–Herriot inside compute."""

from __future__ import annotations

import math

import numpy as np
import pytest

from services.scoring.engine import EngineError, Table, compute, fay_herriot, from_document

UNITS = ["a1", "a2", "a3", "a4", "b1", "b2", "b3"]
GROUPS = ["A", "A", "A", "A", "B", "B", "B"]
X1 = [20.0, 55.0, 90.0, 120.0, 40.0, 70.0, 10.0]  # goalposts 0..100
X2 = [3.0, 1.0, 2.0, 5.0, 4.0, 2.0, 9.0]  # lower is better, min-max within group
X3 = [7.0, 3.0, 5.0, 6.0, 9.0, 1.0, 4.0]  # T-score across all units


def document(missing="fail", **extra):
    return {
        "missing": missing,
        "root": {
            "id": "total",
            "aggregation": "arithmetic",
            "weighting": {"method": "expert"},
            "children": [
                {
                    "id": "A",
                    "weight": 0.6,
                    "aggregation": "geometric",
                    "weighting": {"method": "expert"},
                    "children": [
                        {
                            "id": "I1",
                            "source": "poll",
                            "direction": "higher",
                            "unit_of_measure": "%",
                            "weight": 0.75,
                            "normalisation": {"method": "goalposts", "min": 0, "max": 100},
                        },
                        {
                            "id": "I2",
                            "source": "self_check",
                            "direction": "lower",
                            "unit_of_measure": "",
                            "weight": 0.25,
                            "normalisation": {"method": "minmax"},
                        },
                    ],
                },
                {
                    "id": "I3",
                    "source": "inspection",
                    "direction": "higher",
                    "unit_of_measure": "",
                    "weight": 0.4,
                    "normalisation": {"method": "tscore", "scope": "all"},
                },
            ],
        },
        **extra,
    }


def table(x1=X1, x2=X2, x3=X3, se=None, rates=None):
    values = np.column_stack([x1, x2, x3]).astype(float)
    se = np.full_like(values, np.nan) if se is None else se
    t = Table(list(UNITS), list(GROUPS), ["I1", "I2", "I3"], values, se)
    if rates is not None:
        t.discrepancy = np.array(rates, dtype=float)
    return t


def by_hand(x1, x2, x3, floor=0.01, w2=None):
    """Composite computed with plain Python, unit by unit."""
    s1 = [min(max(v, 0.0), 100.0) for v in x1]
    s2 = []
    for u, v in enumerate(x2):
        peers = [x2[i] for i in range(len(x2)) if GROUPS[i] == GROUPS[u]]
        s2.append(100 * (max(peers) - v) / (max(peers) - min(peers)))
    mean = sum(x3) / len(x3)
    sd = math.sqrt(sum((v - mean) ** 2 for v in x3) / (len(x3) - 1))
    s3 = [50 + 10 * (v - mean) / sd for v in x3]
    out = []
    for u in range(len(x1)):
        wa, wb = 0.75, (0.25 if w2 is None else w2[u])
        a = math.exp(
            (wa * math.log(max(s1[u], floor)) + wb * math.log(max(s2[u], floor))) / (wa + wb)
        )
        out.append(0.6 * a + 0.4 * s3[u])
    return out, s1, s2, s3


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


def test_arithmetic_vs_geometric_differ_as_expected():
    doc = document()
    doc["root"]["children"][0]["aggregation"] = "arithmetic"
    arith = compute(from_document(doc), table())
    geo = compute(from_document(document()), table())
    _, s1, s2, s3 = by_hand(X1, X2, X3)
    np.testing.assert_allclose(
        arith.node_scores["A"], [0.75 * a + 0.25 * b for a, b in zip(s1, s2, strict=True)]
    )
    # weighted AM ≥ weighted GM, equal only where the children agree
    assert np.all(arith.node_scores["A"] >= geo.node_scores["A"] - 1e-12)


def test_three_levels_any_depth():
    doc = document()
    doc["root"]["children"][1] = {
        "id": "B",
        "weight": 0.4,
        "aggregation": "arithmetic",
        "weighting": {"method": "equal"},
        "children": [doc["root"]["children"][1] | {"weight": None}],
    }
    deep = compute(from_document(doc), table())
    flat = compute(from_document(document()), table())
    np.testing.assert_allclose(deep.composite, flat.composite, rtol=1e-12)
    assert set(deep.node_scores) == {"A", "B", "total"}


def test_missing_fail_names_units():
    x1 = list(X1)
    x1[1] = math.nan
    with pytest.raises(EngineError) as err:
        compute(from_document(document("fail")), table(x1=x1))
    assert "unit a2" in err.value.errors


@pytest.mark.parametrize(
    ("policy", "stat"), [("impute_group_mean", np.mean), ("impute_group_median", np.median)]
)
def test_missing_imputed_with_group_statistic(policy, stat):
    x2 = list(X2)
    x2[0] = math.nan
    result = compute(from_document(document(policy)), table(x2=x2))
    fill = float(stat([1.0, 2.0, 5.0]))
    filled = [fill] + X2[1:]
    expected, *_ = by_hand(X1, filled, X3)
    np.testing.assert_allclose(result.composite, expected, rtol=1e-12)
    assert result.missing[0] == [
        {"indicator": "I2", "action": f"imputed_{policy.split('_', 1)[1]}", "value": fill}
    ]
    assert all(not m for m in result.missing[1:])


def test_missing_reweight_uses_present_siblings():
    x2 = list(X2)
    x2[4] = math.nan  # b1 has no I2: node A is its I1 score alone
    result = compute(from_document(document("reweight")), table(x2=x2))
    _, s1, _, s3 = by_hand(X1, X2, X3)
    b_rest = [x2[5], x2[6]]
    assert result.missing[4] == [{"indicator": "I2", "action": "reweighted"}]
    assert result.node_scores["A"][4] == pytest.approx(s1[4])
    assert result.composite[4] == pytest.approx(0.6 * s1[4] + 0.4 * s3[4])
    # group B's min-max uses the two present values only
    assert result.normalised[5, 1] == pytest.approx(
        100 * (max(b_rest) - x2[5]) / (max(b_rest) - min(b_rest))
    )


def test_override_weights_and_exclusion_per_group():
    doc = document(
        overrides=[
            {"peer_group": "B", "weights": {"A": 0.2, "I3": 0.8}},
            {"peer_group": "A", "exclude": ["I3"]},
        ]
    )
    result = compute(from_document(doc), table())
    # I3 is not applicable in group A, so its across-all T-score uses group B only
    b_x3 = X3[4:]
    mean = sum(b_x3) / 3
    sd = math.sqrt(sum((v - mean) ** 2 for v in b_x3) / 2)
    a_scores = result.node_scores["A"]
    for u, g in enumerate(GROUPS):
        expected = (
            a_scores[u] if g == "A" else 0.2 * a_scores[u] + 0.8 * (50 + 10 * (X3[u] - mean) / sd)
        )
        assert result.composite[u] == pytest.approx(expected)
    assert result.missing[0] == [{"indicator": "I3", "action": "excluded"}]


def test_credibility_weight_mode_discounts_self_check():
    rates = [0.5, 0, 0, 0, 0, 0, 0.2]
    result = compute(from_document(document()), table(rates=rates), credibility={"mode": "weight"})
    w2 = [0.25 * (1 - r) for r in rates]
    expected, *_ = by_hand(X1, X2, X3, w2=w2)
    np.testing.assert_allclose(result.composite, expected, rtol=1e-12)
    np.testing.assert_allclose(result.credibility, [1 - r for r in rates])


def test_credibility_value_mode_pulls_toward_group_minimum():
    rates = [0.5, 0, 0, 0, 0, 0, 0]
    plain = compute(from_document(document()), table())
    result = compute(from_document(document()), table(rates=rates), credibility={"mode": "value"})
    group_min = min(plain.normalised[:4, 1])
    assert result.normalised[0, 1] == pytest.approx(0.5 * plain.normalised[0, 1] + 0.5 * group_min)
    np.testing.assert_allclose(result.normalised[1:], plain.normalised[1:])


def test_fay_herriot_inside_compute_shrinks_toward_group_mean():
    se = np.full((7, 3), np.nan)
    se[:, 0] = [8.0, 5.0, 12.0, 6.0, 9.0, 4.0, 7.0]
    doc = document()
    doc["root"]["children"][0]["children"][0]["shrinkage"] = "REML"
    result = compute(from_document(doc), table(se=se))
    design = np.array([[g == "A", g == "B"] for g in GROUPS], dtype=float)
    fit = fay_herriot.fit(np.array(X1), se[:, 0] ** 2, design, "REML")
    np.testing.assert_allclose(result.values[:, 0], fit.eblup, rtol=1e-12)
    np.testing.assert_allclose(result.fay_herriot["I1"]["gamma"], fit.gamma)
    np.testing.assert_allclose(result.fay_herriot["I1"]["mse"], fit.mse)


def test_data_driven_weights_from_point_scores():
    doc = document()
    doc["root"]["weighting"] = {"method": "entropy"}
    result = compute(from_document(doc), table())
    plain = compute(from_document(document()), table())
    from services.scoring.engine import weights

    w = weights.entropy(np.column_stack([plain.node_scores["A"], plain.normalised[:, 2]]))
    assert list(result.weights["total"].values()) == pytest.approx(list(w))


def test_geometric_node_rejects_signed_normalisation():
    doc = document()
    doc["root"]["children"][0]["children"][1]["normalisation"] = {"method": "zscore"}
    with pytest.raises(EngineError):
        compute(from_document(doc), table())


def test_log_and_cap_transforms():
    doc = document()
    i3 = doc["root"]["children"][1]
    i3["transform"] = {"kind": "log"}
    i3["normalisation"] = {"method": "none"}
    doc["root"]["children"][0]["children"][0]["transform"] = {"kind": "cap", "value": 60}
    result = compute(from_document(doc), table())
    np.testing.assert_allclose(result.normalised[:, 2], np.log(X3))
    np.testing.assert_allclose(result.normalised[:, 0], np.minimum(X1, 60))
    x3 = list(X3)
    x3[0] = -1.0
    with pytest.raises(EngineError):
        compute(from_document(doc), table(x3=x3))


def test_ratio_transform_reads_reported_fields():
    doc = document()
    doc["root"]["children"][1]["transform"] = {
        "kind": "ratio",
        "numerator": "actual",
        "denominator": "target",
    }
    rows = []
    for u, g, a, b, c in zip(UNITS, GROUPS, X1, X2, X3, strict=True):
        rows += [
            {"unit": u, "group": g, "indicator": "I1", "value": a},
            {"unit": u, "group": g, "indicator": "I2", "value": b},
            {"unit": u, "group": g, "indicator": "I3", "field": "actual", "value": c * 4},
            {"unit": u, "group": g, "indicator": "I3", "field": "target", "value": 4},
        ]
    result = compute(from_document(doc), Table.from_rows(rows, ["I1", "I2", "I3"]))
    np.testing.assert_allclose(result.values[:, 2], X3)


def test_group_without_any_value_of_an_indicator_is_reweighted_quietly():
    x2 = list(X2)
    for u in (4, 5, 6):
        x2[u] = math.nan  # group B reports no I2 at all
    result = compute(from_document(document("reweight")), table(x2=x2))
    _, s1, _, s3 = by_hand(X1, X2, X3)
    np.testing.assert_allclose(result.composite[4:], [0.6 * s1[u] + 0.4 * s3[u] for u in (4, 5, 6)])


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
