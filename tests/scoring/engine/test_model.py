"""A scheme bound to a table: units sorted by peer group, ratio transforms, Fay–Herriot
shrinkage, the missing-data policies, per-group overrides, credibility on weights and
the node weights fixed from the point scores — each against a hand computation — and
the refusals (EngineError naming the field)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from services.scoring.engine import (
    EngineError,
    Options,
    Table,
    compute,
    fay_herriot,
    from_document,
)
from services.scoring.engine.model import Model
from tests.scoring.engine.hand_support import GROUPS, UNITS, X1, X2, X3, by_hand, document, table


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


def test_units_are_sorted_by_peer_group_then_code_whatever_the_table_order():
    order = [6, 0, 4, 2, 5, 1, 3]
    values = np.column_stack([X1, X2, X3])[order]
    shuffled = Table([UNITS[i] for i in order], [GROUPS[i] for i in order],
                     ["I3", "I1", "I2"], values[:, [2, 0, 1]], np.full((7, 3), np.nan))
    model = Model(from_document(document()), shuffled, Options())
    assert model.units == UNITS and model.groups == GROUPS
    assert [(s.start, s.stop) for s in model.segments] == [(0, 4), (4, 7)]
    np.testing.assert_array_equal(model.x0, np.column_stack([X1, X2, X3]))  # scheme order


def test_an_indicator_absent_from_the_table_is_recorded_and_reweighted():
    t = table()
    partial = Table(t.units, t.groups, ["I1", "I2"], t.values[:, :2], t.se[:, :2])
    model = Model(from_document(document("reweight")), partial, Options())
    assert model.record["absent_indicators"] == ["I3"]
    assert np.isnan(model.x0[:, 2]).all()
    assert all(actions == [{"indicator": "I3", "action": "reweighted"}]
               for actions in model.missing.actions)


def test_fay_herriot_with_one_unit_per_group_shrinks_toward_the_overall_mean():
    se = np.full((3, 3), np.nan)
    se[:, 0] = [8.0, 5.0, 12.0]
    values = np.column_stack([X1[:3], X2[:3], X3[:3]])
    three = Table(["u1", "u2", "u3"], ["P", "Q", "R"], ["I1", "I2", "I3"], values, se)
    doc = document()
    doc["root"]["children"][0]["children"][0]["shrinkage"] = "ML"
    model = Model(from_document(doc), three, Options())
    fit = fay_herriot.fit(np.array(X1[:3]), se[:, 0] ** 2, np.ones((3, 1)), "ML")
    np.testing.assert_allclose(model.x0[:, 0], fit.eblup, rtol=1e-12)
    np.testing.assert_allclose(model.se0[:, 0], np.sqrt(fit.mse), rtol=1e-12)
    record = model.fay_herriot["I1"]
    assert record["toward"] == "overall mean (too few units per group)"
    assert record["method"] == "ML" and record["sigma2_v"] == pytest.approx(fit.sigma2_v)


def test_fay_herriot_needs_three_units_with_a_value_and_an_se():
    se = np.full((7, 3), np.nan)
    se[:2, 0] = [8.0, 5.0]
    with pytest.raises(EngineError) as err:
        Model(from_document(document()), table(se=se), Options(fay_herriot="REML"))
    assert err.value.errors == {"I1": ["2 usable units"]}


def test_imputation_needs_a_peer_with_a_value():
    x2 = list(X2)
    for u in (4, 5, 6):
        x2[u] = math.nan  # group B reports no I2 at all
    with pytest.raises(EngineError) as err:
        Model(from_document(document("impute_group_median")), table(x2=x2), Options())
    assert err.value.errors == {"unit b1": ["no peer value for I2"]}


def test_a_ratio_needs_both_reported_fields():
    doc = document()
    doc["root"]["children"][1]["transform"] = {
        "kind": "ratio", "numerator": "actual", "denominator": "target"}
    rows = [{"unit": u, "group": g, "indicator": ind, "value": v}
            for u, g, a, b in zip(UNITS, GROUPS, X1, X2, strict=True)
            for ind, v in (("I1", a), ("I2", b))]
    rows += [{"unit": u, "group": g, "indicator": "I3", "field": "actual", "value": 1}
             for u, g in zip(UNITS, GROUPS, strict=True)]
    with pytest.raises(EngineError) as err:
        Model(from_document(doc), Table.from_rows(rows, ["I1", "I2", "I3"]), Options())
    assert err.value.errors == {"I3": ["missing reported field"]}


def test_goalposts_cannot_replace_a_method_without_bounds():
    with pytest.raises(EngineError) as err:
        Model(from_document(document()), table(), Options(normalisation="goalposts"))
    assert err.value.errors == {"normalisation": ["goalposts"]}
    pinned = Model(from_document(document()), table(),
                   Options(normalisation="goalposts", pinned=("I2", "I3")))
    assert [n.method for n in pinned.norms] == ["goalposts", "minmax", "tscore"]
