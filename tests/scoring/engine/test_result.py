"""What ``compute`` returns, flat (one CSV record per unit, groups together, best first)
and as JSON (NaN as null, the Monte Carlo summary, the fits and the method record)."""

from __future__ import annotations

import math

import numpy as np

from services.scoring.engine import Result, Uncertainty
from services.scoring.engine.result import number, numbers

NAN = math.nan


def _result(uncertainty: bool = True) -> Result:
    """Units b (group g2) and a, c (group g1): c ranks first in g1; a lacks y."""
    composite = np.array([50.0, 40.5, 60.0])
    return Result(
        units=["b", "a", "c"],
        groups=["g2", "g1", "g1"],
        indicators=["x", "y"],
        nodes=["total"],
        values=np.array([[1.0, 2.0], [3.0, NAN], [5.0, 6.0]]),
        normalised=np.array([[10.0, 20.0], [30.0, NAN], [50.0, 60.0]]),
        contributions=np.array([[25.0, 25.0], [40.5, 0.0], [30.0, 30.0]]),
        node_scores={"total": composite},
        composite=composite,
        rank=np.array([1, 2, 1]),
        group_size=np.array([1, 2, 2]),
        seats={"g1": 1, "g2": 1},
        advanced=np.array([True, False, True]),
        missing=[[], [{"indicator": "y", "action": "reweighted"}], []],
        credibility=np.array([1.0, 0.75, NAN]),
        weights={"total": {"x": 0.5, "y": 0.5}},
        ahp={},
        fay_herriot={"x": {"method": "REML", "sigma2_v": 2.0,
                           "gamma": np.array([0.5, NAN, 0.25]),
                           "mse": np.array([1.0, NAN, 4.0])}},
        uncertainty=Uncertainty(
            draws=100, seed=7, level=0.9, top_k=3,
            composite_mean=np.array([49.0, 41.0, 59.5]),
            composite_lo=np.array([45.0, 35.0, 55.0]),
            composite_hi=np.array([55.0, NAN, 65.0]),
            rank_lo=np.array([1, 1, 1]), rank_hi=np.array([1, 2, 2]),
            p_top_k=np.array([1.0, 1.0, 1.0]),
            p_advanced=np.array([1.0, 0.3, 0.7]),
            near_cutoff=np.array([False, True, True]),
        ) if uncertainty else None,
        sensitivity=None,
        method={"missing": "reweight"},
    )


def test_rows_put_groups_together_best_first_with_every_column():
    rows = _result().rows()
    assert [r["unit"] for r in rows] == ["c", "a", "b"]
    assert list(rows[1]) == [
        "unit", "group", "composite", "rank", "group_size", "composite_mean", "composite_lo",
        "composite_hi", "rank_lo", "rank_hi", "p_top_3", "p_advanced", "near_cutoff",
        "advanced", "score:total", "value:x", "normalised:x", "contribution:x", "value:y",
        "normalised:y", "contribution:y", "missing"]
    assert rows[1] == {
        "unit": "a", "group": "g1", "composite": 40.5, "rank": 2, "group_size": 2,
        "composite_mean": 41.0, "composite_lo": 35.0, "composite_hi": None, "rank_lo": 1,
        "rank_hi": 2, "p_top_3": 1.0, "p_advanced": 0.3, "near_cutoff": True,
        "advanced": False, "score:total": 40.5, "value:x": 3.0, "normalised:x": 30.0,
        "contribution:x": 40.5, "value:y": None, "normalised:y": None, "contribution:y": 0.0,
        "missing": "y reweighted"}
    assert rows[0]["missing"] == "" and rows[2]["advanced"] is True


def test_rows_without_monte_carlo_have_no_interval_columns():
    row = _result(uncertainty=False).rows()[0]
    assert "composite_mean" not in row and "p_advanced" not in row
    assert list(row)[:6] == ["unit", "group", "composite", "rank", "group_size", "advanced"]


def test_json_nests_indicators_and_nodes_and_has_no_nan():
    data = _result().to_dict()
    assert list(data) == ["method", "weights", "ahp", "fay_herriot", "seats", "sensitivity",
                          "units"]
    assert data["method"] == {"missing": "reweight"} and data["seats"] == {"g1": 1, "g2": 1}
    assert data["fay_herriot"] == {"x": {"method": "REML", "sigma2_v": 2.0,
                                         "gamma": [0.5, None, 0.25], "mse": [1.0, None, 4.0]}}
    units = data["units"]
    assert [u["unit"] for u in units] == ["c", "a", "b"]
    a = units[1]
    assert not any(":" in key for key in a)
    assert a["indicators"] == {
        "x": {"value": 3.0, "normalised": 30.0, "contribution": 40.5},
        "y": {"value": None, "normalised": None, "contribution": 0.0}}
    assert a["nodes"] == {"total": 40.5}
    assert a["missing"] == [{"indicator": "y", "action": "reweighted"}]
    assert a["credibility"] == 0.75 and units[0]["credibility"] is None
    assert a["composite_hi"] is None and a["p_advanced"] == 0.3
    without = _result()
    without.credibility = None
    assert all("credibility" not in u for u in without.to_dict()["units"])


def test_numbers_are_floats_and_nan_is_none():
    assert number(np.float32(2.5)) == 2.5 and type(number(np.int64(3))) is float
    assert number(np.nan) is None
    assert numbers(np.array([1.0, NAN])) == [1.0, None]
