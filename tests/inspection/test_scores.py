"""Scoring rule insp-score-v1 against hand-computed examples."""

import statistics

import pytest

from services.inspection.scores import ItemRule, is_discrepant, score_visit, summarise

RULES = [
    ItemRule("a", 2, "pass_fail", critical=True),
    ItemRule("b", 1, "points", max_points=10),
    ItemRule("c", 3, "pass_fail"),
    ItemRule("m", 1, "measurement", tolerance=0.1, tolerance_kind="relative"),
    ItemRule("t", 5, "text"),
]


def answers(a="pass", b=8, c="pass", m=(100, 100)):
    return {"a": {"result": a}, "b": {"points": b} if b != "na" else {"result": "na"},
            "c": {"result": c}, "m": {"value": m[0], "self_reported": m[1]}, "t": {"text": "x"}}


def test_weighted_score_by_hand():
    # Σw·s = 2·1 + 1·8 + 3·0 + 1·1 = 11; Σw·max = 2 + 10 + 3 + 1 = 16 → 68.75
    result = score_visit(RULES, answers(c="fail"), critical_cap=60)
    assert result.score == pytest.approx(68.75)
    assert not result.capped


def test_na_items_drop_out_of_both_sums():
    # b and c N/A: Σw·s = 2 + 1 = 3; Σw·max = 2 + 1 = 3 → 100
    data = answers(b="na")
    data["c"] = {"result": "na"}
    assert score_visit(RULES, data, critical_cap=60).score == pytest.approx(100.0)


def test_failed_critical_item_caps_the_score():
    # a fails: Σw·s = 0 + 10 + 3 + 1 = 14 of 16 → 87.5, capped at 60
    result = score_visit(RULES, answers(a="fail", b=10), critical_cap=60)
    assert result.raw == pytest.approx(87.5)
    assert result.score == 60
    assert result.capped and result.failed_critical == ["a"]


def test_cap_does_not_raise_a_lower_score():
    # a fails, b = 0, c fails, m passes: 1 of 16 → 6.25, below the cap
    result = score_visit(RULES, answers(a="fail", b=0, c="fail"), critical_cap=60)
    assert result.score == pytest.approx(6.25)


def test_measurement_beyond_relative_tolerance_fails_and_is_discrepant():
    # |88 − 100| = 12 > 0.1·100: fail → Σw·s = 2 + 8 + 3 + 0 = 13 of 16
    result = score_visit(RULES, answers(m=(88, 100)), critical_cap=60)
    assert result.items["m"].discrepant is True
    assert result.score == pytest.approx(81.25)
    inside = score_visit(RULES, answers(m=(90.5, 100)), critical_cap=60)
    assert inside.items["m"].discrepant is False


def test_absolute_tolerance_edges():
    assert not is_discrepant(10.5, 10.0, 0.5, "absolute")
    assert is_discrepant(10.51, 10.0, 0.5, "absolute")


def test_nothing_applicable_gives_no_score():
    rules = [ItemRule("a", 1, "pass_fail"), ItemRule("t", 1, "text")]
    assert score_visit(rules, {"a": {"result": "na"}, "t": {}}, 60).score is None


def test_problems_are_reported_per_item():
    with pytest.raises(ValueError) as caught:
        score_visit(RULES, {"a": {"result": "maybe"}, "b": {"points": 11}, "c": {},
                            "m": {"value": 1}, "t": {}}, 60)
    problems = caught.value.args[0]
    assert set(problems) == {"a", "b", "c", "m"}


def test_summary_matches_statistics_module():
    values = [72.5, 88.0, 91.25, 60.0]
    summary = summarise(values)
    assert summary["n"] == 4
    assert summary["mean"] == pytest.approx(statistics.fmean(values))
    assert summary["sd"] == pytest.approx(statistics.stdev(values))
    assert summarise([70.0])["sd"] is None
