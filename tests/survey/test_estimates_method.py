"""The estimate() step on in-memory samples: clusters, imputation, unused margins."""

import math

import numpy as np

from services.survey.estimates import Options, Sample, estimate
from services.survey.questionnaires import validate_document
from tests.survey.conftest import sample_document


def document():
    return validate_document(sample_document())


def blank_answers(n):
    return {q["id"]: [None] * n for q in sample_document()["questions"]}


def test_cluster_standard_error_matches_ultimate_cluster_formula():
    sat = [5, 4, 1, 2, 5, 5, 3, 4, 1, 1, 4, 5]
    clusters = ["a", "a", "a", "b", "b", "b", "c", "c", "c", "d", "d", "d"]
    answers = blank_answers(12)
    answers["sat"] = sat
    sample = Sample(np.array(["T01"] * 12, dtype=object), np.array(clusters, dtype=object),
                    answers)
    result = estimate(sample, document(), {}, Options())
    got = next(r for r in result["rows"] if r["question"] == "sat" and r["statistic"] == "mean")
    mean = sum(sat) / 12
    totals = {}
    for y, c in zip(sat, clusters, strict=True):
        totals[c] = totals.get(c, 0.0) + (y - mean) / 12
    m = len(totals)
    se = math.sqrt(m / (m - 1) * sum(t * t for t in totals.values()))
    assert math.isclose(got["estimate"], mean) and math.isclose(got["se"], se, rel_tol=1e-9)
    assert result["method"]["raking"] == {"applied": False, "note": "no usable margins"}


def test_missing_raking_answers_are_imputed_and_unusable_margins_reported():
    n = 8
    answers = blank_answers(n)
    answers["sex"] = [1, 2, 1, 2, 98, 1, 2, 2]
    answers["age"] = [1, 2, 1, 2, 1, 2, 1, 2]            # nobody 60+
    answers["sat"] = [4, 5, 1, 2, 4, 4, 5, 3]
    table = {"T01": {"sex": {"M": 500.0, "F": 500.0},
                     "age_band": {"18-34": 400.0, "35-59": 400.0, "60+": 200.0},
                     "education": {"low": 600.0, "high": 400.0}}}
    sample = Sample(np.array(["T01"] * n, dtype=object), None, answers)
    result = estimate(sample, document(), table, Options())
    reasons = {m["variable"]: m["reason"] for m in result["method"]["margins"]}
    assert reasons["sex"] is None
    assert reasons["age_band"] == "no respondents in categories ['60+']"
    assert reasons["education"] == "not collected by the poll (education)"
    raking = result["method"]["raking"]
    assert raking["applied"] and raking["imputed_categories"] == {"sex": 1}
    share = next(r for r in result["rows"] if r["question"] == "sex" and r["category"] == "2")
    # 4 women of 7 valid answers raked to half of the population: the DK respondent was
    # imputed as a woman (the modal category), so women carry 500 over 5 respondents.
    assert math.isclose(share["estimate"], (4 * 100) / (4 * 100 + 3 * 500 / 3), rel_tol=1e-9)
