"""Margins built from the scoring registry's rows (CONTRACTS.md format)."""

import numpy as np
import pytest

from services.survey.estimation import (
    EstimationError,
    SurveyDesign,
    margins_from_rows,
    rake,
)

ROWS = [
    {"unit": "T01", "variable": "age_band*sex", "category": "18-44*F", "count": 300},
    {"unit": "T01", "variable": "age_band*sex", "category": "18-44*M", "count": 320},
    {"unit": "T01", "variable": "age_band*sex", "category": "45+*F", "count": 200},
    {"unit": "T01", "variable": "age_band*sex", "category": "45+*M", "count": 180},
    {"unit": "T01", "variable": "edu", "category": "low", "count": 600},
    {"unit": "T01", "variable": "edu", "category": "high", "count": 400},
    {"unit": "T02", "variable": "age_band*sex", "category": "18-44*F", "count": 90},
    {"unit": "T02", "variable": "age_band*sex", "category": "18-44*M", "count": 110},
    {"unit": "T02", "variable": "age_band*sex", "category": "45+*F", "count": 160},
    {"unit": "T02", "variable": "age_band*sex", "category": "45+*M", "count": 140},
    {"unit": "T02", "variable": "edu", "category": "low", "count": 350},
    {"unit": "T02", "variable": "edu", "category": "high", "count": 150},
]


def respondents(seed=0, n=240):
    rng = np.random.default_rng(seed)
    town = np.where(np.arange(n) < n // 2, "T01", "T02")
    age = rng.choice(["18-44", "45+"], n)
    sex = rng.choice(["F", "M"], n)
    edu = rng.choice(["low", "high"], n)
    return town, age, sex, edu


def test_registry_rows_rake_each_township_to_its_counts():
    town, age, sex, edu = respondents()
    margins = margins_from_rows(ROWS, town, {"age_band": age, "sex": sex, "edu": edu})
    assert [m.name for m in margins] == ["age_band*sex", "edu"]
    result = rake(SurveyDesign(np.ones(town.size), town), margins, tol=1e-10)
    assert result.converged
    for row in ROWS:
        if row["variable"] == "edu":
            inside = (town == row["unit"]) & (edu == row["category"])
        else:
            a, s = row["category"].split("*")
            inside = (town == row["unit"]) & (age == a) & (sex == s)
        assert result.weights[inside].sum() == pytest.approx(row["count"], rel=1e-8)


def test_inconsistent_township_totals_are_rejected():
    town, age, sex, edu = respondents()
    rows = [dict(r) for r in ROWS]
    rows[4]["count"] = 650
    with pytest.raises(EstimationError, match="T01"):
        margins_from_rows(rows, town, {"age_band": age, "sex": sex, "edu": edu})


def test_respondent_in_a_township_without_margins_names_the_margin():
    town, age, sex, edu = respondents()
    town = town.copy()
    town[0] = "T03"
    margins = margins_from_rows(ROWS, town, {"age_band": age, "sex": sex, "edu": edu})
    with pytest.raises(EstimationError) as info:
        rake(SurveyDesign(np.ones(town.size), town), margins)
    assert info.value.margin == "age_band*sex"


def test_missing_respondent_value_or_variable():
    town, age, sex, edu = respondents()
    edu = edu.astype(object)
    edu[3] = None
    margins = margins_from_rows(ROWS, town, {"age_band": age, "sex": sex, "edu": edu})
    with pytest.raises(EstimationError) as info:
        rake(SurveyDesign(np.ones(town.size), town), margins)
    assert info.value.margin == "edu"
    with pytest.raises(EstimationError, match="sex"):
        margins_from_rows(ROWS, town, {"age_band": age, "edu": edu})
