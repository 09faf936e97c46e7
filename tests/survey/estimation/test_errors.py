"""The estimation package's one exception: a ValueError whose ``errors`` map is ready for
a 422 — the reasons given, or else the message under the margin at fault, or under
``design`` when no margin is."""

from __future__ import annotations

from services.survey.estimation import EstimationError


def test_the_message_is_filed_under_the_margin_at_fault():
    error = EstimationError("margin age: category '60+' has no respondents", margin="age",
                            category=("T2", "60+"))
    assert isinstance(error, ValueError) and str(error) == error.message
    assert error.margin == "age" and error.category == ("T2", "60+")
    assert error.errors == {"age": ["margin age: category '60+' has no respondents"]}


def test_without_a_margin_the_message_is_filed_under_design():
    error = EstimationError("weights must be finite and positive")
    assert error.margin is None and error.category is None
    assert error.errors == {"design": ["weights must be finite and positive"]}


def test_reasons_given_are_kept_as_given_even_when_empty():
    given = {"e": ["out of range"]}
    assert EstimationError("e must be between 0 and 1", errors=given).errors is given
    assert EstimationError("nothing to name", margin="sex", errors={}).errors == {}
