"""Scoring a stack of values: the weighted arithmetic and geometric aggregation up a tree
of any depth, transforms, credibility on values, and blocks of units scored as one."""

from __future__ import annotations

import math

import numpy as np
import pytest

from services.scoring.engine import EngineError, Options, Table, compute, evaluation, from_document
from services.scoring.engine.evaluation import aggregate, as_index
from services.scoring.engine.model import Model
from tests.scoring.engine.hand_support import GROUPS, UNITS, X1, X2, X3, by_hand, document, table


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


def test_credibility_value_mode_pulls_toward_group_minimum():
    rates = [0.5, 0, 0, 0, 0, 0, 0]
    plain = compute(from_document(document()), table())
    result = compute(from_document(document()), table(rates=rates), credibility={"mode": "value"})
    group_min = min(plain.normalised[:4, 1])
    assert result.normalised[0, 1] == pytest.approx(0.5 * plain.normalised[0, 1] + 0.5 * group_min)
    np.testing.assert_allclose(result.normalised[1:], plain.normalised[1:])


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


def _aggregate_by_hand(vals, w, method, floor):
    """Per unit: Σ w·v / Σ w over the present children (of ln max(v, floor), then exp)."""
    out = []
    for n in range(vals.shape[-1]):
        present = [(w[c, n], vals[c, 0, n]) for c in range(vals.shape[0])
                   if not math.isnan(vals[c, 0, n])]
        if not present:
            out.append(math.nan)
            continue
        total = sum(wc for wc, _ in present)
        if method == "geometric":
            out.append(math.exp(sum(wc * math.log(max(v, floor)) for wc, v in present) / total))
        else:
            out.append(sum(wc * v for wc, v in present) / total)
    return out


@pytest.mark.parametrize("method", ["arithmetic", "geometric"])
def test_aggregate_reweights_the_present_children_and_floors_a_geometric_mean(method):
    nan = math.nan
    vals = np.array([[[20.0, 50.0, nan, nan]],
                     [[80.0, nan, nan, 0.0]],
                     [[0.001, 10.0, 40.0, nan]]])  # (children, draws, units)
    w = np.array([[0.5, 0.2, 0.2, 0.4], [0.3, 0.3, 0.3, 0.6], [0.2, 0.5, 0.5, 0.0]])
    got = aggregate(vals, w, method, floor=0.01)
    assert got.shape == (1, 4)
    np.testing.assert_allclose(got[0], _aggregate_by_hand(vals, w, method, 0.01), rtol=1e-12)
    assert got[0, 2] == pytest.approx(40.0)  # one child present: its own value
    complete = vals[:, :, :1]
    np.testing.assert_allclose(aggregate(complete, w[:, :1], method, 0.01, complete=True),
                               aggregate(complete, w[:, :1], method, 0.01), rtol=1e-12)


def test_a_unit_with_no_child_present_has_no_score():
    vals = np.array([[[np.nan, 1.0]], [[np.nan, 3.0]]])
    w = np.array([[0.5, 0.5], [0.5, 0.5]])
    got = aggregate(vals, w, "arithmetic", floor=0.01)
    assert math.isnan(got[0, 0]) and got[0, 1] == 2.0


def test_consecutive_columns_are_a_slice_others_a_list():
    assert as_index([2, 3, 4]) == slice(2, 5)
    assert as_index([7]) == slice(7, 8)
    assert as_index([1, 3]) == [1, 3]
    assert as_index([4, 3]) == [4, 3]
    assert as_index([]) == []


def test_a_stack_scored_block_by_block_equals_each_draw_scored_alone(monkeypatch):
    """Draws of every unit, scored in blocks of one peer group (with I3 normalised across
    all units and a group's own normalisation of I2), give each draw's composite as
    ``compute`` gives it for that draw's values; the stack is left unchanged."""
    monkeypatch.setattr(evaluation, "BLOCK_ELEMENTS", 1)
    doc = document(overrides=[{"peer_group": "B",
                               "normalisation": {"I2": {"method": "percentile"}}}])
    scheme = from_document(doc)
    model = Model(scheme, table(), Options())
    model.evaluate(model.x0.T[:, None, :], point=True)  # fixes the node weights
    rng = np.random.default_rng(5)
    x = model.x0.T[:, None, :] + rng.normal(0.0, 2.0, (3, 4, len(UNITS)))
    before = x.copy()
    scores, normalised = model.evaluate(x, point=False)
    assert normalised is None and set(scores) == {"total"}
    assert len(model._blocks(4, point=False)) == 2  # one block per peer group
    np.testing.assert_array_equal(x, before)
    for d in range(4):
        alone = Table(list(UNITS), list(GROUPS), ["I1", "I2", "I3"], x[:, d, :].T,
                      np.full((len(UNITS), 3), np.nan))
        np.testing.assert_allclose(scores["total"][d], compute(scheme, alone).composite,
                                   rtol=1e-12)
